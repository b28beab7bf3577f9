"""Rules of the logbook: reading a week in a constant number of queries, saving entries and day
statuses with version checks, reuse (copy, phrases, suggestions), the gap calendar and submitting."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict

import msgspec
from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Count, Max

from leokop.accounts.schemas import CurrentUser, Role
from leokop.audit import service as audit
from leokop.contracts.service import visible_contract
from leokop.contracts.tables import Contract
from leokop.errors import Conflict, Forbidden, NotFound, ValidationFailed
from leokop.logbook import calendar, files
from leokop.logbook.schemas import AttachmentView, DayView, EntryView, GapWeek, WeekView
from leokop.logbook.tables import Attachment, Day, Entry, Phrase, Week
from leokop.school_calendar import service as school_calendar
from leokop.signing.workflow import Action, Relation, allowed_actions
from leokop.timeutil import parse_duration, today_berlin, utcnow

EDITABLE_STATES = ("draft", "returned")


class WeekLocked(ValidationFailed):
    """The week is submitted or approved: changing it is refused (HTTP 409) until it is returned or reopened."""

    def __init__(self) -> None:
        super().__init__({"week": "week_locked"})


class SubmitBlocked(ValidationFailed):
    """The week is not complete; `problems` are (code, date) pairs from logbook.calendar."""

    def __init__(self, problems: list[tuple[str, dt.date | None]]) -> None:
        super().__init__({"week": "submit_blocked"})
        self.problems = problems


# --- loading ----------------------------------------------------------------------------------


def _log_columns() -> tuple:
    c = Contract
    return (
        c.id,
        c.apprentice.id.as_alias("apprentice_id"),
        c.apprentice.display_name.as_alias("apprentice_name"),
        c.company.as_alias("company_id"),
        c.company.name.as_alias("company_name"),
        c.company.state.as_alias("state"),
        c.occupation.name_neutral.as_alias("occupation_name"),
        c.start_date,
        c.end_date,
        c.log_mode,
        c.daily_minutes,
        c.school_class.as_alias("school_class_id"),
    )


async def log_contract(user: CurrentUser, contract_id: int) -> dict:
    """The contract facts a log needs, if the user may see this contract's log (else NotFound)."""
    return await visible_contract(user, contract_id, *_log_columns())


async def shared_log_contract(contract_id: int) -> dict:
    """The same facts without a user: only for a share link (exam_admission), after its token was
    checked, which is what grants access to exactly this contract's log."""
    rows = await Contract.select(*_log_columns()).where(Contract.id == contract_id)
    if not rows:
        raise NotFound()
    return rows[0]


def may_edit(user: CurrentUser | None, contract: dict) -> bool:
    """Only the apprentice writes the log (§ 13 BBiG); everyone else with access reads it."""
    return user is not None and user.role is Role.apprentice and contract["apprentice_id"] == user.id


async def current_contract_id(user: CurrentUser) -> int | None:
    """The apprentice's contract running today, else the latest one."""
    today = today_berlin()
    rows = await Contract.select(Contract.id, Contract.start_date, Contract.end_date).where(
        Contract.apprentice == user.id
    ).order_by(Contract.start_date, ascending=False)
    for row in rows:
        if row["start_date"] <= today <= row["end_date"]:
            return row["id"]
    return rows[0]["id"] if rows else None


def clamp_monday(contract: dict, day: dt.date) -> dt.date:
    """The Monday of the week containing `day`, moved inside the contract if needed."""
    day = min(max(day, contract["start_date"]), contract["end_date"])
    return calendar.monday_of(day)


def _entry_view(row: dict) -> EntryView:
    return EntryView(**row)  # the row has exactly _ENTRY_COLUMNS


_ENTRY_COLUMNS = (Entry.id, Entry.day, Entry.position, Entry.category, Entry.text, Entry.minutes, Entry.version, Entry.origin)


async def week_view(user: CurrentUser, contract_id: int, monday: dt.date) -> WeekView:
    """The week page: contract, sheet, day statuses, entries and attachments in five queries
    whatever the size, plus two for the school calendar's and the company plan's defaults while
    the week can still be edited."""
    return await _week_view(user, await log_contract(user, contract_id), monday)


