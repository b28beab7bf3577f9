"""Push delivery as the push services see it: a fake push service on 127.0.0.1 receives what the
delivery rounds send; the fake device decrypts it independently (http_ece) and the VAPID token is
checked. Answers 201, 404, 410, 429 with Retry-After, 500, dropped connections, other 4xx and
redirects; two workers never send one message twice; quiet hours, muted kinds and dedupe keys,
all with a clock the test moves."""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec
import pytest

from leokop.accounts.tables import User
from leokop.notifications import service
from leokop.notifications.push import PushSender
from leokop.notifications.tables import Notification, NotificationSetting, PushSubscription
from leokop.timeutil import BERLIN, as_aware_utc
from tests.fake_push_service import DROP, FakeDevice, FakePushService, vapid_claims
from tests.helpers import APPRENTICE, APPRENTICE_2, TRAINER, csrf_token, login, logout, post

SUBJECT = "mailto:betrieb@leokop.example"
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, tzinfo=BERLIN).astimezone(dt.timezone.utc)


class Push:
    """The app with push pointed at the fake service, and the test's own clock."""

    def __init__(self, client, run, app, fake: FakePushService) -> None:
        self.client, self.run, self.app, self.fake = client, run, app, fake
        self.settings = app.state.settings
        self.sender = PushSender(self.settings)

    def user(self, email: str) -> int:
        return self.run(User.select(User.id).where(User.email == email).first)["id"]

    def subscribe(self, email: str, *names: str) -> list[FakeDevice]:
        """Sign in as `email` and register devices through the API, as the browser does."""
        login(self.client, email)
        devices = []
        for name in names:
            device = FakeDevice(self.fake, name)
            response = self.client.post(
                "/api/v1/push/subscriptions", json=device.subscription(), headers={"X-CSRFToken": csrf_token(self.client)}
            )
            assert response.status_code == 201, response.text
            devices.append(device)
        logout(self.client)
        return devices

    def notify(self, email: str, kind: str = "week_returned", title: str = "KW 47 wurde zurückgegeben.", at: dt.datetime = TUESDAY_10, **extra) -> int | None:
        """An event at the test's time (created_at is what the age limit reads)."""
        notification_id = self.run(service.notify, self.user(email), kind, title, "/contracts/1/log/2026-11-16", **extra)
        if notification_id:
            self.run(Notification.update({Notification.created_at: at}).where(Notification.id == notification_id))
        return notification_id

    def round(self, at: dt.datetime, **kwargs):
        return self.run(service.deliver_push_due, self.sender, self.settings, now=at, **kwargs)

    def job(self, notification_id: int) -> dict:
        row = self.run(Notification.select().where(Notification.id == notification_id).first)
        for name in ("push_not_before", "pushed_at", "push_claimed_until"):
            row[name] = as_aware_utc(row[name]) if row[name] else None
        return row

    def devices(self, email: str) -> list[str]:
        rows = self.run(PushSubscription.select(PushSubscription.endpoint).where(PushSubscription.user == self.user(email)))
        return sorted(row["endpoint"].rsplit("/", 1)[-1] for row in rows)


@pytest.fixture
def fake_push():
    service_ = FakePushService()
    yield service_
    service_.close()


@pytest.fixture
def concurrent(app):
    """Concurrent writers in one test: the SQLite engine's write queue (an asyncio.Lock) binds to the
    event loop of the first test that waits on it, and every TestClient runs its own loop."""
    from leokop.db import PooledSQLiteEngine

    def fresh() -> None:
        if isinstance(app.state.engine, PooledSQLiteEngine):
            app.state.engine.write_queue = asyncio.Lock()

    fresh()
    yield
    fresh()


@pytest.fixture
def push(client, run, app, fake_push, monkeypatch):
    settings = msgspec.structs.replace(app.state.settings, push_test_endpoint_prefix=fake_push.prefix, vapid_subject=SUBJECT)
    monkeypatch.setattr(app.state, "settings", settings)
    helper = Push(client, run, app, fake_push)
    yield helper
    run(helper.sender.aclose)


