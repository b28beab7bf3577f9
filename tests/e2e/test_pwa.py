"""The installable app in a real Chromium: manifest and installability, the service worker (control,
shell cache, offline page, new versions), writing offline (outbox, replay exactly once, conflicts,
closing the tab), push messages delivered over the DevTools protocol, the push switch, the install
hint, axe-core and screenshots.

Every test that writes uses its own past week of Finn's contract (the e2e database is shared)."""

from __future__ import annotations

import json
import re
import time
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.browser import SCREENSHOTS, axe_violations, describe_violations, login, path_of
from tests.helpers import APPRENTICE, APPRENTICE_2

WEEK_OFFLINE_ADD = "2026-06-08"
WEEK_OFFLINE_EDIT = "2026-06-15"
WEEK_OFFLINE_CONFLICT = "2026-06-22"
WEEK_CLOSED_TAB = "2026-06-29"
WEEK_AXE = "2026-07-06"
WEEK_BACKGROUND_SYNC = "2026-07-13"
WEEK_SHARED_DEVICE = "2026-07-20"

WEEK_PATH = re.compile(r"/contracts/(\d+)/log/(\d{4}-\d{2}-\d{2})")
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


# --- helpers ------------------------------------------------------------------------------------


def controlled(page: Page) -> str:
    """Wait until the service worker controls the page; its script URL. A page whose navigation
    started while the first worker was still installing stays uncontrolled (the worker's
    clients.claim() came before it): like a person, open it again then."""
    page.evaluate("() => navigator.serviceWorker.ready")
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=5_000)
    except PlaywrightTimeoutError:
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    return page.evaluate("() => navigator.serviceWorker.controller.scriptURL")


def contract_id(page: Page) -> int:
    page.goto("/log")
    match = WEEK_PATH.search(path_of(page))
    assert match, f"/log did not lead to a week page but to {page.url}"
    return int(match.group(1))


def open_week(page: Page, contract: int, monday: str) -> str:
    path = f"/contracts/{contract}/log/{monday}"
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
    expect(page.get_by_role("heading", level=1)).to_contain_text("KW ")
    return path


def screenshot(page: Page, name: str, near: Locator | None = None) -> None:
    """What the phone shows (the viewport, scrolled to `near`), in screenshots/<name>.png. Unlike
    browser.screenshot it leaves the caret alone: hiding it puts style attributes on every field,
    which htmx then copies into swapped content, where the CSP rightly refuses them."""
    if near is not None:
        near.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", caret="initial")


def api_headers(context: BrowserContext) -> dict[str, str]:
    token = next(c["value"] for c in context.cookies() if c["name"] == "leokop_csrf")
    return {"X-CSRFToken": token, "Accept": "application/json"}


def api_entries(context: BrowserContext, contract: int, monday: str) -> list[dict]:
    response = context.request.get(f"/api/v1/contracts/{contract}/weeks/{monday}", headers={"Accept": "application/json"})
    assert response.ok, response.text()
    return response.json()["entries"]


def api_add(context: BrowserContext, contract: int, monday: str, text: str, day: str | None = None) -> dict:
    response = context.request.post(
        f"/api/v1/contracts/{contract}/weeks/{monday}/entries",
        headers=api_headers(context),
        data=json.dumps({"day": day or monday, "category": "company", "text": text, "minutes": 60}),
    )
    assert response.status == 201, response.text()
    return response.json()


def wait_for(page: Page, check, timeout: float = 20.0, message: str = "condition"):
    """Poll `check` until it returns something truthy (the server is reached asynchronously). Waits
    through the page, so that Playwright keeps handling the browser's events meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        page.wait_for_timeout(200)


def with_text(entries: list[dict], text: str) -> list[dict]:
    return [entry for entry in entries if entry["text"] == text]


def day_form(page: Page, day: str):
    """The "Eintrag hinzufügen" form of a day, unfolded."""
    details = page.locator(f"section#day-{day} details.add")
    if not details.evaluate("element => element.open"):
        details.locator("summary").click()
    return page.locator(f"form#new-{day}")


def add_offline(page: Page, day: str, duration: str, text: str) -> Locator:
    """Type a new entry into the day's form while offline and press "Eintrag hinzufügen": it waits
    in the outbox. Returns the day's card of waiting entries."""
    form = day_form(page, day)
    form.get_by_label("Dauer (h)").fill(duration)
    form.get_by_label("Was haben Sie gemacht und gelernt?").fill(text)
    form.get_by_role("button", name="Eintrag hinzufügen").click()
    waiting = page.locator(f"section#day-{day} .entry-offline")
    expect(waiting).to_contain_text("offline gespeichert")
    return waiting


