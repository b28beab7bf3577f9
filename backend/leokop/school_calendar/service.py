"""Rules of the school calendar: a class's school days, its periods (by form and by import), the
company's plan per apprentice, one calendar per apprentice and the personal iCal feed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from leokop.school_calendar import expansion
from leokop.school_calendar.tables import SchoolPeriod

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
