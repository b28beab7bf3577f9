"""Routes of signing: the trainer's inbox and bulk approval, approve/return/reopen on the week page,
the teacher's co-sign, the guardian's acknowledgement, substitutions, comment templates, and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from leokop.accounts.schemas import CurrentUser
from leokop.errors import StateConflict, ValidationFailed
from leokop.logbook import service as logbook
from leokop.logbook.routes import week_page_response, week_url
from leokop.messages import message
from leokop.signing import service
from leokop.signing.schemas import BulkForm, BulkIn, BulkResult, InboxView, ReasonForm, ReasonIn, ReviewView, SubstitutionForm
from leokop.web.forms import errors_from, parse_form
from leokop.web.pages import redirect, render

WEEK = "/contracts/{contract_id:int}/log/{monday:date}"
API_WEEK = "/api/v1/contracts/{contract_id:int}/weeks/{monday:date}"


def _user(request: Request) -> CurrentUser:
    return request.scope["user"]


# --- inbox ---------------------------------------------------------------------------------------


async def _inbox_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    user = _user(request)
    return render(
        request,
        "signing/inbox.html",
        status_code=status_code,
        inbox=await service.inbox(user),
        done=request.query_params.get("erledigt", ""),
        count=request.query_params.get("anzahl", ""),
        **context,
    )


@get("/freigaben", opt={"action": "review.inbox"}, include_in_schema=False)
async def inbox_page(request: Request) -> Response:
    return await _inbox_page(request)


@post("/freigaben", opt={"action": "review.sign"}, include_in_schema=False)
async def approve_selected(request: Request) -> Response:
    """Approve every ticked week of the inbox at once."""
    parsed = parse_form(BulkForm, await request.form())
    if not parsed.ok:
        return await _inbox_page(request, 422, errors=parsed.errors)
    try:
        result = await service.approve_many(_user(request), parsed.data.week_ids)
    except ValidationFailed as failure:
        return await _inbox_page(request, 422, errors=errors_from(failure))
    return redirect(request, f"/freigaben?erledigt=abgezeichnet&anzahl={result.approved}")


# --- one week ------------------------------------------------------------------------------------


async def _refused(request: Request, contract_id: int, monday: dt.date, conflict: StateConflict) -> Response:
    return await week_page_response(request, contract_id, monday, 409, notice=message(conflict.code))


async def _after_review(request: Request, contract_id: int, monday: dt.date, done: str) -> Response:
    """Straight on to the next week waiting (ten weeks in a minute), else back to the inbox."""
    following = await service.next_waiting_week(_user(request))
    if following is None:
        return redirect(request, f"/freigaben?erledigt={done}")
    return redirect(request, f"{week_url(*following)}?erledigt={done}&vorher={monday.isoformat()}&vertrag={contract_id}")


@post(WEEK + "/approve", opt={"action": "review.sign"}, include_in_schema=False)
async def approve(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    try:
        await service.approve(_user(request), contract_id, monday)
    except StateConflict as conflict:
        return await _refused(request, contract_id, monday, conflict)
    return await _after_review(request, contract_id, monday, "abgezeichnet")


def _reason_errors(errors: dict[str, str], code: str) -> dict[str, str]:
    """An empty reason gets the message that says what the reason is for, not just "Bitte ausfüllen"."""
    if errors.get("reason") == message("required"):
        return {**errors, "reason": message(code)}
    return errors


@post(WEEK + "/return", opt={"action": "review.sign"}, include_in_schema=False)
async def return_week(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    parsed = parse_form(ReasonForm, await request.form())
    if not parsed.ok:
        errors = _reason_errors(parsed.errors, "return_reason_required")
        return await week_page_response(request, contract_id, monday, 422, errors=errors, failed="return", typed=parsed.values)
    user = _user(request)
    try:
        await service.return_week(user, contract_id, monday, parsed.data.reason)
        if parsed.data.save_template:
            await service.save_template(user, parsed.data.reason)
    except StateConflict as conflict:
        return await _refused(request, contract_id, monday, conflict)
    except ValidationFailed as failure:
        return await week_page_response(
            request, contract_id, monday, 422, errors=errors_from(failure), failed="return", typed=parsed.values
        )
    return await _after_review(request, contract_id, monday, "zurueckgegeben")


@post(WEEK + "/reopen", opt={"action": "review.sign"}, include_in_schema=False)
async def reopen(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    parsed = parse_form(ReasonForm, await request.form())
    if not parsed.ok:
        errors = _reason_errors(parsed.errors, "reopen_reason_required")
        return await week_page_response(request, contract_id, monday, 422, errors=errors, failed="reopen", typed=parsed.values)
    try:
        await service.reopen(_user(request), contract_id, monday, parsed.data.reason)
    except StateConflict as conflict:
        return await _refused(request, contract_id, monday, conflict)
    except ValidationFailed as failure:
        return await week_page_response(
            request, contract_id, monday, 422, errors=errors_from(failure), failed="reopen", typed=parsed.values
        )
    return redirect(request, week_url(contract_id, monday) + "?erledigt=geoeffnet")


@post(WEEK + "/cosign", opt={"action": "week.cosign"}, include_in_schema=False)
async def cosign(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    try:
        await service.cosign(_user(request), contract_id, monday)
    except StateConflict as conflict:
        return await _refused(request, contract_id, monday, conflict)
    return redirect(request, week_url(contract_id, monday) + "?erledigt=gegengezeichnet")


@post(WEEK + "/acknowledge", opt={"action": "week.acknowledge"}, include_in_schema=False)
async def acknowledge(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    try:
        await service.acknowledge(_user(request), contract_id, monday)
    except StateConflict as conflict:
        return await _refused(request, contract_id, monday, conflict)
    return redirect(request, week_url(contract_id, monday) + "?erledigt=zur-kenntnis")


@post("/contracts/{contract_id:int}/log/acknowledge", opt={"action": "week.acknowledge"}, include_in_schema=False)
async def acknowledge_all(request: Request, contract_id: FromPath[int]) -> Response:
    count = await service.acknowledge_all(_user(request), contract_id)
    return redirect(request, f"/contracts/{contract_id}/log?zur-kenntnis={count}")


# --- templates and substitutions -----------------------------------------------------------------


@post("/freigaben/vorlagen/{template_id:int}/delete", opt={"action": "review.sign"}, include_in_schema=False)
async def delete_template(request: Request, template_id: FromPath[int]) -> Response:
    await service.delete_template(_user(request), template_id)
    return redirect(request, "/vertretungen#vorlagen")


async def _substitutes_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    user = _user(request)
    current, people = await service.substitutions(user)
    return render(
        request,
        "signing/substitutes.html",
        status_code=status_code,
        substitutions=current,
        people=people,
        templates=await service.own_templates(user),
        **context,
    )


@get("/vertretungen", opt={"action": "substitute.manage"}, include_in_schema=False)
async def substitutes_page(request: Request) -> Response:
    return await _substitutes_page(request)


@post("/vertretungen", opt={"action": "substitute.manage"}, include_in_schema=False)
async def add_substitution(request: Request) -> Response:
    parsed = parse_form(SubstitutionForm, await request.form())
    if not parsed.ok:
        return await _substitutes_page(request, 422, errors=parsed.errors, values=parsed.values)
    data = parsed.data
    try:
        await service.add_substitution(_user(request), data.substitute_id, data.start_date, data.end_date)
    except ValidationFailed as failure:
        return await _substitutes_page(request, 422, errors=errors_from(failure), values=parsed.values)
    return redirect(request, "/vertretungen")


@post("/vertretungen/{substitution_id:int}/delete", opt={"action": "substitute.manage"}, include_in_schema=False)
async def delete_substitution(request: Request, substitution_id: FromPath[int]) -> Response:
    await service.delete_substitution(_user(request), substitution_id)
    return redirect(request, "/vertretungen")


# --- JSON API ------------------------------------------------------------------------------------

TAGS = ["Abzeichnen"]


async def _act_then_review(request: Request, contract_id: int, monday: dt.date, action, *args) -> ReviewView:
    """Run one signing action for the API and answer with the week's review: a state that does not
    allow it is 409 (with the message's code), a bad reason 422 with the field's German message."""
    user = _user(request)
    try:
        await action(user, contract_id, monday, *args)
    except StateConflict as conflict:
        raise HTTPException(status_code=409, detail=message(conflict.code), extra={"code": conflict.code}) from None
    except ValidationFailed as failure:
        raise HTTPException(status_code=422, detail="Die Daten sind ungültig.", extra={"errors": errors_from(failure)}) from None
    return await service.review(user, await logbook.week_view(user, contract_id, monday))


@get("/api/v1/inbox", opt={"action": "review.inbox"}, tags=TAGS, summary="Eingereichte Wochen zum Abzeichnen")
async def api_inbox(request: Request) -> InboxView:
    return await service.inbox(_user(request))


@post("/api/v1/inbox/approve", opt={"action": "review.sign"}, tags=TAGS, summary="Mehrere Wochen abzeichnen", status_code=200)
async def api_approve_many(request: Request, data: JSONBody[BulkIn]) -> BulkResult:
    return await service.approve_many(_user(request), data.week_ids)


@get(API_WEEK + "/review", opt={"action": "log.view"}, tags=TAGS, summary="Unterschriften, Verlauf und Integrität einer Woche")
async def api_review(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> ReviewView:
    user = _user(request)
    return await service.review(user, await logbook.week_view(user, contract_id, monday))


@post(API_WEEK + "/approve", opt={"action": "review.sign"}, tags=TAGS, summary="Woche abzeichnen", status_code=200)
async def api_approve(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> ReviewView:
    """Approving an approved week again changes nothing and answers 200; a returned week answers 409."""
    return await _act_then_review(request, contract_id, monday, service.approve)


@post(API_WEEK + "/return", opt={"action": "review.sign"}, tags=TAGS, summary="Woche zurückgeben", status_code=200)
async def api_return(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], data: JSONBody[ReasonIn]) -> ReviewView:
    return await _act_then_review(request, contract_id, monday, service.return_week, data.reason)


@post(API_WEEK + "/reopen", opt={"action": "review.sign"}, tags=TAGS, summary="Abgezeichnete Woche wieder öffnen", status_code=200)
async def api_reopen(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], data: JSONBody[ReasonIn]) -> ReviewView:
    return await _act_then_review(request, contract_id, monday, service.reopen, data.reason)


@post(API_WEEK + "/cosign", opt={"action": "week.cosign"}, tags=TAGS, summary="Schulteil gegenzeichnen", status_code=200)
async def api_cosign(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> ReviewView:
    return await _act_then_review(request, contract_id, monday, service.cosign)


ROUTES = [
    inbox_page,
    approve_selected,
    approve,
    return_week,
    reopen,
    cosign,
    acknowledge,
    acknowledge_all,
    delete_template,
    substitutes_page,
    add_substitution,
    delete_substitution,
    api_inbox,
    api_approve_many,
    api_review,
    api_approve,
    api_return,
    api_reopen,
    api_cosign,
]
