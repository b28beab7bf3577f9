"""The school calendar in a real browser: the school admin imports a CSV on a desktop, checks the
preview and takes it over; the apprentice on a phone then finds those days prefilled as
"Berufsschule" in the week page and in the calendar. Screenshots of the new pages at phone, tablet
and desktop size, and axe-core on each.

The server's demo data puts FIA25a (Finn's class) at school every Tuesday and Thursday of the
school year; the import adds this week's Monday and Wednesday as project days."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from leokop.logbook.calendar import monday_of
from tests.e2e.browser import SCREENSHOTS, axe_violations, describe_violations, path_of
from tests.helpers import APPRENTICE, SCHOOL_ADMIN, TEACHER, TRAINER

VIEWPORTS = ("phone", "tablet", "desktop")
DESKTOP = {"width": 1366, "height": 900}
# A fixed school week (KW 40, no holidays in Hessen, outside the weeks the demo log fills and the
# other browser tests use): the calendar's proposals must not depend on the day the tests run.
MONDAY = dt.date(2026, 9, 28)
THURSDAY = MONDAY + dt.timedelta(days=3)
PROJECT_DAYS = (MONDAY, MONDAY + dt.timedelta(days=2))


def open_as(new_context, viewport: str, user: str) -> Page:
    context: BrowserContext = new_context(viewport, as_user=user, axe=True)
    page = context.new_page()
    if viewport == "desktop":
        page.set_viewport_size(DESKTOP)
    return page


def goto(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)


def look(page: Page, name: str) -> None:
    """Screenshot for people to look at, then axe-core."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, animations="disabled", caret="initial")
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url} ({name}):\n" + describe_violations(violations)


def open_class_calendar(page: Page) -> None:
    goto(page, "/classes")
    page.get_by_role("link", name="FIA25a").first.click()
    page.get_by_role("link", name="Schulkalender (Blockplan)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schulkalender FIA25a")


def week_of(page: Page, monday: dt.date) -> None:
    """The apprentice's sheet of that week (from /log, the current one, to the one asked for)."""
    goto(page, "/log")
    page.wait_for_url(re.compile(r"/contracts/\d+/log/\d{4}-\d{2}-\d{2}"))
    week_path = path_of(page)
    if not week_path.endswith(monday.isoformat()):
        goto(page, re.sub(r"\d{4}-\d{2}-\d{2}$", monday.isoformat(), week_path))


def set_status(page: Page, day: dt.date, status: str) -> None:
    week_of(page, monday_of(day))
    page.locator(f"#day-{day.isoformat()}-status").select_option(status)
    page.wait_for_load_state("networkidle")
    page.reload()
    assert status_of(page, day) == status


def status_of(page: Page, day: dt.date) -> str:
    return page.locator(f"#day-{day.isoformat()}-status").input_value()


def test_school_admin_imports_a_csv_and_the_apprentice_sees_school_days(new_context):
    admin = open_as(new_context, "desktop", SCHOOL_ADMIN)
    open_class_calendar(admin)
    csv = "Datum;Bezeichnung\n" + "".join(f"{day.strftime('%d.%m.%Y')};Projekttag\n" for day in PROJECT_DAYS)
    admin.get_by_label("Datei (.ics oder .csv, höchstens 512 KB)").set_input_files(
        files=[{"name": "projekttage.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    admin.get_by_role("button", name="Vorschau anzeigen").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Vorschau: projekttage.csv")
    expect(admin.get_by_role("status")).to_contain_text("„Übernehmen“ speichert 2 neue Zeiträume")
    expect(admin.locator(".preview-table tbody tr")).to_have_count(2)
    look(admin, "school-calendar-import-preview-desktop")
    admin.get_by_role("button", name="Übernehmen").click()
    expect(admin.get_by_role("status").first).to_contain_text("Import übernommen. 2 Zeiträume gespeichert.")
    expect(admin.locator("#zeitraeume")).to_contain_text("aus CSV-Datei")

    apprentice = open_as(new_context, "phone", APPRENTICE)
    week_of(apprentice, MONDAY)
    for offset in range(4):  # Monday and Wednesday from the import, Tuesday and Thursday weekly
        assert status_of(apprentice, MONDAY + dt.timedelta(days=offset)) == "school"
    expect(apprentice.locator(f"section#day-{MONDAY.isoformat()} .calendar-default")).to_contain_text("Laut Schulkalender der Klasse")
    assert status_of(apprentice, MONDAY + dt.timedelta(days=4)) == ""
    look(apprentice, "school-calendar-week-prefilled-phone")
    apprentice.get_by_role("link", name="Kalender", exact=True).click()
    expect(apprentice.get_by_role("heading", level=1)).to_have_text("Kalender Finn Schneider")
    monday = apprentice.locator(".month-day:not(.month-out)").filter(has_text=MONDAY.strftime("%d.%m."))
    expect(monday).to_contain_text("Berufsschule: Projekttag")
    look(apprentice, "school-calendar-apprentice-phone")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_calendar_pages_at_three_sizes(new_context, viewport):
    # Finn records a calendar school day as a day at the company: the teacher sees the correction.
    apprentice = open_as(new_context, "phone", APPRENTICE)
    set_status(apprentice, THURSDAY, "company")
    teacher = open_as(new_context, viewport, TEACHER)
    open_class_calendar(teacher)
    goto(teacher, f"{path_of(teacher)}?monat={MONDAY:%Y-%m}")
    correction = teacher.locator("#korrekturen li").filter(has_text=f"{THURSDAY:%d.%m.%Y}")
    expect(correction).to_contain_text("Finn Schneider")
    expect(correction).to_contain_text("Korrektur durch Auszubildende/n: Betrieb")
    look(teacher, f"school-calendar-class-{viewport}")
    teacher.locator("#zeitraeume").get_by_role("link", name=re.compile("^Bearbeiten")).first.click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Zeitraum bearbeiten")
    look(teacher, f"school-calendar-period-{viewport}")

    trainer = open_as(new_context, viewport, TRAINER)
    goto(trainer, "/contracts")
    trainer.get_by_role("link", name="Finn Schneider").first.click()
    trainer.get_by_role("link", name="Kalender und Planung").click()
    expect(trainer.get_by_role("heading", level=1)).to_have_text("Kalender Finn Schneider")
    trainer.get_by_text("Urlaub oder überbetriebliche Ausbildung planen").click()
    look(trainer, f"school-calendar-contract-{viewport}")
    goto(trainer, "/kalender-abo")
    trainer.get_by_role("button", name=re.compile("Adresse erzeugen")).click()
    expect(trainer.get_by_label("Adresse des Kalenders")).to_have_value(re.compile(r"/kalender/[A-Za-z0-9_-]+\.ics$"))
    look(trainer, f"school-calendar-feed-{viewport}")

    set_status(apprentice, THURSDAY, "school")  # as the import test expects the week
