"""The completeness check before exam admission (exam_admission.completeness): plain dates, no database."""

from __future__ import annotations

import datetime as dt

from leokop.exam_admission.completeness import GROUPS, StoredWeek, check

D = dt.date
# A contract in Hessen that began on Monday 5 October 2026 (KW 41), so week 1 is a full week.
START, END = D(2026, 10, 5), D(2029, 7, 31)
WEEK1, WEEK2, WEEK3 = D(2026, 10, 5), D(2026, 10, 12), D(2026, 10, 19)


def days(monday: dt.date, count: int = 5) -> list[dt.date]:
    return [monday + dt.timedelta(days=i) for i in range(count)]


def complete_week(monday: dt.date, state: str = "approved", school: tuple[int, ...] = ()) -> StoredWeek:
    """Every working day has a status and an entry; the given weekdays are school days with topics."""
    school_days = {monday + dt.timedelta(days=i) for i in school}
    dates = days(monday)
    return StoredWeek(
        monday=monday,
        state=state,
        ever_submitted=state != "draft",
        statuses={d: "school" if d in school_days else "company" for d in dates},
        entry_days=frozenset(dates),
        school_entry_days=frozenset(school_days),
        entries=len(dates),
        school_entries=len(school_days),
    )


def codes(report, group: str) -> list[tuple[str, dt.date, dt.date | None]]:
    return [(p.code, p.monday, p.day) for p in report.group(group).problems]


def test_every_week_approved_and_filled_is_complete():
    today = D(2026, 10, 25)  # Sunday of week 3
    weeks = [complete_week(WEEK1, school=(1, 3)), complete_week(WEEK2), complete_week(WEEK3)]
    report = check(START, END, "HE", "daily", weeks, today)
    assert report.complete and report.total == 0
    assert report.weeks_checked == 3
    assert [g.code for g in report.groups] == list(GROUPS)


def test_weeks_without_a_sheet_or_never_submitted_are_missing_with_number_and_iso_week():
    today = D(2026, 10, 23)
    never = StoredWeek(WEEK2, "draft", ever_submitted=False, statuses={d: "company" for d in days(WEEK2)}, entry_days=frozenset(days(WEEK2)), entries=5)
    report = check(START, END, "HE", "daily", [never], today)
    assert codes(report, "missing") == [("no_sheet", WEEK1, None), ("never_submitted", WEEK2, None), ("no_sheet", WEEK3, None)]
    first = report.group("missing").problems[0]
    assert (first.number, first.iso_week, first.iso_year, first.sunday) == (1, 41, 2026, D(2026, 10, 11))
    # A missing week is not counted twice: it is not also "not approved".
    assert codes(report, "not_approved") == []


def test_submitted_returned_and_reopened_weeks_are_not_approved():
    today = D(2026, 10, 25)
    weeks = [
        complete_week(WEEK1, "submitted"),
        complete_week(WEEK2, "returned"),
        StoredWeek(**{**_fields(complete_week(WEEK3)), "state": "draft", "ever_submitted": True}),
    ]
    report = check(START, END, "HE", "daily", weeks, today)
    assert codes(report, "not_approved") == [("submitted", WEEK1, None), ("returned", WEEK2, None), ("reopened", WEEK3, None)]
    assert codes(report, "missing") == []


def _fields(week: StoredWeek) -> dict:
    return {name: getattr(week, name) for name in week.__struct_fields__}


def test_a_school_day_without_a_school_entry_is_listed_with_its_date():
    today = D(2026, 10, 11)
    week = complete_week(WEEK1, school=(1,))
    week = StoredWeek(**{**_fields(week), "statuses": {**week.statuses, D(2026, 10, 8): "school"}})  # Thursday: no topics
    report = check(START, END, "HE", "daily", [week], today)
    assert codes(report, "school_topics") == [("school_day", WEEK1, D(2026, 10, 8))]


