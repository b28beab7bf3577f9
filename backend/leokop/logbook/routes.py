"""Routes of the logbook: the week page, entries (with autosave and version conflicts), day
statuses, copying, phrases, suggestions, the gap calendar, submitting, and the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect

from leokop.accounts.schemas import CurrentUser
from leokop.errors import Conflict, NotFound, ValidationFailed
from leokop.logbook import calendar, files, service
from leokop.logbook.schemas import (
    DayStatusForm,
    EntryForm,
    EntryIn,
    EntryView,
    PhraseForm,
    WeekOut,
    WeekStatusForm,
    WeekSummaryOut,
)
from leokop.messages import message
from leokop.signing import service as signing
from leokop.timeutil import today_berlin
from leokop.web.forms import errors_from, parse_form
from leokop.web.pages import file_response, format_minutes, redirect, render

WEEK = "/contracts/{contract_id:int}/log/{monday:date}"


def _user(request: Request) -> CurrentUser:
    return request.scope["user"]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def week_url(contract_id: int, monday: dt.date, anchor: str = "") -> str:
    return f"/contracts/{contract_id}/log/{monday.isoformat()}" + (f"#{anchor}" if anchor else "")


async def week_page_response(request: Request, contract_id: int, monday: dt.date, status_code: int = 200, **context: Any) -> Response:
    """The week page, with the review panel (signatures, history, integrity, the actions allowed now)."""
    user = _user(request)
    week = await service.week_view(user, contract_id, monday)
    phrases = await service.phrases_of(user) if week.editable else []
    return render(
        request,
        "logbook/week.html",
        status_code=status_code,
        week=week,
        review=await signing.review(user, week),
        phrases=phrases,
        today=today_berlin(),
        statuses=calendar.DAY_STATUSES,
        categories=calendar.ENTRY_CATEGORIES,
        continue_day=request.query_params.get("weiter", ""),
        done=request.query_params.get("erledigt", ""),
        previous_review=_previous_review(request),
        **context,
    )


def _previous_review(request: Request) -> str:
    """After approving and moving on: a link back to the week just done (ids are checked when opened)."""
    contract, monday = request.query_params.get("vertrag", ""), request.query_params.get("vorher", "")
    try:
        return week_url(int(contract), dt.date.fromisoformat(monday))
    except ValueError:
        return ""


@get("/log", opt={"action": "log.write"}, include_in_schema=False)
async def my_log(request: Request) -> Response:
    """The apprentice's shortcut: the current week of the running contract."""
    contract_id = await service.current_contract_id(_user(request))
    if contract_id is None:
        return render(request, "logbook/no_contract.html")
    contract = await service.log_contract(_user(request), contract_id)
    today = today_berlin()
    monday = service.clamp_monday(contract, today)
    return Redirect(week_url(contract_id, monday, f"day-{today.isoformat()}" if monday <= today else ""), status_code=303)


@get("/contracts/{contract_id:int}/log", opt={"action": "log.view"}, include_in_schema=False)
async def overview(request: Request, contract_id: FromPath[int]) -> Response:
    contract, weeks = await service.gap_calendar(_user(request), contract_id)
    years: dict[int, list] = {}
    for week in weeks:
        years.setdefault(week.training_year, []).append(week)
    counts = {state: sum(1 for w in weeks if w.state == state) for state in ("missing", "draft", "returned", "submitted", "approved")}
    return render(
        request, "logbook/overview.html", contract=contract, years=years, counts=counts,
        acknowledged=request.query_params.get("zur-kenntnis", ""),
    )


@get("/contracts/{contract_id:int}/log/go", opt={"action": "log.view"}, include_in_schema=False)
async def jump(request: Request, contract_id: FromPath[int]) -> Response:
    """Jump to the week containing a typed date (TT.MM.JJJJ or the date picker's ISO value)."""
    contract = await service.log_contract(_user(request), contract_id)
    raw = request.query_params.get("datum", "")
    try:
        day = dt.date.fromisoformat(raw) if "-" in raw else dt.datetime.strptime(raw.strip(), "%d.%m.%Y").date()
    except ValueError:
        day = today_berlin()
    return Redirect(week_url(contract_id, service.clamp_monday(contract, day)), status_code=303)


