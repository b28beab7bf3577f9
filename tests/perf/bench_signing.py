"""Signing part of scripts/bench: the trainer's inbox and approving weeks, in the service and over HTTP.

  bench_signing.py service [--postgres ADMIN_URL]
      Service level, in this process, on a fresh database: SQLite in a temporary folder, or with
      --postgres a throw-away database created on that server (ADMIN_URL may name any database there;
      the role needs CREATEDB) and dropped afterwards. Builds the data set (below), then times, each in
      its own request transaction as the app runs it (leokop.db.request_transaction: BEGIN … COMMIT):
      signing.service.inbox() for a trainer of BENCH_SIGNING_SMALL (5) and of BENCH_SIGNING_APPRENTICES
      (40) apprentices, approve() of one week, approve_many() of BENCH_SIGNING_BULK (25) weeks (the
      inbox's oldest, as ticked on the tablet; every run on weeks not approved before), and the big
      inbox again afterwards. Counts the SQL statements of every call.
  bench_signing.py prepare URL DIR
      For the HTTP runs of scripts/bench: gives the demo trainer (BENCH_EMAIL) of the running server
      BENCH_SIGNING_HTTP_APPRENTICES (40) more apprentices with BENCH_SIGNING_HTTP_WEEKS (2) submitted
      weeks each (written into the server's SQLite database, LEOKOP_VAR_DIR, through the logbook
      services), signs the trainer in (DIR/signing.cookie), prints the SQL of one GET /freigaben and
      times BENCH_SIGNING_HTTP_SEQUENTIAL (100) requests of the inbox page and its JSON one at a time
      (the latency without queueing, next to wrk's 32 connections).
  bench_signing.py report DIR
      The table of scripts/bench's wrk runs of the inbox (DIR/inbox.*, DIR/inbox_api.*).
  bench_signing.py approve URL DIR
      BENCH_SIGNING_HTTP_ROUNDS (3) bulk approvals through the inbox form (POST /freigaben with the
      BENCH_SIGNING_BULK oldest waiting weeks), one after the other, timed by the client and counted
      by the server (/__bench/stats).

The data set: per apprentice one contract (Fachinformatiker/in, daily log, 7:48 a day) named to the
trainer; BENCH_SIGNING_HISTORY (40) earlier weeks already approved (weeks, days, entries, the audit
chain's "submitted" and "approved" records and the signature, inserted directly, equal to what the
services write), then BENCH_SIGNING_WEEKS (default: enough for all runs) submitted weeks written
through leokop.logbook.service (set_day_status, add_entry, submit_week; 3 company and 2 school days
with 3 entries each, tests/perf/bench_logbook.py's WEEK_PLAN), the oldest week of every apprentice
first, so the inbox's oldest 25 belong to 25 apprentices.

Environment: BENCH_SIGNING_RUNS (200 inbox calls per figure), BENCH_SIGNING_SINGLE (20 approve()
calls), BENCH_SIGNING_REPEATS (5 approve_many() calls), BENCH_SIGNING_PROFILE=1 adds one more
approve_many() under cProfile and prints where its time goes. Prints figures only; nothing here
asserts a timing.
"""

from __future__ import annotations

import asyncio
import collections
import cProfile
import datetime as dt
import io
import json
import math
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import bench_http  # noqa: E402
from bench_logbook import WEEK_PLAN, _cookies, _percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

SMALL = int(os.environ.get("BENCH_SIGNING_SMALL", "5"))
APPRENTICES = int(os.environ.get("BENCH_SIGNING_APPRENTICES", "40"))
HISTORY = int(os.environ.get("BENCH_SIGNING_HISTORY", "40"))
WEEKS = int(os.environ.get("BENCH_SIGNING_WEEKS", "0"))  # 0: as many as the runs need
RUNS = int(os.environ.get("BENCH_SIGNING_RUNS", "200"))
SINGLE = int(os.environ.get("BENCH_SIGNING_SINGLE", "20"))
BULK = int(os.environ.get("BENCH_SIGNING_BULK", "25"))
REPEATS = int(os.environ.get("BENCH_SIGNING_REPEATS", "5"))
PROFILE = os.environ.get("BENCH_SIGNING_PROFILE") == "1"
HTTP_APPRENTICES = int(os.environ.get("BENCH_SIGNING_HTTP_APPRENTICES", "40"))
HTTP_WEEKS = int(os.environ.get("BENCH_SIGNING_HTTP_WEEKS", "2"))
HTTP_ROUNDS = int(os.environ.get("BENCH_SIGNING_HTTP_ROUNDS", "3"))
SEQUENTIAL = int(os.environ.get("BENCH_SIGNING_HTTP_SEQUENTIAL", "100"))
TRAINER_EMAIL = os.environ.get("BENCH_EMAIL", "markus.weber@rmm.example")

