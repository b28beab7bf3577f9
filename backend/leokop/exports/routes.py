"""Routes of the PDF export and of /verify: parse, ask the service, render."""

from __future__ import annotations

import datetime as dt

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from leokop.accounts.schemas import CurrentUser
from leokop.errors import NotFound, ValidationFailed
from leokop.exports import pdf, service
from leokop.exports.schemas import ExportForm
from leokop.logbook.service import log_contract
from leokop.policy import PUBLIC
from leokop.web.forms import errors_from, submit_form
from leokop.web.pages import file_response, redirect, render

PUBLIC_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


def _user(request: Request) -> CurrentUser:
    return request.scope["user"]


async def _export_page(request: Request, contract_id: int, values: dict | None = None, errors: dict | None = None, status_code: int = 200) -> Response:
    user = _user(request)
    contract = await log_contract(user, contract_id)
    exports = await service.recent_exports(user, contract_id)
    return render(
        request, "exports/form.html", contract=contract, exports=exports, values=values or {}, errors=errors or {}, status_code=status_code
    )


@get("/contracts/{contract_id:int}/export", opt={"action": "log.export"}, include_in_schema=False)
async def export_form(request: Request, contract_id: FromPath[int]) -> Response:
    return await _export_page(request, contract_id)


@post("/contracts/{contract_id:int}/export", opt={"action": "log.export"}, include_in_schema=False)
async def start_export(request: Request, contract_id: FromPath[int]) -> Response:
    user = _user(request)
    data = dict(await request.form())
    result = await submit_form(ExportForm, data, lambda form: service.request_export(user, contract_id, form.first, form.last))
    if not result.ok:
        return await _export_page(request, contract_id, data, result.errors, status_code=422)
    return redirect(request, f"/exports/{result.result}")


@post("/contracts/{contract_id:int}/log/{monday:date}/pdf", opt={"action": "log.export", "no_compression": True}, status_code=200, include_in_schema=False)
async def week_pdf(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    """One week's sheet at once, as a download (no job: it takes a few hundredths of a second)."""
    settings = request.app.state.settings
    export_id = await service.export_now(_user(request), contract_id, monday, monday, settings)
    return file_response(
        service.export_path(export_id, settings.var_dir),
        "application/pdf",
        f'attachment; filename="ausbildungsnachweis-{contract_id}-{monday.isoformat()}.pdf"',
    )


@get("/exports/{export_id:int}", opt={"action": "log.export"}, include_in_schema=False)
async def export_status(request: Request, export_id: FromPath[int]) -> Response:
    """The job's progress; the htmx fragment polls itself until the file is ready."""
    job = await service.export_of(_user(request), export_id, request.app.state.settings.var_dir)
    return render(request, "exports/status.html", job=job, headers={"Cache-Control": "no-store"})


@get("/exports/{export_id:int}/datei", opt={"action": "log.export", "no_compression": True}, include_in_schema=False)
async def export_file(request: Request, export_id: FromPath[int]) -> Response:
    settings = request.app.state.settings
    job = await service.export_of(_user(request), export_id, settings.var_dir)
    if not job.file_present:
        raise NotFound()  # not rendered yet, failed, or removed after KEEP_FILES
    name = f"ausbildungsnachweis-{job.contract_id}-{job.first_monday.isoformat()}-bis-{job.last_monday.isoformat()}.pdf"
    return file_response(service.export_path(export_id, settings.var_dir), "application/pdf", f'attachment; filename="{name}"')


# --- /verify: public ---------------------------------------------------------------------------


@get("/verify", opt={"action": PUBLIC}, include_in_schema=False)
async def verify_page(request: Request) -> Response:
    code = request.query_params.get("code", "").strip()
    if code:
        return redirect(request, f"/verify/{pdf.normalize_code(code)}")
    return render(request, "exports/verify.html", values={}, errors={}, headers=PUBLIC_HEADERS)


@get("/verify/{code:str}", opt={"action": PUBLIC}, include_in_schema=False)
async def verify_code(request: Request, code: FromPath[str]) -> Response:
    check = await service.check_code(code)
    return render(
        request,
        "exports/verify.html",
        check=check,
        values={"code": pdf.format_code(check.code) if len(check.code) == 12 else code},
        errors={},
        status_code=200 if check.found else 404,
        headers=PUBLIC_HEADERS,
    )


@post("/verify", opt={"action": PUBLIC}, include_in_schema=False)
async def verify_upload(request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        result = await service.check_upload(data)
    except ValidationFailed as failure:
        return render(request, "exports/verify.html", values={}, errors=errors_from(failure), status_code=422, headers=PUBLIC_HEADERS)
    return render(
        request,
        "exports/verify.html",
        upload=result,
        filename=upload.filename if isinstance(upload, UploadFile) else "",
        values={},
        errors={},
        headers=PUBLIC_HEADERS,
    )


ROUTES = [export_form, start_export, week_pdf, export_status, export_file, verify_page, verify_code, verify_upload]
