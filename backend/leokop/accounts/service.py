"""Rules of accounts: passwords, sign-in with throttling, sessions, invitations, resets, API tokens."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import sqlite3

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from leokop.accounts.schemas import (
    ApiTokenRow,
    CurrentUser,
    InvitationView,
    PersonRow,
    Role,
)
from leokop.accounts.tables import (
    ApiToken,
    Invitation,
    LoginThrottle,
    PasswordReset,
    User,
    UserSession,
)
from leokop.contacts.circle_sql import member_contracts_sql, member_kinds_sql
from leokop.errors import NotFound, ValidationFailed
from leokop.notifications.service import queue_mail
from leokop.organisations.tables import Company, School
from leokop.policy import INVITABLE_ROLES
from leokop.settings import Settings
from leokop.timeutil import as_aware_utc, utcnow

ROLE_ORDER = [
    Role.company_admin,
    Role.school_admin,
    Role.trainer,
    Role.instructor,
    Role.teacher,
    Role.apprentice,
    Role.guardian,
    Role.admin,
]
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
ADDRESS_MAX_FAILURES = 50
# A session's last_seen_at is written at most this often, to keep page views read-only.
SESSION_TOUCH_INTERVAL = dt.timedelta(minutes=5)

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that both cases take the same time.
_DUMMY_HASH = _hasher.hash("leokop-timing-equaliser")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str, field: str = "email") -> str:
    """A syntactically valid, normalised address (no DNS look-up: the machine may be offline)."""
    try:
        return normalize_email(validate_email(email.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ValidationFailed({field: "invalid_email"}) from None


# Phone numbers as people write them: "+49 69 1234-567", "(069) 12 34 56", "0171/2345678".
_PHONE = re.compile(r"^\+?[0-9 ()/-]+$")


def check_phone(phone: str, field: str = "phone") -> str:
    """A phone number of digits, spaces, +, /, - and brackets, with at least three digits; "" = none."""
    text = " ".join(phone.split())
    if text and (not _PHONE.match(text) or sum(c.isdigit() for c in text) < 3):
        raise ValidationFailed({field: "invalid_phone"})
    return text


async def phone_of(user_id: int) -> str:
    row = await User.select(User.phone).where(User.id == user_id).first()
    return row["phone"] if row else ""


async def set_phone(user: CurrentUser, phone: str) -> None:
    """The person's own phone number, shown in the contacts of the apprentices' circles they are in."""
    await User.update({User.phone: check_phone(phone)}).where(User.id == user.id)


async def hash_password(password: str) -> str:
    # Argon2 takes ~50 ms of CPU: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def check_new_password(password: str, repeat: str, email: str = "", field: str = "new_password") -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationFailed({field: "password_too_short"}, min_length=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationFailed({field: "password_too_long"}, max_length=PASSWORD_MAX_LENGTH)
    if email and password.strip().lower() == email.lower():
        raise ValidationFailed({field: "password_same_as_email"})
    if password != repeat:
        raise ValidationFailed({f"{field}_repeat": "password_mismatch"})


# --- who is signed in -------------------------------------------------------------------------

_USER_COLUMNS = (
    User.id,
    User.email,
    User.display_name,
    User.role,
    User.company.id,
    User.company.name,
    User.school.id,
    User.school.name,
)


def _current_user(row: dict, prefix: str = "", session_id: int | None = None) -> CurrentUser:
    return CurrentUser(
        id=row[f"{prefix}id"],
        email=row[f"{prefix}email"],
        display_name=row[f"{prefix}display_name"],
        role=Role(row[f"{prefix}role"]),
        company_id=row[f"{prefix}company.id"],
        company_name=row[f"{prefix}company.name"],
        school_id=row[f"{prefix}school.id"],
        school_name=row[f"{prefix}school.name"],
        session_id=session_id,
    )


async def create_session(user_id: int) -> str:
    token = new_token()
    now = utcnow()
    await UserSession.insert(
        UserSession(token_hash=token_hash(token), user=user_id, created_at=now, last_seen_at=now)
    )
    return token


# The session look-up runs on every signed-in request. Built through Piccolo's query builder it
# costs ~1.3 ms of CPU for 13 µs of SQL (scripts/bench), so it is written once as SQL. It also counts
# what the navigation shows: unread notifications, conversations with a message newer than the
# person's read marker (conversations.service has the same rule for the list), and whether the
# person's company has an admin (a small firm's trainer sees the company's pages instead).
_SESSION_SQL = f"""
SELECT s.id, s.created_at, s.last_seen_at,
       u.id AS user_id, u.email, u.display_name, u.role, u.is_active,
       c.id AS company_id, c.name AS company_name, sc.id AS school_id, sc.name AS school_name,
       (SELECT count(*) FROM notification n WHERE n."user" = u.id AND n.read_at IS NULL) AS unread,
       (SELECT count(*) FROM conversation cv
        LEFT JOIN conversation_read cr ON cr.conversation = cv.id AND cr."user" = u.id
        WHERE cv.contract IN ({member_contracts_sql("u.id", "u.role", "u.company")})
          AND {member_kinds_sql("cv.kind", "u.role")}
          AND (SELECT max(m.id) FROM message m WHERE m.conversation = cv.id) > coalesce(cr.last_read_message_id, 0)
       ) AS unread_conversations,
       EXISTS (SELECT 1 FROM app_user a WHERE a.company = u.company AND a.role = 'company_admin') AS company_has_admin
