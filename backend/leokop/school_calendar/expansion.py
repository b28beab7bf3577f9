"""Calendar expansion of a class's school periods: which dates are school days, and which dates are
public holidays or school holidays (with their German names) of a Bundesland.

Pure: no database, no I/O. Dates are Berlin calendar dates (plain `datetime.date`, never datetimes),
so daylight-saving changes cannot move a day; every range is inclusive at both ends.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Literal, get_args

import holidays
import msgspec

from leokop.logbook.calendar import public_holidays

PeriodKind = Literal["weekly", "block"]
PERIOD_KINDS: tuple[str, ...] = get_args(PeriodKind)
# A block is taught on every working day inside it; a weekly period names its weekdays.
BLOCK_WEEKDAYS = "12345"
_DAY = dt.timedelta(days=1)


class Period(msgspec.Struct, frozen=True):
    """One school period as the expansion needs it (the SchoolPeriod row's fields, plus its id so a
    school day can be traced back to the period that made it)."""

    kind: PeriodKind
    start_date: dt.date
    end_date: dt.date  # inclusive
    weekdays: str  # ISO weekday digits, "24" = Tuesday and Thursday
    label: str = ""
    id: int | None = None


def dates(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every date from start to end, both included (nothing if end < start)."""
    day = start
    while day <= end:
        yield day
        day += _DAY


@functools.lru_cache(maxsize=256)
def school_holidays(state: str, year: int) -> Mapping[dt.date, str]:
    """The school holidays (Schulferien) of one Bundesland in one year: date → German name such as
    "Herbstferien", weekends inside the holidays included. Empty for years the library does not know
    yet (it publishes the ministries' dates a few years ahead). ValueError for an unknown state.

    Cached and copied read-only for the same reasons as logbook.calendar.public_holidays."""
    try:
        calendar = holidays.country_holidays("DE", subdiv=state, years=year, categories=("school",), language="de")
    except NotImplementedError as error:
        raise ValueError(f"unknown state {state!r}") from error
    return MappingProxyType(dict(calendar.items()))


def _names(source, state: str, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    found: dict[dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        found.update((day, name) for day, name in source(state, year).items() if start <= day <= end)
    return found


def public_holidays_between(state: str, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Public holidays of `state` from start to end: date → German name."""
    return _names(public_holidays, state, start, end)


def school_holidays_between(state: str, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """School holidays of `state` from start to end: date → German name."""
    return _names(school_holidays, state, start, end)


def expand(periods: Iterable[Period], state: str, start: dt.date, end: dt.date) -> dict[dt.date, Period]:
    """The school days from start to end: date → the period that makes it a school day (the first
    one given, when periods overlap). A day is a school day when a period covers it and names its
    weekday, and it is neither a public holiday nor a school holiday of `state`: the holidays win
    over any period, so a weekly pattern over the whole school year needs no gaps typed in."""
    periods = [p for p in periods if p.start_date <= end and p.end_date >= start and p.start_date <= p.end_date]
    if not periods:
        return {}
    closed = public_holidays_between(state, start, end).keys() | school_holidays_between(state, start, end).keys()
    days: dict[dt.date, Period] = {}
    for period in periods:
        weekdays = {int(d) for d in period.weekdays}
        for day in dates(max(start, period.start_date), min(end, period.end_date)):
            if day.isoweekday() in weekdays and day not in closed and day not in days:
                days[day] = period
    return days


def school_days(periods: Iterable[Period], state: str, start: dt.date, end: dt.date) -> set[dt.date]:
    """The set of school days from start to end (see `expand`)."""
    return set(expand(periods, state, start, end))
