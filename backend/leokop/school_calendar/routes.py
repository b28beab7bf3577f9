"""Routes of the school calendar: the class's calendar with its periods and the import (preview,
then "Übernehmen"), one calendar per apprentice with the company's plan, the personal iCal feed,
and the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody

from leokop.accounts.schemas import CurrentUser
from leokop.errors import NotFound, ValidationFailed
from leokop.policy import PUBLIC
from leokop.school_calendar import service
from leokop.school_calendar.schemas import (
    ClassCalendarView,
    ContractCalendarView,
    ImportConfirmForm,
    PeriodForm,
    PeriodView,
    PlanItemForm,
    PlanItemView,
    SchoolDaysOut,
)
from leokop.timeutil import today_berlin
from leokop.web.forms import errors_from, parse_form
from leokop.web.pages import redirect, render

CLASS = "/classes/{class_id:int}/kalender"
CONTRACT = "/contracts/{contract_id:int}/kalender"
PLAN = "/contracts/{contract_id:int}/planung"
FEED_PAGE = "/kalender-abo"
MAX_SCHOOL_DAYS_RANGE = 2 * 366


def _user(request: Request) -> CurrentUser:
    return request.scope["user"]


def _month(request: Request) -> dt.date:
    return service.month_start(request.query_params.get("monat"), today_berlin())


def _neighbours(month: dt.date) -> dict[str, str]:
    """The previous and the following month as the ?monat= links name them."""
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=31)).replace(day=1)
    return {"previous": previous.strftime("%Y-%m"), "following": following.strftime("%Y-%m")}


def _class_url(class_id: int, anchor: str = "") -> str:
    return f"/classes/{class_id}/kalender{anchor}"


# --- the class's calendar ------------------------------------------------------------------------


async def _class_page(request: Request, class_id: int, status_code: int = 200, **context: Any) -> Response:
    user = _user(request)
    calendar = await service.class_calendar(user, class_id, _month(request))
    context.setdefault("values", {"kind": "weekly", "weekdays": []})
    return render(
        request, "school_calendar/class.html", status_code=status_code, calendar=calendar, done=request.query_params.get("erledigt", ""),
        count=request.query_params.get("anzahl", ""), today=today_berlin(), **_neighbours(calendar.month), **context,
    )  # fmt: skip


@get(CLASS, opt={"action": "class.view"}, include_in_schema=False)
async def class_calendar_page(request: Request, class_id: FromPath[int]) -> Response:
    return await _class_page(request, class_id)


async def _form_action(request: Request, form_type: type, save, done_url: str, page) -> Response:
    """Parse a form and save it, then go to `done_url`; bad input (the form's or the service's rules)
    shows `page` again with the German message next to each field and what was typed (422)."""
    parsed = parse_form(form_type, await request.form())
    if parsed.ok:
        try:
            await save(parsed.data)
            return redirect(request, done_url)
        except ValidationFailed as failure:
            parsed.errors.update(errors_from(failure))
    return await page(errors=parsed.errors, values=parsed.values)


@post(CLASS + "/zeitraeume", opt={"action": "class_calendar.manage"}, include_in_schema=False)
async def add_period(request: Request, class_id: FromPath[int]) -> Response:
    return await _form_action(
        request,
        PeriodForm,
        lambda form: service.add_period(_user(request), class_id, form),
        _class_url(class_id, "?erledigt=gespeichert#zeitraeume"),
        lambda **context: _class_page(request, class_id, 422, failed="period", **context),
    )


async def _period_page(request: Request, class_id: int, period: PeriodView, status_code: int = 200, **context: Any) -> Response:
    context.setdefault(
        "values",
        {
            "kind": period.kind,
            "start_date": period.start_date.isoformat(),
            "end_date": period.end_date.isoformat(),
            "weekdays": list(period.weekdays),
            "label": period.label,
        },
    )
    base = _class_url(class_id)
    return render(
        request, "school_calendar/edit.html", status_code=status_code, title="Zeitraum bearbeiten", fields="period",
        action=f"{base}/zeitraeume/{period.id}", back=base + "#zeitraeume", back_label="Zurück zum Schulkalender", **context,
    )  # fmt: skip


@get(CLASS + "/zeitraeume/{period_id:int}", opt={"action": "class_calendar.manage"}, include_in_schema=False)
async def period_page(request: Request, class_id: FromPath[int], period_id: FromPath[int]) -> Response:
    return await _period_page(request, class_id, await service.period_of(_user(request), class_id, period_id))


@post(CLASS + "/zeitraeume/{period_id:int}", opt={"action": "class_calendar.manage"}, include_in_schema=False)
async def update_period(request: Request, class_id: FromPath[int], period_id: FromPath[int]) -> Response:
    user = _user(request)

    async def page(**context: Any) -> Response:
        return await _period_page(request, class_id, await service.period_of(user, class_id, period_id), 422, **context)

    return await _form_action(
        request,
        PeriodForm,
        lambda form: service.update_period(user, class_id, period_id, form),
        _class_url(class_id, "?erledigt=gespeichert#zeitraeume"),
        page,
    )


@post(CLASS + "/zeitraeume/{period_id:int}/delete", opt={"action": "class_calendar.manage"}, include_in_schema=False)
async def delete_period(request: Request, class_id: FromPath[int], period_id: FromPath[int]) -> Response:
    await service.delete_period(_user(request), class_id, period_id)
    return redirect(request, _class_url(class_id, "?erledigt=geloescht#zeitraeume"))


@post(CLASS + "/import", opt={"action": "class_calendar.manage"}, include_in_schema=False)
async def import_preview(request: Request, class_id: FromPath[int]) -> Response:
    """Read the uploaded file and show what "Übernehmen" would store; nothing is stored here."""
    form = await request.form()
    upload = form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    try:
        preview = await service.preview_import(_user(request), request.app.state.settings.secret_key, class_id, filename, data)
    except ValidationFailed as failure:
        return await _class_page(request, class_id, 422, import_errors=errors_from(failure))
    status = 422 if preview.problems else 200
    return render(request, "school_calendar/import_preview.html", status_code=status, class_id=class_id, preview=preview)


@post(CLASS + "/import/confirm", opt={"action": "class_calendar.manage"}, include_in_schema=False)
async def import_confirm(request: Request, class_id: FromPath[int]) -> Response:
    parsed = parse_form(ImportConfirmForm, await request.form())
    try:
        if not parsed.ok:
            raise ValidationFailed({"file": "import_signature_invalid"})
        count = await service.confirm_import(
            _user(request), request.app.state.settings.secret_key, class_id, parsed.data.content, parsed.data.signature
        )
    except ValidationFailed as failure:
        return await _class_page(request, class_id, 422, import_errors=errors_from(failure))
    return redirect(request, _class_url(class_id, f"?erledigt=importiert&anzahl={count}#zeitraeume"))


# --- one apprentice's calendar and the company's plan --------------------------------------------


async def _contract_page(request: Request, contract_id: int, status_code: int = 200, **context: Any) -> Response:
    calendar = await service.contract_calendar(_user(request), contract_id, _month(request))
    context.setdefault("values", {"kind": "vacation"})
    return render(
        request, "school_calendar/contract.html", status_code=status_code, calendar=calendar,
        done=request.query_params.get("erledigt", ""), today=today_berlin(), **_neighbours(calendar.month), **context,
    )  # fmt: skip


@get(CONTRACT, opt={"action": "calendar.view"}, include_in_schema=False)
async def contract_calendar_page(request: Request, contract_id: FromPath[int]) -> Response:
    return await _contract_page(request, contract_id)


def _plan_done(contract_id: int, done: str) -> str:
    return f"/contracts/{contract_id}/kalender?erledigt={done}#planung"


@post(PLAN, opt={"action": "plan.manage"}, include_in_schema=False)
async def add_plan_item(request: Request, contract_id: FromPath[int]) -> Response:
    return await _form_action(
        request,
        PlanItemForm,
        lambda form: service.add_plan_item(_user(request), contract_id, form),
        _plan_done(contract_id, "gespeichert"),
        lambda **context: _contract_page(request, contract_id, 422, **context),
    )


async def _plan_page(request: Request, contract_id: int, item: PlanItemView, status_code: int = 200, **context: Any) -> Response:
    context.setdefault(
        "values",
        {"kind": item.kind, "start_date": item.start_date.isoformat(), "end_date": item.end_date.isoformat(), "label": item.label},
    )
    return render(
        request, "school_calendar/edit.html", status_code=status_code, title="Planung bearbeiten", fields="plan",
        action=f"/contracts/{contract_id}/planung/{item.id}", back=f"/contracts/{contract_id}/kalender#planung",
        back_label="Zurück zum Kalender", **context,
    )  # fmt: skip


@get(PLAN + "/{item_id:int}", opt={"action": "plan.manage"}, include_in_schema=False)
async def plan_item_page(request: Request, contract_id: FromPath[int], item_id: FromPath[int]) -> Response:
    return await _plan_page(request, contract_id, await service.plan_item_of(_user(request), contract_id, item_id))


@post(PLAN + "/{item_id:int}", opt={"action": "plan.manage"}, include_in_schema=False)
async def update_plan_item(request: Request, contract_id: FromPath[int], item_id: FromPath[int]) -> Response:
    user = _user(request)

    async def page(**context: Any) -> Response:
        return await _plan_page(request, contract_id, await service.plan_item_of(user, contract_id, item_id), 422, **context)

    return await _form_action(
        request,
        PlanItemForm,
        lambda form: service.update_plan_item(user, contract_id, item_id, form),
        _plan_done(contract_id, "gespeichert"),
        page,
    )


@post(PLAN + "/{item_id:int}/delete", opt={"action": "plan.manage"}, include_in_schema=False)
async def delete_plan_item(request: Request, contract_id: FromPath[int], item_id: FromPath[int]) -> Response:
    await service.delete_plan_item(_user(request), contract_id, item_id)
    return redirect(request, _plan_done(contract_id, "geloescht"))


# --- the personal iCal feed ----------------------------------------------------------------------


async def _feed_page(request: Request, **context: Any) -> Response:
    return render(request, "school_calendar/feed.html", created_at=await service.feed_created_at(_user(request)), **context)


@get(FEED_PAGE, opt={"action": "calendar_feed.manage"}, include_in_schema=False)
async def feed_page(request: Request) -> Response:
    return await _feed_page(request, revoked=request.query_params.get("erledigt") == "widerrufen")


@post(FEED_PAGE, opt={"action": "calendar_feed.manage"}, include_in_schema=False)
async def create_feed(request: Request) -> Response:
    """The new address is shown once, in this response only (it is not stored, so never shown again)."""
    token = await service.create_feed(_user(request))
    # The configured public address, as in invitation links: behind a proxy the request's host is not it.
    url = f"{request.app.state.settings.effective_base_url}/kalender/{token}.ics"
    return await _feed_page(request, feed_url=url)


@post(FEED_PAGE + "/widerrufen", opt={"action": "calendar_feed.manage"}, include_in_schema=False)
async def revoke_feed(request: Request) -> Response:
    await service.revoke_feed(_user(request))
    return redirect(request, FEED_PAGE + "?erledigt=widerrufen")


@get("/kalender/{filename:str}", opt={"action": PUBLIC}, include_in_schema=False)
async def feed(filename: FromPath[str]) -> Response:
    """The subscribed calendar: no session, the secret address is the key; never cached anywhere."""
    if not filename.endswith(".ics"):
        raise NotFound()
    body = await service.feed_calendar(filename.removesuffix(".ics"))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "no-store", "Content-Disposition": 'inline; filename="leokop.ics"'},
    )


# --- JSON API ------------------------------------------------------------------------------------

TAGS = ["Kalender"]
API_CLASS = "/api/v1/classes/{class_id:int}"
API_CONTRACT = "/api/v1/contracts/{contract_id:int}"


async def _checked(call, *args):
    """Run a service call for the API: a broken rule is 422 with the German message per field."""
    try:
        return await call(*args)
    except ValidationFailed as failure:
        raise HTTPException(status_code=422, detail="Die Daten sind ungültig.", extra={"errors": errors_from(failure)}) from None


@get(API_CLASS + "/school-periods", opt={"action": "class.view"}, tags=TAGS, summary="Zeiträume (Blockplan) einer Klasse")
async def api_periods(request: Request, class_id: FromPath[int]) -> list[PeriodView]:
    return await service.class_periods(_user(request), class_id)


@post(API_CLASS + "/school-periods", opt={"action": "class_calendar.manage"}, tags=TAGS, summary="Zeitraum anlegen")
async def api_add_period(request: Request, class_id: FromPath[int], data: JSONBody[PeriodForm]) -> PeriodView:
    return await _checked(service.add_period, _user(request), class_id, data)


@put(API_CLASS + "/school-periods/{period_id:int}", opt={"action": "class_calendar.manage"}, tags=TAGS, summary="Zeitraum ändern")
async def api_update_period(request: Request, class_id: FromPath[int], period_id: FromPath[int], data: JSONBody[PeriodForm]) -> PeriodView:
    return await _checked(service.update_period, _user(request), class_id, period_id, data)


@delete(API_CLASS + "/school-periods/{period_id:int}", opt={"action": "class_calendar.manage"}, tags=TAGS, summary="Zeitraum löschen")
async def api_delete_period(request: Request, class_id: FromPath[int], period_id: FromPath[int]) -> None:
    await service.delete_period(_user(request), class_id, period_id)


@get(API_CLASS + "/school-days", opt={"action": "class.view"}, tags=TAGS, summary="Berufsschultage einer Klasse")
async def api_school_days(request: Request, class_id: FromPath[int], start: FromQuery[dt.date], end: FromQuery[dt.date]) -> SchoolDaysOut:
    """School days from start to end (both included, at most two years); public holidays and school
    holidays of the school's Bundesland are never school days."""
    if end < start or (end - start).days > MAX_SCHOOL_DAYS_RANGE:
        raise HTTPException(status_code=422, detail="Der Zeitraum muss vorwärts laufen und darf höchstens zwei Jahre umfassen.")
    await service.class_periods(_user(request), class_id)  # the class must be visible
    return SchoolDaysOut(start=start, end=end, dates=sorted(await service.class_school_days(class_id, start, end)))