FROM user_session s
JOIN app_user u ON u.id = s."user"
LEFT JOIN company c ON c.id = u.company
LEFT JOIN school sc ON sc.id = u.school
WHERE s.token_hash = {{}}
"""


async def user_for_session(settings: Settings, token: str) -> CurrentUser | None:
    """The user behind a session cookie, if the session is alive (idle and absolute limits)."""
    rows = await UserSession.raw(_SESSION_SQL, token_hash(token))
    if not rows or not rows[0]["is_active"]:
        return None
    row = rows[0]
    now = utcnow()
    last_seen = as_aware_utc(row["last_seen_at"])
    if (
        as_aware_utc(row["created_at"]) + dt.timedelta(days=settings.session_max_days) < now
        or last_seen + dt.timedelta(hours=settings.session_idle_hours) < now
    ):
        await UserSession.delete().where(UserSession.id == row["id"])
        return None
    if now - last_seen > SESSION_TOUCH_INTERVAL:
        try:
            await UserSession.update({UserSession.last_seen_at: now}).where(UserSession.id == row["id"])
        except sqlite3.OperationalError:
            # A page view runs in a read transaction; if SQLite cannot upgrade it right now, the
            # next request touches the session instead. Nothing is lost.
            pass
    return CurrentUser(
        id=row["user_id"],
        email=row["email"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        company_id=row["company_id"],
        company_name=row["company_name"],
        school_id=row["school_id"],
        school_name=row["school_name"],
        session_id=row["id"],
        unread=row["unread"],
        unread_conversations=row["unread_conversations"],
        company_has_admin=bool(row["company_has_admin"]),
    )


async def revoke_session(token: str) -> None:
    await UserSession.delete().where(UserSession.token_hash == token_hash(token))


async def revoke_all_sessions(user_id: int) -> None:
    await UserSession.delete().where(UserSession.user == user_id)


async def load_user(user_id: int) -> CurrentUser:
    rows = await User.select(*_USER_COLUMNS).where(User.id == user_id)
    if not rows:
        raise NotFound()
    return _current_user(rows[0])


# --- sign-in with throttling --------------------------------------------------------------------


def _throttle_keys(email: str, client_address: str) -> tuple[str, str]:
    return (
        "e:" + token_hash(normalize_email(email))[:40],
        "a:" + token_hash(client_address or "unknown")[:40],
    )


async def _locked_minutes(keys: tuple[str, ...]) -> int:
    now = utcnow()
    rows = await LoginThrottle.select(LoginThrottle.locked_until).where(
        LoginThrottle.key.is_in(list(keys)), LoginThrottle.locked_until.is_not_null()
    )
    remaining = [as_aware_utc(r["locked_until"]) - now for r in rows]
    longest = max((r for r in remaining if r.total_seconds() > 0), default=None)
    return 0 if longest is None else max(1, int(longest.total_seconds() // 60) + 1)


async def _record_failure(settings: Settings, key: str, limit: int) -> None:
    now = utcnow()
    window = dt.timedelta(minutes=settings.login_lock_minutes)
    t = LoginThrottle
    await t.insert(t(key=key, failures=0, window_started_at=now)).on_conflict(action="DO NOTHING")
    # An atomic increment: two workers failing at once both count.
    rows = await t.update({t.failures: t.failures + 1}).where(t.key == key).returning(
        t.failures, t.window_started_at
    )
    failures, started = rows[0]["failures"], as_aware_utc(rows[0]["window_started_at"])
    if now - started > window:
        await t.update({t.failures: 1, t.window_started_at: now, t.locked_until: None}).where(t.key == key)
    elif failures >= limit:
        await t.update({t.failures: 0, t.window_started_at: now, t.locked_until: now + window}).where(
            t.key == key
        )


async def sign_in(settings: Settings, email: str, password: str, client_address: str) -> tuple[CurrentUser, str]:
    """Check the password and open a new session. Unknown e-mail and wrong password look the same."""
    keys = _throttle_keys(email, client_address)
    locked = await _locked_minutes(keys)
    if locked:
        raise ValidationFailed({"email": "login_locked"}, minutes=locked)
    rows = await User.select(User.id, User.password_hash, User.is_active).where(
        User.email == normalize_email(email)
    )
    row = rows[0] if rows else None
    ok = await verify_password(row["password_hash"] if row else "", password)
    if not (ok and row and row["is_active"]):
        await _record_failure(settings, keys[0], settings.login_max_failures)
        await _record_failure(settings, keys[1], ADDRESS_MAX_FAILURES)
        raise ValidationFailed({"email": "login_failed"})
    await LoginThrottle.delete().where(LoginThrottle.key == keys[0])
    return await load_user(row["id"]), await create_session(row["id"])


async def change_password(
    user: CurrentUser, current_password: str, new_password: str, new_password_repeat: str
) -> str:
    """Set a new password, sign out every session of the user, return a fresh session for this one."""
    rows = await User.select(User.password_hash).where(User.id == user.id)
    if not rows or not await verify_password(rows[0]["password_hash"], current_password):
        raise ValidationFailed({"current_password": "password_wrong"})
    check_new_password(new_password, new_password_repeat, user.email)
    await _set_password(user.id, new_password)
    return await create_session(user.id)


async def _set_password(user_id: int, password: str) -> None:
    await User.update(
        {User.password_hash: await hash_password(password), User.password_changed_at: utcnow()}
    ).where(User.id == user_id)
    await revoke_all_sessions(user_id)


# --- invitations ---------------------------------------------------------------------------------


async def company_has_admin(company_id: int) -> bool:
    return await User.exists().where(
        User.company == company_id, User.role == Role.company_admin.value
    )


def invitable_roles(inviter: CurrentUser) -> tuple[Role, ...]:
    return INVITABLE_ROLES.get(inviter.role, ())


async def invite(
    settings: Settings,
    inviter: CurrentUser,
    email: str,
    display_name: str,
    role: Role,
    *,
    company_id: int | None = None,
    school_id: int | None = None,
) -> tuple[int, str]:
    """Prepare an account in the inviter's organisation (or, for the operator, the given one) and
    queue the invitation mail. Returns (user id, invitation link)."""
    email = check_email(email)
    if role not in invitable_roles(inviter):
        raise ValidationFailed({"role": "role_not_allowed"})
    if inviter.role is not Role.admin:
        company_id, school_id = inviter.company_id, inviter.school_id
    if role in (Role.school_admin, Role.teacher):
        company_id = None
    else:
        school_id = None
    if company_id is None and school_id is None:
        raise ValidationFailed({"role": "role_not_allowed"})
    if await User.exists().where(User.email == email):
        raise ValidationFailed({"email": "email_taken"})
    rows = await User.insert(
        User(
            email=email,
            display_name=display_name.strip(),
            role=role.value,
            is_active=False,
            company=company_id,
            school=school_id,
            created_at=utcnow(),
        )
    ).returning(User.id)
    user_id = rows[0]["id"]
    link = await _issue_invitation(settings, user_id, inviter.id, email, display_name, role, company_id, school_id)
    return user_id, link


async def _issue_invitation(
    settings: Settings,
    user_id: int,
    inviter_id: int | None,
    email: str,
    display_name: str,
    role: Role,
    company_id: int | None,
    school_id: int | None,
) -> str:
    token = new_token()
    now = utcnow()
    # A new link replaces every older one for the same person.
    await Invitation.delete().where(Invitation.user == user_id, Invitation.accepted_at.is_null())
    await Invitation.insert(
        Invitation(
            token_hash=token_hash(token),
            user=user_id,
            invited_by=inviter_id,
            created_at=now,
            expires_at=now + dt.timedelta(days=settings.invitation_days),
        )
    )
    link = f"{settings.effective_base_url}/invitation/{token}"
    organisation = await _organisation_name(company_id, school_id)
    await queue_mail(
        email,
        "invitation",
        company_id=company_id,
        school_id=school_id,
        display_name=display_name,
        role=role,
        organisation=organisation,
        link=link,
        days=settings.invitation_days,
    )
    return link


class NewAccount(msgspec.Struct, frozen=True):
    """An account to prepare for an invitation (see prepare_accounts)."""

    email: str  # normalised, checked free by the caller
    display_name: str
    role: Role
    company_id: int | None = None
    school_id: int | None = None
    birth_date: dt.date | None = None


async def prepare_accounts(settings: Settings, inviter_id: int, accounts: list[NewAccount]) -> dict[str, tuple[int, str]]:
    """Many inactive accounts with one invitation link each, in two statements (a class list brings
    hundreds); the caller decides who may be invited, checks the addresses and queues the mails.
    Returns e-mail → (user id, invitation link)."""
    if not accounts:
        return {}
    now = utcnow()
    users = await User.insert(
        *(
            User(
                email=a.email,
                display_name=a.display_name,
                role=a.role.value,
                is_active=False,
                company=a.company_id,
                school=a.school_id,
                birth_date=a.birth_date,
                created_at=now,
            )
            for a in accounts
        )
    ).returning(User.id, User.email)
    ids = {row["email"]: row["id"] for row in users}
    tokens = {email: new_token() for email in ids}
    await Invitation.insert(
        *(
            Invitation(
                token_hash=token_hash(tokens[email]),
                user=user_id,
                invited_by=inviter_id,
                created_at=now,
                expires_at=now + dt.timedelta(days=settings.invitation_days),
            )
            for email, user_id in ids.items()
        )
    )
    return {email: (user_id, f"{settings.effective_base_url}/invitation/{tokens[email]}") for email, user_id in ids.items()}


async def resend_invitation(settings: Settings, inviter: CurrentUser, user_id: int) -> str:
    """A fresh link for a person of the inviter's organisation who has not accepted yet."""
    person = await _person_in_scope(inviter, user_id)
    if person["is_active"]:
        raise NotFound()
    return await _issue_invitation(
        settings,
        user_id,
        inviter.id,
        person["email"],
        person["display_name"],
        Role(person["role"]),
        person["company"],
        person["school"],
    )