@get(WEEK, opt={"action": "log.view"}, include_in_schema=False)
async def week_page(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    return await week_page_response(request, contract_id, monday)


def _failure_response(request: Request, contract_id: int, monday: dt.date, failure: ValidationFailed, anchor: str, **context):
    """After a failed plain form: show the week again with the message next to the form."""
    return week_page_response(
        request, contract_id, monday, status_code=_status(failure), errors=errors_from(failure), failed=anchor, **context
    )


def _status(failure: ValidationFailed) -> int:
    """409 for a change to a signed or submitted week (it conflicts with the week's state), else 422."""
    return 409 if isinstance(failure, service.WeekLocked) else 422


@post(WEEK + "/entries", opt={"action": "log.write"}, include_in_schema=False)
async def add_entry(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    form = await request.form()
    parsed = parse_form(EntryForm, form)
    anchor = f"new-{parsed.values.get('day') or 'week'}"
    if not parsed.ok:
        return await week_page_response(request, contract_id, monday, 422, errors=parsed.errors, failed=anchor, typed=parsed.values)
    data = parsed.data
    try:
        await service.add_entry(
            _user(request), contract_id, monday, data.day, data.category, data.text, data.duration, data.client_id or None
        )
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, anchor, typed=parsed.values)
    # Keep that day's form open for the next entry ("weiter"), right where the user was.
    return redirect(request, f"{week_url(contract_id, monday)}?weiter={data.day.isoformat() if data.day else 'woche'}#{anchor}")


def _save_state(request: Request, entry: EntryView | None, state: str, text: str, status_code: int = 200, **context: Any) -> Response:
    return render(
        request,
        "logbook/save_state.html",
        status_code=status_code,
        entry=entry,
        state=state,
        text=text,
        **context,
    )


@get(WEEK + "/entries/{entry_id:int}", opt={"action": "log.view"}, include_in_schema=False)
async def entry_fragment(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], entry_id: FromPath[int]) -> Response:
    """One entry as stored (the "take the other version" choice after a conflict)."""
    week = await service.week_view(_user(request), contract_id, monday)
    entries = [e for d in week.days for e in d.entries] + week.week_entries
    entry = next((e for e in entries if e.id == entry_id), None)
    if entry is None:
        raise NotFound()
    return render(request, "logbook/entry.html", week=week, entry=entry, categories=calendar.ENTRY_CATEGORIES)


@post(WEEK + "/entries/{entry_id:int}", opt={"action": "log.write"}, include_in_schema=False)
async def update_entry(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], entry_id: FromPath[int]) -> Response:
    """Autosave target: answers with the save state (and the new version), a conflict, or the error."""
    parsed = parse_form(EntryForm, await request.form())
    if not parsed.ok:
        first = next(iter(parsed.errors.values()))
        if not _is_htmx(request):
            return await week_page_response(request, contract_id, monday, 422, errors=parsed.errors, failed=f"entry-{entry_id}")
        return _save_state(request, None, "invalid", first, status_code=422, entry_id=entry_id)
    data = parsed.data
    try:
        entry = await service.update_entry(
            _user(request), contract_id, monday, entry_id, data.version, data.category, data.text, data.duration
        )
    except Conflict as conflict:
        return _save_state(
            request, conflict.current, "conflict", "", status_code=409, entry_id=entry_id, mine=data, contract_id=contract_id, monday=monday
        )
    except ValidationFailed as failure:
        errors = errors_from(failure)
        if not _is_htmx(request):
            return await week_page_response(request, contract_id, monday, _status(failure), errors=errors, failed=f"entry-{entry_id}")
        return _save_state(request, None, "invalid", next(iter(errors.values())), status_code=_status(failure), entry_id=entry_id)
    if not _is_htmx(request):
        return redirect(request, week_url(contract_id, monday, f"entry-{entry_id}"))
    return _save_state(request, entry, "saved", "", entry_id=entry_id, duration=format_minutes(entry.minutes))


