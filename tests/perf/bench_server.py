"""Benchmark server: leokop's app plus bare "floor" routes and SQL/connection counters (used by scripts/bench).

Run: .venv/bin/python tests/perf/bench_server.py --port 8123   (LEOKOP_* settings as for `leokop serve`)

Extra routes, all registered on the real app (same middleware, guards and before_send hooks):
  GET /__bench/floor          exactly the bytes of the authenticated start page, captured once at start
                              and served from memory; skips the database and session middleware work
                              (the framework's own ceiling)
  GET /__bench/session-floor  the same bytes, but through the per-request transaction and the session
                              look-up like every real page (what leokop costs before any page work)
  GET /__bench/stats          JSON counters per path: requests, status codes, SQL queries, new connections,
                              seconds spent waiting for a pool connection and in BEGIN (the SQLite lock),
                              the longest BEGIN (since ?reset_max=1), and the process's CPU seconds
  GET /__bench/capture?path=P fetches P once in-process with the caller's cookies (e.g. the apprentice's
                              week page after scripts/bench filled it) and keeps its bytes for:
  GET /__bench/page-floor     the bytes captured last, served from memory like /__bench/floor
"""

from __future__ import annotations

import argparse
import collections
import contextvars
import os
import sys
import time

from litestar import Request, Response, get

FLOOR = "/__bench/floor"
SESSION_FLOOR = "/__bench/session-floor"
STATS = "/__bench/stats"
CAPTURE = "/__bench/capture"
PAGE_FLOOR = "/__bench/page-floor"

DEMO_EMAIL = os.environ.get("BENCH_EMAIL", "markus.weber@rmm.example")
DEMO_PASSWORD = os.environ.get("BENCH_PASSWORD", "leokop-demo")


class Counters:
    """Per-path tallies, read by scripts/bench before and after each load run (it prints the deltas)."""

    def __init__(self) -> None:
        self.path: contextvars.ContextVar[str] = contextvars.ContextVar("bench_path", default="(outside a request)")
        self.requests: collections.Counter[str] = collections.Counter()
        self.statuses: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
        self.queries: collections.Counter[str] = collections.Counter()
        self.connections: collections.Counter[str] = collections.Counter()
        # Seconds per path: waiting for a free pool connection; executing BEGIN (for BEGIN IMMEDIATE
        # that includes waiting for SQLite's write lock in its busy handler).
        self.pool_wait: collections.Counter[str] = collections.Counter()
        self.begin_wait: collections.Counter[str] = collections.Counter()
        self.begin_max: dict[str, float] = collections.defaultdict(float)
        # Seconds per path: executing COMMIT (for a write: the WAL fsync of synchronous=FULL), and a
        # transaction's span from BEGIN done to COMMIT/ROLLBACK done (for a write: the lock held).
        self.commit_wait: collections.Counter[str] = collections.Counter()
        self.held: collections.Counter[str] = collections.Counter()
        self.sql: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.record_sql = False

    def snapshot(self) -> dict:
        return {
            path: {
                "requests": self.requests[path],
                "statuses": dict(self.statuses[path]),
                "queries": self.queries[path],
                "new_connections": self.connections[path],
                "pool_wait_s": round(self.pool_wait[path], 6),
                "begin_wait_s": round(self.begin_wait[path], 6),
                "begin_max_s": round(self.begin_max[path], 6),
                "commit_s": round(self.commit_wait[path], 6),
                "held_s": round(self.held[path], 6),
            }
            for path in sorted(set(self.requests) | set(self.queries) | set(self.connections))
        }


