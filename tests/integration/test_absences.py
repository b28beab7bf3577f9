"""Absences (Fehlzeiten) through HTTP and the services: the school records, the company sees them only
with a basis and asks for an excuse, only a teacher decides; every change as history and audit
record; notifications; sick days shared from the log; the overviews; the API; bad input; scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from leokop.absences import service as absences
from leokop.absences.schemas import AbsenceIn
from leokop.absences.tables import Absence, AbsenceEvent
from leokop.accounts.tables import User
from leokop.audit import service as audit
from leokop.audit.tables import AuditRecord
from leokop.contracts.tables import Contract
from leokop.logbook import service as logbook
from leokop.notifications.tables import Notification
from leokop.organisations.tables import School, SchoolClass
from leokop.timeutil import today_berlin, utcnow
from tests.helpers import (
    APPRENTICE,
    APPRENTICE_2,
    COMPANY_ADMIN,
    GUARDIAN,
    INSTRUCTOR,
    SCHOOL_ADMIN,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TEACHER,
    TRAINER,
    TRAINER_2,
    field_error,
    login,
    logout,
    post,
)
from tests.integration.test_signing import api, as_user, contract_of, user_id

DAY = dt.date(2026, 6, 2)  # a Tuesday inside every demo contract but Emma's
MONTH = "2026-06"
OTHER_TEACHER = "julia.krueger@bs-main.example"  # teaches IM25b, not Finn's class FIA25a


def class_of(run, name: str = "FIA25a") -> int:
    return run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == name).first)["id"]


def record(run, email: str = APPRENTICE, day: dt.date = DAY, **fields) -> int:
    """An absence recorded by Finn's class teacher through the service."""
    return run(absences.record, as_user(run, TEACHER), contract_of(run, email), AbsenceIn(date=day, **fields))


def absence_row(run, absence_id: int) -> dict | None:
    return run(Absence.select().where(Absence.id == absence_id).first)


def events(run, absence_id: int) -> list[tuple[str, str]]:
    rows = run(AbsenceEvent.select(AbsenceEvent.action, AbsenceEvent.actor_name).where(AbsenceEvent.absence == absence_id).order_by(AbsenceEvent.id))
    return [(r["action"], r["actor_name"]) for r in rows]


def audit_actions(run, contract_id: int) -> list[str]:
    rows = run(AuditRecord.select(AuditRecord.action).where(AuditRecord.contract == contract_id).order_by(AuditRecord.seq))
    return [r["action"] for r in rows if r["action"].startswith("absence.")]


def notifications_of(run, email: str, kind: str) -> list[dict]:
    return run(
        Notification.select(Notification.title, Notification.url).where(Notification.user.email == email, Notification.kind == kind).order_by(Notification.id)
    )


def version(run, absence_id: int) -> str:
    return str(absence_row(run, absence_id)["version"])


# --- recording -------------------------------------------------------------------------------------


def test_the_teacher_records_an_absence_and_the_company_is_told(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, TEACHER)
    response = post(
        client,
        f"/classes/{class_of(run)}/fehlzeiten",
        {"contract_id": str(finn), "date": "02.06.2026", "scope": "lessons", "first_lesson": "3", "last_lesson": "4", "note": "Fehlte nach der Pause."},
    )
    assert response.status_code == 303
    absence_id = int(re.search(r"/fehlzeiten/(\d+)", response.headers["location"]).group(1))
    row = absence_row(run, absence_id)
    assert (row["date"], row["whole_day"], row["first_lesson"], row["last_lesson"], row["status"]) == (DAY, False, 3, 4, "open")
    assert row["note"] == "Fehlte nach der Pause." and row["version"] == 1
    assert events(run, absence_id) == [("recorded", "Dr. Thomas Berg")]
    assert audit_actions(run, finn) == ["absence.recorded"]
    page = client.get(response.headers["location"]).text
    assert "Die Fehlzeit wurde erfasst." in page and "3.–4. Stunde" in page and "Erfasst" in page
    # Finn's contract records a basis ("contract"): his trainer and instructor hear of it at once.
    for email in (TRAINER, INSTRUCTOR):
        assert notifications_of(run, email, "absence_recorded") == [{"title": "Fehlzeit von Finn am 02.06.", "url": f"/fehlzeiten/{absence_id}"}]
    assert notifications_of(run, TRAINER_2, "absence_recorded") == []  # a colleague not named on the contract
    assert run(audit.verify, finn)[1] == []


def test_the_school_admin_records_too_and_a_whole_day_needs_no_lessons(client, run):
    mia = contract_of(run, APPRENTICE_2)
    login(client, SCHOOL_ADMIN)
    response = post(client, f"/contracts/{mia}/fehlzeiten", {"date": DAY.isoformat(), "scope": "day", "first_lesson": "5"})
    assert response.status_code == 303
    [row] = run(Absence.select().where(Absence.contract == mia))
    assert row["whole_day"] and row["first_lesson"] is None and row["recorded_by"] == user_id(run, SCHOOL_ADMIN)
    # Mia's contract records no basis: nobody in the company is told.
    assert run(Notification.count().where(Notification.kind == "absence_recorded")) == 0


