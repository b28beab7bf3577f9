"""PDF export part of scripts/bench: the whole log of a three-year contract as PDF/A, time and memory.

  bench_pdf_export.py service
      On a fresh SQLite database (bench_signing.service): one apprentice whose three-year contract
      has just ended, every week approved (direct inserts like bench_signing.add_history, but
      BENCH_PDF_ENTRIES (5) entries on every working day). Then, each in a new process so that its
      peak memory is its own, the export job (exports.service.run_export, as the worker runs it) of
      the first 13, 52, 104 weeks and of the whole log, BENCH_PDF_RUNS (3) times each: the time until
      the PDF is ready to download (load, layout, PDF/A, the sheets' codes written), the time of the
      text hashes that follow, pages, size, and the process's peak memory (ru_maxrss) before and
      after: what the export adds should not grow with the weeks beyond the PDF itself.
      BENCH_PDF_PROFILE=1 profiles one run of the whole log and prints where its time goes.
  bench_pdf_export.py one CONTRACT_ID WEEKS RUNS
      One of those processes (the database is the one LEOKOP_* names).

Prints figures only; nothing here asserts a timing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_signing  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_PDF_ENTRIES", "5"))
RUNS = int(os.environ.get("BENCH_PDF_RUNS", "3"))
SIZES = (13, 52, 104, 0)  # 0: the whole log

COMPANY_DAY = [
    ("company", 120, "Kundenauftrag 4711 bearbeitet: Anforderungen mit dem Fachbereich geklärt, Aufwand geschätzt und im Ticket dokumentiert."),
    ("company", 90, "Unit-Tests für die Preisberechnung ergänzt, Grenzfälle (Rabatt, Steuer, Rundung) besprochen und umgesetzt."),
    ("instruction", 60, "Unterweisung: Datenschutz im Kundenprojekt – welche Daten dürfen in Testsysteme, wie wird anonymisiert."),
    ("company", 90, "Code-Review beim Kollegen: Namensgebung, Fehlerbehandlung und Logging verbessert, Änderungen nachgetestet."),
    ("company", 108, "Deployment auf die Testumgebung vorbereitet, Release-Notes geschrieben und mit dem Ausbilder abgestimmt."),
]
SCHOOL_DAY = [
    ("school", 90, "Lernfeld 5: Software zur Verwaltung von Daten anpassen – relationale Modelle, Normalformen, Übungen."),
    ("school", 90, "Lernfeld 6: Serviceanfragen bearbeiten – Ticketsysteme, Eskalationsstufen, Kommunikation mit Kunden."),
    ("school", 90, "Deutsch/Kommunikation: Protokoll einer Teambesprechung schreiben und gegenseitig korrigieren."),
    ("school", 45, "Wirtschafts- und Sozialkunde: Tarifvertrag und Betriebsrat – Rechte der Auszubildenden."),
    ("school", 45, "Englisch: technical documentation – reading and summarising an API description."),
]


def _plan(monday: dt.date, start: dt.date, end: dt.date):
    """Mondays and Wednesdays at school, the other working days in the company, ENTRIES entries each."""
    from leokop.logbook import calendar

    info = calendar.week_info(start, end, monday, "HE")
    for day in info.days:
        if day.is_working_day:
            school = day.date.weekday() in (0, 2)
            yield day.date, "school" if school else "company", (SCHOOL_DAY if school else COMPANY_DAY)[:ENTRIES]


async def figures(engine, database: str) -> None:
    from leokop.accounts.tables import User
    from leokop.db import request_transaction
    from leokop.demo import seed_demo
    from leokop.logbook import calendar
    from leokop.timeutil import today_berlin

    this_monday = calendar.monday_of(today_berlin())
    start = (this_monday - dt.timedelta(weeks=160)).replace(day=1)
    end = start.replace(year=start.year + 3) - dt.timedelta(days=1)
    mondays = [m for m in calendar.contract_weeks(start, end) if m < this_monday]
    bench_signing._plan = _plan  # add_history writes the days of this plan
    async with request_transaction(engine, write=True):
        await seed_demo()
        company_id = (await User.select(User.company).where(User.email == bench_signing.TRAINER_EMAIL))[0]["company"]
        trainer = await bench_signing.add_trainer(company_id, "pdf")
        apprentices = await bench_signing.add_apprentices(company_id, trainer.id, 1, "pdf", start, end)
    async with request_transaction(engine, write=True):
        await bench_signing.add_history(apprentices, trainer, mondays, start, end)
    contract_id = apprentices[0][1]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(
        f"  data set ({database}; load average {load}): a contract {start:%d.%m.%Y}–{end:%d.%m.%Y}, {len(mondays)} weeks approved,\n"
        f"  {ENTRIES} entries on every working day (Monday and Wednesday at school); each size in a new process, {RUNS} runs"
    )
    print(f"  {'weeks':>5}  {'ready (median)':>14}  {'ready (min)':>11}  {'text hashes':>11}  {'pages':>5}  {'size':>7}  {'peak memory: before → after':>28}")
    for weeks in SIZES:
        result = subprocess.run(
            [sys.executable, __file__, "one", str(contract_id), str(weeks), str(RUNS)], capture_output=True, text=True, env=os.environ.copy()
        )
        if result.returncode != 0:
            sys.exit(f"bench: export of {weeks} weeks failed:\n{result.stdout}{result.stderr}")
        print(result.stdout.rstrip())
        if os.environ.get("BENCH_PDF_PROFILE") == "1":
            print(result.stderr)


async def one(contract_id: int, weeks: int, runs: int) -> None:
    from leokop.accounts.service import load_user
    from leokop.contracts.tables import Contract
    from leokop.db import bind_tables, close_engine, create_engine, open_engine, request_transaction
    from leokop.exports import pdf, service
    from leokop.exports.tables import Export
    from leokop.logbook import calendar
    from leokop.settings import load_settings
    from leokop.timeutil import utcnow

    settings = load_settings()
    engine = create_engine(settings)
    bind_tables(engine)
    await open_engine(engine, settings)
    try:
        pdf._register_fonts()  # once per process, like the worker after its first export
        contract = await Contract.select(Contract.apprentice, Contract.start_date, Contract.end_date).where(Contract.id == contract_id).first()
        apprentice = await load_user(contract["apprentice"])
        mondays = calendar.contract_weeks(contract["start_date"], contract["end_date"])
        last = mondays[weeks - 1] if weeks else None
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ready, hashes = [], []
        for _ in range(runs):
            async with request_transaction(engine, write=True):
                export_id = await service.request_export(apprentice, contract_id, None, last)
            job = await service.claim_export(utcnow())
            started = time.perf_counter()
            if os.environ.get("BENCH_PDF_PROFILE") == "1" and weeks == 0:
                import cProfile
                import pstats

                profile = cProfile.Profile()
                profile.enable()
                await service.run_export(job, settings)
                profile.disable()
                pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
            else:
                await service.run_export(job, settings)
            total = time.perf_counter() - started
            path = service.export_path(export_id, settings.var_dir)
            began = time.perf_counter()
            pdf.page_texts(path)  # what run_export did after the file was ready
            hashes.append(time.perf_counter() - began)
            ready.append(total - hashes[-1])
        row = await Export.select(Export.pages, Export.size, Export.weeks_total).where(Export.id == export_id).first()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  {row['weeks_total']:>5}  {statistics.median(ready):>12.2f} s  {min(ready):>9.2f} s  {statistics.median(hashes):>9.2f} s  "
            f"{row['pages']:>5}  {row['size'] // 1024:>4} KB  {before:>12.0f} MB → {after:.0f} MB (+{after - before:.0f} MB)"
        )
    finally:
        await close_engine(engine)


def main() -> None:
    command, *args = sys.argv[1:] or ["help"]
    if command == "service" and not args:
        asyncio.run(bench_signing.service(None, figures))
    elif command == "one" and len(args) == 3:
        asyncio.run(one(int(args[0]), int(args[1]), int(args[2])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
