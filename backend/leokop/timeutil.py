"""Time helpers: store UTC, show Europe/Berlin; a log's dates are Berlin calendar dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def today_berlin() -> dt.date:
    return dt.datetime.now(BERLIN).date()


def as_aware_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for what was stored as UTC; make them comparable."""
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def to_berlin(value: dt.datetime) -> dt.datetime:
    return as_aware_utc(value).astimezone(BERLIN)