@pytest.mark.parametrize(
    "fields,field,text",
    [
        ({"date": "01.07.2025"}, "date", "außerhalb des Ausbildungsvertrags"),  # before Finn's start
        ({"date": (today_berlin() + dt.timedelta(days=1)).isoformat()}, "date", "an dem Tag erfasst werden, an dem sie war"),
        ({"date": "31.02.2026"}, "date", "TT.MM.JJJJ"),
        ({"date": ""}, "date", "Bitte ausfüllen"),
        ({"scope": "lessons", "first_lesson": "12", "last_lesson": "1"}, "last_lesson", "nicht vor der ersten"),
        ({"scope": "lessons", "first_lesson": "0", "last_lesson": "13"}, "first_lesson", "von 1 bis 12"),
        ({"scope": "lessons"}, "first_lesson", "Unterrichtsstunde angeben"),
        ({"scope": "lessons", "first_lesson": "drei", "last_lesson": "4"}, "first_lesson", "ganze Zahl"),
        ({"note": "x" * 301}, "note", "Höchstens 300 Zeichen"),
        ({"scope": "halber Tag"}, "scope", "angebotenen Werte"),
    ],
)
def test_bad_input_gets_a_german_message_next_to_the_field_and_keeps_what_was_typed(client, run, fields, field, text):
    finn = contract_of(run, APPRENTICE)
    login(client, TEACHER)
    form = {"contract_id": str(finn), "date": DAY.isoformat(), "scope": "day", "note": "Bitte prüfen"} | fields
    response = post(client, f"/classes/{class_of(run)}/fehlzeiten", form)
    assert response.status_code == 422
    assert text in (field_error(response.text, field) or ""), response.text[-3000:]
    if field != "note":
        assert "Bitte prüfen</textarea>" in response.text  # what was typed is kept
    assert run(Absence.count()) == 0 and run(AuditRecord.count().where(AuditRecord.action.like("absence.%"))) == 0


def test_a_second_record_of_the_same_lessons_is_refused(client, run):
    record(run, whole_day=False, first_lesson=3, last_lesson=4)
    login(client, TEACHER)
    finn = contract_of(run, APPRENTICE)
    overlapping = post(client, f"/contracts/{finn}/fehlzeiten", {"date": DAY.isoformat(), "scope": "lessons", "first_lesson": "4", "last_lesson": "6"})
    assert overlapping.status_code == 422 and "bereits eine Fehlzeit" in field_error(overlapping.text, "date")
    whole = post(client, f"/contracts/{finn}/fehlzeiten", {"date": DAY.isoformat(), "scope": "day"})
    assert whole.status_code == 422
    later = post(client, f"/contracts/{finn}/fehlzeiten", {"date": DAY.isoformat(), "scope": "lessons", "first_lesson": "5", "last_lesson": "6"})
    assert later.status_code == 303
    assert run(Absence.count()) == 2


def test_unknown_contracts_and_other_schools_apprentices_are_404(client, run):
    lena = contract_of(run, SMALL_APPRENTICE)
    other = run(School.insert(School(name="Andere Schule", state="HE", city="Kassel", created_at=utcnow())).returning(School.id))[0]["id"]
    foreign = run(SchoolClass.insert(SchoolClass(school=other, name="E25x", start_year=2025, created_at=utcnow())).returning(SchoolClass.id))[0]["id"]
    run(Contract.update({Contract.school: other, Contract.school_class: foreign}).where(Contract.id == lena))
    record_form = {"date": DAY.isoformat(), "scope": "day"}
    for email in (TEACHER, SCHOOL_ADMIN):
        login(client, email)
        assert post(client, "/contracts/999999/fehlzeiten", record_form).status_code == 404
        assert post(client, f"/contracts/{lena}/fehlzeiten", record_form).status_code == 404
        assert client.get(f"/contracts/{lena}/fehlzeiten").status_code == 404
        assert client.get(f"/classes/{foreign}/fehlzeiten").status_code == 404
        assert post(client, f"/classes/{class_of(run)}/fehlzeiten", {"contract_id": str(lena), **record_form}).status_code == 404
        assert api(client, "POST", f"/api/v1/contracts/{lena}/absences", {"date": DAY.isoformat()}).status_code == 404
        logout(client)
    # A teacher of the school who does not teach Finn's class sees none of it.
    absence_id = record(run)
    login(client, OTHER_TEACHER)
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 404
    assert post(client, f"/contracts/{contract_of(run, APPRENTICE)}/fehlzeiten", record_form).status_code == 404
    page = client.get(f"/classes/{class_of(run)}/fehlzeiten?monat={MONTH}")
    assert page.status_code == 200 and "Finn Schneider" not in page.text and "Sie unterrichten sie nicht" in page.text
    assert run(Absence.count()) == 1


