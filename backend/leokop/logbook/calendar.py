"""Calendar rules of the log: which weekly sheets a contract has, their numbers and training years,
working days and public holidays, and the totals and completeness checks of one week.

Pure: no database, no I/O, no web framework, so every rule can be tested with plain dates. All dates
are Berlin calendar dates (plain `datetime.date`); a contract's end date is its last day (inclusive).
Codes only: the German labels of statuses, categories and problems live in templates and messages.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Literal, Protocol, get_args

import holidays
import msgspec

DayStatus = Literal["company", "school", "inter_company", "vacation", "sick", "holiday", "time_off", "other_absence"]
EntryCategory = Literal["company", "instruction", "school", "inter_company"]
LogMode = Literal["daily", "weekly"]

# Betrieb, Berufsschule, Überbetriebliche Ausbildung, Urlaub, krank, Feiertag, Freizeitausgleich,
# sonstige Abwesenheit (the last one needs a text, checked where the text is stored).
DAY_STATUSES: tuple[str, ...] = get_args(DayStatus)
# Days on which no work entries are expected.
ABSENCE_STATUSES: tuple[str, ...] = ("vacation", "sick", "holiday", "time_off", "other_absence")
# Days on which the apprentice learns somewhere, so entries and the contract's daily hours are expected.
PRESENCE_STATUSES: tuple[str, ...] = ("company", "school", "inter_company")
# betriebliche Tätigkeit, Unterweisung / betrieblicher Unterricht, Berufsschule, überbetriebliche Ausbildung.
ENTRY_CATEGORIES: tuple[str, ...] = get_args(EntryCategory)
LOG_MODES: tuple[str, ...] = get_args(LogMode)

# An entry is an approximate duration of one activity; 12 hours is far beyond any legal working day
# (§ 3 ArbZG: 10 h) and catches typing "80" for "8:00". A day cannot hold more than 24 hours.
MAX_ENTRY_MINUTES = 12 * 60
MAX_DAY_MINUTES = 24 * 60

_WEEK = dt.timedelta(days=7)


# --- public holidays -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def public_holidays(state: str, year: int) -> Mapping[dt.date, str]:
    """The public holidays of one Bundesland (ISO code such as "HE") in one year: date → German name.

    Cached per (state, year): 16 states × a few years is all a server ever needs, so a week page
    costs a dictionary lookup. Raises ValueError for an unknown state code."""
    try:
        calendar = holidays.country_holidays("DE", subdiv=state, years=year, language="de")
    except NotImplementedError as error:
        raise ValueError(f"unknown state {state!r}") from error
    # A read-only plain copy: the library's object quietly adds whole years on lookup of other
    # dates, which would make a shared cached value grow and change under concurrent requests.
    return MappingProxyType(dict(calendar.items()))


def holiday_name(state: str, day: dt.date) -> str | None:
    return public_holidays(state, day.year).get(day)


# --- weeks, sheet numbers, training years ---------------------------------------------------------


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def sheet_number(contract_start: dt.date, monday: dt.date) -> int:
    """The consecutive number of a weekly sheet: the calendar week containing the contract start is
    number 1, every later calendar week one more (L3), whenever the sheet was created. Counting
    Mondays instead of ISO week numbers makes year changes and ISO week 53 need no special case.
    Any day of the week gives that week's number; a week before the start has none (ValueError)."""
    weeks = (monday_of(monday) - monday_of(contract_start)).days // 7
    if weeks < 0:
        raise ValueError("week before the contract start")
    return weeks + 1


def _anniversary(contract_start: dt.date, years: int) -> dt.date:
    """The first day of training year `years + 1`."""
    try:
        return contract_start.replace(year=contract_start.year + years)
    except ValueError:
        # Start on 29 February and a common year: the year of training ends on 28 February
        # (§ 188 Abs. 3 BGB), so the next one begins on 1 March.
        return dt.date(contract_start.year + years, 3, 1)


def training_year(contract_start: dt.date, day: dt.date) -> int:
    """1 for the first twelve months from the start, 2 for the next twelve, and so on."""
    if day < contract_start:
        raise ValueError("day before the contract start")
    years = day.year - contract_start.year
    if _anniversary(contract_start, years) > day:
        years -= 1
    return years + 1