def test_a_notification_reaches_every_device_encrypted_signed_and_with_a_ttl(push, fake_push):
    phone, laptop = push.subscribe(APPRENTICE, "phone", "laptop")
    notification_id = push.notify(APPRENTICE)
    done = push.round(TUESDAY_10)
    assert (done.claimed, done.sent) == (1, 1)
    public_key = push.app.state.push_sender.public_key
    for device in (phone, laptop):
        [message] = fake_push.to(device.name)
        assert device.decrypt(message) == {
            "web_push": 8030,
            "notification": {
                "title": "KW 47 wurde zurückgegeben.",
                "navigate": push.settings.effective_base_url + "/contracts/1/log/2026-11-16",
                "lang": "de",
                "dir": "ltr",
                "tag": f"week_returned-{notification_id}",
            },
        }
        assert message.headers["ttl"] == str(service.EVENT_TTL_SECONDS)
        assert message.headers["content-encoding"] == "aes128gcm"
        assert message.headers["content-type"] == "application/octet-stream"
        assert message.headers["urgency"] == "normal"
        assert len(message.body) < 4096
        claims = vapid_claims(message.headers["authorization"], public_key)
        assert claims["aud"] == fake_push.origin
        assert claims["sub"] == SUBJECT
        assert TUESDAY_10.timestamp() < dt.datetime.now(dt.timezone.utc).timestamp() < claims["exp"]
        assert claims["exp"] - dt.datetime.now(dt.timezone.utc).timestamp() <= 24 * 3600
    job = push.job(notification_id)
    assert job["push_state"] == "sent" and job["pushed_at"] is not None and job["push_attempts"] == 1
    assert all(row["last_success_at"] for row in push.run(PushSubscription.select(PushSubscription.last_success_at)))
    # Done is done: later rounds send nothing again.
    assert push.round(TUESDAY_10 + dt.timedelta(hours=1)).claimed == 0
    assert len(fake_push.received) == 2


def test_the_public_key_the_browser_gets_is_the_one_that_signs(push, fake_push):
    [phone] = push.subscribe(APPRENTICE, "phone")
    login(push.client, APPRENTICE)
    key = push.client.get("/api/v1/push/key").json()["public_key"]
    push.notify(APPRENTICE)
    push.round(TUESDAY_10)
    vapid_claims(fake_push.to("phone")[0].headers["authorization"], key)


def test_a_reminder_lives_a_day_and_replaces_an_undelivered_one(push, fake_push):
    [phone] = push.subscribe(APPRENTICE, "phone")
    push.notify(APPRENTICE, "friday_reminder", "KW 48: Wochennachweis noch nicht eingereicht", body="Bitte einreichen.")
    push.round(TUESDAY_10)
    [message] = fake_push.to("phone")
    assert message.headers["ttl"] == str(24 * 3600)
    assert message.headers["topic"] == "friday_reminder"
    payload = phone.decrypt(message)["notification"]
    assert (payload["tag"], payload["body"]) == ("friday_reminder", "Bitte einreichen.")


def test_a_returned_week_is_pushed_with_the_week_as_target(push, fake_push):
    from tests.integration.test_signing import MONDAY, week_url, write_and_submit

    [phone] = push.subscribe(APPRENTICE, "phone")
    contract = write_and_submit(push.run)
    login(push.client, TRAINER)
    assert post(push.client, week_url(contract) + "/return", {"reason": "Bitte Freitag genauer."}).status_code == 303
    assert push.round(dt.datetime.now(dt.timezone.utc)).claimed == 1  # wall clock: whatever quiet says
    if fake_push.to("phone"):
        payload = phone.decrypt(fake_push.to("phone")[0])["notification"]
        assert payload["navigate"].endswith(week_url(contract, MONDAY))
        assert "zurückgegeben" in payload["title"] and "Bitte Freitag" not in payload["title"]
    else:  # evening or weekend in Berlin: waiting for the quiet hours to end
        [job] = push.run(Notification.select().where(Notification.kind == "week_returned"))
        assert job["push_state"] == "pending" and job["push_not_before"] is not None


