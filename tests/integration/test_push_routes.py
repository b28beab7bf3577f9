"""Devices and push preferences over HTTP: the subscription API (key, subscribe, update, refuse,
unsubscribe), the device limit, the devices and settings pages with German errors next to fields,
and that nobody reaches another person's devices."""

from __future__ import annotations

import msgspec
import pytest

from leokop.accounts.tables import User
from leokop.notifications import push as push_module
from leokop.notifications.tables import NotificationSetting, PushSubscription
from tests.fake_push_service import FakeDevice, FakePushService
from tests.helpers import APPRENTICE, APPRENTICE_2, GUARDIAN, TEACHER, TRAINER, csrf_token, field_error, login, logout, post

ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


@pytest.fixture
def fake_push():
    service = FakePushService()
    yield service
    service.close()


@pytest.fixture
def local_push(app, fake_push, monkeypatch):
    monkeypatch.setattr(app.state, "settings", msgspec.structs.replace(app.state.settings, push_test_endpoint_prefix=fake_push.prefix))
    return fake_push


def api(client, method: str, url: str, body=None, **headers):
    return client.request(method, url, json=body, headers={"X-CSRFToken": csrf_token(client), **headers})


def user_id(run, email: str) -> int:
    return run(User.select(User.id).where(User.email == email).first)["id"]


def devices(run, email: str) -> list[dict]:
    return run(PushSubscription.select().where(PushSubscription.user == user_id(run, email)).order_by(PushSubscription.id))


def test_the_browser_gets_the_key_and_subscribes_once_per_device(client, run, app, local_push):
    login(client, APPRENTICE)
    key = client.get("/api/v1/push/key").json()["public_key"]
    assert key == push_module.application_server_key(app.state.settings)
    device = FakeDevice(local_push, "phone")
    first = api(client, "POST", "/api/v1/push/subscriptions", device.subscription(), **{"User-Agent": ANDROID})
    assert first.status_code == 201 and first.json()["created"] is True
    again = api(client, "POST", "/api/v1/push/subscriptions", device.subscription(label="Mein Handy"))
    assert again.status_code == 201 and again.json() == {"id": first.json()["id"], "created": False}
    [row] = devices(run, APPRENTICE)
    assert row["label"] == "Mein Handy" and row["endpoint"] == device.endpoint
    listed = client.get("/api/v1/push/subscriptions").json()
    assert [(d["id"], d["label"], d["service"]) for d in listed] == [(row["id"], "Mein Handy", "test")]
    other = FakeDevice(local_push, "tablet")
    api(client, "POST", "/api/v1/push/subscriptions", other.subscription(), **{"User-Agent": ANDROID})
    assert [d["label"] for d in devices(run, APPRENTICE)] == ["Mein Handy", "Chrome auf Android"]


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",
        "https://127.0.0.1/push",
        "https://[::1]/push",
        "https://evil.example/push",
        "https://user@fcm.googleapis.com/fcm/send/x",
        "https://fcm.googleapis.com:8443/fcm/send/x",
        "http://127.0.0.1:9/push/x",  # a local server without the explicit test setting
    ],
)
def test_endpoints_outside_the_known_push_services_are_refused_in_german(client, run, endpoint):
    login(client, APPRENTICE)
    response = api(client, "POST", "/api/v1/push/subscriptions", _device_body(endpoint))
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"]["endpoint"].startswith("Dieser Browser meldet einen Push-Dienst")
    assert problem["detail"] == problem["errors"]["endpoint"]
    assert devices(run, APPRENTICE) == []


def _device_body(endpoint: str) -> dict:
    class Service:
        def endpoint(self, name):
            return endpoint

    return FakeDevice(Service(), "x").subscription()


def test_a_known_push_host_must_resolve_to_public_addresses(client, run, monkeypatch):
    endpoint = "https://fcm.googleapis.com/fcm/send/abc:APA91b"

    async def resolver(host, port):
        if host not in answers:
            raise OSError("Name or service not known")
        return answers[host]

    monkeypatch.setattr(push_module, "resolve_host", resolver)
    login(client, APPRENTICE)
    answers = {"fcm.googleapis.com": ["10.0.0.7"]}
    assert api(client, "POST", "/api/v1/push/subscriptions", _device_body(endpoint)).status_code == 422
    answers = {"fcm.googleapis.com": ["2a00:1450:4001:82b::200a", "fd00::1"]}
    assert api(client, "POST", "/api/v1/push/subscriptions", _device_body(endpoint)).status_code == 422
    answers = {}
    unreachable = api(client, "POST", "/api/v1/push/subscriptions", _device_body(endpoint))
    assert unreachable.status_code == 422 and "nicht erreichbar" in unreachable.json()["detail"]
    answers = {"fcm.googleapis.com": ["142.250.185.74", "2a00:1450:4001:82b::200a"]}
    assert api(client, "POST", "/api/v1/push/subscriptions", _device_body(endpoint)).status_code == 201
    assert [d["endpoint"] for d in devices(run, APPRENTICE)] == [endpoint]


