"""Web push proven end to end on a server of its own (conftest's push_live_server): the apprentice
turns push on with the real switch, the trainer returns a week in the browser, the server's push
worker encrypts and sends the message to the local fake push service, the test decrypts it with the
device's private key (http_ece), checks the VAPID token, and hands exactly that plaintext to the
service worker over the DevTools protocol, which shows the notification. And logging out ends push
on this device: in the browser and on the server.

Headless Chromium has no push service, so `PushManager.prototype.subscribe` is replaced from the
test (never in the app) by one that hands out a subscription on the fake push service with the keys
of a FakeDevice the test holds; everything after the switch is the product's own code."""

from __future__ import annotations

import json
import re
import time

import http_ece
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.browser import login, path_of
from tests.e2e.conftest import PUSH_E2E_SUBJECT
from tests.e2e.test_pwa import controlled, deliver_push, registration_id
from tests.e2e.test_signing import goto, review_links, settled, week_path_of
from tests.fake_push_service import FakeDevice, FakePushService, Received, vapid_claims
from tests.helpers import APPRENTICE, APPRENTICE_2, TRAINER

EVENT_TTL = str(12 * 60 * 60)  # notifications/service.py EVENT_TTL_SECONDS: events live half a day

# A push subscription as Chromium would hand one out, on the fake push service with the keys of the
# test's FakeDevice. Its state lives in sessionStorage (a real one outlives page loads);
# unsubscribe() is reported to the test through an exposed function.
PUSH_STUB = """
(() => {
  const SUBSCRIPTION = %s;
  const STATE = "pushStub.subscribed";
  const make = (key) => ({
    endpoint: SUBSCRIPTION.endpoint,
    expirationTime: null,
    options: {applicationServerKey: key || null, userVisibleOnly: true},
    toJSON() { return {endpoint: SUBSCRIPTION.endpoint, expirationTime: null, keys: SUBSCRIPTION.keys}; },
    unsubscribe() {
      sessionStorage.removeItem(STATE);
      return window.pushStubUnsubscribed(SUBSCRIPTION.endpoint).then(() => true);
    },
  });
  PushManager.prototype.subscribe = function (options) {
    sessionStorage.setItem(STATE, "1");
    return Promise.resolve(make(options.applicationServerKey));
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(sessionStorage.getItem(STATE) ? make(null) : null);
  };
})();
"""


# --- helpers ------------------------------------------------------------------------------------


def signed_in_with_push(push_context, origin: str, service: FakePushService, name: str, email: str) -> tuple[FakeDevice, Page, list[str]]:
    """A phone whose browser subscribes a new FakeDevice `name`: `email` signs in and turns push on
    with the switch on /account. Returns the device, the page and the endpoints it unsubscribes."""
    device = FakeDevice(service, name)
    context: BrowserContext = push_context("phone")
    context.grant_permissions(["notifications"], origin=origin)
    unsubscribed: list[str] = []
    context.expose_function("pushStubUnsubscribed", lambda endpoint: unsubscribed.append(endpoint))
    subscription = device.subscription()
    context.add_init_script(PUSH_STUB % json.dumps({"endpoint": subscription["endpoint"], "keys": subscription["keys"]}))
    page = context.new_page()
    login(page, email)
    goto(page, "/account")
    controlled(page)
    switch = page.locator("[data-push-toggle]")
    expect(switch.locator('[data-push-state="off"]')).to_be_visible()
    switch.get_by_role("button", name="Benachrichtigungen auf diesem Gerät einschalten").click()
    expect(switch.locator('[data-push-state="on"]')).to_be_visible()
    assert server_devices(context) == [device.endpoint]  # the real pwa.js registered it
    return device, page, unsubscribed


def server_devices(context: BrowserContext) -> list[str]:
    """The endpoints the server holds for the signed-in person (GET /api/v1/push/subscriptions)."""
    response = context.request.get("/api/v1/push/subscriptions")
    assert response.ok, f"{response.status} {response.text()}"
    return [device["endpoint"] for device in response.json()]


def never_quiet(page: Page) -> None:
    """The person's own settings: no quiet hours (same start and end) and none at the weekend, so the
    push is not held back whatever the wall clock says."""
    goto(page, "/notifications/settings")
    page.get_by_role("combobox", name="Beginn").select_option("0")
    page.get_by_role("combobox", name="Ende").select_option("0")
    page.get_by_label("Am Wochenende keine Push-Benachrichtigungen").uncheck()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Ihre Einstellungen wurden gespeichert.")


def messages_to(service: FakePushService, device: FakeDevice, timeout: float = 20.0) -> list[Received]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if received := service.to(device.name):
            return received
        time.sleep(0.1)
    raise AssertionError(f"nothing reached the fake push service for {device.name} within {timeout} s")


# --- the whole chain ---------------------------------------------------------------------------------