@post(WEEK + "/entries/{entry_id:int}/delete", opt={"action": "log.write"}, include_in_schema=False)
async def delete_entry(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], entry_id: FromPath[int]) -> Response:
    form = await request.form()
    version = form.get("version")
    try:
        await service.delete_entry(
            _user(request), contract_id, monday, entry_id, int(version) if str(version or "").isdigit() else None
        )
    except Conflict:
        return await week_page_response(request, contract_id, monday, 409, notice=message("entry_changed_elsewhere"))
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, "week")
    return redirect(request, week_url(contract_id, monday))


@post(WEEK + "/entries/{entry_id:int}/move", opt={"action": "log.write"}, include_in_schema=False)
async def move_entry(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], entry_id: FromPath[int]) -> Response:
    form = await request.form()
    direction = -1 if form.get("direction") == "up" else 1
    try:
        await service.move_entry(_user(request), contract_id, monday, entry_id, direction)
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, "week")
    return redirect(request, week_url(contract_id, monday, f"entry-{entry_id}"))


@post(WEEK + "/days/{day:date}", opt={"action": "log.write"}, include_in_schema=False)
async def set_day_status(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], day: FromPath[dt.date]) -> Response:
    parsed = parse_form(DayStatusForm, await request.form())
    anchor = f"day-{day.isoformat()}"
    if not parsed.ok:
        return await week_page_response(request, contract_id, monday, 422, errors=parsed.errors, failed=anchor)
    try:
        await service.set_day_status(
            _user(request), contract_id, monday, day, parsed.data.status, parsed.data.note, parsed.data.version, check_version=True
        )
    except Conflict:
        return await week_page_response(request, contract_id, monday, 409, notice=message("status_changed_elsewhere"), failed=anchor)
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, anchor, typed=parsed.values)
    return redirect(request, week_url(contract_id, monday, anchor))


@post(WEEK + "/status", opt={"action": "log.write"}, include_in_schema=False)
async def set_week_status(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    parsed = parse_form(WeekStatusForm, await request.form())
    if not parsed.ok:
        return await week_page_response(request, contract_id, monday, 422, errors=parsed.errors, failed="week-status")
    try:
        await service.set_week_status(_user(request), contract_id, monday, parsed.data.status, parsed.data.note)
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, "week-status", typed=parsed.values)
    return redirect(request, week_url(contract_id, monday))


@post(WEEK + "/copy-week", opt={"action": "log.write"}, include_in_schema=False)
async def copy_week(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    try:
        await service.copy_previous_week(_user(request), contract_id, monday)
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, "week")
    return redirect(request, week_url(contract_id, monday))


@post(WEEK + "/days/{day:date}/copy", opt={"action": "log.write"}, include_in_schema=False)
async def copy_day(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], day: FromPath[dt.date]) -> Response:
    anchor = f"day-{day.isoformat()}"
    try:
        await service.copy_previous_day(_user(request), contract_id, monday, day)
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, anchor)
    return redirect(request, week_url(contract_id, monday, anchor))


@post(WEEK + "/submit", opt={"action": "log.write"}, include_in_schema=False)
async def submit(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    try:
        await service.submit_week(_user(request), contract_id, monday)
    except service.SubmitBlocked:
        return await week_page_response(request, contract_id, monday, 422, submit_failed=True, failed="submit")
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, "submit")
    return redirect(request, week_url(contract_id, monday) + "?eingereicht=1")


@post(WEEK + "/attachments", opt={"action": "log.write"}, include_in_schema=False)
async def upload(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    form = await request.form()
    upload_file = form.get("file")
    entry = str(form.get("entry_id") or "")
    data = await upload_file.read() if isinstance(upload_file, UploadFile) else b""
    try:
        await service.add_attachment(
            _user(request),
            request.app.state.settings.var_dir,
            contract_id,
            monday,
            upload_file.filename if isinstance(upload_file, UploadFile) else "",
            data,
            int(entry) if entry.isdigit() else None,
        )
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, "attachments")
    return redirect(request, week_url(contract_id, monday, "attachments"))