async def shared_week_view(contract_id: int, monday: dt.date) -> WeekView:
    """The week page's data for a share link (read-only, no user): only after its token was checked."""
    return await _week_view(None, await shared_log_contract(contract_id), monday)


async def _week_view(user: CurrentUser | None, contract: dict, monday: dt.date) -> WeekView:
    contract_id = contract["id"]
    if monday != calendar.monday_of(monday):
        raise NotFound()
    try:
        info = calendar.week_info(contract["start_date"], contract["end_date"], monday, contract["state"])
    except ValueError:
        raise NotFound() from None
    weeks = await Week.select(Week.id, Week.state, Week.return_reason).where(
        Week.contract == contract_id, Week.monday == monday
    )
    week = weeks[0] if weeks else None
    days_rows = entries_rows = attachment_rows = []
    if week is not None:
        attachment_rows = await Attachment.select(*_ATTACHMENT_COLUMNS).where(Attachment.week == week["id"]).order_by(
            Attachment.id
        )
        days_rows = await Day.select(Day.date, Day.status, Day.note, Day.version).where(Day.week == week["id"])
        entries_rows = await Entry.select(*_ENTRY_COLUMNS).where(Entry.week == week["id"]).order_by(Entry.day).order_by(
            Entry.position
        ).order_by(Entry.id)
    attachments = [AttachmentView(**r) for r in attachment_rows]
    # A submitted or approved week shows what was stored at submit (the defaults were stored then):
    # a later change of the class's calendar must not change a sheet someone is signing.
    defaults = {}
    if week is None or week["state"] in EDITABLE_STATES:
        defaults = await school_calendar.day_defaults(contract_id, contract["school_class_id"], info.monday, info.sunday)
    entries = [_entry_view(r) for r in entries_rows]
    return _assemble(user, contract, info, week, days_rows, entries, attachments, defaults)


_ATTACHMENT_COLUMNS = (
    Attachment.id,
    Attachment.entry.as_alias("entry_id"),
    Attachment.filename,
    Attachment.content_type,
    Attachment.size,
    Attachment.has_thumbnail,
    Attachment.sha256,
)


def _assemble(user, contract, info, week, days_rows, entries, attachments, defaults) -> WeekView:
    stored = {r["date"]: r for r in days_rows}
    by_day: dict[dt.date | None, list[EntryView]] = defaultdict(list)
    for entry in entries:
        by_day[entry.day].append(entry)
    # A stored status wins (the apprentice corrected the day), then a public holiday, then the
    # calendar's proposal: the class's school day or the company's planned vacation or course.
    statuses = {
        day.date: stored[day.date]["status"]
        if day.date in stored
        else calendar.default_status(day) or (defaults.get(day.date) if day.in_contract else None)
        for day in info.days
    }
    # Then a topic the school prefilled (lesson_topics): that day was evidently a school day.
    for day, day_entries in by_day.items():
        if day in statuses and statuses[day] is None and any(e.origin == "school" for e in day_entries):
            statuses[day] = "school"
    # A day with entries but no status yet was evidently a day at work: it gets the deviation hint too.
    effective = {day: status or ("company" if by_day.get(day) else None) for day, status in statuses.items()}
    flags = calendar.day_warnings(contract["daily_minutes"], info, effective, entries)
    days = []
    for day in info.days:
        row = stored.get(day.date)
        status = statuses[day.date]
        day_entries = by_day.get(day.date, [])
        days.append(
            DayView(
                date=day.date,
                in_contract=day.in_contract,
                is_working_day=day.is_working_day,
                holiday_name=day.holiday_name,
                status=status,
                status_is_default=row is None and status is not None,
                note=row["note"] if row else "",
                version=row["version"] if row else None,
                entries=day_entries,
                total_minutes=sum(e.minutes for e in day_entries),
                deviates=flags[day.date].deviates,
                over_limit=flags[day.date].over_limit,
            )
        )
    state = week["state"] if week else "missing"
    problems = calendar.submit_problems(info, statuses, entries, contract["log_mode"], today_berlin())
    problems += [("other_absence_text", d.date) for d in days if d.status == "other_absence" and not d.note.strip()]
    first_monday = calendar.monday_of(contract["start_date"])
    last_monday = calendar.monday_of(contract["end_date"])
    return WeekView(
        contract_id=contract["id"],
        week_id=week["id"] if week else None,
        apprentice_id=contract["apprentice_id"],
        company_id=contract["company_id"],
        apprentice_name=contract["apprentice_name"],
        company_name=contract["company_name"],
        occupation_name=contract["occupation_name"],
        log_mode=contract["log_mode"],
        daily_minutes=contract["daily_minutes"],
        monday=info.monday,
        sunday=info.sunday,
        iso_week=info.iso_week,
        iso_year=info.iso_year,
        number=info.number,
        training_year=info.training_year,
        state=state,
        return_reason=week["return_reason"] if week else "",
        days=days,
        week_entries=by_day.get(None, []),
        total_minutes=calendar.week_total(entries),
        editable=may_edit(user, contract) and Action.edit in allowed_actions(Relation.apprentice, state),
        previous_monday=info.monday - dt.timedelta(days=7) if info.monday > first_monday else None,
        next_monday=info.monday + dt.timedelta(days=7) if info.monday < last_monday else None,
        problems=problems,
        attachments=attachments,
    )