def test_404_and_410_remove_only_that_device(push, fake_push):
    push.subscribe(APPRENTICE, "phone", "old-laptop", "old-tablet")
    fake_push.answer("old-laptop", 404)
    fake_push.answer("old-tablet", 410)
    notification_id = push.notify(APPRENTICE)
    done = push.round(TUESDAY_10)
    assert (done.sent, done.devices_removed) == (1, 2)
    assert push.job(notification_id)["push_state"] == "sent"
    assert push.devices(APPRENTICE) == ["phone"]
    # A user whose only device is gone: nothing to deliver to any more.
    push.subscribe(APPRENTICE_2, "gone")
    fake_push.answer("gone", 410)
    other = push.notify(APPRENTICE_2)
    push.round(TUESDAY_10)
    assert push.job(other)["push_state"] == "skipped" and push.devices(APPRENTICE_2) == []


def test_429_is_retried_after_retry_after_and_not_before(push, fake_push):
    push.subscribe(APPRENTICE, "phone")
    fake_push.answer("phone", (429, {"Retry-After": "600"}))
    notification_id = push.notify(APPRENTICE)
    assert push.round(TUESDAY_10).retried == 1
    job = push.job(notification_id)
    assert job["push_state"] == "pending" and job["push_not_before"] >= TUESDAY_10 + dt.timedelta(seconds=600)
    assert push.devices(APPRENTICE) == ["phone"]  # 429 never removes a device
    assert push.round(TUESDAY_10 + dt.timedelta(seconds=599)).claimed == 0
    assert len(fake_push.to("phone")) == 1
    assert push.round(job["push_not_before"]).sent == 1
    assert len(fake_push.to("phone")) == 2
    assert push.job(notification_id)["push_state"] == "sent"


def test_5xx_and_dropped_connections_back_off_exponentially_then_give_up(push, fake_push):
    push.subscribe(APPRENTICE, "phone")
    fake_push.answer("phone", 500, DROP, *([503] * 10))
    notification_id = push.notify(APPRENTICE)
    now, delays = TUESDAY_10, []
    for attempt in range(1, service.MAX_PUSH_ATTEMPTS + 1):
        done = push.round(now)
        assert done.claimed == 1
        job = push.job(notification_id)
        assert job["push_attempts"] == attempt
        if job["push_state"] == "failed":
            break
        assert job["push_state"] == "pending"
        delays.append((job["push_not_before"] - now).total_seconds())
        assert push.round(job["push_not_before"] - dt.timedelta(seconds=1)).claimed == 0  # not before
        now = job["push_not_before"]
    assert push.job(notification_id)["push_state"] == "failed"
    assert len(fake_push.to("phone")) == service.MAX_PUSH_ATTEMPTS
    assert len(delays) == service.MAX_PUSH_ATTEMPTS - 1
    for attempt, delay in enumerate(delays, start=1):
        base = service.BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
        assert base <= delay <= base * 1.25
    assert push.devices(APPRENTICE) == ["phone"]


def test_other_client_errors_and_redirects_fail_for_that_device(push, fake_push):
    push.subscribe(APPRENTICE, "phone")
    fake_push.answer("phone", 400)
    refused = push.notify(APPRENTICE)
    assert push.round(TUESDAY_10).failed == 1
    assert push.job(refused)["push_state"] == "failed" and push.devices(APPRENTICE) == ["phone"]
    fake_push.answer("phone", (302, {"Location": fake_push.endpoint("stolen")}))
    redirected = push.notify(APPRENTICE, title="Zweite")
    push.round(TUESDAY_10)
    assert push.job(redirected)["push_state"] == "failed"
    assert fake_push.to("stolen") == []  # the redirect was not followed
    assert len(fake_push.to("phone")) == 2


def test_one_device_reached_is_enough_and_nobody_gets_it_twice(push, fake_push):
    push.subscribe(APPRENTICE, "phone", "laptop")
    fake_push.answer("laptop", 503)
    notification_id = push.notify(APPRENTICE)
    assert push.round(TUESDAY_10).sent == 1
    assert push.job(notification_id)["push_state"] == "sent"
    push.round(TUESDAY_10 + dt.timedelta(hours=2))
    assert (len(fake_push.to("phone")), len(fake_push.to("laptop"))) == (1, 1)


