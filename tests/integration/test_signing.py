"""Signing through HTTP and the services: approve, return, reopen, co-sign, acknowledge, the inbox,
instructors and substitutes, consent, and the integrity checks that catch changes behind a signature."""

from __future__ import annotations

import datetime as dt

import pytest

from leokop import policy
from leokop.accounts.service import load_user
from leokop.accounts.tables import User
from leokop.audit import service as audit
from leokop.audit.tables import AuditRecord
from leokop.contracts.tables import Contract, ReadingConsent
from leokop.logbook import service as logbook
from leokop.logbook.tables import Entry, Week
from leokop.notifications.tables import Notification
from leokop.signing import content as signed_content
from leokop.signing import service as signing
from leokop.signing.tables import Signature, Substitution
from leokop.signing.workflow import Action, Relation, allowed_actions, ever_allowed
from leokop.timeutil import today_berlin, utcnow
from tests.helpers import (
    APPRENTICE,
    APPRENTICE_2,
    COMPANY_ADMIN,
    GUARDIAN,
    INSTRUCTOR,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TEACHER,
    TRAINER,
    csrf_token,
    login,
    logout,
    post,
)
from tests.integration.test_mail_and_cli import leokop

MONDAY = dt.date(2026, 6, 1)
SECOND = MONDAY + dt.timedelta(days=7)
OTHER_TRAINER = "aylin.demir@rmm.example"


def user_id(run, email: str) -> int:
    return run(User.select(User.id).where(User.email == email).first)["id"]


def contract_of(run, email: str) -> int:
    return run(Contract.select(Contract.id).where(Contract.apprentice.email == email).first)["id"]


def as_user(run, email: str):
    return run(load_user, user_id(run, email))


def write_and_submit(run, email: str = APPRENTICE, monday: dt.date = MONDAY, topic: str = "Lernfeld 5: SQL") -> int:
    """A complete week written and submitted through the services: Monday at school, the rest vacation."""
    apprentice = as_user(run, email)
    contract = contract_of(run, email)
    run(logbook.set_week_status, apprentice, contract, monday, "vacation", "")
    run(logbook.set_day_status, apprentice, contract, monday, monday, "school", "")
    run(logbook.add_entry, apprentice, contract, monday, monday, "school", topic, "6:00")
    run(logbook.submit_week, apprentice, contract, monday)
    return contract


def week_url(contract: int, monday: dt.date = MONDAY) -> str:
    return f"/contracts/{contract}/log/{monday.isoformat()}"


def state(run, contract: int, monday: dt.date = MONDAY) -> str:
    return run(Week.select(Week.state).where(Week.contract == contract, Week.monday == monday).first)["state"]


def signatures(run, contract: int, kind: str = "approval") -> list[dict]:
    return run(Signature.select().where(Signature.contract == contract, Signature.kind == kind).order_by(Signature.id))


def api(client, method: str, url: str, body: dict | None = None):
    return client.request(method, url, json=body or {}, headers={"X-CSRFToken": csrf_token(client)})


# --- approve ---------------------------------------------------------------------------------------


def test_the_trainer_approves_and_the_approval_binds_to_the_content(client, run):
    contract = write_and_submit(run)
    login(client, TRAINER)
    response = post(client, week_url(contract) + "/approve")
    assert response.status_code == 303
    assert state(run, contract) == "approved"
    [approval] = signatures(run, contract)
    week_id = run(Week.select(Week.id).where(Week.contract == contract, Week.monday == MONDAY).first)["id"]
    content = run(signing.load_contents, {week_id: (contract, MONDAY)})[week_id]
    assert approval["content_hash"] == signed_content.digest(content)
    assert (approval["signer_name"], approval["signer_role"], approval["on_behalf_name"]) == ("Markus Weber", "trainer", "")
    record = run(AuditRecord.select().where(AuditRecord.contract == contract, AuditRecord.seq == approval["audit_seq"]).first)
    assert record["action"] == "week.approved" and approval["content_hash"] in record["payload"]
    page = client.get(week_url(contract)).text
    assert "Integrität geprüft" in page and "Abgezeichnet" in page and "Markus Weber" in page
    # The apprentice is told in the app.
    finn = user_id(run, APPRENTICE)
    assert run(Notification.select(Notification.title).where(Notification.user == finn).first)["title"].endswith("wurde abgezeichnet.")


