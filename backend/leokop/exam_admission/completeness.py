"""The completeness check before exam admission (L14): what must be fixed before the log goes to the
chamber, grouped into missing weeks, weeks not approved, school days without school topics and
gaps in the calendar.

Pure: plain dates and rows in, codes out (the German labels live in the template), so every rule
is tested with plain dates. Nothing after today (or after the contract's end, if that is earlier)
is a problem: a future week cannot be written yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import msgspec

from leokop.logbook import calendar

# The groups in the order the page lists them; each problem belongs to exactly one.
GROUPS: tuple[str, ...] = ("missing", "not_approved", "school_topics", "gaps")
# The states in which the apprentice can still change a week: there the calendar's proposals
# (school day, planned vacation) count as the day's status, as on the week page.
EDITABLE_STATES = ("draft", "returned")


class StoredWeek(msgspec.Struct, frozen=True):
    """What the check reads of one stored weekly sheet."""

    monday: dt.date
    state: str  # draft | submitted | returned | approved
    ever_submitted: bool  # a draft that was submitted before was reopened, not forgotten
    statuses: Mapping[dt.date, str] = {}  # stored day statuses
    entry_days: frozenset[dt.date] = frozenset()  # dates with at least one entry (daily mode)
    school_entry_days: frozenset[dt.date] = frozenset()  # dates with a Berufsschule entry
    entries: int = 0  # all entries of the week, dated or not
    school_entries: int = 0


class Problem(msgspec.Struct, frozen=True):
    """One thing to fix, with the week it belongs to (number, ISO week and dates) and, for a day's
    problem, the date."""

    code: str
    monday: dt.date
    number: int
    iso_year: int
    iso_week: int
    day: dt.date | None = None

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)


class Group(msgspec.Struct, frozen=True):
    code: str
    problems: list[Problem]


class Report(msgspec.Struct, frozen=True):
    groups: list[Group]  # all four, in GROUPS order, empty ones included
    until: dt.date  # the last day checked
    weeks_checked: int

    @property
    def total(self) -> int:
        return sum(len(group.problems) for group in self.groups)

    @property
    def complete(self) -> bool:
        return self.total == 0

    def group(self, code: str) -> Group:
        return next(group for group in self.groups if group.code == code)


def _problem(code: str, info: calendar.WeekInfo, day: dt.date | None = None) -> Problem:
    return Problem(code, info.monday, info.number, info.iso_year, info.iso_week, day)


def _state_problem(stored: StoredWeek | None) -> tuple[str, str] | None:
    """(group, code) of a week's state, None for an approved week."""
    if stored is None:
        return "missing", "no_sheet"
    if stored.state == "draft" and not stored.ever_submitted:
        return "missing", "never_submitted"
    if stored.state == "approved":
        return None
    if stored.state == "draft":
        return "not_approved", "reopened"
    return "not_approved", stored.state  # submitted | returned


def check(
    contract_start: dt.date,
    contract_end: dt.date,
    state: str,
    log_mode: str,
    weeks: Iterable[StoredWeek],
    today: dt.date,
    proposed: Mapping[dt.date, str] | None = None,
) -> Report:
    """The report for one contract in Bundesland `state`. `proposed` are the calendar's statuses
    (school_calendar.day_defaults), used only for weeks the apprentice can still change, where the
    week page shows them too; a stored status always wins."""
    proposed = proposed or {}
    until = min(today, contract_end)
    stored = {week.monday: week for week in weeks}
    found: dict[str, list[Problem]] = {code: [] for code in GROUPS}
    mondays = [m for m in calendar.contract_weeks(contract_start, contract_end) if m <= until] if until >= contract_start else []
    for monday in mondays:
        info = calendar.week_info(contract_start, contract_end, monday, state)
        week = stored.get(monday)
        state_problem = _state_problem(week)
        if state_problem:
            found[state_problem[0]].append(_problem(state_problem[1], info))
        if week is None:
            continue
        use_proposed = week.state in EDITABLE_STATES
        working_days = [d.date for d in info.days if d.is_working_day and d.date <= until]
        statuses = {
            day.date: week.statuses.get(day.date) or (proposed.get(day.date) if use_proposed else None)
            for day in info.days
            if day.in_contract and day.date <= until
        }
        if log_mode == "daily":
            for day, status in statuses.items():
                if status == "school" and day not in week.school_entry_days:
                    found["school_topics"].append(_problem("school_day", info, day))
            for day in working_days:
                if statuses.get(day) is None and day not in week.entry_days:
                    found["gaps"].append(_problem("day_gap", info, day))
        else:
            if "school" in statuses.values() and not week.school_entries:
                found["school_topics"].append(_problem("school_week", info))
            learning = [day for day in working_days if statuses.get(day) not in calendar.ABSENCE_STATUSES]
            if learning and not week.entries:
                found["gaps"].append(_problem("week_empty", info))
    for problems in found.values():
        problems.sort(key=lambda p: (p.monday, p.day or p.monday))
    return Report(groups=[Group(code, found[code]) for code in GROUPS], until=until, weeks_checked=len(mondays))
