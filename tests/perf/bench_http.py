"""HTTP helpers of scripts/bench: sign in to the running server, snapshot its counters, print the table.

  bench_http.py wait URL SECONDS     waits until GET /healthz answers 200 (exit 1 when it never does)
  bench_http.py login URL [EMAIL]    prints the Cookie header value of a fresh demo session (default: the
                                     trainer, BENCH_EMAIL)
  bench_http.py check URL COOKIE     verifies the session: GET / must be 200 and as long as the floor
  bench_http.py stats URL FILE       saves the server's /__bench/stats JSON to FILE
  bench_http.py report DIR           prints the table from DIR/<name>.{wrk,before.json,after.json}; a run
                                     whose path is None here reads it from DIR/<name>.path
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import httpx

DEMO_EMAIL = os.environ.get("BENCH_EMAIL", "markus.weber@rmm.example")
DEMO_PASSWORD = os.environ.get("BENCH_PASSWORD", "leokop-demo")

# name -> (label, path on the server; None: the week page's path, written by scripts/bench to DIR/<name>.path)
RUNS = {
    "login": ("GET /login (anonymous)", "/login"),
    "start": ("GET / (start page, trainer)", "/"),
    "session_floor": ("floor + session + transaction", "/__bench/session-floor"),
    "floor": ("floor (same bytes from memory)", "/__bench/floor"),
    "week": ("GET week page (apprentice)", None),
    "week_floor": ("week floor (same bytes)", "/__bench/page-floor"),
}


def wait(url: str, seconds: str) -> None:
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(1)


def login(url: str, email: str = DEMO_EMAIL) -> str:
    with httpx.Client(base_url=url, timeout=30) as client:
        client.get("/login").raise_for_status()
        csrf = client.cookies.get("leokop_csrf")
        if not csrf:
            sys.exit("bench: GET /login set no leokop_csrf cookie")
        response = client.post(
            "/login",
            data={"email": email, "password": DEMO_PASSWORD, "_csrf_token": csrf},
            follow_redirects=False,
        )
        session = client.cookies.get("leokop_session")
        if response.status_code != 303 or not session:
            sys.exit(f"bench: login failed ({response.status_code}): {response.text[:300]}")
        return f"leokop_csrf={csrf}; leokop_session={session}"


def check(url: str, cookie: str) -> None:
    with httpx.Client(base_url=url, timeout=30, headers={"Cookie": cookie}) as client:
        page = client.get("/", follow_redirects=False)
        floor = client.get("/__bench/floor")
    if page.status_code != 200 or floor.status_code != 200:
        sys.exit(f"bench: GET / answered {page.status_code}, floor {floor.status_code} (session not accepted?)")
    print(
        f"  signed in as {DEMO_EMAIL}: GET / = {page.status_code}, {len(page.content)} bytes "
        f"({page.headers['content-type']}); floor = {len(floor.content)} bytes ({floor.headers['content-type']})"
    )


def stats(url: str, file: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        response = client.get("/__bench/stats", params={"sql": "1"})
        response.raise_for_status()
    Path(file).write_text(response.text)


def _wrk_figures(text: str) -> dict:
    """The BENCH line printed by tests/perf/bench_wrk.lua's done()."""
    for line in text.splitlines():
        if line.startswith("BENCH "):
            return {k: int(v) for k, v in (part.split("=") for part in line.split()[1:])}
    raise SystemExit("bench: no BENCH line in wrk output:\n" + text)


def _ms(microseconds: int) -> str:
    return f"{microseconds / 1000:.2f}"