def test_an_approved_week_refuses_every_change_with_409(client, run):
    contract = write_and_submit(run)
    run(signing.approve, as_user(run, TRAINER), contract, MONDAY)
    login(client, APPRENTICE)
    page = client.get(week_url(contract))
    assert "Eintrag hinzufügen" not in page.text
    added = post(client, week_url(contract) + "/entries", {"day": MONDAY.isoformat(), "category": "company", "text": "später", "duration": "1"})
    assert added.status_code == 409 and "zurückgegeben oder wieder geöffnet" in added.text
    entry = run(Entry.select(Entry.id, Entry.version).where(Entry.week.contract == contract).first)
    api_change = api(client, "PUT", f"/api/v1/contracts/{contract}/weeks/{MONDAY}/entries/{entry['id']}", {"category": "school", "text": "x", "minutes": 60, "version": entry["version"]})
    assert api_change.status_code == 409 and "geändert werden" in api_change.json()["detail"]
    status = post(client, week_url(contract) + f"/days/{MONDAY}", {"status": "sick", "version": "1"})
    assert status.status_code == 409
    assert run(Entry.select(Entry.text).where(Entry.week.contract == contract).first)["text"] == "Lernfeld 5: SQL"


def test_approving_twice_is_harmless(client, run):
    contract = write_and_submit(run)
    login(client, TRAINER)
    first = api(client, "POST", f"/api/v1/contracts/{contract}/weeks/{MONDAY}/approve")
    second = api(client, "POST", f"/api/v1/contracts/{contract}/weeks/{MONDAY}/approve")
    assert first.status_code == second.status_code == 200
    assert second.json()["integrity"] == "ok"
    assert len(signatures(run, contract)) == 1
    assert post(client, week_url(contract) + "/approve").status_code == 303
    assert len(signatures(run, contract)) == 1


def test_a_week_that_is_not_submitted_cannot_be_approved(client, run):
    contract = contract_of(run, APPRENTICE)
    login(client, TRAINER)
    response = post(client, week_url(contract) + "/approve")
    assert response.status_code == 409 and "nicht eingereicht" in response.text
    assert api(client, "POST", f"/api/v1/contracts/{contract}/weeks/{MONDAY}/approve").status_code == 409


# --- return and reopen ------------------------------------------------------------------------------


def test_returning_needs_a_reason_and_keeps_what_was_typed(client, run):
    contract = write_and_submit(run)
    login(client, TRAINER)
    empty = post(client, week_url(contract) + "/return", {"reason": "   "})
    assert empty.status_code == 422 and "Bitte begründen" in empty.text
    assert state(run, contract) == "submitted"
    too_long = post(client, week_url(contract) + "/return", {"reason": "x" * 1001})
    assert too_long.status_code == 422 and "x" * 1001 in too_long.text
    assert api(client, "POST", f"/api/v1/contracts/{contract}/weeks/{MONDAY}/return", {"reason": ""}).status_code == 422


def test_a_returned_week_shows_the_reason_and_history_and_goes_round_again(client, run):
    contract = write_and_submit(run)
    login(client, TRAINER)
    response = post(client, week_url(contract) + "/return", {"reason": "Bitte Freitag genauer beschreiben.", "save_template": "on"})
    assert response.status_code == 303
    assert state(run, contract) == "returned"
    assert "Bitte Freitag genauer beschreiben." in run(signing.comment_templates, as_user(run, TRAINER))
    # approve-while-returning: the second reviewer's approve is refused, not silently applied
    assert post(client, week_url(contract) + "/approve").status_code == 409
    logout(client)
    login(client, APPRENTICE)
    page = client.get(week_url(contract)).text
    assert "Zurückgegeben von Markus Weber am" in page and "Bitte Freitag genauer beschreiben." in page
    assert post(client, week_url(contract) + "/entries", {"day": MONDAY.isoformat(), "category": "school", "text": "Nachtrag", "duration": "1:00"}).status_code == 303
    assert post(client, week_url(contract) + "/submit").status_code == 303
    history = run(signing.review, as_user(run, APPRENTICE), run(logbook.week_view, as_user(run, APPRENTICE), contract, MONDAY)).history
    assert [h.action for h in history] == ["week.submitted", "week.returned", "week.submitted"]


