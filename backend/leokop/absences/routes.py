"""Routes of absences: the overviews (class, company, one apprentice), one absence with its actions,
the contract's settings, and the JSON API. Thin: parse, call the service, render."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody

from leokop.absences import service
from leokop.absences.schemas import (
    AbsenceForm,
    AbsenceIn,
    AbsenceView,
    ApprenticeChoice,
    BasisForm,
    ContractAbsences,
    CorrectionForm,
    DecisionIn,
    MonthView,
    ResponseForm,
    ResponseIn,
    SickDaysForm,
    VersionForm,
)
from leokop.accounts.schemas import CurrentUser, Role
from leokop.errors import StateConflict, ValidationFailed
from leokop.messages import message
from leokop.timeutil import today_berlin
from leokop.web.forms import errors_from, parse_form
from leokop.web.pages import redirect, render

ABSENCE = "/fehlzeiten/{absence_id:int}"


def _user(request: Request) -> CurrentUser:
    return request.scope["user"]


def _month_links(month: dt.date) -> dict[str, str]:
    before = (month - dt.timedelta(days=1)).replace(day=1)
    return {"previous": before.strftime("%Y-%m"), "next": service.next_month(month).strftime("%Y-%m")}


# --- overviews -----------------------------------------------------------------------------------


@get("/fehlzeiten", opt={"action": "absence.view"}, include_in_schema=False)
async def start_page(request: Request) -> Response:
    """The school's classes, the company's month, or the apprentice's (guardian's) own absences."""
    user = _user(request)
    if user.role in (Role.teacher, Role.school_admin):
        return render(request, "absences/start.html", classes=await service.classes(user))
    if user.role in (Role.apprentice, Role.guardian):
        own = await service.own_contracts(user)
        if len(own) == 1:
            return redirect(request, f"/contracts/{own[0]['id']}/fehlzeiten")
        return render(request, "absences/start.html", contracts=own)
    month = service.month_of(request.query_params.get("monat"))
    return render(request, "absences/month.html", view=await service.company_month(user, month), links=_month_links(month), base="/fehlzeiten")


async def _class_page(request: Request, class_id: int, status_code: int = 200, **context: Any) -> Response:
    user = _user(request)
    month = service.month_of(request.query_params.get("monat"))
    context.setdefault("values", {"date": today_berlin().isoformat()})
    return render(
        request,
        "absences/month.html",
        status_code=status_code,
        school_class=await service.school_class(user, class_id),
        view=await service.class_month(user, class_id, month),
        links=_month_links(month),
        base=f"/classes/{class_id}/fehlzeiten",
        **context,
    )


@get("/classes/{class_id:int}/fehlzeiten", opt={"action": "class.view"}, include_in_schema=False)
async def class_page(request: Request, class_id: FromPath[int]) -> Response:
    return await _class_page(request, class_id)


async def _record(request: Request, form, extra: type | None, call, page) -> Response:
    """Parse the record form (plus `extra` fields), record through `call(data[, extra])`, and show
    the new absence; bad input re-renders `page` (422) with German messages and what was typed."""
    parsed = parse_form(AbsenceForm, form)
    chosen = parse_form(extra, form) if extra else None
    errors = {**parsed.errors, **(chosen.errors if chosen else {})}
    if not errors:
        try:
            absence_id = await call(parsed.data.to_input(), *([chosen.data] if chosen else []))
        except ValidationFailed as failure:
            errors = errors_from(failure)
        else:
            return redirect(request, f"/fehlzeiten/{absence_id}?erledigt=erfasst")
    return await page(422, errors=errors, values={**parsed.values, **(chosen.values if chosen else {})})


@post("/classes/{class_id:int}/fehlzeiten", opt={"action": "absence.record"}, include_in_schema=False)
async def record_for_class(request: Request, class_id: FromPath[int]) -> Response:
    """The class overview's form: which apprentice, which day, whole day or lessons."""

    async def call(data: AbsenceIn, choice: ApprenticeChoice) -> int:
        return await service.record_in_class(_user(request), class_id, choice.contract_id, data)

    return await _record(request, await request.form(), ApprenticeChoice, call, partial(_class_page, request, class_id))