def test_recording_needs_no_reading_consent(client, run):
    """Mia did not let the school read her log; her attendance is the school's own record."""
    mia = contract_of(run, APPRENTICE_2)
    login(client, TEACHER)
    assert client.get(f"/contracts/{mia}/log").status_code == 404
    assert post(client, f"/contracts/{mia}/fehlzeiten", {"date": DAY.isoformat(), "scope": "day"}).status_code == 303


# --- the company's view and its basis -------------------------------------------------------------


def test_a_trainer_without_basis_sees_nothing_and_the_page_says_why(client, run):
    absence_id = record(run, APPRENTICE_2)  # Mia: no basis recorded
    mia = contract_of(run, APPRENTICE_2)
    login(client, TRAINER)
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 404
    assert api(client, "GET", f"/api/v1/absences/{absence_id}").status_code == 404
    assert api(client, "GET", f"/api/v1/contracts/{mia}/absences").status_code == 404
    assert post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "1", "reason": "sick", "intent": "request"}).status_code == 404
    page = client.get(f"/contracts/{mia}/fehlzeiten")
    assert page.status_code == 200 and "Sie sehen keine Fehlzeiten von Mia Yilmaz" in page.text and "02.06.2026" not in page.text
    overview = client.get(f"/fehlzeiten?monat={MONTH}").text
    assert "Nicht zu sehen:</strong> Mia Yilmaz" in overview and f"/fehlzeiten/{absence_id}" not in overview
    assert notifications_of(run, TRAINER, "absence_recorded") == []
    assert run(Absence.select(Absence.status).where(Absence.id == absence_id).first)["status"] == "open"


def test_company_staff_see_only_their_own_apprentices(client, run):
    absence_id = record(run)  # Finn: basis "contract"
    login(client, SMALL_TRAINER)
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 404
    assert "Finn" not in client.get("/fehlzeiten").text
    logout(client)
    login(client, TRAINER_2)  # same company, not named on Finn's contract
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 404
    logout(client)
    login(client, COMPANY_ADMIN)  # the company's admin sees all of the company's
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 200
    logout(client)
    login(client, APPRENTICE_2)  # a fellow apprentice
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 404


def test_the_company_records_its_basis_and_every_change_is_audited(client, run):
    mia = contract_of(run, APPRENTICE_2)
    login(client, TRAINER)
    page = client.get(f"/contracts/{mia}").text
    assert "Grundlage festhalten" in page and "Einwilligung der/des Auszubildenden" in page
    assert post(client, f"/contracts/{mia}/absence-basis", {}).status_code == 303  # an empty form changes nothing
    assert post(client, f"/contracts/{mia}/absence-basis", {"absence_basis": "consent"}).status_code == 303
    assert post(client, f"/contracts/{mia}/absence-basis", {"absence_basis": "consent"}).status_code == 303  # same again: no record
    assert run(Contract.select(Contract.absence_basis).where(Contract.id == mia).first)["absence_basis"] == "consent"
    record_ = run(AuditRecord.select(AuditRecord.payload).where(AuditRecord.contract == mia, AuditRecord.action == "absence.basis_changed"))
    assert len(record_) == 1 and '"from":""' in record_[0]["payload"] and '"to":"consent"' in record_[0]["payload"]
    absence_id = record(run, APPRENTICE_2)
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 200
    assert post(client, f"/contracts/{mia}/absence-basis", {"absence_basis": "none"}).status_code == 303
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 404
    assert audit_actions(run, mia) == ["absence.basis_changed", "absence.recorded", "absence.basis_changed"]
    logout(client)
    login(client, APPRENTICE_2)
    assert post(client, f"/contracts/{mia}/absence-basis", {"absence_basis": "contract"}).status_code == 403
    assert "Grundlage festhalten" not in client.get(f"/contracts/{mia}").text
    logout(client)
    login(client, SMALL_TRAINER)
    assert post(client, f"/contracts/{mia}/absence-basis", {"absence_basis": "contract"}).status_code == 404


def test_for_a_minor_the_consent_is_the_guardians(client, run):
    login(client, SMALL_TRAINER)
    page = client.get(f"/contracts/{contract_of(run, SMALL_APPRENTICE)}").text
    assert "Einwilligung der Erziehungsberechtigten" in page and "Einwilligung der/des Auszubildenden" not in page


# --- the company answers, the teacher decides ----------------------------------------------------------


