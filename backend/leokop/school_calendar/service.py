"""Rules of the school calendar: a class's school days, its periods (by form and by import), the
company's plan per apprentice, one calendar per apprentice and the personal iCal feed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Iterable

import icalendar
import msgspec

from leokop.accounts.schemas import CurrentUser, Role
from leokop.accounts.service import load_user, token_hash
from leokop.contracts.service import visible_contract, visible_contracts
from leokop.contracts.tables import Contract
from leokop.errors import NotFound, ValidationFailed
from leokop.logbook.tables import Day
from leokop.messages import message
from leokop.organisations.tables import ClassTeacher, SchoolClass
from leokop.policy import can
from leokop.school_calendar import expansion, imports
from leokop.school_calendar.schemas import (
    CalendarDay,
    ClassCalendarView,
    ContractCalendarView,
    Correction,
    ImportPreview,
    ImportProblem,
    ImportRow,
    PeriodForm,
    PeriodView,
    PlanItemForm,
    PlanItemView,
)
from leokop.school_calendar.tables import CalendarFeed, PlanItem, SchoolPeriod
from leokop.timeutil import today_berlin, utcnow

NEXT_DAYS = 10
NEXT_DAYS_HORIZON = dt.timedelta(days=120)
MAX_PLAN_DAYS = 366
# The feed reaches a little back (what was) and a school year ahead (what comes).
FEED_PAST = dt.timedelta(days=90)
FEED_AHEAD = dt.timedelta(days=400)
PLAN_SUMMARIES = {"vacation": "Urlaub", "inter_company": "Überbetriebliche Ausbildung"}

_PERIOD_COLUMNS = (
    SchoolPeriod.id,
    SchoolPeriod.school_class,
    SchoolPeriod.kind,
    SchoolPeriod.start_date,
    SchoolPeriod.end_date,
    SchoolPeriod.weekdays,
    SchoolPeriod.label,
)


def _period(row: dict) -> expansion.Period:
    return expansion.Period(
        kind=row["kind"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        weekdays=row["weekdays"],
        label=row["label"],
        id=row["id"],
    )


async def periods_between(
    class_ids: Iterable[int], start: dt.date, end: dt.date
) -> tuple[dict[int, list[expansion.Period]], dict[int, str]]:
    """The periods of these classes that touch start..end (class id → periods in id order) and each
    such class's Bundesland, in one query."""
    ids = list(set(class_ids))
    periods: dict[int, list[expansion.Period]] = defaultdict(list)
    states: dict[int, str] = {}
    if not ids:
        return periods, states
    rows = (
        await SchoolPeriod.select(*_PERIOD_COLUMNS, SchoolPeriod.school_class.school.state.as_alias("state"))
        .where(SchoolPeriod.school_class.is_in(ids), SchoolPeriod.start_date <= end, SchoolPeriod.end_date >= start)
        .order_by(SchoolPeriod.id)
    )
    for row in rows:
        periods[row["school_class"]].append(_period(row))
        states[row["school_class"]] = row["state"]
    return periods, states


async def classes_school_days(class_ids: Iterable[int], start: dt.date, end: dt.date) -> dict[int, set[dt.date]]:
    """The school days of several classes from start to end (inclusive), in one query: class id →
    dates (an empty set for a class without periods there). Public holidays and the school's state's
    school holidays are never school days."""
    ids = list(class_ids)
    periods, states = await periods_between(ids, start, end)
    return {
        class_id: expansion.school_days(periods[class_id], states[class_id], start, end) if class_id in states else set()
        for class_id in ids
    }


async def class_school_days(school_class_id: int, start: dt.date, end: dt.date) -> set[dt.date]:
    """The school days of one class from start to end (inclusive), in one query."""
    return (await classes_school_days([school_class_id], start, end))[school_class_id]


# --- the class's periods -------------------------------------------------------------------------


async def _school_class(user: CurrentUser, class_id: int, manage: bool = False) -> dict:
    """The class (id, name, its school's state) if the user's school has it; for `manage`, only for
    the school admin or a teacher of this class. Anything else is NotFound."""
    if user.school_id is None:
        raise NotFound()
    query = SchoolClass.select(SchoolClass.id, SchoolClass.name, SchoolClass.school.state.as_alias("state")).where(
        SchoolClass.id == class_id, SchoolClass.school == user.school_id
    )
    if manage and user.role is not Role.school_admin:
        query = query.where(SchoolClass.id.is_in(_taught_by(user)))
    rows = await query
    if not rows:
        raise NotFound()
    return rows[0]


