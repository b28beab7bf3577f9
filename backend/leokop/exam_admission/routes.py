"""Routes of exam admission: the company's preparation page (completeness check, export, share
links) and the chamber's read-only pages behind a share link's token."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from leokop.errors import NotFound, ValidationFailed
from leokop.exam_admission import service
from leokop.exam_admission.schemas import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, ShareForm
from leokop.messages import message
from leokop.policy import PUBLIC
from leokop.timeutil import today_berlin
from leokop.web.forms import errors_from, parse_form
from leokop.web.pages import file_response, redirect, render

PAGE = "/contracts/{contract_id:int}/pruefung"
SHARED = "/freigabe/{token:str}"
# The chamber's pages: never cached, never indexed, and the token in the address never leaves
# with a click (no Referer).
# No CSRF cookie either: the chamber's visit leaves no cookie behind (there is nothing to post).
SHARED_OPT = {"action": PUBLIC, "writes": True, "exclude_from_csrf": True}
SHARED_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _page_url(contract_id: int) -> str:
    return f"/contracts/{contract_id}/pruefung"


async def _exam_page(request: Request, contract_id: int, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("values", {"valid_days": str(DEFAULT_DAYS)})
    return render(
        request,
        "exam_admission/prepare.html",
        status_code=status_code,
        page=await service.exam_page(request.scope["user"], contract_id),
        min_days=MIN_DAYS,
        max_days=MAX_DAYS,
        revoked=request.query_params.get("widerrufen", ""),
        **context,
    )


@get(PAGE, opt={"action": "exam.prepare"}, include_in_schema=False)
async def exam_page(request: Request, contract_id: FromPath[int]) -> Response:
    return await _exam_page(request, contract_id)


def _share_errors(errors: dict[str, str]) -> dict[str, str]:
    """The messages the service would give: a validity that is no number names the bounds like one
    out of range, an empty label says what it is for."""
    errors = dict(errors)
    if "valid_days" in errors:
        errors["valid_days"] = message("share_days_range", min_days=MIN_DAYS, max_days=MAX_DAYS)
    if errors.get("label") == message("required"):
        errors["label"] = message("share_label_required")
    return errors


@post(PAGE + "/freigaben", opt={"action": "exam.prepare"}, include_in_schema=False)
async def create_share_link(request: Request, contract_id: FromPath[int]) -> Response:
    """Create a link and show it once, on this response only: it is stored only as a hash."""
    parsed = parse_form(ShareForm, await request.form())
    if not parsed.ok:
        return await _exam_page(request, contract_id, 422, errors=_share_errors(parsed.errors), values=parsed.values)
    try:
        token = await service.create_share_link(request.scope["user"], contract_id, parsed.data.label, parsed.data.valid_days)
    except ValidationFailed as failure:
        return await _exam_page(request, contract_id, 422, errors=errors_from(failure), values=parsed.values)
    link = f"{request.app.state.settings.effective_base_url}/freigabe/{token}"
    return await _exam_page(request, contract_id, new_link=link, new_label=parsed.data.label.strip())


@post(PAGE + "/freigaben/{share_id:int}/widerrufen", opt={"action": "exam.prepare"}, include_in_schema=False)
async def revoke_share_link(request: Request, contract_id: FromPath[int], share_id: FromPath[int]) -> Response:
    await service.revoke_share_link(request.scope["user"], contract_id, share_id)
    return redirect(request, _page_url(contract_id) + "?widerrufen=1#freigaben")


# --- the chamber's read-only pages ----------------------------------------------------------------


def _shared(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    return render(request, template, status_code=status_code, headers=SHARED_HEADERS, **context)


def _gone(request: Request, invalid: service.ShareLinkInvalid) -> Response:
    """The same page for unknown, expired and revoked links: it tells nothing about the log."""
    return _shared(request, "exam_admission/shared_gone.html", 410 if invalid.gone else 404)


@get(SHARED, opt=SHARED_OPT, include_in_schema=False)
async def shared_log(request: Request, token: FromPath[str]) -> Response:
    try:
        contract_id, expires_at = await service.open_share(token, "overview")
    except service.ShareLinkInvalid as invalid:
        return _gone(request, invalid)
    return _shared(request, "exam_admission/shared_log.html", log=await service.shared_log(contract_id, expires_at), token=token)


@get(SHARED + "/wochen/{monday:date}", opt=SHARED_OPT, include_in_schema=False)
async def shared_week(request: Request, token: FromPath[str], monday: FromPath[dt.date]) -> Response:
    try:
        contract_id, _ = await service.open_share(token, f"week:{monday.isoformat()}")
    except service.ShareLinkInvalid as invalid:
        return _gone(request, invalid)
    try:
        week, review = await service.shared_week(contract_id, monday)
    except NotFound:
        return _shared(request, "exam_admission/shared_missing.html", 404, token=token, what="week")
    return _shared(request, "exam_admission/shared_week.html", week=week, review=review, token=token, today=today_berlin())


@get(SHARED + "/pdf", opt={**SHARED_OPT, "no_compression": True}, include_in_schema=False)
async def shared_pdf(request: Request, token: FromPath[str]) -> Response:
    """The newest finished PDF of the whole log, as the company exported it."""
    try:
        contract_id, _ = await service.open_share(token, "pdf")
    except service.ShareLinkInvalid as invalid:
        return _gone(request, invalid)
    path = await service.latest_pdf(contract_id, request.app.state.settings.var_dir)
    if path is None:
        return _shared(request, "exam_admission/shared_missing.html", 404, token=token, what="pdf")
    response = file_response(path, "application/pdf", 'attachment; filename="Ausbildungsnachweis.pdf"')
    response.headers.update(SHARED_HEADERS)
    return response


ROUTES = [exam_page, create_share_link, revoke_share_link, shared_log, shared_week, shared_pdf]