def outbox_items(page: Page) -> list[dict]:
    return page.evaluate("() => window.LeokopOutbox.all()")


# --- manifest, installability, service worker ------------------------------------------------


def test_manifest_is_found_parsed_and_the_app_installable(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    page.goto("/account")
    controlled(page)

    manifest = page.evaluate("() => fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["name"] == "leokop – Ausbildungsnachweis"
    assert manifest["short_name"] == "leokop"
    assert manifest["lang"] == "de" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/?quelle=app" and manifest["scope"] == "/" and manifest["id"]
    assert {s["name"]: s["url"] for s in manifest["shortcuts"]} == {"Diese Woche": "/log", "Freigaben": "/freigaben"}
    icons = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons
    for icon in manifest["icons"]:
        response = context.request.get(icon["src"])
        assert response.ok and response.headers["content-type"].startswith(icon["type"]), icon["src"]
    assert context.request.get("/pwa/icons/apple-touch-icon.png").ok
    assert page.locator('meta[name=theme-color][media="(prefers-color-scheme: dark)"]').count() == 1

    cdp = context.new_cdp_session(page)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["errors"] == [], parsed["errors"]
    assert urlsplit(parsed["url"]).path == "/manifest.webmanifest"
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    # Playwright's contexts are off-the-record profiles, where Chromium never installs anything.
    assert [e for e in errors if e != "in-incognito"] == [], errors


def test_service_worker_controls_the_page_and_caches_only_the_shell(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    page.goto("/log")
    assert urlsplit(controlled(page)).path == "/sw.js"
    cached = page.evaluate(
        """async () => {
            const names = await caches.keys();
            const urls = [];
            for (const name of names) for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
            return {names, urls};
        }"""
    )
    assert len(cached["names"]) == 1 and re.fullmatch(r"leokop-shell-[0-9a-f]{16}", cached["names"][0]), cached
    assert "/offline" in cached["urls"] and "/static/css/app.css" in cached["urls"]
    # Nothing personal: no page but the offline page, no API answer, no fragment.
    assert all(url.startswith(("/static/", "/pwa/")) or url == "/offline" for url in cached["urls"]), cached["urls"]
    offline_page = page.evaluate("() => caches.match('/offline').then(r => r.text())")
    assert "Finn" not in offline_page and "Abmelden" not in offline_page


def test_offline_the_shell_and_the_offline_page_still_show(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    page.goto("/log")
    controlled(page)
    week = path_of(page)

    context.set_offline(True)
    page.goto("/account")  # never visited: no copy anywhere, so the offline page
    expect(page.get_by_role("heading", level=1)).to_have_text("Keine Verbindung")
    # The shell came from the cache: styled, and the scripts ran (app.js marks the page).
    assert page.evaluate("() => getComputedStyle(document.querySelector('.topbar')).backgroundColor") == "rgb(31, 95, 139)"
    assert page.evaluate("() => document.documentElement.classList.contains('js') && typeof htmx === 'object'")
    assert path_of(page) == "/account"
    screenshot(page, "pwa-offline-page-phone")

    page.goto(week)  # personal pages are not kept either
    expect(page.get_by_role("heading", level=1)).to_have_text("Keine Verbindung")

    context.set_offline(False)
    page.get_by_role("link", name="Erneut versuchen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("KW ")


def test_a_new_version_waits_and_is_taken_on_request(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    page.goto("/account")
    first = controlled(page)

    # A deploy, as the browser sees it: another worker script for the same scope. (Playwright cannot
    # change the bytes of /sw.js on the way, so the new version has another address, and the pages
    # loaded after the deploy register that one.)
    context.add_init_script(
        """(() => {
            const register = ServiceWorkerContainer.prototype.register;
            ServiceWorkerContainer.prototype.register = function (url, options) {
                return register.call(this, url === "/sw.js" ? "/sw.js?neu=1" : url, options);
            };
        })();"""
    )
    page.evaluate("() => navigator.serviceWorker.register('/sw.js?neu=1', {scope: '/'})")
    toast = page.locator("#update-toast")
    expect(toast).to_be_visible(timeout=20_000)
    # It waits: the page keeps the old worker until asked.
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL") == first
    assert page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => !!r.waiting)")
    screenshot(page, "pwa-update-toast-phone")
    with page.expect_navigation():
        toast.get_by_role("button", name="Neue Version – neu laden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    page.wait_for_function("() => navigator.serviceWorker.controller && navigator.serviceWorker.controller.scriptURL.endsWith('/sw.js?neu=1')")
    expect(page.locator("#update-toast")).to_be_hidden()


# --- writing offline -------------------------------------------------------------------------------


def test_an_entry_typed_offline_reaches_the_server_exactly_once(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    contract = contract_id(page)
    open_week(page, contract, WEEK_OFFLINE_ADD)
    controlled(page)
    text = f"Offline geschrieben: Lager inventarisiert {uuid.uuid4().hex[:6]}"
    day = "2026-06-09"

    context.set_offline(True)
    waiting = add_offline(page, day, "1:30", text)
    expect(waiting).to_contain_text(text)
    expect(day_form(page, day).get_by_label("Was haben Sie gemacht und gelernt?")).to_have_value("")
    [item] = outbox_items(page)
    assert item["kind"] == "add" and item["minutes"] == 90 and re.fullmatch(r"[A-Za-z0-9_-]{8,40}", item["client_id"])
    screenshot(page, "pwa-offline-entry-phone", near=waiting)

    context.set_offline(False)
    stored = wait_for(page, lambda: with_text(api_entries(context, contract, WEEK_OFFLINE_ADD), text), message="the entry on the server")
    assert stored[0]["minutes"] == 90 and stored[0]["day"] == day
    # The page shows it as a stored entry, and the outbox is empty.
    expect(page.locator(f"section#day-{day} form.entry:not(.entry-new) textarea").filter(has_text=text)).to_have_count(1)
    page.wait_for_function("() => window.LeokopOutbox.all().then(items => items.length === 0)")
    # Page and service worker (Background Sync) may both have tried: still stored once.
    page.wait_for_timeout(1500)
    assert len(with_text(api_entries(context, contract, WEEK_OFFLINE_ADD), text)) == 1


def test_an_edit_made_offline_is_sent_with_its_version(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    contract = contract_id(page)
    entry = api_add(context, contract, WEEK_OFFLINE_EDIT, "Werkzeug sortiert", day="2026-06-16")
    open_week(page, contract, WEEK_OFFLINE_EDIT)
    controlled(page)

    context.set_offline(True)
    textarea = page.locator(f"#entry-{entry['id']}-text")
    textarea.fill("Werkzeug sortiert und Bestandsliste aktualisiert")
    expect(page.locator(f"#entry-{entry['id']}-state")).to_have_text("offline gespeichert")

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    stored = wait_for(
        page, lambda: [e for e in api_entries(context, contract, WEEK_OFFLINE_EDIT) if e["id"] == entry["id"] and e["version"] > entry["version"]],
        message="the edit on the server",
    )
    assert stored[0]["text"] == "Werkzeug sortiert und Bestandsliste aktualisiert"
    assert stored[0]["version"] == entry["version"] + 1
    expect(page.locator(f"#entry-{entry['id']}-state")).to_have_text("gespeichert")
    # The page now holds the new version: the next online change saves without a conflict.
    textarea.fill("Werkzeug sortiert, Bestandsliste aktualisiert und geprüft")
    expect(page.locator(f"#entry-{entry['id']}-state")).to_have_text("gespeichert", timeout=15_000)
    wait_for(
        page, lambda: [e for e in api_entries(context, contract, WEEK_OFFLINE_EDIT) if e["id"] == entry["id"] and e["text"].endswith("geprüft")],
        message="the online change",
    )


def test_an_offline_edit_that_meets_a_change_from_elsewhere_shows_the_conflict(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    contract = contract_id(page)
    entry = api_add(context, contract, WEEK_OFFLINE_CONFLICT, "Kabel verlegt", day="2026-06-23")
    open_week(page, contract, WEEK_OFFLINE_CONFLICT)
    controlled(page)

    context.set_offline(True)
    page.locator(f"#entry-{entry['id']}-text").fill("Kabel verlegt (mein Handy, offline)")
    expect(page.locator(f"#entry-{entry['id']}-state")).to_have_text("offline gespeichert")
    # Meanwhile the same entry is changed on another device.
    other = context.request.put(
        f"/api/v1/contracts/{contract}/weeks/{WEEK_OFFLINE_CONFLICT}/entries/{entry['id']}",
        headers=api_headers(context),
        data=json.dumps({"category": "company", "text": "Kabel verlegt (Laptop)", "minutes": 60, "version": entry["version"]}),
    )
    assert other.ok, other.text()

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    conflict = page.locator(f"#entry-{entry['id']}-state .conflict")
    expect(conflict).to_contain_text("auf einem anderen Gerät geändert", timeout=20_000)
    expect(conflict).to_contain_text("Kabel verlegt (Laptop)")
    expect(page.locator(f"#entry-{entry['id']}-text")).to_have_value("Kabel verlegt (mein Handy, offline)")
    screenshot(page, "pwa-offline-conflict-phone", near=conflict)
    # Nothing was overwritten silently; keeping mine saves it and settles the outbox.
    assert [e["text"] for e in api_entries(context, contract, WEEK_OFFLINE_CONFLICT) if e["id"] == entry["id"]] == ["Kabel verlegt (Laptop)"]
    conflict.get_by_role("button", name="Meine Fassung behalten").click()
    expect(page.locator(f"#entry-{entry['id']}-state")).to_have_text("gespeichert")
    wait_for(
        page, lambda: [e for e in api_entries(context, contract, WEEK_OFFLINE_CONFLICT) if e["text"] == "Kabel verlegt (mein Handy, offline)"],
        message="my version on the server",
    )
    page.wait_for_function("() => window.LeokopOutbox.all().then(items => items.length === 0)")


def test_an_entry_written_offline_survives_closing_the_tab(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    contract = contract_id(page)
    week = open_week(page, contract, WEEK_CLOSED_TAB)
    controlled(page)
    text = f"Vor dem Funkloch notiert {uuid.uuid4().hex[:6]}"

    context.set_offline(True)
    add_offline(page, "2026-06-30", "2", text)
    page.close()

    context.set_offline(False)
    later = context.new_page()
    later.goto(week)
    wait_for(later, lambda: with_text(api_entries(context, contract, WEEK_CLOSED_TAB), text), message="the entry on the server")
    # Background Sync may deliver it while this page loads: the page then says "gesendet – erscheint
    # nach dem Neuladen". Either way, after a reload it is there exactly once.
    later.reload()
    expect(later.locator("section#day-2026-06-30 form.entry:not(.entry-new) textarea").filter(has_text=text)).to_have_count(1)
    assert len(with_text(api_entries(context, contract, WEEK_CLOSED_TAB), text)) == 1


def test_a_change_waits_on_a_shared_device_for_the_person_who_made_it(new_context):
    """Finn's session ends while his entry waits offline; Mia signs in on the same phone. The entry
    is neither sent with Mia's session nor shown to her; it goes to Finn's log when he is back."""
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    contract = contract_id(page)
    week = open_week(page, contract, WEEK_SHARED_DEVICE)
    controlled(page)
    text = f"Auf dem Gemeinschaftstablet notiert {uuid.uuid4().hex[:6]}"

    context.set_offline(True)
    add_offline(page, "2026-07-21", "1", text)
    [item] = outbox_items(page)
    finn = page.locator("#main").get_attribute("data-user")
    assert finn and item["owner"] == finn
    page.close()
    context.clear_cookies()  # Finn's session ended (idle timeout) without a logout

    context.set_offline(False)
    page = context.new_page()
    login(page, APPRENTICE_2)
    mia = page.locator("#main").get_attribute("data-user")
    assert mia and mia != finn
    page.evaluate("() => window.LeokopPwa.replay()")
    # Background Sync (with Mia's cookies) may try too: give it the time a replay takes.
    page.wait_for_timeout(2000)
    [waiting] = outbox_items(page)
    assert waiting["owner"] == finn and waiting["state"] == "pending" and "status" not in waiting
    page.get_by_role("button", name="Abmelden").click()  # no question: Mia has nothing waiting
    page.wait_for_url(lambda url: urlsplit(url).path == "/login")
    assert [i["text"] for i in outbox_items(page)] == [text]  # Mia's logout leaves Finn's change

    login(page, APPRENTICE)
    page.goto(week)
    stored = wait_for(page, lambda: with_text(api_entries(context, contract, WEEK_SHARED_DEVICE), text), message="Finn's entry on the server")
    assert len(stored) == 1 and stored[0]["day"] == "2026-07-21"
    page.wait_for_function("() => window.LeokopOutbox.all().then(items => items.length === 0)")


def test_background_sync_sends_the_outbox_with_no_page_open(new_context, live_server):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    contract = contract_id(page)
    open_week(page, contract, WEEK_BACKGROUND_SYNC)
    controlled(page)
    text = f"Im Zug geschrieben {uuid.uuid4().hex[:6]}"
    context.set_offline(True)
    form = day_form(page, "2026-07-14")
    form.get_by_label("Dauer (h)").fill("3")
    form.get_by_label("Was haben Sie gemacht und gelernt?").fill(text)
    form.get_by_role("button", name="Eintrag hinzufügen").click()
    expect(page.locator("section#day-2026-07-14 .entry-offline")).to_contain_text("offline gespeichert")
    assert page.evaluate("() => navigator.serviceWorker.ready.then(r => r.sync.getTags())") == ["leokop-outbox"]

    # No leokop page is open any more; the browser fires the sync event when the network is back
    # (here through the DevTools protocol, from a blank tab).
    blank = context.new_page()
    page.close()
    context.set_offline(False)
    cdp = context.new_cdp_session(blank)
    registration = registration_id(blank, cdp, live_server)
    cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": live_server, "registrationId": registration, "tag": "leokop-outbox", "lastChance": False})
    stored = wait_for(blank, lambda: with_text(api_entries(context, contract, WEEK_BACKGROUND_SYNC), text), message="the entry sent by the worker")
    assert stored[0]["minutes"] == 180 and len(stored) == 1


# --- push ----------------------------------------------------------------------------------------


def registration_id(page: Page, cdp, origin: str) -> str:
    """ServiceWorker.enable reports the registrations; the one of our origin."""
    found: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.extend(r["registrationId"] for r in event["registrations"] if r["scopeURL"].startswith(origin) and not r["isDeleted"]),
    )
    cdp.send("ServiceWorker.enable")
    return wait_for(page, lambda: found[-1] if found else None, timeout=10, message="the service worker registration")


def notifications(page: Page) -> list[dict]:
    return page.evaluate(
        """() => navigator.serviceWorker.ready.then(r => r.getNotifications())
               .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"""
    )


def deliver_push(page: Page, cdp, origin: str, registration: str, data: str, shown) -> list[dict]:
    """Hand `data` to the service worker as a push (DevTools' ServiceWorker.deliverPushMessage) and
    wait until `shown(notifications)` holds. The DevTools call drops a message now and then when the
    worker is being started for it (seen on the busy 2-core machine): then it is handed over again.
    Notifications with the same tag replace each other, so a second delivery adds none."""
    for attempt in range(3):
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": origin, "registrationId": registration, "data": data})
        try:
            return wait_for(page, lambda: shown(notifications(page)), timeout=8.0, message="the notification")
        except AssertionError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def test_a_push_message_shows_a_notification_that_opens_the_right_page(new_context, live_server):
    context = new_context("phone", as_user=APPRENTICE)
    context.grant_permissions(["notifications"], origin=live_server)
    page = context.new_page()
    page.goto("/account")
    controlled(page)
    cdp = context.new_cdp_session(page)
    registration = registration_id(page, cdp, live_server)

    target = f"{live_server}/contracts/1/log/2026-06-08"
    payload = {
        "web_push": 8030,
        "notification": {"title": "Woche freigegeben", "body": "KW 24 ist abgezeichnet.", "navigate": target, "lang": "de", "tag": "week-24"},
    }
    notes = deliver_push(page, cdp, live_server, registration, json.dumps(payload), lambda notes: notes)
    assert notes == [{"title": "Woche freigegeben", "body": "KW 24 ist abgezeichnet.", "tag": "week-24", "url": target}]

    # Every push shows something, also one that is not the JSON we send.
    fallback = deliver_push(page, cdp, live_server, registration, "kaputt", lambda notes: [n for n in notes if n["title"] == "leokop"])
    assert fallback[0]["url"] == f"{live_server}/notifications" and fallback[0]["body"]


PUSH_STUB = """
(() => {
  // Headless Chromium has no push service: a subscription as the browser would hand it out.
  let current = null;
  const make = () => ({
    endpoint: "https://fcm.googleapis.com/fcm/send/test-" + Math.random().toString(36).slice(2),
    options: {applicationServerKey: null},
    toJSON() { return {endpoint: this.endpoint, expirationTime: null, keys: {p256dh: "BPub", auth: "QXV0aA"}}; },
    unsubscribe() { current = null; return Promise.resolve(true); },
  });
  PushManager.prototype.subscribe = function (options) {
    window.__subscribeKeyLength = options.applicationServerKey.byteLength;
    current = current || make();
    return Promise.resolve(current);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
})();
"""


def test_the_push_switch_subscribes_and_unsubscribes_this_device(new_context, live_server):
    context = new_context("phone", as_user=APPRENTICE)
    context.grant_permissions(["notifications"], origin=live_server)
    context.add_init_script(PUSH_STUB)
    calls: list[tuple[str, str, dict | None]] = []

    def push_api(route):
        request = route.request
        body = request.post_data_json if request.method == "POST" else None
        calls.append((request.method, urlsplit(request.url).path, body))
        if request.method == "GET":
            route.continue_()  # the server's real key
        elif request.method == "POST":
            route.fulfill(status=201, json={"id": 7})
        else:
            route.fulfill(status=204, body="")

    context.route("**/api/v1/push/**", push_api)
    page = context.new_page()
    page.goto("/account")
    controlled(page)
    switch = page.locator("[data-push-toggle]")
    expect(switch.locator('[data-push-state="off"]')).to_be_visible()
    switch.get_by_role("button", name="Benachrichtigungen auf diesem Gerät einschalten").click()
    expect(switch.locator('[data-push-state="on"]')).to_be_visible()
    expect(switch).to_contain_text("Eingeschaltet")
    screenshot(page, "pwa-push-on-phone", near=switch)
    # The server's applicationServerKey, decoded: an uncompressed P-256 point.
    assert page.evaluate("() => window.__subscribeKeyLength") == 65
    posted = [body for method, path, body in calls if method == "POST"]
    assert len(posted) == 1 and posted[0]["endpoint"].startswith("https://fcm.googleapis.com/")
    assert posted[0]["keys"] == {"p256dh": "BPub", "auth": "QXV0aA"} and posted[0]["label"].startswith("Chrome")

    switch.get_by_role("button", name="Auf diesem Gerät ausschalten").click()
    expect(switch.locator('[data-push-state="off"]')).to_be_visible()
    assert ("DELETE", "/api/v1/push/subscriptions/7", None) in calls


def test_blocked_and_unsupported_push_say_what_to_do(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    context.add_init_script("Object.defineProperty(Notification, 'permission', {get: () => 'denied'})")
    page = context.new_page()
    page.goto("/account")
    expect(page.locator('[data-push-state="denied"]')).to_be_visible()
    expect(page.locator("[data-push-on]")).to_be_hidden()

    iphone = new_context("phone", as_user=APPRENTICE)
    iphone.add_init_script("delete window.PushManager")
    page = iphone.new_page()
    page.set_extra_http_headers({})
    page.add_init_script(f"Object.defineProperty(navigator, 'userAgent', {{get: () => {json.dumps(IPHONE_UA)}}})")
    page.goto("/account")
    expect(page.locator('[data-push-state="ios"]')).to_be_visible()
    expect(page.locator('[data-push-state="ios"]')).to_contain_text("Zum Home-Bildschirm")


# --- install hint ----------------------------------------------------------------------------------


def test_the_install_hint_offers_installing_and_remembers_a_dismissal(new_context):
    context = new_context("phone", as_user=APPRENTICE)
    page = context.new_page()
    page.goto("/account")
    page.evaluate(
        """() => {
            const event = new Event('beforeinstallprompt', {cancelable: true});
            event.prompt = () => { window.__prompted = true; return Promise.resolve(); };
            event.userChoice = Promise.resolve({outcome: 'dismissed'});
            window.dispatchEvent(event);
        }"""
    )
    hint = page.locator("#install-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("leokop installieren")
    screenshot(page, "pwa-install-hint-phone")
    hint.get_by_role("button", name="Installieren").click()
    assert page.evaluate("() => window.__prompted") is True

    # iOS has no prompt: the instructions, until dismissed.
    iphone = new_context("phone", as_user=APPRENTICE)
    iphone.add_init_script(f"Object.defineProperty(navigator, 'userAgent', {{get: () => {json.dumps(IPHONE_UA)}}})")
    page = iphone.new_page()
    page.goto("/account")
    hint = page.locator("#install-hint")
    expect(hint).to_contain_text("Zum Home-Bildschirm")
    screenshot(page, "pwa-install-hint-ios-phone")
    hint.get_by_role("button", name="Nicht mehr anzeigen").click()
    expect(hint).to_be_hidden()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    expect(page.locator("#install-hint")).to_be_hidden()


# --- logout ----------------------------------------------------------------------------------------


def test_logout_leaves_only_the_shell_cache(new_context):
    # A session of its own: logging out revokes it, and the other tests share theirs.
    context = new_context("phone")
    page = context.new_page()
    login(page, APPRENTICE)
    page.goto("/account")
    controlled(page)
    page.evaluate("() => caches.open('leokop-runtime-test').then(c => c.put('/account', new Response('persönlich')))")
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/login"))
    page.wait_for_function("() => caches.keys().then(names => names.length === 1 && names[0].startsWith('leokop-shell-'))")


# --- accessibility -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pwa_parts_have_no_axe_violations(new_context, scheme):
    context = new_context("phone", as_user=APPRENTICE, color_scheme=scheme, axe=True)
    context.add_init_script(PUSH_STUB)
    page = context.new_page()
    contract = contract_id(page)
    open_week(page, contract, WEEK_AXE)
    controlled(page)
    context.set_offline(True)
    form = day_form(page, "2026-07-07")
    form.get_by_label("Dauer (h)").fill("1")
    form.get_by_label("Was haben Sie gemacht und gelernt?").fill(f"Barrierefrei offline ({scheme})")
    form.get_by_role("button", name="Eintrag hinzufügen").click()
    expect(page.locator("section#day-2026-07-07 .entry-offline")).to_be_visible()
    expect(page.locator("#offline-toast")).to_be_visible()
    screenshot(page, f"pwa-offline-entry-{scheme}-phone", near=page.locator("section#day-2026-07-07 .entry-offline"))
    pages = [("week offline", page)]

    offline_page = context.new_page()
    offline_page.goto("/notifications")
    expect(offline_page.get_by_role("heading", level=1)).to_have_text("Keine Verbindung")
    pages.append(("offline page", offline_page))
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")

    account = context.new_page()
    account.goto("/account")
    expect(account.locator('[data-push-state="off"]')).to_be_visible()
    account.evaluate(
        """() => { const e = new Event('beforeinstallprompt'); e.prompt = () => {}; e.userChoice = Promise.resolve({}); window.dispatchEvent(e); }"""
    )
    expect(account.locator("#install-hint")).to_be_visible()
    pages.append(("account", account))

    for name, target in pages:
        violations = axe_violations(target)
        assert not violations, f"{name} ({scheme}):\n" + describe_violations(violations)