async def gap_calendar(user: CurrentUser, contract_id: int) -> tuple[dict, list[GapWeek]]:
    """Every week of the contract with its state, so that nobody backfills months: two queries."""
    contract = await log_contract(user, contract_id)
    return contract, await gap_weeks(contract)


async def gap_weeks(contract: dict) -> list[GapWeek]:
    """The weeks of a contract (as log_contract gives it) with their states, in one query."""
    contract_id = contract["id"]
    stored = {
        r["monday"]: r["state"]
        for r in await Week.select(Week.monday, Week.state).where(Week.contract == contract_id)
    }
    this_monday = calendar.monday_of(today_berlin())
    weeks = []
    for monday in calendar.contract_weeks(contract["start_date"], contract["end_date"]):
        first_day = max(monday, contract["start_date"])
        state = stored.get(monday) or ("future" if monday > this_monday else "missing")
        weeks.append(
            GapWeek(
                monday=monday,
                number=calendar.sheet_number(contract["start_date"], monday),
                iso_week=monday.isocalendar()[1],
                state=state,
                training_year=calendar.training_year(contract["start_date"], first_day),
            )
        )
    return weeks


# --- writing ------------------------------------------------------------------------------------


async def _editable_week(user: CurrentUser, contract_id: int, monday: dt.date) -> tuple[dict, calendar.WeekInfo, int]:
    """The contract, the week's calendar and the week row (created now if needed), if the user may
    write it; refuses weeks that are submitted or approved and weeks in the future."""
    contract = await log_contract(user, contract_id)
    if not may_edit(user, contract):
        raise Forbidden()
    if monday != calendar.monday_of(monday):
        raise NotFound()
    try:
        info = calendar.week_info(contract["start_date"], contract["end_date"], monday, contract["state"])
    except ValueError:
        raise NotFound() from None
    if monday > calendar.monday_of(today_berlin()):
        raise ValidationFailed({"week": "week_in_future"})
    now = utcnow()
    # Insert-if-missing that two devices may race on: the unique index decides, then we read.
    await Week.insert(
        Week(contract=contract_id, monday=monday, state="draft", created_at=now, updated_at=now)
    ).on_conflict(action="DO NOTHING")
    week = (await Week.select(Week.id, Week.state).where(Week.contract == contract_id, Week.monday == monday))[0]
    if Action.edit not in allowed_actions(Relation.apprentice, week["state"]):
        raise WeekLocked()
    return contract, info, week["id"]


def _check_entry(info: calendar.WeekInfo, log_mode: str, day: dt.date | None, text: str, duration: str) -> int:
    errors: dict[str, str] = {}
    if "\x00" in text:  # API bodies: PostgreSQL refuses NUL in text, and nobody means to type it
        errors["text"] = "invalid_characters"
    minutes = parse_duration(duration)
    if minutes is None:
        errors["duration"] = "duration_invalid"
    else:
        problem = calendar.check_entry_minutes(minutes)
        if problem:
            errors["duration"] = problem
    if not text.strip():
        errors["text"] = "required"
    day_problem = calendar.entry_date_problem(info, day, log_mode)
    if day_problem:
        errors["day"] = day_problem
    if errors:
        raise ValidationFailed(errors)
    return minutes


