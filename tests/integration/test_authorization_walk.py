"""The authorisation walk: every registered route × every demo role, checked against the policy table.

A route without a policy entry fails here; a role the policy denies gets 403; a role it allows never
gets 401/403/5xx; objects of another company or school answer 404 and show none of their data.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from litestar.routes import HTTPRoute

from leokop import policy
from leokop.absences.tables import Absence
from leokop.accounts.schemas import CurrentUser, Role
from leokop.accounts.tables import User
from leokop.contracts.tables import Contract
from leokop.conversations.tables import Conversation, Message, MessageAttachment
from leokop.organisations.tables import ClassImport, School, SchoolClass
from leokop.school_calendar.tables import PlanItem, SchoolPeriod
from leokop.timeutil import utcnow
from tests.helpers import (
    APPRENTICE,
    APPRENTICE_2,
    DEMO_USERS_BY_ROLE,
    INSTRUCTOR,
    SCHOOL_ADMIN,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TEACHER,
    TRAINER,
    csrf_token,
    login,
    logout,
    post,
)

# The walk's cast: every demo role, plus the trainer of a small firm (who acts as its admin).
CAST = {**DEMO_USERS_BY_ROLE, "small_trainer": SMALL_TRAINER}
HAS_COMPANY_ADMIN = {"trainer": True, "company_admin": True, "small_trainer": False}
SKIPPED_PREFIXES = ("/static", "/pwa", "/schema")


def handlers(app):
    """(path, method, handler) of every HTTP route the app serves."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method in ("HEAD", "OPTIONS"):
                    continue
                yield route.path, method, handler


def test_every_route_has_a_policy_entry(app):
    missing = [
        f"{method} {path}"
        for path, method, handler in handlers(app)
        if handler.opt.get("action") not in (*policy.POLICY, policy.PUBLIC)
    ]
    assert missing == []


def test_every_policy_action_guards_some_route(app):
    used = {handler.opt.get("action") for _, _, handler in handlers(app)}
    assert set(policy.POLICY) - used == set()


def _fill(path: str, ids: dict[str, object]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(ids[m.group(1)]), path)


def _request(client, method: str, url: str):
    """Any method, as a browser or API client sends it (with the CSRF token), with an empty body."""
    if method == "GET":
        return client.get(url, follow_redirects=False)
    if method == "POST" and not url.startswith("/api/"):
        return post(client, url, {})
    return client.request(method, url, json={}, headers={"X-CSRFToken": csrf_token(client)}, follow_redirects=False)


def _message_ids(run, contract_id: int) -> dict[str, object]:
    """Messages: Finn's conversation with one message and an attachment (its file is not on disk)."""
    now = utcnow()
    conversation = run(Conversation.insert(Conversation(contract=contract_id, kind="with_apprentice", last_message_at=now, created_at=now)).returning(Conversation.id))[0]["id"]
    message = run(Message.insert(Message(conversation=conversation, author_name="Markus Weber", body="Hallo", created_at=now)).returning(Message.id))[0]["id"]
    attachment = run(MessageAttachment.insert(MessageAttachment(message=message, filename="a.pdf", content_type="application/pdf", size=1, sha256="0" * 64, created_at=now)).returning(MessageAttachment.id))[0]["id"]
    return {"conversation_id": conversation, "message_attachment_id": attachment, "audience": "mit-azubi"}


def _own_ids(run) -> dict[str, object]:
    finn = run(Contract.select(Contract.id).where(Contract.apprentice.email == APPRENTICE).first)
    fia = run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "FIA25a").first)
    # The school calendar's own objects: FIA25a's demo period, a plan item on Finn's contract.
    period = run(SchoolPeriod.select(SchoolPeriod.id).where(SchoolPeriod.school_class == fia["id"]).first)
    item = run(PlanItem.insert(PlanItem(contract=finn["id"], kind="vacation", start_date=dt.date(2026, 12, 14), end_date=dt.date(2026, 12, 18), created_at=utcnow())).returning(PlanItem.id))[0]
    calendar_ids = {"period_id": period["id"], "item_id": item["id"], "filename": "kein-abo.ics"}
    # Absences: one of Finn's, recorded by the school.
    absence = run(Absence.insert(Absence(contract=finn["id"], date=dt.date(2026, 6, 2), created_at=utcnow(), updated_at=utcnow())).returning(Absence.id))[0]
    # Class lists: a report of the demo school's import.
    school = run(SchoolClass.select(SchoolClass.school).where(SchoolClass.id == fia["id"]).first)["school"]
    class_import = run(ClassImport.insert(ClassImport(school=school, filename="klassen.csv", report="[]", created_at=utcnow())).returning(ClassImport.id))[0]
    return {**calendar_ids, "contract_id": finn["id"], "class_id": fia["id"], "token_id": 999999, "user_id": 999999, "token": "kein-gueltiger-link", "file_path": "css/app.css", "unknown": "gibt-es-nicht",
            "absence_id": absence["id"], "import_id": class_import["id"],
            "monday": "2026-11-23", "day": "2026-11-24", "entry_id": 999999, "phrase_id": 999999, "attachment_id": 999999,
            "template_id": 999999, "substitution_id": 999999, "notification_id": 999999, "subscription_id": 999999,
            "topic_id": 999999, "share_id": 999999, "data_export_id": 999999, "export_id": 999999, "code": "AAAABBBBCCCC", **_message_ids(run, finn["id"])}


