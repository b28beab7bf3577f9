"""Rules of organisations: companies and schools (registered by the operator), classes and their
members, and class lists imported from the school's administration software."""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from collections import defaultdict

import msgspec
from piccolo.query.functions.aggregate import Count

from leokop.accounts import service as accounts
from leokop.accounts.schemas import CurrentUser, Role
from leokop.accounts.tables import User
from leokop.contracts.tables import Contract
from leokop.curriculum.tables import Occupation
from leokop.errors import DomainError, NotFound, ValidationFailed
from leokop.notifications.service import Mail, queue_mails
from leokop.organisations import class_import
from leokop.organisations.schemas import (
    ClassImportReport,
    ClassImportRow,
    ClassListPayload,
    ClassListPreview,
    ClassListStep,
    ClassMemberRow,
    ClassTeacherForm,
    ColumnChoice,
    CompanyForm,
    NewCompanyForm,
    NewSchoolForm,
    OrganisationRow,
    PlacementRow,
    SchoolClassForm,
    SchoolClassRow,
    SchoolOfficeForm,
)
from leokop.organisations.tables import ClassImport, ClassPlacement, ClassTeacher, Company, School, SchoolClass
from leokop.settings import Settings
from leokop.timeutil import today_berlin, utcnow


async def _people_counts(column) -> dict[int, int]:
    rows = await User.select(column.as_alias("org"), Count(User.id).as_alias("n")).where(column.is_not_null()).group_by(column)
    return {r["org"]: r["n"] for r in rows}


async def companies_and_schools() -> tuple[list[OrganisationRow], list[OrganisationRow]]:
    companies = await Company.select(Company.id, Company.name, Company.state, Company.city).order_by(Company.name)
    schools = await School.select(School.id, School.name, School.state, School.city).order_by(School.name)
    company_people = await _people_counts(User.company)
    school_people = await _people_counts(User.school)
    return (
        [OrganisationRow(**c, people=company_people.get(c["id"], 0)) for c in companies],
        [OrganisationRow(**s, people=school_people.get(s["id"], 0)) for s in schools],
    )


async def register_company(settings: Settings, operator: CurrentUser, form: NewCompanyForm) -> str:
    """Create a company and invite its first person; returns the invitation link."""
    rows = await Company.insert(
        Company(name=form.name.strip(), state=form.state, city=form.city.strip(), created_at=utcnow())
    ).returning(Company.id)
    _, link = await accounts.invite(
        settings, operator, form.first_email, form.first_name, Role(form.first_role), company_id=rows[0]["id"]
    )
    return link


async def register_school(settings: Settings, operator: CurrentUser, form: NewSchoolForm) -> str:
    rows = await School.insert(
        School(name=form.name.strip(), state=form.state, city=form.city.strip(), created_at=utcnow())
    ).returning(School.id)
    _, link = await accounts.invite(
        settings, operator, form.first_email, form.first_name, Role.school_admin, school_id=rows[0]["id"]
    )
    return link


_CHAMBER = (Company.chamber_name, Company.chamber_adviser_name, Company.chamber_adviser_email, Company.chamber_adviser_phone)


async def company_profile(user: CurrentUser) -> dict:
    rows = await Company.select(Company.id, Company.name, Company.state, Company.city, *_CHAMBER).where(Company.id == user.company_id)
    if not rows:
        raise NotFound()
    return rows[0]


def _email_and_phone(values: dict[str, str]) -> tuple[str, str]:
    """An optional e-mail address and phone number of a contact form ({field: typed}, e-mail
    first), checked and cleaned; both fields' errors at once."""
    (email_field, email), (phone_field, phone) = values.items()
    errors: dict[str, str] = {}
    try:
        email = accounts.check_email(email, email_field) if email.strip() else ""
    except ValidationFailed as failure:
        errors.update(failure.errors)
    try:
        phone = accounts.check_phone(phone, phone_field)
    except ValidationFailed as failure:
        errors.update(failure.errors)
    if errors:
        raise ValidationFailed(errors)
    return email, phone


