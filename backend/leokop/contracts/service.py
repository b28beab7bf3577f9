"""Rules of contracts: who sees which contract, what a valid contract is, and saving it."""

from __future__ import annotations

import datetime as dt

from leokop.accounts.schemas import CurrentUser, Role
from leokop.accounts.tables import Guardianship, User
from leokop.audit import service as audit
from leokop.contracts.schemas import ContractForm, ContractRow, ContractView, StaffMember
from leokop.contracts.tables import Contract, ContractStaff, ReadingConsent
from leokop.curriculum.tables import Occupation
from leokop.errors import Forbidden, NotFound, ValidationFailed
from leokop.organisations.service import settle_placement
from leokop.organisations.tables import ClassTeacher, School
from leokop.timeutil import parse_duration, today_berlin, utcnow

MAX_CONTRACT_DAYS = 4 * 366


def parse_daily_hours(text: str) -> int:
    """Minutes from "8", "8:00", "7:48", "7,5" or "7.5" (decimal hours); 1 to 10 hours (ArbZG)."""
    minutes = parse_duration(text)
    if minutes is None or not 60 <= minutes <= 600:
        raise ValidationFailed({"daily_hours": "daily_hours_range"})
    return minutes


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def visible_contracts(user: CurrentUser):
    """The condition that limits contracts to what this user may see; None = nothing."""
    if user.role in (Role.company_admin, Role.trainer) and user.company_id is not None:
        return Contract.company == user.company_id
    if user.role is Role.instructor:
        return Contract.id.is_in(ContractStaff.select(ContractStaff.contract).where(ContractStaff.user == user.id))
    if user.role is Role.apprentice:
        return Contract.apprentice == user.id
    if user.role is Role.teacher:
        # Only the classes the teacher teaches, and only where the apprentice agreed and the company
        # has not withdrawn it (K1): without that, the log does not exist for the teacher.
        return Contract.school_class.is_in(
            ClassTeacher.select(ClassTeacher.school_class).where(ClassTeacher.teacher == user.id)
        ) & Contract.id.is_in(
            ReadingConsent.select(ReadingConsent.contract).where(
                ReadingConsent.apprentice_consented_at.is_not_null(), ReadingConsent.company_withdrawn_at.is_null()
            )
        )
    if user.role is Role.guardian:
        # A guardian's view ends on the apprentice's 18th birthday (L11).
        return Contract.apprentice.is_in(
            Guardianship.select(Guardianship.apprentice).where(
                Guardianship.guardian == user.id, Guardianship.apprentice.birth_date > adulthood_cutoff(today_berlin())
            )
        )
    return None


def adulthood_cutoff(today: dt.date) -> dt.date:
    """Whoever was born after this date is a minor today (born on 29 Feb: adult from 1 March)."""
    try:
        return today.replace(year=today.year - 18)
    except ValueError:  # today is 29 February
        return today.replace(year=today.year - 18, day=28)


async def list_contracts(user: CurrentUser) -> list[ContractRow]:
    condition = visible_contracts(user)
    if condition is None:
        return []
    rows = await Contract.select(
        Contract.id,
        Contract.apprentice.display_name.as_alias("apprentice_name"),
        Contract.occupation.name_neutral.as_alias("occupation_name"),
        Contract.start_date,
        Contract.end_date,
        Contract.school_class.name.as_alias("school_class_name"),
    ).where(condition).order_by(Contract.start_date, ascending=False).order_by(Contract.id)
    return [ContractRow(**r) for r in rows]


async def visible_contract(user: CurrentUser, contract_id: int, *columns) -> dict:
    """The given columns of one contract the user may see, in one query; NotFound otherwise."""
    condition = visible_contracts(user)
    if condition is None:
        raise NotFound()
    rows = await Contract.select(*columns).where(Contract.id == contract_id, condition)
    if not rows:
        raise NotFound()
    return rows[0]