def _expected_allowed(role_key: str, action: str) -> bool:
    if action == policy.PUBLIC:
        return True
    role = Role("trainer" if role_key == "small_trainer" else role_key)
    user = CurrentUser(1, "x", "x", role, None, None, None, None)
    rule = policy.POLICY[action].get(role)
    if rule is policy.Rule.small_company:
        return policy.can(user, action, company_has_admin=HAS_COMPANY_ADMIN[role_key])
    return policy.can(user, action)


@pytest.mark.parametrize("role_key", sorted(CAST))
def test_every_route_answers_each_role_as_the_policy_says(client, app, run, role_key):
    ids = _own_ids(run)
    login(client, CAST[role_key])
    problems = []
    for path, method, handler in handlers(app):
        if path.startswith(SKIPPED_PREFIXES) or path == "/logout":
            continue
        action = handler.opt["action"]
        url = _fill(path, ids)
        response = _request(client, method, url)
        allowed = _expected_allowed(role_key, action)
        if allowed and (response.status_code in (401, 403) or response.status_code >= 500):
            problems.append(f"{method} {path} ({action}) should be allowed, got {response.status_code}")
        if not allowed and response.status_code != 403:
            problems.append(f"{method} {path} ({action}) should be 403, got {response.status_code}")
        if response.status_code == 303 and response.headers["location"].startswith("/login"):
            problems.append(f"{method} {path} lost the session")
    assert problems == []


def test_anonymous_visitors_are_sent_to_login_and_the_api_says_401(client, app, run):
    ids = _own_ids(run)
    problems = []
    for path, method, handler in handlers(app):
        if path.startswith(SKIPPED_PREFIXES) or handler.opt["action"] == policy.PUBLIC:
            continue
        url = _fill(path, ids)
        response = _request(client, method, url)
        if path.startswith("/api/"):
            ok = response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")
        else:
            ok = response.status_code == 303 and response.headers["location"].startswith("/login")
        if not ok:
            problems.append(f"{method} {path}: {response.status_code}")
    assert problems == []


def test_contracts_of_another_company_are_404_and_show_nothing(client, run):
    finn = run(Contract.select(Contract.id).where(Contract.apprentice.email == APPRENTICE).first)["id"]
    lena = run(Contract.select(Contract.id).where(Contract.apprentice.email == SMALL_APPRENTICE).first)["id"]
    mia = run(Contract.select(Contract.id).where(Contract.apprentice.email == APPRENTICE_2).first)["id"]
    cases = [
        (SMALL_TRAINER, finn, "Finn Schneider"),
        (TRAINER, lena, "Lena Wolf"),
        (APPRENTICE_2, finn, "Finn Schneider"),  # a fellow apprentice of the same company
        (INSTRUCTOR, mia, "Mia Yilmaz"),  # an instructor not assigned to that contract
    ]
    for email, contract_id, name in cases:
        login(client, email)
        for response in (
            client.get(f"/contracts/{contract_id}"),
            client.get(f"/contracts/{contract_id}/edit"),
            post(client, f"/contracts/{contract_id}", {"apprentice_id": "1"}),
        ):
            if response.status_code == 403:
                continue  # the role may not edit at all: refused before any lookup
            assert response.status_code == 404, (email, contract_id, response.status_code)
            assert name not in response.text
        assert name not in client.get("/contracts").text
        logout(client)


def test_classes_of_another_school_are_404(client, run):
    other = run(School.insert(School(name="Andere Schule", state="HE", city="Kassel", created_at=utcnow())).returning(School.id))[0]["id"]
    foreign = run(
        SchoolClass.insert(SchoolClass(school=other, name="GEHEIM1", start_year=2025, created_at=utcnow())).returning(SchoolClass.id)
    )[0]["id"]
    finn = run(Contract.select(Contract.id).where(Contract.apprentice.email == APPRENTICE).first)["id"]
    for email in (SCHOOL_ADMIN, TEACHER):
        login(client, email)
        response = client.get(f"/classes/{foreign}")
        assert response.status_code == 404 and "GEHEIM1" not in response.text
        assert "GEHEIM1" not in client.get("/classes").text
        logout(client)
    login(client, SCHOOL_ADMIN)
    assert post(client, f"/classes/{foreign}/members", {"contract_id": str(finn)}).status_code == 404
    assert run(Contract.select(Contract.school_class).where(Contract.id == finn).first)["school_class"] != foreign