def test_bad_keys_and_bad_bodies_are_refused(client, run, local_push):
    login(client, APPRENTICE)
    good = FakeDevice(local_push, "phone").subscription()
    for keys in ({"p256dh": "AAAA", "auth": good["keys"]["auth"]}, {"p256dh": good["keys"]["p256dh"], "auth": "kurz"}, {"p256dh": "B" * 87, "auth": good["keys"]["auth"]}, {"p256dh": good["keys"]["p256dh"] + "!", "auth": good["keys"]["auth"]}):
        response = api(client, "POST", "/api/v1/push/subscriptions", {**good, "keys": keys})
        assert response.status_code == 422 and "Schlüssel" in response.json()["errors"]["keys"]
    for body in ({}, {"endpoint": good["endpoint"]}, {**good, "endpoint": "x" * 1001}, {**good, "label": "x" * 121}, [1, 2]):
        assert api(client, "POST", "/api/v1/push/subscriptions", body).status_code == 400
    assert devices(run, APPRENTICE) == []


def test_the_same_browser_signed_in_as_someone_else_moves_to_them(client, run, local_push):
    device = FakeDevice(local_push, "shared")
    login(client, APPRENTICE)
    api(client, "POST", "/api/v1/push/subscriptions", device.subscription())
    logout(client)
    login(client, APPRENTICE_2)
    assert api(client, "POST", "/api/v1/push/subscriptions", device.subscription()).status_code == 201
    assert devices(run, APPRENTICE) == [] and len(devices(run, APPRENTICE_2)) == 1


def test_past_the_device_limit_the_longest_silent_device_makes_room(client, run, app, local_push, monkeypatch):
    monkeypatch.setattr(app.state, "settings", msgspec.structs.replace(app.state.settings, push_max_devices=3))
    login(client, APPRENTICE)
    for name in ("a", "b", "c"):
        api(client, "POST", "/api/v1/push/subscriptions", FakeDevice(local_push, name).subscription())
    from leokop.timeutil import utcnow

    a = next(d for d in devices(run, APPRENTICE) if d["endpoint"].endswith("/a"))
    run(PushSubscription.update({PushSubscription.last_success_at: utcnow()}).where(PushSubscription.id == a["id"]))
    assert api(client, "POST", "/api/v1/push/subscriptions", FakeDevice(local_push, "d").subscription()).status_code == 201
    assert sorted(d["endpoint"].rsplit("/", 1)[1] for d in devices(run, APPRENTICE)) == ["a", "c", "d"]
    # Updating a known device is no new device.
    api(client, "POST", "/api/v1/push/subscriptions", FakeDevice(local_push, "d").subscription())
    assert len(devices(run, APPRENTICE)) == 3


def test_only_own_devices_can_be_removed(client, run, local_push):
    login(client, APPRENTICE)
    mine = api(client, "POST", "/api/v1/push/subscriptions", FakeDevice(local_push, "mine").subscription()).json()["id"]
    second = api(client, "POST", "/api/v1/push/subscriptions", FakeDevice(local_push, "second").subscription()).json()["id"]
    logout(client)
    login(client, APPRENTICE_2)
    assert api(client, "DELETE", f"/api/v1/push/subscriptions/{mine}").status_code == 404
    assert post(client, f"/notifications/devices/{mine}/delete").status_code == 404
    assert "mine" not in client.get("/notifications/devices").text
    assert client.get("/api/v1/push/subscriptions").json() == []
    logout(client)
    assert len(devices(run, APPRENTICE)) == 2
    login(client, APPRENTICE)
    assert api(client, "DELETE", f"/api/v1/push/subscriptions/{mine}").status_code == 204
    assert api(client, "DELETE", f"/api/v1/push/subscriptions/{mine}").status_code == 404
    response = post(client, f"/notifications/devices/{second}/delete")
    assert response.status_code == 303 and response.headers["location"] == "/notifications/devices?entfernt=1"
    assert devices(run, APPRENTICE) == []
    assert "Das Gerät wurde entfernt" in client.get("/notifications/devices?entfernt=1").text