def _taught_by(user: CurrentUser):
    return ClassTeacher.select(ClassTeacher.school_class).where(ClassTeacher.teacher == user.id)


def _period_view(row: dict) -> PeriodView:
    return PeriodView(**{column: row[column] for column in PeriodView.__struct_fields__})


def _as_period(view: PeriodView) -> expansion.Period:
    return expansion.Period(view.kind, view.start_date, view.end_date, view.weekdays, view.label, view.id)


def _checked_period(form: PeriodForm) -> str:
    """The weekdays to store; raises ValidationFailed with a code per field."""
    errors = {}
    if form.end_date < form.start_date:
        errors["end_date"] = "end_before_start"
    elif (form.end_date - form.start_date).days >= imports.MAX_PERIOD_DAYS:
        errors["end_date"] = "period_too_long"
    if form.kind == "weekly" and not form.weekdays:
        errors["weekdays"] = "weekdays_required"
    if errors:
        raise ValidationFailed(errors)
    return expansion.BLOCK_WEEKDAYS if form.kind == "block" else "".join(str(d) for d in sorted(set(form.weekdays)))


async def class_periods(user: CurrentUser, class_id: int) -> list[PeriodView]:
    await _school_class(user, class_id)
    return await _class_periods(class_id)


async def _class_periods(class_id: int) -> list[PeriodView]:
    rows = await SchoolPeriod.select(*_PERIOD_COLUMNS, SchoolPeriod.source).where(SchoolPeriod.school_class == class_id).order_by(
        SchoolPeriod.start_date
    ).order_by(SchoolPeriod.id)
    return [_period_view(r) for r in rows]


async def add_period(user: CurrentUser, class_id: int, form: PeriodForm) -> PeriodView:
    await _school_class(user, class_id, manage=True)
    weekdays = _checked_period(form)
    rows = await SchoolPeriod.insert(
        SchoolPeriod(
            school_class=class_id,
            kind=form.kind,
            start_date=form.start_date,
            end_date=form.end_date,
            weekdays=weekdays,
            label=form.label.strip(),
            source="form",
            created_by=user.id,
            created_at=utcnow(),
        )
    ).returning(*_PERIOD_COLUMNS, SchoolPeriod.source)
    return _period_view(rows[0])


async def update_period(user: CurrentUser, class_id: int, period_id: int, form: PeriodForm) -> PeriodView:
    await _school_class(user, class_id, manage=True)
    weekdays = _checked_period(form)
    rows = await SchoolPeriod.update(
        {
            SchoolPeriod.kind: form.kind,
            SchoolPeriod.start_date: form.start_date,
            SchoolPeriod.end_date: form.end_date,
            SchoolPeriod.weekdays: weekdays,
            SchoolPeriod.label: form.label.strip(),
        }
    ).where(SchoolPeriod.id == period_id, SchoolPeriod.school_class == class_id).returning(*_PERIOD_COLUMNS, SchoolPeriod.source)
    if not rows:
        raise NotFound()
    return _period_view(rows[0])


async def period_of(user: CurrentUser, class_id: int, period_id: int) -> PeriodView:
    await _school_class(user, class_id, manage=True)
    rows = await SchoolPeriod.select(*_PERIOD_COLUMNS, SchoolPeriod.source).where(
        SchoolPeriod.id == period_id, SchoolPeriod.school_class == class_id
    )
    if not rows:
        raise NotFound()
    return _period_view(rows[0])


async def delete_period(user: CurrentUser, class_id: int, period_id: int) -> None:
    await _school_class(user, class_id, manage=True)
    await SchoolPeriod.delete().where(SchoolPeriod.id == period_id, SchoolPeriod.school_class == class_id)


# --- import --------------------------------------------------------------------------------------
# The preview carries the file itself (base64) to the confirm step together with an HMAC over the
# person, the class and the content under the server's secret key. "Übernehmen" checks the HMAC and
# parses the same bytes again: nothing is kept on the server between the two steps, nobody needs
# to upload twice, and a confirm can only store what was previewed for this class by this person.


