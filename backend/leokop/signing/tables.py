"""Tables of signing: signatures on weeks, substitutions of trainers, and return-comment templates."""

from piccolo.columns import Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract
from leokop.logbook.tables import Week
from leokop.organisations.tables import Company


class Signature(Table):
    """An approval (Abzeichnung), a school co-sign (Gegenzeichnung) or a guardian's acknowledgement
    (Kenntnisnahme) of one week. `content_hash` is the SHA-256 of the canonical content it signs;
    names are kept as they were at signing time. A reopen voids the approval but never deletes it."""

    week = ForeignKey(Week, index=True)
    contract = ForeignKey(Contract, index=True)
    kind = Varchar(length=16)  # approval | cosign | acknowledgement
    signer = ForeignKey(User)
    signer_name = Varchar(length=120)
    signer_role = Varchar(length=16)  # trainer | instructor | substitute | company_admin | teacher | guardian
    on_behalf_of = ForeignKey(User, null=True, default=None)
    on_behalf_name = Varchar(length=120, default="")
    signed_at = Timestamptz()
    content_hash = Varchar(length=64)
    audit_seq = Integer()
    voided_at = Timestamptz(null=True, default=None)
    void_reason = Varchar(length=20, default="")  # reopened


class Substitution(Table):
    """A trainer's stand-in (Vertretung) for a date range: approves the trainer's apprentices' weeks
    on the trainer's behalf."""

    company = ForeignKey(Company, index=True)
    trainer = ForeignKey(User, index=True)
    substitute = ForeignKey(User, index=True)
    start_date = Date()
    end_date = Date()
    created_at = Timestamptz()


class CommentTemplate(Table):
    """A reviewer's reusable reason for returning a week (Kommentarvorlage)."""

    user = ForeignKey(User, index=True)
    text = Varchar(length=500)
    created_at = Timestamptz()