def test_logout_with_this_browsers_endpoint_forgets_exactly_that_device_of_that_person(client, run, local_push):
    """pwa.js unsubscribes at logout and sends the endpoint along (push_endpoint); the server then
    deletes that device of the person signing out, and nothing of anyone else's."""
    others = FakeDevice(local_push, "others-phone")
    login(client, APPRENTICE_2)
    api(client, "POST", "/api/v1/push/subscriptions", others.subscription())
    logout(client)
    shared, own = FakeDevice(local_push, "shared-tablet"), FakeDevice(local_push, "own-phone")
    login(client, APPRENTICE)
    for device in (shared, own):
        api(client, "POST", "/api/v1/push/subscriptions", device.subscription())

    response = post(client, "/logout", {"push_endpoint": shared.endpoint})
    assert response.status_code == 303 and response.headers["location"] == "/login?abgemeldet=1"
    assert [row["endpoint"] for row in devices(run, APPRENTICE)] == [own.endpoint]
    assert client.get("/api/v1/push/subscriptions").status_code == 401  # signed out as before

    # Someone else's endpoint string at one's own logout, or any endpoint without a session: no effect.
    login(client, APPRENTICE)
    post(client, "/logout", {"push_endpoint": others.endpoint})
    client.cookies.clear()
    post(client, "/logout", {"push_endpoint": own.endpoint})
    assert [row["endpoint"] for row in devices(run, APPRENTICE_2)] == [others.endpoint]
    assert [row["endpoint"] for row in devices(run, APPRENTICE)] == [own.endpoint]
    # Without JavaScript (no endpoint, or an empty one) the devices stay: README, "Web push".
    login(client, APPRENTICE)
    post(client, "/logout", {"push_endpoint": ""})
    assert [row["endpoint"] for row in devices(run, APPRENTICE)] == [own.endpoint]


def test_anonymous_callers_get_401_from_the_push_api(client):
    assert client.get("/api/v1/push/key").status_code == 401
    assert api(client, "POST", "/api/v1/push/subscriptions", {}).status_code == 401


def test_the_devices_page_lists_devices_with_a_remove_button(client, run, local_push):
    login(client, APPRENTICE)
    assert "Noch kein Gerät angemeldet" in client.get("/notifications/devices").text
    api(client, "POST", "/api/v1/push/subscriptions", FakeDevice(local_push, "phone").subscription(), **{"User-Agent": ANDROID})
    page = client.get("/notifications/devices")
    assert page.status_code == 200 and page.headers["cache-control"].startswith("no-store")
    [device] = devices(run, APPRENTICE)
    assert "Chrome auf Android" in page.text and f'action="/notifications/devices/{device["id"]}/delete"' in page.text
    links = client.get("/notifications").text
    assert 'href="/notifications/devices"' in links and 'href="/notifications/settings"' in links


def test_settings_offer_the_roles_kinds_and_store_them(client, run):
    login(client, APPRENTICE)
    page = client.get("/notifications/settings").text
    assert "Erinnerung am Freitagnachmittag" in page and "Woche zurückgegeben" in page
    assert "Tägliche Übersicht" not in page and "Neue Unterrichtsthemen der Berufsschule" in page and "Neue Nachricht" in page
    assert 'value="week_approved" checked' in page and 'value="20" selected' in page
    response = post(client, "/notifications/settings", {"enabled": ["friday_reminder", "week_returned", "topics_published", "absence_decided", "message", "data_export", "pdf_export"], "quiet_from": "21", "quiet_until": "6"})
    assert response.status_code == 303 and response.headers["location"] == "/notifications/settings?gespeichert=1"
    row = run(NotificationSetting.select().where(NotificationSetting.user == user_id(run, APPRENTICE)).first)
    assert (row["muted_kinds"], row["quiet_from"], row["quiet_until"], row["weekend_quiet"]) == ("week_approved,week_reopened", 21, 6, False)
    saved = client.get("/notifications/settings?gespeichert=1").text
    assert "gespeichert" in saved and 'value="week_approved" checked' not in saved and 'value="21" selected' in saved
    post(client, "/notifications/settings", {"enabled": ["week_approved", "topics_published", "absence_decided", "message", "data_export", "pdf_export"], "quiet_from": "20", "quiet_until": "7", "weekend_quiet": "on"})
    row = run(NotificationSetting.select().where(NotificationSetting.user == user_id(run, APPRENTICE)).first)
    assert (row["muted_kinds"], row["weekend_quiet"]) == ("friday_reminder,week_reopened,week_returned", True)


