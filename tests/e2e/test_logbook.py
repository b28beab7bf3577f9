"""The Berichtsheft in a real browser: an apprentice logs a day on the phone, autosave, a conflict
between two devices, submitting a week, the gap calendar, axe-core and screenshots.

Every test writes its own past week of the contract (the server's database is shared by all e2e
tests), so that the tests neither see nor disturb each other's entries."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import NamedTuple

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from leokop.demo import DEMO_PASSWORD

from tests.e2e.browser import axe_violations, describe_violations, path_of, screenshot, url_path
from tests.helpers import APPRENTICE, SMALL_APPRENTICE

# One past week per test (spring 2026, inside Finn's contract, no holidays unless noted).
WEEK_PHONE_DAY = "2026-03-02"
WEEK_AUTOSAVE = "2026-03-09"
WEEK_CONFLICT = "2026-03-16"
WEEK_VACATION = "2026-03-23"
WEEK_SAME_PAGE = "2026-03-30"  # 3 April (Friday) is Karfreitag
WEEK_INCOMPLETE = "2026-04-13"
WEEK_GAP = "2026-04-20"
WEEK_AXE_ENTRIES = "2026-04-27"  # 1 May (Friday) is a holiday
WEEK_AXE_CONFLICT = "2026-05-04"
WEEK_AXE_SUBMIT_FAILED = "2026-05-11"  # 14 May (Thursday) is Christi Himmelfahrt
WEEK_LENA = "2026-03-02"

NEW_TEXT_LABEL = "Was haben Sie gemacht und gelernt?"
WEEK_PATH = re.compile(r"/contracts/(\d+)/log/(\d{4}-\d{2}-\d{2})")

_contract_ids: dict[str, int] = {}


# --- helpers ------------------------------------------------------------------------------------


def sign_in(page: Page, email: str) -> None:
    """Sign in through the login form. An apprentice lands on the current week (or, before commit
    49a4b34, on the start page), so this does not wait for "Guten Tag" like browser.login does."""
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: url_path(url) == "/" or WEEK_PATH.fullmatch(url_path(url)) is not None)


@pytest.fixture(scope="module")
def apprentice_cookies() -> dict[str, list]:
    """Cookies of each apprentice, signed in once through the form for this module."""
    return {}


@pytest.fixture
def as_apprentice(new_context, apprentice_cookies):
    """Factory like new_context, signed in as an apprentice (the conftest's signed_in_state relies
    on browser.login, which expects the start page that apprentices no longer land on)."""

    def make(viewport: str, email: str = APPRENTICE, **options) -> BrowserContext:
        context = new_context(viewport, **options)
        if email not in apprentice_cookies:
            page = context.new_page()
            sign_in(page, email)
            apprentice_cookies[email] = context.cookies()
            page.close()
        else:
            context.add_cookies(apprentice_cookies[email])
        return context

    return make


def contract_id(page: Page, email: str) -> int:
    """The contract of the signed-in apprentice, found the way a user gets there: /log redirects
    to the current week of the running contract."""
    if email not in _contract_ids:
        page.goto("/log")
        match = WEEK_PATH.fullmatch(path_of(page))
        assert match, f"/log did not lead to a week page but to {page.url}"
        _contract_ids[email] = int(match.group(1))
    return _contract_ids[email]


def open_week(page: Page, monday: str, email: str = APPRENTICE) -> str:
    """Open the week page of `email`'s contract (the page must belong to that user); its path."""
    path = f"/contracts/{contract_id(page, email)}/log/{monday}"
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
    expect(page.get_by_role("heading", level=1)).to_contain_text("KW ")
    return path


def open_details(details: Locator) -> None:
    """Unfold a <details> (a tap on its summary) unless it is open already."""
    if not details.evaluate("element => element.open"):
        details.locator("summary").click()
    expect(details).to_have_attribute("open", "")


def day_card(page: Page, day: str) -> Locator:
    return page.locator(f"section#day-{day}")


def saved_entries(scope: Locator) -> Locator:
    """The stored entries (each its own autosaving form) inside a day card or the page."""
    return scope.locator("form.entry:not(.entry-new)")


def entry_texts(scope: Locator) -> list[str]:
    return [text.input_value() for text in saved_entries(scope).locator("textarea").all()]


