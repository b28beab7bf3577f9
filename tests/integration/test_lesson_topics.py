"""Lesson topics over HTTP: the teacher publishes, changes and deletes a class's topics; the
apprentices' logs are prefilled without ever overwriting what they wrote; bad input, scope (other
school, other class, other roles), the JSON API, notifications and query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract
from leokop.lesson_topics.tables import LessonTopic, TopicPrefill
from leokop.logbook import service as logbook
from leokop.logbook.tables import Entry, Week
from leokop.notifications.tables import Notification
from leokop.organisations.tables import School, SchoolClass
from leokop.school_calendar.tables import PlanItem, SchoolPeriod
from leokop.timeutil import utcnow
from tests.helpers import APPRENTICE, APPRENTICE_2, SCHOOL_ADMIN, TEACHER, TRAINER, csrf_token, login, logout, post
from tests.integration.test_signing import as_user, contract_of, week_url, write_and_submit

MONDAY = dt.date(2026, 6, 8)  # KW 24: no holiday in Hessen, before the summer holidays
TUESDAY, WEDNESDAY, THURSDAY = (MONDAY + dt.timedelta(days=n) for n in (1, 2, 3))
LF5 = "LF 5 Software zur Verwaltung von Daten anpassen"
OTHER_CLASS_TEACHER = "julia.krueger@bs-main.example"  # teaches IM25b, not FIA25a


def fia(run) -> int:
    return run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "FIA25a").first)["id"]


def school_on_tuesday_and_thursday(run, class_id: int) -> None:
    run(
        SchoolPeriod.insert(
            SchoolPeriod(school_class=class_id, kind="weekly", start_date=dt.date(2026, 1, 5), end_date=dt.date(2026, 12, 18),
                         weekdays="24", created_at=utcnow())
        )
    )


@pytest.fixture
def fia_class(client, run) -> int:
    class_id = fia(run)
    school_on_tuesday_and_thursday(run, class_id)
    return class_id


def topics_url(class_id: int, monday: dt.date = MONDAY) -> str:
    return f"/classes/{class_id}/topics/{monday.isoformat()}"


def publish(client, class_id: int, rows: list[dict], monday: dt.date = MONDAY):
    """The publish form with one or more rows (each row sends subject, text, duration and day)."""
    form = {field: [row.get(field, "") for row in rows] for field in ("subject", "text", "duration", "day")}
    return post(client, topics_url(class_id, monday), form)


def row(text: str = "Daten mit SQL abfragen", duration: str = "4:30", day: dt.date | None = None, subject: str = LF5) -> dict:
    return {"subject": subject, "text": text, "duration": duration, "day": day.isoformat() if day else ""}


def school_entries(run, email: str, monday: dt.date = MONDAY) -> list[dict]:
    return run(
        Entry.select(Entry.id, Entry.day, Entry.text, Entry.minutes, Entry.category, Entry.origin, Entry.version)
        .where(Entry.week.contract.apprentice.email == email, Entry.week.monday == monday, Entry.origin == "school")
        .order_by(Entry.id)
    )


def topic_id(run, text_part: str = "") -> int:
    return run(LessonTopic.select(LessonTopic.id).where(LessonTopic.text.like(f"%{text_part}%")).first)["id"]


def topic_version(run, topic: int) -> int:
    return run(LessonTopic.select(LessonTopic.version).where(LessonTopic.id == topic).first)["version"]


def change(client, run, class_id: int, topic: int, monday: dt.date = MONDAY, **fields):
    values = {**row(), "version": str(topic_version(run, topic)), **fields}
    return post(client, f"{topics_url(class_id, monday)}/{topic}", values)


def query(url: str) -> dict[str, str]:
    return dict(re.findall(r"[?&]([^=&]+)=([^&]*)", url))


# --- publishing and the prefill ------------------------------------------------------------------


def test_the_teacher_publishes_and_every_log_of_the_class_is_prefilled(client, run, fia_class):
    login(client, TEACHER)
    page = client.get(topics_url(fia_class))
    assert page.status_code == 200 and "Unterrichtsthemen FIA25a" in page.text
    assert "Di, 09.06. (Schultag)" in page.text and LF5 in page.text and "Politik und Wirtschaft" in page.text
    response = publish(client, fia_class, [row(), row("Rechte und Pflichten im Ausbildungsvertrag", "1:30", THURSDAY, "Politik und Wirtschaft")])
    assert response.status_code == 303, response.text
    assert query(response.headers["location"]) == {"erledigt": "veroeffentlicht", "eingetragen": "2"}
    for email in (APPRENTICE, APPRENTICE_2):
        entries = school_entries(run, email)
        assert [(e["day"], e["text"], e["minutes"], e["category"]) for e in entries] == [
            (TUESDAY, "LF 5: Daten mit SQL abfragen", 270, "school"),
            (THURSDAY, "Politik und Wirtschaft: Rechte und Pflichten im Ausbildungsvertrag", 90, "school"),
        ]
    assert run(Week.select(Week.state).where(Week.contract == contract_of(run, APPRENTICE), Week.monday == MONDAY).first)["state"] == "draft"
    assert run(TopicPrefill.count()) == 4
    page = client.get(response.headers["location"]).text
    assert "Veröffentlicht. 2 Nachweise aktualisiert." in page and "Rechte und Pflichten im Ausbildungsvertrag" in page
    # One notification per apprentice and week, however many topics.
    finn = run(User.select(User.id).where(User.email == APPRENTICE).first)["id"]
    notes = run(Notification.select(Notification.title, Notification.url, Notification.kind).where(Notification.user == finn))
    assert notes == [{"title": "Neue Unterrichtsthemen für KW 24", "url": week_url(contract_of(run, APPRENTICE), MONDAY), "kind": "topics_published"}]
    publish(client, fia_class, [row("Noch ein Thema", "1:00", WEDNESDAY)])
    assert run(Notification.count().where(Notification.user == finn)) == 1


def test_everyone_who_reads_the_log_sees_the_mark_and_the_apprentice_can_edit_the_entry(client, run, fia_class):
    login(client, TEACHER)
    publish(client, fia_class, [row()])
    contract = contract_of(run, APPRENTICE)
    for email in (APPRENTICE, TRAINER, TEACHER):  # Finn agreed that the school may read his log
        logout(client)
        login(client, email)
        page = client.get(week_url(contract, MONDAY)).text
        assert page.count("von der Schule</span>") == 1 and "LF 5: Daten mit SQL abfragen" in page, email
    logout(client)
    login(client, APPRENTICE)
    [entry] = school_entries(run, APPRENTICE)
    saved = post(client, f"{week_url(contract, MONDAY)}/entries/{entry['id']}",
                 {"category": "school", "text": "LF 5: SQL – Joins geübt", "duration": "4:30", "version": "1", "day": TUESDAY.isoformat()})
    assert saved.status_code == 303
    assert school_entries(run, APPRENTICE)[0]["text"] == "LF 5: SQL – Joins geübt"
    week = client.get(f"/api/v1/contracts/{contract}/weeks/{MONDAY.isoformat()}").json()
    assert [e["origin"] for e in week["entries"]] == ["school"]


def test_a_change_reaches_only_untouched_prefills_and_deleted_ones_stay_deleted(client, run, fia_class):
    login(client, TEACHER)
    publish(client, fia_class, [row()])
    topic = topic_id(run)
    finn, mia = school_entries(run, APPRENTICE)[0], school_entries(run, APPRENTICE_2)[0]
    # Finn rewrites his entry; Mia deletes hers.
    run(logbook.update_entry, as_user(run, APPRENTICE), contract_of(run, APPRENTICE), MONDAY, finn["id"], 1, "school", "Mein eigener Text", "4:00")
    run(logbook.delete_entry, as_user(run, APPRENTICE_2), contract_of(run, APPRENTICE_2), MONDAY, mia["id"], 1)
    response = change(client, run, fia_class, topic, text="Daten mit SQL abfragen und gruppieren", duration="5")
    assert response.status_code == 303
    assert query(response.headers["location"]) == {"erledigt": "geaendert", "eigene": "2"}
    assert [e["text"] for e in school_entries(run, APPRENTICE)] == ["Mein eigener Text"]
    assert school_entries(run, APPRENTICE_2) == []
    page = client.get(response.headers["location"]).text
    assert "2 Nachweise behalten den eigenen Text der Auszubildenden" in page


def test_an_untouched_prefill_follows_every_change_and_a_deletion_takes_it_back(client, run, fia_class):
    login(client, TEACHER)
    publish(client, fia_class, [row()])
    topic = topic_id(run)
    untouched = school_entries(run, APPRENTICE)[0]
    change(client, run, fia_class, topic, text="Gruppieren", day=THURSDAY.isoformat(), duration="3")
    [moved] = school_entries(run, APPRENTICE)
    assert (moved["id"], moved["day"], moved["text"], moved["minutes"], moved["version"]) == (untouched["id"], THURSDAY, "LF 5: Gruppieren", 180, 2)
    change(client, run, fia_class, topic, text="Gruppieren und sortieren", day=THURSDAY.isoformat(), duration="3")
    assert school_entries(run, APPRENTICE)[0]["text"] == "LF 5: Gruppieren und sortieren"
    # Mia edits hers; deleting the topic takes back only Finn's.
    mia = school_entries(run, APPRENTICE_2)[0]
    run(logbook.update_entry, as_user(run, APPRENTICE_2), contract_of(run, APPRENTICE_2), MONDAY, mia["id"], mia["version"], "school", "Meins", "3")
    response = post(client, f"{topics_url(fia_class)}/{topic}/delete")
    assert response.status_code == 303 and query(response.headers["location"]) == {"erledigt": "geloescht", "eingetragen": "1", "eigene": "1"}
    assert school_entries(run, APPRENTICE) == [] and [e["text"] for e in school_entries(run, APPRENTICE_2)] == ["Meins"]
    assert run(LessonTopic.count()) == 0 and run(TopicPrefill.count()) == 0


def test_submitted_weeks_are_left_alone_and_the_teacher_is_told(client, run, fia_class):
    write_and_submit(run, APPRENTICE, MONDAY, topic="LF 5: selbst geschrieben")  # Monday at school, the rest vacation
    login(client, TEACHER)
    response = publish(client, fia_class, [row(day=MONDAY)])
    assert query(response.headers["location"]) == {"erledigt": "veroeffentlicht", "eingetragen": "1", "gesperrt": "1"}
    assert school_entries(run, APPRENTICE) == [] and len(school_entries(run, APPRENTICE_2)) == 1
    page = client.get(response.headers["location"]).text
    assert "1 Nachweis konnte nicht befüllt werden, weil die Woche schon eingereicht oder abgezeichnet ist." in page
    # Returned, the week is open again: the teacher's next change reaches it.
    run(Week.update({Week.state: "returned"}).where(Week.contract == contract_of(run, APPRENTICE), Week.monday == MONDAY))
    change(client, run, fia_class, topic_id(run), text="Joins", day=MONDAY.isoformat())
    assert [e["text"] for e in school_entries(run, APPRENTICE)] == ["LF 5: Joins"]


def test_a_weekly_log_gets_the_topic_without_a_day(client, run, fia_class):
    run(Contract.update({Contract.log_mode: "weekly"}).where(Contract.id == contract_of(run, APPRENTICE_2)))
    login(client, TEACHER)
    publish(client, fia_class, [row(day=THURSDAY)])
    assert [e["day"] for e in school_entries(run, APPRENTICE_2)] == [None]
    assert [e["day"] for e in school_entries(run, APPRENTICE)] == [THURSDAY]


def test_the_apprentices_own_text_and_the_24_hours_are_respected(client, run, fia_class):
    finn, mia = as_user(run, APPRENTICE), as_user(run, APPRENTICE_2)
    run(logbook.add_entry, finn, contract_of(run, APPRENTICE), MONDAY, TUESDAY, "school", "LF 5: Daten mit SQL abfragen", "4:30")
    for _ in range(2):
        run(logbook.add_entry, mia, contract_of(run, APPRENTICE_2), MONDAY, TUESDAY, "company", "Lange Schicht", "11:00")
    login(client, TEACHER)
    response = publish(client, fia_class, [row()])
    assert query(response.headers["location"]) == {"erledigt": "veroeffentlicht", "zu-lang": "1", "eigene": "1"}
    assert [e["origin"] for e in run(Entry.select(Entry.origin).where(Entry.week.contract == contract_of(run, APPRENTICE)))] == [""]
    assert school_entries(run, APPRENTICE_2) == []
    # Finn's own entry is his: the topic leaves his log alone from now on, also after a change.
    change(client, run, fia_class, topic_id(run), text="Etwas anderes")
    assert school_entries(run, APPRENTICE) == []


def test_a_sick_day_or_a_planned_vacation_gets_no_topic(client, run, fia_class):
    run(logbook.set_day_status, as_user(run, APPRENTICE), contract_of(run, APPRENTICE), MONDAY, TUESDAY, "sick", "")
    run(PlanItem.insert(PlanItem(contract=contract_of(run, APPRENTICE_2), kind="vacation", start_date=MONDAY, end_date=THURSDAY, created_at=utcnow())))
    login(client, TEACHER)
    response = publish(client, fia_class, [row(), row("Nur dienstags", "1:00", TUESDAY)])
    assert query(response.headers["location"]) == {"erledigt": "veroeffentlicht", "eingetragen": "1", "ohne-tag": "2"}
    assert [(e["day"], e["text"]) for e in school_entries(run, APPRENTICE)] == [(THURSDAY, "LF 5: Daten mit SQL abfragen")]
    assert school_entries(run, APPRENTICE_2) == []
    assert "Bei 2 Nachweisen passt kein Tag" in client.get(response.headers["location"]).text


def test_a_day_with_a_prefilled_topic_shows_berufsschule_until_the_apprentice_says_otherwise(client, run):
    class_id = fia(run)  # no calendar: the day comes from the topic alone
    login(client, TEACHER)
    publish(client, class_id, [row(day=WEDNESDAY)])
    logout(client)
    login(client, APPRENTICE)
    contract = contract_of(run, APPRENTICE)
    days = {d["date"]: d for d in client.get(f"/api/v1/contracts/{contract}/weeks/{MONDAY.isoformat()}").json()["days"]}
    assert (days[WEDNESDAY.isoformat()]["status"], days[WEDNESDAY.isoformat()]["status_is_default"]) == ("school", True)
    assert days[TUESDAY.isoformat()]["status"] is None
    run(logbook.set_day_status, as_user(run, APPRENTICE), contract, MONDAY, WEDNESDAY, "company", "")
    days = {d["date"]: d for d in client.get(f"/api/v1/contracts/{contract}/weeks/{MONDAY.isoformat()}").json()["days"]}
    assert days[WEDNESDAY.isoformat()]["status"] == "company"


def test_last_weeks_subjects_are_offered_as_rows_and_empty_rows_are_left_out(client, run, fia_class):
    login(client, TEACHER)
    previous = MONDAY - dt.timedelta(days=7)
    publish(client, fia_class, [row(), row("WiSo", "1:30", previous + dt.timedelta(days=3), "Wirtschafts- und Sozialkunde")], monday=previous)
    page = client.get(topics_url(fia_class)).text
    assert "Fächer der Vorwoche übernehmen (2)" in page
    page = client.get(topics_url(fia_class) + "?vorwoche=1").text
    assert "Thema 2" in page and 'value="4:30"' in page and f'value="{THURSDAY.isoformat()}" selected' in page
    assert '<option value="Wirtschafts- und Sozialkunde" selected>' in page
    response = publish(client, fia_class, [row("Subqueries"), row("", "1:30", THURSDAY, "Wirtschafts- und Sozialkunde")])
    assert query(response.headers["location"])["eingetragen"] == "2"
    assert run(LessonTopic.count().where(LessonTopic.monday == MONDAY)) == 1


# --- bad input -----------------------------------------------------------------------------------


def test_bad_input_is_refused_next_to_the_field_with_the_typed_text_kept(client, run, fia_class):
    login(client, TEACHER)
    empty = publish(client, fia_class, [row("   ")])
    assert empty.status_code == 422 and 'id="new-0-text-error">Bitte ausfüllen.' in empty.text
    bad = publish(client, fia_class, [row("Joins", "viel")])
    assert bad.status_code == 422 and "Bitte die Dauer als Stunden eingeben" in bad.text and ">Joins</textarea>" in bad.text
    too_long = publish(client, fia_class, [row("Joins", "13")])
    assert "höchstens 12 Stunden" in too_long.text
    outside = publish(client, fia_class, [row("Joins", day=MONDAY + dt.timedelta(days=7))])
    assert outside.status_code == 422 and 'id="new-0-day-error">Bitte einen Tag dieser Woche wählen.' in outside.text
    broken_day = publish(client, fia_class, [row("Joins") | {"day": "morgen"}])
    assert broken_day.status_code == 422 and "Bitte ein Datum" in broken_day.text
    subject = publish(client, fia_class, [row("Joins", subject="Geheimfach")])
    assert subject.status_code == 422 and "Bitte einen der angebotenen Werte wählen." in subject.text
    future = publish(client, fia_class, [row()], monday=dt.date(2099, 1, 5))
    assert future.status_code == 422 and "wenn die Woche begonnen hat" in future.text
    many = publish(client, fia_class, [row(f"Thema {n}", "0:30") for n in range(21)])
    assert many.status_code == 422 and "Höchstens 20 Themen auf einmal" in many.text
    for far in ("0001-01-01", "9999-12-27"):  # no such week, and no date arithmetic out of range
        assert client.get(f"/classes/{fia_class}/topics/{far}").status_code == 404
        assert client.get(f"/api/v1/classes/{fia_class}/topics", params={"week": far}).status_code == 404
    # One bad row of two: nothing is stored, the good row keeps its text too.
    mixed = publish(client, fia_class, [row("Gute Zeile"), row("Schlechte Zeile", "0")])
    assert 'id="new-1-duration-error"' in mixed.text and ">Gute Zeile</textarea>" in mixed.text
    assert run(LessonTopic.count()) == 0 and run(Entry.count()) == 0


def test_a_weekly_topic_needs_a_school_day_in_the_calendar(client, run):
    class_id = fia(run)  # no periods: the class calendar is empty
    login(client, TEACHER)
    response = publish(client, class_id, [row()])
    assert response.status_code == 422 and "kein Berufsschultag" in response.text
    assert publish(client, class_id, [row(day=WEDNESDAY)]).status_code == 303
    assert [e["day"] for e in school_entries(run, APPRENTICE)] == [WEDNESDAY]


def test_a_change_on_a_stale_version_is_refused(client, run, fia_class):
    login(client, TEACHER)
    publish(client, fia_class, [row()])
    topic = topic_id(run)
    change(client, run, fia_class, topic, text="Erste Änderung")
    stale = post(client, f"{topics_url(fia_class)}/{topic}", {**row("Zweite Änderung"), "version": "1"})
    assert stale.status_code == 409 and "inzwischen von jemand anderem geändert" in stale.text
    assert run(LessonTopic.select(LessonTopic.text).where(LessonTopic.id == topic).first)["text"] == "Erste Änderung"
    invalid = post(client, f"{topics_url(fia_class)}/{topic}", {**row(""), "version": "2"})
    assert invalid.status_code == 422 and f'id="topic-{topic}-text-error">Bitte ausfüllen.' in invalid.text


# --- who may ---------------------------------------------------------------------------------------


def test_the_school_admin_may_and_other_roles_may_not(client, run, fia_class):
    login(client, SCHOOL_ADMIN)
    assert client.get(topics_url(fia_class)).status_code == 200
    assert publish(client, fia_class, [row()]).status_code == 303
    topic = topic_id(run)
    for email in (APPRENTICE, TRAINER):
        logout(client)
        login(client, email)
        assert client.get(topics_url(fia_class)).status_code == 403
        assert publish(client, fia_class, [row("fremd")]).status_code == 403
        assert post(client, f"{topics_url(fia_class)}/{topic}/delete").status_code == 403
        assert client.get(f"/api/v1/classes/{fia_class}/topics").status_code == 403
    assert run(LessonTopic.count()) == 1


def test_a_teacher_of_another_class_and_another_school_find_nothing(client, run, fia_class):
    login(client, TEACHER)
    publish(client, fia_class, [row()])
    topic = topic_id(run)
    logout(client)
    login(client, OTHER_CLASS_TEACHER)
    assert client.get(f"/classes/{fia_class}").status_code == 200  # she may see the school's class page …
    assert "Unterrichtsthemen</a>" not in client.get(f"/classes/{fia_class}").text
    for response in (  # … but not its topics
        client.get(topics_url(fia_class)),
        client.get(f"/classes/{fia_class}/topics", follow_redirects=False),
        publish(client, fia_class, [row("fremd")]),
        change(client, run, fia_class, topic, text="fremd"),
        post(client, f"{topics_url(fia_class)}/{topic}/delete"),
        client.get(f"/api/v1/classes/{fia_class}/topics"),
        client.delete(f"/api/v1/classes/{fia_class}/topics/{topic}", headers={"X-CSRFToken": csrf_token(client)}),
    ):
        assert response.status_code == 404, response.request.url
    other = run(School.insert(School(name="Andere Schule", state="HE", city="Kassel", created_at=utcnow())).returning(School.id))[0]["id"]
    foreign = run(SchoolClass.insert(SchoolClass(school=other, name="GEHEIM1", start_year=2025, created_at=utcnow())).returning(SchoolClass.id))[0]["id"]
    logout(client)
    login(client, SCHOOL_ADMIN)
    assert client.get(topics_url(foreign)).status_code == 404
    assert publish(client, foreign, [row(subject="Deutsch")]).status_code == 404
    # A topic id of FIA25a under another class's address is not found either.
    im = run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "IM25b").first)["id"]
    assert post(client, f"{topics_url(im)}/{topic}/delete").status_code == 404
    assert post(client, f"{topics_url(fia_class, MONDAY - dt.timedelta(days=7))}/{topic}/delete").status_code == 404
    assert run(LessonTopic.count()) == 1 and len(school_entries(run, APPRENTICE)) == 1


# --- API ---------------------------------------------------------------------------------------------


def test_the_api_lists_publishes_changes_and_deletes(client, run, fia_class):
    login(client, TEACHER)
    headers = {"X-CSRFToken": csrf_token(client)}
    base = f"/api/v1/classes/{fia_class}/topics"
    listed = client.get(base, params={"week": WEDNESDAY.isoformat()}).json()
    assert listed["monday"] == MONDAY.isoformat() and listed["school_days"] == [TUESDAY.isoformat(), THURSDAY.isoformat()]
    assert LF5 in listed["subjects"] and listed["topics"] == []
    created = client.post(base, json={"monday": MONDAY.isoformat(), "subject": LF5, "text": "Joins", "minutes": 180}, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["report"]["written"] == 2 and body["topic"]["version"] == 1 and body["topic"]["published_by_name"] == "Dr. Thomas Berg"
    topic = body["topic"]["id"]
    changed = client.put(f"{base}/{topic}", json={"subject": LF5, "text": "Joins und Views", "minutes": 180, "version": 1}, headers=headers)
    assert changed.status_code == 200 and changed.json()["topic"]["version"] == 2
    assert {e["text"] for e in school_entries(run, APPRENTICE) + school_entries(run, APPRENTICE_2)} == {"LF 5: Joins und Views"}
    stale = client.put(f"{base}/{topic}", json={"subject": LF5, "text": "alt", "minutes": 180, "version": 1}, headers=headers)
    assert stale.status_code == 409 and stale.json()["current"]["text"] == "Joins und Views"
    bad = client.post(base, json={"monday": MONDAY.isoformat(), "subject": LF5, "text": "x", "minutes": 60, "day": "2026-06-20"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"] == {"day": "Bitte einen Tag dieser Woche wählen."}
    not_monday = client.post(base, json={"monday": TUESDAY.isoformat(), "subject": LF5, "text": "x", "minutes": 60}, headers=headers)
    assert not_monday.status_code == 404
    schema_error = client.post(base, json={"monday": MONDAY.isoformat(), "subject": LF5, "text": "", "minutes": 0}, headers=headers)
    assert schema_error.status_code == 400
    assert client.get(base, params={"week": MONDAY.isoformat()}).json()["topics"][0]["text"] == "Joins und Views"
    deleted = client.delete(f"{base}/{topic}", headers=headers)
    assert deleted.status_code == 200 and deleted.json() == {"topic": None, "report": {"written": 2, "locked": 0, "over_limit": 0, "no_day": 0, "kept": 0}}
    assert school_entries(run, APPRENTICE) == []
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert {"/api/v1/classes/{class_id}/topics", "/api/v1/classes/{class_id}/topics/{topic_id}"} <= set(paths)


# --- queries ---------------------------------------------------------------------------------------


def _more_apprentices(run, class_id: int, count: int) -> None:
    """`count` more apprentices with contracts in the class (same company and occupation as Finn)."""
    finn = run(Contract.select().where(Contract.apprentice.email == APPRENTICE).first)
    now = utcnow()
    users = run(
        User.insert(
            *(User(email=f"azubi{i}@rmm.example", display_name=f"Azubi {i}", role="apprentice", company=finn["company"],
                   is_active=True, created_at=now) for i in range(count))
        ).returning(User.id)
    )
    run(
        Contract.insert(
            *(Contract(apprentice=u["id"], company=finn["company"], occupation=finn["occupation"], start_date=finn["start_date"],
                       end_date=finn["end_date"], log_form="electronic", log_mode="daily", daily_minutes=468, school=finn["school"],
                       school_class=class_id, created_at=now, updated_at=now) for u in users)
        )
    )


def test_publishing_runs_the_same_number_of_queries_for_2_or_22_apprentices(client, run, fia_class, count_queries):
    login(client, TEACHER)

    def publish_and_change(week: dt.date) -> tuple[int, int]:
        count_queries.clear()
        assert publish(client, fia_class, [row(day=week + dt.timedelta(days=1)), row("Zweites", "1:00", week + dt.timedelta(days=3))], week).status_code == 303
        published = len(count_queries)
        topic = run(LessonTopic.select(LessonTopic.id).where(LessonTopic.monday == week).first)["id"]
        count_queries.clear()
        assert change(client, run, fia_class, topic, week, text="geändert", day=(week + dt.timedelta(days=3)).isoformat()).status_code == 303
        return published, len(count_queries)

    few = publish_and_change(MONDAY)
    _more_apprentices(run, fia_class, 20)
    many = publish_and_change(MONDAY + dt.timedelta(days=7))
    assert few == many and max(few) <= 16, (few, many)
    assert len(school_entries(run, "azubi7@rmm.example", MONDAY + dt.timedelta(days=7))) == 2


def test_the_week_page_runs_no_more_queries_with_prefilled_entries(client, run, fia_class, count_queries):
    contract = contract_of(run, APPRENTICE)
    login(client, APPRENTICE)
    run(logbook.add_entry, as_user(run, APPRENTICE), contract, MONDAY, MONDAY, "company", "Betrieb", "8")
    count_queries.clear()
    client.get(week_url(contract, MONDAY))
    before = len(count_queries)
    logout(client)
    login(client, TEACHER)
    publish(client, fia_class, [row(), row("Zweites", "1:00", THURSDAY)])
    logout(client)
    login(client, APPRENTICE)
    count_queries.clear()
    page = client.get(week_url(contract, MONDAY))
    assert page.text.count("von der Schule</span>") == 2
    assert len(count_queries) == before, count_queries