async def get_contract(user: CurrentUser, contract_id: int) -> ContractView:
    """One contract with its staff in two queries; NotFound if it is outside the user's scope."""
    c = Contract
    row = await visible_contract(
        user,
        contract_id,
        c.id,
        c.apprentice.id.as_alias("apprentice_id"),
        c.apprentice.display_name.as_alias("apprentice_name"),
        c.apprentice.email.as_alias("apprentice_email"),
        c.company.name.as_alias("company_name"),
        c.occupation.id.as_alias("occupation_id"),
        c.occupation.name_neutral.as_alias("occupation_name"),
        c.start_date,
        c.end_date,
        c.log_form,
        c.log_mode,
        c.daily_minutes,
        c.school.id.as_alias("school_id"),
        c.school.name.as_alias("school_name"),
        c.school_class.name.as_alias("school_class_name"),
        c.absence_basis,
        c.share_sick_days,
        c.apprentice.birth_date.as_alias("apprentice_birth_date"),
    )
    staff = await ContractStaff.select(
        ContractStaff.user.id.as_alias("user_id"),
        ContractStaff.user.display_name.as_alias("name"),
        ContractStaff.user.email.as_alias("email"),
        ContractStaff.kind,
    ).where(ContractStaff.contract == contract_id).order_by(ContractStaff.kind, ascending=False)
    birth = row.pop("apprentice_birth_date")
    minor = birth is not None and birth > adulthood_cutoff(today_berlin())
    return ContractView(**row, staff=[StaffMember(**s) for s in staff], apprentice_minor=minor)


async def form_choices(user: CurrentUser) -> dict[str, list[dict]]:
    """Everything the contract form offers, in three queries."""
    people = await User.select(User.id, User.display_name, User.email, User.role, User.is_active).where(
        User.company == user.company_id,
        User.role.is_in([Role.apprentice.value, Role.trainer.value, Role.instructor.value, Role.company_admin.value]),
    ).order_by(User.display_name)
    occupations = await Occupation.select(Occupation.id, Occupation.name_neutral.as_alias("name")).order_by(
        Occupation.name_neutral
    )
    schools = await School.select(School.id, School.name, School.city).order_by(School.name)
    return {
        "apprentices": [p for p in people if p["role"] == Role.apprentice.value],
        "trainers": [p for p in people if p["role"] in (Role.trainer.value, Role.company_admin.value)],
        "instructors": [p for p in people if p["role"] == Role.instructor.value],
        "occupations": occupations,
        "schools": schools,
    }


async def _validate(user: CurrentUser, form: ContractForm, contract_id: int | None) -> int:
    """Check the form against the rules; returns the daily minutes. Collects all field errors at once."""
    errors: dict[str, str] = {}
    try:
        daily_minutes = parse_daily_hours(form.daily_hours)
    except ValidationFailed as failure:
        errors.update(failure.errors)
        daily_minutes = 0
    if form.end_date <= form.start_date:
        errors["end_date"] = "end_before_start"
    elif (form.end_date - form.start_date).days > MAX_CONTRACT_DAYS:
        errors["end_date"] = "contract_too_long"
    people = await User.select(User.id, User.role, User.birth_date).where(
        User.company == user.company_id,
        User.id.is_in([form.apprentice_id, *form.trainer_ids, *form.instructor_ids]),
    )
    roles = {p["id"]: p["role"] for p in people}
    if roles.get(form.apprentice_id) != Role.apprentice.value:
        errors["apprentice_id"] = "apprentice_unknown"
    if not form.trainer_ids:
        errors["trainer_ids"] = "trainer_required"
    elif any(roles.get(i) not in (Role.trainer.value, Role.company_admin.value) for i in form.trainer_ids):
        errors["trainer_ids"] = "invalid_choice"
    if any(roles.get(i) != Role.instructor.value for i in form.instructor_ids):
        errors["instructor_ids"] = "invalid_choice"
    if not await Occupation.exists().where(Occupation.id == form.occupation_id):
        errors["occupation_id"] = "invalid_choice"
    if form.school_id is not None and not await School.exists().where(School.id == form.school_id):
        errors["school_id"] = "invalid_choice"
    birth = next((p["birth_date"] for p in people if p["id"] == form.apprentice_id), None)
    if birth and daily_minutes > 480 and "daily_hours" not in errors and age_on(birth, form.start_date) < 18:
        errors["daily_hours"] = "minor_daily_hours"
    if "apprentice_id" not in errors and "end_date" not in errors:
        overlap = Contract.select(Contract.id).where(
            Contract.apprentice == form.apprentice_id,
            Contract.start_date < form.end_date,
            Contract.end_date > form.start_date,
        )
        if contract_id is not None:
            overlap = overlap.where(Contract.id != contract_id)
        if await overlap.first():
            errors["start_date"] = "contract_overlap"
    if errors:
        raise ValidationFailed(errors)
    return daily_minutes