def test_reopen_voids_the_approval_but_keeps_it_in_the_history(client, run):
    contract = write_and_submit(run)
    run(signing.approve, as_user(run, TRAINER), contract, MONDAY)
    login(client, INSTRUCTOR)
    assert post(client, week_url(contract) + "/reopen", {"reason": "Tippfehler"}).status_code == 403  # instructors never undo
    logout(client)
    login(client, TRAINER)
    assert post(client, week_url(contract) + "/reopen", {"reason": ""}).status_code == 422
    assert post(client, week_url(contract) + "/reopen", {"reason": "Stunden am Montag falsch"}).status_code == 303
    assert state(run, contract) == "draft"
    [old] = signatures(run, contract)
    assert old["voided_at"] is not None and old["void_reason"] == "reopened"
    page = client.get(week_url(contract)).text
    assert "aufgehoben: Woche wieder geöffnet" in page and "Wieder geöffnet" in page and "Stunden am Montag falsch" in page
    # the apprentice may change it now, submit again, and a new approval binds to the new content
    apprentice = as_user(run, APPRENTICE)
    run(logbook.add_entry, apprentice, contract, MONDAY, MONDAY, "school", "Nachtrag", "1:00")
    run(logbook.submit_week, apprentice, contract, MONDAY)
    run(signing.approve, as_user(run, TRAINER), contract, MONDAY)
    old, new = signatures(run, contract)
    assert old["content_hash"] != new["content_hash"] and new["voided_at"] is None
    assert run(signing.verify_signatures, contract) == (1, [])


# --- who signs --------------------------------------------------------------------------------------


def test_an_instructor_and_the_company_admin_sign_on_behalf_of_the_trainer(client, run):
    contract = write_and_submit(run)
    second = write_and_submit(run, monday=SECOND)
    assert second == contract
    run(signing.approve, as_user(run, INSTRUCTOR), contract, MONDAY)
    run(signing.approve, as_user(run, COMPANY_ADMIN), contract, SECOND)
    by_instructor, by_admin = signatures(run, contract)
    assert (by_instructor["signer_role"], by_instructor["on_behalf_name"]) == ("instructor", "Markus Weber")
    assert (by_admin["signer_role"], by_admin["on_behalf_name"]) == ("company_admin", "Markus Weber")
    login(client, APPRENTICE)
    assert "im Auftrag von Markus Weber" in client.get(week_url(contract)).text


def test_another_trainer_of_the_company_reads_but_signs_only_as_substitute(client, run):
    contract = write_and_submit(run)
    login(client, OTHER_TRAINER)
    assert client.get(week_url(contract)).status_code == 200
    assert post(client, week_url(contract) + "/approve").status_code == 403
    assert "Finn Schneider" not in client.get("/freigaben").text
    logout(client)
    login(client, TRAINER)
    today = today_berlin()
    bad = post(client, "/vertretungen", {"substitute_id": str(user_id(run, OTHER_TRAINER)), "start_date": today.isoformat(), "end_date": (today - dt.timedelta(days=1)).isoformat()})
    assert bad.status_code == 422 and "Ende muss nach dem Beginn" in bad.text
    foreign = post(client, "/vertretungen", {"substitute_id": str(user_id(run, SMALL_TRAINER)), "start_date": today.isoformat(), "end_date": today.isoformat()})
    assert foreign.status_code == 422 and "angebotenen Werte" in foreign.text
    ok = post(client, "/vertretungen", {"substitute_id": str(user_id(run, OTHER_TRAINER)), "start_date": today.isoformat(), "end_date": (today + dt.timedelta(days=14)).isoformat()})
    assert ok.status_code == 303 and "Aylin Demir" in client.get("/vertretungen").text
    logout(client)
    login(client, OTHER_TRAINER)
    assert "Finn Schneider" in client.get("/freigaben").text
    assert post(client, week_url(contract) + "/approve").status_code == 303
    [approval] = signatures(run, contract)
    assert (approval["signer_role"], approval["on_behalf_name"]) == ("substitute", "Markus Weber")


