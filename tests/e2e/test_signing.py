"""Signing in a real browser: the apprentice fixes a returned week on the phone, the trainer returns a
week with a template on the tablet and approves the inbox at once, the teacher co-signs the school
part on the desktop; axe-core and screenshots of the new pages at phone, tablet and desktop size.

The server's demo log (`leokop seed-demo`) gives Finn Schneider four past weeks (the oldest approved,
the third-last returned, the two latest submitted) and Noah Fischer two submitted ones. The tests of
this module build on each other in file order: the gallery only looks, then a week is fixed and
resubmitted, another is returned and resubmitted, the trainer approves everything waiting, and the
teacher co-signs an approved week."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e.browser import SCREENSHOTS, axe_violations, describe_violations, path_of
from tests.e2e.test_logbook import WEEK_PATH, autosave, day_card, print_figure, saved_entries
from tests.helpers import APPRENTICE, TEACHER, TRAINER

VIEWPORT_NAMES = ("phone", "tablet", "desktop")
DESKTOP = {"width": 1366, "height": 900}  # a common laptop screen, narrower than the conftest's desktop
FINN = "Finn Schneider"
DEMO_RETURN_REASON = "Bitte am Freitag genauer beschreiben, was Sie getestet haben."


# --- helpers ------------------------------------------------------------------------------------


def open_as(new_context, viewport: str, user: str, *, axe: bool = False, color_scheme: str = "light") -> Page:
    """A new page of `user` (signed in) at the named size; "desktop" here is 1366×900."""
    context: BrowserContext = new_context(viewport, as_user=user, axe=axe, color_scheme=color_scheme)
    page = context.new_page()
    if viewport == "desktop":
        page.set_viewport_size(DESKTOP)
    return page


def shot(page: Page, name: str, *, full_page: bool = True, element: Locator | None = None) -> Path:
    """screenshots/<name>.png. caret="initial": hiding the caret injects a style that the CSP refuses."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if element is not None:
        element.screenshot(path=str(path), animations="disabled", caret="initial")
    else:
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="initial")
    return path


def assert_no_axe_violations(page: Page, name: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core found {len(violations)} violation(s) on {page.url} ({name}):\n" + (
        describe_violations(violations)
    )


