"""Per-query overhead of Piccolo's stock SQLiteEngine versus leokop.db.PooledSQLiteEngine, with raw
sqlite3/aiosqlite baselines, on a copy of a migrated leokop database (run by scripts/bench).

Usage: .venv/bin/python tests/perf/bench_sqlite_overhead.py PATH/leokop.sqlite3
Environment: BENCH_SQLITE_N (queries per figure, default 1000), BENCH_SQLITE_WRITES (write transactions
per figure, default 300), BENCH_SQLITE_CONCURRENCY (tasks in the concurrent figure, default 32),
BENCH_SQLITE_CONCURRENT_REQUESTS (transactions in that figure, default 2000).
Prints figures only; nothing here asserts a timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite

N = int(os.environ.get("BENCH_SQLITE_N", "1000"))
WRITES = int(os.environ.get("BENCH_SQLITE_WRITES", "300"))
CONCURRENCY = int(os.environ.get("BENCH_SQLITE_CONCURRENCY", "32"))
CONCURRENT_REQUESTS = int(os.environ.get("BENCH_SQLITE_CONCURRENT_REQUESTS", "2000"))


class ConnectionCounter:
    """Counts aiosqlite.connect calls (both engines look it up on the module at call time)."""

    def __init__(self) -> None:
        self.count = 0
        self._connect = aiosqlite.connect

    def __enter__(self):
        def connect(*args, **kwargs):
            self.count += 1
            return self._connect(*args, **kwargs)

        aiosqlite.connect = connect
        return self

    def __exit__(self, *exc) -> None:
        aiosqlite.connect = self._connect


async def timed(n: int, make) -> float:
    """Seconds per call of `await make()`, after a few warm-up calls."""
    for _ in range(min(20, n)):
        await make()
    started = time.perf_counter()
    for _ in range(n):
        await make()
    return (time.perf_counter() - started) / n


def timed_sync(n: int, call) -> float:
    for _ in range(min(20, n)):
        call()
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def per_second(seconds: float) -> str:
    return f"{1 / seconds:,.0f} /s"


# --- the two engines --------------------------------------------------------------------------


async def bench_engine(engine, user_id: int) -> dict[str, str]:
    from piccolo.engine.sqlite import TransactionType
    from piccolo.querystring import QueryString

    from leokop.accounts.tables import User
    from leokop.db import bind_tables

    bind_tables(engine)
    assert User._meta.db is engine
    results: dict[str, str] = {}

    def select_one():
        return engine.run_querystring(QueryString("SELECT 1"))

    def select_user():
        return User.select(User.id, User.email, User.display_name).where(User.id == user_id)

    rows = await select_user()
    assert rows and rows[0]["id"] == user_id, rows

    with ConnectionCounter() as connections:
        results["(a) SELECT 1, outside a transaction"] = us(await timed(N, select_one))
        results["(a) User.select().where(id), outside a transaction"] = us(await timed(N, select_user))
    results["(a) connections opened for those"] = f"{connections.count:,} for {2 * (N + min(20, N)):,} queries"

    async def in_transaction(make) -> float:
        async with engine.transaction():
            return await timed(N, make)

    results["(b) SELECT 1, inside one transaction"] = us(await in_transaction(select_one))
    results["(b) User.select().where(id), inside one transaction"] = us(await in_transaction(select_user))

    counter = iter(range(10**9))

    async def write_transaction():
        async with engine.transaction(TransactionType.immediate):
            await User.update({User.display_name: f"Bench {next(counter)}"}).where(User.id == user_id)

    async def write_autocommit():
        await User.update({User.display_name: f"Bench {next(counter)}"}).where(User.id == user_id)

    seconds = await timed(WRITES, write_transaction)
    results["(c) write transactions (BEGIN IMMEDIATE; UPDATE 1 row; COMMIT)"] = (
        f"{per_second(seconds)} ({us(seconds)} each)"
    )
    seconds = await timed(WRITES, write_autocommit)
    results["(c) single UPDATE outside a transaction (autocommit)"] = f"{per_second(seconds)} ({us(seconds)} each)"

    # What a page view looks like under load: many requests in flight, each a read transaction
    # with two small selects (session look-up, page data).
    async def request_like():
        async with engine.transaction():
            await select_user()
            await select_user()

    async def worker(count: int):
        for _ in range(count):
            await request_like()

    with ConnectionCounter() as connections:
        started = time.perf_counter()
        per_task = CONCURRENT_REQUESTS // CONCURRENCY
        await asyncio.gather(*(worker(per_task) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    done = per_task * CONCURRENCY
    results[f"(d) {CONCURRENCY} concurrent read transactions of 2 selects"] = (
        f"{done / elapsed:,.0f} tx/s, {connections.count / done:.2f} connections opened per tx"
    )

    if hasattr(engine, "close_pool"):
        await engine.close_pool()
    return results


# --- leokop's own hot queries: where does a request's database time go? ---------------------------


class ReplayEngine:
    """Stands in for the engine: compiles each query as a real engine does, then hands back the rows
    recorded from a real run, so timing a service function measures its Python side only."""

    def __init__(self, engine, responses: list) -> None:
        self._engine = engine
        self._responses = responses
        self._next = 0

    def __getattr__(self, name):
        return getattr(self._engine, name)

    async def run_querystring(self, querystring, in_pool: bool = False):
        querystring.compile_string(engine_type="sqlite")
        response = self._responses[self._next % len(self._responses)]
        self._next += 1
        return [dict(row) for row in response]


async def hot_paths(path: str, user_id: int) -> dict[str, tuple]:
    """For each hot service call: SQL statements, µs per call on the pooled engine (inside a
    transaction), µs of it spent in Python (query building, compiling, result handling: replayed
    without I/O), and µs for the same SQL sent straight through aiosqlite and sqlite3."""
    from leokop.accounts import service as accounts
    from leokop.accounts.tables import User
    from leokop.contracts import service as contracts
    from leokop.db import PooledSQLiteEngine, bind_tables
    from leokop.settings import load_settings

    settings = load_settings()
    engine = PooledSQLiteEngine(path=path)
    bind_tables(engine)
    trainer = await User.select(User.id).where(User.email == "markus.weber@rmm.example").first()
    trainer_id = trainer["id"] if trainer else user_id
    async with engine.transaction():
        token = await accounts.create_session(trainer_id)
    async with engine.transaction():
        current = await accounts.user_for_session(settings, token)
    assert current is not None

    calls = {
        "accounts.user_for_session (every signed-in request)": lambda: accounts.user_for_session(settings, token),
        "contracts.list_contracts (trainer start page)": lambda: contracts.list_contracts(current),
    }
    results: dict[str, tuple] = {}
    for label, call in calls.items():
        recorded: list[tuple[str, list, list]] = []
        run_querystring = engine.run_querystring

        async def recording(querystring, in_pool: bool = False):
            sql, args = querystring.compile_string(engine_type="sqlite")
            response = await run_querystring(querystring, in_pool=in_pool)
            recorded.append((sql, list(args), [dict(row) for row in response]))
            return response

        engine.run_querystring = recording
        async with engine.transaction():
            await call()
        del engine.run_querystring
        async with engine.transaction():
            total = await timed(N, call)

        replay = ReplayEngine(engine, [rows for _, _, rows in recorded])
        bind_tables(replay)  # type: ignore[arg-type]
        python_side = await timed(N, call)
        bind_tables(engine)

        async with aiosqlite.connect(path, isolation_level=None) as connection:

            async def same_sql():
                for sql, args, _ in recorded:
                    async with connection.execute(sql, args) as cursor:
                        await cursor.fetchall()

            await connection.execute("BEGIN")
            via_aiosqlite = await timed(N, same_sql)
            await connection.execute("COMMIT")

        raw = sqlite3.connect(path, isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
        via_sqlite3 = timed_sync(N, lambda: [raw.execute(sql, args).fetchall() for sql, args, _ in recorded])
        raw.close()
        results[label] = (len(recorded), total, python_side, via_aiosqlite, via_sqlite3)
    await engine.close_pool()
    return results


async def piccolo_compile_cost(user_id: int) -> float:
    """Building and compiling the ORM query alone (no I/O): the part no engine can remove."""
    from leokop.accounts.tables import User

    def build():
        query = User.select(User.id, User.email, User.display_name).where(User.id == user_id)
        for querystring in query.querystrings:
            querystring.compile_string(engine_type="sqlite")

    return timed_sync(N, build)


# --- raw baselines ----------------------------------------------------------------------------


def raw_sqlite3(path: str, user_id: int) -> dict[str, str]:
    from leokop.db import SQLITE_PRAGMAS

    results: dict[str, str] = {}
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        connection.execute(pragma)
    results["sqlite3: SELECT 1"] = us(timed_sync(N, lambda: connection.execute("SELECT 1").fetchall()))
    select = "SELECT id, email, display_name FROM app_user WHERE id = ?"
    results["sqlite3: select user by id"] = us(timed_sync(N, lambda: connection.execute(select, (user_id,)).fetchall()))

    counter = iter(range(10**9))

    def write():
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE app_user SET display_name = ? WHERE id = ?", (f"Raw {next(counter)}", user_id))
        connection.execute("COMMIT")

    for synchronous in ("FULL", "NORMAL"):
        connection.execute(f"PRAGMA synchronous = {synchronous}")
        seconds = timed_sync(WRITES, write)
        results[f"sqlite3: write transaction, WAL, synchronous={synchronous}"] = (
            f"{per_second(seconds)} ({us(seconds)} each)"
        )
    connection.close()

    def open_close():
        c = sqlite3.connect(path, isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
        c.execute("PRAGMA foreign_keys = 1")
        c.close()

    results["sqlite3: connect + PRAGMA + close"] = us(timed_sync(min(N, 500), open_close))
    return results


async def raw_aiosqlite(path: str, user_id: int) -> dict[str, str]:
    results: dict[str, str] = {}
    async with aiosqlite.connect(path, isolation_level=None) as connection:

        async def select_one():
            async with connection.execute("SELECT 1") as cursor:
                await cursor.fetchall()

        async def select_user():
            async with connection.execute(
                "SELECT id, email, display_name FROM app_user WHERE id = ?", (user_id,)
            ) as cursor:
                await cursor.fetchall()

        async def select_user_one_hop():
            await connection.execute_fetchall(
                "SELECT id, email, display_name FROM app_user WHERE id = ?", (user_id,)
            )

        # execute + fetchall + cursor close: three hand-overs to the connection's thread, as both
        # engines do it; execute_fetchall does the same work in one.
        results["aiosqlite (one open connection): SELECT 1"] = us(await timed(N, select_one))
        results["aiosqlite (one open connection): select user by id"] = us(await timed(N, select_user))
        results["aiosqlite (one open connection): same, execute_fetchall"] = us(await timed(N, select_user_one_hop))

    async def open_close():
        async with aiosqlite.connect(path, isolation_level=None) as c:
            await c.execute("PRAGMA foreign_keys = 1")

    results["aiosqlite: connect (new thread) + PRAGMA + close"] = us(await timed(min(N, 500), open_close))
    return results


# --- main -------------------------------------------------------------------------------------


def copy_database(source: str, target: Path) -> None:
    """A consistent copy through SQLite's backup API (the WAL may hold committed pages)."""
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    with contextlib.closing(sqlite3.connect(target)) as dst:
        dst.execute("PRAGMA journal_mode = WAL")


