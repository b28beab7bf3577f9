"""Routes of lesson topics: a class's topics page per week (publish several at once, change, delete,
last week's subjects as rows to fill in) and the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, delete, get, post, put
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect

from leokop.accounts.schemas import CurrentUser
from leokop.errors import Conflict, ValidationFailed
from leokop.lesson_topics import service
from leokop.lesson_topics.schemas import PrefillReport, TopicChangeIn, TopicForm, TopicIn, TopicResult, TopicsOut
from leokop.logbook import calendar
from leokop.messages import message
from leokop.timeutil import today_berlin
from leokop.web.forms import errors_from, parse_form
from leokop.web.pages import format_minutes, redirect, render

PAGE = "/classes/{class_id:int}/topics"
WEEK = PAGE + "/{monday:date}"
ROW_FIELDS = ("subject", "text", "duration", "day")
# The report's counts travel in the address after a redirect (German keys, like the other pages).
REPORT_PARAMS = {"written": "eingetragen", "locked": "gesperrt", "over_limit": "zu-lang", "no_day": "ohne-tag", "kept": "eigene"}


def _user(request: Request) -> CurrentUser:
    return request.scope["user"]


def week_url(class_id: int, monday: dt.date) -> str:
    return f"/classes/{class_id}/topics/{monday.isoformat()}"


def _done_url(class_id: int, monday: dt.date, done: str, report: PrefillReport) -> str:
    counts = {REPORT_PARAMS[field]: value for field, value in msgspec.structs.asdict(report).items() if value}
    return f"{week_url(class_id, monday)}?{urlencode({'erledigt': done, **counts})}"


def _report_from(request: Request) -> dict[str, int]:
    return {
        field: int(raw)
        for field, name in REPORT_PARAMS.items()
        if (raw := request.query_params.get(name, "")).isdigit()
    }


async def _page(request: Request, class_id: int, monday: dt.date, status_code: int = 200, **context: Any) -> Response:
    view = await service.class_week(_user(request), class_id, monday)
    from_previous = bool(request.query_params.get("vorwoche"))
    if "rows" not in context:
        # "Fächer der Vorwoche übernehmen": last week's subjects, days and durations, texts to write.
        source = view.previous_topics if from_previous else []
        context["rows"] = [
            {"subject": t.subject, "text": "", "duration": format_minutes(t.minutes), "day": (t.day + dt.timedelta(days=7)).isoformat() if t.day else ""}
            for t in source
        ] or [{}]
    return render(
        request,
        "lesson_topics/week.html",
        status_code=status_code,
        view=view,
        done=request.query_params.get("erledigt", ""),
        report=_report_from(request),
        from_previous=from_previous,
        **context,
    )


@get(PAGE, opt={"action": "topics.manage"}, include_in_schema=False)
async def current_week(request: Request, class_id: FromPath[int]) -> Response:
    await service.class_in_scope(_user(request), class_id)
    return Redirect(week_url(class_id, calendar.monday_of(today_berlin())), status_code=303)


@get(WEEK, opt={"action": "topics.manage"}, include_in_schema=False)
async def week_page(request: Request, class_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    return await _page(request, class_id, monday)


def _form_rows(form) -> tuple[list[dict[str, str]], list[tuple[str, str, str, dt.date | None]], dict[str, str]]:
    """The rows of the publish form as typed, as values for the service, and date errors per row."""
    columns = {field: [str(v).replace("\x00", "") for v in form.getall(field, [])] for field in ROW_FIELDS}
    count = max((len(values) for values in columns.values()), default=0)
    typed, rows, errors = [], [], {}
    for index in range(count):
        row = {field: columns[field][index] if index < len(columns[field]) else "" for field in ROW_FIELDS}
        typed.append(row)
        day = None
        if row["day"].strip():
            try:
                day = dt.date.fromisoformat(row["day"].strip())
            except ValueError:
                errors[f"day-{index}"] = message("invalid_date")
        rows.append((row["subject"], row["text"], row["duration"], day))
    return typed, rows, errors


@post(WEEK, opt={"action": "topics.manage"}, include_in_schema=False)
async def publish(request: Request, class_id: FromPath[int], monday: FromPath[dt.date]) -> Response:
    typed, rows, errors = _form_rows(await request.form())
    if errors:
        return await _page(request, class_id, monday, 422, errors=errors, rows=typed, failed="new")
    try:
        _, report = await service.publish(_user(request), class_id, monday, rows)
    except ValidationFailed as failure:
        return await _page(request, class_id, monday, 422, errors=errors_from(failure), rows=typed, failed="new")
    return redirect(request, _done_url(class_id, monday, "veroeffentlicht", report))


@post(WEEK + "/{topic_id:int}", opt={"action": "topics.manage"}, include_in_schema=False)
async def change(request: Request, class_id: FromPath[int], monday: FromPath[dt.date], topic_id: FromPath[int]) -> Response:
    parsed = parse_form(TopicForm, await request.form())
    failed = f"topic-{topic_id}"
    if not parsed.ok:
        return await _page(request, class_id, monday, 422, errors=parsed.errors, typed=parsed.values, failed=failed)
    data = parsed.data
    try:
        _, report = await service.change_topic(
            _user(request), class_id, topic_id, data.version, data.subject, data.text, data.duration, data.day, monday
        )
    except ValidationFailed as failure:
        return await _page(request, class_id, monday, 422, errors=errors_from(failure), typed=parsed.values, failed=failed)
    except Conflict:
        return await _page(request, class_id, monday, 409, notice=message("topic_changed_elsewhere"))
    return redirect(request, _done_url(class_id, monday, "geaendert", report))


@post(WEEK + "/{topic_id:int}/delete", opt={"action": "topics.manage"}, include_in_schema=False)
async def remove(request: Request, class_id: FromPath[int], monday: FromPath[dt.date], topic_id: FromPath[int]) -> Response:
    report = await service.delete_topic(_user(request), class_id, topic_id, monday)
    return redirect(request, _done_url(class_id, monday, "geloescht", report))


# --- JSON API ------------------------------------------------------------------------------------

TAGS = ["Unterrichtsthemen"]
API = "/api/v1/classes/{class_id:int}/topics"


def _api_error(failure: ValidationFailed) -> HTTPException:
    """422 with the German message per field; a single topic's fields carry no row index."""
    errors = {field.removesuffix("-0"): text for field, text in errors_from(failure).items()}
    return HTTPException(status_code=422, detail="Die Daten sind ungültig.", extra={"errors": errors})