async def _check_day_limit(week_id: int, day: dt.date | None, minutes: int, except_entry: int | None = None) -> None:
    if day is None:
        return
    query = Entry.select(Entry.minutes).where(Entry.week == week_id, Entry.day == day)
    if except_entry is not None:
        query = query.where(Entry.id != except_entry)
    problem = calendar.check_day_minutes(sum(r["minutes"] for r in await query) + minutes)
    if problem:
        raise ValidationFailed({"duration": problem})


async def _touch(week_id: int) -> None:
    await Week.update({Week.updated_at: utcnow()}).where(Week.id == week_id)


async def add_entry(
    user: CurrentUser,
    contract_id: int,
    monday: dt.date,
    day: dt.date | None,
    category: str,
    text: str,
    duration: str,
    client_id: str | None = None,
) -> EntryView:
    """Add an entry; with a `client_id` the same add sent again returns the entry stored the first time."""
    if client_id:
        # Replays first: an offline device may send an add again after the week was submitted.
        await log_contract(user, contract_id)
        known = await Entry.select(*_ENTRY_COLUMNS).where(
            Entry.client_id == client_id, Entry.week.contract == contract_id, Entry.week.monday == monday
        )
        if known:
            return _entry_view(known[0])
    contract, info, week_id = await _editable_week(user, contract_id, monday)
    if contract["log_mode"] == "weekly":
        day = None
    minutes = _check_entry(info, contract["log_mode"], day, text, duration)
    await _check_day_limit(week_id, day, minutes)
    last = await Entry.select(Max(Entry.position).as_alias("last")).where(Entry.week == week_id, Entry.day == day if day else Entry.day.is_null())
    now = utcnow()
    rows = await Entry.insert(
        Entry(
            week=week_id,
            day=day,
            position=(last[0]["last"] or 0) + 1,
            category=category,
            text=text.strip(),
            minutes=minutes,
            version=1,
            client_id=client_id,
            created_at=now,
            updated_at=now,
        )
    ).returning(*_ENTRY_COLUMNS)
    await _touch(week_id)
    return _entry_view(rows[0])


async def _current_entry(week_id: int, entry_id: int) -> EntryView | None:
    rows = await Entry.select(*_ENTRY_COLUMNS).where(Entry.id == entry_id, Entry.week == week_id)
    return _entry_view(rows[0]) if rows else None


async def update_entry(
    user: CurrentUser,
    contract_id: int,
    monday: dt.date,
    entry_id: int,
    version: int | None,
    category: str,
    text: str,
    duration: str,
) -> EntryView:
    """Save an entry only if it is still at `version`; otherwise raise Conflict with what is stored."""
    contract, info, week_id = await _editable_week(user, contract_id, monday)
    current = await _current_entry(week_id, entry_id)
    if current is None:
        raise Conflict(None)
    minutes = _check_entry(info, contract["log_mode"], current.day, text, duration)
    await _check_day_limit(week_id, current.day, minutes, except_entry=entry_id)
    if version is None or version != current.version:
        raise Conflict(current)
    rows = await Entry.update(
        {
            Entry.category: category,
            Entry.text: text.strip(),
            Entry.minutes: minutes,
            Entry.version: Entry.version + 1,
            Entry.updated_at: utcnow(),
        }
    ).where(Entry.id == entry_id, Entry.version == version).returning(*_ENTRY_COLUMNS)
    if not rows:  # changed between our read and write (PostgreSQL, another worker)
        raise Conflict(await _current_entry(week_id, entry_id))
    await _touch(week_id)
    return _entry_view(rows[0])


async def delete_entry(user: CurrentUser, contract_id: int, monday: dt.date, entry_id: int, version: int | None) -> None:
    _, _, week_id = await _editable_week(user, contract_id, monday)
    current = await _current_entry(week_id, entry_id)
    if current is None:
        return  # already gone: deleting twice is fine
    if version is not None and version != current.version:
        raise Conflict(current)
    await Entry.delete().where(Entry.id == entry_id, Entry.week == week_id)
    await _touch(week_id)


