"""Reminders and digests: which notifications are due at a given moment, and writing them once.

`due_windows(now)` is the pure calendar rule (Europe/Berlin); `write_due_reminders(now)` finds the
people concerned in a constant number of queries and writes one notification each through
`notify()`, with a dedupe key per person and period: running it every few minutes, after a restart
or in several workers at once never sends a reminder twice. Waves are spread over a few minutes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import zoneinfo

import msgspec
from piccolo.query.functions.aggregate import Count

from leokop.absences import service as absences
from leokop.contracts.tables import Contract, ContractStaff, ReadingConsent
from leokop.logbook import calendar
from leokop.logbook.tables import Week
from leokop.notifications.service import Notice, notify_many
from leokop.organisations.tables import ClassTeacher
from leokop.signing.tables import Signature
from leokop.timeutil import utcnow

log = logging.getLogger("leokop.reminders")

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
FRIDAY_FROM = dt.time(13, 0)  # Friday afternoon: the week is nearly done, the weekend not yet begun
DIGEST_FROM = dt.time(7, 0)  # working days, once quiet hours end
SPREAD_SECONDS = 300  # a wave of thousands reaches the push services over five minutes
REVIEW_OVERDUE = dt.timedelta(days=30)


class Windows(msgspec.Struct, frozen=True):
    """What is due at one moment."""

    friday_reminder: bool
    digests: bool
    today: dt.date


def due_windows(now: dt.datetime) -> Windows:
    local = now.astimezone(BERLIN)
    working_day = local.weekday() < 5
    return Windows(
        friday_reminder=local.weekday() == 4 and local.time() >= FRIDAY_FROM,
        digests=working_day and local.time() >= DIGEST_FROM,
        today=local.date(),
    )


def spread(now: dt.datetime, key: str) -> dt.datetime:
    """A stable offset per person within the spreading window (the same key always waits as long)."""
    offset = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % SPREAD_SECONDS
    return now + dt.timedelta(seconds=offset)


def _week_url(contract_id: int, monday: dt.date) -> str:
    return f"/contracts/{contract_id}/log/{monday.isoformat()}"


async def write_due_reminders(now: dt.datetime) -> int:
    """Write every reminder and digest due at `now` that was not written before; returns how many
    were new (dedupe keys decide)."""
    windows = due_windows(now)
    written = 0
    if windows.friday_reminder:
        written += await _friday_reminders(now, windows.today)
    if windows.digests:
        written += await _trainer_digests(now, windows.today)
        written += await _teacher_digests(now, windows.today)
    return written


async def _friday_reminders(now: dt.datetime, today: dt.date) -> int:
    """Apprentices whose current week is not submitted (or approved) yet: one query."""
    monday = calendar.monday_of(today)
    rows = await Contract.select(Contract.id, Contract.apprentice).where(
        Contract.start_date <= today,
        Contract.end_date >= today,
        Contract.id.not_in(
            Week.select(Week.contract).where(Week.monday == monday, Week.state.is_in(["submitted", "approved"]))
        ),
    )
    notices = []
    for row in rows:
        key = f"friday:{row['id']}:{monday.isoformat()}"
        notices.append(Notice(
            row["apprentice"],
            "friday_reminder",
            f"KW {monday.isocalendar()[1]}: Wochennachweis noch nicht eingereicht",
            _week_url(row["id"], monday),
            body="Bitte die Woche vervollständigen und einreichen.",
            dedupe_key=key,
            not_before=spread(now, key),
        ))
    return len(await notify_many(notices))


async def _trainer_digests(now: dt.datetime, today: dt.date) -> int:
    """Per trainer named on a contract: weeks waiting and apprentices overdue for review. Three queries."""
    waiting: dict[int, int] = {}
    # Count waiting weeks per trainer: the staff rows joined to the submitted weeks of their contracts.
    weeks = await Week.select(Week.contract, Count(Week.id).as_alias("n")).where(Week.state == "submitted").group_by(Week.contract)
    per_contract = {r["contract"]: r["n"] for r in weeks}
    cutoff = now - REVIEW_OVERDUE
    running_overdue = await Contract.select(Contract.id).where(
        Contract.start_date <= today - REVIEW_OVERDUE,
        Contract.end_date >= today,
        Contract.id.not_in(Signature.select(Signature.contract).where(Signature.kind == "approval", Signature.signed_at >= cutoff)),
    )
    overdue_contracts = {r["id"] for r in running_overdue}
    staff = await ContractStaff.select(ContractStaff.user, ContractStaff.contract).where(
        ContractStaff.kind == "trainer", ContractStaff.contract.is_in(list(per_contract) + list(overdue_contracts) or [0])
    )
    overdue: dict[int, int] = {}
    for row in staff:
        waiting[row["user"]] = waiting.get(row["user"], 0) + per_contract.get(row["contract"], 0)
        if row["contract"] in overdue_contracts:
            overdue[row["user"]] = overdue.get(row["user"], 0) + 1
    notices = []
    for user_id in sorted(set(waiting) | set(overdue)):
        weeks_waiting, late = waiting.get(user_id, 0), overdue.get(user_id, 0)
        if not weeks_waiting and not late:
            continue
        title = f"{weeks_waiting} {'Woche wartet' if weeks_waiting == 1 else 'Wochen warten'} auf Ihre Abzeichnung" if weeks_waiting else "Auszubildende warten auf Ihre Prüfung"
        body = f"{late} {'Auszubildende/r' if late == 1 else 'Auszubildende'} länger als einen Monat nicht geprüft." if late else ""
        key = f"digest:{user_id}:{today.isoformat()}"
        notices.append(Notice(user_id, "review_digest", title, "/freigaben", body=body, dedupe_key=key, not_before=spread(now, key)))
    return len(await notify_many(notices))


def digest_since(now: dt.datetime) -> dt.datetime:
    """Where a digest written at `now` starts: at the previous working day's digest time, so that
    Monday's covers Friday afternoon and the weekend (digests are written on working days only)."""
    day = now.astimezone(BERLIN).date() - dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, DIGEST_FROM, tzinfo=BERLIN)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


