"""Tables of the exports feature: rendered PDFs of a log and their verifiable sheets."""

from piccolo.columns import Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract


class Export(Table):
    """One PDF of a contract's log (a week, a range of weeks or all of it), rendered by the export
    worker into var/exports/<id>.pdf. Kept after the file is gone: its sheets are what /verify checks."""

    contract = ForeignKey(Contract, index=True)
    requested_by = ForeignKey(User, null=True)
    first_monday = Date()
    last_monday = Date()
    state = Varchar(length=12, default="queued")  # queued | running | done | failed
    weeks_total = Integer(default=0)
    weeks_done = Integer(default=0)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    file_sha256 = Varchar(length=64, default="")
    size = Integer(default=0)
    pages = Integer(default=0)
    error = Varchar(length=200, default="")


class ExportSheet(Table):
    """One weekly sheet of an export and its verification code (Prüfcode). `content_hash` is the
    week's canonical content when it was exported, `text_hash` the SHA-256 of the sheet's text as an
    independent parser reads it from the PDF; both are compared when someone verifies the sheet."""

    export = ForeignKey(Export, index=True)
    contract = ForeignKey(Contract, index=True)
    code = Varchar(length=16, unique=True)
    monday = Date()
    number = Integer()
    week_state = Varchar(length=12)  # missing | draft | submitted | returned | approved
    content_hash = Varchar(length=64)
    approved_by = Varchar(length=120, default="")
    approved_at = Timestamptz(null=True, default=None)
    first_page = Integer()
    last_page = Integer()
    text_hash = Varchar(length=64, default="")
