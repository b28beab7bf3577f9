"""Tables of the accounts feature. Secrets (session ids, tokens) are stored only as SHA-256 hashes."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from leokop.organisations.tables import Company, School


class User(Table, tablename="app_user"):
    """A person with one role; staff belong to a company or a school."""

    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=120)
    role = Varchar(length=20)
    # Empty until the invitation is accepted; the account cannot sign in before that.
    password_hash = Varchar(length=200, default="")
    is_active = Boolean(default=False)
    company = ForeignKey(Company, null=True, index=True)
    school = ForeignKey(School, null=True, index=True)
    birth_date = Date(null=True, default=None)
    phone = Varchar(length=40, default="")  # shown in the contacts of the apprentices' circle
    created_at = Timestamptz()
    password_changed_at = Timestamptz(null=True, default=None)


class UserSession(Table):
    """A signed-in browser. Deleting the row signs it out."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, index=True)
    created_at = Timestamptz()
    last_seen_at = Timestamptz()


class LoginThrottle(Table):
    """Failed sign-ins per key (e-mail hash or client address), shared by every worker process."""

    key = Varchar(length=80, unique=True)
    failures = Integer(default=0)
    window_started_at = Timestamptz()
    locked_until = Timestamptz(null=True, default=None)


class Invitation(Table):
    """A one-time link that lets a prepared account set its name and password."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, index=True)
    invited_by = ForeignKey(User, null=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)


class PasswordReset(Table):
    """A one-time link to set a new password."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class ApiToken(Table):
    """A personal token for the JSON API; shown once, revocable."""

    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=12)
    name = Varchar(length=80)
    user = ForeignKey(User, index=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Guardianship(Table):
    """An Erziehungsberechtigte/r of a minor apprentice."""

    guardian = ForeignKey(User, index=True)
    apprentice = ForeignKey(User, index=True)