async def _organisation_name(company_id: int | None, school_id: int | None) -> str:
    if company_id is not None:
        rows = await Company.select(Company.name).where(Company.id == company_id)
    else:
        rows = await School.select(School.name).where(School.id == school_id)
    return rows[0]["name"] if rows else ""


async def _person_in_scope(viewer: CurrentUser, user_id: int) -> dict:
    query = User.select(User.id, User.email, User.display_name, User.role, User.is_active, User.company, User.school).where(
        User.id == user_id
    )
    rows = await query
    if not rows:
        raise NotFound()
    row = rows[0]
    same_company = viewer.company_id is not None and row["company"] == viewer.company_id
    same_school = viewer.school_id is not None and row["school"] == viewer.school_id
    if not (viewer.role is Role.admin or same_company or same_school):
        raise NotFound()
    return row


async def _open_invitation(token: str) -> dict:
    rows = await Invitation.select(
        Invitation.id,
        Invitation.expires_at,
        Invitation.accepted_at,
        Invitation.user.id,
        Invitation.user.email,
        Invitation.user.display_name,
        Invitation.user.role,
        Invitation.user.company.name,
        Invitation.user.school.name,
    ).where(Invitation.token_hash == token_hash(token))
    if not rows or rows[0]["accepted_at"] is not None:
        raise ValidationFailed({"token": "token_invalid"})
    if as_aware_utc(rows[0]["expires_at"]) < utcnow():
        raise ValidationFailed({"token": "token_expired"})
    return rows[0]