def test_a_substitution_counts_only_in_its_date_range(client, run):
    contract = write_and_submit(run)
    today = today_berlin()
    company = run(User.select(User.company).where(User.email == TRAINER).first)["company"]
    run(Substitution.insert(Substitution(company=company, trainer=user_id(run, TRAINER), substitute=user_id(run, OTHER_TRAINER),
                                         start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=5), created_at=utcnow())))
    login(client, OTHER_TRAINER)
    assert post(client, week_url(contract) + "/approve").status_code == 403


def test_a_trainer_of_another_company_sees_nothing(client, run):
    contract = write_and_submit(run)
    login(client, SMALL_TRAINER)
    assert post(client, week_url(contract) + "/approve").status_code == 404
    assert api(client, "POST", "/api/v1/inbox/approve", {"week_ids": [run(Week.select(Week.id).first)["id"]]}).json() == {"approved": 0, "skipped": 1}
    assert state(run, contract) == "submitted"


# --- inbox and bulk approval -----------------------------------------------------------------------


def test_the_inbox_lists_waiting_weeks_oldest_first_with_the_review_flags(client, run):
    finn = write_and_submit(run, monday=SECOND)
    write_and_submit(run, monday=MONDAY)
    mia = write_and_submit(run, APPRENTICE_2, monday=MONDAY)
    view = run(signing.inbox, as_user(run, TRAINER))
    assert [(w.contract_id, w.monday) for w in view.weeks] == [(finn, SECOND), (finn, MONDAY), (mia, MONDAY)]
    assert view.weeks[0].total_minutes == 360
    flags = {a.name: (a.overdue, a.waiting) for a in view.apprentices}
    assert flags["Finn Schneider"] == (True, 2)  # never approved, contract running for months
    run(signing.approve, as_user(run, TRAINER), finn, MONDAY)
    flags = {a.name: (a.overdue, a.last_approval_at is not None) for a in run(signing.inbox, as_user(run, TRAINER)).apprentices}
    assert flags["Finn Schneider"] == (False, True) and flags["Mia Yilmaz"] == (True, False)
    login(client, TRAINER)
    page = client.get("/freigaben").text
    assert "über einen Monat nicht geprüft" in page and "Ausgewählte abzeichnen" in page


def test_the_inbox_runs_the_same_queries_for_one_or_many_apprentices(client, run, count_queries):
    write_and_submit(run)
    login(client, TRAINER)
    count_queries.clear()
    client.get("/freigaben")
    few = len(count_queries)
    write_and_submit(run, APPRENTICE_2)
    write_and_submit(run, monday=SECOND)
    count_queries.clear()
    client.get("/freigaben")
    # session, contracts, weeks, totals, last approvals
    assert len(count_queries) == few <= 5, count_queries


def test_bulk_approval_signs_each_selected_week_and_skips_the_rest(client, run):
    finn = write_and_submit(run)
    write_and_submit(run, monday=SECOND)
    mia = write_and_submit(run, APPRENTICE_2)
    weeks = {(r["contract"], r["monday"]): r["id"] for r in run(Week.select(Week.id, Week.contract, Week.monday))}
    run(signing.return_week, as_user(run, TRAINER), mia, MONDAY, "Bitte ergänzen")
    login(client, TRAINER)
    empty = post(client, "/freigaben", {})
    assert empty.status_code == 422 and "mindestens eine Woche" in empty.text
    selected = [str(weeks[(finn, MONDAY)]), str(weeks[(finn, SECOND)]), str(weeks[(mia, MONDAY)])]
    response = post(client, "/freigaben", {"week_ids": selected})
    assert response.status_code == 303 and "anzahl=2" in response.headers["location"]
    assert state(run, finn) == state(run, finn, SECOND) == "approved" and state(run, mia) == "returned"
    assert "2 Wochen abgezeichnet" in client.get(response.headers["location"]).text
    assert run(signing.verify_signatures, finn) == (2, []) and run(audit.verify, finn)[1] == []


