"""Data shapes of the school calendar: forms, the calendar views and the JSON API bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

PeriodKind = Literal["weekly", "block"]
PlanKind = Literal["vacation", "inter_company"]
Label = Annotated[str, Meta(max_length=120)]
Weekday = Annotated[int, Meta(ge=1, le=6)]


class PeriodForm(msgspec.Struct):
    """A school period as the class page's form sends it (and the API takes it)."""

    kind: PeriodKind
    start_date: dt.date
    end_date: dt.date
    weekdays: list[Weekday] = []  # weekly only; a block is every working day
    label: Label = ""


class PlanItemForm(msgspec.Struct):
    kind: PlanKind
    start_date: dt.date
    end_date: dt.date
    label: Label = ""


class ImportConfirmForm(msgspec.Struct):
    """The preview's hidden fields: the file's content (base64) and its HMAC (see service.sign_import)."""

    content: Annotated[str, Meta(max_length=1_000_000)]
    signature: Annotated[str, Meta(max_length=128)]


class PeriodView(msgspec.Struct, frozen=True):
    id: int
    kind: PeriodKind
    start_date: dt.date
    end_date: dt.date
    weekdays: str  # ISO weekday digits
    label: str
    source: str  # form | ical | csv


class PlanItemView(msgspec.Struct, frozen=True):
    id: int
    kind: PlanKind
    start_date: dt.date
    end_date: dt.date
    label: str


class CalendarDay(msgspec.Struct, frozen=True):
    """One date of a month view: what the calendar says and (for an apprentice) what the log says."""

    date: dt.date
    in_month: bool
    holiday: str | None  # public holiday (Feiertag)
    school_holiday: str | None  # Schulferien
    school: bool  # a school day of the class
    school_label: str
    plan: PlanKind | None  # the company's plan
    plan_label: str
    expected: str | None  # the status the calendar gives: school, vacation, inter_company, holiday, company
    logged: str | None  # the status the apprentice stored, when it differs from `expected`


class Correction(msgspec.Struct, frozen=True):
    """A calendar school day on which an apprentice stored another status (shown to teachers)."""

    contract_id: int
    apprentice_name: str
    date: dt.date
    status: str


class ClassCalendarView(msgspec.Struct, frozen=True):
    class_id: int
    class_name: str
    state: str
    month: dt.date  # first day of the month shown
    days: list[CalendarDay]  # whole weeks, Monday first
    periods: list[PeriodView]
    next_school_days: list[dt.date]
    corrections: list[Correction]
    may_manage: bool


class ContractCalendarView(msgspec.Struct, frozen=True):
    contract_id: int
    apprentice_name: str
    class_name: str | None
    month: dt.date
    days: list[CalendarDay]
    plan_items: list[PlanItemView]
    may_plan: bool


class SchoolDaysOut(msgspec.Struct, frozen=True):
    start: dt.date
    end: dt.date
    dates: list[dt.date]


class ImportRow(msgspec.Struct, frozen=True):
    line: int
    kind: PeriodKind
    start_date: dt.date
    end_date: dt.date
    weekdays: str
    label: str
    duplicate: bool  # the class has exactly this period already


class ImportProblem(msgspec.Struct, frozen=True):
    line: int  # 0 = the file as a whole
    message: str


class ImportPreview(msgspec.Struct, frozen=True):
    filename: str
    source: str
    rows: list[ImportRow]
    problems: list[ImportProblem]
    new: int  # rows that "Übernehmen" would store
    content: str  # base64 of the file, carried to the confirm step with its signature
    signature: str
