"""Logbook part of scripts/bench: fill the apprentice's week through the app, then drive the autosave path.

  bench_logbook.py prepare URL DIR   signs in as the apprentice (BENCH_APPRENTICE, default Finn), finds his
                                     contract through GET /log's redirect and fills a past week
                                     (BENCH_LOG_WEEK, default 2026-03-02) through the app's own form
                                     endpoints: a status for Mon–Fri and 3 entries a day; has the
                                     server keep the page's bytes for /__bench/page-floor. Writes
                                     DIR/apprentice.cookie, DIR/week.path, DIR/week.json.
  bench_logbook.py saves URL DIR     the autosave load: BENCH_SAVE_CLIENTS (16) concurrent clients on the
                                     apprentice's one session, each owning its own new entry (0:15) in
                                     that week, each looping save → read the new version → save, for
                                     BENCH_WARMUP (unmeasured) then BENCH_DURATION; first through the page's
                                     path (POST …/entries/<id>, HX-Request, form), then through the JSON API
                                     (PUT /api/v1/…/entries/<id>).

Why not wrk: every save must carry the entry's current version (else 409), so each request depends
on the previous answer.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import math
import os
import re
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_http import login  # noqa: E402

APPRENTICE = os.environ.get("BENCH_APPRENTICE", "finn.schneider@rmm.example")
LOG_WEEK = dt.date.fromisoformat(os.environ.get("BENCH_LOG_WEEK", "2026-03-02"))
SAVE_CLIENTS = int(os.environ.get("BENCH_SAVE_CLIENTS", "16"))
SAVE_MINUTES = 15

# A Fachinformatiker week: three days in the company, two at the Berufsschule. (status, entries)
# with entries as (category, duration as typed, text); company days add up to the contract's 7:48.
WEEK_PLAN = [
    ("company", [
        ("company", "3:30", "Bestandsverwaltung: REST-Endpunkt für Lagerbewegungen um Filter nach Zeitraum "
                            "und Lagerort erweitert, Unit-Tests für die Filterlogik geschrieben."),
        ("instruction", "1:00", "Unterweisung durch Herrn Weber: Code-Review-Regeln im Team, Aufbau eines "
                                "guten Merge-Requests, Umgang mit Kommentaren."),
        ("company", "3:18", "Fehler #482 (falsche Summen im Monatsbericht) nachgestellt, Ursache in der "
                            "Rundung gefunden und mit Test behoben."),
    ]),
    ("company", [
        ("company", "2:30", "Daily Stand-up und Sprint-Planung; Aufwand für die Exportfunktion (CSV/Excel) "
                            "gemeinsam mit dem Team geschätzt."),
        ("company", "4:00", "CSV-Export der Lagerliste umgesetzt: Spaltenauswahl, Umlaute (UTF-8 mit BOM "
                            "für Excel), Trennzeichen einstellbar."),
        ("company", "1:18", "Dokumentation des Exports im Wiki ergänzt und mit der Fachabteilung "
                            "abgestimmt."),
    ]),
    ("company", [
        ("company", "3:00", "Datenbankmigration für neue Lagerorte geschrieben und auf der Testumgebung "
                            "ausprobiert, Rückweg (Downgrade) geprüft."),
        ("instruction", "1:30", "Schulung IT-Sicherheit: Phishing erkennen, Passwortmanager, Meldeweg bei "
                                "Verdachtsfällen."),
        ("company", "3:18", "Pair-Programming mit Frau Demir an der Rechteprüfung der Lager-App "
                            "(Rollen Lagerist und Disponent)."),
    ]),
    ("school", [
        ("school", "3:00", "Lernfeld 5: Software zur Verwaltung von Daten anpassen – SQL-Joins, "
                           "Aggregatfunktionen, Übungen zu GROUP BY und HAVING."),
        ("school", "1:30", "Wirtschafts- und Sozialkunde: Ausbildungsvertrag, Rechte und Pflichten "
                           "der Auszubildenden nach BBiG."),
        ("school", "1:30", "Englisch: technische Dokumentation lesen und zusammenfassen (README eines "
                           "Open-Source-Projekts)."),
    ]),
    ("school", [
        ("school", "3:00", "Lernfeld 6: Serviceanfragen bearbeiten – Ticketsystem, Priorisierung, "
                           "Rollenspiel Kundengespräch."),
        ("school", "1:30", "Deutsch/Kommunikation: Protokoll einer Teambesprechung schreiben."),
        ("school", "1:30", "Lernfeld 5: Klassenarbeit zu Datenbankmodellen (ER-Modell, Normalformen) "
                           "vorbereitet."),
    ]),
]

_WEEK_LINK = re.compile(r"^/contracts/(\d+)/log/(\d{4}-\d{2}-\d{2})")
_FORM_SAVE = re.compile(r"^/contracts/\d+/log/\d{4}-\d{2}-\d{2}/entries/\d+$")
_API_SAVE = re.compile(r"^/api/v1/contracts/\d+/weeks/\d{4}-\d{2}-\d{2}/entries/\d+$")


def _duration_seconds(text: str) -> float:
    """wrk's duration syntax: 10, 10s, 2m, 1h."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise SystemExit(f"bench: cannot read duration {text!r}")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