def instrument_engine(engine, counters: Counters) -> None:
    """Count every SQL statement Piccolo runs (run_querystring: all ORM queries; BEGIN/COMMIT of the
    request transaction go straight to the connection and are not included) and every new connection."""
    run_querystring = engine.run_querystring

    async def counting_run_querystring(querystring, in_pool: bool = False):
        path = counters.path.get()
        counters.queries[path] += 1
        if counters.record_sql:
            counters.sql[path][str(querystring)[:160]] += 1
        return await run_querystring(querystring, in_pool=in_pool)

    engine.run_querystring = counting_run_querystring

    # Count real connection opens (a checkout that waits for a busy pool is not one).
    import aiosqlite

    connect = aiosqlite.connect

    def counting_connect(*args, **kwargs):
        counters.connections[counters.path.get()] += 1
        return connect(*args, **kwargs)

    aiosqlite.connect = counting_connect

    # Time the two waits at the start of a request transaction (a pool slot, then BEGIN), its COMMIT
    # and how long it stayed open.
    from leokop.db import PooledSQLiteEngine, PooledSQLiteTransaction

    if isinstance(engine, PooledSQLiteEngine):
        get_connection = engine.get_connection
        last_pool_wait: contextvars.ContextVar[float] = contextvars.ContextVar("bench_pool_wait", default=0.0)

        async def timed_get_connection():
            started = time.perf_counter()
            try:
                return await get_connection()
            finally:
                waited = time.perf_counter() - started
                counters.pool_wait[counters.path.get()] += waited
                last_pool_wait.set(waited)  # same context: the awaiting ensure_started reads it

        engine.get_connection = timed_get_connection
        ensure_started = PooledSQLiteTransaction.ensure_started

        async def timed_ensure_started(self):
            if self.started:
                return self.connection
            last_pool_wait.set(0.0)
            started = time.perf_counter()
            try:
                return await ensure_started(self)
            finally:
                path = counters.path.get()
                now = time.perf_counter()
                waited = now - started - last_pool_wait.get()
                counters.begin_wait[path] += waited
                counters.begin_max[path] = max(counters.begin_max[path], waited)
                if self.started:
                    began[id(self)] = now

        began: dict[int, float] = {}  # transaction id -> when its BEGIN returned (the class has __slots__)
        commit, rollback = PooledSQLiteTransaction.commit, PooledSQLiteTransaction.rollback

        async def timed_commit(self):
            started = time.perf_counter()
            try:
                return await commit(self)
            finally:
                path = counters.path.get()
                now = time.perf_counter()
                counters.commit_wait[path] += now - started
                if id(self) in began:
                    counters.held[path] += now - began.pop(id(self))

        async def timed_rollback(self):
            try:
                return await rollback(self)
            finally:
                if id(self) in began:
                    counters.held[counters.path.get()] += time.perf_counter() - began.pop(id(self))

        PooledSQLiteTransaction.ensure_started = timed_ensure_started
        PooledSQLiteTransaction.commit = timed_commit
        PooledSQLiteTransaction.rollback = timed_rollback