def test_settings_errors_stand_next_to_the_field_and_keep_the_input(client, run):
    login(client, APPRENTICE)
    response = post(client, "/notifications/settings", {"enabled": ["week_returned"], "quiet_from": "25", "quiet_until": "sieben"})
    assert response.status_code == 422
    assert field_error(response.text, "quiet_from") == "Der Wert liegt außerhalb des erlaubten Bereichs."
    assert field_error(response.text, "quiet_until") == "Bitte eine ganze Zahl eingeben."
    assert 'value="week_returned" checked' in response.text and 'value="week_approved" checked' not in response.text
    foreign = post(client, "/notifications/settings", {"enabled": ["review_digest"], "quiet_from": "20", "quiet_until": "7"})
    assert foreign.status_code == 422 and field_error(foreign.text, "enabled") == "Bitte einen der angebotenen Werte wählen."
    assert run(NotificationSetting.count()) == 0


def test_each_role_sees_its_own_kinds_and_keeps_the_others(client, run):
    login(client, TRAINER)
    page = client.get("/notifications/settings").text
    assert "Wochen zum Abzeichnen" in page and "Freitagnachmittag" not in page
    post(client, "/notifications/settings", {"quiet_from": "20", "quiet_until": "7", "weekend_quiet": "on"})
    assert run(NotificationSetting.select(NotificationSetting.muted_kinds).where(NotificationSetting.user == user_id(run, TRAINER)).first)["muted_kinds"] == "absence_recorded,message,pdf_export,review_digest"
    logout(client)
    login(client, TEACHER)
    assert "neu eingereichte Wochen und neue Fehlzeiten Ihrer Klassen" in client.get("/notifications/settings").text
    logout(client)
    login(client, GUARDIAN)
    page = client.get("/notifications/settings")
    assert page.status_code == 200 and "Entscheidung über eine Fehlzeit" in page.text  # a minor's absences
    assert post(client, "/notifications/settings", {"quiet_from": "22", "quiet_until": "6"}).status_code == 303


def test_leokop_vapid_shows_the_key_the_app_uses_and_check_warns_about_the_contact(app):
    from tests.integration.test_mail_and_cli import leokop

    shown = leokop("vapid")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == app.state.push_sender.public_key
    assert leokop("vapid").stdout == shown.stdout  # generated once, never again
    assert "Nicht austauschen" in shown.stderr
    checked = leokop("check")
    assert "LEOKOP_VAPID_SUBJECT" in checked.stdout and "BEGIN PRIVATE KEY" not in checked.stdout


def test_leokop_push_worker_delivers_in_its_own_process_and_stops_on_sigterm(client, run, fake_push):
    """The scale-out shape: web processes with LEOKOP_PUSH_WORKER=false, one or more push workers."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from leokop.notifications import service

    device = FakeDevice(fake_push, "phone")
    user = user_id(run, APPRENTICE)
    run(PushSubscription.insert(PushSubscription(user=user, endpoint=device.endpoint, **_keys(device), created_at=_now())))
    run(NotificationSetting.insert(NotificationSetting(user=user, quiet_from=0, quiet_until=0, weekend_quiet=False)))
    run(service.notify, user, "week_approved", "KW 47 wurde abgezeichnet.", "/log")
    env = {**os.environ, "LEOKOP_PUSH_TEST_ENDPOINT_PREFIX": fake_push.prefix, "LEOKOP_PUSH_INTERVAL_SECONDS": "0.2"}
    worker = subprocess.Popen([sys.executable, "-m", "leokop.cli", "push-worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not fake_push.to("phone") and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert device.decrypt(fake_push.to("phone")[0])["notification"]["title"] == "KW 47 wurde abgezeichnet."
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0, worker.stderr.read()


def _keys(device: FakeDevice) -> dict:
    body = device.subscription()["keys"]
    return {"p256dh": body["p256dh"], "auth": body["auth"]}


def _now():
    from leokop.timeutil import utcnow

    return utcnow()