def test_a_returned_week_reaches_the_apprentices_phone_as_a_notification(push_context, push_live_server, fake_push_service):
    device, finn, _ = signed_in_with_push(push_context, push_live_server, fake_push_service, "finn-phone", APPRENTICE)
    phone = finn.context
    never_quiet(finn)
    server_key = phone.request.get("/api/v1/push/key").json()["public_key"]

    # The trainer returns Finn's latest waiting week with a reason, on the tablet.
    trainer = push_context("tablet").new_page()
    login(trainer, TRAINER)
    goto(trainer, "/freigaben")
    week = max(review_links(trainer), key=lambda href: href.split("/")[-1])
    trainer.locator(f"a[href='{week}']").click()
    trainer.wait_for_url(lambda url: path_of(trainer) == week.split("#")[0])
    settled(trainer)
    contract, monday = week_path_of(trainer)
    review = trainer.locator("section#review")
    review.get_by_text("Zurückgeben …").click()
    review.get_by_label("Was soll überarbeitet werden? (Pflichtfeld)").fill("Bitte den Mittwoch ausführlicher beschreiben.")
    review.get_by_role("button", name="Zurückgeben", exact=True).click()
    trainer.wait_for_url(lambda url: "erledigt=zurueckgegeben" in url)

    # What the push service got: one message, encrypted for the device's keys, signed by the server.
    [message] = messages_to(fake_push_service, device)
    assert message.path == "/push/finn-phone"
    headers = message.headers
    assert headers["ttl"] == EVENT_TTL and headers["content-encoding"] == "aes128gcm"
    assert headers["content-type"] == "application/octet-stream" and headers["urgency"] == "normal"
    assert "topic" not in headers  # only reminders replace each other
    claims = vapid_claims(headers["authorization"], server_key)
    assert claims["aud"] == fake_push_service.origin and claims["sub"] == PUSH_E2E_SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 60 * 60
    plain = http_ece.decrypt(message.body, private_key=device.key, auth_secret=device.auth, version="aes128gcm")
    payload = json.loads(plain)
    week_url = f"{push_live_server}/contracts/{contract}/log/{monday.isoformat()}"
    label = f"KW {monday.isocalendar()[1]} ({monday.strftime('%d.%m.%Y')})"
    assert payload["web_push"] == 8030
    note = payload["notification"]
    assert note["title"] == f"{label} wurde von Markus Weber zurückgegeben."
    assert note["navigate"] == week_url and note["lang"] == "de" and note["tag"].startswith("week_returned-")
    assert "Mittwoch" not in plain.decode()  # the reason stays on the page, behind the login

    # Exactly that plaintext, delivered to the service worker, becomes the notification.
    cdp = phone.new_cdp_session(finn)
    registration = registration_id(finn, cdp, push_live_server)
    shown = deliver_push(finn, cdp, push_live_server, registration, plain.decode(), lambda notes: notes)
    # The title says it all: no filler line under it.
    assert [(n["title"], n["body"], n["tag"], n["url"]) for n in shown] == [(note["title"], "", note["tag"], week_url)]

    # Sent once: later rounds of the worker do not send it again.
    time.sleep(1.0)
    assert len(fake_push_service.to(device.name)) == 1


# --- logout ------------------------------------------------------------------------------------------


def test_logging_out_ends_push_on_this_device(push_context, push_live_server, fake_push_service):
    device, page, unsubscribed = signed_in_with_push(push_context, push_live_server, fake_push_service, "shared-tablet", APPRENTICE_2)

    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/login\?abgemeldet=1"))
    assert unsubscribed == [device.endpoint]
    assert page.evaluate("() => navigator.serviceWorker.ready.then(r => r.pushManager.getSubscription())") is None

    # Signed in again (on another device: this browser has no subscription now), the list is empty.
    again = push_context("desktop").new_page()
    login(again, APPRENTICE_2)
    assert server_devices(again.context) == []
    assert not fake_push_service.to(device.name)


def test_a_browser_left_subscribed_by_someone_else_shows_push_off_until_turned_on(push_context, push_live_server, fake_push_service):
    """Mia's session ended without a logout, so the browser still holds her subscription. Finn,
    signing in there, sees push off (it is not his device); turning it on moves the device to him."""
    device, page, _ = signed_in_with_push(push_context, push_live_server, fake_push_service, "left-behind", APPRENTICE_2)
    page.context.clear_cookies()

    login(page, APPRENTICE)
    goto(page, "/account")
    switch = page.locator("[data-push-toggle]")
    expect(switch.locator('[data-push-state="off"]')).to_be_visible()
    switch.get_by_role("button", name="Benachrichtigungen auf diesem Gerät einschalten").click()
    expect(switch.locator('[data-push-state="on"]')).to_be_visible()
    assert device.endpoint in server_devices(page.context)
