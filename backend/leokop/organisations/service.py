"""Rules of organisations: companies and schools (registered by the operator), classes and their members."""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count

from leokop.accounts import service as accounts
from leokop.accounts.schemas import CurrentUser, Role
from leokop.accounts.tables import User
from leokop.contracts.tables import Contract
from leokop.curriculum.tables import Occupation
from leokop.errors import NotFound, ValidationFailed
from leokop.organisations.schemas import (
    ClassMemberRow,
    CompanyForm,
    NewCompanyForm,
    NewSchoolForm,
    OrganisationRow,
    SchoolClassForm,
    SchoolClassRow,
)
from leokop.organisations.tables import ClassTeacher, Company, School, SchoolClass
from leokop.settings import Settings
from leokop.timeutil import utcnow


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


async def company_profile(user: CurrentUser) -> dict:
    rows = await Company.select(Company.id, Company.name, Company.state, Company.city).where(Company.id == user.company_id)
    if not rows:
        raise NotFound()
    return rows[0]


async def update_company(user: CurrentUser, form: CompanyForm) -> None:
    await Company.update({Company.name: form.name.strip(), Company.state: form.state, Company.city: form.city.strip()}).where(
        Company.id == user.company_id
    )


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
        ClassTeacher.teacher.as_alias("id"), ClassTeacher.teacher.display_name.as_alias("display_name")
    ).where(ClassTeacher.school_class == class_id).order_by(ClassTeacher.teacher.display_name)


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
