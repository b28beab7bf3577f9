"""create_app(settings): the only place that wires leokop together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar, Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from leokop.absences.routes import ROUTES as ABSENCE_ROUTES
from leokop.accounts.routes import ROUTES as ACCOUNT_ROUTES
from leokop.contacts.routes import ROUTES as CONTACT_ROUTES
from leokop.contracts.routes import ROUTES as CONTRACT_ROUTES
from leokop.conversations.routes import ROUTES as CONVERSATION_ROUTES
from leokop.dashboard.routes import ROUTES as DASHBOARD_ROUTES
from leokop.data_export.routes import ROUTES as DATA_EXPORT_ROUTES
from leokop.data_export.service import run_data_export_worker
from leokop.db import bind_tables, close_engine, create_engine, open_engine
from leokop.exam_admission.routes import ROUTES as EXAM_ADMISSION_ROUTES
from leokop.exports.routes import ROUTES as EXPORT_ROUTES
from leokop.exports.service import run_export_worker
from leokop.health import healthz
from leokop.lesson_topics.routes import ROUTES as LESSON_TOPIC_ROUTES
from leokop.logbook.routes import ROUTES as LOGBOOK_ROUTES
from leokop.logs import configure_logging
from leokop.notifications.routes import ROUTES as NOTIFICATION_ROUTES
from leokop.notifications.push import PushSender, ensure_vapid_key
from leokop.notifications.reminders import run_reminder_loop
from leokop.notifications.service import run_mail_worker, run_push_worker
from leokop.organisations.routes import ROUTES as ORGANISATION_ROUTES
from leokop.policy import PUBLIC
from leokop.school_calendar.routes import ROUTES as SCHOOL_CALENDAR_ROUTES
from leokop.signing.routes import ROUTES as SIGNING_ROUTES
from leokop.settings import Settings, ensure_secret_key, load_settings
from leokop.web.errors import EXCEPTION_HANDLERS
from leokop.web.guards import policy_guard
from leokop.web.middleware import (
    COMPRESSION,
    AuthenticationMiddleware,
    DatabaseMiddleware,
    LeokopCSRFMiddleware,
    RequestContextMiddleware,
    security_headers_hook,
)
from leokop.web.pages import PWA_DIR, STATIC_DIR
from leokop.web.pwa_routes import ROUTES as PWA_ROUTES

CSRF_COOKIE = "leokop_csrf"
CSRF_HEADER = "x-csrftoken"


@get("/manifest.webmanifest", opt={"action": PUBLIC}, include_in_schema=False)
async def web_manifest(request: Request) -> Response:
    return Response(
        (PWA_DIR / "manifest.webmanifest").read_bytes(),
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@get("/{unknown:path}", opt={"action": PUBLIC}, include_in_schema=False)
async def unknown_page(unknown: FromPath[str]) -> Response:
    """Unknown addresses still pass the middleware (request id, who is signed in) for their 404 page."""
    raise NotFoundException()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = ensure_vapid_key(ensure_secret_key(settings or load_settings()))
    configure_logging(settings.log_level)
    engine = create_engine(settings)
    bind_tables(engine)
    push_sender = PushSender(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await open_engine(engine, settings)
        stop = asyncio.Event()
        mail_worker = asyncio.create_task(run_mail_worker(settings, stop))
        # LEOKOP_PUSH_WORKER=false leaves delivery to other processes (the tests run rounds themselves).
        push_worker = asyncio.create_task(run_push_worker(settings, stop, push_sender)) if settings.push_worker else None
        reminders = asyncio.create_task(run_reminder_loop(stop)) if settings.reminders else None
        # Data exports (L16); safe in several processes (claim by UPDATE … WHERE state = 'queued').
        data_exports = asyncio.create_task(run_data_export_worker(settings, stop)) if settings.data_export_worker else None
        # PDF exports (L13); safe in several processes (claim by compare-and-set, SKIP LOCKED).
        pdf_exports = asyncio.create_task(run_export_worker(settings, stop)) if settings.export_worker else None
        try:
            yield
        finally:
            stop.set()
            await mail_worker
            if push_worker is not None:
                await push_worker  # finishes its round: a push is sent or left for a retry, never half-recorded
            if reminders is not None:
                await reminders
            if data_exports is not None:
                await data_exports  # finishes the export it is writing
            if pdf_exports is not None:
                await pdf_exports  # finishes the PDF it is rendering
            await push_sender.aclose()
            await close_engine(engine)

    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        cookie_httponly=False,  # htmx reads it to send the header (see web/static/js/app.js)
        exclude=["/static", "/healthz", "/pwa"],
    )
    openapi = OpenAPIConfig(
        title="leokop API",
        version="1",
        description="JSON-API von leokop. Anmeldung per Sitzungs-Cookie oder persönlichem API-Token "
        "(Authorization: Bearer …, unter Konto erstellen).",
        path="/schema",
        render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"]), YamlRenderPlugin()],
        openapi_router=Router(path="/schema", route_handlers=[], opt={"action": PUBLIC}, include_in_schema=False),
        components=Components(
            security_schemes={"token": SecurityScheme(type="http", scheme="bearer", description="Persönliches API-Token")}
        ),
        security=[{"token": []}],
    )
    app = Litestar(
        route_handlers=[
            *DASHBOARD_ROUTES,
            *ACCOUNT_ROUTES,
            *ORGANISATION_ROUTES,
            *CONTRACT_ROUTES,
            *LOGBOOK_ROUTES,
            *SIGNING_ROUTES,
            *SCHOOL_CALENDAR_ROUTES,
            *ABSENCE_ROUTES,
            *LESSON_TOPIC_ROUTES,
            *CONVERSATION_ROUTES,
            *CONTACT_ROUTES,
            *DATA_EXPORT_ROUTES,
            *EXAM_ADMISSION_ROUTES,
            *EXPORT_ROUTES,
            *NOTIFICATION_ROUTES,
            *PWA_ROUTES,
            healthz,
            web_manifest,
            unknown_page,
            create_static_files_router(
                path="/static", directories=[STATIC_DIR], opt={"action": PUBLIC}, include_in_schema=False
            ),
            create_static_files_router(
                path="/pwa", directories=[PWA_DIR], opt={"action": PUBLIC}, include_in_schema=False
            ),
        ],
        middleware=[
            RequestContextMiddleware,
            DefineMiddleware(DatabaseMiddleware, engine=engine),
            DefineMiddleware(AuthenticationMiddleware, settings=settings),
            DefineMiddleware(LeokopCSRFMiddleware, config=csrf),
        ],
        guards=[policy_guard],
        exception_handlers=EXCEPTION_HANDLERS,
        compression_config=COMPRESSION,
        before_send=[security_headers_hook(settings)],
        openapi_config=openapi,
        lifespan=[lifespan],
        debug=False,
        # Attachments are checked for 10 MB in the logbook; the rest is multipart overhead.
        request_max_body_size=11 * 1024 * 1024,
        logging_config=None,  # leokop.logs configures JSON logging
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.push_sender = push_sender
    return app
