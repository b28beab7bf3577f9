"""Time helpers: store UTC, show Europe/Berlin; a log's dates are Berlin calendar dates."""

from __future__ import annotations

import datetime as dt
import re
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


_DURATION = re.compile(r"^\s*(\d{1,3})(?:\s*([:.,])\s*(\d{1,2}))?\s*(?:h|std\.?)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> int | None:
    """Minutes from what people type: "8", "1:30", "7:48", "1,5" or "1.5" (decimal hours).
    None when it is not a duration at all."""
    match = _DURATION.match(text or "")
    if not match:
        return None
    hours, separator, fraction = match.groups()
    if fraction is None:
        return int(hours) * 60
    if separator == ":":
        return None if int(fraction) >= 60 else int(hours) * 60 + int(fraction)
    return round((int(hours) + int(fraction) / 10 ** len(fraction)) * 60)
