"""When reminders and digests are due (Europe/Berlin), and how a wave is spread."""

from __future__ import annotations

import datetime as dt

from leokop.notifications.reminders import SPREAD_SECONDS, due_windows, spread

UTC = dt.timezone.utc


def berlin(*args) -> dt.datetime:
    """A Berlin wall-clock time as UTC (November: UTC+1)."""
    return dt.datetime(*args, tzinfo=UTC) - dt.timedelta(hours=1)


def test_the_friday_reminder_is_due_on_friday_afternoon_only():
    assert not due_windows(berlin(2026, 11, 27, 12, 59)).friday_reminder
    assert due_windows(berlin(2026, 11, 27, 13, 0)).friday_reminder
    assert due_windows(berlin(2026, 11, 27, 23, 30)).friday_reminder
    assert not due_windows(berlin(2026, 11, 26, 15, 0)).friday_reminder  # Thursday
    assert not due_windows(berlin(2026, 11, 28, 15, 0)).friday_reminder  # Saturday


def test_digests_are_due_on_working_days_from_seven():
    assert not due_windows(berlin(2026, 11, 24, 6, 59)).digests
    assert due_windows(berlin(2026, 11, 24, 7, 0)).digests
    assert not due_windows(berlin(2026, 11, 29, 9, 0)).digests  # Sunday


def test_the_day_is_berlins_not_utcs():
    late = dt.datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # already Saturday 00:30 in Berlin
    assert due_windows(late).today == dt.date(2026, 11, 28) and not due_windows(late).friday_reminder


def test_a_wave_is_spread_stably_over_five_minutes():
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    offsets = {(spread(now, f"friday:{i}:2026-11-23") - now).total_seconds() for i in range(500)}
    assert min(offsets) >= 0 and max(offsets) < SPREAD_SECONDS and len(offsets) > 200
    assert spread(now, "friday:1:2026-11-23") == spread(now, "friday:1:2026-11-23")


def test_a_digest_covers_everything_since_the_previous_working_days_digest():
    from leokop.notifications.reminders import BERLIN, digest_since

    def at(*args):
        return dt.datetime(*args, tzinfo=BERLIN)

    assert digest_since(at(2026, 11, 24, 9, 0)) == at(2026, 11, 23, 7, 0)  # Tuesday: since Monday
    assert digest_since(at(2026, 11, 30, 7, 5)) == at(2026, 11, 27, 7, 0)  # Monday: Friday afternoon and the weekend too
    assert digest_since(at(2026, 3, 30, 9, 0)) == at(2026, 3, 27, 7, 0)  # across the switch to summer time
    assert digest_since(at(2026, 3, 30, 9, 0)).utcoffset() == dt.timedelta(hours=1)
