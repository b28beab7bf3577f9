"""Data shapes of contracts: the form, the list row and the detail view."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

LOG_FORMS = {"electronic": "elektronisch", "written": "schriftlich (Papier)"}
LOG_MODES = {"daily": "täglich", "weekly": "wöchentlich"}


class ContractForm(msgspec.Struct):
    apprentice_id: int
    occupation_id: int
    start_date: dt.date
    end_date: dt.date
    log_form: Literal["electronic", "written"]
    log_mode: Literal["daily", "weekly"]
    daily_hours: Annotated[str, Meta(max_length=10)]
    trainer_ids: list[int] = []
    instructor_ids: list[int] = []
    school_id: int | None = None


class ContractRow(msgspec.Struct, frozen=True):
    id: int
    apprentice_name: str
    occupation_name: str
    start_date: dt.date
    end_date: dt.date
    school_class_name: str | None


class StaffMember(msgspec.Struct, frozen=True):
    user_id: int
    name: str
    email: str
    kind: str


class ContractView(msgspec.Struct, frozen=True):
    id: int
    apprentice_id: int
    apprentice_name: str
    apprentice_email: str
    company_name: str
    occupation_id: int
    occupation_name: str
    start_date: dt.date
    end_date: dt.date
    log_form: str
    log_mode: str
    daily_minutes: int
    school_id: int | None
    school_name: str | None
    school_class_name: str | None
    staff: list[StaffMember]
    absence_basis: str = ""  # on what the company sees the school's absences (absences feature)
    share_sick_days: bool = False
    apprentice_minor: bool = False

    @property
    def trainer_ids(self) -> list[int]:
        return [s.user_id for s in self.staff if s.kind == "trainer"]

    @property
    def instructor_ids(self) -> list[int]:
        return [s.user_id for s in self.staff if s.kind == "instructor"]
