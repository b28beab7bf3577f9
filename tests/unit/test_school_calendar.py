"""Expansion of a class's school periods into school days: weekly days, blocks, public holidays and
school holidays of Hessen, DST weeks, ranges crossing years, empty and overlapping periods; and
reading calendar files: German and ISO dates, weekday names, CSV dialects, iCal end rules, time
zones and weekly series."""

from __future__ import annotations

import datetime as dt

import pytest

from leokop.school_calendar.expansion import (
    BLOCK_WEEKDAYS,
    Period,
    dates,
    expand,
    public_holidays_between,
    school_days,
    school_holidays,
    school_holidays_between,
)
from leokop.school_calendar.imports import MAX_FILE_BYTES, parse, parse_date, parse_weekdays

D = dt.date


def weekly(start: dt.date, end: dt.date, weekdays: str = "24", label: str = "") -> Period:
    return Period("weekly", start, end, weekdays, label)


def block(start: dt.date, end: dt.date, label: str = "") -> Period:
    return Period("block", start, end, BLOCK_WEEKDAYS, label)


def test_weekly_days_are_the_named_weekdays_between_the_dates():
    # November 2026 in Hessen: no public holiday, no school holiday.
    days = school_days([weekly(D(2026, 11, 2), D(2026, 11, 30))], "HE", D(2026, 11, 1), D(2026, 11, 30))
    assert sorted(days) == [
        D(2026, 11, 3), D(2026, 11, 5), D(2026, 11, 10), D(2026, 11, 12),
        D(2026, 11, 17), D(2026, 11, 19), D(2026, 11, 24), D(2026, 11, 26),
    ]  # fmt: skip
    assert all(day.isoweekday() in (2, 4) for day in days)


def test_the_range_cuts_the_period_and_the_period_cuts_the_range():
    period = weekly(D(2026, 11, 10), D(2026, 11, 19))
    assert sorted(school_days([period], "HE", D(2026, 11, 1), D(2026, 11, 30))) == [
        D(2026, 11, 10), D(2026, 11, 12), D(2026, 11, 17), D(2026, 11, 19),
    ]  # fmt: skip
    assert sorted(school_days([period], "HE", D(2026, 11, 12), D(2026, 11, 17))) == [D(2026, 11, 12), D(2026, 11, 17)]
    assert school_days([period], "HE", D(2026, 11, 20), D(2026, 11, 30)) == set()


def test_a_block_is_every_working_day_inside_it_weekends_excluded():
    days = school_days([block(D(2026, 11, 16), D(2026, 11, 27))], "HE", D(2026, 11, 1), D(2026, 11, 30))
    assert len(days) == 10
    assert min(days) == D(2026, 11, 16) and max(days) == D(2026, 11, 27)
    assert D(2026, 11, 21) not in days and D(2026, 11, 22) not in days


def test_public_holidays_are_never_school_days():
    # Fronleichnam, Thursday 4 June 2026, is a public holiday in Hessen (not in Berlin).
    period = weekly(D(2026, 6, 1), D(2026, 6, 12), "1234")
    he = school_days([period], "HE", D(2026, 6, 1), D(2026, 6, 12))
    be = school_days([period], "BE", D(2026, 6, 1), D(2026, 6, 12))
    assert D(2026, 6, 4) not in he
    assert D(2026, 6, 4) in be
    assert public_holidays_between("HE", D(2026, 6, 1), D(2026, 6, 12)) == {D(2026, 6, 4): "Fronleichnam"}


def test_school_holidays_of_the_state_are_never_school_days():
    # Herbstferien in Hessen 2026: 5 to 17 October.
    days = school_days([weekly(D(2026, 9, 1), D(2026, 10, 31))], "HE", D(2026, 9, 28), D(2026, 10, 23))
    assert sorted(days) == [D(2026, 9, 29), D(2026, 10, 1), D(2026, 10, 20), D(2026, 10, 22)]
    names = school_holidays_between("HE", D(2026, 10, 1), D(2026, 10, 31))
    assert set(names.values()) == {"Herbstferien"}
    assert min(names) == D(2026, 10, 5) and max(names) == D(2026, 10, 17)
    # A block over the holidays keeps only the days outside them.
    assert school_days([block(D(2026, 10, 1), D(2026, 10, 20))], "HE", D(2026, 10, 1), D(2026, 10, 31)) == {
        D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 19), D(2026, 10, 20),
    }  # fmt: skip


