"""Authorisation: the one table of roles × actions, and the one function that answers "may U do A?".

Object-level visibility (own company, own class, own contract) is enforced by the services, which
only ever look objects up inside the user's scope and report anything outside it as NotFound (404).
"""

from __future__ import annotations

import enum

from leokop.accounts.schemas import CurrentUser, Role


class Rule(enum.Enum):
    allow = "allow"
    # A trainer acts as the company's admin only where the company has no company admin (small firm).
    small_company = "small_company"


PUBLIC = "public"

R = Role
ALL_ROLES = tuple(Role)
STAFF_OF_COMPANY = (R.company_admin, R.trainer)
# Who can be in an apprentice's circle and take part in its conversations (contacts.circle).
MESSAGE_ROLES = (R.company_admin, R.trainer, R.instructor, R.apprentice, R.teacher)

# action → {role: rule}; a role that is not listed is denied.
POLICY: dict[str, dict[Role, Rule]] = {
    "start.view": {role: Rule.allow for role in ALL_ROLES},
    "account.manage": {role: Rule.allow for role in ALL_ROLES},
    "api.me": {role: Rule.allow for role in ALL_ROLES},
    "organisation.manage": {R.admin: Rule.allow},
    "people.view": {
        R.company_admin: Rule.allow,
        R.trainer: Rule.allow,
        R.school_admin: Rule.allow,
    },
    "people.invite": {
        R.company_admin: Rule.allow,
        R.trainer: Rule.small_company,
        R.school_admin: Rule.allow,
    },
    "company.manage": {R.company_admin: Rule.allow, R.trainer: Rule.small_company},
    "contract.view": {
        R.company_admin: Rule.allow,
        R.trainer: Rule.allow,
        R.instructor: Rule.allow,
        R.apprentice: Rule.allow,
    },
    "contract.edit": {R.company_admin: Rule.allow, R.trainer: Rule.allow},
    # Reading a log: the apprentice and the company's people responsible (teachers need consent:
    # a later issue). Writing: the apprentice alone.
    "log.view": {
        R.company_admin: Rule.allow,
        R.trainer: Rule.allow,
        R.instructor: Rule.allow,
        R.apprentice: Rule.allow,
        # Object level (contracts.service.visible_contracts): teachers of the class with the
        # apprentice's consent, guardians while the apprentice is a minor.
        R.teacher: Rule.allow,
        R.guardian: Rule.allow,
    },
    "log.write": {R.apprentice: Rule.allow},
    # Signing: who may ever; whether now and for this week is signing.workflow's answer.
    "review.inbox": {R.company_admin: Rule.allow, R.trainer: Rule.allow, R.instructor: Rule.allow},
    "review.sign": {R.company_admin: Rule.allow, R.trainer: Rule.allow, R.instructor: Rule.allow},
    "week.cosign": {R.teacher: Rule.allow},
    "week.acknowledge": {R.guardian: Rule.allow},
    "consent.manage": {R.apprentice: Rule.allow, R.company_admin: Rule.allow, R.trainer: Rule.allow},
    "substitute.manage": {R.company_admin: Rule.allow, R.trainer: Rule.allow},
    # Absences (K4). Object level (absences.service.visible_contracts): teachers of the class and
    # the school's admin without consent (attendance is the school's own record); company staff of
    # the contract only where the contract records a basis; the apprentice; guardians of minors.
    # Who may do what to one absence in which status: absences.rules.
    "absence.view": {
        R.company_admin: Rule.allow,
        R.trainer: Rule.allow,
        R.instructor: Rule.allow,
        R.apprentice: Rule.allow,
        R.guardian: Rule.allow,
        R.teacher: Rule.allow,
        R.school_admin: Rule.allow,
    },
    "absence.record": {R.teacher: Rule.allow, R.school_admin: Rule.allow},
    "absence.decide": {R.teacher: Rule.allow},
    "absence.respond": {R.company_admin: Rule.allow, R.trainer: Rule.allow, R.instructor: Rule.allow},
    "absence.basis": {R.company_admin: Rule.allow, R.trainer: Rule.allow},
    "absence.sick_days": {R.apprentice: Rule.allow, R.company_admin: Rule.allow, R.trainer: Rule.allow},
    "notifications.view": {role: Rule.allow for role in ALL_ROLES},
    # Own push devices and preferences (other people's devices are never found: 404).
    "push.manage": {role: Rule.allow for role in ALL_ROLES},
    "school.manage": {R.school_admin: Rule.allow},
    "class.view": {R.school_admin: Rule.allow, R.teacher: Rule.allow},
    # Lesson topics: a teacher for the classes they teach, the school admin for every class of the school.
    "topics.manage": {R.school_admin: Rule.allow, R.teacher: Rule.allow},
    # School calendar: the class's periods (school admin: any class of the school; teachers: their
    # classes, checked by the service), one calendar per apprentice (whoever may read the log), the
    # company's plan, and each person's own feed address.
    "class_calendar.manage": {R.school_admin: Rule.allow, R.teacher: Rule.allow},
    "calendar.view": {
        R.company_admin: Rule.allow,
        R.trainer: Rule.allow,
        R.instructor: Rule.allow,
        R.apprentice: Rule.allow,
        R.teacher: Rule.allow,
        R.guardian: Rule.allow,
    },
    "plan.manage": {R.company_admin: Rule.allow, R.trainer: Rule.allow},
    "calendar_feed.manage": {role: Rule.allow for role in ALL_ROLES},
    # Messages and contacts (K6, K7). Object level (contacts.circle): only the apprentice's circle,
    # teachers by class without the reading consent; guardians see the contacts but write no messages.
    "messages.view": {role: Rule.allow for role in MESSAGE_ROLES},
    "messages.write": {role: Rule.allow for role in MESSAGE_ROLES},
    "contacts.view": {role: Rule.allow for role in (*MESSAGE_ROLES, R.guardian)},
    # Exports (L13, L14, L16). PDF of a log: whoever reads it through the company, and the
    # apprentice; teachers and guardians read on screen only. Exam admission (completeness check,
    # share links for the chamber): the company. Data export: the apprentice, always (also after
    # the contract ended). Verification and share links themselves are public (token/code).
    "log.export": {
        R.company_admin: Rule.allow,
        R.trainer: Rule.allow,
        R.instructor: Rule.allow,
        R.apprentice: Rule.allow,
    },
    "exam.prepare": {R.company_admin: Rule.allow, R.trainer: Rule.allow},
    "data.export": {R.apprentice: Rule.allow},
    "outbox.view": {
        R.admin: Rule.allow,
        R.company_admin: Rule.allow,
        R.trainer: Rule.small_company,
        R.school_admin: Rule.allow,
    },
}

# Which roles each role may invite (the inviter's organisation is always the invitee's).
INVITABLE_ROLES: dict[Role, tuple[Role, ...]] = {
    R.company_admin: (R.company_admin, R.trainer, R.instructor, R.apprentice),
    R.trainer: (R.trainer, R.instructor, R.apprentice),
    R.school_admin: (R.school_admin, R.teacher),
    R.admin: (R.company_admin, R.trainer, R.school_admin),
}


def rule_for(user: CurrentUser, action: str) -> Rule | None:
    """The rule that applies, or None if the role may never do this."""
    if action not in POLICY:
        raise KeyError(f"no policy entry for action {action!r}")
    return POLICY[action].get(user.role)


def can(user: CurrentUser | None, action: str, *, company_has_admin: bool | None = None) -> bool:
    """May this user do this action? `company_has_admin` is needed only for small-company rules."""
    if action == PUBLIC:
        return True
    if user is None:
        return False
    rule = rule_for(user, action)
    if rule is Rule.allow:
        return True
    if rule is Rule.small_company:
        if company_has_admin is None:
            raise ValueError(f"{action!r} needs to know whether the company has an admin")
        return not company_has_admin
    return False