DURATION = _duration_seconds(os.environ.get("BENCH_DURATION", "10s"))
WARMUP = _duration_seconds(os.environ.get("BENCH_WARMUP", "2s"))


def _cookies(header: str) -> dict[str, str]:
    return dict(part.strip().split("=", 1) for part in header.split(";") if "=" in part)


# --- prepare ------------------------------------------------------------------------------------


def prepare(url: str, directory: str) -> None:
    base = Path(directory)
    cookie = login(url, APPRENTICE)
    cookies = _cookies(cookie)
    csrf = cookies["leokop_csrf"]
    with httpx.Client(base_url=url, timeout=30, cookies=cookies) as client:
        shortcut = client.get("/log", follow_redirects=False)
        match = _WEEK_LINK.match(shortcut.headers.get("location", ""))
        if shortcut.status_code != 303 or not match:
            sys.exit(f"bench: GET /log answered {shortcut.status_code} {shortcut.headers.get('location')!r}")
        contract_id = int(match.group(1))
        monday = LOG_WEEK
        week_path = f"/contracts/{contract_id}/log/{monday.isoformat()}"
        api_week = f"/api/v1/contracts/{contract_id}/weeks/{monday.isoformat()}"
        if monday.weekday() != 0 or monday >= dt.date.fromisoformat(match.group(2)):
            sys.exit(f"bench: BENCH_LOG_WEEK={monday} must be a Monday before this week ({match.group(2)})")
        before = client.get(api_week)
        if before.status_code != 200:
            sys.exit(f"bench: GET {api_week} answered {before.status_code} (week outside the contract?)")
        if before.json()["entries"]:
            sys.exit(f"bench: {week_path} holds entries already (a fresh database is expected)")

        started = time.perf_counter()
        posts = 0
        for offset, (status, entries) in enumerate(WEEK_PLAN):
            day = (monday + dt.timedelta(days=offset)).isoformat()
            answer = client.post(f"{week_path}/days/{day}", data={"status": status, "_csrf_token": csrf})
            posts += 1
            if answer.status_code != 303:
                sys.exit(f"bench: setting the status of {day} answered {answer.status_code}: {answer.text[:300]}")
            for category, duration, text in entries:
                answer = client.post(
                    f"{week_path}/entries",
                    data={"day": day, "category": category, "text": text, "duration": duration, "_csrf_token": csrf},
                )
                posts += 1
                if answer.status_code != 303:
                    sys.exit(f"bench: adding an entry on {day} answered {answer.status_code}: {answer.text[:300]}")
        elapsed = time.perf_counter() - started
        week = client.get(api_week).json()
        page = client.get(week_path)
        if page.status_code != 200:
            sys.exit(f"bench: GET {week_path} answered {page.status_code}")
        # The week floor: the server keeps these bytes and serves them from memory (/__bench/page-floor).
        captured = client.get("/__bench/capture", params={"path": week_path})
        floor = client.get("/__bench/page-floor")
        if captured.status_code != 200 or floor.status_code != 200:
            sys.exit(f"bench: capturing the week page answered {captured.status_code}: {captured.text[:300]}")

    statuses = sum(1 for d in week["days"] if d["status"] and not d["status_is_default"])
    (base / "apprentice.cookie").write_text(cookie)
    (base / "week.path").write_text(week_path)
    (base / "week.json").write_text(json.dumps({"contract_id": contract_id, "monday": monday.isoformat()}))
    print(
        f"  signed in as {APPRENTICE}: contract {contract_id} (from GET /log → {shortcut.headers['location']})\n"
        f"  filled {week_path} (sheet {week['number']}, state {week['state']}) through the form endpoints: "
        f"{statuses} day statuses, {len(week['entries'])} entries, {week['total_minutes'] // 60}:"
        f"{week['total_minutes'] % 60:02d} h ({posts} POSTs in {elapsed:.2f} s)\n"
        f"  GET {week_path} = {page.status_code}, {len(page.content):,} bytes ({page.headers['content-type']}); "
        f"week floor = {len(floor.content):,} bytes ({floor.headers['content-type']})"
    )
    queries = captured.json()["queries"]
    print(f"  SQL of one GET {week_path} ({sum(queries.values())} ORM queries, BEGIN/COMMIT on top):")
    for sql, count in queries.items():
        print(f"    {count} × {' '.join(sql.split())[:150]}")


