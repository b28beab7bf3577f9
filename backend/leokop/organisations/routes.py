"""Routes of organisations: the operator's register of companies and schools, company profile,
classes, and the import of class lists (upload, column mapping, preview, "Übernehmen", report)."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from leokop.accounts.schemas import Role
from leokop.errors import ValidationFailed
from leokop.organisations import class_import, service
from leokop.signing import service as signing
from leokop.organisations.schemas import (
    STATES,
    AssignForm,
    ClassTeacherForm,
    ClassListPayload,
    CompanyForm,
    NewCompanyForm,
    NewSchoolForm,
    SchoolOfficeForm,
    SchoolClassForm,
)
from leokop.web.forms import errors_from, parse_form, submit_form
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
    parsed = await submit_form(CompanyForm, await request.form(), partial(service.update_company, request.scope["user"]))
    if parsed.ok:
        return redirect(request, "/company?gespeichert=1")
    return render(request, "organisations/company.html", status_code=422, errors=parsed.errors, values=parsed.values, states=STATES, saved=False)


async def _classes_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    user = request.scope["user"]
    may_manage = user.role is Role.school_admin
    if may_manage:  # the office's contact form shows what is stored unless it answers itself
        context["office"] = {**await service.school_office(user), **context.get("office", {})}
    return render(
        request,
        "organisations/classes.html",
        status_code=status_code,
        classes=await service.classes_of(user),
        occupations=await service.occupations_for_choice(),
        may_manage=may_manage,
        **context,
    )


@get("/classes", opt={"action": "class.view"}, include_in_schema=False)
async def classes_page(request: Request) -> Response:
    return await _classes_page(request, office_saved=request.query_params.get("sekretariat") == "1")


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
        placements=await service.class_placements(user, class_id) if may_manage else [],
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


@post("/school", opt={"action": "school.manage"}, include_in_schema=False)
async def update_school_office(request: Request) -> Response:
    parsed = await submit_form(SchoolOfficeForm, await request.form(), partial(service.set_school_office, request.scope["user"]))
    if parsed.ok:
        return redirect(request, "/classes?sekretariat=1#sekretariat")
    return await _classes_page(request, 422, office=parsed.values, office_errors=parsed.errors)


@post("/classes/{class_id:int}/teachers/{user_id:int}", opt={"action": "school.manage"}, include_in_schema=False)
async def update_class_teacher(request: Request, class_id: FromPath[int], user_id: FromPath[int]) -> Response:
    """Class lead and subjects of one teacher of the class (shown in the apprentices' contacts)."""
    parsed = parse_form(ClassTeacherForm, await request.form())
    if not parsed.ok:
        return await _class_page(request, class_id, 422, teacher_errors={user_id: parsed.errors}, teacher_values={user_id: parsed.values})
    await service.set_class_teacher(request.scope["user"], class_id, user_id, parsed.data)
    return redirect(request, f"/classes/{class_id}#lehrkraefte")


@post("/classes/{class_id:int}/teachers/{user_id:int}/remove", opt={"action": "school.manage"}, include_in_schema=False)
async def remove_teacher(request: Request, class_id: FromPath[int], user_id: FromPath[int]) -> Response:
    await service.remove_teacher(request.scope["user"], class_id, user_id)
    return redirect(request, f"/classes/{class_id}#lehrkraefte")


# --- class lists ---------------------------------------------------------------------------------

CLASS_IMPORT = "/classes/import"
MAPPING_FIELDS = {"fields": class_import.FIELDS, "labels": class_import.FIELD_LABELS, "optional": class_import.OPTIONAL_FIELDS}


async def _upload_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        "organisations/class_import.html",
        status_code=status_code,
        imports=await service.class_imports(request.scope["user"]),
        max_rows=class_import.MAX_ROWS,
        **context,
    )


def _mapping_page(request: Request, step, errors: dict[str, str]) -> Response:
    return render(
        request,
        "organisations/class_import_mapping.html",
        status_code=422 if errors else 200,
        step=step,
        errors=errors,
        **MAPPING_FIELDS,
    )


async def _steps(request: Request, handle) -> Response:
    """Steps 3 and 4 share their input (the file's payload and the mapping) and their failures: a
    payload that does not verify goes back to the upload, a mapping with errors to the mapping page."""
    user, secret = request.scope["user"], request.app.state.settings.secret_key
    form = await request.form()
    parsed = parse_form(ClassListPayload, form)
    raw = {field: str(form.get(field) or "") for field in class_import.FIELDS}
    try:
        if not parsed.ok:
            raise ValidationFailed({"file": "class_list_signature_invalid"})
        step, errors, _ = service.mapping_step(user, secret, parsed.data, raw)
        if errors:
            return _mapping_page(request, step, errors_from(ValidationFailed(errors)))
        return await handle(parsed.data, raw, form)
    except ValidationFailed as failure:
        return await _upload_page(request, 422, errors=errors_from(failure))


@get(CLASS_IMPORT, opt={"action": "school.manage"}, include_in_schema=False)
async def class_import_page(request: Request) -> Response:
    return await _upload_page(request)


@post(CLASS_IMPORT, opt={"action": "school.manage"}, include_in_schema=False)
async def class_import_upload(request: Request) -> Response:
    """Step 1 → 2: read the file and offer the column mapping (nothing is stored)."""
    upload = (await request.form()).get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    try:
        step = service.upload_class_list(request.scope["user"], request.app.state.settings.secret_key, filename or "", data)
    except ValidationFailed as failure:
        return await _upload_page(request, 422, errors=errors_from(failure))
    return _mapping_page(request, step, {})


@post(CLASS_IMPORT + "/preview", opt={"action": "school.manage"}, include_in_schema=False)
async def class_import_preview(request: Request) -> Response:
    """Step 3: what "Übernehmen" would do with every row (nothing is stored)."""
    user, secret = request.scope["user"], request.app.state.settings.secret_key

    async def preview(payload, raw, form) -> Response:
        result = await service.preview_class_list(user, secret, payload, raw)
        return render(request, "organisations/class_import_preview.html", preview=result, changed=[], **MAPPING_FIELDS)

    return await _steps(request, preview)


@post(CLASS_IMPORT + "/confirm", opt={"action": "school.manage"}, include_in_schema=False)
async def class_import_confirm(request: Request) -> Response:
    """Step 4: import in one transaction and show the report; a preview that no longer holds is
    shown again with the rows that changed, and nothing is imported."""

    async def confirm(payload, raw, form) -> Response:
        try:
            import_id = await service.import_class_list(
                request.app.state.settings, request.scope["user"], payload, raw, str(form.get("fingerprint") or "")
            )
        except service.PreviewOutdated as outdated:
            return render(
                request,
                "organisations/class_import_preview.html",
                status_code=409,
                preview=outdated.preview,
                changed=outdated.changed,
                **MAPPING_FIELDS,
            )
        return redirect(request, f"{CLASS_IMPORT}/{import_id}")

    return await _steps(request, confirm)


@get(CLASS_IMPORT + "/{import_id:int}", opt={"action": "school.manage"}, include_in_schema=False)
async def class_import_report(request: Request, import_id: FromPath[int]) -> Response:
    report = await service.class_import_report(request.scope["user"], import_id)
    return render(request, "organisations/class_import_report.html", report=report)


ROUTES = [
    class_import_page,
    class_import_upload,
    class_import_preview,
    class_import_confirm,
    class_import_report,
    assign_teacher,
    remove_teacher,
    update_class_teacher,
    update_school_office,
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
