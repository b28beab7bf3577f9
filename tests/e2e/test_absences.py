"""Absences in a real browser: the teacher records one on the desktop, the trainer sees it on the
tablet and asks for an excuse, the teacher excuses it, the apprentice reads the whole history on the
phone; the new pages at phone, tablet and desktop size with screenshots and axe-core.

The server's demo (`leokop seed-demo`) records Finn's contract basis "contract" and two absences of
his (lessons two weeks ago, open; a whole day six weeks ago, excused). The gallery only looks; the
flow then adds one absence."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import path_of
from tests.e2e.test_signing import assert_no_axe_violations, goto, open_as, settled, shot
from tests.helpers import APPRENTICE, TEACHER, TRAINER

VIEWPORT_NAMES = ("phone", "tablet", "desktop")
ABSENCE_PATH = re.compile(r".*/fehlzeiten/(\d+)(\?.*)?$")


def last_tuesday() -> dt.date:
    """Tuesday of last week: in the past, inside Finn's contract, clear of the demo's absences."""
    today = dt.date.today()
    return today - dt.timedelta(days=today.weekday() + 6)


def german(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def open_class_absences(page: Page) -> None:
    goto(page, "/fehlzeiten")
    page.get_by_role("link", name="Klasse FIA25a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fehlzeiten der Klasse FIA25a")
    settled(page)


@pytest.mark.parametrize("viewport", VIEWPORT_NAMES)
def test_absence_pages_look_right_and_have_no_axe_violations(new_context, viewport):
    teacher = open_as(new_context, viewport, TEACHER, axe=True)
    open_class_absences(teacher)
    expect(teacher.get_by_role("button", name="Fehlzeit erfassen")).to_be_visible()
    shot(teacher, f"absences-class-{viewport}")
    assert_no_axe_violations(teacher, f"absences-class-{viewport}")

    trainer = open_as(new_context, viewport, TRAINER, axe=True)
    goto(trainer, "/fehlzeiten")
    expect(trainer.get_by_role("heading", level=1)).to_have_text("Fehlzeiten Ihrer Auszubildenden")
    expect(trainer.get_by_role("note")).to_contain_text("Mia Yilmaz")  # no basis recorded on her contract
    shot(trainer, f"absences-company-{viewport}")
    assert_no_axe_violations(trainer, f"absences-company-{viewport}")

    apprentice = open_as(new_context, viewport, APPRENTICE, axe=True)
    goto(apprentice, "/fehlzeiten")
    expect(apprentice.get_by_role("heading", level=1)).to_have_text("Fehlzeiten – Finn Schneider")
    items = apprentice.locator(".absence-item")
    expect(items.filter(has_text="entschuldigt")).to_have_count(1)
    items.filter(has_text="entschuldigt").locator("details.history > summary").click()
    expect(items.filter(has_text="entschuldigt").locator(".timeline li")).to_have_count(3)
    shot(apprentice, f"absences-own-{viewport}")
    assert_no_axe_violations(apprentice, f"absences-own-{viewport}")

    items.filter(has_text="entschuldigt").get_by_role("link", name=re.compile("Ansehen")).click()
    apprentice.wait_for_url(ABSENCE_PATH)
    settled(apprentice)
    expect(apprentice.get_by_role("heading", level=1)).to_contain_text("Fehlzeit am")
    shot(apprentice, f"absences-detail-apprentice-{viewport}")
    assert_no_axe_violations(apprentice, f"absences-detail-apprentice-{viewport}")

    # The contract page's section: the company records the basis there.
    goto(trainer, "/contracts")
    trainer.get_by_role("link", name="Finn Schneider").click()
    section = trainer.locator("section#fehlzeiten")
    expect(section.get_by_label("Regelung im Ausbildungsvertrag")).to_be_checked()
    shot(trainer, f"absences-contract-section-{viewport}", element=section)
    assert_no_axe_violations(trainer, f"contract-with-absences-{viewport}")


def test_status_badges_and_cards_in_dark_mode_have_no_axe_violations(new_context):
    apprentice = open_as(new_context, "phone", APPRENTICE, axe=True, color_scheme="dark")
    goto(apprentice, "/fehlzeiten")
    expect(apprentice.locator(".absence-status")).to_have_count(2)
    shot(apprentice, "absences-own-dark-phone")
    assert_no_axe_violations(apprentice, "absences-own-dark-phone")
    teacher = open_as(new_context, "phone", TEACHER, axe=True, color_scheme="dark")
    open_class_absences(teacher)
    shot(teacher, "absences-class-dark-phone")
    assert_no_axe_violations(teacher, "absences-class-dark-phone")


def test_teacher_records_trainer_asks_for_an_excuse_teacher_excuses_apprentice_sees_it(new_context):
    day = last_tuesday()

    # 1. The teacher records the absence on the desktop.
    teacher = open_as(new_context, "desktop", TEACHER, axe=True)
    open_class_absences(teacher)
    form = teacher.locator("form.absence-form")
    form.get_by_label("Auszubildende/r").select_option(label="Finn Schneider")
    form.get_by_label("Datum").fill(day.isoformat())
    form.get_by_label("einzelne Unterrichtsstunden").check()
    form.get_by_label("von Stunde").select_option("1")
    form.get_by_label("bis Stunde").select_option("2")
    form.get_by_label("Bemerkung (freiwillig)").fill("Kam erst zur dritten Stunde.")
    form.get_by_role("button", name="Fehlzeit erfassen").click()
    teacher.wait_for_url(ABSENCE_PATH)
    settled(teacher)
    expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Fehlzeit am Di, {german(day)}")
    expect(teacher.get_by_role("status")).to_have_text("Die Fehlzeit wurde erfasst.")
    expect(teacher.locator(".facts")).to_contain_text("1.–2. Stunde")
    absence_url = path_of(teacher)
    shot(teacher, "absences-recorded-desktop")
    assert_no_axe_violations(teacher, "absence-recorded-desktop")

    # 2. The trainer is told, opens it on the tablet and asks for an excuse.
    trainer = open_as(new_context, "tablet", TRAINER, axe=True)
    goto(trainer, "/notifications")
    trainer.get_by_role("button", name=f"Fehlzeit von Finn am {day.strftime('%d.%m.')}").first.click()
    trainer.wait_for_url(ABSENCE_PATH)
    settled(trainer)
    assert path_of(trainer) == absence_url
    expect(trainer.locator(".facts")).to_contain_text("offen")
    answer = trainer.locator("form[action$='/respond']")
    answer.get_by_label("krank").check()
    answer.get_by_label("Nachricht an die Schule (freiwillig)").fill("Krankmeldung liegt uns vor.")
    shot(trainer, "absences-respond-tablet")
    assert_no_axe_violations(trainer, "absence-respond-tablet")
    answer.get_by_role("button", name="Entschuldigung anfordern").click()
    expect(trainer.get_by_role("status")).to_have_text("Ihre Rückmeldung ist bei der Schule.")
    expect(trainer.locator(".facts")).to_contain_text("Entschuldigung angefordert")
    expect(trainer.get_by_role("button", name="Entschuldigung anfordern")).to_have_count(0)
    shot(trainer, "absences-requested-tablet")

    # 3. The teacher sees the request and excuses the absence.
    goto(teacher, "/fehlzeiten")
    expect(teacher.get_by_text("1 Entschuldigung angefordert")).to_be_visible()
    goto(teacher, absence_url)
    expect(teacher.get_by_text("Der Betrieb bittet um eine Entschuldigung.")).to_be_visible()
    expect(teacher.locator(".facts")).to_contain_text("krank – „Krankmeldung liegt uns vor.“")
    decide = teacher.locator("form[action$='/decide']")
    decide.get_by_label("Bemerkung (freiwillig)").fill("Attest liegt vor.")
    shot(teacher, "absences-decide-desktop")
    decide.get_by_role("button", name="Entschuldigt", exact=True).click()
    expect(teacher.get_by_role("status")).to_have_text("Ihre Entscheidung wurde gespeichert.")
    expect(teacher.locator(".facts .badge")).to_have_text("entschuldigt")
    expect(teacher.get_by_role("heading", name="Entscheidung ändern")).to_be_visible()

    # 4. The apprentice reads it all on the phone.
    apprentice = open_as(new_context, "phone", APPRENTICE, axe=True)
    goto(apprentice, "/notifications")
    apprentice.get_by_role("button", name=f"Fehlzeit am {day.strftime('%d.%m.')}: entschuldigt").first.click()
    apprentice.wait_for_url(ABSENCE_PATH)
    settled(apprentice)
    history = apprentice.locator(".timeline > li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Erfasst")
    expect(history.nth(0)).to_contain_text("Dr. Thomas Berg")
    expect(history.nth(1)).to_contain_text("Entschuldigung angefordert")
    expect(history.nth(1)).to_contain_text("Markus Weber")
    expect(history.nth(1)).to_contain_text("Krankmeldung liegt uns vor.")
    expect(history.nth(2)).to_contain_text("Entschuldigt")
    expect(history.nth(2)).to_contain_text("Attest liegt vor.")
    expect(apprentice.locator("form[action^='/fehlzeiten/']")).to_have_count(0)  # reads, never acts
    shot(apprentice, "absences-history-phone")
    assert_no_axe_violations(apprentice, "absence-history-phone")