async def move_entry(user: CurrentUser, contract_id: int, monday: dt.date, entry_id: int, direction: int) -> None:
    """Swap an entry with its neighbour above (-1) or below (+1) on the same day."""
    _, _, week_id = await _editable_week(user, contract_id, monday)
    current = await _current_entry(week_id, entry_id)
    if current is None:
        raise NotFound()
    same_day = Entry.day == current.day if current.day else Entry.day.is_null()
    siblings = [
        _entry_view(r)
        for r in await Entry.select(*_ENTRY_COLUMNS).where(Entry.week == week_id, same_day).order_by(Entry.position).order_by(Entry.id)
    ]
    index = next(i for i, e in enumerate(siblings) if e.id == entry_id)
    other = index + direction
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    # The order is not content: moving leaves versions alone, so it never conflicts with an edit.
    for position, entry in enumerate(siblings, start=1):
        if entry.position != position:
            await Entry.update({Entry.position: position}).where(Entry.id == entry.id)
    await _touch(week_id)


async def set_day_status(
    user: CurrentUser,
    contract_id: int,
    monday: dt.date,
    day: dt.date,
    status: str | None,
    note: str,
    version: int | None = None,
    check_version: bool = False,
) -> None:
    """Set (or, with None, clear back to the default) the status of one day of the week. With
    `check_version`, `version` is the one the page showed (None: no status stored then); a status
    another device changed meanwhile raises Conflict instead of being overwritten."""
    _, info, week_id = await _editable_week(user, contract_id, monday)
    day_info = next((d for d in info.days if d.date == day), None)
    if day_info is None or not day_info.in_contract:
        raise ValidationFailed({"status": "outside_contract"})
    if status == "other_absence" and not note.strip():
        raise ValidationFailed({"note": "other_absence_text"})
    if check_version:
        stored = await Day.select(Day.status, Day.version).where(Day.week == week_id, Day.date == day)
        if (stored[0]["version"] if stored else None) != version:
            raise Conflict(stored[0]["status"] if stored else None)
    await _store_statuses(week_id, {day: (status, note.strip() if status == "other_absence" else "")})


async def _store_statuses(week_id: int, changes: dict[dt.date, tuple[str | None, str]]) -> None:
    existing = {r["date"]: r["id"] for r in await Day.select(Day.id, Day.date).where(Day.week == week_id)}
    for day, (status, note) in changes.items():
        if status is None:
            if day in existing:
                await Day.delete().where(Day.id == existing[day])
        elif day in existing:
            await Day.update({Day.status: status, Day.note: note, Day.version: Day.version + 1}).where(Day.id == existing[day])
        else:
            await Day.insert(Day(week=week_id, date=day, status=status, note=note, version=1))
    await _touch(week_id)


async def set_week_status(user: CurrentUser, contract_id: int, monday: dt.date, status: str, note: str) -> None:
    """Set every working day at once (a school block, a week of vacation); holidays stay holidays."""
    if status == "other_absence" and not note.strip():
        raise ValidationFailed({"note": "other_absence_text"})
    _, info, week_id = await _editable_week(user, contract_id, monday)
    await _store_statuses(
        week_id, {d.date: (status, note.strip() if status == "other_absence" else "") for d in info.days if d.is_working_day}
    )


async def copy_previous_day(user: CurrentUser, contract_id: int, monday: dt.date, day: dt.date) -> int:
    """Copy the entries of the last earlier day that has any (in this or an earlier week) to `day`."""
    contract, info, week_id = await _editable_week(user, contract_id, monday)
    if calendar.entry_date_problem(info, day, contract["log_mode"]):
        raise ValidationFailed({"day": "outside_contract"})
    latest = await Entry.select(Max(Entry.day).as_alias("day")).where(
        Entry.week.contract == contract_id, Entry.day < day
    )
    source = latest[0]["day"] if latest else None
    if source is None:
        raise ValidationFailed({"day": "nothing_to_copy"})
    rows = await Entry.select(Entry.category, Entry.text, Entry.minutes).where(
        Entry.week.contract == contract_id, Entry.day == source
    ).order_by(Entry.position)
    return await _append(week_id, day, rows)