def add_entry(
    page: Page,
    day: str,
    text: str,
    *,
    category: str | None = None,
    quick: str | None = None,
    duration: str | None = None,
) -> None:
    """Fill and send the "Eintrag hinzufügen" form of a day ("week" in the weekly mode), and wait
    until the new entry shows on the page."""
    scope = page.locator("#week-entries") if day == "week" else day_card(page, day)
    before = saved_entries(scope).count()
    open_details(scope.locator("details.add"))
    form = page.locator(f"form#new-{day}")
    if category:
        form.get_by_label("Kategorie").select_option(label=category)
    if quick:
        form.get_by_role("group", name="Dauer schnell wählen").get_by_role("button", name=quick, exact=True).click()
        expect(form.get_by_label("Dauer (h)")).to_have_value(quick)
    elif duration:
        form.get_by_label("Dauer (h)").fill(duration)
    form.get_by_label(NEW_TEXT_LABEL).fill(text)
    submit_and_follow(page, lambda: form.get_by_role("button", name="Eintrag hinzufügen").click())
    expect(saved_entries(scope)).to_have_count(before + 1)
    expect(saved_entries(scope).last.locator("textarea")).to_have_value(text)


def submit_and_follow(page: Page, send: Callable[[], None]) -> None:
    """Send a form and wait until the page shows the answer: htmx follows the 303 of a boosted form
    and swaps the page in place, or reloads after an HX-Redirect (with HX-Refresh on the same page)."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        send()
    assert answer.value.status in (200, 303), f"{answer.value.url}: HTTP {answer.value.status}"
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def ensure_entries(page: Page, day: str, texts: list[str]) -> None:
    """Idempotent set-up for checks that may run alone or after each other on the same week."""
    if saved_entries(day_card(page, day)).count() == 0:
        for number, text in enumerate(texts):
            add_entry(page, day, text, quick=["2:00", "4:00", "1:00", "0:30"][number % 4])


def entry_form(page: Page, text: str) -> Locator:
    """The stored entry whose textarea holds `text` (as rendered by the server)."""
    return page.locator("form.entry:not(.entry-new)", has=page.locator("textarea", has_text=text))


def autosave(page: Page, form: Locator, text: str, *, expect_status: int = 200) -> None:
    """Type a new text into an entry and wait for the autosave's answer."""
    # A form htmx has just swapped in gets its triggers when the swap settles; a person cannot type
    # within those milliseconds, a test can.
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
    with page.expect_response(
        lambda r: r.request.method == "POST" and re.search(r"/entries/\d+$", r.url) is not None, timeout=10_000
    ) as answer:
        form.locator("textarea").fill(text)
    assert answer.value.status == expect_status, f"autosave answered HTTP {answer.value.status}"