def goto(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"


def settled(page: Page) -> None:
    """Wait until htmx has swapped in the answer of a boosted link or form."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def week_path_of(page: Page) -> tuple[int, dt.date]:
    match = WEEK_PATH.fullmatch(path_of(page))
    assert match, f"not a week page: {page.url}"
    return int(match.group(1)), dt.date.fromisoformat(match.group(2))


def finn_contract(page: Page) -> int:
    """Finn's contract, as Finn finds it: /log leads to the current week."""
    goto(page, "/log")
    return week_path_of(page)[0]


def weeks_in_state(page: Page, contract_id: int, state: str) -> list[str]:
    """Paths of the weeks of a contract in `state`, from the gap calendar (oldest first)."""
    goto(page, f"/contracts/{contract_id}/log")
    return [link.get_attribute("href").split("#")[0] for link in page.locator(f"a.gap-{state}").all()]


def inbox_rows(page: Page) -> Locator:
    return page.locator("form#bulk .inbox-row")


def review_links(page: Page, name: str = FINN) -> list[str]:
    """The "Ansehen" links of `name`'s weeks in the open inbox."""
    rows = inbox_rows(page).filter(has_text=name)
    return [row.get_by_role("link", name="Ansehen").get_attribute("href") for row in rows.all()]


def history_items(page: Page) -> Locator:
    return page.locator("#review .history .timeline > li")


def resubmit(page: Page) -> None:
    """Press "Woche einreichen" on the open (editable) week and wait for the submitted state."""
    path = path_of(page)
    page.get_by_role("button", name="Woche einreichen").click()
    page.wait_for_url(lambda url: path_of(page) == path and "eingereicht=1" in url)
    expect(page.locator(".week-state")).to_have_text("eingereicht")
    expect(page.get_by_role("button", name="Woche einreichen")).to_have_count(0)


# --- 1. the new pages at three sizes: screenshots and axe-core ------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORT_NAMES)
def test_signing_pages_look_right_and_have_no_axe_violations(new_context, viewport):
    """Looks only (runs before the tests that change weeks): the trainer's inbox and a week in
    review with the return form open, the substitutions page, the apprentice's returned week and
    notifications, and the teacher's class overview."""
    trainer = open_as(new_context, viewport, TRAINER, axe=True)
    goto(trainer, "/freigaben")
    expect(trainer.get_by_role("heading", level=1)).to_have_text("Freigaben")
    expect(inbox_rows(trainer).first).to_be_visible()
    shot(trainer, f"signing-inbox-{viewport}")
    assert_no_axe_violations(trainer, f"inbox-{viewport}")

    inbox_rows(trainer).first.get_by_role("link", name="Ansehen").click()
    trainer.wait_for_url(WEEK_PATH)
    settled(trainer)
    review = trainer.locator("section#review")
    expect(review.get_by_role("button", name="Woche abzeichnen")).to_be_visible()
    review.locator("details.review-return > summary").click()
    expect(review.get_by_label("Was soll überarbeitet werden? (Pflichtfeld)")).to_be_visible()
    review.scroll_into_view_if_needed()
    shot(trainer, f"signing-review-{viewport}", full_page=False)
    shot(trainer, f"signing-review-panel-{viewport}", element=review)
    assert_no_axe_violations(trainer, f"week-review-{viewport}")

    goto(trainer, "/vertretungen")
    expect(trainer.get_by_role("heading", level=1)).to_have_text("Vertretung und Vorlagen")
    shot(trainer, f"signing-substitutes-{viewport}")
    assert_no_axe_violations(trainer, f"substitutes-{viewport}")

    apprentice = open_as(new_context, viewport, APPRENTICE, axe=True)
    goto(apprentice, "/notifications")
    expect(apprentice.get_by_role("heading", level=1)).to_have_text("Benachrichtigungen")
    expect(apprentice.locator(".list-row.unread").first).to_be_visible()
    expect(apprentice.locator(".bell-count")).to_be_visible()
    shot(apprentice, f"signing-notifications-{viewport}")
    assert_no_axe_violations(apprentice, f"notifications-{viewport}")

    returned = weeks_in_state(apprentice, finn_contract(apprentice), "returned")
    assert returned, "the demo log has no returned week of Finn's"
    goto(apprentice, returned[0])
    expect(apprentice.get_by_role("note")).to_contain_text(DEMO_RETURN_REASON)
    shot(apprentice, f"signing-returned-{viewport}", full_page=False)
    shot(apprentice, f"signing-returned-history-{viewport}", element=apprentice.locator("section#review"))
    assert_no_axe_violations(apprentice, f"returned-week-{viewport}")

    teacher = open_as(new_context, viewport, TEACHER, axe=True)
    goto(teacher, "/classes")
    teacher.get_by_role("link", name="FIA25a").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Klasse FIA25a")
    settled(teacher)
    shot(teacher, f"signing-class-{viewport}")
    assert_no_axe_violations(teacher, f"class-overview-{viewport}")


def test_dark_mode_inbox_and_review_panel_have_no_axe_violations(new_context):
    """The colours of the new badges, the sticky bar, the integrity line and the timeline in dark mode."""
    trainer = open_as(new_context, "phone", TRAINER, axe=True, color_scheme="dark")
    goto(trainer, "/freigaben")
    trainer.get_by_label("Alle auswählen").check()
    shot(trainer, "signing-inbox-dark-phone", full_page=False)
    assert_no_axe_violations(trainer, "inbox-dark-phone")

    apprentice = open_as(new_context, "phone", APPRENTICE, axe=True, color_scheme="dark")
    approved = weeks_in_state(apprentice, finn_contract(apprentice), "approved")
    assert approved, "the demo log has no approved week of Finn's"
    goto(apprentice, approved[-1])
    review = apprentice.locator("section#review")
    expect(review.locator(".integrity-ok")).to_contain_text("Integrität geprüft")
    review.locator("details.history > summary").click()
    shot(apprentice, "signing-approved-dark-phone", element=review)
    assert_no_axe_violations(apprentice, "approved-week-dark-phone")


# --- 2. the apprentice fixes the returned week on the phone -------------------------------------


def test_apprentice_fixes_the_returned_week_on_the_phone(new_context):
    page = open_as(new_context, "phone", APPRENTICE)
    goto(page, "/notifications")
    unread_before = int(page.locator(".bell-count").inner_text())
    expect(page.locator(".bell")).to_have_accessible_name(f"Benachrichtigungen: {unread_before} ungelesen")
    page.get_by_role("button", name=re.compile(r"wurde von Markus Weber zurückgegeben")).first.click()
    page.wait_for_url(WEEK_PATH)
    settled(page)
    contract_id, monday = week_path_of(page)
    friday = (monday + dt.timedelta(days=4)).isoformat()

    # What was wrong, and by whom: the notice at the top and the open history below.
    expect(page.locator(".week-state")).to_have_text("zurückgegeben")
    expect(page.get_by_role("note")).to_contain_text("Zurückgegeben von Markus Weber am")
    expect(page.get_by_role("note")).to_contain_text(f"Begründung: {DEMO_RETURN_REASON}")
    history = page.locator("#review details.history")
    expect(history).to_have_attribute("open", "")
    expect(history_items(page).last).to_contain_text("Zurückgegeben")
    expect(history_items(page).last).to_contain_text("Markus Weber (Ausbilder/in)")
    expect(history_items(page).last.locator(".reason")).to_have_text(f"„{DEMO_RETURN_REASON}“")
    # Opening the notification marked it read.
    if unread_before > 1:
        expect(page.locator(".bell-count")).to_have_text(str(unread_before - 1))
    else:
        expect(page.locator(".bell-count")).to_have_count(0)

    # Friday, as asked: say what was tested (autosave), then submit again.
    card = day_card(page, friday)
    entry = saved_entries(card).last
    before = entry.locator("textarea").input_value()
    fixed = before + " Getestet: Rabattstaffeln, Rundung auf Cent und leere Rechnungen."
    autosave(page, page.locator(f"form#{entry.get_attribute('id')}"), fixed)
    expect(entry.locator(".save-state")).to_have_text("gespeichert")
    resubmit(page)
    expect(history).not_to_have_attribute("open", "")
    history.locator("summary").click()
    expect(history_items(page)).to_have_text(
        [re.compile("^Eingereicht"), re.compile("^Zurückgegeben"), re.compile("^Eingereicht")]
    )
    page.reload()
    expect(saved_entries(day_card(page, friday)).last.locator("textarea")).to_have_value(fixed)
    assert path_of(page) == f"/contracts/{contract_id}/log/{monday.isoformat()}"


# --- 3. the trainer returns a week with a template on the tablet ---------------------------------


def test_trainer_returns_a_week_with_a_template_and_the_apprentice_resubmits(new_context):
    trainer = open_as(new_context, "tablet", TRAINER)
    goto(trainer, "/freigaben")
    links = review_links(trainer)
    assert links, "no week of Finn's waits in the trainer's inbox"
    week = max(links, key=lambda href: href.split("/")[-1])  # the latest week
    week_path = week.split("#")[0]
    trainer.locator(f"a[href='{week}']").click()
    trainer.wait_for_url(lambda url: path_of(trainer) == week_path)
    settled(trainer)

    review = trainer.locator("section#review")
    expect(review).to_contain_text("Noch keine Unterschrift.")
    review.get_by_text("Zurückgeben …").click()
    picker = review.get_by_label("Vorlage einfügen")
    template = picker.locator("option").nth(1).get_attribute("value")
    assert template, "no return template to choose from"
    picker.select_option(index=1)
    reason = review.get_by_label("Was soll überarbeitet werden? (Pflichtfeld)")
    expect(reason).to_have_value(template)
    expect(reason).to_be_focused()
    reason.press("End")
    reason.press_sequentially(" Bitte am Mittwoch die Testfälle nennen.")
    text = f"{template} Bitte am Mittwoch die Testfälle nennen."
    expect(reason).to_have_value(text)
    review.get_by_label("Als Vorlage merken").check()
    review.get_by_role("button", name="Zurückgeben", exact=True).click()
    # On to the next waiting week, or back to the inbox when none is left.
    trainer.wait_for_url(lambda url: "erledigt=zurueckgegeben" in url)
    settled(trainer)
    expect(trainer.get_by_role("status").filter(has_text="Zurückgegeben.")).to_contain_text(
        "Die oder der Auszubildende wird benachrichtigt."
    )
    assert path_of(trainer) != week_path
    goto(trainer, "/vertretungen")
    expect(trainer.locator("#vorlagen li").filter(has_text=text)).to_have_count(1)
    goto(trainer, "/freigaben")
    expect(trainer.locator(f"a[href='{week}']")).to_have_count(0)

    # The apprentice: reason, history, a fix and the week back in the inbox.
    apprentice = open_as(new_context, "phone", APPRENTICE)
    goto(apprentice, week_path)
    expect(apprentice.locator(".week-state")).to_have_text("zurückgegeben")
    expect(apprentice.get_by_role("note")).to_contain_text(text)
    expect(history_items(apprentice).last).to_contain_text("Zurückgegeben")
    expect(history_items(apprentice).last.locator(".reason")).to_have_text(f"„{text}“")
    shot(apprentice, "signing-returned-by-trainer-phone", full_page=False)
    _, monday = week_path_of(apprentice)
    wednesday = (monday + dt.timedelta(days=2)).isoformat()
    entry = saved_entries(day_card(apprentice, wednesday)).last
    fixed = "Unit-Tests für die Rechnungsberechnung: Testfälle Skonto, Teilzahlung und Storno geschrieben."
    autosave(apprentice, apprentice.locator(f"form#{entry.get_attribute('id')}"), fixed)
    expect(entry.locator(".save-state")).to_have_text("gespeichert")
    resubmit(apprentice)
    goto(trainer, "/freigaben")
    expect(trainer.locator(f"a[href='{week}']")).to_have_count(1)


# --- 4. the trainer approves everything waiting at once -----------------------------------------


def test_trainer_approves_the_whole_inbox_at_once(new_context, capsys):
    page = open_as(new_context, "phone", TRAINER)
    goto(page, "/")
    # Through the menu: htmx swaps the page in (no new document), and "Alle auswählen" works there too.
    page.evaluate("() => { window.sameDocument = true; }")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Freigaben").click()
    page.wait_for_url(lambda url: path_of(page) == "/freigaben")
    settled(page)
    assert page.evaluate("() => window.sameDocument === true"), "the menu link was not boosted by htmx"
    rows = inbox_rows(page)
    waiting = rows.count()
    assert waiting >= 2, f"only {waiting} week(s) wait in the inbox"
    boxes = page.locator("form#bulk input[name=week_ids]")
    select_all = page.get_by_label("Alle auswählen")

    select_all.check()
    for box in boxes.all():
        expect(box).to_be_checked()
    # Unticking one week leaves "Alle auswählen" half ticked; ticking it again completes it.
    boxes.first.uncheck()
    expect(select_all).not_to_be_checked()
    assert select_all.evaluate("box => box.indeterminate")
    boxes.first.check()
    expect(select_all).to_be_checked()
    assert not select_all.evaluate("box => box.indeterminate")

    # However long the list, the button sits at the bottom of the phone's screen.
    button = page.get_by_role("button", name="Ausgewählte abzeichnen")
    expect(button).to_be_in_viewport()
    shot(page, "signing-inbox-selected-phone", full_page=False)
    started = time.perf_counter()
    button.click()
    expect(page.get_by_text("Alles erledigt: Keine eingereichte Woche wartet auf Sie.")).to_be_visible()
    elapsed = time.perf_counter() - started
    print_figure(capsys, f"approving {waiting} selected weeks from the inbox took {elapsed:.2f} s in the browser")

    expect(page.get_by_role("status")).to_have_text(f"{waiting} {'Woche' if waiting == 1 else 'Wochen'} abgezeichnet.")
    expect(rows).to_have_count(0)
    expect(page.get_by_role("button", name="Ausgewählte abzeichnen")).to_have_count(0)
    page.reload()
    expect(inbox_rows(page)).to_have_count(0)

    # The apprentice hears of it.
    apprentice = open_as(new_context, "phone", APPRENTICE)
    goto(apprentice, "/notifications")
    expect(apprentice.locator(".list-row.unread").filter(has_text="wurde abgezeichnet").first).to_be_visible()


# --- 5. the teacher co-signs the school part on the desktop ---------------------------------------


def test_teacher_cosigns_a_week_from_the_class_overview(new_context):
    page = open_as(new_context, "desktop", TEACHER)
    goto(page, "/classes")
    page.get_by_role("link", name="FIA25a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Klasse FIA25a")
    finn = page.locator("li.list-row").filter(has_text=FINN)
    expect(finn.locator(".badge").filter(has_text="abgezeichnet")).to_be_visible()
    to_cosign = finn.locator(".badge").filter(has_text="zur Gegenzeichnung")
    expect(to_cosign).to_be_visible()
    count = int(to_cosign.inner_text().split()[0])
    expect(page.locator("li.list-row").filter(has_text="Mia Yilmaz")).to_contain_text("Keine Einwilligung")

    finn.get_by_role("link", name="Ausbildungsnachweis lesen").click()
    page.wait_for_url(lambda url: re.fullmatch(r"/contracts/\d+/log", path_of(page)) is not None)
    settled(page)
    approved = page.locator("a.gap-approved")
    expect(approved.first).to_be_visible()
    approved.last.click()  # the latest approved week (with a day at school)
    page.wait_for_url(WEEK_PATH)
    settled(page)
    path = path_of(page)
    review = page.locator("section#review")
    expect(review.locator(".signature-approval")).to_contain_text("Markus Weber")

    review.get_by_role("button", name="Schulteil gegenzeichnen").click()
    page.wait_for_url(lambda url: path_of(page) == path and "erledigt=gegengezeichnet" in url)
    settled(page)
    done = page.get_by_role("status").filter(has_text="gegengezeichnet")
    expect(done).to_have_text("Der Schulteil ist gegengezeichnet.")
    review = page.locator("section#review")
    cosign = review.locator(".signature-cosign")
    expect(cosign).to_contain_text("Schulteil gegengezeichnet")
    expect(cosign).to_contain_text("von Dr. Thomas Berg (Lehrkraft)")
    expect(cosign).not_to_have_class(re.compile(r"\bsignature-void\b"))
    expect(review.locator(".integrity-ok")).to_contain_text("Integrität geprüft")
    expect(review.get_by_role("button", name="Schulteil gegenzeichnen")).to_have_count(0)
    expect(history_items(page).last).to_contain_text("Schulteil gegengezeichnet")
    shot(page, "signing-cosigned-desktop", element=review)

    goto(page, "/classes")
    page.get_by_role("link", name="FIA25a").click()
    badge = page.locator("li.list-row").filter(has_text=FINN).locator(".badge").filter(has_text="zur Gegenzeichnung")
    if count > 1:
        expect(badge).to_have_text(f"{count - 1} zur Gegenzeichnung")
    else:
        expect(badge).to_have_count(0)