async def view_invitation(token: str) -> InvitationView:
    row = await _open_invitation(token)
    return InvitationView(
        email=row["user.email"],
        display_name=row["user.display_name"],
        role=Role(row["user.role"]),
        organisation_name=row["user.company.name"] or row["user.school.name"] or "",
    )


async def accept_invitation(token: str, display_name: str, password: str, repeat: str) -> tuple[CurrentUser, str]:
    """Activate the prepared account with the chosen name and password; sign it in."""
    row = await _open_invitation(token)
    check_new_password(password, repeat, row["user.email"])
    user_id = row["user.id"]
    now = utcnow()
    await User.update(
        {
            User.display_name: display_name.strip(),
            User.password_hash: await hash_password(password),
            User.password_changed_at: now,
            User.is_active: True,
        }
    ).where(User.id == user_id)
    # The guard on accepted_at makes a double submit of the same link accept only once.
    accepted = await Invitation.update({Invitation.accepted_at: now}).where(
        Invitation.id == row["id"], Invitation.accepted_at.is_null()
    ).returning(Invitation.id)
    if not accepted:
        raise ValidationFailed({"token": "token_invalid"})
    return await load_user(user_id), await create_session(user_id)


async def people_of(viewer: CurrentUser) -> list[PersonRow]:
    """Everyone in the viewer's company or school, with pending invitations, in one query."""
    if viewer.company_id is not None:
        condition = User.company == viewer.company_id
    elif viewer.school_id is not None:
        condition = User.school == viewer.school_id
    else:
        return []
    users = await User.select(User.id, User.email, User.display_name, User.role, User.is_active).where(condition).order_by(
        User.display_name
    )
    # Those responsible first, then everyone else; by name within a role.
    users.sort(key=lambda u: ROLE_ORDER.index(Role(u["role"])))
    pending = await Invitation.select(Invitation.user, Invitation.expires_at).where(
        Invitation.accepted_at.is_null(), Invitation.user.is_in([u["id"] for u in users] or [0])
    )
    expiry = {p["user"]: p["expires_at"] for p in pending}
    return [
        PersonRow(
            id=u["id"],
            email=u["email"],
            display_name=u["display_name"],
            role=Role(u["role"]),
            is_active=u["is_active"],
            invitation_expires_at=as_aware_utc(expiry[u["id"]]) if u["id"] in expiry else None,
        )
        for u in users
    ]