def sign_import(secret: str, user_id: int, class_id: int, content: str) -> str:
    message_ = f"school-calendar-import:{user_id}:{class_id}:{content}".encode()
    return hmac.new(secret.encode(), message_, hashlib.sha256).hexdigest()


def _key(kind: str, start: dt.date, end: dt.date, weekdays: str) -> tuple:
    return (kind, start, end, weekdays)


async def _parsed_rows(class_row: dict, data: bytes) -> tuple[imports.Parsed, list[ImportRow]]:
    parsed = imports.parse(data, class_row["state"])
    existing = {
        _key(r["kind"], r["start_date"], r["end_date"], r["weekdays"])
        for r in await SchoolPeriod.select(SchoolPeriod.kind, SchoolPeriod.start_date, SchoolPeriod.end_date, SchoolPeriod.weekdays).where(
            SchoolPeriod.school_class == class_row["id"]
        )
    }
    rows = []
    for period in parsed.periods:
        key = _key(period.kind, period.start_date, period.end_date, period.weekdays)
        rows.append(ImportRow(**msgspec.structs.asdict(period), duplicate=key in existing))
        existing.add(key)  # the same period twice in one file is stored once
    return parsed, rows


def _problems(parsed: imports.Parsed) -> list[ImportProblem]:
    return [ImportProblem(p.line, message(p.code, **p.params)) for p in parsed.problems]


async def preview_import(user: CurrentUser, secret: str, class_id: int, filename: str, data: bytes) -> ImportPreview:
    """What importing this file would create (nothing is stored yet)."""
    class_row = await _school_class(user, class_id, manage=True)
    if not data:
        raise ValidationFailed({"file": "file_empty"})
    parsed, rows = await _parsed_rows(class_row, data)
    content = base64.b64encode(data).decode() if len(data) <= imports.MAX_FILE_BYTES else ""
    return ImportPreview(
        filename=filename,
        source=parsed.source,
        rows=rows,
        problems=_problems(parsed),
        new=0 if parsed.problems else sum(not r.duplicate for r in rows),
        content=content,
        signature=sign_import(secret, user.id, class_id, content),
    )


async def confirm_import(user: CurrentUser, secret: str, class_id: int, content: str, signature: str) -> int:
    """Store every new period of the previewed file in the caller's one transaction; returns how many.
    A file with any problem stores nothing; periods the class already has are left out."""
    class_row = await _school_class(user, class_id, manage=True)
    if not hmac.compare_digest(sign_import(secret, user.id, class_id, content), signature):
        raise ValidationFailed({"file": "import_signature_invalid"})
    if SchoolClass._meta.db.engine_type == "postgres":
        # Two clicks on "Übernehmen" at once: the second waits here and then finds the periods stored.
        await SchoolClass.select(SchoolClass.id).where(SchoolClass.id == class_id).lock_rows("UPDATE")
    parsed, rows = await _parsed_rows(class_row, base64.b64decode(content))
    if parsed.problems:
        raise ValidationFailed({"file": "import_has_errors"})
    new = [r for r in rows if not r.duplicate]
    if not new:
        raise ValidationFailed({"file": "import_nothing_new"})
    now = utcnow()
    await SchoolPeriod.insert(
        *(
            SchoolPeriod(
                school_class=class_id,
                kind=r.kind,
                start_date=r.start_date,
                end_date=r.end_date,
                weekdays=r.weekdays,
                label=r.label,
                source=parsed.source,
                created_by=user.id,
                created_at=now,
            )
            for r in new
        )
    )
    return len(new)


# --- month views ---------------------------------------------------------------------------------


def month_start(text: str | None, today: dt.date) -> dt.date:
    """The first day of the month named "2026-11" (this month if absent, not a month, or outside
    the years a calendar can know)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if imports.FIRST_YEAR <= year <= imports.LAST_YEAR:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    return today.replace(day=1)


def month_grid(first: dt.date) -> tuple[dt.date, dt.date]:
    """Monday before (or on) the month's first day to the Sunday after (or on) its last day."""
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return first - dt.timedelta(days=first.weekday()), last + dt.timedelta(days=6 - last.weekday())