async def save_contract(user: CurrentUser, form: ContractForm, contract_id: int | None = None) -> int:
    """Create (contract_id None) or update a contract of the user's company, with its staff."""
    if user.company_id is None:
        raise NotFound()
    if contract_id is not None:
        await get_contract(user, contract_id)
    daily_minutes = await _validate(user, form, contract_id)
    now = utcnow()
    values = {
        Contract.apprentice: form.apprentice_id,
        Contract.occupation: form.occupation_id,
        Contract.start_date: form.start_date,
        Contract.end_date: form.end_date,
        Contract.log_form: form.log_form,
        Contract.log_mode: form.log_mode,
        Contract.daily_minutes: daily_minutes,
        Contract.school: form.school_id,
        Contract.updated_at: now,
    }
    if contract_id is None:
        rows = await Contract.insert(
            Contract(company=user.company_id, created_at=now, **{column._meta.name: value for column, value in values.items()})
        ).returning(Contract.id)
        contract_id = rows[0]["id"]
    else:
        previous = await Contract.select(Contract.school).where(Contract.id == contract_id)
        if previous[0]["school"] != form.school_id:
            # A class belongs to a school: changing the school leaves the class to the new school.
            values[Contract.school_class] = None
        await Contract.update(values).where(Contract.id == contract_id, Contract.company == user.company_id)
        await ContractStaff.delete().where(ContractStaff.contract == contract_id)
    staff = [ContractStaff(contract=contract_id, user=i, kind="trainer") for i in dict.fromkeys(form.trainer_ids)]
    staff += [
        ContractStaff(contract=contract_id, user=i, kind="instructor")
        for i in dict.fromkeys(form.instructor_ids)
        if i not in form.trainer_ids
    ]
    await ContractStaff.insert(*staff)
    # The school may have placed the apprentice in a class already (class list import).
    await settle_placement(contract_id, form.apprentice_id, form.school_id)
    return contract_id


# --- reading consent (K1) -------------------------------------------------------------------------


async def consent_of(contract_id: int) -> dict:
    """{"apprentice_consented_at": …, "company_withdrawn_at": …, "active": bool} of one contract."""
    rows = await ReadingConsent.select(ReadingConsent.apprentice_consented_at, ReadingConsent.company_withdrawn_at).where(
        ReadingConsent.contract == contract_id
    )
    row = rows[0] if rows else {"apprentice_consented_at": None, "company_withdrawn_at": None}
    return {**row, "active": row["apprentice_consented_at"] is not None and row["company_withdrawn_at"] is None}


async def set_consent(user: CurrentUser, contract_id: int, allow: bool) -> None:
    """The apprentice agrees (or no longer agrees) that the class's teachers read the log; the company
    withdraws that for its apprentice (or lifts its withdrawal). Recorded with time in the audit trail;
    after a withdrawal the teachers see nothing of the log any more."""
    contract = await get_contract(user, contract_id)
    now = utcnow()
    await ReadingConsent.insert(ReadingConsent(contract=contract_id, updated_at=now)).on_conflict(action="DO NOTHING")
    if user.role is Role.apprentice and contract.apprentice_id == user.id:
        column, action = ReadingConsent.apprentice_consented_at, "consent.granted" if allow else "consent.withdrawn"
        value = now if allow else None
    elif user.role in (Role.company_admin, Role.trainer):
        column, action = ReadingConsent.company_withdrawn_at, "consent.company_allowed" if allow else "consent.company_withdrawn"
        value = None if allow else now
    else:
        raise Forbidden()
    current = await consent_of(contract_id)
    if (current[column._meta.name] is None) == (value is None):
        return  # nothing changes: no new audit record
    await ReadingConsent.update({column: value, ReadingConsent.updated_at: now}).where(ReadingConsent.contract == contract_id)
    await audit.append(contract_id, user, action, "consent")
