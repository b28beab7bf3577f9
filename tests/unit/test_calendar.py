"""Calendar rules of the log: sheet numbers, training years, weeks over year changes, ISO week 53
and DST, public holidays in Hessen and Berlin, totals, day checks and the completeness checks."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import pytest

from leokop.logbook.calendar import (
    ABSENCE_STATUSES,
    DAY_STATUSES,
    ENTRY_CATEGORIES,
    MAX_DAY_MINUTES,
    MAX_ENTRY_MINUTES,
    PRESENCE_STATUSES,
    DayFlags,
    EntryTime,
    check_day_minutes,
    check_entry_minutes,
    contract_weeks,
    day_totals,
    day_warnings,
    default_status,
    entry_date_problem,
    holiday_name,
    monday_of,
    public_holidays,
    sheet_number,
    submit_problems,
    training_year,
    week_info,
    week_total,
)

D = dt.date
START = D(2025, 8, 1)  # a Friday, the usual start of a training year
END = D(2028, 7, 31)
FRONLEICHNAM_WEEK = D(2026, 6, 1)  # Thursday 4 June 2026 is Fronleichnam in Hessen, not in Berlin
FRONLEICHNAM = D(2026, 6, 4)


def he_week(monday: D, start: D = START, end: D = END):
    return week_info(start, end, monday, "HE")


def days_of(monday: D, count: int = 5) -> list[D]:
    return [monday + dt.timedelta(days=i) for i in range(count)]


# --- vocabulary -------------------------------------------------------------------------------------


def test_statuses_and_categories_are_the_agreed_codes_in_order():
    assert DAY_STATUSES == (
        "company", "school", "inter_company", "vacation", "sick", "holiday", "time_off", "other_absence",
    )
    assert ABSENCE_STATUSES == ("vacation", "sick", "holiday", "time_off", "other_absence")
    assert set(PRESENCE_STATUSES) | set(ABSENCE_STATUSES) == set(DAY_STATUSES)
    assert not set(PRESENCE_STATUSES) & set(ABSENCE_STATUSES)
    assert ENTRY_CATEGORIES == ("company", "instruction", "school", "inter_company")


# --- public holidays ------------------------------------------------------------------------------


def test_holiday_names_are_german_and_depend_on_the_state():
    hessen = public_holidays("HE", 2026)
    assert hessen[D(2026, 10, 3)] == "Tag der Deutschen Einheit"
    assert hessen[FRONLEICHNAM] == "Fronleichnam"
    assert hessen[D(2026, 1, 1)] == "Neujahr"
    assert holiday_name("BE", FRONLEICHNAM) is None
    assert holiday_name("BE", D(2026, 3, 8)) == "Frauentag"  # Berlin only
    assert holiday_name("HE", D(2026, 3, 8)) is None
    assert holiday_name("HE", D(2026, 6, 3)) is None


def test_holiday_calendars_are_cached_per_state_and_year_and_read_only():
    assert public_holidays("HE", 2031) is public_holidays("HE", 2031)
    hits = public_holidays.cache_info().hits
    holiday_name("HE", D(2031, 5, 1))
    assert public_holidays.cache_info().hits == hits + 1
    assert public_holidays("HE", 2031) is not public_holidays("BE", 2031)
    # One year per entry: other years' dates are not silently added to a cached calendar.
    assert D(2032, 1, 1) not in public_holidays("HE", 2031)
    with pytest.raises(TypeError):
        public_holidays("HE", 2031)[D(2031, 6, 6)] = "Erfunden"  # type: ignore[index]


def test_unknown_state_is_refused():
    with pytest.raises(ValueError):
        public_holidays("XX", 2026)
    with pytest.raises(ValueError):
        week_info(START, END, FRONLEICHNAM_WEEK, "he")


# --- Mondays, sheet numbers, training years, contract weeks ----------------------------------------


def test_monday_of_every_day_of_a_week_including_sunday():
    for day in days_of(D(2026, 6, 1), 7):
        assert monday_of(day) == D(2026, 6, 1)
    assert monday_of(D(2026, 1, 1)) == D(2025, 12, 29)  # across the year change


def test_sheet_numbers_count_calendar_weeks_from_the_start():
    assert sheet_number(START, D(2025, 7, 28)) == 1  # the week of Friday 1 August
    assert sheet_number(START, D(2025, 8, 4)) == 2
    assert sheet_number(START, D(2025, 12, 29)) == 23
    assert sheet_number(START, D(2026, 1, 5)) == 24
    # Any day of a week gives that week's number.
    assert sheet_number(START, D(2025, 8, 10)) == 2


def test_sheet_numbers_over_iso_week_53():
    # Start on Thursday 31 December 2026 (ISO week 53 of 2026): that week is 1, the next (week 1 of 2027) is 2.
    start = D(2026, 12, 31)
    assert sheet_number(start, D(2026, 12, 28)) == 1
    assert sheet_number(start, D(2027, 1, 4)) == 2
    assert sheet_number(start, D(2027, 12, 27)) == 53
    # 2020 had an ISO week 53: no week is skipped or counted twice.
    start = D(2020, 12, 1)
    assert sheet_number(start, D(2020, 12, 21)) == 4
    assert sheet_number(start, D(2020, 12, 28)) == 5
    assert sheet_number(start, D(2021, 1, 4)) == 6


def test_a_week_before_the_start_has_no_number():
    with pytest.raises(ValueError):
        sheet_number(START, D(2025, 7, 21))


def test_sheet_numbers_match_the_position_in_the_contract_weeks():
    mondays = contract_weeks(START, END)
    assert [sheet_number(START, m) for m in mondays] == list(range(1, len(mondays) + 1))


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (D(2025, 8, 1), 1),
        (D(2026, 7, 31), 1),
        (D(2026, 8, 1), 2),
        (D(2027, 7, 31), 2),
        (D(2027, 8, 1), 3),
        (D(2028, 7, 31), 3),
    ],
)
def test_training_year_boundaries(day, year):
    assert training_year(START, day) == year


def test_training_year_of_a_start_on_29_february():
    start = D(2024, 2, 29)
    assert training_year(start, D(2025, 2, 28)) == 1
    assert training_year(start, D(2025, 3, 1)) == 2
    assert training_year(start, D(2027, 2, 28)) == 3
    assert training_year(start, D(2027, 3, 1)) == 4
    # In a leap year the anniversary exists again.
    assert training_year(start, D(2028, 2, 28)) == 4
    assert training_year(start, D(2028, 2, 29)) == 5


def test_training_year_before_the_start_is_refused():
    with pytest.raises(ValueError):
        training_year(START, D(2025, 7, 31))


def test_contract_weeks_cover_a_start_and_end_in_mid_week():
    mondays = contract_weeks(D(2026, 8, 5), D(2026, 9, 3))  # Wednesday to Thursday
    assert mondays == [D(2026, 8, 3), D(2026, 8, 10), D(2026, 8, 17), D(2026, 8, 24), D(2026, 8, 31)]


def test_contract_weeks_over_a_whole_training_are_consecutive_mondays():
    mondays = contract_weeks(START, END)
    assert mondays[0] == D(2025, 7, 28) and mondays[-1] == D(2028, 7, 31)
    assert all(m.weekday() == 0 for m in mondays)
    assert all((b - a).days == 7 for a, b in zip(mondays, mondays[1:]))
    # Three years starting on a Friday and ending on a Monday touch 158 calendar weeks.
    assert len(mondays) == 158


def test_contract_weeks_of_a_one_day_contract_and_of_an_impossible_one():
    assert contract_weeks(D(2026, 6, 7), D(2026, 6, 7)) == [D(2026, 6, 1)]
    with pytest.raises(ValueError):
        contract_weeks(D(2026, 6, 7), D(2026, 6, 6))


# --- week_info -----------------------------------------------------------------------------------


def test_week_of_a_contract_starting_on_a_wednesday():
    week = week_info(D(2026, 8, 5), D(2029, 8, 4), D(2026, 8, 3), "HE")
    assert [d.in_contract for d in week.days] == [False, False, True, True, True, True, True]
    assert [d.is_working_day for d in week.days] == [False, False, True, True, True, False, False]
    assert week.first_contract_day == D(2026, 8, 5)
    assert week.last_contract_day == D(2026, 8, 9)
    assert week.number == 1
    assert week.training_year == 1
    assert (week.monday, week.sunday, week.iso_year, week.iso_week) == (D(2026, 8, 3), D(2026, 8, 9), 2026, 32)


def test_week_of_a_contract_ending_on_a_wednesday():
    week = week_info(START, D(2028, 7, 26), D(2028, 7, 24), "HE")
    assert [d.in_contract for d in week.days] == [True, True, True, False, False, False, False]
    assert [d.is_working_day for d in week.days] == [True, True, True, False, False, False, False]
    assert week.last_contract_day == D(2028, 7, 26)
    assert week.training_year == 3
    assert week.number == len(contract_weeks(START, D(2028, 7, 26)))


def test_iso_week_53_of_2020_runs_into_2021():
    week = week_info(D(2020, 8, 1), D(2023, 7, 31), D(2020, 12, 28), "HE")
    assert (week.iso_year, week.iso_week) == (2020, 53)
    assert week.sunday == D(2021, 1, 3)
    assert [d.date for d in week.days] == days_of(D(2020, 12, 28), 7)
    new_year = week.days[4]
    assert new_year.date == D(2021, 1, 1) and new_year.holiday_name == "Neujahr"
    assert not new_year.is_working_day
    following = week_info(D(2020, 8, 1), D(2023, 7, 31), D(2021, 1, 4), "HE")
    assert (following.iso_year, following.iso_week, following.number) == (2021, 1, week.number + 1)


def test_iso_week_53_of_2026_with_a_start_on_new_years_eve():
    start = D(2026, 12, 31)
    week = week_info(start, D(2029, 12, 30), D(2026, 12, 28), "HE")
    assert (week.iso_year, week.iso_week, week.number) == (2026, 53, 1)
    assert [d.in_contract for d in week.days] == [False, False, False, True, True, True, True]
    # Thursday 31 Dec is the only working day: Friday is Neujahr.
    assert [d.date for d in week.days if d.is_working_day] == [D(2026, 12, 31)]
    assert week.first_contract_day == start
    following = week_info(start, D(2029, 12, 30), D(2027, 1, 4), "HE")
    assert (following.iso_year, following.iso_week, following.number) == (2027, 1, 2)


def test_the_week_of_the_year_change_belongs_to_iso_year_of_its_thursday():
    week = he_week(D(2025, 12, 29))
    assert (week.iso_year, week.iso_week) == (2026, 1)
    assert week.number == 23
    assert week.training_year == 1
    assert [d.holiday_name for d in week.days] == [None, None, None, "Neujahr", None, None, None]
    assert [d.is_working_day for d in week.days] == [True, True, True, False, True, False, False]


@pytest.mark.parametrize(
    ("monday", "dst_sunday"),
    [(D(2026, 3, 23), D(2026, 3, 29)), (D(2026, 10, 19), D(2026, 10, 25))],
)
def test_weeks_with_a_clock_change_have_seven_plain_days(monday, dst_sunday):
    week = he_week(monday)
    assert len(week.days) == 7
    assert [d.date for d in week.days] == days_of(monday, 7)
    assert week.sunday == dst_sunday == week.days[-1].date
    assert [d.is_working_day for d in week.days] == [True] * 5 + [False] * 2
    next_monday = contract_weeks(START, END)[contract_weeks(START, END).index(monday) + 1]
    assert next_monday == dst_sunday + dt.timedelta(days=1)
    assert he_week(next_monday).number == week.number + 1


def test_fronleichnam_is_a_holiday_in_hessen_and_a_working_day_in_berlin():
    hessen = he_week(FRONLEICHNAM_WEEK)
    thursday = hessen.days[3]
    assert thursday.date == FRONLEICHNAM
    assert thursday.holiday_name == "Fronleichnam"
    assert not thursday.is_working_day
    assert default_status(thursday) == "holiday"
    assert [default_status(d) for d in hessen.days] == [None, None, None, "holiday", None, None, None]
    berlin = week_info(START, END, FRONLEICHNAM_WEEK, "BE").days[3]
    assert berlin.holiday_name is None and berlin.is_working_day
    assert default_status(berlin) is None


def test_german_unity_day_on_a_friday_and_on_a_saturday():
    friday = he_week(D(2025, 9, 29)).days[4]
    assert friday.date == D(2025, 10, 3)
    assert friday.holiday_name == "Tag der Deutschen Einheit"
    assert not friday.is_working_day
    assert default_status(friday) == "holiday"
    week = he_week(D(2026, 9, 28))
    saturday = week.days[5]
    assert saturday.date == D(2026, 10, 3)
    assert saturday.holiday_name == "Tag der Deutschen Einheit"
    assert default_status(saturday) is None  # weekends have no status
    assert [d.is_working_day for d in week.days] == [True] * 5 + [False] * 2


def test_a_holiday_outside_the_contract_gets_no_status():
    # Contract ends on Wednesday 3 June 2026, the day before Fronleichnam.
    thursday = week_info(START, D(2026, 6, 3), FRONLEICHNAM_WEEK, "HE").days[3]
    assert thursday.holiday_name == "Fronleichnam"
    assert not thursday.in_contract and not thursday.is_working_day
    assert default_status(thursday) is None


def test_week_info_refuses_weeks_without_a_sheet():
    with pytest.raises(ValueError):
        he_week(D(2025, 7, 21))  # before the start
    with pytest.raises(ValueError):
        he_week(D(2028, 8, 7))  # after the end
    with pytest.raises(ValueError):
        he_week(D(2026, 6, 2))  # not a Monday
    with pytest.raises(ValueError):
        week_info(END, START, D(2026, 6, 1), "HE")


def test_week_day_lookup():
    week = he_week(FRONLEICHNAM_WEEK)
    assert week.day(FRONLEICHNAM) is week.days[3]
    assert week.day(D(2026, 5, 31)) is None
    assert week.day(D(2026, 6, 8)) is None


# --- durations and totals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "problem"),
    [(-30, "duration_positive"), (0, "duration_positive"), (1, None), (480, None), (720, None), (721, "duration_too_long")],
)
def test_entry_duration_limits(minutes, problem):
    assert MAX_ENTRY_MINUTES == 720
    assert check_entry_minutes(minutes) == problem


def test_day_total_limit_is_24_hours():
    assert MAX_DAY_MINUTES == 1440
    assert check_day_minutes(1440) is None
    assert check_day_minutes(1441) == "day_too_long"


def test_day_and_week_totals():
    monday = FRONLEICHNAM_WEEK
    entries = [
        EntryTime(monday, "company", 300),
        EntryTime(monday, "instruction", 180),
        EntryTime(monday + dt.timedelta(days=1), "school", 360),
        EntryTime(None, "company", 90),  # a weekly-mode entry counts only for the week
    ]
    assert day_totals(entries) == {monday: 480, monday + dt.timedelta(days=1): 360}
    assert week_total(entries) == 930
    assert day_totals([]) == {} and week_total([]) == 0


def test_totals_accept_any_entry_with_day_category_minutes():
    class Row(NamedTuple):
        day: D | None
        category: str
        minutes: int

    rows = [Row(FRONLEICHNAM_WEEK, "company", 200), Row(FRONLEICHNAM_WEEK, "company", 100)]
    assert day_totals(rows) == {FRONLEICHNAM_WEEK: 300}
    assert week_total(iter(rows)) == 300


def test_day_warnings_flag_deviations_only_on_full_working_days_and_24_hours_always():
    week = he_week(FRONLEICHNAM_WEEK)
    mon, tue, wed, thu, fri, sat, sun = (d.date for d in week.days)
    statuses = {mon: "company", tue: "company", wed: "vacation", thu: "company", fri: "company", sat: None}
    entries = [
        EntryTime(mon, "company", 480),  # exactly the contract's day
        EntryTime(tue, "company", 420),  # an hour short: gentle warning
        EntryTime(wed, "company", 60),  # vacation: no expectation
        EntryTime(thu, "company", 120),  # holiday (not a working day) even if marked as company
        EntryTime(sat, "company", 720),
        EntryTime(sat, "company", 720),
        EntryTime(sat, "company", 60),  # 25 hours on one day
    ]
    flags = day_warnings(480, week, statuses, entries)
    assert set(flags) == set(days_of(mon, 7))
    assert flags[mon] == DayFlags(deviates=False, over_limit=False)
    assert flags[tue] == DayFlags(deviates=True, over_limit=False)
    assert flags[wed] == DayFlags(deviates=False, over_limit=False)
    assert flags[thu] == DayFlags(deviates=False, over_limit=False)
    assert flags[fri] == DayFlags(deviates=False, over_limit=False)  # no entry yet: nothing to compare
    assert flags[sat] == DayFlags(deviates=False, over_limit=True)
    assert flags[sun] == DayFlags(deviates=False, over_limit=False)


def test_day_warnings_for_school_and_unset_days():
    week = he_week(D(2026, 6, 8))
    mon, tue, wed = (d.date for d in week.days[:3])
    statuses = {mon: "school", tue: "inter_company", wed: None}
    entries = [EntryTime(mon, "school", 360), EntryTime(tue, "inter_company", 468), EntryTime(wed, "company", 100)]
    flags = day_warnings(468, week, statuses, entries)
    assert flags[mon].deviates  # 6 h at school against a 7:48 day
    assert not flags[tue].deviates
    assert not flags[wed].deviates  # no presence status: nothing to compare against
    # Exactly 24 hours is possible (if unlikely); more is not.
    flags = day_warnings(480, week, {mon: "company"}, [EntryTime(mon, "company", 720)] * 2)
    assert flags[mon] == DayFlags(deviates=True, over_limit=False)


# --- submit checks ---------------------------------------------------------------------------------


def test_submit_problems_of_a_complete_daily_week_is_empty():
    week = he_week(D(2026, 6, 8))
    mon, tue, wed, thu, fri = days_of(week.monday)
    statuses = {mon: "company", tue: "school", wed: "company", thu: "vacation", fri: "sick"}
    entries = [EntryTime(mon, "company", 480), EntryTime(tue, "school", 360), EntryTime(wed, "instruction", 480)]
    assert submit_problems(week, statuses, entries, "daily", today=fri) == []


def test_future_weeks_cannot_be_submitted_but_the_current_one_can():
    week = he_week(D(2026, 6, 8))
    statuses = {d: "vacation" for d in days_of(week.monday)}
    assert submit_problems(week, statuses, [], "daily", today=D(2026, 6, 7)) == [("future_week", None)]
    assert submit_problems(week, statuses, [], "daily", today=D(2026, 6, 8)) == []  # Monday of that week
    assert submit_problems(week, statuses, [], "daily", today=D(2026, 6, 14)) == []  # its Sunday
    assert submit_problems(week, statuses, [], "weekly", today=D(2027, 1, 1)) == []


def test_daily_mode_problems_in_order():
    week = he_week(D(2026, 6, 8))
    mon, tue, wed, thu, fri = days_of(week.monday)
    statuses = {mon: "school", wed: "school", fri: None}
    entries = [
        EntryTime(tue, "company", 480),  # entries without a status: the day was clearly worked
        EntryTime(wed, "instruction", 480),  # an instruction is not a school topic
    ]
    assert submit_problems(week, statuses, entries, "daily", today=D(2026, 6, 1)) == [
        ("future_week", None),
        ("school_topics_missing", mon),
        ("school_topics_missing", wed),
        ("missing_status", thu),
        ("missing_status", fri),
    ]


def test_weekly_mode_needs_every_status_and_school_topics_once():
    week = he_week(D(2026, 6, 8))
    mon, tue, wed, thu, fri = days_of(week.monday)
    entries = [EntryTime(None, "company", 1200)]
    statuses = {mon: "school", tue: "school", wed: "company"}
    assert submit_problems(week, statuses, entries, "weekly", today=fri) == [
        ("missing_status", thu),
        ("missing_status", fri),
        ("school_topics_missing", None),
    ]
    statuses |= {thu: "company", fri: "company"}
    entries.append(EntryTime(None, "school", 720))
    assert submit_problems(week, statuses, entries, "weekly", today=fri) == []


def test_a_week_of_presence_without_any_entry():
    week = he_week(D(2026, 6, 8))
    statuses = {d: "company" for d in days_of(week.monday)}
    assert submit_problems(week, statuses, [], "daily", today=week.sunday) == [("no_entries", None)]
    assert submit_problems(week, statuses, [], "weekly", today=week.sunday) == [("no_entries", None)]
    # A whole week of vacation needs no entries.
    statuses = {d: "vacation" for d in days_of(week.monday)}
    assert submit_problems(week, statuses, [], "weekly", today=week.sunday) == []


def test_a_holiday_on_a_school_day_needs_no_school_topics():
    # Thursdays are school days; Fronleichnam falls on one. The caller fills in default statuses.
    week = he_week(FRONLEICHNAM_WEEK)
    mon, tue, wed, thu, fri = days_of(week.monday)
    stored = {mon: "company", tue: "company", wed: "company", fri: "company"}
    statuses = {d.date: stored.get(d.date) or default_status(d) for d in week.days}
    assert statuses[thu] == "holiday"
    entries = [EntryTime(d, "company", 480) for d in (mon, tue, wed, fri)]
    assert submit_problems(week, statuses, entries, "daily", today=fri) == []
    # Without the default filled in, the holiday is still no working day: nothing is missing.
    assert submit_problems(week, stored, entries, "daily", today=fri) == []
    # Marked as a school day anyway, it needs its topics like any other.
    assert submit_problems(week, stored | {thu: "school"}, entries, "daily", today=fri) == [
        ("school_topics_missing", thu)
    ]


def test_days_outside_the_contract_need_nothing():
    # Contract starts on Wednesday 5 August 2026 and the first week's Monday/Tuesday are not in it.
    week = week_info(D(2026, 8, 5), D(2029, 8, 4), D(2026, 8, 3), "HE")
    mon, tue, wed, thu, fri = days_of(week.monday)
    statuses = {mon: "school", wed: "company", thu: "company", fri: "company"}
    entries = [EntryTime(d, "company", 480) for d in (wed, thu, fri)]
    assert submit_problems(week, statuses, entries, "daily", today=fri) == []
    assert submit_problems(week, {}, [], "weekly", today=fri) == [
        ("missing_status", wed),
        ("missing_status", thu),
        ("missing_status", fri),
    ]


def test_unknown_log_mode_is_refused():
    week = he_week(D(2026, 6, 8))
    with pytest.raises(ValueError):
        submit_problems(week, {}, [], "monthly", today=week.sunday)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        entry_date_problem(week, week.monday, "monthly")  # type: ignore[arg-type]


# --- entry dates -----------------------------------------------------------------------------------


def test_entry_dates_in_daily_mode():
    week = week_info(D(2026, 8, 5), D(2029, 8, 4), D(2026, 8, 3), "HE")
    assert entry_date_problem(week, None, "daily") == "day_required"
    assert entry_date_problem(week, D(2026, 8, 4), "daily") == "outside_contract"  # before the start
    assert entry_date_problem(week, D(2026, 8, 10), "daily") == "outside_contract"  # next week
    assert entry_date_problem(week, D(2026, 8, 5), "daily") is None
    assert entry_date_problem(week, D(2026, 8, 8), "daily") is None  # a Saturday inside the contract


def test_entry_dates_after_the_contract_end():
    week = week_info(START, D(2028, 7, 26), D(2028, 7, 24), "HE")
    assert entry_date_problem(week, D(2028, 7, 26), "daily") is None
    assert entry_date_problem(week, D(2028, 7, 27), "daily") == "outside_contract"


def test_entries_in_weekly_mode_carry_no_date():
    week = he_week(D(2026, 6, 8))
    assert entry_date_problem(week, None, "weekly") is None
    assert entry_date_problem(week, D(2026, 6, 9), "weekly") is None