async def copy_previous_week(user: CurrentUser, contract_id: int, monday: dt.date) -> int:
    """Copy last week's entries (each to the same weekday) and day statuses into this week."""
    contract, info, week_id = await _editable_week(user, contract_id, monday)
    previous = monday - dt.timedelta(days=7)
    rows = await Entry.select(Entry.day, Entry.category, Entry.text, Entry.minutes).where(
        Entry.week.contract == contract_id, Entry.week.monday == previous
    ).order_by(Entry.day).order_by(Entry.position)
    statuses = await Day.select(Day.date, Day.status, Day.note).where(
        Day.week.contract == contract_id, Day.week.monday == previous
    )
    if not rows and not statuses:
        raise ValidationFailed({"week": "nothing_to_copy"})
    in_contract = {d.date for d in info.days if d.in_contract}
    shifted: dict[dt.date | None, list[dict]] = defaultdict(list)
    for row in rows:
        target = row["day"] + dt.timedelta(days=7) if row["day"] else None
        if target is None or target in in_contract:
            shifted[target].append(row)
    copied = 0
    for target, items in shifted.items():
        copied += await _append(week_id, target, items)
    holidays = {d.date for d in info.days if d.holiday_name}
    changes = {
        s["date"] + dt.timedelta(days=7): (s["status"], s["note"])
        for s in statuses
        if s["date"] + dt.timedelta(days=7) in in_contract and s["date"] + dt.timedelta(days=7) not in holidays
    }
    if changes:
        await _store_statuses(week_id, changes)
    return copied


class NewEntry(msgspec.Struct, frozen=True):
    week: int
    day: dt.date | None
    category: str
    text: str
    minutes: int
    origin: str = ""  # "school": prefilled from a lesson topic


async def _append(week_id: int, day: dt.date | None, rows: list[dict]) -> int:
    created = await append_entries([NewEntry(week_id, day, r["category"], r["text"], r["minutes"]) for r in rows])
    return len(created)


async def append_entries(items: list[NewEntry]) -> list[int]:
    """Append entries at the end of their days, in any number of weeks, in three statements whatever
    their number (the last position of every day concerned, one insert, one touch of the weeks);
    returns the new entries' ids in the order of `items`. Limits are the caller's to check."""
    if not items:
        return []
    week_ids = sorted({item.week for item in items})
    last = {
        (r["week"], r["day"]): r["last"]
        for r in await Entry.select(Entry.week, Entry.day, Max(Entry.position).as_alias("last"))
        .where(Entry.week.is_in(week_ids))
        .group_by(Entry.week, Entry.day)
    }
    now = utcnow()
    rows = []
    for item in items:
        position = last[(item.week, item.day)] = (last.get((item.week, item.day)) or 0) + 1
        rows.append(
            Entry(
                week=item.week,
                day=item.day,
                position=position,
                category=item.category,
                text=item.text,
                minutes=item.minutes,
                version=1,
                origin=item.origin,
                created_at=now,
                updated_at=now,
            )
        )
    created = await Entry.insert(*rows).returning(Entry.id)
    await Week.update({Week.updated_at: now}).where(Week.id.is_in(week_ids))
    # One statement numbers its rows in order on SQLite and PostgreSQL alike; RETURNING's own
    # order is not promised.
    return sorted(row["id"] for row in created)


async def ensure_weeks(contract_ids: list[int], monday: dt.date) -> dict[int, dict]:
    """The sheets of these contracts for the week of `monday` (contract id → id and state), created
    as drafts where missing, in two statements whatever their number. An insert racing with the
    apprentice's first save is settled by the unique index; on PostgreSQL the rows stay locked until
    the caller's transaction ends, so a submit waits instead of slipping in between."""
    now = utcnow()
    await Week.insert(
        *(Week(contract=contract_id, monday=monday, state="draft", created_at=now, updated_at=now) for contract_id in contract_ids)
    ).on_conflict(action="DO NOTHING")
    return {r["contract"]: r for r in await locked_weeks(contract_ids, monday)}