@get(API_CLASS + "/calendar", opt={"action": "class.view"}, tags=TAGS, summary="Monatskalender einer Klasse")
async def api_class_calendar(request: Request, class_id: FromPath[int], month: FromQuery[str | None] = None) -> ClassCalendarView:
    """`month` as "2026-11" (default: this month)."""
    return await service.class_calendar(_user(request), class_id, service.month_start(month, today_berlin()))


@get(API_CONTRACT + "/calendar", opt={"action": "calendar.view"}, tags=TAGS, summary="Monatskalender einer/eines Auszubildenden")
async def api_contract_calendar(request: Request, contract_id: FromPath[int], month: FromQuery[str | None] = None) -> ContractCalendarView:
    """`month` as "2026-11" (default: this month)."""
    return await service.contract_calendar(_user(request), contract_id, service.month_start(month, today_berlin()))


@get(API_CONTRACT + "/plan-items", opt={"action": "calendar.view"}, tags=TAGS, summary="Planung des Betriebs (Urlaub, ÜBA)")
async def api_plan_items(request: Request, contract_id: FromPath[int]) -> list[PlanItemView]:
    return await service.plan_items(_user(request), contract_id)


@post(API_CONTRACT + "/plan-items", opt={"action": "plan.manage"}, tags=TAGS, summary="Urlaub oder ÜBA planen")
async def api_add_plan_item(request: Request, contract_id: FromPath[int], data: JSONBody[PlanItemForm]) -> PlanItemView:
    return await _checked(service.add_plan_item, _user(request), contract_id, data)