def expected_status(day: dt.date, holiday: str | None, plan: str | None, school: bool) -> str | None:
    """The status the calendar gives a day before the apprentice records one: a public holiday on a
    working day, else the company's plan (vacation or a course planned for this apprentice is more
    specific than the class's pattern), else a school day, else nothing (a company day is only
    assumed by the calendar view, never stored for the apprentice)."""
    if day.weekday() < 5 and holiday:
        return "holiday"
    if day.weekday() < 5 and plan:
        return plan
    return "school" if school else None


def _block_label(period: expansion.Period | None) -> str:
    """A block's name ("Block 2", "Projekttag") is worth showing on its days; a weekly pattern's
    name would only repeat on every school day of the year."""
    return period.label if period is not None and period.kind == "block" else ""


def _calendar_day(
    day: dt.date,
    month: dt.date,
    holidays: dict[dt.date, str],
    ferien: dict[dt.date, str],
    school: dict[dt.date, expansion.Period],
    item: dict | None,
    expected: str | None,
    logged: str | None = None,
) -> CalendarDay:
    return CalendarDay(
        date=day,
        in_month=day.month == month.month,
        holiday=holidays.get(day),
        school_holiday=ferien.get(day),
        school=day in school,
        school_label=_block_label(school.get(day)),
        plan=item["kind"] if item else None,
        plan_label=item["label"] if item else "",
        expected=expected,
        logged=logged,
    )


def _plan_by_day(items: list[dict], start: dt.date, end: dt.date) -> dict[dt.date, dict]:
    found: dict[dt.date, dict] = {}
    for item in items:
        for day in expansion.dates(max(start, item["start_date"]), min(end, item["end_date"])):
            found.setdefault(day, item)
    return found


async def class_calendar(user: CurrentUser, class_id: int, month: dt.date) -> ClassCalendarView:
    """The class's month, its periods and next school days, and (for teachers who may read the logs)
    where apprentices corrected a calendar school day. Three or four queries."""
    class_row = await _school_class(user, class_id)
    may_manage = user.role is Role.school_admin or await ClassTeacher.exists().where(
        ClassTeacher.school_class == class_id, ClassTeacher.teacher == user.id
    )
    periods = await _class_periods(class_id)
    state = class_row["state"]
    start, end = month_grid(month)
    today = today_berlin()
    school = expansion.expand([_as_period(p) for p in periods], state, min(start, today), max(end, today + NEXT_DAYS_HORIZON))
    holidays = expansion.public_holidays_between(state, start, end)
    ferien = expansion.school_holidays_between(state, start, end)
    days = [
        _calendar_day(day, month, holidays, ferien, school, None, expected_status(day, holidays.get(day), None, day in school))
        for day in expansion.dates(start, end)
    ]
    corrections = []
    condition = visible_contracts(user) if user.role is Role.teacher else None
    if condition is not None:
        rows = await Day.select(
            Day.date,
            Day.status,
            Day.week.contract.as_alias("contract_id"),
            Day.week.contract.apprentice.display_name.as_alias("apprentice_name"),
        ).where(
            Day.week.contract.is_in(Contract.select(Contract.id).where(condition, Contract.school_class == class_id)),
            Day.date >= start,
            Day.date <= end,
            Day.status != "school",
        ).order_by(Day.date)
        corrections = [Correction(**r) for r in rows if r["date"] in school and not holidays.get(r["date"])]
    return ClassCalendarView(
        class_id=class_id,
        class_name=class_row["name"],
        state=state,
        month=month,
        days=days,
        periods=periods,
        next_school_days=sorted(day for day in school if day >= today)[:NEXT_DAYS],
        corrections=corrections,
        may_manage=may_manage,
    )


# --- one apprentice's calendar and the company's plan --------------------------------------------


async def _contract(user: CurrentUser, contract_id: int) -> dict:
    """The contract's calendar facts, if the user may see this contract's log (else NotFound)."""
    c = Contract
    return await visible_contract(
        user,
        contract_id,
        c.id,
        c.apprentice.display_name.as_alias("apprentice_name"),
        c.company.state.as_alias("state"),
        c.school_class.as_alias("class_id"),
        c.school_class.name.as_alias("class_name"),
        c.school_class.school.state.as_alias("school_state"),
        c.start_date,
        c.end_date,
    )