# --- teachers and consent --------------------------------------------------------------------------


def test_without_consent_a_teacher_gets_404_on_weeks_and_api(client, run):
    mia = write_and_submit(run, APPRENTICE_2)  # Mia is in the teacher's class but has not agreed
    login(client, TEACHER)
    for url in (week_url(mia), f"/contracts/{mia}/log", f"/api/v1/contracts/{mia}/weeks", f"/api/v1/contracts/{mia}/weeks/{MONDAY}"):
        assert client.get(url).status_code == 404, url
    assert post(client, week_url(mia) + "/cosign").status_code == 404
    fia = client.get("/classes").text
    assert "FIA25a" in fia


def test_consent_is_given_withdrawn_by_the_company_and_logged(client, run):
    mia = write_and_submit(run, APPRENTICE_2)
    login(client, APPRENTICE_2)
    assert "Lehrkräften meiner Klasse das Lesen erlauben" in client.get(f"/contracts/{mia}").text
    assert post(client, f"/contracts/{mia}/consent", {"allow": "1"}).status_code == 303
    logout(client)
    login(client, TEACHER)
    assert client.get(week_url(mia)).status_code == 200
    logout(client)
    login(client, TRAINER)
    assert post(client, f"/contracts/{mia}/consent", {"allow": "0"}).status_code == 303
    logout(client)
    login(client, TEACHER)
    assert client.get(week_url(mia)).status_code == 404
    actions = [r["action"] for r in run(AuditRecord.select(AuditRecord.action).where(AuditRecord.contract == mia, AuditRecord.subject == "consent").order_by(AuditRecord.seq))]
    assert actions == ["consent.granted", "consent.company_withdrawn"]
    row = run(ReadingConsent.select().where(ReadingConsent.contract == mia).first)
    assert row["apprentice_consented_at"] is not None and row["company_withdrawn_at"] is not None


def test_the_teacher_cosigns_and_a_later_change_of_the_school_part_voids_it(client, run):
    finn = write_and_submit(run)
    login(client, TEACHER)
    overview = client.get(f"/classes/{run(Contract.select(Contract.school_class).where(Contract.id == finn).first)['school_class']}").text
    assert "1 zur Gegenzeichnung" in overview and "Keine Einwilligung" in overview  # Finn agreed, Mia did not
    assert post(client, week_url(finn) + "/cosign").status_code == 303
    assert post(client, week_url(finn) + "/cosign").status_code == 303  # twice: still one co-sign
    assert len(signatures(run, finn, "cosign")) == 1
    assert "Schulteil gegengezeichnet" in client.get(week_url(finn)).text
    # The trainer returns it, the apprentice changes a company line: the co-sign stays valid …
    run(signing.return_week, as_user(run, TRAINER), finn, MONDAY, "Bitte Urlaub prüfen")
    apprentice = as_user(run, APPRENTICE)
    run(logbook.add_entry, apprentice, finn, MONDAY, MONDAY, "company", "Werkstatt aufgeräumt", "1:00")
    assert "ungültig: Schulteil danach geändert" not in client.get(week_url(finn)).text
    # … a changed school topic voids it visibly.
    topic = run(Entry.select(Entry.id, Entry.version).where(Entry.week.contract == finn, Entry.category == "school").first)
    run(logbook.update_entry, apprentice, finn, MONDAY, topic["id"], topic["version"], "school", "Lernfeld 6", "6:00")
    assert "ungültig: Schulteil danach geändert" in client.get(week_url(finn)).text
    run(logbook.submit_week, apprentice, finn, MONDAY)
    assert "Schulteil gegenzeichnen" in client.get(week_url(finn)).text  # offered again for the new content


# --- guardians -------------------------------------------------------------------------------------