async def _contract_page(request: Request, contract_id: int, status_code: int = 200, **context: Any) -> Response:
    user = _user(request)
    missing_basis = await service.contract_without_basis(user, contract_id)
    if missing_basis is not None:
        return render(request, "absences/contract.html", status_code=status_code, no_basis=missing_basis, contract_id=contract_id)
    context.setdefault("values", {"date": today_berlin().isoformat()})
    return render(
        request,
        "absences/contract.html",
        status_code=status_code,
        view=await service.contract_absences(user, contract_id),
        deleted=request.query_params.get("geloescht") == "1",
        **context,
    )


@get("/contracts/{contract_id:int}/fehlzeiten", opt={"action": "absence.view"}, include_in_schema=False)
async def contract_page(request: Request, contract_id: FromPath[int]) -> Response:
    return await _contract_page(request, contract_id)


@post("/contracts/{contract_id:int}/fehlzeiten", opt={"action": "absence.record"}, include_in_schema=False)
async def record_for_contract(request: Request, contract_id: FromPath[int]) -> Response:
    async def call(data: AbsenceIn) -> int:
        return await service.record(_user(request), contract_id, data)

    return await _record(request, await request.form(), None, call, partial(_contract_page, request, contract_id))


# --- one absence -----------------------------------------------------------------------------------


async def _absence_page(request: Request, absence_id: int, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        "absences/detail.html",
        status_code=status_code,
        absence=await service.absence(_user(request), absence_id),
        done=request.query_params.get("erledigt", ""),
        **context,
    )


@get(ABSENCE, opt={"action": "absence.view"}, include_in_schema=False)
async def absence_page(request: Request, absence_id: FromPath[int]) -> Response:
    return await _absence_page(request, absence_id)


async def _act(request: Request, absence_id: int, form_type: type, failed: str, act, done: str) -> Response:
    """Parse one action's form, run it, and go back to the absence; a bad field re-renders the page
    (422) with the German message and what was typed, a change by someone else or a status that
    no longer allows it shows the current state with the reason (409)."""
    parsed = parse_form(form_type, await request.form())
    if not parsed.ok:
        return await _absence_page(request, absence_id, 422, errors=parsed.errors, values=parsed.values, failed=failed)
    try:
        target = await act(_user(request), parsed.data)
    except ValidationFailed as failure:
        return await _absence_page(request, absence_id, 422, errors=errors_from(failure), values=parsed.values, failed=failed)
    except StateConflict as conflict:
        return await _absence_page(request, absence_id, 409, notice=message(conflict.code))
    return redirect(request, target or f"/fehlzeiten/{absence_id}?erledigt={done}")


@post(ABSENCE + "/correct", opt={"action": "absence.record"}, include_in_schema=False)
async def correct(request: Request, absence_id: FromPath[int]) -> Response:
    async def act(user, data: CorrectionForm):
        await service.correct(user, absence_id, data.version, data.to_input())

    return await _act(request, absence_id, CorrectionForm, "correct", act, "korrigiert")


@post(ABSENCE + "/delete", opt={"action": "absence.record"}, include_in_schema=False)
async def delete(request: Request, absence_id: FromPath[int]) -> Response:
    async def act(user, data: VersionForm):
        contract_id = await service.delete(user, absence_id, data.version)
        return f"/contracts/{contract_id}/fehlzeiten?geloescht=1"

    return await _act(request, absence_id, VersionForm, "delete", act, "geloescht")


@post(ABSENCE + "/decide", opt={"action": "absence.decide"}, include_in_schema=False)
async def decide(request: Request, absence_id: FromPath[int]) -> Response:
    async def act(user, data: DecisionIn):
        await service.decide(user, absence_id, data.version, data.decision, data.comment)

    return await _act(request, absence_id, DecisionIn, "decide", act, "entschieden")


@post(ABSENCE + "/respond", opt={"action": "absence.respond"}, include_in_schema=False)
async def respond(request: Request, absence_id: FromPath[int]) -> Response:
    async def act(user, data: ResponseForm):
        await service.respond(user, absence_id, data.version, data.reason, data.note, data.intent == "request")

    return await _act(request, absence_id, ResponseForm, "respond", act, "gemeldet")


# --- the contract's settings -----------------------------------------------------------------------


