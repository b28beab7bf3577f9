"""Drafts of new entries in a real Chromium: what is typed into "Eintrag hinzufügen" and not yet sent
stays on the device (IndexedDB) until it is saved: after closing the tab offline, after navigating
away online, until "Entwurf verwerfen"; logout deletes it, and another user never sees it.

Every test uses its own past week of Finn's contract (the e2e database is shared)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.browser import axe_violations, describe_violations, login
from tests.e2e.test_pwa import api_entries, contract_id, day_form, open_week, screenshot, wait_for, with_text
from tests.helpers import APPRENTICE, APPRENTICE_2

WEEK_CLOSED_TAB, DAY_CLOSED_TAB = "2026-08-10", "2026-08-11"
WEEK_NAVIGATE, DAY_NAVIGATE = "2026-08-17", "2026-08-18"
WEEK_DISCARD, DAY_DISCARD = "2026-08-24", "2026-08-25"
WEEK_LOGOUT, DAY_LOGOUT = "2026-08-31", "2026-09-01"
WEEK_OTHER_USER, DAY_OTHER_USER = "2026-09-07", "2026-09-08"
WEEK_UPGRADE, DAY_UPGRADE = "2026-09-14", "2026-09-15"

TEXT = "Was haben Sie gemacht und gelernt?"
RESTORED = "Entwurf wiederhergestellt"


def drafts(page: Page) -> list[dict]:
    return page.evaluate("() => window.LeokopOutbox.drafts.all()")


def draft_texts(page: Page) -> list[str]:
    return [draft["fields"].get("text", "") for draft in drafts(page)]


def finns_week(new_context, monday: str, **options) -> tuple[BrowserContext, Page, int, str]:
    """A phone signed in as Finn with that week of his contract open: context, page, contract, path."""
    context = new_context("phone", as_user=APPRENTICE, **options)
    page = context.new_page()
    contract = contract_id(page)
    return context, page, contract, open_week(page, contract, monday)


def test_a_draft_typed_offline_is_back_after_closing_the_tab_and_is_saved_once(new_context):
    context, page, contract, week = finns_week(new_context, WEEK_CLOSED_TAB)
    text = f"Im Funkloch angefangen: Netzwerkdose gepatcht {uuid.uuid4().hex[:6]}"

    context.set_offline(True)
    form = day_form(page, DAY_CLOSED_TAB)
    form.get_by_label("Kategorie").select_option("instruction")
    form.get_by_label("Dauer (h)").fill("2:15")
    form.get_by_label(TEXT).fill(text)
    # Closed without pressing "Eintrag hinzufügen", once the typing paused (the page also writes
    # the draft on pagehide, but how much work a closing tab may still do is the browser's call).
    wait_for(page, lambda: draft_texts(page) == [text], message="the draft stored while typing")
    page.close()

    context.set_offline(False)
    later = context.new_page()
    later.goto(week)
    form = later.locator(f"form#new-{DAY_CLOSED_TAB}")
    expect(form.get_by_label(TEXT)).to_have_value(text)
    expect(form.get_by_label("Dauer (h)")).to_have_value("2:15")
    expect(form.get_by_label("Kategorie")).to_have_value("instruction")
    note = form.locator(".draft-note")
    expect(note).to_contain_text(RESTORED)
    expect(note.get_by_role("button", name="Entwurf verwerfen")).to_be_visible()
    expect(later.locator("#pwa-status")).to_have_text("Entwurf wiederhergestellt.")
    screenshot(later, "offline-draft-restored-phone", near=form)
    assert draft_texts(later) == [text]

    form.get_by_role("button", name="Eintrag hinzufügen").click()
    stored = wait_for(later, lambda: with_text(api_entries(context, contract, WEEK_CLOSED_TAB), text), message="the entry on the server")
    assert len(stored) == 1 and stored[0]["minutes"] == 135 and stored[0]["category"] == "instruction"
    later.wait_for_function("() => window.LeokopOutbox.drafts.all().then(items => items.length === 0)")
    later.reload()
    form = later.locator(f"form#new-{DAY_CLOSED_TAB}")
    expect(form.get_by_label(TEXT)).to_have_value("")
    expect(later.locator(".draft-note")).to_have_count(0)
    expect(later.locator(f"section#day-{DAY_CLOSED_TAB} form.entry:not(.entry-new) textarea").filter(has_text=text)).to_have_count(1)
    assert len(with_text(api_entries(context, contract, WEEK_CLOSED_TAB), text)) == 1


def test_a_draft_typed_online_is_back_after_navigating_away(new_context):
    context, page, contract, week = finns_week(new_context, WEEK_NAVIGATE)
    text = f"Angefangen, dann weggetippt {uuid.uuid4().hex[:6]}"

    day_form(page, DAY_NAVIGATE).get_by_label(TEXT).fill(text)
    page.get_by_role("link", name="Übersicht aller Wochen").click()  # at once, an htmx page swap
    page.wait_for_url(re.compile(r"/contracts/\d+/log$"))
    page.go_back()
    page.wait_for_url(re.compile(re.escape(week) + "$"))
    form = page.locator(f"form#new-{DAY_NAVIGATE}")
    expect(form.get_by_label(TEXT)).to_have_value(text)
    expect(form.locator(".draft-note")).to_contain_text(RESTORED)

    # Typing on changes the draft; opening the week anew brings that back.
    form.get_by_label(TEXT).fill(text + " und fertig")
    wait_for(page, lambda: draft_texts(page) == [text + " und fertig"], message="the changed draft")
    page.goto(week)
    expect(page.locator(f"form#new-{DAY_NAVIGATE}").get_by_label(TEXT)).to_have_value(text + " und fertig")
    assert api_entries(context, contract, WEEK_NAVIGATE) == []


def test_discarding_a_draft_empties_the_form_for_good(new_context):
    _, page, _, _ = finns_week(new_context, WEEK_DISCARD, axe=True)
    form = day_form(page, DAY_DISCARD)
    proposed = form.get_by_label("Dauer (h)").input_value()
    form.get_by_label("Dauer (h)").fill("0:45")
    form.get_by_label(TEXT).fill("Doch nicht eintragen")
    wait_for(page, lambda: draft_texts(page) == ["Doch nicht eintragen"], message="the draft")

    page.reload()
    form = page.locator(f"form#new-{DAY_DISCARD}")
    note = form.locator(".draft-note")
    expect(note).to_contain_text(RESTORED)
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    note.get_by_role("button", name="Entwurf verwerfen").click()
    expect(form.get_by_label(TEXT)).to_have_value("")
    expect(form.get_by_label(TEXT)).to_be_focused()
    expect(form.get_by_label("Dauer (h)")).to_have_value(proposed)
    expect(note).to_have_count(0)
    expect(page.locator("#pwa-status")).to_have_text("Entwurf verworfen.")
    wait_for(page, lambda: drafts(page) == [], message="the draft deleted")

    page.reload()
    form = page.locator(f"form#new-{DAY_DISCARD}")
    expect(form.get_by_label(TEXT)).to_have_value("")
    expect(form.get_by_label("Dauer (h)")).to_have_value(proposed)
    expect(page.locator(".draft-note")).to_have_count(0)


def test_logout_deletes_the_drafts(new_context):
    # A session of its own: logging out revokes it, and the other tests share theirs.
    context = new_context("phone")
    page = context.new_page()
    login(page, APPRENTICE)
    contract = contract_id(page)
    week = open_week(page, contract, WEEK_LOGOUT)
    text = f"Vor dem Abmelden getippt {uuid.uuid4().hex[:6]}"
    form = day_form(page, DAY_LOGOUT)
    form.get_by_label(TEXT).fill(text)
    wait_for(page, lambda: draft_texts(page) == [text], message="the draft")
    # Typing on and signing out right away: the last keystrokes must not land after the clean-up.
    form.get_by_label(TEXT).press_sequentially(" mehr")
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/login"))
    page.wait_for_timeout(800)  # longer than the draft's typing pause
    assert drafts(page) == []

    login(page, APPRENTICE)
    page.goto(week)
    expect(page.locator(f"form#new-{DAY_LOGOUT}").get_by_label(TEXT)).to_have_value("")
    expect(page.locator(".draft-note")).to_have_count(0)
    assert drafts(page) == []


def test_another_user_on_the_same_browser_never_sees_a_draft(new_context):
    context, page, finns, _ = finns_week(new_context, WEEK_OTHER_USER)
    text = f"Finns Entwurf {uuid.uuid4().hex[:6]}"
    day_form(page, DAY_OTHER_USER).get_by_label(TEXT).fill(text)
    wait_for(page, lambda: draft_texts(page) == [text], message="Finn's draft")

    # Finn's session ends without a logout (it expired); Mia signs in on the same browser and opens
    # the same week of her log, with forms of the same names.
    context.clear_cookies()
    login(page, APPRENTICE_2)
    mias = contract_id(page)
    assert mias != finns
    open_week(page, mias, WEEK_OTHER_USER)
    expect(day_form(page, DAY_OTHER_USER).get_by_label(TEXT)).to_have_value("")
    expect(page.locator(".draft-note")).to_have_count(0)
    assert text not in page.content()
    # And it is gone from the device as soon as someone else signed in has been seen.
    wait_for(page, lambda: drafts(page) == [], message="Finn's draft deleted")


def test_a_device_with_the_first_database_keeps_its_outbox_and_gets_drafts(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    # The contract, asked without a page: any page of ours would open the database already.
    contract = int(re.search(r"/contracts/(\d+)/log/", context.request.get("/log").url).group(1))
    text = f"Vor dem Update offline gespeichert {uuid.uuid4().hex[:6]}"
    # The database as the first version of the app left it: only the outbox, one add waiting. (Made
    # on a page of the origin that runs none of our scripts, before any of them opened it.)
    blank = context.new_page()
    blank.goto("/pwa/icon.svg")
    blank.evaluate(
        """(item) => new Promise((resolve, reject) => {
            const request = indexedDB.open("leokop", 1);
            request.onupgradeneeded = () => request.result.createObjectStore("outbox", {keyPath: "key", autoIncrement: true});
            request.onsuccess = () => {
                const db = request.result;
                const tx = db.transaction("outbox", "readwrite");
                tx.objectStore("outbox").put(item);
                tx.oncomplete = () => { db.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
            request.onerror = () => reject(request.error);
        })""",
        {
            "kind": "add", "contract": contract, "monday": WEEK_UPGRADE, "day": DAY_UPGRADE, "category": "company",
            "text": text, "minutes": 60, "client_id": uuid.uuid4().hex, "state": "pending", "created": 0, "csrf": "",
        },
    )
    blank.close()

    page = context.new_page()
    open_week(page, contract, WEEK_UPGRADE)
    stored = wait_for(page, lambda: with_text(api_entries(context, contract, WEEK_UPGRADE), text), message="the old outbox sent")
    assert len(stored) == 1
    assert page.evaluate("() => new Promise(r => { const q = indexedDB.open('leokop'); q.onsuccess = () => { r(q.result.version); q.result.close(); }; })") == 2
    # The page refreshes its <main> once the outbox is sent: type after that, not into the old form.
    page.wait_for_function("() => window.LeokopOutbox.all().then(items => items.length === 0)")
    page.wait_for_load_state("networkidle")
    day_form(page, DAY_UPGRADE).get_by_label(TEXT).fill("Nach dem Update")
    wait_for(page, lambda: draft_texts(page) == ["Nach dem Update"], message="a draft in the new store")