@put(API_CONTRACT + "/plan-items/{item_id:int}", opt={"action": "plan.manage"}, tags=TAGS, summary="Planung ändern")
async def api_update_plan_item(request: Request, contract_id: FromPath[int], item_id: FromPath[int], data: JSONBody[PlanItemForm]) -> PlanItemView:
    return await _checked(service.update_plan_item, _user(request), contract_id, item_id, data)


@delete(API_CONTRACT + "/plan-items/{item_id:int}", opt={"action": "plan.manage"}, tags=TAGS, summary="Planung löschen")
async def api_delete_plan_item(request: Request, contract_id: FromPath[int], item_id: FromPath[int]) -> None:
    await service.delete_plan_item(_user(request), contract_id, item_id)


ROUTES = [
    class_calendar_page,
    add_period,
    period_page,
    update_period,
    delete_period,
    import_preview,
    import_confirm,
    contract_calendar_page,
    add_plan_item,
    plan_item_page,
    update_plan_item,
    delete_plan_item,
    feed_page,
    create_feed,
    revoke_feed,
    feed,
    api_periods,
    api_add_period,
    api_update_period,
    api_delete_period,
    api_school_days,
    api_class_calendar,
    api_contract_calendar,
    api_plan_items,
    api_add_plan_item,
    api_update_plan_item,
    api_delete_plan_item,
]