def test_the_trainer_asks_for_an_excuse_and_the_teacher_excuses_it(client, run):
    finn = contract_of(run, APPRENTICE)
    absence_id = record(run)
    login(client, TRAINER)
    page = client.get(f"/fehlzeiten/{absence_id}").text
    assert "Entschuldigung anfordern" in page and "Entschuldigt</button>" not in page
    response = post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "1", "reason": "sick", "note": "Krankmeldung liegt vor.", "intent": "request"})
    assert response.status_code == 303 and "erledigt=gemeldet" in response.headers["location"]
    row = absence_row(run, absence_id)
    assert (row["status"], row["company_reason"], row["company_note"], row["version"]) == ("excuse_requested", "sick", "Krankmeldung liegt vor.", 2)
    [reply] = notifications_of(run, TEACHER, "absence_reply")
    assert reply["title"] == "Entschuldigung angefordert: Fehlzeit von Finn am 02.06." and notifications_of(run, OTHER_TEACHER, "absence_reply") == []
    # Asking twice is refused with the reason; the company may still correct its reason.
    again = post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "2", "reason": "sick", "intent": "request"})
    assert again.status_code == 409 and "bereits eine Entschuldigung angefordert" in again.text
    assert post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "2", "reason": "company_assignment", "intent": "reason"}).status_code == 303
    logout(client)

    login(client, TEACHER)
    page = client.get(f"/fehlzeiten/{absence_id}").text
    assert "Der Betrieb bittet um eine Entschuldigung." in page and "betrieblicher Einsatz" in page
    response = post(client, f"/fehlzeiten/{absence_id}/decide", {"version": "3", "decision": "excused", "comment": "Attest liegt vor."})
    assert response.status_code == 303
    assert absence_row(run, absence_id)["status"] == "excused"
    assert post(client, f"/fehlzeiten/{absence_id}/decide", {"version": "3", "decision": "excused"}).status_code == 303  # a second tap: no change
    assert absence_row(run, absence_id)["version"] == 4
    assert notifications_of(run, APPRENTICE, "absence_decided") == [{"title": "Fehlzeit am 02.06.: entschuldigt", "url": f"/fehlzeiten/{absence_id}"}]
    assert events(run, absence_id) == [
        ("recorded", "Dr. Thomas Berg"),
        ("excuse_requested", "Markus Weber"),
        ("reason_reported", "Markus Weber"),
        ("excused", "Dr. Thomas Berg"),
    ]
    assert audit_actions(run, finn) == ["absence.recorded", "absence.excuse_requested", "absence.reason_reported", "absence.excused"]
    assert run(audit.verify, finn)[1] == []
    logout(client)

    # Decided: the company can no longer change anything (409), the apprentice reads it all.
    login(client, INSTRUCTOR)
    late = post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "4", "reason": "sick", "intent": "reason"})
    assert late.status_code == 409 and "bereits entschieden" in late.text
    logout(client)
    login(client, APPRENTICE)
    history = client.get(f"/contracts/{finn}/fehlzeiten").text
    for text in ("entschuldigt", "Entschuldigung angefordert", "Markus Weber", "Attest liegt vor.", "Krankmeldung liegt vor.", "Dr. Thomas Berg"):
        assert text in history, text


def test_the_teacher_corrects_a_decision_and_it_is_logged(client, run):
    absence_id = record(run)
    teacher = as_user(run, TEACHER)
    run(absences.decide, teacher, absence_id, 1, "excused")
    login(client, TEACHER)
    page = client.get(f"/fehlzeiten/{absence_id}").text
    assert "Entscheidung ändern" in page and 'value="unexcused"' in page and 'value="excused"' not in page
    assert post(client, f"/fehlzeiten/{absence_id}/decide", {"version": "2", "decision": "unexcused"}).status_code == 303
    assert absence_row(run, absence_id)["status"] == "unexcused"
    assert [a for a, _ in events(run, absence_id)] == ["recorded", "excused", "unexcused"]
    assert len(notifications_of(run, APPRENTICE, "absence_decided")) == 2


@pytest.mark.parametrize("email", [TRAINER, APPRENTICE, SCHOOL_ADMIN, INSTRUCTOR, COMPANY_ADMIN])
def test_only_teachers_decide(client, run, email):
    absence_id = record(run)
    login(client, email)
    response = post(client, f"/fehlzeiten/{absence_id}/decide", {"version": "1", "decision": "excused"})
    assert response.status_code == 403
    assert api(client, "POST", f"/api/v1/absences/{absence_id}/decide", {"version": 1, "decision": "excused"}).status_code == 403
    assert absence_row(run, absence_id)["status"] == "open"