def print_section(title: str, rows: dict[str, str]) -> None:
    print(f"\n{title}")
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        print(f"  {key:<{width}}  {value:>34}")


async def run(source: str) -> None:
    from piccolo.engine.sqlite import SQLiteEngine

    from leokop.db import PooledSQLiteEngine

    workdir = Path(tempfile.mkdtemp(prefix="leokop-bench-sqlite-"))
    try:
        path = workdir / "leokop.sqlite3"
        copy_database(source, path)
        with contextlib.closing(sqlite3.connect(path)) as c:
            user_id = c.execute("SELECT min(id) FROM app_user").fetchone()[0]
        print(
            f"SQLite {sqlite3.sqlite_version}, aiosqlite {aiosqlite.__version__}, copy of {source} in {workdir}\n"
            f"N = {N} queries per figure, {WRITES} write transactions per figure "
            f"(BENCH_SQLITE_N, BENCH_SQLITE_WRITES); user id {user_id}"
        )

        engines = {
            "Piccolo SQLiteEngine (stock)": SQLiteEngine(path=str(path)),
            "leokop PooledSQLiteEngine": PooledSQLiteEngine(path=str(path)),
        }
        results = {}
        for name, engine in engines.items():
            started = time.perf_counter()
            results[name] = await bench_engine(engine, user_id)
            print(f"  ({name}: {time.perf_counter() - started:.1f} s)", file=sys.stderr)

        names = list(results)
        keys = list(results[names[0]])
        width = max(len(k) for k in keys)
        print()
        print(f"  {'':<{width}}  {names[0]:>50}  {names[1]:>50}")
        for key in keys:
            print(f"  {key:<{width}}  {results[names[0]][key]:>50}  {results[names[1]][key]:>50}")

        hot = await hot_paths(str(path), user_id)
        print("\n(e) leokop's hot queries, pooled engine, inside a transaction (µs per call)")
        header = ("call", "SQL", "total", "Python side", "same SQL: aiosqlite", "same SQL: sqlite3")
        width = max(len(k) for k in hot)
        print(f"  {header[0]:<{width}}  {header[1]:>3}  {header[2]:>9}  {header[3]:>11}  {header[4]:>19}  {header[5]:>17}")
        for label, (count, total, python_side, via_aiosqlite, via_sqlite3) in hot.items():
            print(
                f"  {label:<{width}}  {count:>3}  {total * 1e6:>9,.0f}  {python_side * 1e6:>11,.0f}"
                f"  {via_aiosqlite * 1e6:>19,.0f}  {via_sqlite3 * 1e6:>17,.1f}"
            )
        print("  (Python side: the same call with the engine replaced by one that compiles the query and returns")
        print("  recorded rows, i.e. Piccolo query building + compiling + result handling, no I/O.)")

        print_section(
            "Piccolo query building and compiling alone (no I/O)",
            {"User.select(...).where(id) → SQL + args": us(await piccolo_compile_cost(user_id))},
        )
        print_section("Baselines (same database file, leokop's PRAGMAs)", {
            **raw_sqlite3(str(path), user_id),
            **await raw_aiosqlite(str(path), user_id),
        })
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_file():
        sys.exit(__doc__)
    asyncio.run(run(sys.argv[1]))


if __name__ == "__main__":
    main()