async def update_company(user: CurrentUser, form: CompanyForm) -> None:
    """The company's profile with the chamber's training adviser."""
    adviser_email, adviser_phone = _email_and_phone(
        {"chamber_adviser_email": form.chamber_adviser_email, "chamber_adviser_phone": form.chamber_adviser_phone}
    )
    await Company.update(
        {
            Company.name: form.name.strip(),
            Company.state: form.state,
            Company.city: form.city.strip(),
            Company.chamber_name: form.chamber_name.strip(),
            Company.chamber_adviser_name: form.chamber_adviser_name.strip(),
            Company.chamber_adviser_email: adviser_email,
            Company.chamber_adviser_phone: adviser_phone,
        }
    ).where(Company.id == user.company_id)


async def schools_for_choice() -> list[dict]:
    return await School.select(School.id, School.name, School.city).order_by(School.name)


# --- classes -------------------------------------------------------------------------------------


def _school_of(user: CurrentUser) -> int:
    if user.school_id is None:
        raise NotFound()
    return user.school_id


async def classes_of(user: CurrentUser) -> list[SchoolClassRow]:
    school_id = _school_of(user)
    classes = await SchoolClass.select(
        SchoolClass.id, SchoolClass.name, SchoolClass.start_year, SchoolClass.occupation.name.as_alias("occupation_name")
    ).where(SchoolClass.school == school_id).order_by(SchoolClass.start_year, ascending=False).order_by(SchoolClass.name)
    counts = await Contract.select(Contract.school_class.as_alias("c"), Count(Contract.id).as_alias("n")).where(
        Contract.school == school_id, Contract.school_class.is_not_null()
    ).group_by(Contract.school_class)
    members = {r["c"]: r["n"] for r in counts}
    return [SchoolClassRow(**c, members=members.get(c["id"], 0)) for c in classes]


async def occupations_for_choice() -> list[dict]:
    return await Occupation.select(Occupation.id, Occupation.name_neutral.as_alias("name")).order_by(Occupation.name_neutral)


async def create_class(user: CurrentUser, form: SchoolClassForm) -> int:
    school_id = _school_of(user)
    name = form.name.strip()
    if await SchoolClass.exists().where(SchoolClass.school == school_id, SchoolClass.name == name):
        raise ValidationFailed({"name": "class_name_taken"})
    if form.occupation_id is not None and not await Occupation.exists().where(Occupation.id == form.occupation_id):
        raise ValidationFailed({"occupation_id": "invalid_choice"})
    rows = await SchoolClass.insert(
        SchoolClass(
            school=school_id, name=name, occupation=form.occupation_id, start_year=form.start_year, created_at=utcnow()
        )
    ).returning(SchoolClass.id)
    return rows[0]["id"]


async def school_class(user: CurrentUser, class_id: int) -> dict:
    rows = await SchoolClass.select(
        SchoolClass.id, SchoolClass.name, SchoolClass.start_year, SchoolClass.occupation.name.as_alias("occupation_name")
    ).where(SchoolClass.id == class_id, SchoolClass.school == _school_of(user))
    if not rows:
        raise NotFound()
    return rows[0]


async def _member_rows(where) -> list[ClassMemberRow]:
    rows = await Contract.select(
        Contract.id.as_alias("contract_id"),
        Contract.apprentice.display_name.as_alias("apprentice_name"),
        Contract.company.name.as_alias("company_name"),
        Contract.occupation.name_neutral.as_alias("occupation_name"),
        Contract.start_date,
        Contract.end_date,
    ).where(*where).order_by(Contract.apprentice.display_name)
    return [
        ClassMemberRow(**{**r, "start_date": r["start_date"].strftime("%d.%m.%Y"), "end_date": r["end_date"].strftime("%d.%m.%Y")})
        for r in rows
    ]


async def class_members(user: CurrentUser, class_id: int) -> list[ClassMemberRow]:
    await school_class(user, class_id)
    return await _member_rows([Contract.school_class == class_id, Contract.school == _school_of(user)])


async def unassigned_registrations(user: CurrentUser) -> list[ClassMemberRow]:
    """Contracts whose company registered this school but that have no class yet."""
    return await _member_rows([Contract.school == _school_of(user), Contract.school_class.is_null()])


async def assign_to_class(user: CurrentUser, class_id: int, contract_id: int) -> None:
    await school_class(user, class_id)
    done = await Contract.update({Contract.school_class: class_id, Contract.updated_at: utcnow()}).where(
        Contract.id == contract_id, Contract.school == _school_of(user)
    ).returning(Contract.id)
    if not done:
        raise ValidationFailed({"contract_id": "invalid_choice"})