async def locked_weeks(contract_ids: list[int], monday: dt.date) -> list[dict]:
    """The id, contract and state of these contracts' sheets of one week, read for writing into them
    (SQLite's immediate transactions are serial already; PostgreSQL locks the rows)."""
    query = Week.select(Week.id, Week.contract, Week.state).where(Week.contract.is_in(contract_ids), Week.monday == monday)
    if Week._meta.db.engine_type == "postgres":
        query = query.lock_rows("UPDATE", of=(Week,))
    return await query


async def submit_week(user: CurrentUser, contract_id: int, monday: dt.date) -> None:
    """Hand the week to the trainer: it becomes read-only for the apprentice. Submitting twice is
    harmless; an incomplete week is refused with the list of what is missing."""
    contract = await log_contract(user, contract_id)
    if not may_edit(user, contract):
        raise Forbidden()
    existing = await Week.select(Week.state).where(Week.contract == contract_id, Week.monday == monday)
    if existing and existing[0]["state"] == "submitted":
        return
    view = await week_view(user, contract_id, monday)
    if view.problems:
        raise SubmitBlocked(view.problems)
    try:
        _, _, week_id = await _editable_week(user, contract_id, monday)
    except WeekLocked:
        # Another device submitted it a moment ago (two workers, PostgreSQL): that is the same wish.
        now = await Week.select(Week.state).where(Week.contract == contract_id, Week.monday == monday)
        if now and now[0]["state"] == "submitted":
            return
        raise
    # The calendar's proposals are stored with the submit: the sheet that is signed keeps them,
    # whatever the class's calendar or the company's plan says later.
    proposed = {d.date: (d.status, "") for d in view.days if d.status_is_default and d.status != "holiday"}
    if proposed:
        await _store_statuses(week_id, proposed)
    submitted = await Week.update({Week.state: "submitted", Week.submitted_at: utcnow(), Week.updated_at: utcnow()}).where(
        Week.id == week_id, Week.state.is_in(list(EDITABLE_STATES))
    ).returning(Week.id)
    if submitted:
        await audit.append(contract_id, user, "week.submitted", f"week:{monday.isoformat()}")


# --- attachments --------------------------------------------------------------------------------


async def add_attachment(
    user: CurrentUser, var_dir: str, contract_id: int, monday: dt.date, filename: str, data: bytes, entry_id: int | None
) -> int:
    """Check, clean and store an upload on an editable week (optionally on one of its entries)."""
    _, _, week_id = await _editable_week(user, contract_id, monday)
    if entry_id is not None and not await Entry.exists().where(Entry.id == entry_id, Entry.week == week_id):
        raise ValidationFailed({"entry_id": "invalid_choice"})
    stored = await asyncio.to_thread(files.prepare, data)  # image decoding is CPU work
    await asyncio.to_thread(files.save, var_dir, stored)
    rows = await Attachment.insert(
        Attachment(
            week=week_id,
            entry=entry_id,
            filename=files.safe_filename(filename, stored.content_type),
            content_type=stored.content_type,
            size=len(stored.data),
            sha256=stored.sha256,
            has_thumbnail=stored.thumbnail is not None,
            uploaded_by=user.id,
            created_at=utcnow(),
        )
    ).returning(Attachment.id)
    await _touch(week_id)
    return rows[0]["id"]


async def attachment_file(user: CurrentUser, contract_id: int, monday: dt.date, attachment_id: int) -> dict:
    """An attachment's stored facts, only for someone who may see this week (else NotFound)."""
    await log_contract(user, contract_id)
    rows = await Attachment.select(Attachment.filename, Attachment.content_type, Attachment.sha256, Attachment.has_thumbnail).where(
        Attachment.id == attachment_id, Attachment.week.contract == contract_id, Attachment.week.monday == monday
    )
    if not rows:
        raise NotFound()
    return rows[0]


async def delete_attachment(user: CurrentUser, contract_id: int, monday: dt.date, attachment_id: int) -> None:
    # The file itself stays: the same bytes may belong to another attachment (stored once by hash),
    # and deleted data is removed by the retention job (L17), not here.
    _, _, week_id = await _editable_week(user, contract_id, monday)
    await Attachment.delete().where(Attachment.id == attachment_id, Attachment.week == week_id)
    await _touch(week_id)


