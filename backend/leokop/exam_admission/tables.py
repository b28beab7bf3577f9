"""Tables of exam admission (L14): read-only share links for chamber staff."""

from piccolo.columns import ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract


class ShareLink(Table):
    """A read-only link for chamber staff (Prüfungsausschuss) to one contract's log, 14–200 days,
    revocable. Only the SHA-256 of the token is stored; every access is in the audit trail."""

    contract = ForeignKey(Contract, index=True)
    token_hash = Varchar(length=64, unique=True)
    label = Varchar(length=120, default="")
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(User, null=True, default=None)
    access_count = Integer(default=0)
    last_access_at = Timestamptz(null=True, default=None)
