"""E-mail outbox: queue inside the caller's transaction, deliver later by SMTP or leave for the outbox page."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from pathlib import Path

import jinja2
import msgspec

from leokop.notifications.tables import MailMessage, Notification
from leokop.settings import PROJECT_ROOT, Settings
from leokop.timeutil import utcnow

log = logging.getLogger("leokop.mail")

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
    subject, _, body = MAIL_TEMPLATES.get_template(f"{template}.txt").render(**context).partition("\n")
    rows = await MailMessage.insert(
        MailMessage(
            recipient=recipient,
            subject=subject.strip(),
            body=body.lstrip("\n"),
            company=company_id,
            school=school_id,
            created_at=utcnow(),
            next_attempt_at=utcnow(),
        )
    ).returning(MailMessage.id)
    # Only the id and the kind: recipient and body are personal data and stay in the database.
    log.info("mail queued", extra={"mail_id": rows[0]["id"], "template": template})
    return rows[0]["id"]


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


# --- in-app notifications ------------------------------------------------------------------------


async def notify(user_id: int, kind: str, title: str, url: str) -> None:
    """Tell a user about an event, in the caller's transaction (so it exists exactly when the event does)."""
    await Notification.insert(Notification(user=user_id, kind=kind, title=title[:200], url=url, created_at=utcnow()))


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
