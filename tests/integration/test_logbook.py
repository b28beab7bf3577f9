"""The training log over HTTP: the week page, entries with validation and version conflicts, day
statuses, reuse, submitting, the gap calendar, who sees what, the JSON API and query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from leokop.contracts.tables import Contract
from leokop.logbook import calendar
from leokop.logbook.tables import Entry, Week
from leokop.timeutil import today_berlin
from tests.helpers import (
    APPRENTICE,
    APPRENTICE_2,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TRAINER,
    csrf_token,
    field_error,
    login,
    logout,
    post,
)

# A past week inside Finn's contract (1 Aug 2025 – 31 Jul 2028) with Fronleichnam on Thursday in Hessen.
MONDAY = dt.date(2026, 6, 1)
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def finn(client, run):
    contract = run(Contract.select(Contract.id).where(Contract.apprentice.email == APPRENTICE).first)["id"]
    login(client, APPRENTICE)
    return contract


def week_url(contract: int, monday: dt.date = MONDAY) -> str:
    return f"/contracts/{contract}/log/{monday.isoformat()}"


def add(client, contract, text="Schaltplan gelesen", duration="2:00", day=MONDAY, category="company", monday=MONDAY):
    return post(client, week_url(contract, monday) + "/entries", {"day": day.isoformat() if day else "", "category": category, "text": text, "duration": duration})


def entry_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<form id="entry-(\d+)"', html)]


def test_week_page_shows_the_sheet_header_and_holidays(client, finn):
    page = client.get(week_url(finn))
    assert page.status_code == 200
    number = calendar.sheet_number(dt.date(2025, 8, 1), MONDAY)
    assert f"Nachweis Nr. {number}" in page.text and "KW 23" in page.text
    assert "1. Ausbildungsjahr" in page.text and "Finn Schneider" in page.text and "Rhein-Main Maschinenbau AG" in page.text
    assert "Feiertag: Fronleichnam" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_current_week_opens_from_the_navigation(client, finn):
    response = client.get("/log", follow_redirects=False)
    today = today_berlin()  # the server's today is Berlin's, never the test machine's (UTC) date
    assert response.headers["location"] == week_url(finn, calendar.monday_of(today)) + f"#day-{today.isoformat()}"
    page = client.get("/log").text
    assert 'href="/log" aria-current="page">Nachweis<' in page


def test_log_a_day_with_three_entries_and_see_the_totals(client, finn, run):
    for text, duration in (("Schaltplan gelesen", "2:00"), ("Kabel verlegt", "3"), ("Prüfprotokoll", "2,8")):
        response = add(client, finn, text, duration)
        assert response.status_code == 303
        assert response.headers["location"] == f"{week_url(finn)}?weiter=2026-06-01#new-2026-06-01"
    # The day's form stays open for the next entry.
    assert '<details class="add" open>' in client.get(f"{week_url(finn)}?weiter=2026-06-01").text


    page = client.get(week_url(finn)).text
    assert all(text in page for text in ("Schaltplan gelesen", "Kabel verlegt", "Prüfprotokoll"))
    assert "7:48 h" in page  # 2:00 + 3:00 + 2:48 = the contract's daily hours: no warning
    assert "Abweichung von der täglichen Ausbildungszeit" not in page
    add(client, finn, "Aufgeräumt", "0:30")
    assert "Abweichung von der täglichen Ausbildungszeit" in client.get(week_url(finn)).text
    assert run(Week.select(Week.state).where(Week.contract == finn).first)["state"] == "draft"


def test_a_new_entry_proposes_the_hours_left_of_the_contract_day(client, finn):
    page = client.get(week_url(finn)).text
    assert 'id="new-2026-06-01-duration" name="duration" type="text" inputmode="decimal" placeholder="z. B. 1:30" value="7:48"' in page
    assert 'data-duration="7:48"' in page  # the contract's daily hours as a quick choice
    add(client, finn, "Vormittag", "3:00")
    page = client.get(week_url(finn)).text
    assert 'id="new-2026-06-01-duration" name="duration" type="text" inputmode="decimal" placeholder="z. B. 1:30" value="4:48"' in page


def test_bad_entries_are_explained_and_the_input_is_kept(client, finn):
    empty = add(client, finn, text="  ", duration="1:30")
    assert empty.status_code == 422
    assert field_error(empty.text, "new-2026-06-01-text") is None  # ids are per form, not per field name
    assert 'id="new-2026-06-01-text-error">Bitte ausfüllen.<' in empty.text
    assert 'value="1:30"' in empty.text
    words = add(client, finn, text="Löten geübt", duration="lange")
    assert "Bitte die Dauer als Stunden eingeben" in words.text and "Löten geübt</textarea>" in words.text
    too_long = add(client, finn, text="Nachtschicht", duration="13")
    assert "höchstens 12 Stunden" in too_long.text
    zero = add(client, finn, text="Nichts", duration="0")
    assert "größer als 0" in zero.text
    for _ in range(2):
        assert add(client, finn, text="Langer Tag", duration="12").status_code == 303
    over = add(client, finn, text="Noch mehr", duration="1")
    assert "Ein Tag hat höchstens 24 Stunden" in over.text


def test_days_outside_the_contract_and_future_weeks_are_refused(client, finn):
    first_week = dt.date(2025, 7, 28)  # the contract starts on Friday, 1 August 2025
    outside = add(client, finn, day=dt.date(2025, 7, 29), monday=first_week)
    assert outside.status_code == 422 and "außerhalb Ihres Ausbildungsvertrags" in outside.text
    assert add(client, finn, day=dt.date(2025, 8, 1), monday=first_week).status_code == 303
    future = calendar.monday_of(today_berlin()) + dt.timedelta(days=14)
    response = add(client, finn, day=future, monday=future)
    assert response.status_code == 422 and "Zukunft" in response.text


def test_autosave_answers_with_the_new_version_and_detects_a_stale_device(client, finn):
    add(client, finn, "Erste Fassung")
    entry = entry_ids(client.get(week_url(finn)).text)[0]
    url = f"{week_url(finn)}/entries/{entry}"
    form = {"category": "company", "duration": "2", "day": MONDAY.isoformat()}
    saved = post(client, url, {**form, "text": "Vom Handy", "version": "1"}, htmx=True)
    assert saved.status_code == 200 and "gespeichert" in saved.text and 'value="2" hx-swap-oob="true"' in saved.text
    stale = post(client, url, {**form, "text": "Vom Laptop", "version": "1"}, htmx=True)
    assert stale.status_code == 409
    assert "auf einem anderen Gerät geändert" in stale.text and "Vom Handy" in stale.text
    assert 'data-version="2"' in stale.text  # "keep mine" re-sends based on the stored version
    page = client.get(week_url(finn)).text
    assert "Vom Handy" in page and "Vom Laptop" not in page  # nothing applied blindly
    kept = post(client, url, {**form, "text": "Vom Laptop", "version": "2"}, htmx=True)
    assert kept.status_code == 200 and "Vom Laptop" in client.get(week_url(finn)).text


def test_an_entry_deleted_elsewhere_is_offered_as_a_new_one(client, finn):
    add(client, finn, "Wird gelöscht")
    entry = entry_ids(client.get(week_url(finn)).text)[0]
    post(client, f"{week_url(finn)}/entries/{entry}/delete", {"version": "1"})
    response = post(client, f"{week_url(finn)}/entries/{entry}", {"category": "company", "duration": "2", "text": "Noch getippt", "version": "1"}, htmx=True)
    assert response.status_code == 409 and "gelöscht" in response.text and "Als neuen Eintrag speichern" in response.text


def test_entries_can_be_reordered_and_deleted(client, finn, run):
    add(client, finn, "A")
    add(client, finn, "B")
    first, second = entry_ids(client.get(week_url(finn)).text)
    post(client, f"{week_url(finn)}/entries/{second}/move", {"direction": "up"})
    assert entry_ids(client.get(week_url(finn)).text) == [second, first]
    post(client, f"{week_url(finn)}/entries/{first}/delete", {"version": "1"})
    assert entry_ids(client.get(week_url(finn)).text) == [second]
    assert post(client, f"{week_url(finn)}/entries/{first}/delete", {"version": "1"}).status_code == 303  # twice is fine


def test_day_and_week_statuses(client, finn):
    response = post(client, f"{week_url(finn)}/days/{TUESDAY.isoformat()}", {"status": "other_absence", "note": ""})
    assert response.status_code == 422 and "Bitte kurz angeben, was für eine Abwesenheit es war." in response.text
    assert post(client, f"{week_url(finn)}/days/{TUESDAY.isoformat()}", {"status": "other_absence", "note": "Arzttermin"}).status_code == 303
    assert 'value="Arzttermin"' in client.get(week_url(finn)).text
    assert post(client, f"{week_url(finn)}/status", {"status": "vacation"}).status_code == 303
    page = client.get(week_url(finn)).text
    assert page.count('<option value="vacation" selected>') == 4  # Mon, Tue, Wed, Fri; Thursday stays a holiday
    assert page.count('<option value="holiday" selected>') == 1


def test_a_complete_week_is_submitted_and_becomes_read_only(client, finn, run):
    post(client, f"{week_url(finn)}/status", {"status": "vacation"})
    assert post(client, f"{week_url(finn)}/submit").status_code == 303
    page = client.get(week_url(finn)).text
    assert "Eingereicht – wartet auf die Freigabe" in page and "Woche einreichen" not in page
    locked = add(client, finn, "Nachträglich")
    assert locked.status_code == 409 and "eingereicht oder abgezeichnet" in locked.text
    assert post(client, f"{week_url(finn)}/submit").status_code == 303  # a double submit changes nothing
    assert run(Week.select(Week.state).where(Week.contract == finn).first)["state"] == "submitted"


def test_incomplete_weeks_and_school_days_without_topics_cannot_be_submitted(client, finn):
    post(client, f"{week_url(finn)}/days/{MONDAY.isoformat()}", {"status": "school"})
    add(client, finn, "Im Betrieb", "8")
    response = post(client, f"{week_url(finn)}/submit")
    assert response.status_code == 422
    assert "Berufsschultag ohne Unterrichtsthemen" in response.text
    assert "Dienstag, 02.06.: Für diesen Tag fehlt noch ein Eintrag oder ein Status" in response.text
    assert "Donnerstag, 04.06.: " not in response.text  # Fronleichnam needs nothing


def test_copy_previous_week_and_previous_day(client, finn):
    previous = MONDAY - dt.timedelta(days=7)
    add(client, finn, "Wochenroutine", "1", day=previous, monday=previous)
    post(client, f"{week_url(finn, previous)}/days/{previous.isoformat()}", {"status": "school"})
    assert post(client, f"{week_url(finn)}/copy-week").status_code == 303
    page = client.get(week_url(finn)).text
    assert "Wochenroutine" in page and '<option value="school" selected>' in page
    assert post(client, f"{week_url(finn)}/days/{TUESDAY.isoformat()}/copy").status_code == 303
    assert client.get(week_url(finn)).text.count("Wochenroutine</textarea>") == 2
    empty_week = dt.date(2025, 9, 1)
    nothing = post(client, f"{week_url(finn, empty_week)}/copy-week")
    assert nothing.status_code == 422 and "nichts, was kopiert werden könnte" in nothing.text


def test_phrases_and_suggestions_come_only_from_the_apprentice_themself(client, finn, run):
    add(client, finn, "Netzwerkkabel gecrimpt und geprüft")
    add(client, finn, "Netzwerkkabel gecrimpt und geprüft", day=TUESDAY)
    add(client, finn, "Netzwerkdose gesetzt", day=TUESDAY)
    suggestions = client.get("/log/suggestions?text=netzwerk&ziel=x").text
    assert suggestions.index("Netzwerkkabel gecrimpt") < suggestions.index("Netzwerkdose gesetzt")  # most used first
    saved = post(client, "/log/phrases", {"text": "Arbeitsplatz aufgeräumt"}, headers={"Referer": f"http://127.0.0.1:8000{week_url(finn)}"})
    assert saved.headers["location"] == week_url(finn)  # back to the week the form was on
    elsewhere = post(client, "/log/phrases", {"text": "x"}, headers={"Referer": "https://evil.example/steal"})
    assert elsewhere.headers["location"] == "/log"
    assert "Arbeitsplatz aufgeräumt" in client.get(week_url(finn)).text
    logout(client)
    login(client, APPRENTICE_2)
    assert "Netzwerk" not in client.get("/log/suggestions?text=netzwerk&ziel=x").text
    assert "Arbeitsplatz aufgeräumt" not in client.get("/log").text


def test_the_gap_calendar_colours_every_week(client, finn):
    add(client, finn, "Entwurf")
    post(client, f"{week_url(finn, MONDAY + dt.timedelta(days=7))}/status", {"status": "vacation"})
    post(client, f"{week_url(finn, MONDAY + dt.timedelta(days=7))}/submit")
    page = client.get(f"/contracts/{finn}/log").text
    assert f'class="gap gap-draft" href="{week_url(finn)}"' in page
    assert f'class="gap gap-submitted" href="{week_url(finn, MONDAY + dt.timedelta(days=7))}"' in page
    assert "gap-missing" in page and "Wochen fehlen" in page
    assert "2. Ausbildungsjahr" in page and "3. Ausbildungsjahr" in page


def test_weekly_mode_has_week_entries_and_day_statuses(client, run):
    lena = run(Contract.select(Contract.id).where(Contract.apprentice.email == SMALL_APPRENTICE).first)["id"]
    login(client, SMALL_APPRENTICE)
    monday = dt.date(2026, 3, 2)
    assert add(client, lena, "Leitungen verlegt", "12", day=None, monday=monday).status_code == 303
    assert add(client, lena, "Verteiler gesetzt", "8", day=None, monday=monday).status_code == 303
    page = client.get(week_url(lena, monday)).text
    assert "Tätigkeiten der Woche" in page and "Leitungen verlegt" in page and "Wochensumme: <strong>20:00 h" in page
    response = post(client, f"{week_url(lena, monday)}/submit")
    assert "Für diesen Tag fehlt noch ein Eintrag oder ein Status" in response.text  # statuses still count
    post(client, f"{week_url(lena, monday)}/status", {"status": "company"})
    assert post(client, f"{week_url(lena, monday)}/submit").status_code == 303


def test_others_see_a_log_only_within_their_company_and_never_write(client, finn, run):
    add(client, finn, "Geheimer Eintrag")
    logout(client)
    login(client, APPRENTICE_2)
    assert client.get(week_url(finn)).status_code == 404
    assert add(client, finn, "Fremd").status_code == 404
    logout(client)
    login(client, SMALL_TRAINER)
    response = client.get(week_url(finn))
    assert response.status_code == 404 and "Geheimer Eintrag" not in response.text
    logout(client)
    login(client, TRAINER)
    page = client.get(week_url(finn)).text
    assert "Geheimer Eintrag" in page and "readonly" in page and "Woche einreichen" not in page
    assert add(client, finn, "Vom Ausbilder").status_code == 403




def test_the_week_page_runs_the_same_number_of_queries_for_1_or_30_entries(client, finn, count_queries):
    add(client, finn, "Eins")
    count_queries.clear()
    client.get(week_url(finn))
    few = len(count_queries)
    for index in range(29):
        add(client, finn, f"Eintrag {index}", "0:15", day=MONDAY + dt.timedelta(days=index % 3))
    count_queries.clear()
    client.get(week_url(finn))
    # session, contract, week, attachments, days, entries, phrases, signatures, audit records, and
    # the school calendar's periods and the company's plan items (the days' default statuses)
    assert len(count_queries) == few <= 11, count_queries


def test_api_reads_writes_and_detects_conflicts(client, finn):
    headers = {"X-CSRFToken": csrf_token(client)}
    base = f"/api/v1/contracts/{finn}/weeks/{MONDAY.isoformat()}"
    created = client.post(base + "/entries", json={"category": "school", "text": "SQL JOIN", "minutes": 90, "day": MONDAY.isoformat()}, headers=headers)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["minutes"] == 90 and entry["version"] == 1
    week = client.get(base).json()
    assert week["number"] == calendar.sheet_number(dt.date(2025, 8, 1), MONDAY) and week["state"] == "draft"
    assert [e["text"] for e in week["entries"]] == ["SQL JOIN"]
    updated = client.put(f"{base}/entries/{entry['id']}", json={"category": "school", "text": "SQL GROUP BY", "minutes": 90, "version": 1}, headers=headers)
    assert updated.status_code == 200 and updated.json()["version"] == 2
    stale = client.put(f"{base}/entries/{entry['id']}", json={"category": "school", "text": "alt", "minutes": 90, "version": 1}, headers=headers)
    assert stale.status_code == 409 and stale.json()["current"]["text"] == "SQL GROUP BY"
    bad = client.post(base + "/entries", json={"category": "school", "text": "x", "minutes": 90, "day": "2026-06-09"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"]["day"] == "Dieser Tag liegt außerhalb Ihres Ausbildungsvertrags."
    blocked = client.post(base + "/submit", headers=headers)
    assert blocked.status_code == 422 and {p["code"] for p in blocked.json()["problems"]} >= {"missing_status"}
    weeks = client.get(f"/api/v1/contracts/{finn}/weeks").json()
    assert weeks[0]["number"] == 1 and any(w["monday"] == MONDAY.isoformat() and w["state"] == "draft" for w in weeks)
    assert client.delete(f"{base}/entries/{entry['id']}?version=2", headers=headers).status_code == 204
    schema = client.get("/schema/openapi.json").json()
    assert "/api/v1/contracts/{contract_id}/weeks/{monday}/entries/{entry_id}" in schema["paths"]


def test_the_whole_log_can_be_exported_as_json(client, finn):
    add(client, finn, "Für den Export", "1:15")
    post(client, f"{week_url(finn)}/days/{TUESDAY.isoformat()}", {"status": "sick"})
    response = client.get(f"/contracts/{finn}/log/export.json")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="ausbildungsnachweis-')
    data = response.json()
    assert data["contract"]["apprentice"] == "Finn Schneider"
    week = next(w for w in data["weeks"] if w["monday"] == MONDAY.isoformat())
    assert week["state"] == "draft" and week["number"] == calendar.sheet_number(dt.date(2025, 8, 1), MONDAY)
    assert week["entries"] == [{"date": MONDAY.isoformat(), "category": "company", "text": "Für den Export", "minutes": 75}]
    assert week["days"] == [{"date": TUESDAY.isoformat(), "status": "sick", "note": ""}]
    assert len(data["weeks"]) == len(calendar.contract_weeks(dt.date(2025, 8, 1), dt.date(2028, 7, 31)))
    logout(client)
    login(client, APPRENTICE_2)
    assert client.get(f"/contracts/{finn}/log/export.json").status_code == 404


def _photo_with_location() -> bytes:
    import io

    from PIL import Image

    image = Image.new("RGB", (800, 600), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Kamera GmbH"  # Make
    exif[0x8825] = {1: "N", 2: (50.0, 6.0, 0.0), 3: "E", 4: (8.0, 40.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_photos_are_stored_without_location_and_served_only_to_allowed_people(client, finn, app):
    import io

    from PIL import Image

    photo = _photo_with_location()
    assert Image.open(io.BytesIO(photo)).getexif().get(0x8825)  # the test photo really has GPS data
    upload = client.post(
        f"{week_url(finn)}/attachments",
        files={"file": ("Baustelle mit Standort.jpeg", photo, "image/jpeg")},
        data={"_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert upload.status_code == 303
    page = client.get(week_url(finn)).text
    attachment = int(re.search(r'/attachments/(\d+)/thumbnail"', page).group(1))
    original = client.get(f"{week_url(finn)}/attachments/{attachment}", headers={"Accept-Encoding": "br, gzip"})
    assert original.status_code == 200 and original.headers["content-type"] == "image/jpeg"
    assert "content-encoding" not in original.headers  # a JPEG is compressed already
    assert original.headers["content-disposition"] == 'attachment; filename="Baustelle mit Standort.jpg"'
    assert "sandbox" in original.headers["content-security-policy"]
    stored = Image.open(io.BytesIO(original.content))
    assert stored.size == (800, 600) and not stored.getexif()  # no GPS, no camera: metadata gone
    thumbnail = client.get(f"{week_url(finn)}/attachments/{attachment}/thumbnail")
    assert thumbnail.headers["content-type"] == "image/webp" and max(Image.open(io.BytesIO(thumbnail.content)).size) <= 320
    stored_files = list((__import__("pathlib").Path(app.state.settings.var_dir) / "uploads").rglob("*"))
    assert stored_files and not any("Baustelle" in p.name for p in stored_files)  # named by hash, not by user
    logout(client)
    login(client, APPRENTICE_2)
    assert client.get(f"{week_url(finn)}/attachments/{attachment}").status_code == 404
    logout(client)
    login(client, TRAINER)
    assert client.get(f"{week_url(finn)}/attachments/{attachment}").status_code == 200


def test_uploads_are_recognised_by_content_not_by_name(client, finn):
    def upload(name, data, content_type):
        return client.post(
            f"{week_url(finn)}/attachments",
            files={"file": (name, data, content_type)},
            data={"_csrf_token": csrf_token(client)},
            follow_redirects=False,
        )

    disguised = upload("bild.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")
    assert disguised.status_code == 422 and "Nur Fotos (JPEG, PNG, WebP) und PDF-Dateien" in disguised.text
    pdf = upload("bescheinigung.exe", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF", "application/octet-stream")
    assert pdf.status_code == 303
    assert "bescheinigung.pdf" in client.get(week_url(finn)).text
    too_big = upload("gross.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")
    assert too_big.status_code == 422 and "größer als 10 MB" in too_big.text
    empty = client.post(f"{week_url(finn)}/attachments", data={"_csrf_token": csrf_token(client)}, follow_redirects=False)
    assert "Bitte eine Datei auswählen." in empty.text


def test_a_status_changed_on_another_device_is_not_overwritten(client, finn, run):
    from leokop.logbook.tables import Day

    url = f"{week_url(finn)}/days/{TUESDAY.isoformat()}"
    assert post(client, url, {"status": "company", "version": ""}).status_code == 303  # first device
    stale = post(client, url, {"status": "sick", "version": ""})  # second device still saw no status
    assert stale.status_code == 409 and "auf einem anderen Gerät geändert" in stale.text
    assert run(Day.select(Day.status).where(Day.date == TUESDAY).first)["status"] == "company"
    assert post(client, url, {"status": "sick", "version": "1"}).status_code == 303
    assert run(Day.select(Day.status, Day.version).where(Day.date == TUESDAY).first) == {"status": "sick", "version": 2}


def test_a_sentence_in_the_duration_field_gets_the_duration_message(client, finn):
    response = add(client, finn, "Kundensystem eingerichtet", "zwei Stunden lang")
    assert response.status_code == 422
    assert 'id="new-2026-06-01-duration-error">Bitte die Dauer als Stunden eingeben' in response.text
    assert 'value="zwei Stunden lang"' in response.text


def test_an_add_sent_twice_with_the_same_client_id_is_stored_once(client, finn, run):
    body = {"day": MONDAY.isoformat(), "category": "company", "text": "Offline geschrieben", "minutes": 90, "client_id": "c0ffee-0001-offline"}
    headers = {"X-CSRFToken": csrf_token(client)}
    first = client.post(f"/api/v1/contracts/{finn}/weeks/{MONDAY}/entries", json=body, headers=headers)
    second = client.post(f"/api/v1/contracts/{finn}/weeks/{MONDAY}/entries", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert run(Entry.count().where(Entry.week.contract == finn)) == 1
    # Even after the week was submitted, the replay is answered with what is stored, not refused.
    post(client, f"{week_url(finn)}/status", {"status": "vacation"})
    post(client, f"{week_url(finn)}/submit")
    assert client.post(f"/api/v1/contracts/{finn}/weeks/{MONDAY}/entries", json=body, headers=headers).json()["id"] == first.json()["id"]
    bad = client.post(f"/api/v1/contracts/{finn}/weeks/{MONDAY}/entries", json={**body, "client_id": "a b"}, headers=headers)
    assert bad.status_code == 400 or bad.status_code == 422


def test_the_week_fragment_renders_for_htmx_and_a_replayed_form_add_is_stored_once(client, finn, run):
    fragment = client.get(week_url(finn), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "KW 23" in fragment.text
    form = {"day": MONDAY.isoformat(), "category": "company", "text": "Zweimal gesendet", "duration": "1", "client_id": "form-replay-0001"}
    assert post(client, week_url(finn) + "/entries", form).status_code == 303
    assert post(client, week_url(finn) + "/entries", form).status_code == 303
    assert run(Entry.count().where(Entry.week.contract == finn)) == 1