def test_the_school_cannot_answer_for_the_company_nor_the_apprentice_for_anyone(client, run):
    absence_id = record(run)
    for email in (TEACHER, SCHOOL_ADMIN, APPRENTICE):
        login(client, email)
        assert post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "1", "reason": "sick", "intent": "request"}).status_code == 403
        logout(client)
    login(client, APPRENTICE)
    assert post(client, f"/fehlzeiten/{absence_id}/correct", {"version": "1", "date": DAY.isoformat()}).status_code == 403
    assert post(client, f"/fehlzeiten/{absence_id}/delete", {"version": "1"}).status_code == 403
    assert absence_row(run, absence_id)["version"] == 1


def test_a_stale_page_gets_409_and_sees_what_changed(client, run):
    absence_id = record(run)
    run(absences.respond, as_user(run, TRAINER), absence_id, 1, "sick", "", False)  # version 2 now
    login(client, TEACHER)
    stale = post(client, f"/fehlzeiten/{absence_id}/decide", {"version": "1", "decision": "unexcused"})
    assert stale.status_code == 409 and "inzwischen von jemand anderem geändert" in stale.text and "krank" in stale.text
    assert absence_row(run, absence_id)["status"] == "open"
    assert post(client, f"/fehlzeiten/{absence_id}/correct", {"version": "1", "date": DAY.isoformat(), "scope": "day"}).status_code == 409
    assert post(client, f"/fehlzeiten/{absence_id}/delete", {"version": "1"}).status_code == 409
    assert api(client, "POST", f"/api/v1/absences/{absence_id}/decide", {"version": 1, "decision": "excused"}).json()["code"] == "absence_changed_elsewhere"
    assert absence_row(run, absence_id)["version"] == 2


def test_the_company_must_name_a_reason_unless_it_asks_for_an_excuse(client, run):
    absence_id = record(run)
    login(client, TRAINER)
    response = post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "1", "note": "Bitte melden", "intent": "reason"})
    assert response.status_code == 422 and field_error(response.text.replace('id="r-', 'id="f-'), "reason") == "Bitte einen Grund wählen."
    assert "Bitte melden</textarea>" in response.text
    bad = post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "1", "reason": "urlaub", "intent": "reason"})
    assert bad.status_code == 422
    assert post(client, f"/fehlzeiten/{absence_id}/respond", {"version": "1", "intent": "request"}).status_code == 303
    assert absence_row(run, absence_id)["status"] == "excuse_requested"


# --- correcting and deleting ------------------------------------------------------------------------


def test_the_teacher_corrects_and_deletes_a_mistaken_record(client, run):
    finn = contract_of(run, APPRENTICE)
    absence_id = record(run)
    login(client, TEACHER)
    bad = post(client, f"/fehlzeiten/{absence_id}/correct", {"version": "1", "date": DAY.isoformat(), "scope": "lessons", "first_lesson": "6", "last_lesson": "2"})
    assert bad.status_code == 422 and "nicht vor der ersten" in bad.text and 'id="c-last_lesson-error"' in bad.text
    assert absence_row(run, absence_id)["whole_day"]
    ok = post(client, f"/fehlzeiten/{absence_id}/correct", {"version": "1", "date": "03.06.2026", "scope": "lessons", "first_lesson": "1", "last_lesson": "2", "note": "korrigiert"})
    assert ok.status_code == 303
    row = absence_row(run, absence_id)
    assert (row["date"], row["first_lesson"], row["last_lesson"], row["note"]) == (dt.date(2026, 6, 3), 1, 2, "korrigiert")
    page = client.get(f"/fehlzeiten/{absence_id}").text
    assert "Korrigiert" in page and "vorher: 02.06.2026, ganzer Tag" in page
    deleted = post(client, f"/fehlzeiten/{absence_id}/delete", {"version": "2"})
    assert deleted.status_code == 303 and deleted.headers["location"] == f"/contracts/{finn}/fehlzeiten?geloescht=1"
    assert absence_row(run, absence_id) is None and events(run, absence_id) == []
    assert audit_actions(run, finn) == ["absence.recorded", "absence.corrected", "absence.deleted"]
    payload = run(AuditRecord.select(AuditRecord.payload).where(AuditRecord.action == "absence.deleted").first)["payload"]
    assert '"date":"2026-06-03"' in payload and '"status":"open"' in payload
    assert run(audit.verify, finn)[1] == []
    assert client.get(f"/fehlzeiten/{absence_id}").status_code == 404


# --- guardians and minors ------------------------------------------------------------------------------