_PLAN_COLUMNS = (PlanItem.id, PlanItem.kind, PlanItem.start_date, PlanItem.end_date, PlanItem.label)


def _plan_view(row: dict) -> PlanItemView:
    return PlanItemView(**{column: row[column] for column in PlanItemView.__struct_fields__})


async def plan_items(user: CurrentUser, contract_id: int) -> list[PlanItemView]:
    await _contract(user, contract_id)
    return await _plan_items(contract_id)


async def _plan_items(contract_id: int) -> list[PlanItemView]:
    rows = await PlanItem.select(*_PLAN_COLUMNS).where(PlanItem.contract == contract_id).order_by(PlanItem.start_date).order_by(PlanItem.id)
    return [_plan_view(r) for r in rows]


async def _checked_plan(contract: dict, form: PlanItemForm, except_id: int | None = None) -> None:
    errors = {}
    if form.end_date < form.start_date:
        errors["end_date"] = "end_before_start"
    elif form.start_date < contract["start_date"] or form.end_date > contract["end_date"]:
        errors["start_date" if form.start_date < contract["start_date"] else "end_date"] = "outside_contract_plan"
    elif (form.end_date - form.start_date).days > MAX_PLAN_DAYS:
        errors["end_date"] = "plan_too_long"
    if errors:
        raise ValidationFailed(errors)
    overlapping = PlanItem.exists().where(
        PlanItem.contract == contract["id"], PlanItem.start_date <= form.end_date, PlanItem.end_date >= form.start_date
    )
    if except_id is not None:
        overlapping = overlapping.where(PlanItem.id != except_id)
    if await overlapping:
        raise ValidationFailed({"start_date": "plan_overlap"})


async def add_plan_item(user: CurrentUser, contract_id: int, form: PlanItemForm) -> PlanItemView:
    contract = await _contract(user, contract_id)
    await _checked_plan(contract, form)
    rows = await PlanItem.insert(
        PlanItem(
            contract=contract_id,
            kind=form.kind,
            start_date=form.start_date,
            end_date=form.end_date,
            label=form.label.strip(),
            created_by=user.id,
            created_at=utcnow(),
        )
    ).returning(*_PLAN_COLUMNS)
    return _plan_view(rows[0])


async def plan_item_of(user: CurrentUser, contract_id: int, item_id: int) -> PlanItemView:
    await _contract(user, contract_id)
    rows = await PlanItem.select(*_PLAN_COLUMNS).where(PlanItem.id == item_id, PlanItem.contract == contract_id)
    if not rows:
        raise NotFound()
    return _plan_view(rows[0])


async def update_plan_item(user: CurrentUser, contract_id: int, item_id: int, form: PlanItemForm) -> PlanItemView:
    contract = await _contract(user, contract_id)
    if not await PlanItem.exists().where(PlanItem.id == item_id, PlanItem.contract == contract_id):
        raise NotFound()
    await _checked_plan(contract, form, except_id=item_id)
    rows = await PlanItem.update(
        {PlanItem.kind: form.kind, PlanItem.start_date: form.start_date, PlanItem.end_date: form.end_date, PlanItem.label: form.label.strip()}
    ).where(PlanItem.id == item_id, PlanItem.contract == contract_id).returning(*_PLAN_COLUMNS)
    return _plan_view(rows[0])


async def delete_plan_item(user: CurrentUser, contract_id: int, item_id: int) -> None:
    await _contract(user, contract_id)
    await PlanItem.delete().where(PlanItem.id == item_id, PlanItem.contract == contract_id)


