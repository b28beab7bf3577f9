"""Error pages in the layout (German) for HTML requests, and JSON problems for the API."""

from __future__ import annotations

import logging
from http import HTTPStatus
import uuid
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from asyncpg.exceptions import CharacterNotInRepertoireError, DataError

from leokop.errors import Forbidden, NotFound, StateConflict
from leokop.messages import message
from leokop.web.pages import render

log = logging.getLogger("leokop.errors")

TITLES = {
    400: "Die Anfrage war fehlerhaft",
    401: "Bitte melden Sie sich an",
    403: "Keine Berechtigung",
    404: "Seite nicht gefunden",
    405: "Diese Aktion ist hier nicht möglich",
    409: "Das geht gerade nicht",
    422: "Die Eingabe ist ungültig",
    413: "Die Datei ist zu groß",
    429: "Zu viele Anfragen",
    500: "Ein Fehler ist aufgetreten",
}
TEXTS = {
    400: "Die Eingaben konnten nicht verarbeitet werden. Bitte laden Sie die Seite neu und versuchen Sie es erneut.",
    401: "Für diese Seite müssen Sie angemeldet sein.",
    403: "Sie haben keine Berechtigung für diese Seite oder Aktion.",
    404: "Diese Seite gibt es nicht, oder sie ist für Sie nicht sichtbar.",
    405: "Diese Aktion ist auf dieser Seite nicht vorgesehen.",
    413: "Die gesendeten Daten sind zu groß.",
    429: "Bitte warten Sie einen Moment und versuchen Sie es dann erneut.",
    500: "Das lag nicht an Ihnen. Ihre bisherigen Eingaben sind gespeichert, soweit sie bestätigt wurden. Bitte versuchen Sie es gleich noch einmal.",
}
CSRF_TEXT = (
    "Das Formular war zu lange geöffnet oder wurde aus einem anderen Fenster gesendet. "
    "Bitte laden Sie die Seite neu und senden Sie es erneut. Ihre Eingaben in anderen Tabs bleiben erhalten."
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(request: Request, status: int, detail: str, extra: dict | None = None) -> Response:
    body = {"status": status, "title": TITLES.get(status, TITLES[500]), "detail": detail}
    body.update(extra or {})
    return Response(body, status_code=status, media_type="application/problem+json")


def _request_id(request: Request) -> str:
    """The id this response carries in X-Request-ID (set here for requests no route matched)."""
    state = request.scope.setdefault("state", {})
    if not state.get("request_id"):
        state["request_id"] = uuid.uuid4().hex
    return state["request_id"]


def error_page(request: Request, status: int, text: str | None = None, title: str | None = None) -> Response:
    text = text or TEXTS.get(status, TEXTS[500])
    if _is_api(request):
        return _problem(request, status, text)
    try:
        return render(
            request,
            "error.html",
            status_code=status,
            status=status,
            title=title or TITLES.get(status, TITLES[500]),
            text=text,
            request_id=_request_id(request),
        )
    except Exception:  # noqa: BLE001 - an error page must never fail into a stack trace
        log.exception("error page failed")
        return Response(f"{status} – {TITLES.get(status, TITLES[500])}", status_code=status, media_type="text/plain")


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) and not _is_api(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request") == "true":
            return Response("", status_code=200, headers={"HX-Redirect": "/login"})
        return Redirect(f"/login?next={quote(target)}", status_code=303)
    if isinstance(exc, PermissionDeniedException) and "CSRF" in str(exc.detail):
        return error_page(request, 403, CSRF_TEXT, title="Sicherheitsprüfung fehlgeschlagen")
    if isinstance(exc, ValidationException) and _is_api(request):
        return _problem(request, 400, "Die Daten sind ungültig.", {"errors": exc.extra or []})
    if _is_api(request) and status < 500 and exc.detail and exc.detail != HTTPStatus(status).phrase:
        # A rule of ours answered (409 conflict, 422 with field errors): pass its details on.
        extra = exc.extra if isinstance(exc.extra, dict) else {}
        return _problem(request, status, exc.detail, extra)
    if status >= 500:
        log.error("http error %s", status, exc_info=exc)
    return error_page(request, status)


def handle_not_found(request: Request, exc: Exception) -> Response:
    return error_page(request, 404)


def handle_forbidden(request: Request, exc: Exception) -> Response:
    return error_page(request, 403)


def handle_state_conflict(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StateConflict)
    return error_page(request, 409, message(exc.code))


def handle_bad_characters(request: Request, exc: Exception) -> Response:
    """Last line of defence for text PostgreSQL refuses (NUL) in a field no rule checked: a 422, not a 500."""
    return error_page(request, 422, message("invalid_characters"))


def handle_number_out_of_range(request: Request, exc: Exception) -> Response:
    """An id or version far beyond any the database holds (typed into an address or forged in a
    form): the drivers refuse to even send it (SQLite: OverflowError; asyncpg: DataError "value out
    of int32 range"). Nothing has such a number, so it is not found. Other data errors stay errors."""
    if isinstance(exc, OverflowError) or "value out of int" in str(exc):
        return error_page(request, 404)
    return handle_server_error(request, exc)


def handle_server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return error_page(request, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS = {
    HTTPException: handle_http_exception,
    NotFound: handle_not_found,
    NotFoundException: handle_http_exception,
    Forbidden: handle_forbidden,
    StateConflict: handle_state_conflict,
    CharacterNotInRepertoireError: handle_bad_characters,
    OverflowError: handle_number_out_of_range,
    DataError: handle_number_out_of_range,
    Exception: handle_server_error,
}