def test_the_guardian_of_a_minor_reads_and_hears_of_decisions(client, run):
    lena = contract_of(run, SMALL_APPRENTICE)
    run(Contract.update({Contract.school_class: class_of(run)}).where(Contract.id == lena))
    absence_id = record(run, SMALL_APPRENTICE)
    run(absences.decide, as_user(run, TEACHER), absence_id, 1, "unexcused")
    assert notifications_of(run, GUARDIAN, "absence_decided") == [{"title": "Fehlzeit am 02.06.: unentschuldigt (Lena)", "url": f"/fehlzeiten/{absence_id}"}]
    login(client, GUARDIAN)
    start = client.get("/fehlzeiten", follow_redirects=False)
    assert start.status_code == 303 and start.headers["location"] == f"/contracts/{lena}/fehlzeiten"
    page = client.get(f"/contracts/{lena}/fehlzeiten").text
    assert "unentschuldigt" in page and "Bearbeiten" not in page
    detail = client.get(f"/fehlzeiten/{absence_id}").text
    assert "unentschuldigt" in detail and not any(f"/fehlzeiten/{absence_id}/{a}" in detail for a in ("decide", "respond", "correct", "delete"))
    assert post(client, f"/fehlzeiten/{absence_id}/decide", {"version": "2", "decision": "excused"}).status_code == 403


# --- sick days from the log -------------------------------------------------------------------------------


def sick_tuesday(run, email: str = APPRENTICE) -> int:
    """Finn's week of 1 June: Monday at school, Tuesday sick, the rest vacation; submitted."""
    apprentice = as_user(run, email)
    contract = contract_of(run, email)
    monday = DAY - dt.timedelta(days=1)
    run(logbook.set_week_status, apprentice, contract, monday, "vacation", "")
    run(logbook.set_day_status, apprentice, contract, monday, monday, "school", "")
    run(logbook.add_entry, apprentice, contract, monday, monday, "school", "Lernfeld 5", "6:00")
    run(logbook.set_day_status, apprentice, contract, monday, DAY, "sick", "")
    run(logbook.submit_week, apprentice, contract, monday)
    return contract


def test_sick_days_from_the_log_reach_the_school_only_when_shared(client, run):
    finn = sick_tuesday(run)
    login(client, TEACHER)
    overview = f"/classes/{class_of(run)}/fehlzeiten?monat={MONTH}"
    assert "krank gemeldet (Betrieb)</span>" not in client.get(overview).text
    logout(client)
    login(client, APPRENTICE)
    assert post(client, f"/contracts/{finn}/sick-days", {}).status_code == 303  # an empty form changes nothing
    assert not run(Contract.select(Contract.share_sick_days).where(Contract.id == finn).first)["share_sick_days"]
    assert post(client, f"/contracts/{finn}/sick-days", {"share": "1"}).status_code == 303
    assert audit_actions(run, finn) == ["absence.sick_days_shared"]
    logout(client)
    login(client, TEACHER)
    page = client.get(overview).text
    assert "Finn Schneider · Di, 02.06.2026</strong> <span class=\"badge badge-muted\">krank gemeldet (Betrieb)" in page
    row = re.search(r"<th scope=\"row\"[^>]*><a href=\"/contracts/%d/fehlzeiten\">Finn Schneider</a></th>(.*?)</tr>" % finn, page, re.S).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", row)[-1] == "1"
    assert "Di, 02.06.2026" in client.get(f"/contracts/{finn}/fehlzeiten").text
    # Read from the log, never copied: a corrected log corrects what the school sees.
    logout(client)
    run(logbook.Week.update({logbook.Week.state: "returned"}).where(logbook.Week.contract == finn))
    run(logbook.set_day_status, as_user(run, APPRENTICE), finn, DAY - dt.timedelta(days=1), DAY, "company", "")
    login(client, TEACHER)
    assert "krank gemeldet (Betrieb)</span>" not in client.get(overview).text
    logout(client)
    login(client, TRAINER)  # the company may stop it too
    assert post(client, f"/contracts/{finn}/sick-days", {"share": "0"}).status_code == 303
    assert audit_actions(run, finn) == ["absence.sick_days_shared", "absence.sick_days_unshared"]


# --- overviews and their queries ---------------------------------------------------------------------


def test_the_class_overview_counts_per_apprentice(client, run):
    record(run)  # Finn, whole day
    record(run, day=DAY + dt.timedelta(days=1), whole_day=False, first_lesson=1, last_lesson=3)
    excused = record(run, APPRENTICE_2)
    run(absences.decide, as_user(run, TEACHER), excused, 1, "excused")
    record(run, day=dt.date(2026, 5, 5))  # another month
    login(client, TEACHER)
    page = client.get(f"/classes/{class_of(run)}/fehlzeiten?monat={MONTH}").text
    cells = {
        name: re.findall(r"<td[^>]*>(.*?)</td>", row)
        for name, row in re.findall(r'<th scope="row"[^>]*><a href="/contracts/\d+/fehlzeiten">([^<]+)</a></th>(.*?)</tr>', page, re.S)
    }
    assert cells["Finn Schneider"] == ["1", "3", '<span class="badge badge-warn">2</span>', "–", "–", "–"]
    assert cells["Mia Yilmaz"] == ["1", "–", "–", "1", "–", "–"]
    assert "Juni 2026" in page and 'href="/classes/%d/fehlzeiten?monat=2026-05"' % class_of(run) in page
    assert "05.05.2026" not in page
    month = api(client, "GET", f"/api/v1/classes/{class_of(run)}/absences?month={MONTH}").json()
    assert [(r["apprentice_name"], r["whole_days"], r["lessons"], r["undecided"]) for r in month["rows"]] == [("Finn Schneider", 1, 3, 2), ("Mia Yilmaz", 1, 0, 0)]