def test_gaps_are_working_days_without_status_and_entry_but_not_holidays_or_weekends():
    # KW 40 2025: Friday 3 October is Tag der Deutschen Einheit; the contract began on 1 October.
    start = D(2025, 10, 1)
    monday = D(2025, 9, 29)
    week = StoredWeek(
        monday=monday,
        state="draft",
        ever_submitted=False,
        statuses={D(2025, 10, 1): "company"},
        entry_days=frozenset({D(2025, 10, 1), D(2025, 10, 2)}),  # Thursday: an entry but no status is no gap
        entries=2,
    )
    report = check(start, END, "HE", "daily", [week], D(2025, 10, 6))
    # Monday and Tuesday lie before the contract, Friday is a holiday, the weekend is no working day.
    assert codes(report, "gaps") == []
    week = StoredWeek(**{**_fields(week), "entry_days": frozenset({D(2025, 10, 1)})})
    report = check(start, END, "HE", "daily", [week], D(2025, 10, 6))
    assert codes(report, "gaps") == [("day_gap", monday, D(2025, 10, 2))]


def test_nothing_after_today_is_a_problem():
    today = D(2026, 10, 14)  # Wednesday of week 2
    week2 = StoredWeek(WEEK2, "draft", ever_submitted=False, statuses={WEEK2: "company"}, entry_days=frozenset({WEEK2}), entries=1)
    report = check(START, END, "HE", "daily", [complete_week(WEEK1), week2], today)
    assert report.weeks_checked == 2  # week 3 is in the future
    assert codes(report, "gaps") == [("day_gap", WEEK2, D(2026, 10, 13)), ("day_gap", WEEK2, D(2026, 10, 14))]
    assert codes(report, "missing") == [("never_submitted", WEEK2, None)]


def test_a_contract_that_has_not_begun_is_complete_and_one_that_ended_is_checked_to_its_end():
    assert check(D(2027, 8, 1), D(2030, 7, 31), "HE", "daily", [], D(2026, 11, 25)).complete
    ended = check(START, D(2026, 10, 14), "HE", "daily", [complete_week(WEEK1), complete_week(WEEK2)], D(2027, 3, 1))
    assert ended.until == D(2026, 10, 14) and ended.weeks_checked == 2
    # Thursday and Friday of week 2 lie after the contract's end: no gap although there is no status.
    week2 = StoredWeek(**{**_fields(complete_week(WEEK2)), "statuses": {d: "company" for d in days(WEEK2, 3)}, "entry_days": frozenset(days(WEEK2, 3))})
    assert check(START, D(2026, 10, 14), "HE", "daily", [complete_week(WEEK1), week2], D(2027, 3, 1)).complete


def test_the_calendars_proposals_count_only_where_the_week_can_still_be_changed():
    today = D(2026, 10, 11)
    empty = StoredWeek(WEEK1, "returned", ever_submitted=True, entry_days=frozenset(days(WEEK1)), entries=5)
    proposed = {D(2026, 10, 6): "school"}
    report = check(START, END, "HE", "daily", [empty], today, proposed)
    assert codes(report, "school_topics") == [("school_day", WEEK1, D(2026, 10, 6))]
    # An approved week shows what was stored at submit: a later calendar change is not its problem.
    approved = complete_week(WEEK1)
    assert check(START, END, "HE", "daily", [approved], today, proposed).complete


def test_weekly_mode_checks_the_week_as_a_whole():
    today = D(2026, 10, 25)
    empty = StoredWeek(WEEK1, "approved", ever_submitted=True, statuses={d: "company" for d in days(WEEK1)})
    vacation = StoredWeek(WEEK2, "approved", ever_submitted=True, statuses={d: "vacation" for d in days(WEEK2)})
    school = StoredWeek(WEEK3, "approved", ever_submitted=True, statuses={**{d: "company" for d in days(WEEK3)}, D(2026, 10, 20): "school"}, entries=4)
    report = check(START, END, "HE", "weekly", [empty, vacation, school], today)
    assert codes(report, "gaps") == [("week_empty", WEEK1, None)]
    assert codes(report, "school_topics") == [("school_week", WEEK3, None)]
    assert report.total == 2