async def _teacher_digests(now: dt.datetime, today: dt.date) -> int:
    """Per teacher: weeks submitted since the last digest by apprentices of their classes who
    agreed, and what companies reported about absences (reasons, excuse requests, shared sick
    days). Four queries."""
    since = digest_since(now)
    per_class = {
        r["school_class"]: r["n"]
        for r in await Week.select(Week.contract.school_class.as_alias("school_class"), Count(Week.id).as_alias("n"))
        .where(
            Week.submitted_at >= since,
            Week.state.is_in(["submitted", "approved"]),
            Week.contract.is_in(
                ReadingConsent.select(ReadingConsent.contract).where(
                    ReadingConsent.apprentice_consented_at.is_not_null(), ReadingConsent.company_withdrawn_at.is_null()
                )
            ),
        )
        .group_by(Week.contract.school_class)
        if r["school_class"] is not None
    }
    reports = await absences.company_reports_per_class(since)
    if not per_class and not reports:
        return 0
    totals: dict[int, dict[str, int]] = {}
    for row in await ClassTeacher.select(ClassTeacher.teacher, ClassTeacher.school_class).where(
        ClassTeacher.school_class.is_in(list(set(per_class) | set(reports)))
    ):
        total = totals.setdefault(row["teacher"], {"weeks": 0, "replies": 0, "sick_days": 0})
        total["weeks"] += per_class.get(row["school_class"], 0)
        for name, n in reports.get(row["school_class"], {}).items():
            total[name] += n
    notices = []
    for teacher, total in sorted(totals.items()):
        weeks = total["weeks"]
        news = [_plural(total["replies"], "Rückmeldung", "Rückmeldungen") + " von Betrieben"] if total["replies"] else []
        news += [_plural(total["sick_days"], "Krankheitstag", "Krankheitstage") + " (Betrieb)"] if total["sick_days"] else []
        if weeks:
            title = f"{weeks} neu eingereichte {'Woche' if weeks == 1 else 'Wochen'} in Ihren Klassen"
            body, url = (f"Neue Fehlzeiten: {', '.join(news)}." if news else ""), "/classes"
        else:
            title, body, url = "Neue Fehlzeiten in Ihren Klassen", f"{', '.join(news)}.", "/fehlzeiten"
        key = f"class-digest:{teacher}:{today.isoformat()}"
        notices.append(Notice(teacher, "class_digest", title, url, body=body, dedupe_key=key, not_before=spread(now, key)))
    return len(await notify_many(notices))


async def run_reminder_loop(stop: asyncio.Event, interval_seconds: float = 300.0) -> None:
    """The scheduler of the embedded mode: every few minutes, write what is due. Safe in several
    processes at once and after restarts, because every reminder has its dedupe key."""
    from leokop.db import request_transaction

    while not stop.is_set():
        try:
            async with request_transaction(Contract._meta.db, write=True):
                written = await write_due_reminders(utcnow())
            if written:
                log.info("reminders written", extra={"count": written})
        except Exception:  # noqa: BLE001 - the loop must survive a bad database moment; next round retries
            log.exception("reminder round failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except asyncio.TimeoutError:
            pass