def test_pages_run_the_same_queries_for_one_or_many_absences(client, run, count_queries):
    finn = contract_of(run, APPRENTICE)
    first = record(run)
    pages = {
        TEACHER: [f"/classes/{class_of(run)}/fehlzeiten?monat={MONTH}", f"/contracts/{finn}/fehlzeiten", f"/fehlzeiten/{first}", "/fehlzeiten"],
        TRAINER: [f"/fehlzeiten?monat={MONTH}", f"/contracts/{finn}/fehlzeiten"],
        APPRENTICE: [f"/contracts/{finn}/fehlzeiten"],
    }

    def counts() -> dict[str, int]:
        result = {}
        for email, urls in pages.items():
            login(client, email)
            for url in urls:
                count_queries.clear()
                assert client.get(url).status_code == 200, url
                result[f"{email} {url}"] = len(count_queries)
            logout(client)
        return result

    run(Contract.update({Contract.share_sick_days: True}, force=True))  # its sick days are one more query
    few = counts()
    for offset in range(1, 8):
        absence_id = record(run, day=DAY + dt.timedelta(days=offset))
        run(absences.respond, as_user(run, TRAINER), absence_id, 1, "sick", "", True)
    record(run, APPRENTICE_2)
    sick_tuesday(run, APPRENTICE_2)
    sick_tuesday(run)
    run(absences.respond, as_user(run, TRAINER), first, 1, "sick", "", False)
    many = counts()
    assert many == few, (few, many)
    assert max(many.values()) <= 6, many


# --- the API ----------------------------------------------------------------------------------------------


def test_the_api_lists_records_and_decides(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, TEACHER)
    created = api(client, "POST", f"/api/v1/contracts/{finn}/absences", {"date": DAY.isoformat(), "whole_day": False, "first_lesson": 2, "last_lesson": 2})
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["first_lesson"], body["version"]) == ("open", 2, 1)
    assert set(body["actions"]) == {"correct", "delete", "excuse", "unexcuse"}
    bad = api(client, "POST", f"/api/v1/contracts/{finn}/absences", {"date": DAY.isoformat(), "whole_day": False, "first_lesson": 5, "last_lesson": 3})
    assert bad.status_code == 422 and bad.json()["errors"] == {"last_lesson": "Die letzte Stunde darf nicht vor der ersten liegen."}
    assert api(client, "POST", f"/api/v1/contracts/{finn}/absences", {"date": DAY.isoformat(), "first_lesson": 13}).status_code == 400
    assert api(client, "POST", "/api/v1/contracts/999999/absences", {"date": DAY.isoformat()}).status_code == 404
    logout(client)
    login(client, TRAINER)
    answered = api(client, "POST", f"/api/v1/absences/{body['id']}/respond", {"version": 1, "reason": "company_assignment", "request_excuse": True})
    assert answered.status_code == 200 and answered.json()["status"] == "excuse_requested" and answered.json()["actions"] == ["report_reason"]
    listed = api(client, "GET", f"/api/v1/contracts/{finn}/absences").json()
    assert [a["status"] for a in listed["absences"]] == ["excuse_requested"]
    assert [h["action"] for h in listed["absences"][0]["history"]] == ["recorded", "excuse_requested"]
    logout(client)
    login(client, TEACHER)
    decided = api(client, "POST", f"/api/v1/absences/{body['id']}/decide", {"version": 2, "decision": "excused", "comment": "ok"})
    assert decided.status_code == 200 and decided.json()["status"] == "excused"
    assert [h["action"] for h in decided.json()["history"]] == ["recorded", "excuse_requested", "excused"]
    schema = client.get("/schema/openapi.json").json()
    assert {"/api/v1/contracts/{contract_id}/absences", "/api/v1/absences/{absence_id}/decide", "/api/v1/classes/{class_id}/absences"} <= set(schema["paths"])


# --- navigation ---------------------------------------------------------------------------------------------