async def remove_from_class(user: CurrentUser, class_id: int, contract_id: int) -> None:
    await school_class(user, class_id)
    done = await Contract.update({Contract.school_class: None, Contract.updated_at: utcnow()}).where(
        Contract.id == contract_id, Contract.school == _school_of(user), Contract.school_class == class_id
    ).returning(Contract.id)
    if not done:
        raise NotFound()



# --- teachers of a class ------------------------------------------------------------------------


async def class_teachers(user: CurrentUser, class_id: int) -> list[dict]:
    await school_class(user, class_id)
    return await ClassTeacher.select(
        ClassTeacher.teacher.as_alias("id"),
        ClassTeacher.teacher.display_name.as_alias("display_name"),
        ClassTeacher.is_class_lead,
        ClassTeacher.subjects,
    ).where(ClassTeacher.school_class == class_id).order_by(ClassTeacher.teacher.display_name)


async def set_class_teacher(user: CurrentUser, class_id: int, teacher_id: int, form: ClassTeacherForm) -> None:
    """Whether a teacher of the class leads it (Klassenleitung) and what they teach in it."""
    await school_class(user, class_id)
    done = await ClassTeacher.update(
        {ClassTeacher.is_class_lead: form.is_class_lead, ClassTeacher.subjects: " ".join(form.subjects.split())}
    ).where(ClassTeacher.school_class == class_id, ClassTeacher.teacher == teacher_id).returning(ClassTeacher.id)
    if not done:
        raise NotFound()


async def school_office(user: CurrentUser) -> dict:
    row = await School.select(School.office_email, School.office_phone).where(School.id == _school_of(user)).first()
    if row is None:
        raise NotFound()
    return row


async def set_school_office(user: CurrentUser, form: SchoolOfficeForm) -> None:
    """How the school's office is reached (the apprentices' contacts)."""
    school_id = _school_of(user)
    email, phone = _email_and_phone({"office_email": form.office_email, "office_phone": form.office_phone})
    await School.update({School.office_email: email, School.office_phone: phone}).where(School.id == school_id)


async def school_teachers(user: CurrentUser) -> list[dict]:
    return await User.select(User.id, User.display_name).where(
        User.school == _school_of(user), User.role == Role.teacher.value, User.is_active.eq(True)
    ).order_by(User.display_name)


async def assign_teacher(user: CurrentUser, class_id: int, teacher_id: int) -> None:
    await school_class(user, class_id)
    if not await User.exists().where(User.id == teacher_id, User.school == _school_of(user), User.role == Role.teacher.value):
        raise ValidationFailed({"teacher_id": "invalid_choice"})
    if not await ClassTeacher.exists().where(ClassTeacher.school_class == class_id, ClassTeacher.teacher == teacher_id):
        await ClassTeacher.insert(ClassTeacher(school_class=class_id, teacher=teacher_id, created_at=utcnow()))


async def remove_teacher(user: CurrentUser, class_id: int, teacher_id: int) -> None:
    await school_class(user, class_id)
    await ClassTeacher.delete().where(ClassTeacher.school_class == class_id, ClassTeacher.teacher == teacher_id)


# --- class lists (the rules of reading and matching: organisations.class_import) ------------------
# The file travels from step to step in the page itself: compressed, base64, with an HMAC over the
# person, the school, the file name and the content under the server's secret key. Every step checks
# the HMAC and reads the same bytes again, so nothing is kept on the server before "Übernehmen", the
# admin uploads once, and a step can only use a file this person uploaded for this school.


class PreviewOutdated(DomainError):
    """Rows would now end differently than the preview showed (the data changed meanwhile): nothing
    was imported; `preview` is the new preview and `changed` the rows that differ."""

    def __init__(self, preview: ClassListPreview, changed: list[class_import.Outcome]) -> None:
        super().__init__("class list preview outdated")
        self.preview = preview
        self.changed = changed


def sign_class_list(secret: str, user_id: int, school_id: int, filename: str, content: str) -> str:
    message_ = f"class-list-import:{user_id}:{school_id}:{filename}:{content}".encode()
    return hmac.new(secret.encode(), message_, hashlib.sha256).hexdigest()


