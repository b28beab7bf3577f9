"""Rules of absences: who sees which apprentice's absences, recording and correcting them (school),
reasons and excuse requests (company), decisions (teacher), each change as an event with who and
when plus a record in the contract's audit chain; sick days shared from the log; the overviews."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import msgspec
from piccolo.query.functions.aggregate import Count

from leokop.absences import rules
from leokop.absences.rules import Action, Relation
from leokop.absences.schemas import (
    AbsenceEventView,
    AbsenceIn,
    AbsenceView,
    ClassChoice,
    ContractAbsences,
    MonthRow,
    MonthView,
    SickDay,
)
from leokop.absences.tables import Absence, AbsenceEvent
from leokop.accounts.schemas import CurrentUser, Role
from leokop.accounts.tables import Guardianship
from leokop.audit import service as audit
from leokop.contracts import service as contracts
from leokop.contracts.tables import Contract, ContractStaff
from leokop.errors import Forbidden, NotFound, StateConflict, ValidationFailed
from leokop.logbook.tables import Day
from leokop.notifications.service import Notice, notify_many
from leokop.organisations.tables import ClassTeacher, SchoolClass
from leokop.timeutil import today_berlin, utcnow

MAX_NOTE = 300
LESSONS = range(1, 13)
COMPANY_ROLES = (Role.company_admin, Role.trainer, Role.instructor)
BASES = ("", "consent", "contract")
REASONS = ("", "sick", "company_assignment")


# --- who sees what -------------------------------------------------------------------------------


def company_contracts(user: CurrentUser):
    """The contracts a company person answers for: all of the company for its admin, else those
    naming them as trainer or instructor. None for everyone else."""
    if user.role not in COMPANY_ROLES or user.company_id is None:
        return None
    own = Contract.company == user.company_id
    if user.role is Role.company_admin:
        return own
    return own & Contract.id.is_in(ContractStaff.select(ContractStaff.contract).where(ContractStaff.user == user.id))


def visible_contracts(user: CurrentUser):
    """The contracts whose absences this user sees; None = none at all.

    Unlike reading the log (contracts.service.visible_contracts), recording attendance needs no
    consent: it is the school's own data, so teachers see the classes they teach and the school's
    administration every class of the school. The company sees them only where the contract records
    a basis for it (the apprentice's or guardians' consent, or a clause of the contract)."""
    if user.role is Role.teacher:
        return Contract.school_class.is_in(ClassTeacher.select(ClassTeacher.school_class).where(ClassTeacher.teacher == user.id))
    if user.role is Role.school_admin and user.school_id is not None:
        # A contract's class is always one of its school's (changing the school clears the class).
        return (Contract.school == user.school_id) & Contract.school_class.is_not_null()
    if user.role in COMPANY_ROLES:
        own = company_contracts(user)
        return None if own is None else own & (Contract.absence_basis != "")
    if user.role in (Role.apprentice, Role.guardian):
        return contracts.visible_contracts(user)
    return None


RELATIONS = {
    Role.teacher: Relation.class_teacher,
    Role.school_admin: Relation.school_admin,
    Role.company_admin: Relation.company,
    Role.trainer: Relation.company,
    Role.instructor: Relation.company,
    Role.apprentice: Relation.apprentice,
    Role.guardian: Relation.guardian,
}


def relation_of(user: CurrentUser) -> Relation | None:
    """Everyone who sees an absence at all stands to it by their role (visible_contracts made sure)."""
    return RELATIONS.get(user.role)


def _require(user: CurrentUser, status: str, action: Action) -> None:
    """Raise unless the rule allows it: Forbidden (403) if never for this person, else StateConflict (409)."""
    code = rules.refusal(relation_of(user), status, action)
    if code == "forbidden":
        raise Forbidden()
    if code is not None:
        raise StateConflict(code)


_CONTRACT_COLUMNS = (
    Contract.id,
    Contract.apprentice.display_name.as_alias("apprentice_name"),
    Contract.school_class.as_alias("school_class_id"),
    Contract.school_class.name.as_alias("school_class_name"),
    Contract.start_date,
    Contract.end_date,
    Contract.absence_basis,
    Contract.share_sick_days,
)


async def _contract(user: CurrentUser, contract_id: int) -> dict:
    condition = visible_contracts(user)
    if condition is None:
        raise NotFound()
    rows = await Contract.select(*_CONTRACT_COLUMNS).where(Contract.id == contract_id, condition)
    if not rows:
        raise NotFound()
    return rows[0]


_ABSENCE_COLUMNS = (
    Absence.id,
    Absence.contract.as_alias("contract_id"),
    Absence.contract.apprentice.display_name.as_alias("apprentice_name"),
    Absence.date,
    Absence.whole_day,
    Absence.first_lesson,
    Absence.last_lesson,
    Absence.note,
    Absence.status,
    Absence.company_reason,
    Absence.company_note,
    Absence.recorded_by.display_name.as_alias("recorded_by_name"),
    Absence.version,
    Absence.created_at,
    Absence.updated_at,
)


def _view(row: dict, user: CurrentUser | None = None, history: list[AbsenceEventView] | None = None) -> AbsenceView:
    actions = sorted(a.value for a in rules.allowed_actions(relation_of(user), row["status"])) if user else []
    fields = {name: row[name] for name in AbsenceView.__struct_fields__ if name in row}
    return AbsenceView(**{**fields, "recorded_by_name": row["recorded_by_name"] or "", "actions": actions, "history": history or []})


async def _absence_row(user: CurrentUser, absence_id: int) -> dict:
    """One absence the user may see, with its contract's facts; NotFound otherwise. One query."""
    condition = visible_contracts(user)
    if condition is None:
        raise NotFound()
    rows = await Absence.select(
        *_ABSENCE_COLUMNS,
        Absence.contract.apprentice.as_alias("apprentice_id"),
        Absence.contract.apprentice.birth_date.as_alias("birth_date"),
        Absence.contract.school_class.as_alias("school_class_id"),
        Absence.contract.start_date.as_alias("start_date"),
        Absence.contract.end_date.as_alias("end_date"),
    ).where(Absence.id == absence_id, Absence.contract.is_in(Contract.select(Contract.id).where(condition)))
    if not rows:
        raise NotFound()
    return rows[0]