def test_everyone_finds_absences_in_the_navigation_and_the_apprentice_on_the_contract(client, run):
    for email in (TEACHER, SCHOOL_ADMIN, TRAINER, INSTRUCTOR, GUARDIAN):
        login(client, email)
        assert '<a href="/fehlzeiten"' in client.get("/account").text, email
        logout(client)
    login(client, APPRENTICE)
    finn = contract_of(run, APPRENTICE)
    assert '<a href="/fehlzeiten"' not in client.get("/account").text
    assert f'<a href="/contracts/{finn}/fehlzeiten">Fehlzeiten ansehen</a>' in client.get(f"/contracts/{finn}").text
    logout(client)
    login(client, TEACHER)
    start = client.get("/fehlzeiten").text
    assert "Klasse FIA25a" in start and "IM25b" not in start
    record_id = record(run)
    run(absences.respond, as_user(run, TRAINER), record_id, 1, "sick", "", True)
    assert "1 Entschuldigung angefordert" in client.get("/fehlzeiten").text
    assert run(User.count().where(User.email == TEACHER)) == 1


# --- the teachers' daily digest ---------------------------------------------------------------------------

UTC = dt.timezone.utc
FRIDAY_AFTERNOON = dt.datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
SATURDAY = dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
MONDAY_MORNING = dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 9:00 in Berlin


def digests(run, email: str = TEACHER) -> list[tuple[str, str, str]]:
    rows = run(
        Notification.select(Notification.title, Notification.body, Notification.url)
        .where(Notification.user.email == email, Notification.kind == "class_digest")
        .order_by(Notification.id)
    )
    return [(r["title"], r["body"], r["url"]) for r in rows]


def test_company_replies_since_friday_reach_mondays_digest_once(client, run):
    from leokop.notifications.reminders import write_due_reminders

    absence_id = record(run)
    run(absences.respond, as_user(run, TRAINER), absence_id, 1, "sick", "", True)
    run(AbsenceEvent.update({AbsenceEvent.created_at: FRIDAY_AFTERNOON}, force=True))
    run(write_due_reminders, MONDAY_MORNING)
    assert digests(run) == [("Neue Fehlzeiten in Ihren Klassen", "1 Rückmeldung von Betrieben.", "/fehlzeiten")]
    assert digests(run, OTHER_TEACHER) == []
    assert run(write_due_reminders, MONDAY_MORNING + dt.timedelta(hours=2)) == 0  # written once a day
    run(write_due_reminders, MONDAY_MORNING + dt.timedelta(days=1))  # Tuesday: nothing new since Monday
    assert len(digests(run)) == 1


def test_shared_sick_days_join_the_digest_of_new_weeks(client, run):
    from leokop.logbook.tables import Week
    from leokop.notifications.reminders import write_due_reminders

    finn = sick_tuesday(run)  # Finn lets the school read his log: his week is news, too
    run(Week.update({Week.submitted_at: SATURDAY}).where(Week.contract == finn))
    run(write_due_reminders, MONDAY_MORNING)
    assert digests(run) == [("1 neu eingereichte Woche in Ihren Klassen", "", "/classes")]  # sick days not shared

    run(Notification.delete().where(Notification.kind == "class_digest"))
    run(Contract.update({Contract.share_sick_days: True}).where(Contract.id == finn))
    absence_id = record(run)
    run(absences.respond, as_user(run, INSTRUCTOR), absence_id, 1, "company_assignment", "", False)
    run(AbsenceEvent.update({AbsenceEvent.created_at: SATURDAY}, force=True))
    run(write_due_reminders, MONDAY_MORNING)
    assert digests(run) == [
        ("1 neu eingereichte Woche in Ihren Klassen", "Neue Fehlzeiten: 1 Rückmeldung von Betrieben, 1 Krankheitstag (Betrieb).", "/classes")
    ]
    [spread] = run(Notification.select(Notification.push_not_before).where(Notification.kind == "class_digest"))
    assert MONDAY_MORNING <= spread["push_not_before"] <= MONDAY_MORNING + dt.timedelta(minutes=5)


def test_numbers_no_database_can_hold_are_not_found_never_a_server_error(client, run):
    """Ids and versions far beyond any real one (typed into the address, forged in a form) and months
    far off: the drivers refuse the number, the page says not found or shows this month."""
    huge = "99999999999999999999"
    absence_id = record(run)
    login(client, TEACHER)
    for url in (f"/fehlzeiten/{huge}", f"/contracts/{huge}/fehlzeiten", f"/classes/{huge}/fehlzeiten", f"/api/v1/absences/{huge}", f"/fehlzeiten/{2**40}"):
        assert client.get(url).status_code == 404, url
    assert post(client, f"/classes/{class_of(run)}/fehlzeiten", {"contract_id": huge, "date": DAY.isoformat()}).status_code == 404
    assert post(client, f"/fehlzeiten/{absence_id}/decide", {"version": huge, "decision": "excused"}).status_code == 409
    for month in ("0001-01", "9999-12", "2026-13", "x"):
        page = client.get(f"/classes/{class_of(run)}/fehlzeiten?monat={month}")
        assert page.status_code == 200 and today_berlin().strftime("%Y") in page.text, month
    assert absence_row(run, absence_id)["version"] == 1
