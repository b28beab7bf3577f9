"""Tables of the data export (L16): an apprentice's requests for everything about them."""

from piccolo.columns import ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User


class DataExport(Table):
    """An apprentice's request for everything about them (L16): a ZIP under var/exports, made by the
    export worker."""

    user = ForeignKey(User, index=True)
    state = Varchar(length=12, default="queued")  # queued | running | done | failed
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    size = Integer(default=0)
    error = Varchar(length=200, default="")