async def contract_calendar(user: CurrentUser, contract_id: int, month: dt.date) -> ContractCalendarView:
    """One apprentice's month as both places of learning see it: school days of the class, the
    company's plan, holidays and school holidays, and where the log says something else. Four
    queries, whatever the month holds."""
    contract = await _contract(user, contract_id)
    start, end = month_grid(month)
    periods, _ = await periods_between([contract["class_id"]] if contract["class_id"] else [], start, end)
    school_state = contract["school_state"] or contract["state"]
    school = expansion.expand(periods.get(contract["class_id"], []), school_state, start, end)
    items = await _plan_items(contract_id)
    plan = _plan_by_day([msgspec.structs.asdict(i) for i in items], start, end)
    logged = {
        r["date"]: r["status"]
        for r in await Day.select(Day.date, Day.status).where(Day.week.contract == contract_id, Day.date >= start, Day.date <= end)
    }
    holidays = expansion.public_holidays_between(contract["state"], start, end)
    ferien = expansion.school_holidays_between(school_state, start, end)
    days = []
    for day in expansion.dates(start, end):
        in_contract = contract["start_date"] <= day <= contract["end_date"]
        item = plan.get(day)
        expected = expected_status(day, holidays.get(day), item["kind"] if item else None, day in school) if in_contract else None
        if in_contract and expected is None and day.weekday() < 5:
            expected = "company"
        stored = logged.get(day)
        days.append(
            _calendar_day(day, month, holidays, ferien, school, item, expected, stored if stored not in (None, expected) else None)
        )
    return ContractCalendarView(
        contract_id=contract_id,
        apprentice_name=contract["apprentice_name"],
        class_name=contract["class_name"],
        month=month,
        days=days,
        plan_items=items,
        may_plan=can(user, "plan.manage"),
    )


