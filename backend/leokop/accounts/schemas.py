"""Data shapes of the accounts feature: roles, the signed-in user, forms and API bodies."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import msgspec
from msgspec import Meta

Email = Annotated[str, Meta(max_length=254, extra={"kind": "email"})]
Password = Annotated[str, Meta(max_length=1000)]
DisplayName = Annotated[str, Meta(min_length=1, max_length=120)]


class Role(str, enum.Enum):
    """Roles in the glossary's code names; `admin` operates the installation itself."""

    admin = "admin"
    company_admin = "company_admin"
    trainer = "trainer"
    instructor = "instructor"
    apprentice = "apprentice"
    guardian = "guardian"
    school_admin = "school_admin"
    teacher = "teacher"


COMPANY_ROLES = (Role.company_admin, Role.trainer, Role.instructor, Role.apprentice)
SCHOOL_ROLES = (Role.school_admin, Role.teacher)


class CurrentUser(msgspec.Struct, frozen=True):
    """Who is signed in, loaded with their organisation in the request's first query."""

    id: int
    email: str
    display_name: str
    role: Role
    company_id: int | None
    company_name: str | None
    school_id: int | None
    school_name: str | None
    session_id: int | None = None  # None when signed in with an API token
    unread: int = 0  # unread in-app notifications (counted in the session look-up, no extra query)
    unread_conversations: int = 0  # conversations with unread messages (likewise)
    company_has_admin: bool = False  # likewise; for the navigation of a small firm's trainer


class LoginForm(msgspec.Struct):
    email: Annotated[str, Meta(max_length=254)]
    password: Password


class PasswordChangeForm(msgspec.Struct):
    current_password: Password
    new_password: Password
    new_password_repeat: Password


class PasswordResetRequestForm(msgspec.Struct):
    email: Email


class PasswordResetForm(msgspec.Struct):
    new_password: Password
    new_password_repeat: Password


class InvitationForm(msgspec.Struct):
    email: Email
    display_name: DisplayName
    role: Role


class AcceptInvitationForm(msgspec.Struct):
    display_name: DisplayName
    new_password: Password
    new_password_repeat: Password


class PhoneForm(msgspec.Struct):
    phone: Annotated[str, Meta(max_length=40)] = ""


class ApiTokenForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=80)]


class InvitationView(msgspec.Struct, frozen=True):
    """What the acceptance page shows about a pending invitation."""

    email: str
    display_name: str
    role: Role
    organisation_name: str


class PersonRow(msgspec.Struct, frozen=True):
    """A person on an organisation's people page."""

    id: int
    email: str
    display_name: str
    role: Role
    is_active: bool
    invitation_expires_at: dt.datetime | None

    @property
    def invitation_expired(self) -> bool:
        return self.invitation_expires_at is None or self.invitation_expires_at < dt.datetime.now(dt.timezone.utc)


class ApiTokenRow(msgspec.Struct, frozen=True):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class OrganisationOut(msgspec.Struct, frozen=True):
    id: int
    name: str


class MeOut(msgspec.Struct, frozen=True):
    """GET /api/v1/me."""

    id: int
    email: str
    display_name: str
    role: Role
    company: OrganisationOut | None
    school: OrganisationOut | None
