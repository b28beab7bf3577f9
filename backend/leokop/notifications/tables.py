"""Tables of the notifications feature: the e-mail outbox, in-app notifications (which are also the
push queue), push subscriptions (devices) and each user's notification settings."""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
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
    """An event for one user (week returned, approved, a reminder, a digest) shown in the app and, as
    a job, pushed to the user's devices. Short German title/body and a URL only: the page shows the
    details to whoever may see them. `dedupe_key` (unique) makes a reminder impossible to send twice."""

    user = ForeignKey(User, index=True)
    kind = Varchar(length=30)
    title = Varchar(length=200)
    body = Varchar(length=300, default="")
    url = Varchar(length=300)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
    dedupe_key = Varchar(length=120, null=True, default=None)  # unique index in a raw migration
    push_state = Varchar(length=12, default="pending")  # pending | sending | sent | skipped | failed
    push_attempts = Integer(default=0)
    push_not_before = Timestamptz(null=True, default=None)  # quiet hours, spreading, backoff
    push_claimed_until = Timestamptz(null=True, default=None)  # a worker's lease on the job
    pushed_at = Timestamptz(null=True, default=None)


class PushSubscription(Table):
    """One device of a user that receives web push (from the browser's PushSubscription)."""

    user = ForeignKey(User, index=True)
    endpoint = Varchar(length=1000, unique=True)
    p256dh = Varchar(length=200)
    auth = Varchar(length=100)
    label = Varchar(length=120, default="")  # "Chrome auf Android", shown in the device list
    created_at = Timestamptz()
    last_success_at = Timestamptz(null=True, default=None)


class NotificationSetting(Table):
    """A user's push preferences: kinds turned off and quiet hours (Berlin time, default 20–7 h)."""

    user = ForeignKey(User, unique=True)
    muted_kinds = Varchar(length=300, default="")  # comma-separated kinds without push
    quiet_from = Integer(default=20)
    quiet_until = Integer(default=7)
    weekend_quiet = Boolean(default=True)  # nothing on weekends except the Friday reminder