@pytest.mark.parametrize(
    "monday", [D(2026, 3, 23), D(2026, 10, 19), D(2026, 10, 26), D(2027, 3, 29)], ids=str
)
def test_dst_weeks_do_not_shift_days(monday):
    # Summer time starts on 29 March 2026 and 28 March 2027, ends on 25 October 2026: the weeks
    # around these Sundays keep their weekdays. 23 March 2026 is before the Osterferien, 29 March 2027
    # lies inside them (so that week has no school day at all).
    sunday = monday + dt.timedelta(days=6)
    period = weekly(monday - dt.timedelta(days=14), sunday + dt.timedelta(days=14), "1234567")
    days = school_days([period], "HE", monday, sunday)
    closed = public_holidays_between("HE", monday, sunday).keys() | school_holidays_between("HE", monday, sunday).keys()
    assert days == {monday + dt.timedelta(days=n) for n in range(7)} - closed
    assert all(day.weekday() == (day - monday).days for day in days)
    tuesday_thursday = school_days([weekly(monday, sunday + dt.timedelta(days=7))], "HE", monday, sunday + dt.timedelta(days=7))
    assert {day.isoweekday() for day in tuesday_thursday} <= {2, 4}


def test_a_range_crossing_the_year_uses_both_years_holidays():
    # Weihnachtsferien 2026/27 in Hessen: 23 December to 12 January; Neujahr is also a public holiday.
    period = weekly(D(2026, 12, 1), D(2027, 1, 31), "12345")
    days = school_days([period], "HE", D(2026, 12, 14), D(2027, 1, 22))
    assert max(d for d in days if d.year == 2026) == D(2026, 12, 22)
    assert min(d for d in days if d.year == 2027) == D(2027, 1, 13)
    holidays = school_holidays_between("HE", D(2026, 12, 14), D(2027, 1, 22))
    assert D(2026, 12, 31) in holidays and D(2027, 1, 12) in holidays
    assert public_holidays_between("HE", D(2026, 12, 14), D(2027, 1, 22))[D(2027, 1, 1)] == "Neujahr"


def test_empty_periods_and_inverted_ranges_give_no_days():
    assert school_days([], "HE", D(2026, 11, 1), D(2026, 11, 30)) == set()
    assert school_days([weekly(D(2026, 11, 30), D(2026, 11, 1))], "HE", D(2026, 11, 1), D(2026, 11, 30)) == set()
    assert school_days([weekly(D(2026, 11, 1), D(2026, 11, 30), "")], "HE", D(2026, 11, 1), D(2026, 11, 30)) == set()
    assert school_days([weekly(D(2026, 11, 1), D(2026, 11, 30))], "HE", D(2026, 11, 30), D(2026, 11, 1)) == set()
    assert list(dates(D(2026, 11, 2), D(2026, 11, 1))) == []


def test_overlapping_periods_count_each_day_once_and_the_first_period_names_it():
    first = block(D(2026, 11, 16), D(2026, 11, 20), "Block 1")
    second = weekly(D(2026, 11, 2), D(2026, 11, 30), "24", "Dienstag/Donnerstag")
    expanded = expand([first, second], "HE", D(2026, 11, 1), D(2026, 11, 30))
    assert expanded[D(2026, 11, 17)] is first
    assert expanded[D(2026, 11, 16)] is first
    assert expanded[D(2026, 11, 24)] is second
    assert len(expanded) == 5 + 6  # the block's five days plus Tue/Thu outside it


def test_years_the_library_does_not_know_have_no_school_holidays_and_unknown_states_fail():
    assert school_holidays("HE", 2040) == {}
    with pytest.raises(ValueError):
        school_holidays("XX", 2026)
    with pytest.raises(TypeError):
        school_holidays("HE", 2026)[D(2026, 10, 5)] = "changed"  # shared cached value is read-only


# --- reading calendar files (school_calendar.imports) -------------------------------------------