def _school_admin_school(user: CurrentUser) -> int:
    if user.role is not Role.school_admin:
        raise NotFound()
    return _school_of(user)


def _step(user: CurrentUser, secret: str, filename: str, data: bytes, sheet: class_import.Sheet, mapping: dict[str, int | None]) -> ClassListStep:
    content = base64.b64encode(zlib.compress(data, 9)).decode()
    first = sheet.rows[0][1]
    return ClassListStep(
        filename=filename,
        content=content,
        signature=sign_class_list(secret, user.id, _school_of(user), filename, content),
        columns=[
            ColumnChoice(index=i, header=header, sample=first[i] if i < len(first) else "") for i, header in enumerate(sheet.header)
        ],
        rows=len(sheet.rows),
        mapping=mapping,
    )


def upload_class_list(user: CurrentUser, secret: str, filename: str, data: bytes) -> ClassListStep:
    """Step 1 → 2: read the uploaded file and guess which column holds what."""
    _school_admin_school(user)
    sheet = class_import.read_sheet(data)
    # Control characters never belong in a name (PostgreSQL refuses NUL in text).
    filename = "".join(c for c in filename if c.isprintable())[:200]
    return _step(user, secret, filename, data, sheet, class_import.guess_mapping(sheet.header))


def _payload(user: CurrentUser, secret: str, payload: ClassListPayload) -> tuple[bytes, class_import.Sheet]:
    school_id = _school_admin_school(user)
    expected = sign_class_list(secret, user.id, school_id, payload.filename, payload.content)
    if not hmac.compare_digest(expected, payload.signature):
        raise ValidationFailed({"file": "class_list_signature_invalid"})
    try:
        data = zlib.decompress(base64.b64decode(payload.content, validate=True))
    except (ValueError, zlib.error):
        raise ValidationFailed({"file": "class_list_signature_invalid"}) from None
    return data, class_import.read_sheet(data)


def mapping_step(user: CurrentUser, secret: str, payload: ClassListPayload, raw: dict[str, str]) -> tuple[ClassListStep, dict[str, str], bytes]:
    """The file again with the mapping the admin chose, the mapping's errors by field, and the file."""
    data, sheet = _payload(user, secret, payload)
    mapping, errors = class_import.check_mapping(raw, len(sheet.header))
    return _step(user, secret, payload.filename, data, sheet, mapping), errors, data


async def _known(school_id: int, rows: list[class_import.ListRow]) -> class_import.Known:
    """Everything the rows can match, in at most six queries whatever the number of rows: the
    school's classes, all companies (their names are folded in Python), the apprentices of the named
    companies born on the file's dates, their contracts and placements, and the file's e-mail
    addresses that have an account."""
    usable = [r for r in rows if not r.problem]
    classes = await SchoolClass.select(SchoolClass.id, SchoolClass.name).where(SchoolClass.school == school_id)
    wanted = {class_import.company_key(r.company) for r in usable}
    companies: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for company in await Company.select(Company.id, Company.name).order_by(Company.id):
        key = class_import.company_key(company["name"])
        if key in wanted:
            companies[key].append((company["id"], company["name"]))
    company_ids = [company_id for found in companies.values() for company_id, _ in found]
    dates = sorted({r.birth_date for r in usable})
    apprentices = []
    if company_ids and dates:
        apprentices = await User.select(User.id, User.display_name, User.email, User.birth_date, User.company, User.is_active).where(
            User.role == Role.apprentice.value, User.company.is_in(company_ids), User.birth_date.is_in(dates)
        )
    apprentice_ids = [a["id"] for a in apprentices]
    contracts, placements = [], []
    if apprentice_ids:
        contracts = await Contract.select(
            Contract.id,
            Contract.apprentice,
            Contract.company,
            Contract.school,
            Contract.school_class,
            Contract.school_class.name.as_alias("class_name"),
            Contract.start_date,
            Contract.end_date,
        ).where(Contract.apprentice.is_in(apprentice_ids))
        placements = await ClassPlacement.select(
            ClassPlacement.apprentice, ClassPlacement.school_class, ClassPlacement.school_class.school.as_alias("school")
        ).where(ClassPlacement.apprentice.is_in(apprentice_ids))
    emails = sorted({r.email for r in usable if r.email})
    taken = await User.select(User.email).where(User.email.is_in(emails)) if emails else []
    return class_import.Known(
        classes={class_import.class_key(c["name"]): (c["id"], c["name"]) for c in classes},
        companies=dict(companies),
        apprentices=[
            class_import.Apprentice(a["id"], a["display_name"], a["email"], a["birth_date"], a["company"], a["is_active"]) for a in apprentices
        ],
        contracts=[
            class_import.ContractInfo(
                c["id"], c["apprentice"], c["company"], c["school"], c["school_class"], c["class_name"] or "", c["start_date"], c["end_date"]
            )
            for c in contracts
        ],
        placements={p["apprentice"]: class_import.Placement(p["apprentice"], p["school_class"], p["school"]) for p in placements},
        taken_emails=frozenset(t["email"] for t in taken),
    )