def test_a_guardian_acknowledges_until_the_apprentice_turns_18(client, run):
    lena = write_and_submit(run, SMALL_APPRENTICE)
    login(client, GUARDIAN)
    assert "Zur Kenntnis genommen" in client.get(week_url(lena)).text
    assert post(client, week_url(lena) + "/acknowledge").status_code == 303
    assert post(client, f"/contracts/{lena}/log/acknowledge").status_code == 303  # nothing new: no second one
    [ack] = signatures(run, lena, "acknowledgement")
    assert ack["signer_role"] == "guardian"
    assert client.get(f"/contracts/{contract_of(run, APPRENTICE)}/log").status_code == 404  # not her child
    today = today_berlin()
    run(User.update({User.birth_date: today.replace(year=today.year - 18)}).where(User.email == SMALL_APPRENTICE))
    assert client.get(week_url(lena)).status_code == 404


# --- integrity -------------------------------------------------------------------------------------


@pytest.fixture
def approved_finn(client, run):
    contract = write_and_submit(run)
    run(signing.approve, as_user(run, TRAINER), contract, MONDAY)
    assert leokop("verify").returncode == 0
    return contract


def test_an_entry_edited_in_the_database_after_approval_is_reported(client, run, approved_finn):
    run(Entry.update({Entry.minutes: 300}).where(Entry.week.contract == approved_finn))
    login(client, APPRENTICE)
    page = client.get(week_url(approved_finn)).text
    assert "Warnung" in page and "nach der Abzeichnung verändert" in page and "Integrität geprüft" not in page
    result = leokop("verify")
    assert result.returncode == 1 and "nach der Abzeichnung verändert" in result.stdout


def test_an_edited_approval_is_reported(client, run, approved_finn):
    run(Signature.update({Signature.content_hash: "0" * 64}).where(Signature.contract == approved_finn))
    login(client, TRAINER)
    page = client.get(week_url(approved_finn)).text
    assert "passt nicht zu ihrem Eintrag im Prüfprotokoll" in page
    assert leokop("verify").returncode == 1


def test_a_deleted_approval_or_audit_record_is_reported(client, run, approved_finn):
    run(Signature.delete().where(Signature.contract == approved_finn))
    login(client, TRAINER)
    assert "fehlt in der Datenbank" in client.get(week_url(approved_finn)).text
    result = leokop("verify")
    assert result.returncode == 1 and "keine gültige Abzeichnung" in result.stdout
    # Deleting its audit record as well hides nothing: the week says "approved" without an approval.
    run(AuditRecord.delete().where(AuditRecord.contract == approved_finn, AuditRecord.action == "week.approved"))
    result = leokop("verify")
    assert result.returncode == 1 and "keine gültige Abzeichnung" in result.stdout


def test_a_deleted_audit_record_in_the_middle_of_the_chain_is_reported(client, run, approved_finn):
    run(AuditRecord.delete().where(AuditRecord.contract == approved_finn, AuditRecord.action == "week.submitted"))
    result = leokop("verify")
    assert result.returncode == 1 and "fehlt (gelöscht)" in result.stdout


def test_reviewer_pages_and_api_answer_per_role(client, run):
    contract = write_and_submit(run)
    for email, inbox_status in ((APPRENTICE, 403), (TEACHER, 403), (GUARDIAN, 403), (TRAINER, 200), (INSTRUCTOR, 200), (COMPANY_ADMIN, 200)):
        login(client, email)
        assert client.get("/freigaben").status_code == inbox_status, email
        assert client.get("/api/v1/inbox").status_code == inbox_status, email
        logout(client)
    login(client, APPRENTICE)
    review = client.get(f"/api/v1/contracts/{contract}/weeks/{MONDAY}/review").json()
    assert review["relation"] == "apprentice" and review["actions"] == [] and [h["action"] for h in review["history"]] == ["week.submitted"]


def test_a_nul_character_never_reaches_the_database(client, run):
    contract = contract_of(run, APPRENTICE)
    login(client, APPRENTICE)
    response = api(client, "POST", f"/api/v1/contracts/{contract}/weeks/{MONDAY}/entries", {"day": MONDAY.isoformat(), "category": "company", "text": "a\x00b", "minutes": 60})
    assert response.status_code == 422 and "Steuerzeichen" in str(response.json())
    form = post(client, week_url(contract) + "/entries", {"day": MONDAY.isoformat(), "category": "company", "text": "Schalt\x00plan", "duration": "1"})
    assert form.status_code == 303
    assert run(Entry.select(Entry.text).where(Entry.week.contract == contract).first)["text"] == "Schaltplan"