# --- export -----------------------------------------------------------------------------------


async def export_log(user: CurrentUser, contract_id: int) -> dict:
    """The whole log of a contract as plain data (L16): every week with number, state, day
    statuses and entries. Four queries, however long the log."""
    contract, weeks = await gap_calendar(user, contract_id)
    await audit.append(contract_id, user, "log.exported", "log", {"format": "json"})
    stored = {
        r["id"]: r
        for r in await Week.select(Week.id, Week.monday, Week.state, Week.submitted_at, Week.return_reason).where(
            Week.contract == contract_id
        )
    }
    days = await Day.select(Day.week, Day.date, Day.status, Day.note).where(Day.week.contract == contract_id).order_by(Day.date)
    entries = await Entry.select(Entry.week, *_ENTRY_COLUMNS).where(Entry.week.contract == contract_id).order_by(
        Entry.day
    ).order_by(Entry.position)
    by_monday = {row["monday"]: week_id for week_id, row in stored.items()}
    days_of: dict[int, list] = defaultdict(list)
    for row in days:
        days_of[row["week"]].append({"date": row["date"], "status": row["status"], "note": row["note"]})
    entries_of: dict[int, list] = defaultdict(list)
    for row in entries:
        entries_of[row["week"]].append(
            {"date": row["day"], "category": row["category"], "text": row["text"], "minutes": row["minutes"]}
        )
    return {
        "format": "leokop-ausbildungsnachweis/1",
        "exported_at": utcnow(),
        "contract": {
            "apprentice": contract["apprentice_name"],
            "company": contract["company_name"],
            "occupation": contract["occupation_name"],
            "start_date": contract["start_date"],
            "end_date": contract["end_date"],
            "log_mode": contract["log_mode"],
            "daily_minutes": contract["daily_minutes"],
        },
        "weeks": [
            {
                "number": week.number,
                "monday": week.monday,
                "iso_week": week.iso_week,
                "training_year": week.training_year,
                "state": week.state,
                "submitted_at": stored[by_monday[week.monday]]["submitted_at"] if week.monday in by_monday else None,
                "return_reason": stored[by_monday[week.monday]]["return_reason"] if week.monday in by_monday else "",
                "days": days_of.get(by_monday.get(week.monday), []),
                "entries": entries_of.get(by_monday.get(week.monday), []),
            }
            for week in weeks
        ],
    }


# --- reuse --------------------------------------------------------------------------------------


async def phrases_of(user: CurrentUser) -> list[dict]:
    return await Phrase.select(Phrase.id, Phrase.text).where(Phrase.user == user.id).order_by(Phrase.text)


async def add_phrase(user: CurrentUser, text: str) -> None:
    text = text.strip()
    if not text:
        raise ValidationFailed({"text": "required"})
    if not await Phrase.exists().where(Phrase.user == user.id, Phrase.text == text):
        await Phrase.insert(Phrase(user=user.id, text=text, created_at=utcnow()))


async def delete_phrase(user: CurrentUser, phrase_id: int) -> None:
    await Phrase.delete().where(Phrase.id == phrase_id, Phrase.user == user.id)


async def suggestions(user: CurrentUser, typed: str, limit: int = 6) -> list[str]:
    """The apprentice's own earlier entry texts containing what is typed, most used and most recent
    first (only their own: a suggestion never shows another person's text)."""
    typed = typed.strip()
    if len(typed) < 2:
        return []
    pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await Entry.select(
        Entry.text, Count(Entry.id).as_alias("uses"), Max(Entry.updated_at).as_alias("last_used")
    ).where(
        Entry.week.contract.apprentice == user.id,
        # lower() on both sides: case-insensitive on SQLite and PostgreSQL alike.
        WhereRaw("lower(\"entry\".\"text\") LIKE {} ESCAPE '\\'", pattern.lower()),
    ).group_by(Entry.text).order_by(
        Count(Entry.id), ascending=False
    ).limit(limit * 3)
    rows.sort(key=lambda r: (r["uses"], str(r["last_used"])), reverse=True)
    return [r["text"] for r in rows[:limit] if r["text"].strip() != typed]
