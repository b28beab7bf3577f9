"""Tables of the audit trail: one chain of records per contract."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract


class AuditRecord(Table):
    """One event. `payload` is the canonical JSON that was hashed; `hash` = SHA-256 of the previous
    record's hash and this payload, so editing, inserting or deleting a record breaks the chain."""

    contract = ForeignKey(Contract, index=True)
    seq = Integer()
    at = Timestamptz()
    actor = ForeignKey(User, null=True)
    action = Varchar(length=40)
    subject = Varchar(length=80, default="")
    payload = Text()
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)
