"""Routes of organisations: the operator's register of companies and schools, company profile, classes."""

from __future__ import annotations

from typing import Any

from litestar.params import FromPath
from litestar import Request, Response, get, post

from leokop.accounts.schemas import Role
from leokop.errors import ValidationFailed
from leokop.organisations import service
from leokop.signing import service as signing
from leokop.organisations.schemas import (
    STATES,
    AssignForm,
    CompanyForm,
    NewCompanyForm,
    NewSchoolForm,
    SchoolClassForm,
)
from leokop.web.forms import errors_from, parse_form
from leokop.web.pages import redirect, render


async def _register_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    companies, schools = await service.companies_and_schools()
    context.setdefault("company_errors", {})
    context.setdefault("company_values", {"state": "HE", "first_role": "trainer"})
    context.setdefault("school_errors", {})
    context.setdefault("school_values", {"state": "HE"})
    return render(
        request,
        "organisations/register.html",
        status_code=status_code,
        companies=companies,
        schools=schools,
        states=STATES,
        **context,
    )


@get("/admin/organisations", opt={"action": "organisation.manage"}, include_in_schema=False)
async def register_page(request: Request) -> Response:
    return await _register_page(request)


@post("/admin/companies", opt={"action": "organisation.manage"}, include_in_schema=False)
async def register_company(request: Request) -> Response:
    parsed = parse_form(NewCompanyForm, await request.form())
    if parsed.ok:
        try:
            link = await service.register_company(request.app.state.settings, request.scope["user"], parsed.data)
        except ValidationFailed as failure:
            errors = {("first_email" if k == "email" else k): v for k, v in errors_from(failure).items()}
            return await _register_page(request, 422, company_errors=errors, company_values=parsed.values)
        return await _register_page(request, invited_link=link)
    return await _register_page(request, 422, company_errors=parsed.errors, company_values=parsed.values)


@post("/admin/schools", opt={"action": "organisation.manage"}, include_in_schema=False)
async def register_school(request: Request) -> Response:
    parsed = parse_form(NewSchoolForm, await request.form())
    if parsed.ok:
        try:
            link = await service.register_school(request.app.state.settings, request.scope["user"], parsed.data)
        except ValidationFailed as failure:
            errors = {("first_email" if k == "email" else k): v for k, v in errors_from(failure).items()}
            return await _register_page(request, 422, school_errors=errors, school_values=parsed.values)
        return await _register_page(request, invited_link=link)
    return await _register_page(request, 422, school_errors=parsed.errors, school_values=parsed.values)


@get("/company", opt={"action": "company.manage"}, include_in_schema=False)
async def company_page(request: Request) -> Response:
    profile = await service.company_profile(request.scope["user"])
    return render(
        request,
        "organisations/company.html",
        values=profile,
        states=STATES,
        saved=request.query_params.get("gespeichert") == "1",
    )


@post("/company", opt={"action": "company.manage"}, include_in_schema=False)
async def update_company(request: Request) -> Response:
    parsed = parse_form(CompanyForm, await request.form())
    if not parsed.ok:
        return render(request, "organisations/company.html", status_code=422, errors=parsed.errors, values=parsed.values, states=STATES, saved=False)
    await service.update_company(request.scope["user"], parsed.data)
    return redirect(request, "/company?gespeichert=1")


async def _classes_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    user = request.scope["user"]
    return render(
        request,
        "organisations/classes.html",
        status_code=status_code,
        classes=await service.classes_of(user),
        occupations=await service.occupations_for_choice(),
        may_manage=user.role is Role.school_admin,
        **context,
    )


@get("/classes", opt={"action": "class.view"}, include_in_schema=False)
async def classes_page(request: Request) -> Response:
    return await _classes_page(request)


@post("/classes", opt={"action": "school.manage"}, include_in_schema=False)
async def create_class(request: Request) -> Response:
    parsed = parse_form(SchoolClassForm, await request.form())
    if parsed.ok:
        try:
            class_id = await service.create_class(request.scope["user"], parsed.data)
        except ValidationFailed as failure:
            return await _classes_page(request, 422, errors=errors_from(failure), values=parsed.values)
        return redirect(request, f"/classes/{class_id}")
    return await _classes_page(request, 422, errors=parsed.errors, values=parsed.values)


async def _class_page(request: Request, class_id: int, status_code: int = 200, **context: Any) -> Response:
    user = request.scope["user"]
    school_class = await service.school_class(user, class_id)
    may_manage = user.role is Role.school_admin
    return render(
        request,
        "organisations/class.html",
        status_code=status_code,
        school_class=school_class,
        members=await service.class_members(user, class_id),
        unassigned=await service.unassigned_registrations(user) if may_manage else [],
        teachers=await service.class_teachers(user, class_id),
        school_teachers=await service.school_teachers(user) if may_manage else [],
        logs=await signing.class_overview(user, class_id),
        may_manage=may_manage,
        **context,
    )


@get("/classes/{class_id:int}", opt={"action": "class.view"}, include_in_schema=False)
async def class_page(request: Request, class_id: FromPath[int]) -> Response:
    return await _class_page(request, class_id)


@post("/classes/{class_id:int}/members", opt={"action": "school.manage"}, include_in_schema=False)
async def assign_member(request: Request, class_id: FromPath[int]) -> Response:
    parsed = parse_form(AssignForm, await request.form())
    if parsed.ok:
        try:
            await service.assign_to_class(request.scope["user"], class_id, parsed.data.contract_id)
        except ValidationFailed as failure:
            return await _class_page(request, class_id, 422, errors=errors_from(failure))
        return redirect(request, f"/classes/{class_id}")
    return await _class_page(request, class_id, 422, errors=parsed.errors)


@post("/classes/{class_id:int}/members/{contract_id:int}/remove", opt={"action": "school.manage"}, include_in_schema=False)
async def remove_member(request: Request, class_id: FromPath[int], contract_id: FromPath[int]) -> Response:
    await service.remove_from_class(request.scope["user"], class_id, contract_id)
    return redirect(request, f"/classes/{class_id}")


@post("/classes/{class_id:int}/teachers", opt={"action": "school.manage"}, include_in_schema=False)
async def assign_teacher(request: Request, class_id: FromPath[int]) -> Response:
    form = await request.form()
    teacher = str(form.get("teacher_id") or "")
    try:
        await service.assign_teacher(request.scope["user"], class_id, int(teacher) if teacher.isdigit() else 0)
    except ValidationFailed as failure:
        return await _class_page(request, class_id, 422, errors=errors_from(failure), failed="teachers")
    return redirect(request, f"/classes/{class_id}#lehrkraefte")


@post("/classes/{class_id:int}/teachers/{user_id:int}/remove", opt={"action": "school.manage"}, include_in_schema=False)
async def remove_teacher(request: Request, class_id: FromPath[int], user_id: FromPath[int]) -> Response:
    await service.remove_teacher(request.scope["user"], class_id, user_id)
    return redirect(request, f"/classes/{class_id}#lehrkraefte")


ROUTES = [
    assign_teacher,
    remove_teacher,
    register_page,
    register_company,
    register_school,
    company_page,
    update_company,
    classes_page,
    create_class,
    class_page,
    assign_member,
    remove_member,
]