def _history(rows: list[dict]) -> dict[int, list[AbsenceEventView]]:
    result: dict[int, list[AbsenceEventView]] = defaultdict(list)
    for r in rows:
        result[r["absence"]].append(
            AbsenceEventView(action=r["action"], actor_name=r["actor_name"], at=r["created_at"], details=_details(r["details"]))
        )
    return result


def _details(text: str) -> dict:
    try:
        value = msgspec.json.decode(text or "{}")
    except msgspec.DecodeError:
        return {}
    return value if isinstance(value, dict) else {}


_EVENT_COLUMNS = (AbsenceEvent.absence, AbsenceEvent.action, AbsenceEvent.actor_name, AbsenceEvent.created_at, AbsenceEvent.details)


async def absence(user: CurrentUser, absence_id: int) -> AbsenceView:
    """One absence with its history and what the user may do now. Two queries."""
    row = await _absence_row(user, absence_id)
    events = await AbsenceEvent.select(*_EVENT_COLUMNS).where(AbsenceEvent.absence == absence_id).order_by(AbsenceEvent.id)
    return _view(row, user, _history(events)[absence_id])


# --- checking what the school types --------------------------------------------------------------


def _checked(contract: dict, data: AbsenceIn) -> AbsenceIn:
    """The absence cleaned up, or ValidationFailed with a code per field (all at once)."""
    errors: dict[str, str] = {}
    if not contract["start_date"] <= data.date <= contract["end_date"]:
        errors["date"] = "absence_outside_contract"
    elif data.date > today_berlin():
        errors["date"] = "absence_in_future"
    first, last = data.first_lesson, data.last_lesson
    if not data.whole_day:
        if first is None:
            errors["first_lesson"] = "lesson_required"
        elif first not in LESSONS:
            errors["first_lesson"] = "lesson_range"
        if last is None:
            errors["last_lesson"] = "lesson_required"
        elif last not in LESSONS:
            errors["last_lesson"] = "lesson_range"
        elif first in LESSONS and last < first:
            errors["last_lesson"] = "lesson_order"
    note = data.note.replace("\x00", "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = "too_long"
    if errors:
        raise ValidationFailed(errors, max_length=MAX_NOTE)
    return AbsenceIn(
        date=data.date,
        whole_day=data.whole_day,
        first_lesson=None if data.whole_day else first,
        last_lesson=None if data.whole_day else last,
        note=note,
    )


def _overlaps(a: AbsenceIn, b: dict) -> bool:
    if a.whole_day or b["whole_day"]:
        return True
    return a.first_lesson <= b["last_lesson"] and b["first_lesson"] <= a.last_lesson


async def _refuse_overlap(contract_id: int, data: AbsenceIn, except_id: int | None = None) -> None:
    """One absence per lesson: a second record of the same day (a double submit, two teachers at
    once) is refused. Called after the contract is locked, so two requests cannot both pass."""
    query = Absence.select(Absence.id, Absence.whole_day, Absence.first_lesson, Absence.last_lesson).where(
        Absence.contract == contract_id, Absence.date == data.date
    )
    if any(r["id"] != except_id and _overlaps(data, r) for r in await query):
        raise ValidationFailed({"date": "absence_overlap"})


async def _lock(contract_id: int) -> None:
    """Serialise writers of one contract's absences on PostgreSQL (SQLite's write transactions are
    serial already); the audit chain takes the same lock."""
    if Absence._meta.db.engine_type == "postgres":
        await Contract.raw("SELECT id FROM contract WHERE id = {} FOR UPDATE", contract_id)


def _scope(data: dict) -> dict:
    """What was recorded, as the history and the audit trail keep it."""
    return {"date": data["date"].isoformat(), **{name: data[name] for name in ("whole_day", "first_lesson", "last_lesson", "note")}}


async def _event(user: CurrentUser, absence_id: int, contract_id: int, action: str, details: dict) -> None:
    """The history line everyone who sees the absence reads, and the same fact in the audit chain."""
    await AbsenceEvent.insert(
        AbsenceEvent(
            absence=absence_id,
            actor=user.id,
            actor_name=user.display_name,
            action=action,
            details=msgspec.json.encode(details).decode(),
            created_at=utcnow(),
        )
    )
    await audit.append(contract_id, user, f"absence.{action}", f"absence:{absence_id}", details)


def _short_date(day: dt.date) -> str:
    return f"{day.day:02d}.{day.month:02d}."


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def _url(absence_id: int) -> str:
    return f"/fehlzeiten/{absence_id}"


# --- the school: record, correct, delete, decide --------------------------------------------------


async def record(user: CurrentUser, contract_id: int, data: AbsenceIn) -> int:
    """The school records an absence; the company staff named on the contract are told when the
    contract gives the company a basis to see it. Returns the new absence's id."""
    contract = await _contract(user, contract_id)
    if not rules.may_record(relation_of(user)):
        raise Forbidden()
    data = _checked(contract, data)
    await _lock(contract_id)
    await _refuse_overlap(contract_id, data)
    now = utcnow()
    rows = await Absence.insert(
        Absence(
            contract=contract_id,
            date=data.date,
            whole_day=data.whole_day,
            first_lesson=data.first_lesson,
            last_lesson=data.last_lesson,
            note=data.note,
            status="open",
            recorded_by=user.id,
            version=1,
            created_at=now,
            updated_at=now,
        )
    ).returning(Absence.id)
    absence_id = rows[0]["id"]
    await _event(user, absence_id, contract_id, "recorded", _scope(msgspec.structs.asdict(data)))
    if contract["absence_basis"]:
        staff = await ContractStaff.select(ContractStaff.user).where(ContractStaff.contract == contract_id)
        title = f"Fehlzeit von {_first_name(contract['apprentice_name'])} am {_short_date(data.date)}"
        await notify_many([Notice(person, "absence_recorded", title, _url(absence_id)) for person in dict.fromkeys(s["user"] for s in staff)])
    return absence_id


async def record_in_class(user: CurrentUser, class_id: int, contract_id: int, data: AbsenceIn) -> int:
    """Record from the class overview: the apprentice must be in that class (else NotFound)."""
    await school_class(user, class_id)
    if not await Contract.exists().where(Contract.id == contract_id, Contract.school_class == class_id):
        raise NotFound()
    return await record(user, contract_id, data)


async def _compare_and_set(row: dict, version: int, values: dict) -> None:
    """Write `values` only if nobody changed the absence since the page showed `version`."""
    if row["version"] != version:
        raise StateConflict("absence_changed_elsewhere")
    done = await Absence.update({**values, Absence.version: Absence.version + 1, Absence.updated_at: utcnow()}).where(
        Absence.id == row["id"], Absence.version == version
    ).returning(Absence.id)
    if not done:  # another request changed it between our read and this write (PostgreSQL)
        raise StateConflict("absence_changed_elsewhere")


async def correct(user: CurrentUser, absence_id: int, version: int, data: AbsenceIn) -> None:
    """The school corrects a mistaken record (date, lessons, note); the history keeps what it was."""
    row = await _absence_row(user, absence_id)
    _require(user, row["status"], Action.correct)
    data = _checked(row, data)
    await _lock(row["contract_id"])
    await _refuse_overlap(row["contract_id"], data, except_id=absence_id)
    await _compare_and_set(
        row,
        version,
        {
            Absence.date: data.date,
            Absence.whole_day: data.whole_day,
            Absence.first_lesson: data.first_lesson,
            Absence.last_lesson: data.last_lesson,
            Absence.note: data.note,
        },
    )
    await _event(user, absence_id, row["contract_id"], "corrected", {**_scope(msgspec.structs.asdict(data)), "before": _scope(row)})


async def delete(user: CurrentUser, absence_id: int, version: int) -> int:
    """The school deletes a record made by mistake. Its history goes with it; the audit chain keeps
    what was deleted, by whom and when. Returns the contract's id (where to go next)."""
    row = await _absence_row(user, absence_id)
    _require(user, row["status"], Action.delete)
    if row["version"] != version:
        raise StateConflict("absence_changed_elsewhere")
    done = await Absence.delete().where(Absence.id == absence_id, Absence.version == version).returning(Absence.id)
    if not done:
        raise StateConflict("absence_changed_elsewhere")
    await audit.append(
        row["contract_id"], user, "absence.deleted", f"absence:{absence_id}", {**_scope(row), "status": row["status"]}
    )
    return row["contract_id"]


async def decide(user: CurrentUser, absence_id: int, version: int, decision: str, comment: str = "") -> bool:
    """A teacher of the class decides excused or unexcused (or corrects an earlier decision); the
    apprentice, and a minor's guardians, are told. Deciding the same again (a second tap, a second
    tab) changes nothing and returns False."""
    row = await _absence_row(user, absence_id)
    action = Action.excuse if decision == "excused" else Action.unexcuse
    if row["status"] == decision and relation_of(user) is Relation.class_teacher:
        return False
    _require(user, row["status"], action)
    comment = comment.replace("\x00", "").strip()
    if len(comment) > MAX_NOTE:
        raise ValidationFailed({"comment": "too_long"}, max_length=MAX_NOTE)
    await _compare_and_set(row, version, {Absence.status: decision})
    details = {"comment": comment, "before": row["status"]}
    await _event(user, absence_id, row["contract_id"], decision, details)
    label = "entschuldigt" if decision == "excused" else "unentschuldigt"
    title = f"Fehlzeit am {_short_date(row['date'])}: {label}"
    notices = [Notice(row["apprentice_id"], "absence_decided", title, _url(absence_id))]
    if _is_minor(row["birth_date"]):
        guardians = await Guardianship.select(Guardianship.guardian).where(Guardianship.apprentice == row["apprentice_id"])
        guardian_title = f"{title} ({_first_name(row['apprentice_name'])})"
        notices += [Notice(g["guardian"], "absence_decided", guardian_title, _url(absence_id)) for g in guardians]
    await notify_many(notices)
    return True


def _is_minor(birth_date: dt.date | None) -> bool:
    return birth_date is not None and birth_date > contracts.adulthood_cutoff(today_berlin())


# --- the company: reason and excuse request -----------------------------------------------------


async def respond(user: CurrentUser, absence_id: int, version: int, reason: str, note: str, request_excuse: bool) -> None:
    """The company reports why the apprentice was away (sick, company assignment) and may ask the
    school to excuse it; the class's teachers are told."""
    row = await _absence_row(user, absence_id)
    _require(user, row["status"], Action.request_excuse if request_excuse else Action.report_reason)
    note = note.replace("\x00", "").strip()
    errors = {}
    if reason not in REASONS:
        errors["reason"] = "invalid_choice"
    elif not reason and not request_excuse:
        errors["reason"] = "absence_reason_required"
    if len(note) > MAX_NOTE:
        errors["note"] = "too_long"
    if errors:
        raise ValidationFailed(errors, max_length=MAX_NOTE)
    values = {Absence.company_reason: reason, Absence.company_note: note}
    if request_excuse:
        values[Absence.status] = "excuse_requested"
    await _compare_and_set(row, version, values)
    action = "excuse_requested" if request_excuse else "reason_reported"
    await _event(user, absence_id, row["contract_id"], action, {"reason": reason, "note": note})
    who = f"{_first_name(row['apprentice_name'])} am {_short_date(row['date'])}"
    title = f"Entschuldigung angefordert: Fehlzeit von {who}" if request_excuse else f"Rückmeldung des Betriebs: Fehlzeit von {who}"
    teachers = await ClassTeacher.select(ClassTeacher.teacher).where(ClassTeacher.school_class == row["school_class_id"])
    await notify_many([Notice(t["teacher"], "absence_reply", title, _url(absence_id)) for t in teachers])


# --- the contract's settings: the company's basis, sharing sick days ----------------------------


async def _own_contract(user: CurrentUser, contract_id: int) -> dict:
    """A contract the person may change settings of: the apprentice's own, or one of the company's."""
    if user.role is Role.apprentice:
        condition = Contract.apprentice == user.id
    elif user.role in (Role.company_admin, Role.trainer) and user.company_id is not None:
        condition = Contract.company == user.company_id
    else:
        raise Forbidden()
    rows = await Contract.select(Contract.id, Contract.absence_basis, Contract.share_sick_days).where(Contract.id == contract_id, condition)
    if not rows:
        raise NotFound()
    return rows[0]


async def set_basis(user: CurrentUser, contract_id: int, basis: str) -> None:
    """The company records on what it may see the school's absences; every change is audited."""
    if user.role is Role.apprentice:
        raise Forbidden()
    if basis not in BASES:
        raise ValidationFailed({"absence_basis": "invalid_choice"})
    contract = await _own_contract(user, contract_id)
    if contract["absence_basis"] == basis:
        return
    await Contract.update({Contract.absence_basis: basis, Contract.updated_at: utcnow()}).where(Contract.id == contract_id)
    await audit.append(contract_id, user, "absence.basis_changed", "absence_basis", {"from": contract["absence_basis"], "to": basis})


async def set_share_sick_days(user: CurrentUser, contract_id: int, share: bool) -> None:
    """The apprentice or the company shows the log's sick days to the school (or stops it); audited."""
    contract = await _own_contract(user, contract_id)
    if contract["share_sick_days"] == share:
        return
    await Contract.update({Contract.share_sick_days: share, Contract.updated_at: utcnow()}).where(Contract.id == contract_id)
    await audit.append(contract_id, user, "absence.sick_days_shared" if share else "absence.sick_days_unshared", "share_sick_days")


# --- lists and overviews ---------------------------------------------------------------------------


async def _sick_days(contract_ids, start: dt.date | None = None, end: dt.date | None = None) -> list[dict]:
    """Days the log says "krank", of contracts that share them, read from the log itself (no copy)."""
    query = Day.select(
        Day.week.contract.as_alias("contract_id"), Day.week.contract.apprentice.display_name.as_alias("apprentice_name"), Day.date
    ).where(Day.status == "sick", Day.week.contract.is_in(contract_ids), Day.week.contract.share_sick_days.eq(True))
    if start is not None:
        query = query.where(Day.date >= start, Day.date < end)
    return await query.order_by(Day.date)


async def contract_absences(user: CurrentUser, contract_id: int) -> ContractAbsences:
    """All absences of one contract, newest first, with histories and shared sick days. Four queries."""
    contract = await _contract(user, contract_id)
    rows = await Absence.select(*_ABSENCE_COLUMNS).where(Absence.contract == contract_id).order_by(Absence.date, ascending=False).order_by(
        Absence.first_lesson, ascending=False
    )
    events = await AbsenceEvent.select(*_EVENT_COLUMNS).where(AbsenceEvent.absence.contract == contract_id).order_by(AbsenceEvent.id)
    history = _history(events)
    sick = await _sick_days([contract_id]) if contract["share_sick_days"] else []
    return ContractAbsences(
        contract_id=contract_id,
        apprentice_name=contract["apprentice_name"],
        school_class_id=contract["school_class_id"],
        school_class_name=contract["school_class_name"],
        start_date=contract["start_date"],
        end_date=contract["end_date"],
        absence_basis=contract["absence_basis"],
        share_sick_days=contract["share_sick_days"],
        absences=[_view(r, user, history[r["id"]]) for r in rows],
        sick_days=[s["date"] for s in sick],
        may_record=rules.may_record(relation_of(user)),
    )


async def contract_without_basis(user: CurrentUser, contract_id: int) -> str | None:
    """The apprentice's name when a company person answers for this contract but it records no
    basis for seeing absences (the page then says why there is nothing); None otherwise."""
    condition = company_contracts(user)
    if condition is None:
        return None
    rows = await Contract.select(Contract.apprentice.display_name.as_alias("name")).where(
        Contract.id == contract_id, condition, Contract.absence_basis == ""
    )
    return rows[0]["name"] if rows else None


def month_of(text: str | None) -> dt.date:
    """The first day of the month "2026-11" names; this month (Berlin) for anything else (also for
    years far off, whose neighbouring months could not be computed)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if 1900 <= year <= 2200:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    return today_berlin().replace(day=1)


def next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


async def _month(user: CurrentUser, where, month: dt.date, without_basis: list[str] | None = None) -> MonthView:
    """The absences and shared sick days of one month of the contracts `where` selects (already
    limited to what the user sees), counted per apprentice. Three queries."""
    end = next_month(month)
    running = (Contract.start_date < end) & (Contract.end_date >= month)
    people = await Contract.select(Contract.id, Contract.apprentice.display_name.as_alias("name")).where(where, running).order_by(
        Contract.apprentice.display_name
    )
    ids = Contract.select(Contract.id).where(where)
    rows = await Absence.select(*_ABSENCE_COLUMNS).where(Absence.contract.is_in(ids), Absence.date >= month, Absence.date < end).order_by(
        Absence.date
    ).order_by(Absence.first_lesson)
    sick = await _sick_days(ids, month, end)
    absences = [_view(r, user) for r in rows]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names = {p["id"]: p["name"] for p in people}
    for a in absences:
        c = counts[a.contract_id]
        names.setdefault(a.contract_id, a.apprentice_name)
        c["whole_days" if a.whole_day else "lessons"] += 1 if a.whole_day else a.lessons
        c[a.status if a.status in ("excused", "unexcused") else "undecided"] += 1
    for s in sick:
        counts[s["contract_id"]]["sick_days"] += 1
        names.setdefault(s["contract_id"], s["apprentice_name"])
    order = [p["id"] for p in people] + sorted(set(names) - {p["id"] for p in people}, key=names.get)
    return MonthView(
        month=month,
        rows=[MonthRow(contract_id=cid, apprentice_name=names[cid], **counts.get(cid, {})) for cid in order],
        absences=absences,
        sick_days=[SickDay(**s) for s in sick],
        without_basis=without_basis or [],
    )


async def school_class(user: CurrentUser, class_id: int) -> dict:
    """A class of the user's school (NotFound for any other)."""
    if user.school_id is None:
        raise NotFound()
    rows = await SchoolClass.select(SchoolClass.id, SchoolClass.name).where(SchoolClass.id == class_id, SchoolClass.school == user.school_id)
    if not rows:
        raise NotFound()
    return rows[0]


async def class_month(user: CurrentUser, class_id: int, month: dt.date) -> MonthView:
    """A class's absences of one month for its teachers and the school's administration. A teacher
    of the school who does not teach the class sees an empty overview. Four queries."""
    await school_class(user, class_id)
    condition = visible_contracts(user)
    if condition is None:
        raise NotFound()
    return await _month(user, (Contract.school_class == class_id) & condition, month)


async def company_month(user: CurrentUser, month: dt.date) -> MonthView:
    """A company person's apprentices' absences of one month, and who is missing for lack of a basis."""
    own = company_contracts(user)
    if own is None:
        raise NotFound()
    end = next_month(month)
    missing = await Contract.select(Contract.apprentice.display_name.as_alias("name")).where(
        own, Contract.absence_basis == "", Contract.start_date < end, Contract.end_date >= month
    ).order_by(Contract.apprentice.display_name)
    return await _month(user, own & (Contract.absence_basis != ""), month, [m["name"] for m in missing])


async def classes(user: CurrentUser) -> list[ClassChoice]:
    """The school's classes whose absences the user sees (a teacher: those taught), with the number
    of excuses the companies asked for. Two queries."""
    if user.role not in (Role.teacher, Role.school_admin) or user.school_id is None:
        return []
    query = SchoolClass.select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school == user.school_id)
    if user.role is Role.teacher:
        query = query.where(SchoolClass.id.is_in(ClassTeacher.select(ClassTeacher.school_class).where(ClassTeacher.teacher == user.id)))
    found = await query.order_by(SchoolClass.name)
    waiting = {
        r["school_class"]: r["n"]
        for r in await Absence.select(Absence.contract.school_class.as_alias("school_class"), Count(Absence.id).as_alias("n"))
        .where(Absence.status == "excuse_requested", Absence.contract.is_in(Contract.select(Contract.id).where(visible_contracts(user))))
        .group_by(Absence.contract.school_class)
    }
    return [ClassChoice(id=c["id"], name=c["name"], excuse_requested=waiting.get(c["id"], 0)) for c in found]