def print_figure(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n    {line}")


# --- 1. logging a day on the phone ------------------------------------------------------------


def test_apprentice_logs_a_day_on_the_phone(as_apprentice, capsys):
    page = as_apprentice("phone").new_page()
    cid = contract_id(page, APPRENTICE)
    monday, tuesday = WEEK_PHONE_DAY, "2026-03-03"

    started = time.perf_counter()
    open_week(page, monday)
    expect(page.get_by_role("heading", level=1)).to_have_text("KW 10 · 02.03.–08.03.2026")
    add_entry(page, monday, "Kundenauftrag: Netzwerkdose gesetzt und durchgemessen", quick="2:00")
    add_entry(
        page,
        monday,
        "Unterweisung Arbeitssicherheit: Leitern und Tritte",
        category="Unterweisung, Unterricht",
        quick="1:00",
    )
    add_entry(page, monday, "Patchfeld im Serverraum beschriftet und dokumentiert", duration="4:30")
    elapsed = time.perf_counter() - started
    print_figure(capsys, f"logging a day with three entries on the phone took {elapsed:.1f} s in the browser")

    # Tuesday: the status select submits itself; with JavaScript there is no "Übernehmen" button.
    status = page.locator(f"#day-{tuesday}-status")
    expect(day_card(page, tuesday).get_by_role("button", name="Übernehmen")).to_be_hidden()
    submit_and_follow(page, lambda: status.select_option(label="Krank"))

    page.reload()
    assert path_of(page) == f"/contracts/{cid}/log/{monday}"
    card = day_card(page, monday)
    assert entry_texts(card) == [
        "Kundenauftrag: Netzwerkdose gesetzt und durchgemessen",
        "Unterweisung Arbeitssicherheit: Leitern und Tritte",
        "Patchfeld im Serverraum beschriftet und dokumentiert",
    ]
    durations = [d.input_value() for d in saved_entries(card).get_by_label("Dauer (h)").all()]
    assert durations == ["2:00", "1:00", "4:30"]
    assert saved_entries(card).nth(1).get_by_label("Kategorie").input_value() == "instruction"
    expect(card.locator(".day-total")).to_have_text("7:30 h")
    expect(page.locator(".week-total")).to_have_text("Wochensumme: 7:30 h")
    expect(page.locator(f"#day-{tuesday}-status")).to_have_value("sick")
    # A sick day takes no entries.
    expect(day_card(page, tuesday).locator("details.add")).to_have_count(0)
    screenshot(page, "log-day-phone")


def test_each_added_entry_and_status_shows_at_once(as_apprentice):
    """What the user sees right after each tap, without reloading by hand."""
    page = as_apprentice("phone").new_page()
    monday, tuesday, wednesday = WEEK_SAME_PAGE, "2026-03-31", "2026-04-01"
    open_week(page, monday)
    card = day_card(page, monday)
    texts = ["Angebot für eine Kundenanlage vorbereitet", "Angebot mit dem Ausbilder besprochen"]
    for number, text in enumerate(texts, start=1):
        open_details(card.locator("details.add"))
        form = page.locator(f"form#new-{monday}")
        form.get_by_role("button", name="2:00", exact=True).click()
        form.get_by_label(NEW_TEXT_LABEL).fill(text)
        form.get_by_role("button", name="Eintrag hinzufügen").click()
        expect(saved_entries(card)).to_have_count(number, timeout=3000)  # a page load, not 5 s
        expect(saved_entries(card).last.locator("textarea")).to_have_value(text)
        expect(card.locator(".day-total")).to_have_text(f"{2 * number}:00 h")
        expect(page.locator(f"form#new-{monday}").get_by_label(NEW_TEXT_LABEL)).to_have_value("")

    # A sick day or a vacation day takes no entries: its form goes away once the status is set.
    for day, status in ((tuesday, "Krank"), (wednesday, "Urlaub")):
        page.locator(f"#day-{day}-status").select_option(label=status)
        expect(day_card(page, day).locator("details.add")).to_have_count(0, timeout=3000)


# --- 2. autosave ----------------------------------------------------------------------------------


def test_autosave_keeps_an_edited_entry(as_apprentice):
    page = as_apprentice("desktop").new_page()
    open_week(page, WEEK_AUTOSAVE)
    add_entry(page, WEEK_AUTOSAVE, "Erste Fassung", quick="4:00")
    page.reload()

    form = entry_form(page, "Erste Fassung")
    state = form.locator(".save-state")
    expect(state).to_have_text("gespeichert")
    form.locator("textarea").fill("Zweite Fassung: Router konfiguriert und VLANs angelegt")
    expect(state).not_to_have_text("gespeichert")  # "nicht gespeichert …" / "speichert …" while typing
    expect(state).to_have_text("gespeichert")

    page.reload()
    card = day_card(page, WEEK_AUTOSAVE)
    assert entry_texts(card) == ["Zweite Fassung: Router konfiguriert und VLANs angelegt"]
    expect(saved_entries(card).get_by_label("Dauer (h)")).to_have_value("4:00")


# --- 3. conflict between two devices ------------------------------------------------------------


def test_conflict_between_two_devices_loses_nothing(as_apprentice, new_context):
    # Device A: the phone (signed in earlier); device B: a desktop signed in through the form.
    a = as_apprentice("phone").new_page()
    b = new_context("desktop").new_page()
    sign_in(b, APPRENTICE)
    open_week(a, WEEK_CONFLICT)
    add_entry(a, WEEK_CONFLICT, "Ursprünglicher Text", quick="2:00")
    open_week(b, WEEK_CONFLICT)
    a.reload()

    a_form = entry_form(a, "Ursprünglicher Text")
    b_form = entry_form(b, "Ursprünglicher Text")
    entry_id = a_form.get_attribute("id")
    assert entry_id == b_form.get_attribute("id")
    a_form, b_form = a.locator(f"form#{entry_id}"), b.locator(f"form#{entry_id}")

    # Round 1: A saves first; B, still showing the old version, keeps its own text.
    autosave(a, a_form, "Text von Gerät A")
    expect(a_form.locator(".save-state")).to_have_text("gespeichert")
    autosave(b, b_form, "Text von Gerät B", expect_status=409)
    conflict = b_form.locator(".conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("auf einem anderen Gerät geändert")
    expect(conflict.locator(".theirs")).to_contain_text("Text von Gerät A")
    expect(b_form.locator("textarea")).to_have_value("Text von Gerät B")  # nothing typed is lost
    # (No screenshot here: Playwright's caret hiding in a screenshot makes the next edit report a
    # CSP violation; the conflict box is screenshotted by the axe check at the end instead.)

    conflict.get_by_role("button", name="Meine Fassung behalten").click()
    expect(b_form.locator(".save-state")).to_have_text("gespeichert")
    expect(b_form.locator(".conflict")).to_have_count(0)
    a.reload()
    expect(a_form.locator("textarea")).to_have_value("Text von Gerät B")

    # Round 2: A changes it again; B's next edit conflicts and B takes A's version.
    autosave(a, a_form, "Zweiter Text von Gerät A")
    expect(a_form.locator(".save-state")).to_have_text("gespeichert")
    autosave(b, b_form, "Zweiter Text von Gerät B", expect_status=409)
    conflict = b_form.locator(".conflict")
    expect(conflict.locator(".theirs")).to_contain_text("Zweiter Text von Gerät A")
    conflict.get_by_role("button", name="Andere Fassung übernehmen").click()
    expect(b_form.locator("textarea")).to_have_value("Zweiter Text von Gerät A")
    expect(b_form.locator(".conflict")).to_have_count(0)
    expect(b_form.locator(".save-state")).to_have_text("gespeichert")

    # B now holds the current version: its next edit saves without a conflict.
    autosave(b, b_form, "Dritter Text von Gerät B")
    expect(b_form.locator(".save-state")).to_have_text("gespeichert")
    a.reload()
    expect(a_form.locator("textarea")).to_have_value("Dritter Text von Gerät B")


# --- 4. submitting ----------------------------------------------------------------------------------


def test_vacation_week_is_submitted_and_locked(as_apprentice):
    page = as_apprentice("tablet").new_page()
    path = open_week(page, WEEK_VACATION)
    monday, days = WEEK_VACATION, [f"2026-03-{d}" for d in range(23, 28)]
    open_details(page.locator("details#week-status"))
    page.get_by_label("Ganze Woche war").select_option(label="Urlaub")
    page.get_by_role("button", name="Für alle Arbeitstage setzen").click()
    for day in days:
        expect(page.locator(f"#day-{day}-status")).to_have_value("vacation")
    # Monday was a day at work after all (the status select submits itself).
    submit_and_follow(page, lambda: page.locator(f"#day-{monday}-status").select_option(label="Betrieb"))
    add_entry(page, monday, "Urlaubsübergabe an die Kollegen vorbereitet", quick="8:00")
    page.reload()
    assert [page.locator(f"#day-{day}-status").input_value() for day in days] == ["company"] + ["vacation"] * 4

    page.get_by_role("button", name="Woche einreichen").click()
    page.wait_for_url(lambda url: path_of(page) == path and "eingereicht=1" in url)
    expect(page.get_by_role("status").filter(has_text="Eingereicht")).to_contain_text("wartet auf die Freigabe")
    expect(page.locator(".week-state")).to_have_text("eingereicht")
    expect(page.get_by_role("button", name="Woche einreichen")).to_have_count(0)
    expect(page.get_by_role("button", name="Eintrag hinzufügen")).to_have_count(0)
    expect(page.get_by_role("button", name="Löschen")).to_have_count(0)
    expect(page.locator("form.entry-new")).to_have_count(0)
    expect(page.get_by_label("Ganze Woche war")).to_have_count(0)
    entry = saved_entries(day_card(page, monday))
    expect(entry.locator("textarea")).to_have_value("Urlaubsübergabe an die Kollegen vorbereitet")
    expect(entry.locator("textarea")).not_to_be_editable()
    expect(entry.get_by_label("Dauer (h)")).not_to_be_editable()
    expect(entry.get_by_label("Kategorie")).to_be_disabled()
    expect(entry).not_to_have_attribute("hx-post", re.compile(".*"))  # no autosave on a locked week
    for day in days:
        expect(page.locator(f"#day-{day}-status")).to_be_disabled()
    screenshot(page, "log-submitted-tablet")


def test_incomplete_week_lists_problems_in_german(as_apprentice):
    page = as_apprentice("desktop").new_page()
    open_week(page, WEEK_INCOMPLETE)
    add_entry(page, WEEK_INCOMPLETE, "Arbeitsplatz eingerichtet", quick="8:00")
    page.get_by_role("button", name="Woche einreichen").click()

    problems = page.locator("#submit [role=alert]")
    expect(problems).to_contain_text("Die Woche ist noch nicht vollständig:")
    expect(problems).to_be_in_viewport()  # seen where the button was pressed, without scrolling
    missing = "Für diesen Tag fehlt noch ein Eintrag oder ein Status (z. B. Urlaub, krank)."
    expect(problems.locator("li")).to_have_text(
        [
            f"Dienstag, 14.04.: {missing}",
            f"Mittwoch, 15.04.: {missing}",
            f"Donnerstag, 16.04.: {missing}",
            f"Freitag, 17.04.: {missing}",
        ]
    )
    # Still a draft that can be completed.
    expect(page.locator(".week-state")).to_have_text("Entwurf")
    expect(page.get_by_role("button", name="Woche einreichen")).to_be_visible()
    page.reload()
    expect(saved_entries(page.locator("main")).locator("textarea")).to_have_value("Arbeitsplatz eingerichtet")


# --- 5. gap calendar ----------------------------------------------------------------------------


def test_gap_calendar_shows_weeks_in_colour_and_opens_one(as_apprentice):
    page = as_apprentice("desktop").new_page()
    open_week(page, WEEK_GAP)
    add_entry(page, WEEK_GAP, "Lager inventarisiert", quick="4:00")
    cid = contract_id(page, APPRENTICE)

    page.get_by_role("link", name="Übersicht aller Wochen").click()
    page.wait_for_url(lambda url: path_of(page) == f"/contracts/{cid}/log")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ausbildungsnachweis Finn Schneider")
    expect(page.get_by_role("heading", name="1. Ausbildungsjahr")).to_be_visible()
    expect(page.get_by_role("heading", name="3. Ausbildungsjahr")).to_be_visible()

    def colours(selector: str) -> tuple[str, str]:
        square = page.locator(selector).first
        expect(square).to_be_visible()
        return square.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderTopColor]")

    missing, draft, future = colours(".gap-missing"), colours(".gap-draft"), colours(".gap-future")
    assert len({missing[0], draft[0], future[0]}) == 3 or len({missing[1], draft[1], future[1]}) == 3, (
        f"states are not told apart by colour: missing {missing}, draft {draft}, future {future}"
    )
    assert missing[0] not in ("rgba(0, 0, 0, 0)", "transparent"), "a missing week has no background colour"

    square = page.get_by_role("link", name=re.compile(r"KW 17 ab 20\.04\.2026"))
    expect(square).to_have_class(re.compile(r"\bgap-draft\b"))
    expect(square).to_have_attribute("title", "KW 17, ab 20.04.2026: Entwurf")
    screenshot(page, "log-gap-calendar-desktop")
    square.click()
    page.wait_for_url(lambda url: path_of(page) == f"/contracts/{cid}/log/{WEEK_GAP}")
    expect(page.get_by_role("heading", level=1)).to_have_text("KW 17 · 20.04.–26.04.2026")
    assert entry_texts(day_card(page, WEEK_GAP)) == ["Lager inventarisiert"]


# --- 6./7. axe-core and screenshots -------------------------------------------------------------


def week_with_entries(page: Page, as_apprentice) -> None:
    open_week(page, WEEK_AXE_ENTRIES)
    ensure_entries(
        page,
        WEEK_AXE_ENTRIES,
        ["Server-Rack aufgebaut und verkabelt", "Backup-Konzept mit dem Ausbilder besprochen", "Tickets bearbeitet"],
    )
    # The status saves itself on change: wait for that save before reloading.
    submit_and_follow(page, lambda: page.locator("#day-2026-04-28-status").select_option(label="Berufsschule"))
    expect(page.locator("#day-2026-04-28-status")).to_have_value("school")
    page.reload()
    expect(page.locator("#day-2026-04-28-status")).to_have_value("school")


def week_with_conflict(page: Page, as_apprentice) -> None:
    other = as_apprentice("desktop").new_page()
    open_week(other, WEEK_AXE_CONFLICT)
    ensure_entries(other, WEEK_AXE_CONFLICT, ["Konfliktprobe"])
    open_week(page, WEEK_AXE_CONFLICT)
    other.reload()
    entry_id = saved_entries(day_card(page, WEEK_AXE_CONFLICT)).first.get_attribute("id")
    autosave(other, other.locator(f"form#{entry_id}"), f"Anderes Gerät {time.monotonic_ns()}")
    autosave(page, page.locator(f"form#{entry_id}"), f"Dieses Gerät {time.monotonic_ns()}", expect_status=409)
    expect(page.locator(f"form#{entry_id} .conflict")).to_be_visible()


def week_submit_failed(page: Page, as_apprentice) -> None:
    open_week(page, WEEK_AXE_SUBMIT_FAILED)
    page.get_by_role("button", name="Woche einreichen").click()
    expect(page.locator("#submit [role=alert]")).to_contain_text("Die Woche ist noch nicht vollständig:")


def gap_calendar(page: Page, as_apprentice) -> None:
    page.goto(f"/contracts/{contract_id(page, APPRENTICE)}/log")
    expect(page.locator(".gap-grid").first).to_be_visible()


def weekly_week(page: Page, as_apprentice) -> None:
    open_week(page, WEEK_LENA, SMALL_APPRENTICE)
    expect(page.get_by_role("heading", name="Tätigkeiten der Woche")).to_be_visible()
    if saved_entries(page.locator("#week-entries")).count() == 0:
        add_entry(page, "week", "Zählerschrank verdrahtet und geprüft", quick="8:00")


class Check(NamedTuple):
    name: str
    viewport: str
    user: str
    prepare: Callable[[Page, Callable[..., BrowserContext]], None]
    color_scheme: str = "light"


CHECKS = [
    Check("log-week-phone", "phone", APPRENTICE, week_with_entries),
    Check("log-week-tablet", "tablet", APPRENTICE, week_with_entries),
    Check("log-week-desktop", "desktop", APPRENTICE, week_with_entries),
    Check("log-week-dark-phone", "phone", APPRENTICE, week_with_entries, color_scheme="dark"),
    Check("log-week-conflict-phone", "phone", APPRENTICE, week_with_conflict),
    Check("log-week-submit-failed-desktop", "desktop", APPRENTICE, week_submit_failed),
    Check("log-overview-desktop", "desktop", APPRENTICE, gap_calendar),
    Check("log-overview-phone", "phone", APPRENTICE, gap_calendar),
    Check("log-weekly-mode-phone", "phone", SMALL_APPRENTICE, weekly_week),
]


@pytest.mark.parametrize("check", CHECKS, ids=[check.name for check in CHECKS])
def test_logbook_pages_have_no_axe_violations(as_apprentice, check: Check):
    page = as_apprentice(check.viewport, check.user, color_scheme=check.color_scheme, axe=True).new_page()
    check.prepare(page, as_apprentice)
    screenshot(page, check.name)
    violations = axe_violations(page)
    assert not violations, f"axe-core found {len(violations)} violation(s) on {page.url} ({check.name}):\n" + (
        describe_violations(violations)
    )


def test_week_navigation_links_are_named_by_their_text(as_apprentice):
    page = as_apprentice("phone", axe=True).new_page()
    open_week(page, WEEK_PHONE_DAY)
    mismatches = [v for v in axe_violations(page) if v["id"] == "label-content-name-mismatch"]
    assert not mismatches, describe_violations(mismatches)
    for link in page.get_by_role("navigation", name="Wochen").get_by_role("link").all():
        visible = link.inner_text().strip("‹› \n")
        expect(link).to_have_accessible_name(re.compile(re.escape(visible)))


WEEK_ATTACHMENT = "2026-05-18"


def test_an_attachment_and_the_log_export_download_as_files(as_apprentice):
    """Links to files must not be taken over by hx-boost (it would fetch them into the page)."""
    import io

    from PIL import Image

    page = as_apprentice("phone").new_page()
    open_week(page, WEEK_ATTACHMENT)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 90, 160)).save(buffer, "PNG")
    page.get_by_label("Foto oder PDF hinzufügen").set_input_files(files=[{"name": "werkstueck.png", "mimeType": "image/png", "buffer": buffer.getvalue()}])
    page.get_by_role("button", name="Hochladen").click()
    link = page.locator("#attachments a[download]").filter(has_text="werkstueck.png")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "werkstueck.png"
    expect(page.get_by_role("heading", level=1)).to_contain_text("KW ")  # still the week page

    page.goto(re.sub(r"/\d{4}-\d{2}-\d{2}$", "", path_of(page)))
    with page.expect_download() as export:
        page.get_by_role("link", name="Gesamten Nachweis als JSON herunterladen").click()
    assert export.value.suggested_filename.endswith(".json")