def test_people_of_another_organisation_cannot_be_reinvited(client, run):
    pending = run(
        User.insert(User(email="offen@rmm.example", display_name="Offen", role="apprentice", company=run(User.select(User.company).where(User.email == TRAINER).first)["company"], created_at=utcnow())).returning(User.id)
    )[0]["id"]
    login(client, SMALL_TRAINER)
    assert post(client, f"/people/{pending}/invitation").status_code == 404
    assert "offen@rmm.example" not in client.get("/people").text


# Written out by hand (not derived from the policy), so that a careless edit of the policy table
# cannot silently widen access: these pairs must stay denied.
NEVER_ALLOWED = {
    "apprentice": ("contract.edit", "people.view", "people.invite", "organisation.manage", "school.manage", "class.view", "outbox.view", "company.manage",
                   "review.inbox", "review.sign", "week.cosign", "week.acknowledge", "substitute.manage", "topics.manage"),
    "guardian": ("contract.view", "contract.edit", "people.view", "class.view", "outbox.view", "log.write", "review.sign", "week.cosign", "consent.manage",
                 "topics.manage"),
    "teacher": ("contract.view", "contract.edit", "people.invite", "school.manage", "outbox.view", "company.manage", "log.write", "review.sign",
                "week.acknowledge", "consent.manage"),
    "instructor": ("contract.edit", "people.invite", "people.view", "company.manage", "outbox.view", "log.write", "week.cosign", "consent.manage",
                   "substitute.manage", "topics.manage"),
    "trainer": ("people.invite", "company.manage", "outbox.view", "organisation.manage", "school.manage", "log.write", "week.cosign", "week.acknowledge",
                "topics.manage"),
    "school_admin": ("contract.view", "contract.edit", "company.manage", "organisation.manage", "log.view", "review.sign", "week.cosign", "consent.manage"),
    "company_admin": ("school.manage", "class.view", "organisation.manage", "log.write", "week.cosign", "week.acknowledge", "topics.manage"),
    "admin": ("contract.view", "contract.edit", "class.view", "log.view", "review.sign", "week.cosign", "consent.manage", "topics.manage"),
}


# The school calendar: only the school edits a class's calendar, only the company plans, and
# people outside an apprentice's circle (school admin, operator) do not see the apprentice's calendar.
NEVER_ALLOWED_CALENDAR = {
    "apprentice": ("class_calendar.manage", "plan.manage"),
    "guardian": ("class_calendar.manage", "plan.manage"),
    "instructor": ("class_calendar.manage", "plan.manage"),
    "trainer": ("class_calendar.manage",),
    "company_admin": ("class_calendar.manage",),
    "teacher": ("plan.manage",),
    "school_admin": ("calendar.view", "plan.manage"),
    "admin": ("calendar.view", "plan.manage", "class_calendar.manage"),
}


@pytest.mark.parametrize("role_key", sorted(NEVER_ALLOWED))
def test_policy_never_allows_what_a_role_must_not_do(role_key):
    for action in NEVER_ALLOWED[role_key] + NEVER_ALLOWED_CALENDAR.get(role_key, ()):
        assert not _expected_allowed(role_key, action), f"{role_key} may {action}"


# Absences: only the school records, only teachers decide, only the company answers for itself.
NEVER_ALLOWED_ABSENCES = {
    "apprentice": ("absence.record", "absence.decide", "absence.respond", "absence.basis"),
    "guardian": ("absence.record", "absence.decide", "absence.respond", "absence.basis", "absence.sick_days"),
    "teacher": ("absence.respond", "absence.basis", "absence.sick_days"),
    "instructor": ("absence.record", "absence.decide", "absence.basis", "absence.sick_days"),
    "trainer": ("absence.record", "absence.decide"),
    "small_trainer": ("absence.record", "absence.decide"),
    "company_admin": ("absence.record", "absence.decide"),
    "school_admin": ("absence.decide", "absence.respond", "absence.basis", "absence.sick_days"),
    "admin": ("absence.view", "absence.record", "absence.decide", "absence.respond", "absence.basis", "absence.sick_days"),
}


@pytest.mark.parametrize("role_key", sorted(NEVER_ALLOWED_ABSENCES))
def test_policy_never_allows_absence_actions_a_role_must_not_do(role_key):
    for action in NEVER_ALLOWED_ABSENCES[role_key]:
        assert not _expected_allowed(role_key, action), f"{role_key} may {action}"


# Messages and contacts: only the apprentice's circle; guardians read contacts but write nothing;
# the school's administration and the operator are outside every circle.
NEVER_ALLOWED_MESSAGES = {
    "guardian": ("messages.view", "messages.write"),
    "school_admin": ("messages.view", "messages.write", "contacts.view"),
    "admin": ("messages.view", "messages.write", "contacts.view"),
}


@pytest.mark.parametrize("role_key", sorted(NEVER_ALLOWED_MESSAGES))
def test_policy_never_allows_message_actions_a_role_must_not_do(role_key):
    for action in NEVER_ALLOWED_MESSAGES[role_key]:
        assert not _expected_allowed(role_key, action), f"{role_key} may {action}"