@get(WEEK + "/attachments/{attachment_id:int}", opt={"action": "log.view", "no_compression": True}, include_in_schema=False)
async def download(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], attachment_id: FromPath[int]) -> Response:
    found = await service.attachment_file(_user(request), contract_id, monday, attachment_id)
    path = files.path_for(request.app.state.settings.var_dir, found["sha256"])
    return file_response(path, found["content_type"], f'attachment; filename="{found["filename"]}"')


@get(WEEK + "/attachments/{attachment_id:int}/thumbnail", opt={"action": "log.view", "no_compression": True}, include_in_schema=False)
async def thumbnail(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], attachment_id: FromPath[int]) -> Response:
    found = await service.attachment_file(_user(request), contract_id, monday, attachment_id)
    if not found["has_thumbnail"]:
        raise NotFound()
    path = files.path_for(request.app.state.settings.var_dir, found["sha256"], thumbnail=True)
    return file_response(path, "image/webp", "inline")


@post(WEEK + "/attachments/{attachment_id:int}/delete", opt={"action": "log.write"}, include_in_schema=False)
async def delete_attachment(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], attachment_id: FromPath[int]) -> Response:
    try:
        await service.delete_attachment(_user(request), contract_id, monday, attachment_id)
    except ValidationFailed as failure:
        return await _failure_response(request, contract_id, monday, failure, "attachments")
    return redirect(request, week_url(contract_id, monday, "attachments"))


@get("/log/suggestions", opt={"action": "log.write"}, include_in_schema=False)
async def suggestions(request: Request) -> Response:
    texts = await service.suggestions(_user(request), request.query_params.get("text", ""))
    return render(request, "logbook/suggestions.html", texts=texts, target=request.query_params.get("ziel", ""))


@post("/log/phrases", opt={"action": "log.write"}, include_in_schema=False)
async def add_phrase(request: Request) -> Response:
    parsed = parse_form(PhraseForm, await request.form())
    # Back to the page the form was on (its path only: never another site).
    referer = urlsplit(request.headers.get("referer", ""))
    back = referer.path + (f"?{referer.query}" if referer.query else "") if referer.path.startswith("/contracts/") else "/log"
    if parsed.ok:
        try:
            await service.add_phrase(_user(request), parsed.data.text)
        except ValidationFailed:
            pass
    if _is_htmx(request):
        return render(request, "logbook/phrase_saved.html", ok=parsed.ok)
    return redirect(request, back)


@post("/log/phrases/{phrase_id:int}/delete", opt={"action": "log.write"}, include_in_schema=False)
async def delete_phrase(request: Request, phrase_id: FromPath[int]) -> Response:
    await service.delete_phrase(_user(request), phrase_id)
    return redirect(request, "/log")