def test_two_workers_never_send_a_message_twice(push, fake_push, run, concurrent):
    phone = push.subscribe(APPRENTICE, "phone")[0]
    ids = [push.notify(APPRENTICE, title=f"Nachricht {n}") for n in range(40)]
    other_sender = PushSender(push.settings)

    async def two_workers():
        rounds = []
        for _ in range(10):
            pair = await asyncio.gather(
                service.deliver_push_due(push.sender, push.settings, now=TUESDAY_10, limit=7),
                service.deliver_push_due(other_sender, push.settings, now=TUESDAY_10, limit=7),
            )
            rounds.extend(pair)
            if not any(r.claimed for r in pair):
                break
        await other_sender.aclose()
        return rounds

    rounds = run(two_workers)
    assert sum(r.sent for r in rounds) == 40
    titles = [phone.decrypt(message)["notification"]["title"] for message in fake_push.to("phone")]
    assert sorted(titles) == sorted(f"Nachricht {n}" for n in range(40))
    assert {push.job(i)["push_state"] for i in ids} == {"sent"}


def test_claims_are_exclusive_while_the_lease_runs(push, run, concurrent):
    push.subscribe(APPRENTICE, "phone")
    ids = {push.notify(APPRENTICE, title=f"N{n}") for n in range(24)}

    async def claim_together(at, workers=6):
        return await asyncio.gather(*(service.claim_push_jobs(at, 5) for _ in range(workers)))

    claimed = [job["id"] for _ in range(3) for batch in run(claim_together, TUESDAY_10) for job in batch]
    assert sorted(claimed) == sorted(ids)  # each job exactly once
    # A worker that died keeps its jobs for the lease, then another takes them over.
    assert run(service.claim_push_jobs, TUESDAY_10 + service.PUSH_LEASE - dt.timedelta(seconds=1), 50) == []
    again = run(service.claim_push_jobs, TUESDAY_10 + service.PUSH_LEASE + dt.timedelta(seconds=1), 50)
    assert {job["id"] for job in again} == ids


def test_a_large_wave_is_taken_in_batches(push, fake_push):
    push.subscribe(APPRENTICE, "phone")
    for n in range(25):
        push.notify(APPRENTICE, "friday_reminder", f"Erinnerung {n}", dedupe_key=f"welle:{n}", not_before=TUESDAY_10 + dt.timedelta(seconds=n * 10))
    assert push.round(TUESDAY_10 + dt.timedelta(seconds=95), limit=5).claimed == 5  # 10 are due, 5 per round
    assert push.round(TUESDAY_10 + dt.timedelta(seconds=95), limit=5).claimed == 5
    assert push.round(TUESDAY_10 + dt.timedelta(seconds=95), limit=5).claimed == 0  # the rest is not due yet
    assert push.round(TUESDAY_10 + dt.timedelta(minutes=10), limit=50).claimed == 15


def test_quiet_hours_hold_a_push_until_morning_and_the_weekend_until_monday(push, fake_push):
    push.subscribe(APPRENTICE, "phone")
    evening = dt.datetime(2026, 11, 24, 21, tzinfo=BERLIN)
    notification_id = push.notify(APPRENTICE, at=evening)
    assert push.round(evening).deferred == 1
    job = push.job(notification_id)
    morning = dt.datetime(2026, 11, 25, 7, tzinfo=BERLIN)
    assert (job["push_state"], job["push_not_before"], job["push_attempts"]) == ("pending", morning, 0)
    assert push.round(morning - dt.timedelta(minutes=1)).claimed == 0
    assert push.round(morning).sent == 1
    # Saturday: held until Monday 7:00, except the Friday reminder.
    saturday = dt.datetime(2026, 11, 28, 10, tzinfo=BERLIN)
    weekend = push.notify(APPRENTICE, "week_approved", "KW 47 wurde abgezeichnet.", at=saturday)
    reminder = push.notify(APPRENTICE, "friday_reminder", "KW 48: noch nicht eingereicht", at=saturday)
    push.round(saturday)
    assert push.job(weekend)["push_not_before"] == dt.datetime(2026, 11, 30, 7, tzinfo=BERLIN)
    assert push.job(reminder)["push_state"] == "sent"


def test_own_quiet_hours_and_weekends_allowed(push, fake_push):
    push.subscribe(APPRENTICE, "phone")
    push.run(NotificationSetting.insert(NotificationSetting(user=push.user(APPRENTICE), quiet_from=22, quiet_until=6, weekend_quiet=False)))
    evening = dt.datetime(2026, 11, 28, 21, tzinfo=BERLIN)  # a Saturday, 21:00
    notification_id = push.notify(APPRENTICE, at=evening)
    push.round(evening)
    assert push.job(notification_id)["push_state"] == "sent"


