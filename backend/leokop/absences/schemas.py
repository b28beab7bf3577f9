"""Data shapes of absences: forms, API bodies, and the views of one absence, a contract, a class and a company."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Note = Annotated[str, Meta(max_length=300)]
Lesson = Annotated[int, Meta(ge=1, le=12)]
Decision = Literal["excused", "unexcused"]
Reason = Literal["", "sick", "company_assignment"]


# --- input ---------------------------------------------------------------------------------------


class AbsenceIn(msgspec.Struct):
    """An absence as the school records or corrects it (API body; the forms are converted to it)."""

    date: dt.date
    whole_day: bool = True
    first_lesson: Lesson | None = None  # lessons from … to …, when not the whole day
    last_lesson: Lesson | None = None
    note: Note = ""


class AbsenceForm(msgspec.Struct):
    """The record and correction form: the whole day, or lessons from–to (checked by the service)."""

    date: dt.date
    scope: Literal["day", "lessons"] = "day"
    first_lesson: int | None = None
    last_lesson: int | None = None
    note: Note = ""

    def to_input(self) -> AbsenceIn:
        whole_day = self.scope == "day"
        return AbsenceIn(
            date=self.date,
            whole_day=whole_day,
            first_lesson=None if whole_day else self.first_lesson,
            last_lesson=None if whole_day else self.last_lesson,
            note=self.note,
        )


class CorrectionForm(AbsenceForm):
    version: int = 0  # the version the page showed; none at all can only be a conflict


class ApprenticeChoice(msgspec.Struct):
    """Which apprentice of the class the record form is for."""

    contract_id: int


class VersionForm(msgspec.Struct):
    version: int


class ResponseForm(msgspec.Struct):
    """The company's answer: a reason, and with the button "Entschuldigung anfordern" the request."""

    version: int
    reason: Reason = ""
    note: Note = ""
    intent: Literal["reason", "request"] = "reason"


class BasisForm(msgspec.Struct):
    """"none" stands for "not recorded" (""): an empty form must not clear the basis by accident."""

    absence_basis: Literal["none", "consent", "contract"]


class SickDaysForm(msgspec.Struct):
    share: Literal["1", "0"]


class DecisionIn(msgspec.Struct):
    """The teacher's decision (form and API body)."""

    decision: Decision
    version: int
    comment: Note = ""


class ResponseIn(msgspec.Struct):
    version: int
    reason: Reason = ""
    note: Note = ""
    request_excuse: bool = False


# --- views ---------------------------------------------------------------------------------------


class AbsenceEventView(msgspec.Struct, frozen=True):
    action: str  # recorded | corrected | reason_reported | excuse_requested | excused | unexcused
    actor_name: str
    at: dt.datetime
    details: dict  # reason, note, comment, before (what a correction changed)


class AbsenceView(msgspec.Struct, frozen=True):
    id: int
    contract_id: int
    apprentice_name: str
    date: dt.date
    whole_day: bool
    first_lesson: int | None
    last_lesson: int | None
    note: str
    status: str  # open | excuse_requested | excused | unexcused
    company_reason: str  # "" | sick | company_assignment
    company_note: str
    recorded_by_name: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    actions: list[str] = []  # what the reader may do now (absences.rules)
    history: list[AbsenceEventView] = []

    @property
    def lessons(self) -> int:
        """How many lessons were missed (0 for a whole day)."""
        return 0 if self.whole_day else (self.last_lesson or 0) - (self.first_lesson or 0) + 1


class MonthRow(msgspec.Struct, frozen=True):
    """One apprentice's absences in one month, counted."""

    contract_id: int
    apprentice_name: str
    whole_days: int = 0
    lessons: int = 0
    undecided: int = 0  # open or excuse requested
    excused: int = 0
    unexcused: int = 0
    sick_days: int = 0  # "krank" in the log, shared with the school


class SickDay(msgspec.Struct, frozen=True):
    """A day the log says "krank", shown to the school because the contract shares sick days."""

    contract_id: int
    apprentice_name: str
    date: dt.date


class MonthView(msgspec.Struct, frozen=True):
    """A class's (teacher) or a company's (trainer) absences of one month."""

    month: dt.date  # its first day
    rows: list[MonthRow]
    absences: list[AbsenceView]
    sick_days: list[SickDay]
    # Company side: the contracts it answers for whose absences it may not see (no basis recorded).
    without_basis: list[str] = []


class ContractAbsences(msgspec.Struct, frozen=True):
    """All absences of one apprentice's contract, newest first, with their histories."""

    contract_id: int
    apprentice_name: str
    school_class_id: int | None
    school_class_name: str | None
    start_date: dt.date
    end_date: dt.date
    absence_basis: str
    share_sick_days: bool
    absences: list[AbsenceView]
    sick_days: list[dt.date]
    may_record: bool


class ClassChoice(msgspec.Struct, frozen=True):
    """A class on the school's absence start page, with what waits for a teacher."""

    id: int
    name: str
    excuse_requested: int
