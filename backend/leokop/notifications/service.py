"""Notifications: the e-mail outbox (queued in the caller's transaction, delivered by SMTP or shown on
the outbox page), in-app notifications, and their push delivery (preferences, devices, the job)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import random
import re
import smtplib
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec
from piccolo.engine.postgres import PostgresEngine

from leokop.accounts.schemas import Role
from leokop.db import request_transaction
from leokop.errors import NotFound, ValidationFailed
from leokop.messages import message
from leokop.notifications import push
from leokop.notifications.schemas import DeviceView, PushPreferences, PushRound, PushSettingsForm
from leokop.notifications.tables import MailMessage, Notification, NotificationSetting, PushSubscription
from leokop.settings import PROJECT_ROOT, Settings
from leokop.timeutil import BERLIN, as_aware_utc, utcnow

log = logging.getLogger("leokop.mail")
push_log = logging.getLogger("leokop.push")

MAIL_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(PROJECT_ROOT) / "web" / "templates" / "mail"),
    autoescape=False,  # plain-text mails
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)

MAX_ATTEMPTS = 8


class OutboxRow(msgspec.Struct, frozen=True):
    id: int
    recipient: str
    subject: str
    body: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    attempts: int
    last_error: str


async def queue_mail(
    recipient: str,
    template: str,
    *,
    company_id: int | None = None,
    school_id: int | None = None,
    **context: object,
) -> int:
    """Render a mail from web/templates/mail/<template>.txt (first line = subject) and queue it."""
    return (await queue_mails([Mail(recipient, template, company_id, school_id, context)]))[0]


class Mail(msgspec.Struct, frozen=True):
    """One mail to queue; the fields and their meaning are queue_mail()'s."""

    recipient: str
    template: str
    company_id: int | None = None
    school_id: int | None = None
    context: dict[str, object] = {}


async def queue_mails(mails: list[Mail]) -> list[int]:
    """queue_mail() for many at once (the invitations of a class list), in one statement; the ids in order."""
    if not mails:
        return []
    now = utcnow()
    messages = []
    for mail in mails:
        subject, _, body = MAIL_TEMPLATES.get_template(f"{mail.template}.txt").render(**mail.context).partition("\n")
        messages.append(
            MailMessage(
                recipient=mail.recipient,
                subject=subject.strip(),
                body=body.lstrip("\n"),
                company=mail.company_id,
                school=mail.school_id,
                created_at=now,
                next_attempt_at=now,
            )
        )
    rows = await MailMessage.insert(*messages).returning(MailMessage.id)
    # Only the id and the kind: recipient and body are personal data and stay in the database.
    for row, mail in zip(rows, mails):
        log.info("mail queued", extra={"mail_id": row["id"], "template": mail.template})
    return [row["id"] for row in rows]


async def outbox_for(*, company_id: int | None, school_id: int | None, everything: bool) -> list[OutboxRow]:
    """The newest mails an admin may read: all for the operator, else those of their organisation."""
    query = MailMessage.select(
        MailMessage.id,
        MailMessage.recipient,
        MailMessage.subject,
        MailMessage.body,
        MailMessage.created_at,
        MailMessage.sent_at,
        MailMessage.attempts,
        MailMessage.last_error,
    )
    if not everything:
        if company_id is not None:
            query = query.where(MailMessage.company == company_id)
        elif school_id is not None:
            query = query.where(MailMessage.school == school_id)
        else:
            return []
    rows = await query.order_by(MailMessage.id, ascending=False).limit(100)
    return msgspec.convert(rows, list[OutboxRow])