def test_muted_kinds_read_notifications_devices_none_and_stale_news_are_skipped(push, fake_push):
    push.subscribe(APPRENTICE, "phone")
    push.run(NotificationSetting.insert(NotificationSetting(user=push.user(APPRENTICE), muted_kinds="week_approved,friday_reminder")))
    muted = push.notify(APPRENTICE, "week_approved", "KW 47 wurde abgezeichnet.")
    read = push.notify(APPRENTICE, "week_returned")
    push.run(Notification.update({Notification.read_at: TUESDAY_10}).where(Notification.id == read))
    stale = push.notify(APPRENTICE, at=TUESDAY_10 - service.MAX_PUSH_AGE - dt.timedelta(minutes=1))
    nobody = push.notify(APPRENTICE_2)  # no device
    sent = push.notify(APPRENTICE, "week_reopened", "KW 47 wurde wieder geöffnet.")
    done = push.round(TUESDAY_10)
    assert (done.skipped, done.sent) == (4, 1)
    assert {push.job(i)["push_state"] for i in (muted, read, stale, nobody)} == {"skipped"}
    assert push.job(sent)["push_state"] == "sent" and len(fake_push.received) == 1


def test_a_dedupe_key_writes_a_reminder_once_and_it_is_pushed_once(push, fake_push):
    push.subscribe(APPRENTICE, "phone")
    first = push.notify(APPRENTICE, "friday_reminder", "KW 48", dedupe_key="friday:1:2026-11-23")
    again = push.notify(APPRENTICE, "friday_reminder", "KW 48", dedupe_key="friday:1:2026-11-23")
    assert first and again is None
    assert push.run(Notification.count().where(Notification.dedupe_key == "friday:1:2026-11-23")) == 1
    push.round(TUESDAY_10)
    assert push.notify(APPRENTICE, "friday_reminder", "KW 48", dedupe_key="friday:1:2026-11-23") is None  # after sending too
    push.round(TUESDAY_10 + dt.timedelta(hours=1))
    assert len(fake_push.to("phone")) == 1


def test_a_dedupe_conflict_does_not_break_the_callers_transaction(push, run):
    """notify() runs inside the event's transaction: on PostgreSQL a unique violation would abort it."""
    from leokop.db import request_transaction

    user_id = push.user(APPRENTICE)

    async def event():
        async with request_transaction(Notification._meta.db, write=True):
            await service.notify(user_id, "friday_reminder", "A", "/", dedupe_key="k1")
            await service.notify(user_id, "friday_reminder", "B", "/", dedupe_key="k1")
            await service.notify(user_id, "week_approved", "C", "/")

    run(event)
    titles = [row["title"] for row in run(Notification.select(Notification.title).where(Notification.user == user_id).order_by(Notification.id))]
    assert titles[-2:] == ["A", "C"]


def test_the_old_call_signature_still_works(run, client):
    user_id = run(User.select(User.id).where(User.email == APPRENTICE).first)["id"]
    notification_id = run(service.notify, user_id, "week_approved", "KW 1 wurde abgezeichnet.", "/log")
    row = run(Notification.select().where(Notification.id == notification_id).first)
    assert (row["push_state"], row["body"], row["dedupe_key"], row["push_not_before"]) == ("pending", "", None, None)


def test_the_worker_loop_delivers_in_the_background_and_stops(push, fake_push, run):
    push.subscribe(APPRENTICE, "phone")
    push.notify(APPRENTICE, at=dt.datetime.now(dt.timezone.utc))
    settings = msgspec.structs.replace(push.settings, push_interval_seconds=0.05)
    # Whatever the real hour: no quiet hours for this user.
    push.run(NotificationSetting.insert(NotificationSetting(user=push.user(APPRENTICE), quiet_from=0, quiet_until=0, weekend_quiet=False)))

    async def loop():
        stop = asyncio.Event()
        task = asyncio.create_task(service.run_push_worker(settings, stop, push.sender))
        for _ in range(100):
            if fake_push.to("phone"):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)

    run(loop)
    assert len(fake_push.to("phone")) == 1