async def _decide(step: ClassListStep, data: bytes, school_id: int) -> ClassListPreview:
    today = today_berlin()
    rows = class_import.read_rows(class_import.read_sheet(data), step.mapping, today)
    outcomes = class_import.decide(rows, await _known(school_id, rows), school_id, today)
    unknown = sorted({o.params["value"] for o in outcomes if o.code == "class_list_unknown_class"}, key=str.casefold)
    return ClassListPreview(
        step=step,
        outcomes=outcomes,
        counts={action: sum(o.action == action for o in outcomes) for action in class_import.ACTIONS},
        unknown_classes=unknown,
        fingerprint=class_import.fingerprint(outcomes),
    )


async def preview_class_list(user: CurrentUser, secret: str, payload: ClassListPayload, raw: dict[str, str]) -> ClassListPreview:
    """Step 3: what "Übernehmen" would do with every row; nothing is stored. ValidationFailed with
    the mapping's errors by field when a column is missing or chosen twice."""
    step, errors, data = mapping_step(user, secret, payload, raw)
    if errors:
        raise ValidationFailed(errors)
    return await _decide(step, data, _school_of(user))


async def import_class_list(settings: Settings, user: CurrentUser, payload: ClassListPayload, raw: dict[str, str], promised: str) -> int:
    """Step 4: do what the preview showed, in the caller's one transaction, and keep the report;
    returns the report's id. Decides again on the same bytes first and writes nothing if any row
    would now end differently (PreviewOutdated); rows that are done already count as unchanged."""
    school_id = _school_admin_school(user)
    step, errors, data = mapping_step(user, settings.secret_key, payload, raw)
    if errors:
        raise ValidationFailed(errors)
    if School._meta.db.engine_type == "postgres":
        # Two clicks on "Übernehmen" at once: the second waits here, then finds everything done.
        await School.select(School.id).where(School.id == school_id).lock_rows("UPDATE")
    preview = await _decide(step, data, school_id)
    outcomes = preview.outcomes
    changed = class_import.changed_since(promised, outcomes)
    if changed:
        raise PreviewOutdated(preview, changed)
    now = utcnow()
    report = msgspec.json.encode(outcomes).decode()
    counts = preview.counts
    rows = await ClassImport.insert(
        ClassImport(
            school=school_id,
            imported_by=user.id,
            filename=payload.filename,
            report=report,
            created_at=now,
            **{action: counts[action] for action in class_import.ACTIONS},
        )
    ).returning(ClassImport.id)
    import_id = rows[0]["id"]
    by_class: dict[int, list[int]] = defaultdict(list)
    for o in outcomes:
        if o.action == class_import.MATCHED:
            by_class[o.class_id].append(o.contract_id)
    # One statement per class (a file names a handful), not per row.
    for class_id, contract_ids in by_class.items():
        await Contract.update({Contract.school_class: class_id, Contract.updated_at: now}).where(
            Contract.id.is_in(contract_ids), Contract.school == school_id
        )
    placements = {o.apprentice_id: o.class_id for o in outcomes if o.action == class_import.PLACED}
    settled = [o.apprentice_id for o in outcomes if o.action in (class_import.MATCHED, class_import.PLACED)]
    if settled:
        # A placement of this school that a contract now fulfils, or that moves to another class.
        await ClassPlacement.delete().where(ClassPlacement.apprentice.is_in(settled))
    invited = [o for o in outcomes if o.action == class_import.INVITED]
    if invited:
        placements.update(await _invite(settings, user, invited))
    if placements:
        await ClassPlacement.insert(
            *(ClassPlacement(apprentice=a, school_class=c, class_import=import_id, created_at=now) for a, c in placements.items())
        )
    return import_id