# --- saves --------------------------------------------------------------------------------------


_SUMMED = ("requests", "queries", "new_connections", "pool_wait_s", "begin_wait_s", "commit_s", "held_s")


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs together."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


async def _server_counters(client: httpx.AsyncClient, pattern: re.Pattern, reset_max: bool = False) -> dict:
    response = await client.get("/__bench/stats", params={"reset_max": "1"} if reset_max else None)
    response.raise_for_status()
    total = {"statuses": collections.Counter(), "cpu_s": response.json()["process_cpu_s"], **{key: 0 for key in _SUMMED}}
    total["begin_max_s"] = 0.0
    for path, figures in response.json()["paths"].items():
        if pattern.match(path):
            for key in _SUMMED:
                total[key] += figures[key]
            total["begin_max_s"] = max(total["begin_max_s"], figures["begin_max_s"])
            total["statuses"].update({int(code): count for code, count in figures["statuses"].items()})
    return total


class Entry:
    def __init__(self, id: int, day: str, version: int) -> None:
        self.id = id
        self.day = day
        self.version = version
        self.saves = 0  # successful saves, measured or not


class Phase:
    """One measured run of one save path."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.latencies: list[float] = []
        self.statuses: collections.Counter[int] = collections.Counter()
        self.transport_errors: collections.Counter[str] = collections.Counter()
        self.elapsed = 0.0
        self.server: dict = {}
        self.cpu: dict[str, float] = {}


async def _run_path(
    client: httpx.AsyncClient,
    entries: list[Entry],
    save,  # async (entry, n) -> (status, new version or None)
    phase: Phase | None,
    seconds: float,
    reread,  # async (entry) -> current version, after a failed save
) -> None:
    deadline = time.perf_counter() + seconds

    async def loop(entry: Entry) -> None:
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            started = time.perf_counter()
            try:
                status, version = await save(entry, n)
            except httpx.HTTPError as error:
                if phase is not None:
                    phase.transport_errors[type(error).__name__] += 1
                await asyncio.sleep(0.05)
                continue
            if phase is not None:
                phase.latencies.append(time.perf_counter() - started)
                phase.statuses[status] += 1
            if status == 200 and version is not None:
                entry.version = version
                entry.saves += 1
            else:
                entry.version = await reread(entry)

    await asyncio.gather(*(loop(entry) for entry in entries))


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))  # nearest rank
    return sorted_values[index]


async def saves(url: str, directory: str) -> None:
    base = Path(directory)
    cookies = _cookies((base / "apprentice.cookie").read_text().strip())
    week = json.loads((base / "week.json").read_text())
    contract_id, monday = week["contract_id"], dt.date.fromisoformat(week["monday"])
    csrf = cookies["leokop_csrf"]
    week_path = f"/contracts/{contract_id}/log/{monday.isoformat()}"
    api_week = f"/api/v1/contracts/{contract_id}/weeks/{monday.isoformat()}"
    clients = SAVE_CLIENTS
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)

    async with httpx.AsyncClient(base_url=url, timeout=60, cookies=cookies, limits=limits) as client:
        # Each client's own entry, spread over Mon–Fri; the week already holds up to 7:48 a day.
        current = (await client.get(api_week)).json()
        per_day = {d["date"]: d["total_minutes"] for d in current["days"]}
        days = [(monday + dt.timedelta(days=i)).isoformat() for i in range(5)]
        entries: list[Entry] = []
        for i in range(clients):
            day = days[i % len(days)]
            if per_day[day] + SAVE_MINUTES > 24 * 60:
                sys.exit(f"bench: {clients} clients do not fit into the week at {SAVE_MINUTES} min each (24 h a day)")
            per_day[day] += SAVE_MINUTES
            created = await client.post(
                f"{api_week}/entries",
                json={"category": "company", "text": f"Autosave-Test, Client {i + 1}", "minutes": SAVE_MINUTES, "day": day},
                headers={"X-CSRFToken": csrf},
            )
            if created.status_code != 201:
                sys.exit(f"bench: creating entry {i + 1} answered {created.status_code}: {created.text[:300]}")
            body = created.json()
            entries.append(Entry(body["id"], day, body["version"]))

        async def reread(entry: Entry) -> int:
            week_now = (await client.get(api_week)).json()
            return next(e["version"] for e in week_now["entries"] if e["id"] == entry.id)

        version_field = {e.id: re.compile(rf'id="entry-{e.id}-version" value="(\d+)"') for e in entries}

        async def form_save(entry: Entry, n: int) -> tuple[int, int | None]:
            answer = await client.post(
                f"{week_path}/entries/{entry.id}",
                data={
                    "category": "company",
                    "text": f"Autosave-Test, Eintrag {entry.id}: Tippstand {n} – Lagerliste exportiert, Tests ergänzt.",
                    "duration": "0:15",
                    "day": entry.day,
                    "version": str(entry.version),
                    "_csrf_token": csrf,
                },
                headers={"HX-Request": "true"},
            )
            match = version_field[entry.id].search(answer.text) if answer.status_code == 200 else None
            return answer.status_code, int(match.group(1)) if match else None

        async def api_save(entry: Entry, n: int) -> tuple[int, int | None]:
            answer = await client.put(
                f"{api_week}/entries/{entry.id}",
                json={
                    "category": "company",
                    "text": f"API-Test, Eintrag {entry.id}: Stand {n} – Lagerliste exportiert, Tests ergänzt.",
                    "minutes": SAVE_MINUTES,
                    "day": entry.day,
                    "version": entry.version,
                },
                headers={"X-CSRFToken": csrf},
            )
            return answer.status_code, answer.json().get("version") if answer.status_code == 200 else None

        # A first save of each kind, checked, so that a broken path fails loudly instead of as figures.
        for label, save in (("form", form_save), ("API", api_save)):
            status, version = await save(entries[0], 0)
            if status != 200 or version != entries[0].version + 1:
                sys.exit(f"bench: first {label} save answered {status}, version {version} (expected {entries[0].version + 1})")
            entries[0].version = version
            entries[0].saves += 1

        phases = []
        for label, save, pattern in (
            ("POST …/entries/<id> (HX form, autosave)", form_save, _FORM_SAVE),
            ("PUT /api/v1/…/entries/<id> (JSON)", api_save, _API_SAVE),
        ):
            if WARMUP > 0:
                await _run_path(client, entries, save, None, WARMUP, reread)
            phase = Phase(label)
            before = await _server_counters(client, pattern, reset_max=True)
            machine_before, own_before = _machine_ticks(), time.process_time()
            started = time.perf_counter()
            await _run_path(client, entries, save, phase, DURATION, reread)
            phase.elapsed = time.perf_counter() - started
            machine_after, own_after = _machine_ticks(), time.process_time()
            after = await _server_counters(client, pattern)
            phase.server = {key: after[key] - before[key] for key in _SUMMED}
            phase.server["statuses"] = after["statuses"] - before["statuses"]
            phase.server["begin_max_s"] = after["begin_max_s"]
            phase.cpu["server"] = (after["cpu_s"] - before["cpu_s"]) / phase.elapsed
            phase.cpu["loadgen"] = (own_after - own_before) / phase.elapsed
            busy = machine_after[0] - machine_before[0]
            total = machine_after[1] - machine_before[1]
            phase.cpu["machine"] = busy / total if total else float("nan")
            phases.append(phase)

        final = (await client.get(api_week)).json()

    stored = {e["id"]: e["version"] for e in final["entries"]}
    mismatched = [e.id for e in entries if stored.get(e.id) != 1 + e.saves]
    _report(phases, clients)
    print(
        "  check: every acknowledged save raised its entry's version by one: "
        + ("yes" if not mismatched else f"NO for entries {mismatched}")
        + f" ({sum(e.saves for e in entries):,} saves on {len(entries)} entries, week total now "
        f"{final['total_minutes'] // 60}:{final['total_minutes'] % 60:02d} h)"
    )
    if mismatched or any(p.statuses.get(409) for p in phases):
        sys.exit("bench: version bookkeeping went wrong (409s or lost saves), see above")


def _report(phases: list[Phase], clients: int) -> None:
    header = (
        "path", "saves/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "non-200", "409", "errors", "SQL/req",
        "new conn/req", "pool wait ms/req", "BEGIN ms/req", "BEGIN max ms", "lock held ms/req", "COMMIT ms/req",
        "CPU server/loadgen/machine",
    )
    rows = []
    for phase in phases:
        values = sorted(phase.latencies)
        ok = phase.statuses.get(200, 0)
        non_200 = {code: count for code, count in sorted(phase.statuses.items()) if code != 200}
        served = phase.server["requests"]
        cpu = phase.cpu
        rows.append(
            (
                phase.label,
                f"{ok / phase.elapsed:,.0f}",
                *(f"{_percentile(values, p) * 1000:.2f}" for p in (50, 95, 99)),
                f"{values[-1] * 1000:.2f}" if values else "-",
                ", ".join(f"{count}×{code}" for code, count in non_200.items()) or "0",
                f"{phase.statuses.get(409, 0)}",
                ", ".join(f"{count}×{name}" for name, count in phase.transport_errors.items()) or "0",
                f"{phase.server['queries'] / served:.2f}" if served else "-",
                f"{phase.server['new_connections'] / served:.3f}" if served else "-",
                f"{1000 * phase.server['pool_wait_s'] / served:.2f}" if served else "-",
                f"{1000 * phase.server['begin_wait_s'] / served:.2f}" if served else "-",
                f"{1000 * phase.server['begin_max_s']:.0f}",
                f"{1000 * phase.server['held_s'] / served:.2f}" if served else "-",
                f"{1000 * phase.server['commit_s'] / served:.2f}" if served else "-",
                f"{100 * cpu['server']:.0f} % / {100 * cpu['loadgen']:.0f} % / {100 * cpu['machine']:.0f} %",
            )
        )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % widths[0] if i == 0 else "{:>%d}" % widths[i] for i in range(len(header)))
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    for phase in phases:
        seen = sum(phase.statuses.values())
        server_side = dict(sorted(phase.server["statuses"].items()))
        if phase.server["requests"] != seen:
            print(f"  note ({phase.label}): the client saw {seen} answers, the server counted {phase.server['requests']} {server_side}")
    print(
        f"{clients} clients (BENCH_SAVE_CLIENTS) on one session, each saving its own entry with the version of its previous\n"
        f"answer; {WARMUP:g} s unmeasured warm-up, then {DURATION:g} s measured per path. Latency as the client sees it (httpx),\n"
        "from sending the save to reading the new version. non-200 by status (409 must be 0); errors: transport errors.\n"
        "SQL/req: ORM statements per save seen by the server (BEGIN IMMEDIATE/COMMIT on top). pool wait / BEGIN: server-side\n"
        "ms per save waiting for a pool connection / in BEGIN IMMEDIATE (SQLite's write lock); BEGIN max: the longest one;\n"
        "lock held: from BEGIN IMMEDIATE done to COMMIT done (no other write can run then; saves/s × held ≈ 1 means the\n"
        "single write lock is the limit); COMMIT: executing it (the WAL fsync of synchronous=FULL).\n"
        "CPU: the server process (event loop and SQLite threads) and this load generator in % of one core, the machine in %\n"
        f"of all {os.cpu_count()} cores. NOTE: the load generator (Python, httpx) runs on the same {os.cpu_count()} cores as the server and\n"
        "takes CPU from it; a separate client machine would give the server more room."
    )


def main() -> None:
    command, *args = sys.argv[1:] or ["help"]
    if command == "prepare" and len(args) == 2:
        prepare(*args)
    elif command == "saves" and len(args) == 2:
        asyncio.run(saves(*args))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