@get("/contracts/{contract_id:int}/log/export.json", opt={"action": "log.view"}, include_in_schema=False)
async def export_json(request: Request, contract_id: FromPath[int]) -> Response:
    """The whole log as a JSON file to keep (also after leaving the company)."""
    data = await service.export_log(_user(request), contract_id)
    name = f"ausbildungsnachweis-{contract_id}-{today_berlin().isoformat()}.json"
    return Response(
        msgspec.json.format(msgspec.json.encode(data), indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- JSON API ------------------------------------------------------------------------------------

API = "/api/v1/contracts/{contract_id:int}"


def _api_error(failure: ValidationFailed) -> HTTPException:
    if isinstance(failure, service.WeekLocked):
        return HTTPException(status_code=409, detail=message("week_locked"), extra={"errors": errors_from(failure)})
    return HTTPException(status_code=422, detail="Die Daten sind ungültig.", extra={"errors": errors_from(failure)})


@get(API + "/weeks", opt={"action": "log.view"}, tags=["Ausbildungsnachweis"], summary="Alle Wochen eines Vertrags")
async def api_weeks(request: Request, contract_id: FromPath[int]) -> list[WeekSummaryOut]:
    """Every week of the contract with its number and state (missing, draft, submitted, …)."""
    _, weeks = await service.gap_calendar(_user(request), contract_id)
    return [WeekSummaryOut(monday=w.monday, number=w.number, iso_week=w.iso_week, training_year=w.training_year, state=w.state) for w in weeks]


@get(API + "/weeks/{monday:date}", opt={"action": "log.view"}, tags=["Ausbildungsnachweis"], summary="Eine Woche")
async def api_week(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> WeekOut:
    """A week with its days, statuses and entries (each entry with the version to send back)."""
    week = await service.week_view(_user(request), contract_id, monday)
    return WeekOut(
        contract_id=week.contract_id,
        monday=week.monday,
        number=week.number,
        iso_year=week.iso_year,
        iso_week=week.iso_week,
        training_year=week.training_year,
        state=week.state,
        return_reason=week.return_reason,
        total_minutes=week.total_minutes,
        days=week.days,
        entries=[e for d in week.days for e in d.entries] + week.week_entries,
    )


@post(API + "/weeks/{monday:date}/entries", opt={"action": "log.write"}, tags=["Ausbildungsnachweis"], summary="Eintrag anlegen", status_code=201)
async def api_add_entry(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], data: JSONBody[EntryIn]) -> EntryView:
    try:
        return await service.add_entry(
            _user(request), contract_id, monday, data.day, data.category, data.text, format_minutes(data.minutes), data.client_id
        )
    except ValidationFailed as failure:
        raise _api_error(failure) from None


@put(API + "/weeks/{monday:date}/entries/{entry_id:int}", opt={"action": "log.write"}, tags=["Ausbildungsnachweis"], summary="Eintrag ändern")
async def api_update_entry(
    request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], entry_id: FromPath[int], data: JSONBody[EntryIn]
) -> EntryView:
    """Send the `version` you read; if the entry changed since, the answer is 409 with the stored entry."""
    try:
        return await service.update_entry(
            _user(request), contract_id, monday, entry_id, data.version, data.category, data.text, format_minutes(data.minutes)
        )
    except Conflict as conflict:
        raise HTTPException(
            status_code=409,
            detail=message("entry_changed_elsewhere"),
            extra={"current": msgspec.to_builtins(conflict.current) if conflict.current else None},
        ) from None
    except ValidationFailed as failure:
        raise _api_error(failure) from None


@delete(API + "/weeks/{monday:date}/entries/{entry_id:int}", opt={"action": "log.write"}, tags=["Ausbildungsnachweis"], summary="Eintrag löschen", status_code=204)
async def api_delete_entry(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date], entry_id: FromPath[int], version: FromQuery[int | None] = None) -> None:
    try:
        await service.delete_entry(_user(request), contract_id, monday, entry_id, version)
    except Conflict as conflict:
        raise HTTPException(status_code=409, detail=message("entry_changed_elsewhere"), extra={"current": msgspec.to_builtins(conflict.current)}) from None
    except ValidationFailed as failure:
        raise _api_error(failure) from None


@post(API + "/weeks/{monday:date}/submit", opt={"action": "log.write"}, tags=["Ausbildungsnachweis"], summary="Woche einreichen", status_code=200)
async def api_submit(request: Request, contract_id: FromPath[int], monday: FromPath[dt.date]) -> WeekSummaryOut:
    try:
        await service.submit_week(_user(request), contract_id, monday)
    except service.SubmitBlocked as blocked:
        raise HTTPException(
            status_code=422,
            detail=message("submit_blocked"),
            extra={"problems": [{"code": code, "message": message(code), "date": day.isoformat() if day else None} for code, day in blocked.problems]},
        ) from None
    except ValidationFailed as failure:
        raise _api_error(failure) from None
    week = await service.week_view(_user(request), contract_id, monday)
    return WeekSummaryOut(monday=week.monday, number=week.number, iso_week=week.iso_week, training_year=week.training_year, state=week.state)


ROUTES = [
    my_log,
    overview,
    export_json,
    jump,
    week_page,
    add_entry,
    entry_fragment,
    update_entry,
    delete_entry,
    move_entry,
    set_day_status,
    set_week_status,
    copy_week,
    copy_day,
    submit,
    upload,
    download,
    thumbnail,
    delete_attachment,
    suggestions,
    add_phrase,
    delete_phrase,
    api_weeks,
    api_week,
    api_add_entry,
    api_update_entry,
    api_delete_entry,
    api_submit,
]
