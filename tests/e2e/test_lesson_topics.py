"""Lesson topics in a real browser: the teacher publishes a week's topics on the desktop, the
apprentice finds them prefilled in the week page on the phone, marked "von der Schule", and edits
one; the teacher changes both topics and only the untouched entry follows. Screenshots of the new
page at phone, tablet and desktop size, axe-core on it and on the week with prefilled entries.

The demo calendar has FIA25a at school on Tuesdays and Thursdays of the school year 2026/27; the
week below is used by no other e2e test. The tests of this module build on each other in file order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.test_logbook import autosave, day_card, saved_entries
from tests.e2e.test_signing import assert_no_axe_violations, goto, open_as, settled, shot
from tests.helpers import APPRENTICE, TEACHER

WEEK, TUESDAY, THURSDAY = "2026-09-21", "2026-09-22", "2026-09-24"  # KW 39
LF5 = "LF 5 Software zur Verwaltung von Daten anpassen"
FIRST, SECOND = "Daten mit SQL abfragen: JOIN über drei Tabellen", "Bewerbungsschreiben: Aufbau und Formulierungen"
VIEWPORT_NAMES = ("phone", "tablet", "desktop")


def topics_page(page: Page) -> str:
    """Open FIA25a's topics of WEEK the way the teacher gets there: Klassen → FIA25a → Unterrichtsthemen."""
    goto(page, "/classes")
    page.get_by_role("link", name=re.compile("FIA25a")).first.click()
    settled(page)
    page.get_by_role("link", name="Unterrichtsthemen").click()
    page.wait_for_url(re.compile(r"/classes/\d+/topics/\d{4}-\d{2}-\d{2}$"))
    path = re.sub(r"\d{4}-\d{2}-\d{2}$", WEEK, page.url.split("?")[0])
    goto(page, path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unterrichtsthemen FIA25a")
    return path


def fill_topic(scope: Locator, subject: str, day: str, duration: str, text: str) -> None:
    scope.get_by_label("Lernfeld oder Fach").select_option(subject)
    scope.get_by_label("Tag").select_option(day)
    scope.get_by_label("Dauer (h)").fill(duration)
    scope.get_by_label("Was wurde unterrichtet?").fill(text)


def send(page: Page, button: Locator, status: tuple[int, ...] = (200, 303)) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button.click()
    assert answer.value.status in status, f"{answer.value.url}: HTTP {answer.value.status}"
    settled(page)


def entries_of(page: Page, day: str) -> Locator:
    return saved_entries(day_card(page, day))


def finn_week(page: Page) -> None:
    goto(page, "/log")
    contract = re.search(r"/contracts/(\d+)/log/", page.url).group(1)
    goto(page, f"/contracts/{contract}/log/{WEEK}")


def test_the_teacher_publishes_and_the_apprentice_finds_the_topics_in_the_log(new_context):
    teacher = open_as(new_context, "desktop", TEACHER)
    path = topics_page(teacher)
    expect(teacher.locator(".week-head")).to_contain_text("Berufsschultage laut Kalender: Dienstag, 22.09. · Donnerstag, 24.09.")
    new = teacher.locator("#new form")
    fill_topic(new, LF5, "", "4:30", FIRST)  # the whole week: the class's first school day
    send(teacher, new.get_by_role("button", name="Veröffentlichen"))
    expect(teacher.get_by_role("status")).to_contain_text("Veröffentlicht. 2 Nachweise aktualisiert.")
    fill_topic(teacher.locator("#new form"), "Deutsch", THURSDAY, "1:30", SECOND)
    send(teacher, teacher.locator("#new form").get_by_role("button", name="Veröffentlichen"))
    expect(teacher.locator("#topics .topic")).to_have_count(2)
    shot(teacher, "topics-published-desktop")

    apprentice = open_as(new_context, "phone", APPRENTICE)
    finn_week(apprentice)
    tuesday, thursday = entries_of(apprentice, TUESDAY), entries_of(apprentice, THURSDAY)
    expect(tuesday).to_have_count(1)
    expect(tuesday.locator("textarea")).to_have_value(f"LF 5: {FIRST}")
    expect(tuesday.locator(".origin")).to_have_text("von der Schule: als Unterrichtsthema von der Lehrkraft eingetragen")
    expect(thursday.locator("textarea")).to_have_value(f"Deutsch: {SECOND}")
    expect(thursday.get_by_label("Dauer (h)")).to_have_value("1:30")
    expect(thursday.get_by_label("Kategorie")).to_have_value("school")
    day_card(apprentice, TUESDAY).scroll_into_view_if_needed()
    shot(apprentice, "topics-prefilled-phone", full_page=False)
    autosave(apprentice, tuesday, "LF 5: JOIN über drei Tabellen – eigene Übung mit der Ausleih-Datenbank")
    expect(tuesday.locator(".save-state")).to_have_text("gespeichert")

    # The teacher changes both topics: only Thursday's (untouched) entry follows.
    goto(teacher, path)
    notices = []
    for topic in teacher.locator("#topics .topic").all():  # the week's topic first, then Thursday's
        text = topic.get_by_label("Was wurde unterrichtet?")
        text.fill(text.input_value() + " (ergänzt)")
        send(teacher, topic.get_by_role("button", name=re.compile("Änderung speichern")))
        notices.append(teacher.get_by_role("status").inner_text())
    assert "1 Nachweis aktualisiert" in notices[0] and "1 Nachweis behält den eigenen Text der Auszubildenden" in notices[0], notices
    assert "2 Nachweise aktualisiert" in notices[1], notices
    shot(teacher, "topics-changed-desktop")
    apprentice.reload()
    expect(entries_of(apprentice, TUESDAY).locator("textarea")).to_have_value(
        "LF 5: JOIN über drei Tabellen – eigene Übung mit der Ausleih-Datenbank"
    )
    expect(entries_of(apprentice, THURSDAY).locator("textarea")).to_have_value(f"Deutsch: {SECOND} (ergänzt)")


@pytest.mark.parametrize("viewport", VIEWPORT_NAMES)
def test_the_topics_page_and_the_prefilled_week_look_right_and_have_no_axe_violations(new_context, viewport):
    teacher = open_as(new_context, viewport, TEACHER, axe=True)
    path = topics_page(teacher)
    goto(teacher, path + "?vorwoche=1")  # no topics last week: one empty row
    shot(teacher, f"topics-page-{viewport}")
    assert_no_axe_violations(teacher, f"topics-page-{viewport}")
    # A failed publish: the messages next to the fields.
    send(teacher, teacher.locator("#new form").get_by_role("button", name="Veröffentlichen"), status=(422,))
    expect(teacher.locator("#new-0-text-error")).to_have_text("Bitte ausfüllen.")
    shot(teacher, f"topics-errors-{viewport}")
    assert_no_axe_violations(teacher, f"topics-errors-{viewport}")

    apprentice = open_as(new_context, viewport, APPRENTICE, axe=True)
    finn_week(apprentice)
    expect(entries_of(apprentice, THURSDAY).locator(".origin")).to_be_visible()
    shot(apprentice, f"topics-week-{viewport}")
    assert_no_axe_violations(apprentice, f"topics-week-{viewport}")