def report(directory: str) -> None:
    base = Path(directory)
    rows = []
    figures = {}
    for name, (label, path) in RUNS.items():
        wrk_file = base / f"{name}.wrk"
        if not wrk_file.exists():
            continue
        if path is None:
            path = (base / f"{name}.path").read_text().strip()
        w = _wrk_figures(wrk_file.read_text())
        before = json.loads((base / f"{name}.before.json").read_text())["paths"].get(path, {})
        after = json.loads((base / f"{name}.after.json").read_text())["paths"].get(path, {})
        served = after.get("requests", 0) - before.get("requests", 0)
        statuses = {
            int(code): count - before.get("statuses", {}).get(code, 0)
            for code, count in after.get("statuses", {}).items()
        }
        non_2xx = sum(count for code, count in statuses.items() if not 200 <= code < 300)
        queries = after.get("queries", 0) - before.get("queries", 0)
        connections = after.get("new_connections", 0) - before.get("new_connections", 0)
        pool_wait = after.get("pool_wait_s", 0) - before.get("pool_wait_s", 0)
        begin_wait = after.get("begin_wait_s", 0) - before.get("begin_wait_s", 0)
        cpu = (
            json.loads((base / f"{name}.after.json").read_text())["process_cpu_s"]
            - json.loads((base / f"{name}.before.json").read_text())["process_cpu_s"]
        ) / (w["duration_us"] / 1e6)
        rps = w["requests"] / (w["duration_us"] / 1e6)
        errors = w["connect"] + w["read"] + w["write"] + w["timeout"]
        figures[name] = rps
        rows.append(
            (
                label,
                f"{rps:,.0f}",
                _ms(w["p50"]),
                _ms(w["p95"]),
                _ms(w["p99"]),
                _ms(w["max"]),
                f"{non_2xx}",
                f"{errors}" + (f" ({w['connect']}c/{w['read']}r/{w['write']}w/{w['timeout']}t)" if errors else ""),
                f"{w['status']}",
                f"{queries / served:.2f}" if served else "-",
                f"{connections / served:.3f}" if served else "-",
                f"{1000 * pool_wait / served:.2f}" if served else "-",
                f"{1000 * begin_wait / served:.2f}" if served else "-",
                f"{100 * cpu:.0f} %",
            )
        )
    header = (
        "run", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "non-2xx", "errors", "≥400 (wrk)", "SQL/req",
        "new conn/req", "pool wait ms/req", "BEGIN ms/req", "server CPU",
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % widths[0] if i == 0 else "{:>%d}" % widths[i] for i in range(len(header)))
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    if "start" in figures and "floor" in figures:
        print(f"\nstart page ÷ floor = {100 * figures['start'] / figures['floor']:.1f} %  (target ≥ 50 %)")
    if "start" in figures and "session_floor" in figures:
        print(f"start page ÷ session floor = {100 * figures['start'] / figures['session_floor']:.1f} %")
    if "session_floor" in figures and "floor" in figures:
        print(f"session floor ÷ floor = {100 * figures['session_floor'] / figures['floor']:.1f} %")
    if "week" in figures and "week_floor" in figures:
        print(f"week page ÷ week floor = {100 * figures['week'] / figures['week_floor']:.1f} %  (target ≥ 50 %)")
    print(
        "non-2xx: responses per status code counted in the server; errors: wrk's socket errors and timeouts\n"
        "(connect/read/write/timeout); ≥400 (wrk): responses wrk itself saw with status ≥ 400.\n"
        "SQL/req counts ORM statements (Piccolo run_querystring) per request seen by the server; the BEGIN and\n"
        "COMMIT of the request transaction come on top. new conn/req = SQLite connections opened per request\n"
        "because the pool had no idle connection. pool wait / BEGIN: server-side ms per request spent waiting for\n"
        "a pool connection (16) and executing BEGIN (for writes BEGIN IMMEDIATE: waiting for SQLite's write lock).\n"
        "server CPU: the server process's CPU time (event loop and SQLite threads) in % of one core."
    )


def main() -> None:
    command, *args = sys.argv[1:] or ["help"]
    if command == "wait":
        wait(*args)
    elif command == "login":
        print(login(*args))
    elif command == "check":
        check(*args)
    elif command == "stats":
        stats(*args)
    elif command == "report":
        report(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