def _send_smtp(settings: Settings, recipient: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


async def deliver_due(settings: Settings, limit: int = 20) -> int:
    """Send due mails by SMTP; returns how many were sent. Without SMTP, mails stay in the outbox."""
    if not settings.smtp_host:
        return 0
    now = utcnow()
    due = await (
        MailMessage.select(MailMessage.id, MailMessage.recipient, MailMessage.subject, MailMessage.body, MailMessage.attempts)
        .where(MailMessage.sent_at.is_null(), MailMessage.next_attempt_at <= now, MailMessage.attempts < MAX_ATTEMPTS)
        .order_by(MailMessage.id)
        .limit(limit)
    )
    sent = 0
    for mail in due:
        # Claim before sending so that a second worker skips it; a crash leaves it for the retry.
        claimed = await (
            MailMessage.update(
                {
                    MailMessage.attempts: mail["attempts"] + 1,
                    MailMessage.next_attempt_at: now + dt.timedelta(minutes=2 ** mail["attempts"]),
                }
            )
            .where(MailMessage.id == mail["id"], MailMessage.attempts == mail["attempts"])
            .returning(MailMessage.id)
        )
        if not claimed:
            continue
        try:
            await asyncio.to_thread(_send_smtp, settings, mail["recipient"], mail["subject"], mail["body"])
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail %s not sent: %s", mail["id"], type(error).__name__)
            await MailMessage.update({MailMessage.last_error: type(error).__name__[:300]}).where(
                MailMessage.id == mail["id"]
            )
            continue
        await MailMessage.update({MailMessage.sent_at: utcnow(), MailMessage.last_error: ""}).where(
            MailMessage.id == mail["id"]
        )
        sent += 1
    return sent


async def run_mail_worker(settings: Settings, stop: asyncio.Event, interval_seconds: float = 5.0) -> None:
    """The in-process job loop of the embedded mode: deliver due mails until told to stop."""
    if not settings.smtp_host:
        log.info("no SMTP configured: mails stay in the outbox page (/outbox)")
        return
    while not stop.is_set():
        try:
            await deliver_due(settings)
        except Exception:  # noqa: BLE001 - the loop must survive a bad database moment
            log.exception("mail delivery round failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except asyncio.TimeoutError:
            pass


# --- in-app notifications, which are also the push queue ----------------------------------------------


async def notify(
    user_id: int,
    kind: str,
    title: str,
    url: str,
    body: str = "",
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
) -> int | None:
    """Tell a user about an event, in the caller's transaction (so it exists exactly when the event
    does); the push worker delivers it later. Returns the new id, or None when a notification with
    this dedupe key exists already (a reminder is written once, however often it is attempted)."""
    ids = await notify_many([Notice(user_id, kind, title, url, body, dedupe_key, not_before)])
    return ids[0] if ids else None


class Notice(msgspec.Struct, frozen=True):
    """One notification to write; the fields and their meaning are notify()'s."""

    user_id: int
    kind: str
    title: str
    url: str
    body: str = ""
    dedupe_key: str | None = None
    not_before: dt.datetime | None = None


# Rows per INSERT: a state-wide reminder wave is tens of thousands of rows, and PostgreSQL's driver
# (asyncpg) takes at most 32,767 arguments in one statement (9 a row here).
NOTIFY_CHUNK = 1000


async def notify_many(notices: list[Notice]) -> list[int]:
    """notify() for many people at once (an event that concerns a whole class, a reminder wave), in
    one statement per thousand; returns the ids of the notifications written (those whose dedupe key
    existed are left out)."""
    ids: list[int] = []
    for start in range(0, len(notices), NOTIFY_CHUNK):
        ids += await _insert_notices(notices[start : start + NOTIFY_CHUNK])
    return ids


async def _insert_notices(notices: list[Notice]) -> list[int]:
    now = utcnow()
    rows = await Notification.insert(
        *(
            Notification(
                user=notice.user_id,
                kind=notice.kind,
                title=notice.title[:200],
                body=notice.body[:300],
                url=notice.url,
                created_at=now,
                dedupe_key=notice.dedupe_key,
                push_state="pending",
                push_not_before=notice.not_before,
            )
            for notice in notices
        )
    ).on_conflict(target=Notification.dedupe_key, action="DO NOTHING").returning(Notification.id)
    return [row["id"] for row in rows]


async def recent(user_id: int, limit: int = 50) -> list[dict]:
    return await Notification.select(
        Notification.id, Notification.kind, Notification.title, Notification.url, Notification.created_at, Notification.read_at
    ).where(Notification.user == user_id).order_by(Notification.id, ascending=False).limit(limit)


async def mark_read(user_id: int, notification_id: int | None = None) -> None:
    """Mark one (or, with None, every) notification of the user as read."""
    query = Notification.update({Notification.read_at: utcnow()}).where(Notification.user == user_id, Notification.read_at.is_null())
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    await query


# --- push preferences and devices ------------------------------------------------------------------

# The kinds a role can receive as push, in the order of the settings page (labels: the template).
PUSH_KINDS_BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.apprentice: ("friday_reminder", "week_returned", "week_approved", "week_reopened", "topics_published", "absence_decided", "message", "data_export", "pdf_export"),
    Role.company_admin: ("review_digest", "absence_recorded", "message", "pdf_export"),
    Role.trainer: ("review_digest", "absence_recorded", "message", "pdf_export"),
    Role.instructor: ("review_digest", "absence_recorded", "message", "pdf_export"),
    Role.teacher: ("class_digest", "absence_reply", "message"),
    Role.guardian: ("absence_decided",),
}
REMINDER_KINDS = frozenset({"friday_reminder", "review_digest", "class_digest"})
# How long a push service keeps a message for a phone that is off: a reminder stays useful for a day;
# an event for half a day (a phone in the locker during a shift), then the in-app list has it.
REMINDER_TTL_SECONDS = 24 * 60 * 60
EVENT_TTL_SECONDS = 12 * 60 * 60


def push_kinds_for(role: Role) -> tuple[str, ...]:
    return PUSH_KINDS_BY_ROLE.get(role, ())


def _preferences(row: dict | None) -> PushPreferences:
    if row is None:
        return PushPreferences()
    return PushPreferences(
        muted_kinds=frozenset(kind for kind in row["muted_kinds"].split(",") if kind),
        quiet_from=row["quiet_from"],
        quiet_until=row["quiet_until"],
        weekend_quiet=row["weekend_quiet"],
    )


_SETTING_COLUMNS = (
    NotificationSetting.user,
    NotificationSetting.muted_kinds,
    NotificationSetting.quiet_from,
    NotificationSetting.quiet_until,
    NotificationSetting.weekend_quiet,
)


async def push_preferences(user_id: int) -> PushPreferences:
    row = await NotificationSetting.select(*_SETTING_COLUMNS).where(NotificationSetting.user == user_id).first()
    return _preferences(row)


async def save_push_preferences(user_id: int, role: Role, form: PushSettingsForm) -> PushPreferences:
    """Store the kinds left on among those offered to the role (others keep their state) and the quiet hours."""
    offered = push_kinds_for(role)
    if any(kind not in offered for kind in form.enabled):
        raise ValidationFailed({"enabled": "invalid_choice"})
    current = await push_preferences(user_id)
    muted = (current.muted_kinds - set(offered)) | (set(offered) - set(form.enabled))
    await NotificationSetting.insert(
        NotificationSetting(
            user=user_id,
            muted_kinds=",".join(sorted(muted)),
            quiet_from=form.quiet_from,
            quiet_until=form.quiet_until,
            weekend_quiet=form.weekend_quiet,
        )
    ).on_conflict(
        target=NotificationSetting.user,
        action="DO UPDATE",
        values=[
            NotificationSetting.muted_kinds,
            NotificationSetting.quiet_from,
            NotificationSetting.quiet_until,
            NotificationSetting.weekend_quiet,
        ],
    )
    return PushPreferences(frozenset(muted), form.quiet_from, form.quiet_until, form.weekend_quiet)


def quiet_end(moment: dt.datetime, kind: str, preferences: PushPreferences) -> dt.datetime | None:
    """When the quiet period that `moment` falls in ends (UTC), or None if a push may go now.

    Quiet hours are Berlin wall-clock hours (quiet_from == quiet_until means none); a quiet weekend
    ends on Monday at the end of the night's quiet hours; the Friday reminder ignores the weekend."""
    start = moment.astimezone(BERLIN)
    local = start
    for _ in range(6):  # night → weekend → Monday night at most
        if preferences.weekend_quiet and kind != "friday_reminder" and local.weekday() >= 5:
            monday = local.date() + dt.timedelta(days=7 - local.weekday())
            local = dt.datetime.combine(monday, dt.time(0), BERLIN)
            continue
        end = _night_end(local, preferences.quiet_from, preferences.quiet_until)
        if end is None:
            break
        local = end
    return None if local == start else local.astimezone(dt.timezone.utc)


def _night_end(local: dt.datetime, quiet_from: int, quiet_until: int) -> dt.datetime | None:
    if quiet_from == quiet_until:
        return None
    hour = local.hour
    if quiet_from > quiet_until:  # over midnight, e.g. 20–7
        if hour >= quiet_from:
            day = local.date() + dt.timedelta(days=1)
        elif hour < quiet_until:
            day = local.date()
        else:
            return None
    elif quiet_from <= hour < quiet_until:  # within a day, e.g. 12–14
        day = local.date()
    else:
        return None
    return dt.datetime.combine(day, dt.time(quiet_until), BERLIN)


def _b64url(value: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", value):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))


def _check_keys(p256dh: str, auth: str) -> None:
    try:
        point = _b64url(p256dh)
        secret = _b64url(auth)
        if len(point) != 65 or len(secret) != 16:
            raise ValueError("wrong length")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise ValidationFailed({"keys": "push_keys_invalid"}) from None


_BROWSERS = (("Edg/", "Edge"), ("SamsungBrowser", "Samsung Internet"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux"))


def device_label(user_agent: str) -> str:
    """A name for the device list from the browser's User-Agent: "Chrome auf Android"."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return message("device_label", browser=browser, system=system)
    return browser or system or message("device_unknown")


def push_service_of(endpoint: str) -> str:
    host = (urlsplit(endpoint).hostname or "").lower()
    if host == "fcm.googleapis.com":
        return "fcm"
    if host.endswith("push.services.mozilla.com"):
        return "mozilla"
    if host.endswith("push.apple.com"):
        return "apple"
    if host.endswith(".notify.windows.com"):
        return "windows"
    return "test" if host in ("127.0.0.1", "::1", "localhost") else "other"


async def save_subscription(
    user_id: int, endpoint: str, p256dh: str, auth: str, label: str, settings: Settings
) -> tuple[int, bool]:
    """Store a device (or update it when the browser subscribes again); returns (id, created).

    The endpoint is a URL the user controls: only known push services on public addresses (SSRF).
    An endpoint known for another account moves to this one: it is the same browser, now used by
    someone else. Past the device limit the longest silent device makes room."""
    _check_keys(p256dh, auth)
    try:
        await push.validate_endpoint(endpoint, settings)
    except push.EndpointRefused as refused:
        push_log.info("push endpoint refused", extra={"reason": refused.reason})
        code = "push_endpoint_unreachable" if refused.reason == "unresolvable" else "push_endpoint_refused"
        raise ValidationFailed({"endpoint": code}) from None
    existing = await PushSubscription.select(PushSubscription.id, PushSubscription.user).where(
        PushSubscription.endpoint == endpoint
    ).first()
    if existing is None or existing["user"] != user_id:
        own = await PushSubscription.select(
            PushSubscription.id, PushSubscription.created_at, PushSubscription.last_success_at
        ).where(PushSubscription.user == user_id)
        excess = len(own) + 1 - settings.push_max_devices
        if excess > 0:
            own.sort(key=lambda row: as_aware_utc(row["last_success_at"] or row["created_at"]))
            await PushSubscription.delete().where(PushSubscription.id.is_in([row["id"] for row in own[:excess]]))
    rows = await PushSubscription.insert(
        PushSubscription(user=user_id, endpoint=endpoint, p256dh=p256dh, auth=auth, label=label[:120], created_at=utcnow())
    ).on_conflict(
        target=PushSubscription.endpoint,
        action="DO UPDATE",
        values=[PushSubscription.user, PushSubscription.p256dh, PushSubscription.auth, PushSubscription.label],
    ).returning(PushSubscription.id)
    return rows[0]["id"], existing is None


async def devices_of(user_id: int) -> list[DeviceView]:
    rows = await PushSubscription.select(
        PushSubscription.id,
        PushSubscription.label,
        PushSubscription.endpoint,
        PushSubscription.created_at,
        PushSubscription.last_success_at,
    ).where(PushSubscription.user == user_id).order_by(PushSubscription.id)
    return [
        DeviceView(
            id=row["id"],
            label=row["label"],
            service=push_service_of(row["endpoint"]),
            endpoint=row["endpoint"],
            created_at=as_aware_utc(row["created_at"]),
            last_success_at=as_aware_utc(row["last_success_at"]) if row["last_success_at"] else None,
        )
        for row in rows
    ]


async def delete_subscription(user_id: int, subscription_id: int) -> None:
    """Remove one of the user's own devices; someone else's is NotFound (as if it did not exist)."""
    deleted = await PushSubscription.delete().where(
        PushSubscription.id == subscription_id, PushSubscription.user == user_id
    ).returning(PushSubscription.id)
    if not deleted:
        raise NotFound()


async def forget_device_at_logout(user_id: int, endpoint: str) -> bool:
    """At logout the browser names its subscription's endpoint: that device of this user stops
    receiving pushes (another user's row with this endpoint stays: the browser's word is no proof)."""
    deleted = await PushSubscription.delete().where(
        PushSubscription.user == user_id, PushSubscription.endpoint == endpoint
    ).returning(PushSubscription.id)
    return bool(deleted)


# --- push delivery (the job) ---------------------------------------------------------------------------

PUSH_LEASE = dt.timedelta(minutes=5)  # a worker that died mid-round leaves its jobs to others after this
MAX_PUSH_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0
RETRY_AFTER_MAX_SECONDS = 24 * 3600.0
MAX_PUSH_AGE = dt.timedelta(days=3)  # after an outage, old news is not pushed (the in-app list has it)
SEND_CONCURRENCY = 20

_CLAIMED_COLUMNS = (
    Notification.id,
    Notification.user,
    Notification.kind,
    Notification.title,
    Notification.body,
    Notification.url,
    Notification.created_at,
    Notification.read_at,
    Notification.push_attempts,
)


def _due(now: dt.datetime):
    pending = (Notification.push_state == "pending") & (
        Notification.push_not_before.is_null() | (Notification.push_not_before <= now)
    )
    abandoned = (Notification.push_state == "sending") & (Notification.push_claimed_until < now)
    return pending | abandoned


async def claim_push_jobs(now: dt.datetime, limit: int) -> list[dict]:
    """Take up to `limit` due jobs for this worker by compare-and-set: the update only changes rows
    that are still due, so two workers (threads, processes, machines) never get the same job while
    its lease runs. On PostgreSQL the rows are also locked with SKIP LOCKED so workers don't queue."""
    engine = Notification._meta.db
    async with request_transaction(engine, write=True):
        candidates = Notification.select(Notification.id).where(_due(now)).order_by(Notification.id).limit(limit)
        if isinstance(engine, PostgresEngine):
            candidates = candidates.lock_rows("UPDATE", skip_locked=True, of=(Notification,))
        ids = [row["id"] for row in await candidates]
        if not ids:
            return []
        return await Notification.update(
            {
                Notification.push_state: "sending",
                Notification.push_claimed_until: now + PUSH_LEASE,
                Notification.push_attempts: Notification.push_attempts + 1,
            }
        ).where(Notification.id.is_in(ids), _due(now)).returning(*_CLAIMED_COLUMNS)


def _backoff_seconds(attempt: int, retry_after: float | None) -> float:
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS) * random.uniform(1.0, 1.25)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_MAX_SECONDS))
    return delay


class _Outcome:
    """What to write back after a round: job ids per final state and devices to update."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.skipped: list[int] = []
        self.failed: list[int] = []
        self.later: dict[dt.datetime, list[int]] = {}  # retry after backoff
        self.quiet: dict[dt.datetime, list[int]] = {}  # quiet hours: not an attempt
        self.gone_devices: set[int] = set()
        self.reached_devices: set[int] = set()


async def deliver_push_due(
    sender: push.PushSender, settings: Settings, *, now: dt.datetime | None = None, limit: int | None = None
) -> PushRound:
    """One round of the push job: claim due notifications, push each to every device of its user,
    write back the outcome. `now` is the clock (tests move it).

    Per device: 2xx reached it; 404/410 the subscription is gone (deleted, and only then); 429, 5xx
    and no answer are worth retrying; other answers (3xx: no redirects are followed, 4xx) are final.
    A job counts as sent when one device was reached, and is retried (backoff, honouring Retry-After)
    only when no device was reached, so a device never shows the same notification twice."""
    now = (now or utcnow()).astimezone(dt.timezone.utc)
    jobs = await claim_push_jobs(now, limit or settings.push_batch_size)
    result = PushRound(claimed=len(jobs))
    if not jobs:
        return result
    user_ids = sorted({job["user"] for job in jobs})
    preferences = {
        row["user"]: _preferences(row)
        for row in await NotificationSetting.select(*_SETTING_COLUMNS).where(NotificationSetting.user.is_in(user_ids))
    }
    devices: dict[int, list[dict]] = {}
    for row in await PushSubscription.select(
        PushSubscription.id, PushSubscription.user, PushSubscription.endpoint, PushSubscription.p256dh, PushSubscription.auth
    ).where(PushSubscription.user.is_in(user_ids)).order_by(PushSubscription.id):
        devices.setdefault(row["user"], []).append(row)

    outcome = _Outcome()
    sendable = []
    for job in jobs:
        prefs = preferences.get(job["user"], PushPreferences())
        if (
            job["read_at"] is not None  # seen in the app meanwhile
            or job["kind"] in prefs.muted_kinds
            or not devices.get(job["user"])
            or now - as_aware_utc(job["created_at"]) > MAX_PUSH_AGE
        ):
            outcome.skipped.append(job["id"])
        elif (end := quiet_end(now, job["kind"], prefs)) is not None:
            outcome.quiet.setdefault(end, []).append(job["id"])
        else:
            sendable.append(job)

    limiter = asyncio.Semaphore(SEND_CONCURRENCY)
    base_url = settings.effective_base_url

    async def deliver(job: dict) -> None:
        reminder = job["kind"] in REMINDER_KINDS
        try:
            payload = push.build_payload(
                base_url, job["title"], job["body"], job["url"], job["kind"] if reminder else f"{job['kind']}-{job['id']}"
            )
        except ValueError:
            outcome.failed.append(job["id"])
            return
        ttl = REMINDER_TTL_SECONDS if reminder else EVENT_TTL_SECONDS

        async def one(device: dict) -> tuple[dict, push.DeliveryResult]:
            target = push.PushTarget(endpoint=device["endpoint"], p256dh=device["p256dh"], auth=device["auth"])
            async with limiter:
                try:
                    return device, await sender.send(target, payload, ttl=ttl, topic=job["kind"] if reminder else None, now=now)
                except Exception:  # noqa: BLE001 - one bad device must not stop the round
                    push_log.exception("push to one device failed", extra={"notification_id": job["id"]})
                    return device, push.DeliveryResult(status=400)

        answers = await asyncio.gather(*(one(device) for device in devices[job["user"]]))
        reached = retry = final = False
        retry_after: float | None = None
        for device, answer in answers:
            if 200 <= answer.status < 300:
                reached = True
                outcome.reached_devices.add(device["id"])
            elif answer.status in (404, 410):
                outcome.gone_devices.add(device["id"])
            elif answer.status in (0, 429) or answer.status >= 500:
                retry = True
                if answer.retry_after is not None:
                    retry_after = max(retry_after or 0.0, answer.retry_after)
            else:
                final = True
                push_log.warning("push refused", extra={"notification_id": job["id"], "status": answer.status})
        if reached:
            outcome.sent.append(job["id"])
        elif retry and job["push_attempts"] < MAX_PUSH_ATTEMPTS:
            when = now + dt.timedelta(seconds=_backoff_seconds(job["push_attempts"], retry_after))
            outcome.later.setdefault(when, []).append(job["id"])
        elif retry or final:
            outcome.failed.append(job["id"])
        else:  # every device is gone
            outcome.skipped.append(job["id"])

    await asyncio.gather(*(deliver(job) for job in sendable))
    await _write_outcome(outcome, now)
    result.sent, result.skipped, result.failed = len(outcome.sent), len(outcome.skipped), len(outcome.failed)
    result.retried = sum(len(ids) for ids in outcome.later.values())
    result.deferred = sum(len(ids) for ids in outcome.quiet.values())
    result.devices_removed = len(outcome.gone_devices)
    return result


async def _write_outcome(outcome: _Outcome, now: dt.datetime) -> None:
    """A few statements per round, whatever its size (per distinct retry time, which are few)."""
    mine = Notification.push_state == "sending"
    async with request_transaction(Notification._meta.db, write=True):
        if outcome.sent:
            await Notification.update(
                {Notification.push_state: "sent", Notification.pushed_at: now, Notification.push_claimed_until: None}
            ).where(Notification.id.is_in(outcome.sent), mine)
        for state, ids in (("skipped", outcome.skipped), ("failed", outcome.failed)):
            if ids:
                await Notification.update({Notification.push_state: state, Notification.push_claimed_until: None}).where(
                    Notification.id.is_in(ids), mine
                )
        for when, ids in outcome.later.items():
            await Notification.update(
                {Notification.push_state: "pending", Notification.push_not_before: when, Notification.push_claimed_until: None}
            ).where(Notification.id.is_in(ids), mine)
        for when, ids in outcome.quiet.items():
            await Notification.update(
                {
                    Notification.push_state: "pending",
                    Notification.push_not_before: when,
                    Notification.push_claimed_until: None,
                    Notification.push_attempts: Notification.push_attempts - 1,
                }
            ).where(Notification.id.is_in(ids), mine)
        if outcome.gone_devices:
            await PushSubscription.delete().where(PushSubscription.id.is_in(sorted(outcome.gone_devices)))
        if outcome.reached_devices:
            await PushSubscription.update({PushSubscription.last_success_at: now}).where(
                PushSubscription.id.is_in(sorted(outcome.reached_devices))
            )


async def run_push_worker(settings: Settings, stop: asyncio.Event, sender: push.PushSender) -> None:
    """The in-process push job loop: rounds until told to stop; a full round is followed at once by
    the next (a wave drains at the push services' pace), otherwise it waits `push_interval_seconds`."""
    while not stop.is_set():
        busy = False
        try:
            done = await deliver_push_due(sender, settings)
            busy = done.claimed >= settings.push_batch_size
        except Exception:  # noqa: BLE001 - the loop must survive a bad database moment
            push_log.exception("push delivery round failed")
        if busy:
            continue
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.push_interval_seconds)
        except asyncio.TimeoutError:
            pass