def _check_contract(contract_start: dt.date, contract_end: dt.date) -> None:
    if contract_end < contract_start:
        raise ValueError("contract ends before it starts")


def contract_weeks(contract_start: dt.date, contract_end: dt.date) -> list[dt.date]:
    """The Mondays of every calendar week that holds at least one contract day, in order."""
    _check_contract(contract_start, contract_end)
    monday, last = monday_of(contract_start), monday_of(contract_end)
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += _WEEK
    return mondays


class DayInfo(msgspec.Struct, frozen=True):
    """One date of a weekly sheet as the calendar sees it, before anyone records anything."""

    date: dt.date
    in_contract: bool
    is_working_day: bool  # Monday–Friday, inside the contract, not a public holiday
    holiday_name: str | None  # also outside the contract and on weekends: it is a fact of the calendar


class WeekInfo(msgspec.Struct, frozen=True):
    """The calendar frame of one weekly sheet (L3): period, ISO week, number, training year, days."""

    monday: dt.date
    sunday: dt.date
    iso_year: int
    iso_week: int
    number: int
    training_year: int  # of the first contract day in the week
    days: list[DayInfo]  # all seven, Monday first
    first_contract_day: dt.date
    last_contract_day: dt.date

    def day(self, date: dt.date) -> DayInfo | None:
        """The DayInfo of a date, None if the date lies outside this week."""
        offset = (date - self.monday).days
        return self.days[offset] if 0 <= offset < 7 else None


def week_info(contract_start: dt.date, contract_end: dt.date, monday: dt.date, state: str) -> WeekInfo:
    """The sheet of the week starting `monday` (must be a Monday) for a contract in Bundesland `state`.
    ValueError if the week holds no contract day: there is no such sheet."""
    _check_contract(contract_start, contract_end)
    if monday.weekday() != 0:
        raise ValueError("not a Monday")
    sunday = monday + dt.timedelta(days=6)
    first, last = max(monday, contract_start), min(sunday, contract_end)
    if first > last:
        raise ValueError("no contract day in this week")
    days = []
    for offset in range(7):
        date = monday + dt.timedelta(days=offset)
        in_contract = first <= date <= last
        name = holiday_name(state, date)
        days.append(DayInfo(date, in_contract, in_contract and date.weekday() < 5 and name is None, name))
    iso = monday.isocalendar()
    return WeekInfo(
        monday=monday,
        sunday=sunday,
        iso_year=iso.year,
        iso_week=iso.week,
        number=sheet_number(contract_start, monday),
        training_year=training_year(contract_start, first),
        days=days,
        first_contract_day=first,
        last_contract_day=last,
    )


def default_status(day: DayInfo) -> str | None:
    """The status a day has before the apprentice sets one: "holiday" on a public holiday from Monday
    to Friday inside the contract (L6), otherwise none. Weekends and days outside the contract have no
    status, also when a holiday falls on them (3 October 2026 is a Saturday: nothing to record)."""
    if day.in_contract and day.holiday_name is not None and day.date.weekday() < 5:
        return "holiday"
    return None


# --- durations, totals and day checks --------------------------------------------------------------


class TimedEntry(Protocol):
    """What the totals and checks read from an entry; EntryTime and the logbook's entry views fit."""

    @property
    def day(self) -> dt.date | None: ...

    @property
    def category(self) -> str: ...

    @property
    def minutes(self) -> int: ...


class EntryTime(msgspec.Struct, frozen=True):
    """The part of an entry the rules need. `day` is None in the weekly mode; the field names match
    the Entry table and its views, so those can be passed as they are."""

    day: dt.date | None
    category: str
    minutes: int


class DayFlags(msgspec.Struct, frozen=True):
    deviates: bool  # gentle warning: the day's total differs from the contract's daily hours (L5)
    over_limit: bool  # error: more than 24 hours on one day


def check_entry_minutes(minutes: int) -> str | None:
    """The problem code of one entry's duration, or None if it is fine."""
    if minutes <= 0:
        return "duration_positive"
    if minutes > MAX_ENTRY_MINUTES:
        return "duration_too_long"
    return None