@post("/contracts/{contract_id:int}/absence-basis", opt={"action": "absence.basis"}, include_in_schema=False)
async def set_basis(request: Request, contract_id: FromPath[int]) -> Response:
    parsed = parse_form(BasisForm, await request.form())
    if parsed.ok:
        basis = "" if parsed.data.absence_basis == "none" else parsed.data.absence_basis
        await service.set_basis(_user(request), contract_id, basis)
    return redirect(request, f"/contracts/{contract_id}#fehlzeiten")


@post("/contracts/{contract_id:int}/sick-days", opt={"action": "absence.sick_days"}, include_in_schema=False)
async def set_sick_days(request: Request, contract_id: FromPath[int]) -> Response:
    parsed = parse_form(SickDaysForm, await request.form())
    if parsed.ok:
        await service.set_share_sick_days(_user(request), contract_id, parsed.data.share == "1")
    return redirect(request, f"/contracts/{contract_id}#fehlzeiten")


# --- JSON API --------------------------------------------------------------------------------------

TAGS = ["Fehlzeiten"]


async def _api(call, *args):
    """Run a service call for the API: a bad field is 422 with German messages per field, a status
    that does not allow it (or a change by someone else) 409 with the message and its code."""
    try:
        return await call(*args)
    except ValidationFailed as failure:
        raise HTTPException(status_code=422, detail="Die Daten sind ungültig.", extra={"errors": errors_from(failure)}) from None
    except StateConflict as conflict:
        raise HTTPException(status_code=409, detail=message(conflict.code), extra={"code": conflict.code}) from None


@get("/api/v1/contracts/{contract_id:int}/absences", opt={"action": "absence.view"}, tags=TAGS, summary="Fehlzeiten eines Vertrags")
async def api_list(request: Request, contract_id: FromPath[int]) -> ContractAbsences:
    """Every absence of the contract with its history, and the log's sick days if the contract shares them."""
    return await service.contract_absences(_user(request), contract_id)


@post("/api/v1/contracts/{contract_id:int}/absences", opt={"action": "absence.record"}, tags=TAGS, summary="Fehlzeit erfassen", status_code=201)
async def api_record(request: Request, contract_id: FromPath[int], data: JSONBody[AbsenceIn]) -> AbsenceView:
    user = _user(request)
    absence_id = await _api(service.record, user, contract_id, data)
    return await service.absence(user, absence_id)


@get("/api/v1/absences/{absence_id:int}", opt={"action": "absence.view"}, tags=TAGS, summary="Eine Fehlzeit mit Verlauf")
async def api_absence(request: Request, absence_id: FromPath[int]) -> AbsenceView:
    return await service.absence(_user(request), absence_id)


@post("/api/v1/absences/{absence_id:int}/decide", opt={"action": "absence.decide"}, tags=TAGS, summary="Entschuldigt / unentschuldigt", status_code=200)
async def api_decide(request: Request, absence_id: FromPath[int], data: JSONBody[DecisionIn]) -> AbsenceView:
    """Only a teacher of the class decides; the same decision again changes nothing. A stale
    `version` answers 409."""
    user = _user(request)
    await _api(service.decide, user, absence_id, data.version, data.decision, data.comment)
    return await service.absence(user, absence_id)


@post("/api/v1/absences/{absence_id:int}/respond", opt={"action": "absence.respond"}, tags=TAGS, summary="Grund melden, Entschuldigung anfordern", status_code=200)
async def api_respond(request: Request, absence_id: FromPath[int], data: JSONBody[ResponseIn]) -> AbsenceView:
    user = _user(request)
    await _api(service.respond, user, absence_id, data.version, data.reason, data.note, data.request_excuse)
    return await service.absence(user, absence_id)


@get("/api/v1/classes/{class_id:int}/absences", opt={"action": "class.view"}, tags=TAGS, summary="Fehlzeiten einer Klasse im Monat")
async def api_class(request: Request, class_id: FromPath[int], month: FromQuery[str | None] = None) -> MonthView:
    """`month` as 2026-11 (default: this month): per apprentice whole days, lessons, undecided,
    excused, unexcused and shared sick days, and every absence of the month."""
    return await service.class_month(_user(request), class_id, service.month_of(month))


ROUTES = [
    start_page,
    class_page,
    record_for_class,
    contract_page,
    record_for_contract,
    absence_page,
    correct,
    delete,
    decide,
    respond,
    set_basis,
    set_sick_days,
    api_list,
    api_record,
    api_absence,
    api_decide,
    api_respond,
    api_class,
]
