"""ASGI middleware and hooks: request id and access log, one database transaction per request,
who is signed in, and the security headers every response carries."""

from __future__ import annotations

import base64
import contextvars
import logging
import re
import secrets
import time
import uuid
from typing import Any

from litestar.config.compression import CompressionConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from piccolo.engine.base import Engine

from leokop.accounts import service as accounts
from leokop.db import request_transaction
from leokop.settings import Settings

log = logging.getLogger("leokop.http")
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paths that never touch the database or a session.
NO_DATABASE_PREFIXES = ("/static/", "/pwa/", "/manifest.webmanifest", "/healthz")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

SESSION_COOKIE = "leokop_session"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def session_cookie_name(settings: Settings) -> str:
    # The __Host- prefix pins the cookie to this origin over https (no Domain, Path=/, Secure).
    return "__Host-" + SESSION_COOKIE if settings.secure_cookies else SESSION_COOKIE


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID when sane) and logs one line per request,
    with the route's template instead of the path, so that tokens in links never reach the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": scope.get("path_template") or "?",
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id_var.reset(token)


class DatabaseMiddleware:
    """Runs the whole request on one connection in one transaction, committed before the response
    starts (so an acknowledged write is durable) and rolled back on a server error."""

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NO_DATABASE_PREFIXES):
            await self.app(scope, receive, send)
            return
        # A page that records its own viewing (opt "writes": a conversation's read marker) takes the
        # write lock up front like a form does: upgrading a read transaction can fail under load.
        writes = scope["method"] not in SAFE_METHODS or scope["route_handler"].opt.get("writes", False)
        transaction = request_transaction(self.engine, write=writes)
        async with transaction:
            finished = False

            async def send_after_commit(message: Message) -> None:
                nonlocal finished
                if message["type"] == "http.response.start" and not finished:
                    finished = True
                    if message["status"] >= 500:
                        await transaction.rollback()
                    else:
                        await transaction.commit()
                await send(message)

            await self.app(scope, receive, send_after_commit)


class AuthenticationMiddleware:
    """Puts the signed-in user (or None) into scope["user"]: by API token when an Authorization
    header is sent (then cookies are ignored), else by session cookie."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.cookie_name = session_cookie_name(settings).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["user"] = None
        scope["auth"] = None
        if not scope["path"].startswith(NO_DATABASE_PREFIXES):
            headers = dict(scope["headers"])
            authorization = headers.get(b"authorization", b"").decode("latin-1")
            if authorization:
                scheme, _, token = authorization.partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    scope["user"] = await accounts.user_for_api_token(token.strip())
                    scope["auth"] = "token"
            else:
                token = _cookie(headers.get(b"cookie", b""), self.cookie_name)
                if token:
                    scope["user"] = await accounts.user_for_session(self.settings, token)
                    scope["auth"] = "session" if scope["user"] else None
        await self.app(scope, receive, send)


def _cookie(header: bytes, name: bytes) -> str | None:
    for part in header.split(b";"):
        key, _, value = part.strip().partition(b"=")
        if key == name and value:
            return value.decode("latin-1")
    return None


MASKED_TOKEN_PREFIX = "m."  # Litestar's own tokens are hex, so they never start with it


def mask_csrf_token(token: str) -> str:
    """The CSRF token as written into a page: XOR-ed with a fresh random pad each response, so the
    bytes of the secret differ in every compressed page and BREACH has nothing stable to guess."""
    try:
        raw = bytes.fromhex(token)
    except ValueError:  # a cookie the browser altered: it fails the check either way
        return token
    pad = secrets.token_bytes(len(raw))
    return MASKED_TOKEN_PREFIX + base64.urlsafe_b64encode(pad + bytes(a ^ b for a, b in zip(raw, pad))).decode()


def unmask_csrf_token(value: str) -> str:
    """The token behind a masked form field; anything else (e.g. htmx's header, read from the
    cookie) is returned as it came."""
    if not value.startswith(MASKED_TOKEN_PREFIX):
        return value
    try:
        raw = base64.urlsafe_b64decode(value[len(MASKED_TOKEN_PREFIX) :])
    except ValueError:
        return value
    if len(raw) % 2:  # pad and token are of one length: anything else was not made by us
        return value
    half = len(raw) // 2
    return bytes(a ^ b for a, b in zip(raw[half:], raw[:half])).hex()


class LeokopCSRFMiddleware(CSRFMiddleware):
    """Litestar's double-submit CSRF check, except for API-token requests: a browser never attaches
    an Authorization header by itself, so those cannot be forged cross-site. Form fields carry the
    token masked (see mask_csrf_token)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("auth") == "token":
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _csrf_tokens_match(self, request_csrf_token: str, cookie_csrf_token: str) -> bool:
        return super()._csrf_tokens_match(unmask_csrf_token(request_csrf_token), cookie_csrf_token)


# Brotli (gzip for browsers without it) for every response of 500 bytes or more, except routes
# with opt["no_compression"] (attachments: photos and PDFs are compressed already). Pages are safe to
# compress against BREACH because the only secret in them, the CSRF token, is masked afresh in every
# response, and the session cookie is SameSite=Lax (no cross-site request that an attacker could
# time carries it, except a top-level navigation).
COMPRESSION = CompressionConfig(
    backend="brotli", brotli_quality=5, minimum_size=500, exclude_opt_key="no_compression"
)


def security_headers_hook(settings: Settings):
    """A before_send hook: security headers on every response, including 404s and error pages."""
    hsts = settings.secure_cookies

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), payment=()")
        if hsts:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        path: str = scope.get("path", "")
        if path.startswith("/static/"):
            # Static URLs carry a content hash (pages.static_url): cache them for good.
            headers.setdefault("Cache-Control", "public, max-age=31536000, immutable")
        elif path.startswith("/pwa/"):
            headers.setdefault("Cache-Control", "public, max-age=86400")
        elif scope.get("user") is not None or scope.get("auth"):
            # Personal pages must never sit in a shared or back-button cache.
            headers["Cache-Control"] = "no-store"
        else:
            headers.setdefault("Cache-Control", "no-cache")
        # Unrouted requests (404 before any route) never passed RequestContextMiddleware.
        request_id = scope.get("state", {}).get("request_id") or uuid.uuid4().hex
        headers.setdefault("X-Request-ID", request_id)

    return add_headers


def client_address(scope: Scope) -> str:
    client: Any = scope.get("client")
    return client[0] if client else ""