async def day_defaults(contract_id: int, class_id: int | None, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """The statuses the calendar proposes for a contract's days from start to end (the log's week
    page): "school" on the class's school days, "vacation" or "inter_company" where the company
    planned it (Monday to Friday). Public holidays are the log's own default. Two queries."""
    periods, states = await periods_between([class_id] if class_id else [], start, end)
    school = expansion.school_days(periods[class_id], states[class_id], start, end) if class_id in states else set()
    items = await PlanItem.select(PlanItem.kind, PlanItem.start_date, PlanItem.end_date).where(
        PlanItem.contract == contract_id, PlanItem.start_date <= end, PlanItem.end_date >= start
    )
    plan = _plan_by_day(items, start, end)
    defaults: dict[dt.date, str] = {}
    for day in expansion.dates(start, end):
        status = expected_status(day, None, plan[day]["kind"] if day in plan else None, day in school)
        if status:
            defaults[day] = status
    return defaults


# --- the personal iCal feed ----------------------------------------------------------------------


async def feed_created_at(user: CurrentUser) -> dt.datetime | None:
    rows = await CalendarFeed.select(CalendarFeed.created_at).where(CalendarFeed.user == user.id)
    return rows[0]["created_at"] if rows else None


async def create_feed(user: CurrentUser) -> str:
    """A new secret address (the token, shown once); any older address of the user stops working."""
    token = secrets.token_urlsafe(32)
    await CalendarFeed.delete().where(CalendarFeed.user == user.id)
    await CalendarFeed.insert(CalendarFeed(user=user.id, token_hash=token_hash(token), created_at=utcnow()))
    return token


async def revoke_feed(user: CurrentUser) -> None:
    await CalendarFeed.delete().where(CalendarFeed.user == user.id)


class _Event(msgspec.Struct, frozen=True):
    uid: str
    summary: str
    start: dt.date
    end: dt.date  # inclusive


def _school_events(prefix: str, who: str, class_id: int, class_name: str, days: dict[dt.date, expansion.Period]) -> list[_Event]:
    """School days as all-day events, consecutive days of the same period as one event (a block)."""
    events: list[_Event] = []
    run: list[dt.date] = []
    for day in sorted(days) + [None]:
        if run and (day is None or day - run[-1] != dt.timedelta(days=1) or days[day] is not days[run[-1]]):
            label = days[run[0]].label
            summary = f"{who}Berufsschule {class_name}" + (f" – {label}" if label else "")
            events.append(_Event(f"{prefix}school-{class_id}-{run[0].isoformat()}", summary, run[0], run[-1]))
            run = []
        if day is not None:
            run.append(day)
    return events


async def feed_calendar(token: str) -> bytes:
    """The iCal text of what the token's owner sees, from FEED_PAST before today to FEED_AHEAD after:
    school days of their classes (apprentices, teachers, school admins: all of the school), the
    company's plan items, and for apprentices public holidays and school holidays. Only dates and
    names: nothing from the log. NotFound for an unknown or revoked token."""
    rows = await CalendarFeed.select(CalendarFeed.user).where(
        CalendarFeed.token_hash == token_hash(token), CalendarFeed.user.is_active.eq(True)
    )
    if not rows:
        raise NotFound()
    user = await load_user(rows[0]["user"])
    today = today_berlin()
    start, end = today - FEED_PAST, today + FEED_AHEAD
    events: list[_Event] = []
    class_names: dict[int, str] = {}
    contracts: list[dict] = []
    if user.role in (Role.teacher, Role.school_admin):
        query = SchoolClass.select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school == user.school_id)
        if user.role is Role.teacher:
            query = query.where(SchoolClass.id.is_in(_taught_by(user)))
        class_names = {r["id"]: r["name"] for r in await query}
    elif (condition := visible_contracts(user)) is not None:
        contracts = await Contract.select(
            Contract.id,
            Contract.apprentice.display_name.as_alias("name"),
            Contract.company.state.as_alias("state"),
            Contract.school_class.as_alias("class_id"),
            Contract.school_class.name.as_alias("class_name"),
        ).where(condition, Contract.start_date <= end, Contract.end_date >= start)
        class_names = {c["class_id"]: c["class_name"] for c in contracts if c["class_id"]}
    periods, states = await periods_between(class_names, start, end)
    school_days = {cid: expansion.expand(periods[cid], states[cid], start, end) for cid in states}
    # The apprentice's own calendar needs no names; everyone else's lists several people.
    own = user.role is Role.apprentice
    if contracts:
        items = await PlanItem.select(PlanItem.id, PlanItem.contract, PlanItem.kind, PlanItem.start_date, PlanItem.end_date, PlanItem.label).where(
            PlanItem.contract.is_in([c["id"] for c in contracts]), PlanItem.start_date <= end, PlanItem.end_date >= start
        )
        names = {c["id"]: c["name"] for c in contracts}
        for item in items:
            who = "" if own else f"{names[item['contract']]}: "
            summary = who + PLAN_SUMMARIES[item["kind"]] + (f" – {item['label']}" if item["label"] else "")
            events.append(_Event(f"plan-{item['id']}", summary, item["start_date"], item["end_date"]))
        for c in contracts:
            if c["class_id"] in school_days:
                who = "" if own else f"{c['name']}: "
                events += _school_events(f"c{c['id']}-", who, c["class_id"], c["class_name"], school_days[c["class_id"]])
        if own:
            state = contracts[0]["state"]
            for day, name in expansion.public_holidays_between(state, start, end).items():
                events.append(_Event(f"holiday-{state}-{day.isoformat()}", f"Feiertag: {name}", day, day))
            school_state = next((states[c["class_id"]] for c in contracts if c["class_id"] in states), state)
            events += _holiday_runs(school_state, start, end)
    else:
        for class_id, days in school_days.items():
            events += _school_events("", "", class_id, class_names[class_id], days)
    return _ical(events)


def _holiday_runs(state: str, start: dt.date, end: dt.date) -> list[_Event]:
    """School holidays as one event per run of days with the same name (Herbstferien 5–17 Oct)."""
    ferien = expansion.school_holidays_between(state, start, end)
    events: list[_Event] = []
    for day in sorted(ferien):
        previous = events[-1] if events else None
        if previous and previous.summary == ferien[day] and day - previous.end == dt.timedelta(days=1):
            events[-1] = _Event(previous.uid, previous.summary, previous.start, day)
        else:
            events.append(_Event(f"ferien-{state}-{day.isoformat()}", ferien[day], day, day))
    return events


def _ical(events: list[_Event]) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//leokop//Kalender//DE")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "leokop")
    stamp = utcnow()
    for event in sorted(events, key=lambda e: (e.start, e.uid)):
        item = icalendar.Event()
        item.add("uid", f"{event.uid}@leokop")
        item.add("dtstamp", stamp)
        item.add("summary", event.summary)
        item.add("dtstart", event.start)
        item.add("dtend", event.end + dt.timedelta(days=1))  # all-day: DTEND is the day after
        item.add("transp", "TRANSPARENT")
        calendar.add_component(item)
    return calendar.to_ical()
