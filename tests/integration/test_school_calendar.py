"""School calendar over HTTP and through its service: periods by form and by import (preview, then
one transaction), default day statuses in the log, the company's plan, one calendar per apprentice,
corrections for teachers, the iCal feed and the API."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlsplit

import icalendar
import pytest

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract, ReadingConsent
from leokop.logbook.tables import Day
from leokop.organisations.tables import School, SchoolClass
from leokop.school_calendar import service
from leokop.school_calendar.tables import CalendarFeed, PlanItem, SchoolPeriod
from leokop.timeutil import utcnow
from tests.helpers import (
    APPRENTICE,
    APPRENTICE_2,
    GUARDIAN,
    INSTRUCTOR,
    SCHOOL_ADMIN,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TEACHER,
    TRAINER,
    csrf_token,
    field_error,
    login,
    logout,
    post,
)

D = dt.date
DATA = Path(__file__).parent.parent / "data"
OTHER_TEACHER = "julia.krueger@bs-main.example"  # teaches IM25b, not FIA25a
# Finn's current week in the demo: FIA25a is at school on Tuesday and Thursday (demo calendar).
MONDAY = D(2026, 11, 23)


def class_id(run, name: str) -> int:
    return run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == name).first())["id"]


def contract_of(run, email: str) -> int:
    return run(Contract.select(Contract.id).where(Contract.apprentice.email == email).first())["id"]


def periods(run, school_class: int) -> list[dict]:
    return run(
        SchoolPeriod.select(SchoolPeriod.kind, SchoolPeriod.start_date, SchoolPeriod.end_date, SchoolPeriod.weekdays, SchoolPeriod.label, SchoolPeriod.source)
        .where(SchoolPeriod.school_class == school_class)
        .order_by(SchoolPeriod.id)
    )


def add_period(run, school_class: int, kind: str, start: dt.date, end: dt.date, weekdays: str, label: str = "") -> None:
    run(
        SchoolPeriod.insert(
            SchoolPeriod(
                school_class=school_class, kind=kind, start_date=start, end_date=end, weekdays=weekdays,
                label=label, created_at=utcnow(),
            )
        )
    )  # fmt: skip


def upload(client, school_class: int, name: str, content: bytes):
    return client.post(
        f"/classes/{school_class}/kalender/import",
        data={"_csrf_token": csrf_token(client)},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def confirm(client, school_class: int, preview_html: str, **override):
    data = {"content": hidden(preview_html, "content"), "signature": hidden(preview_html, "signature"), **override}
    return post(client, f"/classes/{school_class}/kalender/import/confirm", data)


# --- the service ------------------------------------------------------------------------------


def test_class_school_days_in_one_query_for_one_or_many_classes(client, run, count_queries):
    fia, im = class_id(run, "FIA25a"), class_id(run, "IM25b")
    run(SchoolPeriod.delete(force=True))
    add_period(run, fia, "weekly", D(2026, 11, 1), D(2026, 11, 30), "24")
    add_period(run, im, "block", D(2026, 11, 16), D(2026, 11, 20), "12345", "Block 1")
    count_queries.clear()
    assert run(service.class_school_days(fia, D(2026, 11, 9), D(2026, 11, 15))) == {D(2026, 11, 10), D(2026, 11, 12)}
    assert len(count_queries) == 1
    count_queries.clear()
    both = run(service.classes_school_days([fia, im, 999_999], D(2026, 11, 16), D(2026, 11, 22)))
    assert len(count_queries) == 1
    assert both == {
        fia: {D(2026, 11, 17), D(2026, 11, 19)},
        im: {D(2026, 11, 16) + dt.timedelta(days=n) for n in range(5)},
        999_999: set(),
    }


# --- periods by form --------------------------------------------------------------------------


def test_school_admin_adds_edits_and_deletes_a_period_and_the_class_calendar_shows_it(client, run):
    fia = class_id(run, "FIA25a")
    run(SchoolPeriod.delete(force=True))
    login(client, SCHOOL_ADMIN)
    response = post(client, f"/classes/{fia}/kalender/zeitraeume", {"kind": "weekly", "weekdays": ["2", "4"], "start_date": "01.12.2026", "end_date": "2027-01-31", "label": "Winter"})
    assert response.status_code == 303
    assert periods(run, fia) == [{"kind": "weekly", "start_date": D(2026, 12, 1), "end_date": D(2027, 1, 31), "weekdays": "24", "label": "Winter", "source": "form"}]
    page = client.get(f"/classes/{fia}/kalender?monat=2026-12").text
    assert "Dienstag, Donnerstag" in page and "Winter" in page
    assert re.search(r'/delete"><input type="hidden" name="_csrf_token" value="[^"]+">', page)  # the delete button works
    # Tuesday 1 December is a school day; 24 December lies in the Weihnachtsferien.
    assert re.search(r'day-school[^"]*">\s*<span class="month-date"><span class="month-weekday">Di</span> 01\.12\.', page)
    assert re.search(r'day-ferien[^"]*">\s*<span class="month-date"><span class="month-weekday">Do</span> 24\.12\.', page)
    period_id = run(SchoolPeriod.select(SchoolPeriod.id).first())["id"]
    assert 'value="2026-12-01"' in client.get(f"/classes/{fia}/kalender/zeitraeume/{period_id}").text
    post(client, f"/classes/{fia}/kalender/zeitraeume/{period_id}", {"kind": "block", "start_date": "2027-02-01", "end_date": "2027-02-12", "label": "Block 1"})
    assert periods(run, fia)[0] | {"source": "form"} == {"kind": "block", "start_date": D(2027, 2, 1), "end_date": D(2027, 2, 12), "weekdays": "12345", "label": "Block 1", "source": "form"}
    assert post(client, f"/classes/{fia}/kalender/zeitraeume/{period_id}/delete").status_code == 303
    assert periods(run, fia) == []


@pytest.mark.parametrize(
    ("form", "field", "text"),
    [
        ({"kind": "weekly", "weekdays": ["2"], "start_date": "31.12.2026", "end_date": "01.12.2026"}, "end_date", "Das Ende muss nach dem Beginn liegen."),
        ({"kind": "weekly", "start_date": "01.12.2026", "end_date": "31.12.2026"}, "weekdays", "Bitte mindestens einen Wochentag wählen."),
        ({"kind": "weekly", "weekdays": ["2"], "start_date": "31.02.2026", "end_date": "01.12.2026"}, "start_date", "Bitte ein Datum im Format TT.MM.JJJJ eingeben."),
        ({"kind": "weekly", "weekdays": ["9"], "start_date": "01.12.2026", "end_date": "31.12.2026"}, "weekdays", "Bitte einen der angebotenen Werte wählen."),
        ({"kind": "block", "start_date": "01.12.2026", "end_date": "01.12.2031"}, "end_date", "Ein Zeitraum darf höchstens 4 Jahre lang sein."),
        ({"kind": "ferien", "start_date": "01.12.2026", "end_date": "02.12.2026"}, "kind", "Bitte einen der angebotenen Werte wählen."),
    ],
)
def test_bad_period_input_is_refused_next_to_the_field_and_nothing_is_stored(client, run, form, field, text):
    fia = class_id(run, "FIA25a")
    before = periods(run, fia)
    login(client, SCHOOL_ADMIN)
    response = post(client, f"/classes/{fia}/kalender/zeitraeume", {**form, "label": "getippt"})
    assert response.status_code == 422
    assert field_error(response.text, field) == text
    assert 'value="getippt"' in response.text  # what was typed stays
    assert periods(run, fia) == before


def test_teachers_manage_only_their_own_classes_and_nobody_sees_another_schools_class(client, run):
    fia = class_id(run, "FIA25a")
    form = {"kind": "block", "start_date": "2027-03-01", "end_date": "2027-03-05"}
    login(client, TEACHER)  # teaches FIA25a
    assert post(client, f"/classes/{fia}/kalender/zeitraeume", form).status_code == 303
    logout(client)
    login(client, OTHER_TEACHER)  # teaches IM25b only: sees the class, may not change its calendar
    assert client.get(f"/classes/{fia}/kalender").status_code == 200
    assert "Zeitraum hinzufügen" not in client.get(f"/classes/{fia}/kalender").text
    period_id = run(SchoolPeriod.select(SchoolPeriod.id).where(SchoolPeriod.school_class == fia).first())["id"]
    for response in (
        post(client, f"/classes/{fia}/kalender/zeitraeume", form),
        post(client, f"/classes/{fia}/kalender/zeitraeume/{period_id}/delete"),
        client.get(f"/classes/{fia}/kalender/zeitraeume/{period_id}"),
        upload(client, fia, "plan.csv", b"Datum\n24.11.2026\n"),
    ):
        assert response.status_code == 404
    assert run(SchoolPeriod.count().where(SchoolPeriod.id == period_id)) == 1
    logout(client)
    other = run(School.insert(School(name="Andere Schule", state="BY", city="Passau", created_at=utcnow())).returning(School.id))[0]["id"]
    foreign = run(SchoolClass.insert(SchoolClass(school=other, name="GEHEIM2", start_year=2025, created_at=utcnow())).returning(SchoolClass.id))[0]["id"]
    login(client, SCHOOL_ADMIN)
    for response in (
        client.get(f"/classes/{foreign}/kalender"),
        post(client, f"/classes/{foreign}/kalender/zeitraeume", form),
        client.get(f"/api/v1/classes/{foreign}/school-periods"),
        client.get(f"/api/v1/classes/{foreign}/school-days?start=2026-11-01&end=2026-11-30"),
        client.get("/classes/999999/kalender"),
    ):
        assert response.status_code == 404
        assert "GEHEIM2" not in response.text
    logout(client)
    login(client, APPRENTICE)
    assert post(client, f"/classes/{fia}/kalender/zeitraeume", form).status_code == 403


# --- import -----------------------------------------------------------------------------------


def test_csv_import_previews_then_stores_in_one_go_and_a_second_import_creates_nothing(client, run):
    fia = class_id(run, "FIA25a")
    run(SchoolPeriod.delete(force=True))
    login(client, SCHOOL_ADMIN)
    csv_text = "Datum;Bezeichnung\n01.12.2026;Projekttag\n2026-12-03;\n\n08.12.2026;Projekttag\n".encode()
    preview = upload(client, fia, "termine.csv", csv_text)
    assert preview.status_code == 200
    assert "„Übernehmen“ speichert 3 neue Zeiträume" in preview.text
    assert "Projekttag" in preview.text and "03.12.2026" in preview.text
    assert periods(run, fia) == []  # the preview stores nothing
    done = confirm(client, fia, preview.text)
    assert done.status_code == 303 and "anzahl=3" in done.headers["location"]
    stored = periods(run, fia)
    assert [(p["start_date"], p["weekdays"], p["source"]) for p in stored] == [(D(2026, 12, 1), "2", "csv"), (D(2026, 12, 3), "4", "csv"), (D(2026, 12, 8), "2", "csv")]
    again = upload(client, fia, "termine.csv", csv_text)
    assert "Nichts Neues" in again.text and "schon vorhanden" in again.text
    assert "Übernehmen</button>" not in again.text
    # Sending the confirm of the first preview again (a double click) stores nothing either.
    refused = confirm(client, fia, preview.text)
    assert refused.status_code == 422
    assert "Die Datei wurde schon importiert" in refused.text
    assert len(periods(run, fia)) == 3


def test_csv_variants_blocks_and_weekdays_with_sniffed_dialects(client, run):
    fia = class_id(run, "FIA25a")
    run(SchoolPeriod.delete(force=True))
    login(client, SCHOOL_ADMIN)
    blocks = upload(client, fia, "bloecke.csv", "von,bis,Bezeichnung\n01.02.2027,12.02.2027,Block 1\n".encode())
    confirm(client, fia, blocks.text)
    weekly = upload(client, fia, "wochentage.csv", "Wochentag\tvon\tbis\nDi, Do\t2027-03-01\t2027-06-30\n".encode("cp1252"))
    confirm(client, fia, weekly.text)
    assert [(p["kind"], p["start_date"], p["end_date"], p["weekdays"]) for p in periods(run, fia)] == [
        ("block", D(2027, 2, 1), D(2027, 2, 12), "12345"),
        ("weekly", D(2027, 3, 1), D(2027, 6, 30), "24"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "messages"),
    [
        ("kaputt.ics", b"BEGIN:VCALENDAR\nDas ist kein Termin\nEND:VCALENDAR\n", ["Die iCal-Datei ist fehlerhaft und kann nicht gelesen werden."]),
        ("falsch.csv", "Name;Ort\nBlock;Raum 4\n".encode(), ["Die Spalten wurden nicht erkannt (gefunden: Name, Ort)."]),
        (
            "zeilen.csv",
            "Datum\n24.11.2026\n31.02.2026\n\nmorgen\n".encode(),
            ["Zeile 3: „31.02.2026“ ist kein gültiges Datum", "Zeile 5: „morgen“ ist kein gültiges Datum"],
        ),
        ("bloecke.csv", "von;bis\n20.11.2026;16.11.2026\n16.11.2026;\n".encode(), ["Zeile 2: Das Ende liegt vor dem Beginn.", "Zeile 3: Die Spalte „bis“ ist leer."]),
        ("serie.ics", (DATA / "blockplan.ics").read_bytes().replace(b";UNTIL=20261217T230000Z", b""), ["Zeile 19: Die Serie hat kein Ende"]),
        ("leer.csv", b"", ["Bitte eine Datei auswählen."]),
    ],
)
def test_broken_files_show_german_errors_per_line_and_store_nothing(client, run, name, content, messages):
    fia = class_id(run, "FIA25a")
    before = periods(run, fia)
    login(client, SCHOOL_ADMIN)
    response = upload(client, fia, name, content)
    assert response.status_code == 422
    for text in messages:
        assert text in response.text
    assert "Übernehmen</button>" not in response.text
    if 'name="signature"' in response.text:
        assert confirm(client, fia, response.text).status_code == 422
    assert periods(run, fia) == before


def test_a_row_error_stores_nothing_even_when_confirmed_with_a_valid_signature(client, run, app):
    fia = class_id(run, "FIA25a")
    before = periods(run, fia)
    login(client, SCHOOL_ADMIN)
    content = base64.b64encode("Datum\n24.11.2026\nkaputt\n".encode()).decode()
    user_id = run(User.select(User.id).where(User.email == SCHOOL_ADMIN).first())["id"]
    signature = service.sign_import(app.state.settings.secret_key, user_id, fia, content)
    response = post(client, f"/classes/{fia}/kalender/import/confirm", {"content": content, "signature": signature})
    assert response.status_code == 422 and "Es wurde nichts gespeichert" in response.text
    assert periods(run, fia) == before


def test_a_changed_payload_or_another_class_fails_the_signature(client, run):
    fia, im = class_id(run, "FIA25a"), class_id(run, "IM25b")
    run(SchoolPeriod.delete(force=True))
    login(client, SCHOOL_ADMIN)
    preview = upload(client, fia, "termine.csv", b"Datum\n01.12.2026\n")
    forged = base64.b64encode(b"Datum\n01.12.2026\n02.12.2026\n").decode()
    assert confirm(client, fia, preview.text, content=forged).status_code == 422
    response = post(client, f"/classes/{im}/kalender/import/confirm", {"content": hidden(preview.text, "content"), "signature": hidden(preview.text, "signature")})
    assert response.status_code == 422 and "Bitte die Datei erneut hochladen" in response.text
    assert run(SchoolPeriod.count()) == 0


def test_ical_import_weekly_series_with_exdate_all_day_block_and_timed_event_in_utc(client, run):
    fia = class_id(run, "FIA25a")
    run(SchoolPeriod.delete(force=True))
    login(client, TEACHER)
    preview = upload(client, fia, "blockplan.ics", (DATA / "blockplan.ics").read_bytes())
    assert preview.status_code == 200 and "iCal-Datei" in preview.text
    confirm(client, fia, preview.text)
    assert [(p["kind"], p["start_date"], p["end_date"], p["weekdays"], p["label"]) for p in periods(run, fia)] == [
        # The series skips the Herbstferien by itself; the EXDATE on 10 November splits it.
        ("weekly", D(2026, 9, 1), D(2026, 11, 5), "24", "Berufsschule"),
        ("weekly", D(2026, 11, 12), D(2026, 12, 17), "24", "Berufsschule"),
        ("block", D(2027, 2, 1), D(2027, 2, 12), "12345", "Block 1"),
        # 23:00 UTC on 1 March is midnight in Berlin: the school day is 2 March.
        ("block", D(2027, 3, 2), D(2027, 3, 2), "2", "Prüfungsvorbereitung"),
    ]
    days = run(service.class_school_days(fia, D(2026, 11, 2), D(2026, 11, 15)))
    assert days == {D(2026, 11, 3), D(2026, 11, 5), D(2026, 11, 12)}


# --- the log's default statuses ---------------------------------------------------------------


def test_school_days_are_prefilled_in_the_week_page_and_a_stored_status_wins(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, APPRENTICE)
    page = client.get(f"/contracts/{finn}/log/{MONDAY.isoformat()}").text
    tuesday = re.search(r'id="day-2026-11-24-status".*?</select>', page, re.S).group(0)
    assert '<option value="school" selected>' in tuesday
    assert "Laut Schulkalender der Klasse" in page
    wednesday = re.search(r'id="day-2026-11-25-status".*?</select>', page, re.S).group(0)
    assert "selected" not in wednesday
    post(client, f"/contracts/{finn}/log/{MONDAY.isoformat()}/days/2026-11-24", {"status": "sick"})
    page = client.get(f"/contracts/{finn}/log/{MONDAY.isoformat()}").text
    tuesday = re.search(r'id="day-2026-11-24-status".*?</select>', page, re.S).group(0)
    assert '<option value="sick" selected>' in tuesday


def test_a_calendar_school_day_without_topics_blocks_submit_and_submit_stores_the_defaults(client, run):
    finn = contract_of(run, APPRENTICE)
    monday = D(2026, 11, 16)
    base = f"/contracts/{finn}/log/{monday.isoformat()}"
    login(client, APPRENTICE)
    for offset in (0, 2, 4):
        day = monday + dt.timedelta(days=offset)
        post(client, base + f"/days/{day.isoformat()}", {"status": "company"})
        post(client, base + "/entries", {"day": day.isoformat(), "category": "company", "text": "Arbeit", "duration": "7:48"})
    refused = post(client, base + "/submit")
    assert refused.status_code == 422
    assert "Berufsschultag ohne Unterrichtsthemen" in refused.text
    for offset in (1, 3):
        day = monday + dt.timedelta(days=offset)
        post(client, base + "/entries", {"day": day.isoformat(), "category": "school", "text": "LF 5: SQL", "duration": "7:48"})
    assert post(client, base + "/submit").status_code == 303
    rows = run(Day.select(Day.date, Day.status).where(Day.week.contract == finn, Day.week.monday == monday))
    stored = {r["date"]: r["status"] for r in rows}
    assert stored[D(2026, 11, 17)] == "school" and stored[D(2026, 11, 19)] == "school"
    # A later change of the class's calendar does not change the submitted sheet.
    run(SchoolPeriod.delete(force=True))
    page = client.get(base).text
    assert '<option value="school" selected>' in re.search(r'id="day-2026-11-17-status".*?</select>', page, re.S).group(0)


def test_the_week_page_asks_two_more_queries_whatever_the_calendar_holds(client, run, count_queries):
    finn = contract_of(run, APPRENTICE)
    login(client, APPRENTICE)
    url = f"/contracts/{finn}/log/{MONDAY.isoformat()}"
    client.get(url)
    count_queries.clear()
    client.get(url)
    few = len(count_queries)
    fia = class_id(run, "FIA25a")
    for n in range(20):
        add_period(run, fia, "block", D(2026, 11, 23), D(2026, 11, 27), "12345", f"Block {n}")
        run(PlanItem.insert(PlanItem(contract=finn, kind="vacation", start_date=D(2027, 1, 1) + dt.timedelta(days=n * 3), end_date=D(2027, 1, 2) + dt.timedelta(days=n * 3), created_at=utcnow())))
    count_queries.clear()
    client.get(url)
    assert len(count_queries) == few


# --- the company's plan and one calendar per apprentice ---------------------------------------


def test_trainer_plans_vacation_the_apprentice_sees_it_in_calendar_and_week(client, run):
    finn = contract_of(run, APPRENTICE)
    run(PlanItem.delete(force=True))
    login(client, TRAINER)
    response = post(client, f"/contracts/{finn}/planung", {"kind": "vacation", "start_date": "2026-11-30", "end_date": "2026-12-04", "label": "Urlaub Winter"})
    assert response.status_code == 303
    item_id = run(PlanItem.select(PlanItem.id).first())["id"]
    overlap = post(client, f"/contracts/{finn}/planung", {"kind": "inter_company", "start_date": "2026-12-04", "end_date": "2026-12-08"})
    assert overlap.status_code == 422 and field_error(overlap.text, "start_date") == "In diesem Zeitraum ist schon etwas geplant. Bitte den vorhandenen Eintrag ändern."
    outside = post(client, f"/contracts/{finn}/planung", {"kind": "vacation", "start_date": "2028-07-28", "end_date": "2028-08-04", "label": "zu spät"})
    assert field_error(outside.text, "end_date") == "Der Zeitraum muss innerhalb des Ausbildungsvertrags liegen." and 'value="zu spät"' in outside.text
    bad = post(client, f"/contracts/{finn}/planung", {"kind": "vacation", "start_date": "gestern", "end_date": "2026-12-20"})
    assert field_error(bad.text, "start_date") == "Bitte ein Datum im Format TT.MM.JJJJ eingeben."
    assert run(PlanItem.count()) == 1
    post(client, f"/contracts/{finn}/planung/{item_id}", {"kind": "vacation", "start_date": "2026-11-30", "end_date": "2026-12-03", "label": "Urlaub Winter"})
    logout(client)
    login(client, APPRENTICE)
    calendar = client.get(f"/contracts/{finn}/kalender?monat=2026-12").text
    assert "Urlaub: Urlaub Winter" in calendar and "Urlaub Winter" in calendar
    assert "Planung speichern" not in calendar  # the apprentice sees, the company plans
    assert post(client, f"/contracts/{finn}/planung", {"kind": "vacation", "start_date": "2026-12-21", "end_date": "2026-12-22"}).status_code == 403
    week = client.get(f"/contracts/{finn}/log/2026-11-30").text
    tuesday = re.search(r'id="day-2026-12-01-status".*?</select>', week, re.S).group(0)
    assert '<option value="vacation" selected>' in tuesday  # vacation wins over the Tuesday at school
    friday = re.search(r'id="day-2026-12-04-status".*?</select>', week, re.S).group(0)
    assert "selected" not in friday
    logout(client)
    login(client, TRAINER)
    assert post(client, f"/contracts/{finn}/planung/{item_id}/delete").status_code == 303
    assert run(PlanItem.count()) == 0


def test_the_calendar_is_seen_by_both_places_of_learning_and_by_nobody_else(client, run):
    finn, mia, lena = contract_of(run, APPRENTICE), contract_of(run, APPRENTICE_2), contract_of(run, SMALL_APPRENTICE)
    cases = [
        (APPRENTICE, finn, 200), (TRAINER, finn, 200), (INSTRUCTOR, finn, 200), (TEACHER, finn, 200),
        (TEACHER, mia, 404),  # no consent to read
        (APPRENTICE_2, finn, 404), (SMALL_TRAINER, finn, 404), (INSTRUCTOR, mia, 404),
        (GUARDIAN, lena, 200), (GUARDIAN, finn, 404),
        (SCHOOL_ADMIN, finn, 403),
    ]  # fmt: skip
    for email, contract_id, status in cases:
        login(client, email)
        response = client.get(f"/contracts/{contract_id}/kalender")
        assert response.status_code == status, (email, contract_id, response.status_code)
        if status == 404:
            assert "Kalender Finn" not in response.text and "Kalender Mia" not in response.text
        logout(client)
    login(client, GUARDIAN)
    page = client.get(f"/contracts/{lena}/kalender").text
    assert "Planung speichern" not in page and "Bearbeiten" not in page


def test_the_calendar_page_and_class_calendar_run_a_constant_number_of_queries(client, run, count_queries):
    finn, fia = contract_of(run, APPRENTICE), class_id(run, "FIA25a")
    login(client, TEACHER)
    urls = (f"/contracts/{finn}/kalender?monat=2026-11", f"/classes/{fia}/kalender?monat=2026-11")
    before = []
    for url in urls:
        count_queries.clear()
        assert client.get(url).status_code == 200
        before.append(len(count_queries))
    for n in range(15):
        add_period(run, fia, "block", D(2026, 11, 2) + dt.timedelta(days=n), D(2026, 11, 2) + dt.timedelta(days=n), str((n % 5) + 1))
        run(PlanItem.insert(PlanItem(contract=finn, kind="inter_company", start_date=D(2027, 2, 1) + dt.timedelta(days=2 * n), end_date=D(2027, 2, 1) + dt.timedelta(days=2 * n), created_at=utcnow())))
    after = []
    for url in urls:
        count_queries.clear()
        client.get(url)
        after.append(len(count_queries))
    assert after == before
    assert before[0] <= 6 and before[1] <= 6, before  # session + at most five


def test_teachers_see_where_an_apprentice_corrected_a_school_day(client, run):
    finn, fia = contract_of(run, APPRENTICE), class_id(run, "FIA25a")
    login(client, APPRENTICE)
    post(client, f"/contracts/{finn}/log/{MONDAY.isoformat()}/days/2026-11-24", {"status": "company"})
    post(client, f"/contracts/{finn}/log/{MONDAY.isoformat()}/days/2026-11-25", {"status": "company"})  # no school day
    calendar = client.get(f"/contracts/{finn}/kalender?monat=2026-11").text
    assert "Nachweis: Betrieb" in calendar
    logout(client)
    login(client, TEACHER)
    page = client.get(f"/classes/{fia}/kalender?monat=2026-11").text
    corrections = re.search(r'id="korrekturen".*?</section>', page, re.S).group(0)
    assert "Finn Schneider" in corrections and "Korrektur durch Auszubildende/n: Betrieb" in corrections
    assert "25.11.2026" not in corrections
    # Without consent the teacher sees nothing of the log, so no correction either.
    run(ReadingConsent.update({ReadingConsent.company_withdrawn_at: utcnow()}).where(ReadingConsent.contract == finn))
    page = client.get(f"/classes/{fia}/kalender?monat=2026-11").text
    assert "Finn Schneider" not in re.search(r'id="korrekturen".*?</section>', page, re.S).group(0)


# --- the iCal feed ----------------------------------------------------------------------------


def feed_url(client) -> str:
    page = post(client, "/kalender-abo").text
    return re.search(r'value="(http[^"]+/kalender/[^"]+\.ics)"', page).group(1)


def events(client, url: str) -> list[icalendar.Event]:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["cache-control"] == "no-store"
    return list(icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


def test_the_apprentices_feed_lists_school_days_plan_and_holidays_without_log_content(client, run):
    login(client, APPRENTICE)
    url = feed_url(client)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert run(CalendarFeed.select(CalendarFeed.token_hash).first())["token_hash"] != token  # only the hash is stored
    client.cookies.clear()  # the calendar program has no session
    found = events(client, url)
    summaries = {str(e["SUMMARY"]) for e in found}
    starts = {e.decoded("DTSTART") for e in found if str(e["SUMMARY"]).startswith("Berufsschule FIA25a")}
    assert D(2026, 11, 24) in starts and D(2026, 11, 26) in starts and D(2026, 11, 25) not in starts
    assert "Feiertag: Erster Weihnachtstag" in summaries and "Weihnachtsferien" in summaries
    assert "Urlaub – Jahresurlaub" in summaries
    assert not any("Finn" in s for s in summaries)  # the apprentice's own feed needs no names
    christmas = next(e for e in found if str(e["SUMMARY"]) == "Weihnachtsferien" and e.decoded("DTSTART") == D(2026, 12, 23))
    assert christmas.decoded("DTEND") == D(2027, 1, 13)  # 23 Dec – 12 Jan as one event


def test_trainer_and_teacher_feeds_and_revoking(client, run):
    login(client, TRAINER)
    trainer_url = feed_url(client)
    summaries = {str(e["SUMMARY"]) for e in events(client, trainer_url)}
    assert "Finn Schneider: Urlaub – Jahresurlaub" in summaries
    assert "Noah Fischer: Überbetriebliche Ausbildung – Lehrgang Pneumatik" in summaries
    assert any(s.startswith("Noah Fischer: Berufsschule IM25b – Block") for s in summaries)
    assert not any("Lena" in s for s in summaries)  # another company's apprentice
    replaced = feed_url(client)  # a new address replaces the old one
    assert client.get(urlsplit(trainer_url).path).status_code == 404
    assert post(client, "/kalender-abo/widerrufen").status_code == 303
    assert client.get(urlsplit(replaced).path).status_code == 404
    assert "Sie haben noch keine Adresse" in client.get("/kalender-abo").text
    logout(client)
    login(client, TEACHER)
    summaries = {str(e["SUMMARY"]) for e in events(client, feed_url(client))}
    assert summaries == {"Berufsschule FIA25a – Schuljahr 2026/27"}
    assert client.get("/kalender/unbekannt.ics").status_code == 404
    assert client.get("/kalender/unbekannt").status_code == 404


# --- API --------------------------------------------------------------------------------------


def test_api_periods_school_days_calendar_and_plan_items(client, run):
    fia, finn = class_id(run, "FIA25a"), contract_of(run, APPRENTICE)
    login(client, SCHOOL_ADMIN)
    headers = {"X-CSRFToken": csrf_token(client)}
    base = f"/api/v1/classes/{fia}/school-periods"
    created = client.post(base, json={"kind": "block", "start_date": "2027-02-01", "end_date": "2027-02-12", "label": "Block 1"}, headers=headers)
    assert created.status_code == 201 and created.json()["weekdays"] == "12345"
    bad = client.post(base, json={"kind": "weekly", "start_date": "2027-02-12", "end_date": "2027-02-01"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"end_date": "Das Ende muss nach dem Beginn liegen.", "weekdays": "Bitte mindestens einen Wochentag wählen."}
    period_id = created.json()["id"]
    changed = client.put(f"{base}/{period_id}", json={"kind": "weekly", "weekdays": [1], "start_date": "2027-02-01", "end_date": "2027-02-28"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["weekdays"] == "1"
    assert len(client.get(base).json()) == 2
    days = client.get(f"/api/v1/classes/{fia}/school-days?start=2027-02-01&end=2027-02-07").json()
    assert days["dates"] == ["2027-02-01", "2027-02-02", "2027-02-04"]  # this Monday, and the demo's Tuesday and Thursday
    assert client.get(f"/api/v1/classes/{fia}/school-days?start=2027-02-07&end=2027-02-01").status_code == 422
    assert client.delete(f"{base}/{period_id}", headers=headers).status_code == 204
    assert client.put(f"{base}/{period_id}", json={"kind": "block", "start_date": "2027-02-01", "end_date": "2027-02-12"}, headers=headers).status_code == 404
    logout(client)
    login(client, TRAINER)
    headers = {"X-CSRFToken": csrf_token(client)}
    items = f"/api/v1/contracts/{finn}/plan-items"
    item = client.post(items, json={"kind": "inter_company", "start_date": "2027-03-01", "end_date": "2027-03-05", "label": "ÜBA"}, headers=headers)
    assert item.status_code == 201
    month = client.get(f"/api/v1/contracts/{finn}/calendar?month=2027-03").json()
    first = next(d for d in month["days"] if d["date"] == "2027-03-01")
    assert first["plan"] == "inter_company" and first["expected"] == "inter_company"
    assert client.put(f"{items}/{item.json()['id']}", json={"kind": "vacation", "start_date": "2027-03-01", "end_date": "2027-03-02"}, headers=headers).json()["kind"] == "vacation"
    assert client.delete(f"{items}/{item.json()['id']}", headers=headers).status_code == 204
    schema = client.get("/schema/openapi.json").json()
    assert f"/api/v1/classes/{{class_id}}/school-periods" in schema["paths"]
    assert "/api/v1/contracts/{contract_id}/calendar" in schema["paths"]


def test_edit_pages_show_the_stored_values_and_refuse_bad_input_next_to_the_field(client, run):
    fia, finn = class_id(run, "FIA25a"), contract_of(run, APPRENTICE)
    period_id = run(SchoolPeriod.select(SchoolPeriod.id).where(SchoolPeriod.school_class == fia).first())["id"]
    login(client, TEACHER)
    page = client.get(f"/classes/{fia}/kalender/zeitraeume/{period_id}").text
    assert 'value="2026-08-01"' in page and 'value="2" checked' in page and 'value="4" checked' in page
    refused = post(client, f"/classes/{fia}/kalender/zeitraeume/{period_id}", {"kind": "weekly", "weekdays": ["2"], "start_date": "2026-09-01", "end_date": "2026-08-01", "label": "neu"})
    assert refused.status_code == 422 and field_error(refused.text, "end_date") == "Das Ende muss nach dem Beginn liegen."
    assert 'value="neu"' in refused.text
    assert periods(run, fia)[0]["start_date"] == D(2026, 8, 1)
    assert post(client, f"/classes/{fia}/kalender/zeitraeume/999999", {"kind": "block", "start_date": "2026-09-01", "end_date": "2026-09-02"}).status_code == 404
    logout(client)
    item_id = run(PlanItem.select(PlanItem.id).where(PlanItem.contract == finn).first())["id"]
    login(client, TRAINER)
    page = client.get(f"/contracts/{finn}/planung/{item_id}").text
    assert 'value="Jahresurlaub"' in page and 'value="vacation" checked' in page
    refused = post(client, f"/contracts/{finn}/planung/{item_id}", {"kind": "vacation", "start_date": "2026-12-07", "end_date": "2028-01-07"})
    assert refused.status_code == 422 and field_error(refused.text, "end_date") == "Ein geplanter Zeitraum dauert höchstens ein Jahr."
    logout(client)
    login(client, SMALL_TRAINER)  # another company: the item does not exist for them
    assert client.get(f"/contracts/{finn}/planung/{item_id}").status_code == 404
    assert post(client, f"/contracts/{finn}/planung/{item_id}/delete").status_code == 404
    assert run(PlanItem.count().where(PlanItem.id == item_id)) == 1