async def _invite(settings: Settings, user: CurrentUser, invited: list[class_import.Outcome]) -> dict[int, int]:
    """Accounts and invitation mails for the new apprentices (in their companies); apprentice → class."""
    created = await accounts.prepare_accounts(
        settings,
        user.id,
        [
            accounts.NewAccount(
                email=o.email, display_name=o.name, role=Role.apprentice, company_id=o.company_id, birth_date=o.birth_date
            )
            for o in invited
        ],
    )
    await queue_mails(
        [
            Mail(
                o.email,
                "class_invitation",
                company_id=o.company_id,
                school_id=user.school_id,
                context={
                    "display_name": o.name,
                    "school": user.school_name or "",
                    "class_name": o.params["class"],
                    "company": o.params["company"],
                    "link": created[o.email][1],
                    "days": settings.invitation_days,
                },
            )
            for o in invited
        ]
    )
    return {created[o.email][0]: o.class_id for o in invited}


def _import_row(row: dict) -> ClassImportRow:
    return ClassImportRow(
        id=row["id"],
        filename=row["filename"],
        imported_by=row["imported_by_name"] or "",
        created_at=row["created_at"],
        counts={action: row[action] for action in class_import.ACTIONS},
    )


_IMPORT_COLUMNS = (
    ClassImport.id,
    ClassImport.filename,
    ClassImport.imported_by.display_name.as_alias("imported_by_name"),
    ClassImport.created_at,
    *(getattr(ClassImport, action) for action in class_import.ACTIONS),
)


async def class_imports(user: CurrentUser, limit: int = 20) -> list[ClassImportRow]:
    """The school's latest imports, newest first."""
    rows = await ClassImport.select(*_IMPORT_COLUMNS).where(ClassImport.school == _school_admin_school(user)).order_by(
        ClassImport.created_at, ascending=False
    ).order_by(ClassImport.id, ascending=False).limit(limit)
    return [_import_row(r) for r in rows]


async def class_import_report(user: CurrentUser, import_id: int) -> ClassImportReport:
    rows = await ClassImport.select(*_IMPORT_COLUMNS, ClassImport.report).where(
        ClassImport.id == import_id, ClassImport.school == _school_admin_school(user)
    )
    if not rows:
        raise NotFound()
    return ClassImportReport(summary=_import_row(rows[0]), outcomes=msgspec.json.decode(rows[0]["report"], type=list[class_import.Outcome]))


async def class_placements(user: CurrentUser, class_id: int) -> list[PlacementRow]:
    """Who is placed in the class but has no contract naming the school yet."""
    await school_class(user, class_id)
    rows = await ClassPlacement.select(
        ClassPlacement.apprentice.display_name.as_alias("apprentice_name"),
        ClassPlacement.apprentice.company.name.as_alias("company_name"),
        ClassPlacement.apprentice.is_active.as_alias("active"),
    ).where(ClassPlacement.school_class == class_id).order_by(ClassPlacement.apprentice.display_name)
    return [PlacementRow(r["apprentice_name"], r["company_name"] or "", not r["active"]) for r in rows]


async def settle_placement(contract_id: int, apprentice_id: int, school_id: int | None) -> None:
    """A contract saved with a school where its apprentice is placed gets that class (unless it has
    one), and the placement is done. Called by contracts.service.save_contract."""
    if school_id is None:
        return
    placement = await ClassPlacement.select(ClassPlacement.id, ClassPlacement.school_class).where(
        ClassPlacement.apprentice == apprentice_id, ClassPlacement.school_class.school == school_id
    ).first()
    if placement is None:
        return
    await Contract.update({Contract.school_class: placement["school_class"]}).where(
        Contract.id == contract_id, Contract.school == school_id, Contract.school_class.is_null()
    )
    await ClassPlacement.delete().where(ClassPlacement.id == placement["id"])
