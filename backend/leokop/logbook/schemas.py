"""Data shapes of the logbook: forms, the week page's view model and the JSON API bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Category = Literal["company", "instruction", "school", "inter_company"]
Status = Literal["company", "school", "inter_company", "vacation", "sick", "holiday", "time_off", "other_absence"]
WeekState = Literal["draft", "submitted", "returned", "approved"]
EntryText = Annotated[str, Meta(max_length=4000)]


class EntryForm(msgspec.Struct):
    """An entry as the page sends it; `duration` is what the user typed ("1:30", "2", "0,5")."""

    category: Category
    text: EntryText
    duration: Annotated[str, Meta(max_length=40)]  # long enough that a typed sentence gets the duration message
    day: dt.date | None = None
    version: int | None = None
    client_id: Annotated[str, Meta(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] | None = None  # offline replays


class DayStatusForm(msgspec.Struct):
    status: Status | None = None
    note: Annotated[str, Meta(max_length=200)] = ""
    version: int | None = None


class WeekStatusForm(msgspec.Struct):
    """Set every working day of the week at once (school block, vacation)."""

    status: Status
    note: Annotated[str, Meta(max_length=200)] = ""


class PhraseForm(msgspec.Struct):
    text: Annotated[str, Meta(min_length=1, max_length=500)]


class EntryView(msgspec.Struct, frozen=True):
    id: int
    day: dt.date | None
    position: int
    category: Category
    text: str
    minutes: int
    version: int
    origin: Literal["", "school"] = ""  # "school": prefilled from the class's lesson topics


class DayView(msgspec.Struct, frozen=True):
    date: dt.date
    in_contract: bool
    is_working_day: bool
    holiday_name: str | None
    status: str | None
    status_is_default: bool
    note: str
    version: int | None
    entries: list[EntryView]
    total_minutes: int
    deviates: bool
    over_limit: bool


class AttachmentView(msgspec.Struct, frozen=True):
    id: int
    entry_id: int | None
    filename: str
    content_type: str
    size: int
    has_thumbnail: bool
    sha256: str


class WeekView(msgspec.Struct, frozen=True):
    """Everything the week page shows, fetched in a constant number of queries."""

    contract_id: int
    week_id: int | None  # None until the first save creates the sheet
    apprentice_id: int
    company_id: int
    apprentice_name: str
    company_name: str
    occupation_name: str
    log_mode: Literal["daily", "weekly"]
    daily_minutes: int
    monday: dt.date
    sunday: dt.date
    iso_week: int
    iso_year: int
    number: int
    training_year: int
    state: WeekState | Literal["missing"]
    return_reason: str
    days: list[DayView]
    week_entries: list[EntryView]  # weekly mode: entries without a day
    total_minutes: int
    editable: bool
    previous_monday: dt.date | None
    next_monday: dt.date | None
    problems: list[tuple[str, dt.date | None]]
    attachments: list[AttachmentView]


class GapWeek(msgspec.Struct, frozen=True):
    monday: dt.date
    number: int
    iso_week: int
    state: str  # missing | draft | submitted | returned | approved | future
    training_year: int


# --- JSON API ------------------------------------------------------------------------------------


class EntryIn(msgspec.Struct):
    """POST/PUT body for an entry; `version` is required for updates (the version you last read)."""

    category: Category
    text: Annotated[str, Meta(min_length=1, max_length=4000)]
    minutes: Annotated[int, Meta(gt=0, le=720)]
    day: dt.date | None = None
    version: int | None = None
    # Any id the client made up for this new entry (e.g. a UUID): sending the same add twice (offline
    # replay, double tap) stores it once and answers with the stored entry.
    client_id: Annotated[str, Meta(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")] | None = None


class WeekSummaryOut(msgspec.Struct, frozen=True):
    monday: dt.date
    number: int
    iso_week: int
    training_year: int
    state: str


class WeekOut(msgspec.Struct, frozen=True):
    contract_id: int
    monday: dt.date
    number: int
    iso_year: int
    iso_week: int
    training_year: int
    state: str
    return_reason: str
    total_minutes: int
    days: list[DayView]
    entries: list[EntryView]