@get(API, opt={"action": "topics.manage"}, tags=TAGS, summary="Unterrichtsthemen einer Klasse in einer Woche")
async def api_topics(request: Request, class_id: FromPath[int], week: FromQuery[dt.date | None] = None) -> TopicsOut:
    """`week`: any day of the week (default: this week)."""
    view = await service.class_week(_user(request), class_id, calendar.monday_of(week or today_berlin()))
    return TopicsOut(
        class_id=class_id,
        monday=view.monday,
        school_days=view.school_days,
        topics=view.topics,
        subjects=[option.value for option in view.subjects],
    )


@post(API, opt={"action": "topics.manage"}, tags=TAGS, summary="Unterrichtsthema veröffentlichen (und in die Nachweise eintragen)")
async def api_publish(request: Request, class_id: FromPath[int], data: JSONBody[TopicIn]) -> TopicResult:
    """201 with the topic and what happened in the class's logs; `monday` must be a Monday."""
    try:
        [topic], report = await service.publish(
            _user(request), class_id, data.monday, [(data.subject, data.text, data.minutes, data.day)]
        )
    except ValidationFailed as failure:
        raise _api_error(failure) from None
    return TopicResult(topic=topic, report=report)


@put(API + "/{topic_id:int}", opt={"action": "topics.manage"}, tags=TAGS, summary="Unterrichtsthema ändern")
async def api_change(request: Request, class_id: FromPath[int], topic_id: FromPath[int], data: JSONBody[TopicChangeIn]) -> TopicResult:
    """Untouched prefills follow the change; a stale `version` answers 409 with the stored topic."""
    try:
        topic, report = await service.change_topic(
            _user(request), class_id, topic_id, data.version, data.subject, data.text, data.minutes, data.day
        )
    except ValidationFailed as failure:
        raise _api_error(failure) from None
    except Conflict as conflict:
        raise HTTPException(
            status_code=409, detail=message("topic_changed_elsewhere"), extra={"current": msgspec.to_builtins(conflict.current)}
        ) from None
    return TopicResult(topic=topic, report=report)


@delete(API + "/{topic_id:int}", opt={"action": "topics.manage"}, tags=TAGS, summary="Unterrichtsthema löschen", status_code=200)
async def api_delete(request: Request, class_id: FromPath[int], topic_id: FromPath[int]) -> TopicResult:
    """Removes the prefills the apprentices left untouched."""
    return TopicResult(topic=None, report=await service.delete_topic(_user(request), class_id, topic_id))


ROUTES = [current_week, week_page, publish, change, remove, api_topics, api_publish, api_change, api_delete]