OCCUPATION = "fachinformatiker-anwendungsentwicklung"
DAILY_MINUTES = 468  # WEEK_PLAN's company days add up to 7:48
FIRST_NAMES = ["Lukas", "Anna", "Jonas", "Lea", "Elias", "Marie", "Paul", "Sophie", "Ben", "Hannah", "Leon", "Emilia"]
LAST_NAMES = ["Bauer", "Koch", "Richter", "Klein", "Wagner", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger"]

# name -> (label, path) of scripts/bench's wrk runs (the table of bench_http.report)
HTTP_RUNS = {
    "inbox": ("GET /freigaben (inbox page, trainer)", "/freigaben"),
    "inbox_api": ("GET /api/v1/inbox (JSON)", "/api/v1/inbox"),
}


# --- data set -----------------------------------------------------------------------------------


def _weeks_back(count: int, skip: int = 0) -> list[dt.date]:
    """`count` Mondays before this week's (the oldest first), leaving out the last `skip` of them."""
    from leokop.logbook import calendar
    from leokop.timeutil import today_berlin

    this_monday = calendar.monday_of(today_berlin())
    return [this_monday - dt.timedelta(weeks=k) for k in range(skip + count, skip, -1)]


def _contract_dates(weeks_needed: int) -> tuple[dt.date, dt.date]:
    """A contract of three years that began early enough for all the weeks (the first of a month)."""
    first = _weeks_back(weeks_needed + 2)[0]
    start = min(dt.date(2024, 8, 1), first.replace(day=1))
    return start, start.replace(year=start.year + 3) - dt.timedelta(days=1)


async def add_apprentices(company_id: int, trainer_id: int, count: int, tag: str, start: dt.date, end: dt.date) -> list[tuple]:
    """`count` apprentices with one contract each, named to the trainer: [(CurrentUser, contract id)]."""
    from leokop.accounts.service import load_user
    from leokop.accounts.tables import User
    from leokop.contracts.tables import Contract, ContractStaff
    from leokop.curriculum.tables import Occupation
    from leokop.timeutil import utcnow

    occupation = (await Occupation.select(Occupation.id).where(Occupation.slug == OCCUPATION))[0]["id"]
    # The trainer's password hash (any valid one): the apprentices never sign in here.
    password_hash = (await User.select(User.password_hash).where(User.id == trainer_id))[0]["password_hash"]
    now = utcnow()
    result = []
    for i in range(count):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i // len(FIRST_NAMES) + i) % len(LAST_NAMES)]}"
        rows = await User.insert(
            User(
                email=f"bench.{tag}.{i + 1:03d}@rmm.example",
                display_name=name,
                role="apprentice",
                password_hash=password_hash,
                is_active=True,
                company=company_id,
                birth_date=dt.date(2005, 1, 1) + dt.timedelta(days=37 * i),
                created_at=now,
                password_changed_at=now,
            )
        ).returning(User.id)
        user_id = rows[0]["id"]
        rows = await Contract.insert(
            Contract(
                apprentice=user_id,
                company=company_id,
                occupation=occupation,
                start_date=start,
                end_date=end,
                log_form="electronic",
                log_mode="daily",
                daily_minutes=DAILY_MINUTES,
                created_at=now,
                updated_at=now,
            )
        ).returning(Contract.id)
        await ContractStaff.insert(ContractStaff(contract=rows[0]["id"], user=trainer_id, kind="trainer"))
        result.append((await load_user(user_id), rows[0]["id"]))
    return result


def _plan(monday: dt.date, start: dt.date, end: dt.date):
    """(date, status, [(category, minutes, text)]) of the week's working days."""
    from leokop.logbook import calendar
    from leokop.timeutil import parse_duration

    info = calendar.week_info(start, end, monday, "HE")
    for day, (status, entries) in zip(info.days, WEEK_PLAN):
        if day.is_working_day:
            yield day.date, status, [(category, parse_duration(duration), text) for category, duration, text in entries]


async def add_history(apprentices: list[tuple], trainer, mondays: list[dt.date], start: dt.date, end: dt.date) -> None:
    """Approved weeks by direct inserts: the rows submit_week and approve write (week, days, entries,
    two audit records on the contract's chain, the signature with the content's hash); no notifications."""
    from leokop.audit.service import GENESIS, canonical, chain_hash
    from leokop.audit.tables import AuditRecord
    from leokop.logbook.tables import Day, Entry, Week
    from leokop.signing import content as signed_content
    from leokop.signing.tables import Signature

    async def insert(table, rows: list, chunk: int = 400) -> None:
        for i in range(0, len(rows), chunk):
            await table.insert(*rows[i : i + chunk])

    for apprentice, contract_id in apprentices:
        times = {
            m: (
                dt.datetime.combine(m + dt.timedelta(days=4), dt.time(15, 30), tzinfo=dt.timezone.utc),
                dt.datetime.combine(m + dt.timedelta(days=7), dt.time(8, 15), tzinfo=dt.timezone.utc),
            )
            for m in mondays
        }
        await insert(
            Week,
            [
                Week(contract=contract_id, monday=m, state="approved", submitted_at=times[m][0], return_reason="",
                     created_at=times[m][0] - dt.timedelta(days=4), updated_at=times[m][1])
                for m in mondays
            ],
        )
        week_ids = {r["monday"]: r["id"] for r in await Week.select(Week.id, Week.monday).where(Week.contract == contract_id)}
        days, entries, records, signatures = [], [], [], []
        seq, prev = 0, GENESIS
        for m in mondays:
            submitted_at, approved_at = times[m]
            week_days, week_entries = [], []
            for date, status, items in _plan(m, start, end):
                week_days.append({"date": date, "status": status, "note": ""})
                for position, (category, minutes, text) in enumerate(items, start=1):
                    week_entries.append({"id": 0, "day": date, "position": position, "category": category, "text": text, "minutes": minutes})
            days += [Day(week=week_ids[m], version=1, **d) for d in week_days]
            entries += [
                Entry(week=week_ids[m], version=1, created_at=submitted_at, updated_at=submitted_at, **{k: v for k, v in e.items() if k != "id"})
                for e in week_entries
            ]
            content_hash = signed_content.digest(signed_content.week_content(contract_id, m, week_days, week_entries, []))
            for actor, role, action, at, data in (
                (apprentice.id, "apprentice", "week.submitted", submitted_at, {}),
                (trainer.id, trainer.role.value, "week.approved", approved_at, {
                    "kind": "approval", "role": "trainer", "signer_name": trainer.display_name, "on_behalf_of": None,
                    "on_behalf_name": "", "content_hash": content_hash,
                }),
            ):
                seq += 1
                subject = f"week:{m.isoformat()}"
                payload = canonical({
                    "contract": contract_id, "seq": seq, "at": at.isoformat(), "actor": actor, "role": role,
                    "action": action, "subject": subject, "data": data,
                }).decode()
                records.append(AuditRecord(contract=contract_id, seq=seq, at=at, actor=actor, action=action, subject=subject,
                                           payload=payload, prev_hash=prev, hash=chain_hash(prev, payload)))
                prev = records[-1].hash
            signatures.append(
                Signature(week=week_ids[m], contract=contract_id, kind="approval", signer=trainer.id, signer_name=trainer.display_name,
                          signer_role="trainer", on_behalf_of=None, on_behalf_name="", signed_at=approved_at,
                          content_hash=content_hash, audit_seq=seq, voided_at=None, void_reason="")
            )
        await insert(Day, days)
        await insert(Entry, entries)
        await insert(AuditRecord, records)
        await insert(Signature, signatures)


async def submit_weeks(engine, apprentices: list[tuple], mondays: list[dt.date], start: dt.date, end: dt.date) -> int:
    """Write and submit every apprentice's weeks through the logbook services, the oldest week of all
    apprentices first; one write transaction per week. Returns the number of service calls."""
    from leokop.db import request_transaction
    from leokop.logbook import service as logbook

    calls = 0
    for monday in mondays:
        for apprentice, contract_id in apprentices:
            async with request_transaction(engine, write=True):
                for date, status, items in _plan(monday, start, end):
                    await logbook.set_day_status(apprentice, contract_id, monday, date, status, "")
                    for category, minutes, text in items:
                        await logbook.add_entry(apprentice, contract_id, monday, date, category, text, f"{minutes // 60}:{minutes % 60:02d}")
                    calls += 1 + len(items)
                await logbook.submit_week(apprentice, contract_id, monday)
                calls += 1
    return calls


async def add_trainer(company_id: int, tag: str):
    from leokop.accounts.service import load_user
    from leokop.accounts.tables import User
    from leokop.timeutil import utcnow

    any_hash = (await User.select(User.password_hash).limit(1))[0]["password_hash"]
    rows = await User.insert(
        User(email=f"bench.trainer.{tag}@rmm.example", display_name=f"Ausbilder {tag}", role="trainer", password_hash=any_hash,
             is_active=True, company=company_id, created_at=utcnow(), password_changed_at=utcnow())
    ).returning(User.id)
    return await load_user(rows[0]["id"])


# --- measuring ----------------------------------------------------------------------------------


class SqlCounter:
    """Counts and times every SQL statement Piccolo runs (engine.run_querystring: all ORM queries and
    raw(); the request transaction's BEGIN/COMMIT go to the connection directly and are not included)."""

    def __init__(self, engine) -> None:
        self.count = 0
        self.seconds = 0.0
        self.statements: collections.Counter[str] | None = None
        # On the class: PostgresEngine has __slots__ (this process has this one engine only).
        engine_class = type(engine)
        run_querystring = engine_class.run_querystring

        async def counting(engine_, querystring, *args, **kwargs):
            self.count += 1
            if self.statements is not None:  # grouped by the statement's text with placeholders
                sql = querystring.compile_string(engine_type=engine_.engine_type)[0]
                self.statements[" ".join(sql.split())[:120]] += 1
            started = time.perf_counter()
            try:
                return await run_querystring(engine_, querystring, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        engine_class.run_querystring = counting


class Sample:
    def __init__(self, total: float, cpu: float, commit: float, queries: int, sql: float, result) -> None:
        self.total, self.cpu, self.commit, self.queries, self.sql, self.result = total, cpu, commit, queries, sql, result


async def in_request(engine, counter: SqlCounter, write: bool, work) -> Sample:
    """`await work()` in the transaction a request would run it in; times it with its COMMIT."""
    from leokop.db import request_transaction

    queries, sql = counter.count, counter.seconds
    cpu = time.process_time()
    started = time.perf_counter()
    async with request_transaction(engine, write=write):
        result = await work()
        done = time.perf_counter()
    ended = time.perf_counter()
    return Sample(ended - started, time.process_time() - cpu, ended - done, counter.count - queries, counter.seconds - sql, result)


def _row(label: str, samples: list[Sample], note: str = "") -> tuple:
    totals = sorted(s.total for s in samples)
    queries = sorted({s.queries for s in samples})
    return (
        label,
        f"{len(samples)}",
        f"{statistics.median(totals) * 1000:.2f}",
        f"{_percentile(totals, 95) * 1000:.2f}",
        f"{totals[-1] * 1000:.2f}",
        f"{statistics.median(s.cpu for s in samples) * 1000:.2f}",
        f"{queries[0]}" if len(queries) == 1 else f"{queries[0]}–{queries[-1]}",
        f"{statistics.median(s.sql for s in samples) * 1000:.2f}",
        f"{statistics.median(s.commit for s in samples) * 1000:.2f}",
        note,
    )


def _table(rows: list[tuple]) -> None:
    header = ("call (one request transaction each)", "runs", "median ms", "p95 ms", "max ms", "CPU ms", "SQL/call", "SQL ms", "COMMIT ms", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % widths[0] if i == 0 else "{:>%d}" % widths[i] for i in range(len(header) - 1)) + "  {}"
    print("  " + line.format(*header).rstrip())
    print("  " + "  ".join("-" * w for w in widths[:-1]))
    for row in rows:
        print("  " + line.format(*row).rstrip())


# --- service ------------------------------------------------------------------------------------


async def service_figures(engine, database: str) -> None:
    from leokop.accounts.service import load_user
    from leokop.accounts.tables import User
    from leokop.db import request_transaction
    from leokop.demo import seed_demo
    from leokop.signing import service as signing

    counter = SqlCounter(engine)
    weeks = SINGLE + BULK * (REPEATS + (1 if PROFILE else 0))
    per_apprentice = WEEKS or math.ceil(weeks / APPRENTICES) + 1
    mondays = _weeks_back(per_apprentice)
    history = _weeks_back(HISTORY, skip=per_apprentice)
    start, end = _contract_dates(per_apprentice + HISTORY)

    started = time.perf_counter()
    async with request_transaction(engine, write=True):
        await seed_demo()
        company_id = (await User.select(User.company).where(User.email == TRAINER_EMAIL))[0]["company"]
        small_trainer, big_trainer = await add_trainer(company_id, f"{SMALL}"), await add_trainer(company_id, f"{APPRENTICES}")
        small = await add_apprentices(company_id, small_trainer.id, SMALL, "small", start, end)
        big = await add_apprentices(company_id, big_trainer.id, APPRENTICES, "big", start, end)
    seeded = time.perf_counter()
    for trainer, group in ((small_trainer, small), (big_trainer, big)):
        async with request_transaction(engine, write=True):
            await add_history(group, trainer, history, start, end)
    history_done = time.perf_counter()
    calls = await submit_weeks(engine, small + big, mondays, start, end)
    built = time.perf_counter()
    if engine.engine_type == "postgres":
        # Fresh statistics now rather than autovacuum's ANALYZE in the middle of a measurement.
        await engine._run_in_new_connection("ANALYZE")
    # Reload: the session look-up loads the user (role, company) once per request.
    small_trainer, big_trainer = await load_user(small_trainer.id), await load_user(big_trainer.id)
    total_weeks = len(mondays) * (SMALL + APPRENTICES)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(
        f"  data set ({database}; load average {load}): trainer A with {SMALL} apprentices, trainer B with {APPRENTICES}; per apprentice "
        f"{HISTORY} approved weeks of history\n"
        f"  (direct inserts, {(HISTORY * (SMALL + APPRENTICES)):,} weeks in {history_done - seeded:.1f} s) and {len(mondays)} submitted "
        f"weeks {mondays[0]:%d.%m.}–{mondays[-1]:%d.%m.%Y} (5 days × 3 entries;\n"
        f"  {total_weeks} weeks = {calls:,} logbook service calls in {built - history_done:.1f} s, "
        f"{1000 * (built - history_done) / total_weeks:.0f} ms a week); demo data and users in {seeded - started:.1f} s"
        + ("; then ANALYZE" if engine.engine_type == "postgres" else "")
    )

    async def inbox_samples(user) -> list[Sample]:
        for _ in range(min(10, RUNS)):
            await in_request(engine, counter, False, lambda: signing.inbox(user))
        return [await in_request(engine, counter, False, lambda: signing.inbox(user)) for _ in range(RUNS)]

    rows = []
    small_inbox = await inbox_samples(small_trainer)
    big_inbox = await inbox_samples(big_trainer)
    for label, samples in ((f"inbox(), {SMALL} apprentices", small_inbox), (f"inbox(), {APPRENTICES} apprentices", big_inbox)):
        view = samples[-1].result
        rows.append(_row(label, samples, f"{len(view.weeks)} weeks waiting, {len(view.apprentices)} apprentices listed"))

    # approve(): the newest waiting weeks, one per request (the week page's button).
    waiting = (await in_request(engine, counter, False, lambda: signing.inbox(big_trainer))).result.weeks
    singles = []
    for week in waiting[-SINGLE:] if SINGLE else []:
        sample = await in_request(engine, counter, True, lambda: signing.approve(big_trainer, week.contract_id, week.monday))
        if sample.result is not True:
            sys.exit(f"bench: approve() of week {week.week_id} answered {sample.result!r}")
        singles.append(sample)
    if singles:
        rows.append(_row("approve(), one week", singles, "the newest waiting weeks"))

    # approve_many(): the oldest BULK waiting weeks each time, as ticked in the inbox.
    bulks, statements, spread = [], None, set()
    for repeat in range(REPEATS):
        chosen = (await in_request(engine, counter, False, lambda: signing.inbox(big_trainer))).result.weeks[:BULK]
        ids = [w.week_id for w in chosen]
        spread.add(len({w.contract_id for w in chosen}))
        if repeat == REPEATS - 1:
            counter.statements = collections.Counter()
        sample = await in_request(engine, counter, True, lambda: signing.approve_many(big_trainer, ids))
        statements, counter.statements = counter.statements, None
        if sample.result.approved != len(ids) or len(ids) != BULK:
            sys.exit(f"bench: approve_many() of {len(ids)} weeks answered {sample.result!r} (expected {BULK} approved)")
        bulks.append(sample)
    if bulks:
        apprentices = "–".join(str(n) for n in sorted({min(spread), max(spread)}))
        rows.append(_row(f"approve_many(), {BULK} weeks", bulks, f"the oldest waiting, of {apprentices} apprentices"))

    after = await inbox_samples(big_trainer)
    rows.append(_row(f"inbox(), {APPRENTICES} apprentices, after", after, f"{len(after[-1].result.weeks)} weeks waiting"))
    print()
    _table(rows)
    print(
        "  median/p95/max: wall time from the transaction's start to its COMMIT done, one call after the other (on\n"
        "  SQLite BEGIN runs at the first query: BEGIN IMMEDIATE for the approvals, deferred for the inbox). CPU ms:\n"
        "  median CPU time of this process per call (all threads, so SQLite's work too, not the PostgreSQL server's):\n"
        "  less skewed by other load on the machine than the wall times. SQL/call: statements through Piccolo\n"
        "  (BEGIN/COMMIT on top); SQL ms: median time awaiting them (with the hop to SQLite's thread or the server);\n"
        "  COMMIT ms: median COMMIT (on SQLite the WAL fsync of synchronous=FULL). No HTTP, session look-up or page:\n"
        "  see the HTTP figures for those."
    )
    counts = {SMALL: sorted({s.queries for s in small_inbox}), APPRENTICES: sorted({s.queries for s in big_inbox})}
    print(
        f"  inbox() SQL statements: {SMALL} apprentices → {counts[SMALL]}, {APPRENTICES} apprentices → {counts[APPRENTICES]} "
        f"({'the same' if counts[SMALL] == counts[APPRENTICES] else 'NOT the same'})"
    )
    if bulks:
        worst = max(s.total for s in bulks)
        print(
            f"  approve_many() of {BULK} weeks: median {statistics.median(s.total for s in bulks) * 1000:.1f} ms, "
            f"max {worst * 1000:.1f} ms, {statistics.median(s.queries for s in bulks) / BULK:.1f} statements a week "
            f"(quality bar: ≤ 1 s server time for 25 weeks)"
        )
    if statements:
        print(f"  SQL of the last approve_many() ({sum(statements.values())} statements):")
        for sql, count in statements.most_common():
            print(f"    {count:>3} × {sql}")
    if PROFILE:
        await profile_bulk(engine, counter, big_trainer)


async def profile_bulk(engine, counter: SqlCounter, trainer) -> None:
    from leokop.signing import service as signing

    ids = [w.week_id for w in (await in_request(engine, counter, False, lambda: signing.inbox(trainer))).result.weeks[:BULK]]
    profiler = cProfile.Profile()
    profiler.enable()
    sample = await in_request(engine, counter, True, lambda: signing.approve_many(trainer, ids))
    profiler.disable()
    print(
        f"\n  cProfile of one more approve_many() of {len(ids)} weeks: {sample.total * 1000:.1f} ms with the profiler on. It sees the\n"
        "  event loop's thread only: time in the database threads (aiosqlite) or the server shows as waiting in select."
    )
    for title, order, restriction, count in (
        ("cumulative, leokop's own functions", "cumulative", r"leokop/", 15),
        ("cumulative, Piccolo", "cumulative", r"piccolo/", 12),
        ("own time (tottime), everything", "tottime", "", 15),
    ):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(*([restriction] if restriction else []), count)
        lines = out.getvalue().splitlines()
        first = next(i for i, text in enumerate(lines) if "ncalls" in text)
        print(f"  {title}:")
        for text in lines[first:]:
            if text.strip():
                print("   " + text.replace(sysconfig.get_paths()["purelib"] + "/", "").replace(str(ROOT) + "/", "")[:190])


async def service(postgres_admin: str | None, figures=None) -> None:
    """`figures(engine, database name)` (default: signing's) on a fresh, migrated database."""
    workdir = Path(tempfile.mkdtemp(prefix="leokop-bench-signing-"))
    env = {key: value for key, value in os.environ.items() if key != "LEOKOP_DATABASE_URL"}
    env["LEOKOP_VAR_DIR"] = str(workdir / "var")
    env.setdefault("LEOKOP_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789")
    env["LEOKOP_LOG_LEVEL"] = "WARNING"
    database_url = ""
    pg = None
    if postgres_admin:
        sys.path.insert(0, str(ROOT / "scripts"))
        import pg_test_database as pg

        database_url = await pg.create(postgres_admin, prefix="leokop_bench")
        env["LEOKOP_DATABASE_URL"] = database_url
    os.environ.pop("LEOKOP_DATABASE_URL", None)
    os.environ.update(env)
    try:
        migrated = subprocess.run(
            [sys.executable, "-m", "leokop.cli", "migrate"], env=env, capture_output=True, text=True, cwd=ROOT
        )
        if migrated.returncode != 0:
            sys.exit(f"bench: leokop migrate failed:\n{migrated.stdout}{migrated.stderr}")

        from leokop.db import bind_tables, close_engine, create_engine, open_engine
        from leokop.settings import load_settings

        settings = load_settings()
        engine = create_engine(settings)
        bind_tables(engine)
        await open_engine(engine, settings)
        try:
            if database_url:
                name = f"PostgreSQL {await engine.get_version()}, throw-away database {database_url.rsplit('/', 1)[-1]}"
            else:
                import sqlite3

                name = f"SQLite {sqlite3.sqlite_version}, {settings.sqlite_path}"
            await (figures or service_figures)(engine, name)
        finally:
            await close_engine(engine)
    finally:
        if pg is not None:
            await pg.drop(postgres_admin, database_url)
        shutil.rmtree(workdir, ignore_errors=True)


# --- HTTP ---------------------------------------------------------------------------------------


async def prepare(url: str, directory: str) -> None:
    """Fill the running server's database with the trainer's apprentices and their submitted weeks."""
    from leokop.accounts.service import load_user
    from leokop.accounts.tables import User
    from leokop.db import bind_tables, close_engine, create_engine, open_engine, request_transaction
    from leokop.settings import load_settings

    settings = load_settings()
    if settings.uses_postgres:
        sys.exit("bench: prepare writes into the server's SQLite database (scripts/bench unsets LEOKOP_DATABASE_URL)")
    engine = create_engine(settings)
    bind_tables(engine)
    await open_engine(engine, settings)
    mondays = _weeks_back(HTTP_WEEKS)
    history = _weeks_back(HISTORY, skip=HTTP_WEEKS)
    start, end = _contract_dates(HTTP_WEEKS + HISTORY)
    try:
        started = time.perf_counter()
        async with request_transaction(engine, write=True):
            rows = await User.select(User.id, User.company).where(User.email == TRAINER_EMAIL)
            if not rows:
                sys.exit(f"bench: no user {TRAINER_EMAIL} in {settings.sqlite_path}")
            trainer = await load_user(rows[0]["id"])
            apprentices = await add_apprentices(rows[0]["company"], trainer.id, HTTP_APPRENTICES, "http", start, end)
            await add_history(apprentices, trainer, history, start, end)
        prepared = time.perf_counter()
        calls = await submit_weeks(engine, apprentices, mondays, start, end)
        built = time.perf_counter()
    finally:
        await close_engine(engine)

    cookie = bench_http.login(url, TRAINER_EMAIL)
    Path(directory, "signing.cookie").write_text(cookie)
    with httpx.Client(base_url=url, timeout=30, headers={"Cookie": cookie}) as client:
        inbox = client.get("/api/v1/inbox")
        page = client.get("/freigaben")
        captured = client.get("/__bench/capture", params={"path": "/freigaben"})
    if inbox.status_code != 200 or page.status_code != 200 or captured.status_code != 200:
        sys.exit(f"bench: GET /api/v1/inbox = {inbox.status_code}, /freigaben = {page.status_code}, capture = {captured.status_code}")
    view = inbox.json()
    print(
        f"  {TRAINER_EMAIL} got {HTTP_APPRENTICES} more apprentices ({settings.sqlite_path}): {HISTORY} approved weeks each "
        f"(direct inserts) and {HTTP_WEEKS} submitted weeks each\n"
        f"  through the logbook services ({calls:,} calls in {built - prepared:.1f} s; users and history in {prepared - started:.1f} s)\n"
        f"  inbox now: {len(view['weeks'])} weeks waiting, {len(view['apprentices'])} apprentices; GET /freigaben = "
        f"{len(page.content):,} bytes, GET /api/v1/inbox = {len(inbox.content):,} bytes"
    )
    queries = captured.json()["queries"]
    print(f"  SQL of one GET /freigaben ({sum(queries.values())} ORM queries, BEGIN/COMMIT on top):")
    for sql, count in queries.items():
        print(f"    {count} × {' '.join(sql.split())[:150]}")
    with httpx.Client(base_url=url, timeout=30, headers={"Cookie": cookie}) as client:
        for _, path in HTTP_RUNS.values():
            for _ in range(10):
                client.get(path)
            cpu = client.get("/__bench/stats").json()["process_cpu_s"]
            latencies = []
            for _ in range(SEQUENTIAL):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                latencies.append(time.perf_counter() - started)
            cpu = client.get("/__bench/stats").json()["process_cpu_s"] - cpu
            latencies.sort()
            print(
                f"  GET {path} one at a time ({SEQUENTIAL}×, httpx): median {statistics.median(latencies) * 1000:.1f} ms, "
                f"p95 {_percentile(latencies, 95) * 1000:.1f} ms; server CPU {1000 * cpu / SEQUENTIAL:.1f} ms per request"
            )


def report(directory: str) -> None:
    bench_http.RUNS = HTTP_RUNS  # the same table as the other wrk runs, for these runs
    bench_http.report(directory)
    base = Path(directory)
    for name, (label, path) in HTTP_RUNS.items():
        before = json.loads((base / f"{name}.before.json").read_text())
        after = json.loads((base / f"{name}.after.json").read_text())
        served = after["paths"].get(path, {}).get("requests", 0) - before["paths"].get(path, {}).get("requests", 0)
        if served:
            cpu = after["process_cpu_s"] - before["process_cpu_s"]
            print(f"{label}: {1000 * cpu / served:.2f} ms server CPU per request ({served:,} requests; a ceiling of "
                  f"{served / cpu:,.0f} req/s for one worker on one free core)")
    print("Quality bar (design/quality.md): pages p95 ≤ 100 ms within the realistic mix (≥ 800 req/s), measured here alone.")


def approve(url: str, directory: str) -> None:
    cookie = Path(directory, "signing.cookie").read_text().strip()
    csrf = _cookies(cookie)["leokop_csrf"]
    rounds = []
    with httpx.Client(base_url=url, timeout=60, headers={"Cookie": cookie}) as client:
        for _ in range(HTTP_ROUNDS):
            weeks = client.get("/api/v1/inbox").json()["weeks"][:BULK]
            if len(weeks) < BULK:
                print(f"  only {len(weeks)} weeks waiting: no more rounds (BENCH_SIGNING_HTTP_WEEKS)")
                break
            before = client.get("/__bench/stats").json()["paths"].get("/freigaben", {})
            started = time.perf_counter()
            answer = client.post(
                "/freigaben", data={"week_ids": [str(w["week_id"]) for w in weeks], "_csrf_token": csrf}, follow_redirects=False
            )
            elapsed = time.perf_counter() - started
            after = client.get("/__bench/stats").json()["paths"].get("/freigaben", {})
            location = answer.headers.get("location", "")
            if answer.status_code != 303 or f"anzahl={BULK}" not in location:
                sys.exit(f"bench: POST /freigaben with {BULK} weeks answered {answer.status_code} {location!r}: {answer.text[:300]}")
            delta = {key: after.get(key, 0) - before.get(key, 0) for key in ("requests", "queries", "begin_wait_s", "held_s", "commit_s")}
            rounds.append((elapsed, delta, len({w["contract_id"] for w in weeks})))
    if not rounds:
        return
    header = ("round", "client ms", "SQL", "BEGIN wait ms", "lock held ms", "COMMIT ms", "apprentices")
    rows = [
        (f"{i}", f"{e * 1000:.1f}", f"{d['queries']}", f"{d['begin_wait_s'] * 1000:.1f}", f"{d['held_s'] * 1000:.1f}",
         f"{d['commit_s'] * 1000:.1f}", f"{n}")
        for i, (e, d, n) in enumerate(rounds, start=1)
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  " + "  ".join(f"{v:>{w}}" for v, w in zip(row, widths)))
    times = [e for e, _, _ in rounds]
    print(
        f"  POST /freigaben with {BULK} week_ids (the inbox's oldest), {len(rounds)} rounds: median {statistics.median(times) * 1000:.1f} ms,"
        f" max {max(times) * 1000:.1f} ms as the client sees it (to the 303, redirect not followed)\n"
        "  SQL: ORM statements the server ran for the POST (session look-up included); lock held: BEGIN IMMEDIATE done to\n"
        "  COMMIT done; COMMIT: its WAL fsync. Quality bar: ≤ 1 s server time for 25 weeks."
    )


def main() -> None:
    command, *args = sys.argv[1:] or ["help"]
    if command == "service" and not args:
        asyncio.run(service(None))
    elif command == "service" and len(args) == 2 and args[0] == "--postgres":
        asyncio.run(service(args[1]))
    elif command == "prepare" and len(args) == 2:
        asyncio.run(prepare(*args))
    elif command == "report" and len(args) == 1:
        report(*args)
    elif command == "approve" and len(args) == 2:
        approve(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