async def own_contracts(user: CurrentUser) -> list[dict]:
    """An apprentice's (or a guardian's child's) contracts, for the start page of absences."""
    condition = visible_contracts(user)
    if condition is None or user.role not in (Role.apprentice, Role.guardian):
        return []
    return await Contract.select(
        Contract.id, Contract.apprentice.display_name.as_alias("apprentice_name"), Contract.start_date, Contract.end_date
    ).where(condition).order_by(Contract.start_date, ascending=False)


async def company_reports_per_class(since: dt.datetime) -> dict[int, dict[str, int]]:
    """What the company side told the school since `since`, per class, for the teachers' digest:
    reasons and excuse requests ("replies"), and sick days in log weeks submitted since then by
    contracts that share them ("sick_days"; a week counts when it is handed in, so a sick day typed
    in days later is not lost). Two queries."""
    result: dict[int, dict[str, int]] = defaultdict(lambda: {"replies": 0, "sick_days": 0})
    replies = await AbsenceEvent.select(
        AbsenceEvent.absence.contract.school_class.as_alias("school_class"), Count(AbsenceEvent.id).as_alias("n")
    ).where(
        AbsenceEvent.created_at >= since, AbsenceEvent.action.is_in(["reason_reported", "excuse_requested"])
    ).group_by(AbsenceEvent.absence.contract.school_class)
    for r in replies:
        if r["school_class"] is not None:
            result[r["school_class"]]["replies"] += r["n"]
    sick = await Day.select(Day.week.contract.school_class.as_alias("school_class"), Count(Day.id).as_alias("n")).where(
        Day.status == "sick",
        Day.week.submitted_at >= since,
        Day.week.state.is_in(["submitted", "approved"]),
        Day.week.contract.share_sick_days.eq(True),
    ).group_by(Day.week.contract.school_class)
    for r in sick:
        if r["school_class"] is not None:
            result[r["school_class"]]["sick_days"] += r["n"]
    return dict(result)