def check_day_minutes(total: int) -> str | None:
    """The problem code of a day's total (e.g. after adding an entry), or None if it is fine."""
    return "day_too_long" if total > MAX_DAY_MINUTES else None


def day_totals(entries: Iterable[TimedEntry]) -> dict[dt.date, int]:
    """Minutes per date of the dated entries; weekly-mode entries (no date) count only for the week."""
    totals: dict[dt.date, int] = {}
    for entry in entries:
        if entry.day is not None:
            totals[entry.day] = totals.get(entry.day, 0) + entry.minutes
    return totals


def week_total(entries: Iterable[TimedEntry]) -> int:
    return sum(entry.minutes for entry in entries)


def day_warnings(
    daily_minutes: int,
    week: WeekInfo,
    statuses: Mapping[dt.date, str | None],
    entries: Iterable[TimedEntry],
) -> dict[dt.date, DayFlags]:
    """Flags for each of the week's seven days. A deviation from the contract's daily minutes is only
    worth a hint where a full day is expected: a working day with a presence status and at least one
    entry (a half-filled vacation day or an empty day already shows up elsewhere). Over 24 hours is
    impossible on any day."""
    totals = day_totals(entries)
    flags = {}
    for day in week.days:
        total = totals.get(day.date)
        deviates = (
            total is not None
            and day.is_working_day
            and statuses.get(day.date) in PRESENCE_STATUSES
            and total != daily_minutes
        )
        flags[day.date] = DayFlags(deviates=deviates, over_limit=(total or 0) > MAX_DAY_MINUTES)
    return flags


# --- checks at submit and on saving an entry -------------------------------------------------------


def _check_mode(log_mode: str) -> None:
    if log_mode not in LOG_MODES:
        raise ValueError(f"unknown log mode {log_mode!r}")


def submit_problems(
    week: WeekInfo,
    statuses: Mapping[dt.date, str | None],
    entries: Iterable[TimedEntry],
    log_mode: LogMode,
    today: dt.date,
) -> list[tuple[str, dt.date | None]]:
    """What keeps a week from being submitted, as (code, date) pairs; empty = complete.

    Order: "future_week" first, then per day in date order "missing_status" and
    "school_topics_missing", then the week-wide problems. Statuses of dates outside the week's
    contract days are ignored. The text of "other_absence" is checked where it is stored."""
    _check_mode(log_mode)
    entries = list(entries)
    daily = log_mode == "daily"
    problems: list[tuple[str, dt.date | None]] = []
    # The current week may be submitted (on Friday afternoon); later ones not yet.
    if week.monday > monday_of(today):
        problems.append(("future_week", None))
    dated = day_totals(entries)
    school_days = {entry.day for entry in entries if entry.category == "school" and entry.day is not None}
    contract_days = [day for day in week.days if day.in_contract]
    for day in contract_days:
        status = statuses.get(day.date)
        # In the daily mode entries on a day show it was a day of work; in the weekly mode they have no date.
        if day.is_working_day and status is None and not (daily and day.date in dated):
            problems.append(("missing_status", day.date))
        if daily and status == "school" and day.date not in school_days:
            problems.append(("school_topics_missing", day.date))
    day_statuses = [statuses.get(day.date) for day in contract_days]
    if not daily and "school" in day_statuses and not any(entry.category == "school" for entry in entries):
        problems.append(("school_topics_missing", None))
    working_presence = any(
        day.is_working_day and statuses.get(day.date) in PRESENCE_STATUSES for day in contract_days
    )
    if not entries and working_presence:
        problems.append(("no_entries", None))
    return problems


def entry_date_problem(week: WeekInfo, day: dt.date | None, log_mode: LogMode) -> str | None:
    """The problem code of an entry's date, or None. Daily mode: a date is required and must be a
    contract day of this week (a weekend inside the contract is allowed: some trades work Saturdays).
    Weekly mode: entries carry no date, so there is nothing to check."""
    _check_mode(log_mode)
    if log_mode == "weekly":
        return None
    if day is None:
        return "day_required"
    info = week.day(day)
    if info is None or not info.in_contract:
        return "outside_contract"
    return None