# --- password reset -----------------------------------------------------------------------------


async def request_password_reset(settings: Settings, email: str) -> None:
    """Queue a reset mail if the address belongs to an active account; say nothing either way."""
    rows = await User.select(User.id, User.display_name, User.company, User.school).where(
        User.email == normalize_email(email), User.is_active == True  # noqa: E712
    )
    if not rows:
        return
    user = rows[0]
    token = new_token()
    now = utcnow()
    await PasswordReset.insert(
        PasswordReset(
            token_hash=token_hash(token),
            user=user["id"],
            created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.password_reset_minutes),
        )
    )
    await queue_mail(
        normalize_email(email),
        "password_reset",
        company_id=user["company"],
        school_id=user["school"],
        display_name=user["display_name"],
        link=f"{settings.effective_base_url}/password-reset/{token}",
        minutes=settings.password_reset_minutes,
    )


async def _open_reset(token: str) -> dict:
    rows = await PasswordReset.select(
        PasswordReset.id, PasswordReset.expires_at, PasswordReset.used_at, PasswordReset.user.id, PasswordReset.user.email
    ).where(PasswordReset.token_hash == token_hash(token))
    if not rows or rows[0]["used_at"] is not None:
        raise ValidationFailed({"token": "token_invalid"})
    if as_aware_utc(rows[0]["expires_at"]) < utcnow():
        raise ValidationFailed({"token": "token_expired"})
    return rows[0]