async def _log_in(client) -> None:
    page = await client.get("/login")
    page.raise_for_status()
    token = client.cookies.get("leokop_csrf")
    response = await client.post(
        "/login",
        data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    if response.status_code != 303 or "leokop_session" not in client.cookies:
        raise SystemExit(f"bench_server: login failed ({response.status_code}): {response.text[:300]}")


def queue_writers_in_process() -> None:
    """Experiment knob BENCH_WRITE_QUEUE=1 (not leokop's behaviour): write transactions of this process
    wait for each other on an asyncio.Lock, in arrival order, before they take a pool connection and
    run BEGIN IMMEDIATE, instead of polling SQLite's lock in its busy handler (which sleeps 1…100 ms
    between tries, unfairly). Shows how much of a save's latency is lock arbitration."""
    import asyncio

    from piccolo.engine.sqlite import TransactionType

    from leokop.db import PooledSQLiteTransaction

    lock = asyncio.Lock()
    holders: set[int] = set()  # ids of transactions holding the lock (the class has __slots__)
    ensure_started = PooledSQLiteTransaction.ensure_started
    aexit = PooledSQLiteTransaction.__aexit__

    async def queued_ensure_started(self):
        if not self.started and self.transaction_type is TransactionType.immediate and id(self) not in holders:
            await lock.acquire()
            holders.add(id(self))
            try:
                return await ensure_started(self)
            except BaseException:
                holders.discard(id(self))
                lock.release()
                raise
        return await ensure_started(self)

    async def queued_aexit(self, *exc_info):
        try:
            return await aexit(self, *exc_info)
        finally:
            if id(self) in holders:
                holders.discard(id(self))
                lock.release()

    PooledSQLiteTransaction.ensure_started = queued_ensure_started
    PooledSQLiteTransaction.__aexit__ = queued_aexit


def build_app(port: int):
    import httpx

    import leokop.web.middleware as middleware
    from leokop.app import create_app
    from leokop.policy import PUBLIC
    from leokop.settings import load_settings

    counters = Counters()
    # The floor must not pay for the per-request transaction or the session look-up: give it the
    # treatment /static and /healthz get (runtime only, inside this benchmark process).
    middleware.NO_DATABASE_PREFIXES = (*middleware.NO_DATABASE_PREFIXES, FLOOR, STATS, CAPTURE, PAGE_FLOOR)

    app = create_app(load_settings())
    if os.environ.get("BENCH_WRITE_QUEUE") == "1":
        queue_writers_in_process()
    instrument_engine(app.state.engine, counters)
    captured: dict[str, object] = {}

    @get(FLOOR, opt={"action": PUBLIC}, include_in_schema=False)
    async def floor() -> Response:
        return Response(captured["body"], media_type=captured["media_type"])  # type: ignore[arg-type]

    @get(SESSION_FLOOR, opt={"action": PUBLIC}, include_in_schema=False)
    async def session_floor() -> Response:
        return Response(captured["body"], media_type=captured["media_type"])  # type: ignore[arg-type]

    @get(STATS, opt={"action": PUBLIC}, include_in_schema=False)
    async def stats(request: Request) -> Response:
        body = {
            "paths": counters.snapshot(),
            "captured": captured.get("info", {}),
            # CPU seconds of this process so far (all threads: event loop and SQLite connections).
            "process_cpu_s": time.process_time(),
        }
        if request.query_params.get("sql") == "1":
            body["sql"] = {path: dict(c) for path, c in counters.sql.items()}
        if request.query_params.get("reset_max") == "1":  # start a new measuring window for begin_max_s
            counters.begin_max.clear()
        return Response(body)

    @get(PAGE_FLOOR, opt={"action": PUBLIC}, include_in_schema=False)
    async def page_floor() -> Response:
        page = captured.get("page")
        if page is None:
            return Response("nothing captured yet (GET /__bench/capture?path=...)", status_code=404)
        return Response(page["body"], media_type=page["media_type"])  # type: ignore[index]

    @get(CAPTURE, opt={"action": PUBLIC}, include_in_schema=False)
    async def capture(request: Request) -> Response:
        # In-process through the whole app with the caller's cookies: the same bytes the caller gets.
        path = request.query_params.get("path", "")
        if not path.startswith("/") or path.startswith("/__bench"):
            return Response({"error": "path must be an app path"}, status_code=400)
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{port}") as client:
            counters.sql.pop(path, None)
            counters.record_sql = True
            try:
                page = await client.get(path, headers={"cookie": request.headers.get("cookie", "")})
            finally:
                counters.record_sql = False
        if page.status_code != 200:
            return Response({"error": f"{path} answered {page.status_code}"}, status_code=502)
        captured["page"] = {"body": page.content, "media_type": page.headers["content-type"].split(";")[0]}
        return Response(
            {
                "path": path,
                "bytes": len(page.content),
                "content_type": page.headers["content-type"],
                "queries": dict(counters.sql.get(path, {})),
            }
        )

    for handler in (floor, session_floor, stats, page_floor, capture):
        app.register(handler)

    async def capture_start_page(app_) -> None:
        # In-process, on the server's own loop, through the whole app: log in as the demo trainer,
        # fetch the start page once and keep its bytes.
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{port}") as client:
            await _log_in(client)
            counters.record_sql = True
            page = await client.get("/")
            counters.record_sql = False
            await client.post("/logout", data={"_csrf_token": client.cookies.get("leokop_csrf")})
        if page.status_code != 200:
            raise SystemExit(f"bench_server: start page answered {page.status_code}")
        captured["body"] = page.content
        # Litestar appends "; charset=utf-8" to text media types itself.
        captured["media_type"] = page.headers["content-type"].split(";")[0]
        captured["info"] = {
            "bytes": len(page.content),
            "content_type": page.headers["content-type"],
            "queries": dict(counters.sql.get("/", {})),
        }

    app.on_startup.append(capture_start_page)

    async def asgi(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path = scope["path"]
        token = counters.path.set(path)
        counters.requests[path] += 1

        async def counting_send(message):
            if message["type"] == "http.response.start":
                counters.statuses[path][message["status"]] += 1
            await send(message)

        try:
            await app(scope, receive, counting_send)
        finally:
            counters.path.reset(token)

    return asgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    import uvicorn

    if os.environ.get("BENCH_SWITCH_INTERVAL"):
        # Experiment knob: the GIL hand-over interval between the event loop and aiosqlite's threads.
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    started = time.perf_counter()
    asgi = build_app(args.port)
    print(f"bench_server: app built in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    # The options of `leokop serve` (cli.py), with one worker.
    uvicorn.run(
        asgi,
        host=args.host,
        port=args.port,
        workers=1,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
