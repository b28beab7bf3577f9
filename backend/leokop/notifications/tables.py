"""Tables of the notifications feature: the e-mail outbox and the in-app notifications."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.organisations.tables import Company, School


class MailMessage(Table):
    """An e-mail waiting for (or done with) delivery; the organisation decides which admins see it."""

    recipient = Varchar(length=254)
    subject = Varchar(length=200)
    body = Text()
    company = ForeignKey(Company, null=True, index=True)
    school = ForeignKey(School, null=True, index=True)
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, default="")


class Notification(Table):
    """An event for one user (week returned, approved, …) shown in the app; push comes later and
    sends the same rows. Title and URL only: the page shows the details to whoever may see them."""

    user = ForeignKey(User, index=True)
    kind = Varchar(length=30)
    title = Varchar(length=200)
    url = Varchar(length=300)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