async def check_reset_token(token: str) -> None:
    await _open_reset(token)


async def reset_password(token: str, password: str, repeat: str) -> None:
    row = await _open_reset(token)
    check_new_password(password, repeat, row["user.email"])
    used = await PasswordReset.update({PasswordReset.used_at: utcnow()}).where(
        PasswordReset.id == row["id"], PasswordReset.used_at.is_null()
    ).returning(PasswordReset.id)
    if not used:
        raise ValidationFailed({"token": "token_invalid"})
    await _set_password(row["user.id"], password)
    # Every other reset link of this person dies with this one.
    await PasswordReset.update({PasswordReset.used_at: utcnow()}).where(
        PasswordReset.user == row["user.id"], PasswordReset.used_at.is_null()
    )


# --- API tokens -----------------------------------------------------------------------------------

API_TOKEN_PREFIX = "lk_"


async def create_api_token(user: CurrentUser, name: str) -> str:
    token = API_TOKEN_PREFIX + new_token()
    await ApiToken.insert(
        ApiToken(
            token_hash=token_hash(token),
            prefix=token[:10],
            name=name.strip(),
            user=user.id,
            created_at=utcnow(),
        )
    )
    return token


async def api_tokens_of(user: CurrentUser) -> list[ApiTokenRow]:
    rows = await ApiToken.select(
        ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at, ApiToken.last_used_at
    ).where(ApiToken.user == user.id, ApiToken.revoked_at.is_null()).order_by(ApiToken.id)
    return msgspec.convert(rows, list[ApiTokenRow])


async def revoke_api_token(user: CurrentUser, token_id: int) -> None:
    revoked = await ApiToken.update({ApiToken.revoked_at: utcnow()}).where(
        ApiToken.id == token_id, ApiToken.user == user.id, ApiToken.revoked_at.is_null()
    ).returning(ApiToken.id)
    if not revoked:
        raise NotFound()


async def user_for_api_token(token: str) -> CurrentUser | None:
    t = ApiToken
    rows = await t.select(
        t.id,
        t.last_used_at,
        t.user.id,
        t.user.email,
        t.user.display_name,
        t.user.role,
        t.user.is_active,
        t.user.company.id,
        t.user.company.name,
        t.user.school.id,
        t.user.school.name,
    ).where(t.token_hash == token_hash(token), t.revoked_at.is_null())
    if not rows or not rows[0]["user.is_active"]:
        return None
    row = rows[0]
    last_used = row["last_used_at"]
    if last_used is None or utcnow() - as_aware_utc(last_used) > SESSION_TOUCH_INTERVAL:
        try:
            await t.update({t.last_used_at: utcnow()}).where(t.id == row["id"])
        except sqlite3.OperationalError:
            pass  # as for sessions: a read request may not be able to write right now
    return _current_user(row, prefix="user.")
