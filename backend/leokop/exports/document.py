"""What goes into a PDF of the log: the cover facts, every weekly sheet and the approval log, loaded
in a fixed number of queries however long the log is, and nothing else (the renderer never queries)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec

from leokop.contracts.tables import Contract, ContractStaff
from leokop.logbook import calendar
from leokop.logbook.tables import Attachment, Day, Entry, Week
from leokop.signing import content as signed_content
from leokop.signing.tables import Signature


class Cover(msgspec.Struct, frozen=True):
    apprentice: str
    birth_date: dt.date | None
    company: str
    company_city: str
    chamber: str
    occupation: str
    regulation: str
    start_date: dt.date
    end_date: dt.date
    log_form: str
    log_mode: str
    daily_minutes: int
    trainers: tuple[str, ...]
    instructors: tuple[str, ...]
    school: str
    school_class: str
    first_monday: dt.date
    last_monday: dt.date
    exported_at: dt.datetime


class SheetDay(msgspec.Struct, frozen=True):
    date: dt.date
    status: str | None  # None: not filled in
    note: str
    holiday: str | None


class SheetEntry(msgspec.Struct, frozen=True):
    day: dt.date | None  # None in the weekly mode
    category: str
    text: str
    minutes: int


class SheetSignature(msgspec.Struct, frozen=True):
    kind: str  # approval | cosign | acknowledgement
    signer: str
    role: str
    on_behalf_of: str
    signed_at: dt.datetime
    fingerprint: str


class Sheet(msgspec.Struct, frozen=True):
    """One weekly sheet (L3): number counted from the contract start by calendar week."""

    monday: dt.date
    number: int
    iso_week: int
    iso_year: int
    training_year: int
    first_day: dt.date  # the contract may start or end inside the week
    last_day: dt.date
    state: str  # missing | draft | submitted | returned | approved
    days: tuple[SheetDay, ...]
    entries: tuple[SheetEntry, ...]
    attachments: tuple[str, ...]
    signatures: tuple[SheetSignature, ...]  # valid ones at export time
    content_hash: str


class LogEvent(msgspec.Struct, frozen=True):
    """One line of the approval log at the end: every signature, also the ones a reopen voided."""

    number: int
    monday: dt.date
    kind: str
    signer: str
    role: str
    on_behalf_of: str
    signed_at: dt.datetime
    fingerprint: str
    voided_at: dt.datetime | None


class LogDocument(msgspec.Struct, frozen=True):
    contract_id: int
    cover: Cover
    sheets: tuple[Sheet, ...]
    approval_log: tuple[LogEvent, ...]


class NothingToExport(ValueError):
    """The range has no week inside the contract."""


def _shown_days(monday: dt.date, first_day: dt.date, last_day: dt.date, recorded: set[dt.date]):
    """Monday to Friday, plus a weekend day only where something was recorded on it; clipped to the contract."""
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        if first_day <= day <= last_day and (offset < 5 or day in recorded):
            yield day


async def load_document(
    contract_id: int, first_monday: dt.date | None, last_monday: dt.date | None, exported_at: dt.datetime
) -> LogDocument:
    """The contract's log from `first_monday` to `last_monday` (None: from the start / to the end).
    Seven queries. The caller has checked that the person may export this contract."""
    c = Contract
    contract = await c.select(
        c.apprentice.display_name.as_alias("apprentice"),
        c.apprentice.birth_date.as_alias("birth_date"),
        c.company.name.as_alias("company"),
        c.company.city.as_alias("company_city"),
        c.company.state.as_alias("state"),
        c.company.chamber_name.as_alias("chamber"),
        c.occupation.name_neutral.as_alias("occupation"),
        c.occupation.regulation.as_alias("regulation"),
        c.start_date,
        c.end_date,
        c.log_form,
        c.log_mode,
        c.daily_minutes,
        c.school.name.as_alias("school"),
        c.school_class.name.as_alias("school_class"),
    ).where(c.id == contract_id).first()
    if contract is None:
        raise NothingToExport()
    mondays = [
        m
        for m in calendar.contract_weeks(contract["start_date"], contract["end_date"])
        if (first_monday is None or m >= first_monday) and (last_monday is None or m <= last_monday)
    ]
    if not mondays:
        raise NothingToExport()
    staff = await ContractStaff.select(ContractStaff.user.display_name.as_alias("name"), ContractStaff.kind).where(
        ContractStaff.contract == contract_id
    ).order_by(ContractStaff.id)
    weeks = {
        row["monday"]: row
        for row in await Week.select(Week.id, Week.monday, Week.state).where(
            Week.contract == contract_id, Week.monday >= mondays[0], Week.monday <= mondays[-1]
        )
    }
    in_range = (Week.contract == contract_id) & (Week.monday >= mondays[0]) & (Week.monday <= mondays[-1])
    days: dict[int, list] = defaultdict(list)
    for row in await Day.select(Day.week, Day.date, Day.status, Day.note).where(
        Day.week.is_in(Week.select(Week.id).where(in_range))
    ):
        days[row["week"]].append(row)
    entries: dict[int, list] = defaultdict(list)
    for row in await Entry.select(
        Entry.week, Entry.id, Entry.day, Entry.position, Entry.category, Entry.text, Entry.minutes
    ).where(Entry.week.is_in(Week.select(Week.id).where(in_range))):
        entries[row["week"]].append(row)
    files: dict[int, list] = defaultdict(list)
    for row in await Attachment.select(Attachment.week, Attachment.sha256, Attachment.filename).where(
        Attachment.week.is_in(Week.select(Week.id).where(in_range))
    ):
        files[row["week"]].append(row)
    signatures = await Signature.select(
        Signature.week.monday.as_alias("monday"),
        Signature.kind,
        Signature.signer_name,
        Signature.signer_role,
        Signature.on_behalf_name,
        Signature.signed_at,
        Signature.content_hash,
        Signature.voided_at,
    ).where(Signature.contract == contract_id, Signature.signed_at <= exported_at).order_by(Signature.signed_at).order_by(
        Signature.id
    )

    valid: dict[dt.date, list[SheetSignature]] = defaultdict(list)
    approval_log = []
    start = contract["start_date"]
    for row in signatures:
        fingerprint = signed_content.fingerprint(row["content_hash"])
        voided_at = row["voided_at"] if row["voided_at"] and row["voided_at"] <= exported_at else None
        if mondays[0] <= row["monday"] <= mondays[-1]:
            if voided_at is None:
                valid[row["monday"]].append(
                    SheetSignature(row["kind"], row["signer_name"], row["signer_role"], row["on_behalf_name"], row["signed_at"], fingerprint)
                )
            approval_log.append(
                LogEvent(
                    calendar.sheet_number(start, row["monday"]),
                    row["monday"],
                    row["kind"],
                    row["signer_name"],
                    row["signer_role"],
                    row["on_behalf_name"],
                    row["signed_at"],
                    fingerprint,
                    voided_at,
                )
            )

    sheets = []
    for monday in mondays:
        stored = weeks.get(monday)
        week_id = stored["id"] if stored else None
        first_day = max(monday, contract["start_date"])
        last_day = min(monday + dt.timedelta(days=6), contract["end_date"])
        day_rows = {row["date"]: row for row in days.get(week_id, [])}
        entry_rows = sorted(entries.get(week_id, []), key=lambda e: (e["day"] or dt.date.min, e["position"], e["id"]))
        recorded = set(day_rows) | {e["day"] for e in entry_rows if e["day"]}
        sheet_days = tuple(
            SheetDay(
                day,
                day_rows[day]["status"] if day in day_rows else None,
                day_rows[day]["note"] if day in day_rows else "",
                calendar.holiday_name(contract["state"], day),
            )
            for day in _shown_days(monday, first_day, last_day, recorded)
        )
        # The sheet's period: Monday to Friday (Saturday, Sunday where something was recorded on them).
        period = (sheet_days[0].date, sheet_days[-1].date) if sheet_days else (first_day, min(monday + dt.timedelta(days=4), last_day))
        iso = monday.isocalendar()
        sheets.append(
            Sheet(
                monday=monday,
                number=calendar.sheet_number(start, monday),
                iso_week=iso[1],
                iso_year=iso[0],
                training_year=calendar.training_year(start, first_day),
                first_day=period[0],
                last_day=period[1],
                state=stored["state"] if stored else "missing",
                days=sheet_days,
                entries=tuple(SheetEntry(e["day"], e["category"], e["text"], e["minutes"]) for e in entry_rows),
                attachments=tuple(f["filename"] for f in sorted(files.get(week_id, []), key=lambda f: f["filename"])),
                signatures=tuple(valid.get(monday, [])),
                content_hash=signed_content.digest(
                    signed_content.week_content(contract_id, monday, days.get(week_id, []), entries.get(week_id, []), files.get(week_id, []))
                ),
            )
        )

    cover = Cover(
        apprentice=contract["apprentice"],
        birth_date=contract["birth_date"],
        company=contract["company"],
        company_city=contract["company_city"],
        chamber=contract["chamber"],
        occupation=contract["occupation"],
        regulation=contract["regulation"],
        start_date=contract["start_date"],
        end_date=contract["end_date"],
        log_form=contract["log_form"],
        log_mode=contract["log_mode"],
        daily_minutes=contract["daily_minutes"],
        trainers=tuple(s["name"] for s in staff if s["kind"] == "trainer"),
        instructors=tuple(s["name"] for s in staff if s["kind"] == "instructor"),
        school=contract["school"] or "",
        school_class=contract["school_class"] or "",
        first_monday=mondays[0],
        last_monday=mondays[-1],
        exported_at=exported_at,
    )
    return LogDocument(contract_id, cover, tuple(sheets), tuple(approval_log))