# Each demo person's relation to Finn's contract (None: the contract is not visible to them).
RELATIONS = {
    APPRENTICE: Relation.apprentice,
    TRAINER: Relation.trainer,
    INSTRUCTOR: Relation.instructor,
    COMPANY_ADMIN: Relation.company_admin,
    OTHER_TRAINER: Relation.colleague,
    TEACHER: Relation.teacher,
    GUARDIAN: None,
    SMALL_TRAINER: None,
}
ROUTE_OF = {Action.approve: "approve", Action.return_: "return", Action.reopen: "reopen", Action.cosign: "cosign", Action.acknowledge: "acknowledge"}
POLICY_OF = {Action.approve: "review.sign", Action.return_: "review.sign", Action.reopen: "review.sign", Action.cosign: "week.cosign", Action.acknowledge: "week.acknowledge"}


@pytest.mark.parametrize("week_state", ["draft", "submitted", "approved"])
def test_pages_and_api_answer_exactly_what_the_workflow_allows(client, run, week_state):
    """The walk over every signing route × person for one week state: offered actions (page and API)
    are the workflow's; a refused action answers 403 (never for this person), 409 (not in this state)
    or 404 (not visible), and changes nothing."""
    contract = contract_of(run, APPRENTICE)
    apprentice = as_user(run, APPRENTICE)
    run(logbook.set_week_status, apprentice, contract, MONDAY, "vacation", "")
    if week_state != "draft":
        run(logbook.submit_week, apprentice, contract, MONDAY)
    if week_state == "approved":
        run(signing.approve, as_user(run, TRAINER), contract, MONDAY)
    for email, relation in RELATIONS.items():
        login(client, email)
        allowed = allowed_actions(relation, week_state) if relation else frozenset()
        review = client.get(f"/api/v1/contracts/{contract}/weeks/{MONDAY}/review")
        if relation is None:
            assert review.status_code == 404, email
        else:
            assert set(review.json()["actions"]) == {a.value for a in allowed}, email
        for action, route in ROUTE_OF.items():
            if action in allowed:
                continue
            user = as_user(run, email)
            if not policy.can(user, POLICY_OF[action]):
                expected = 403
            elif relation is None:
                expected = 404
            elif week_state == "approved" and action is Action.approve and ever_allowed(relation, action):
                expected = 303  # approving an approved week again is harmless, not an error
            else:
                expected = 409 if ever_allowed(relation, action) else 403
            response = post(client, f"{week_url(contract)}/{route}", {"reason": "Grund"})
            assert response.status_code == expected, (email, action, response.status_code)
            assert state(run, contract) == week_state
        logout(client)


def test_the_class_overview_runs_the_same_queries_for_one_or_many_apprentices(client, run, count_queries):
    finn = write_and_submit(run)
    class_id = run(Contract.select(Contract.school_class).where(Contract.id == finn).first)["school_class"]
    login(client, TEACHER)
    count_queries.clear()
    assert client.get(f"/classes/{class_id}").status_code == 200
    few = len(count_queries)
    mia = write_and_submit(run, APPRENTICE_2)
    run(ReadingConsent.insert(ReadingConsent(contract=mia, apprentice_consented_at=utcnow(), updated_at=utcnow())))
    write_and_submit(run, APPRENTICE_2, monday=SECOND)
    count_queries.clear()
    page = client.get(f"/classes/{class_id}").text
    assert len(count_queries) == few, count_queries
    assert page.count("zur Gegenzeichnung") == 2 and "Keine Einwilligung" not in page


def test_start_pages_show_what_waits(client, run):
    write_and_submit(run)
    login(client, TRAINER)
    assert "1 Woche wartet" in client.get("/").text
    logout(client)
    login(client, GUARDIAN)
    page = client.get("/").text
    assert "Lena Wolf" in page and "Finn Schneider" not in page