def ical(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\nUID:e{n}@test\nDTSTAMP:20260801T000000Z\n{event.strip()}\nEND:VEVENT\n" for n, event in enumerate(events))
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//DE\n{body}END:VCALENDAR\n".encode()


def spans(parsed) -> list[tuple]:
    return [(p.kind, p.start_date, p.end_date, p.weekdays) for p in parsed.periods]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("24.11.2026", D(2026, 11, 24)), ("1.9.26", D(2026, 9, 1)), (" 2026-11-24 ", D(2026, 11, 24)),
     ("31.02.2026", None), ("2026-11-24T08:00", None), ("24/11/2026", None), ("", None)],
)  # fmt: skip
def test_dates_german_and_iso(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Dienstag", "2"), ("Di.", "2"), ("Di, Do", "24"), ("Dienstag und Donnerstag", "24"), ("2/4", "24"), ("Mo+Fr", "15"),
     ("Sonntag", None), ("7", None), ("Di, Blub", None)],
)  # fmt: skip
def test_weekday_names(raw, expected):
    assert parse_weekdays(raw) == expected


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_csv_dialect_is_sniffed_and_windows_1252_is_read(separator):
    text = separator.join(["Wochentag", "von", "bis", "Bezeichnung"]) + "\n" + separator.join(["Di", "01.09.2026", "30.09.2026", "Prüfungsvorbereitung"]) + "\n"
    parsed = parse(text.encode("cp1252"), "HE")
    assert parsed.problems == []
    assert spans(parsed) == [("weekly", D(2026, 9, 1), D(2026, 9, 30), "2")]
    assert parsed.periods[0].label == "Prüfungsvorbereitung"


def test_ical_end_rules_time_zones_and_duration():
    parsed = parse(
        ical(
            "DTSTART;VALUE=DATE:20261116\nDTEND;VALUE=DATE:20261121",  # all day: DTEND is exclusive
            "DTSTART;TZID=America/New_York:20261201T200000\nDTEND;TZID=America/New_York:20261201T220000",  # 2 a.m. in Berlin
            "DTSTART;VALUE=DATE:20261207\nDURATION:P2D",
            "DTSTART:20261214T080000\nDTEND:20261216T000000",  # floating, ends at midnight: two days
        ),
        "HE",
    )
    assert parsed.problems == []
    assert spans(parsed) == [
        ("block", D(2026, 11, 16), D(2026, 11, 20), "12345"),
        ("block", D(2026, 12, 2), D(2026, 12, 2), "3"),
        ("block", D(2026, 12, 7), D(2026, 12, 8), "12345"),
        ("block", D(2026, 12, 14), D(2026, 12, 15), "12345"),
    ]


def test_ical_series_with_count_moved_and_cancelled_occurrences():
    series = "DTSTART;VALUE=DATE:20261103\nRRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4\nSUMMARY:BS"
    moved = "UID:e0@test\nRECURRENCE-ID;VALUE=DATE:20261110\nDTSTART;VALUE=DATE:20261111\nSUMMARY:BS"
    cancelled = "DTSTART;VALUE=DATE:20261201\nSTATUS:CANCELLED"
    parsed = parse(ical(series, cancelled).replace(b"END:VCALENDAR", f"BEGIN:VEVENT\n{moved}\nDTSTAMP:20260801T000000Z\nEND:VEVENT\nEND:VCALENDAR".encode()), "HE")
    assert parsed.problems == []
    # Tuesdays 3, 17 and 24 November; the 10th moved to Wednesday the 11th. The periods may look
    # odd (weekdays Tuesday and Wednesday, split where a day is missing), but they expand to exactly
    # the days of the series.
    assert spans(parsed) == [
        ("weekly", D(2026, 11, 3), D(2026, 11, 3), "23"),
        ("weekly", D(2026, 11, 11), D(2026, 11, 17), "23"),
        ("weekly", D(2026, 11, 24), D(2026, 11, 24), "23"),
    ]
    periods = [Period(p.kind, p.start_date, p.end_date, p.weekdays) for p in parsed.periods]
    assert school_days(periods, "HE", D(2026, 11, 1), D(2026, 12, 31)) == {D(2026, 11, 3), D(2026, 11, 11), D(2026, 11, 17), D(2026, 11, 24)}


def test_files_that_cannot_be_read_say_so():
    assert parse(b"", "HE").problems[0].code == "import_empty"
    assert parse(b"x" * (MAX_FILE_BYTES + 1), "HE").problems[0].code == "import_too_large"
    assert parse(ical("DTSTART;VALUE=DATE:18991231"), "HE").problems[0].code == "import_date_range"
    assert parse(ical("DTSTART;VALUE=DATE:20261201\nRRULE:FREQ=MONTHLY;COUNT=2"), "HE").problems[0].code == "ical_rrule_unsupported"
    assert parse("Datum\n\n\n".encode(), "HE").problems[0].code == "import_empty"
