"""Rendering: one URL, two renderings (whole page, or the template's block for htmx), plus the
template environment with the navigation, static URLs and CSRF token every page needs."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.response import Redirect

from leokop.accounts.schemas import CurrentUser, Role
from leokop.errors import NotFound
from leokop.messages import message
from leokop.policy import can
from leokop.settings import PROJECT_ROOT
from leokop.timeutil import to_berlin
from leokop.web.middleware import mask_csrf_token

TEMPLATES_DIR = Path(PROJECT_ROOT) / "web" / "templates"
STATIC_DIR = Path(PROJECT_ROOT) / "web" / "static"
PWA_DIR = Path(PROJECT_ROOT) / "pwa"

ROLE_NAMES = {
    Role.admin: "Systemadministration",
    Role.company_admin: "Ausbildungsleitung",
    Role.trainer: "Ausbilder/in",
    Role.instructor: "Ausbildungsbeauftragte/r",
    Role.apprentice: "Auszubildende/r",
    Role.guardian: "Erziehungsberechtigte/r",
    Role.school_admin: "Schulverwaltung",
    Role.teacher: "Lehrkraft",
}


@lru_cache(maxsize=None)
def _static_version(relative: str) -> str:
    path = STATIC_DIR / relative
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(relative: str) -> str:
    """A cache-busting URL: the content hash lets static files be cached for a year."""
    return f"/static/{relative}?v={_static_version(relative)}"


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return to_berlin(value).strftime("%d.%m.%Y, %H:%M Uhr")
    return value.strftime("%d.%m.%Y")


def format_minutes(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return f"{minutes // 60}:{minutes % 60:02d}"


def build_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        # Optional flags (saved=…, welcome=…) may be absent: absent renders as empty, never as a 500.
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    # can(user, action): templates show a link or button only where the route would allow it.
    env.globals.update(static_url=static_url, role_names=ROLE_NAMES, Role=Role, message=message, can=can)
    env.filters.update(date=format_date, hours=format_minutes)
    return env


ENVIRONMENT = build_environment()


def navigation(user: CurrentUser | None, path: str = "/") -> list[tuple[str, str, bool]]:
    """(URL, label, is current) of the role's main navigation; the policy decides what the pages allow."""
    if user is None:
        return []
    role = user.role
    items: list[tuple[str, str]] = [("/", "Start")]
    if role is Role.apprentice:
        items.append(("/log", "Nachweis"))
    if role in (Role.company_admin, Role.trainer, Role.instructor):
        items.append(("/freigaben", "Freigaben"))
    if role in (Role.company_admin, Role.trainer, Role.instructor, Role.apprentice):
        items.append(("/contracts", "Verträge" if role is not Role.apprentice else "Mein Vertrag"))
    if role in (Role.company_admin, Role.trainer, Role.school_admin):
        items.append(("/people", "Personen"))
    # A trainer of a firm without a company admin does the admin's work (policy Rule.small_company).
    small_firm_trainer = role is Role.trainer and not user.company_has_admin
    if role is Role.company_admin or small_firm_trainer:
        items.append(("/company", "Betrieb"))
    if role in (Role.school_admin, Role.teacher):
        items.append(("/classes", "Klassen"))
    if role in (Role.apprentice, Role.company_admin, Role.trainer, Role.instructor, Role.teacher):
        items.append(("/nachrichten", "Nachrichten"))
    # The apprentice's phone has no room for one more: their absences are linked from "Mein Vertrag".
    if role not in (Role.admin, Role.apprentice):
        items.append(("/fehlzeiten", "Fehlzeiten"))
    if role is Role.admin:
        items.append(("/admin/organisations", "Organisationen"))
    if role in (Role.admin, Role.company_admin, Role.school_admin) or small_firm_trainer:
        items.append(("/outbox", "Postausgang"))
    items.append(("/account", "Konto"))
    return [(url, label, _is_current(url, path)) for url, label in items]


def _is_current(url: str, path: str) -> bool:
    if url == "/":
        return path == "/"
    if url == "/log":  # the apprentice's log lives below its contract
        return path.startswith("/log") or "/log" in path
    if url == "/contracts" and "/log" in path:
        return False
    if "/fehlzeiten" in path:  # an apprentice's or a class's absences live below them
        return url == "/fehlzeiten"
    if "/nachrichten" in path:  # a conversation lives below its contract
        return url == "/nachrichten"
    return path == url or path.startswith(url + "/")


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    block: str = "content",
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """The whole page, or only `block` when htmx asks (HX-Request) and does not want the whole page."""
    user = request.scope.get("user")
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.update(
        user=user,
        nav=navigation(user, request.url.path),
        path=request.url.path,
        csrf_token=mask_csrf_token(request.scope.get("_csrf_token") or _csrf_token(request)),
    )
    compiled = ENVIRONMENT.get_template(template)
    is_htmx = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    if is_htmx and block in compiled.blocks:
        body = "".join(compiled.blocks[block](compiled.new_context(context)))
    else:
        body = compiled.render(context)
    all_headers = {"Vary": "HX-Request"}
    if request.method != "GET":
        # A form re-rendered after POST (errors, or a result on the same page) must not put the
        # POST address into the address bar: reloading it would answer 405.
        all_headers["HX-Push-Url"] = "false"
    all_headers.update(headers or {})
    return Response(body, status_code=status_code, media_type=MediaType.HTML, headers=all_headers)


def file_response(path: Path, content_type: str, disposition: str) -> Response:
    """An uploaded file (log or message attachment) as stored under var/uploads; a file missing on
    disk is a 404. The route sets opt no_compression: photos and PDFs are compressed already."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound() from None
    return Response(
        data,
        media_type=content_type,
        headers={
            "Content-Disposition": disposition,
            # Even if a file were misread as HTML, it could run nothing.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _csrf_token(request: Request) -> str:
    from litestar.utils.scope.state import ScopeState

    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""  # Empty where the CSRF middleware did not run


def redirect(request: Request, url: str) -> Response:
    """After a successful form. A plain browser and a boosted htmx form get a 303 (htmx follows it
    and swaps the page in place); other htmx requests get HX-Redirect, with HX-Refresh when only the
    #anchor differs, since the browser would otherwise just jump to the anchor and show old data."""
    if request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true":
        headers = {"HX-Redirect": url}
        current = urlsplit(request.headers.get("hx-current-url", ""))
        target = urlsplit(url)
        if (current.path, current.query) == (target.path, target.query):
            headers["HX-Refresh"] = "true"
        return Response("", status_code=200, headers=headers)
    return Redirect(url, status_code=303)
