"""A real leokop server in a subprocess (`leokop migrate`, `seed-demo`, `serve`) on a free port with its
own fresh database: SQLite in a temp folder, or on the PostgreSQL lane a throw-away database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER_START_SECONDS = 30
DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def python_executable() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_test_database():
    """scripts/pg_test_database.py (scripts/ is no package): its create() and drop()."""
    spec = importlib.util.spec_from_file_location("pg_test_database", ROOT / "scripts" / "pg_test_database.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_async(function, *args):
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop running in the
    main thread once the browser is up, and asyncio.run refuses to nest in it."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, function(*args)).result(timeout=60)


def _run_cli(command: str, env: dict[str, str]) -> None:
    try:
        result = subprocess.run(
            [python_executable(), "-m", "leokop.cli", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"`leokop {command}` did not finish in 120 s:\n{error.stderr}") from None
    if result.returncode != 0:
        raise RuntimeError(
            f"`leokop {command}` failed with exit code {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )


def _wait_until_healthy(process: subprocess.Popen, url: str, stderr_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"`leokop serve` exited with code {process.returncode} before answering {url}:\n"
                f"{stderr_path.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
                last_problem = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last_problem = f"HTTP {error.code}"
        except (urllib.error.URLError, OSError) as error:
            last_problem = str(error)
        time.sleep(0.2)
    raise RuntimeError(
        f"`leokop serve` did not answer 200 on {url} within {SERVER_START_SECONDS} s ({last_problem}).\n"
        f"Server stderr:\n{stderr_path.read_text(errors='replace')}"
    )



@contextlib.contextmanager
def live_leokop(workers: int = 1, extra_env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Base URL of a real leokop server with migrated demo data; stopped and cleaned up afterwards.
    `extra_env` adds or overrides LEOKOP_* settings of this server (not its database, port or folder)."""
    fixed = {"LEOKOP_HOST", "LEOKOP_PORT", "LEOKOP_VAR_DIR", "LEOKOP_DATABASE_URL"} & set(extra_env or {})
    if fixed:
        raise ValueError(f"live_leokop sets these itself: {sorted(fixed)}")
    var_dir = Path(tempfile.mkdtemp(prefix="leokop-live-"))
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEOKOP_")}
    env.update(
        LEOKOP_HOST="127.0.0.1",
        LEOKOP_PORT=str(port),
        LEOKOP_VAR_DIR=str(var_dir),
        LEOKOP_SECRET_KEY="e2e-secret-key-that-is-long-enough-0123456789abcdef",
        LEOKOP_LOG_LEVEL="WARNING",
        # Reminders depend on the wall clock; browser tests must not see them appear at random.
        LEOKOP_REMINDERS="false",
    )
    env.update(extra_env or {})

    # The PostgreSQL lane (scripts/test sets LEOKOP_DATABASE_URL): the server gets its own database,
    # so it never shares state with the integration tests' database.
    # Otherwise LEOKOP_DATABASE_URL stays absent: SQLite in var_dir.
    pg = admin_url = database_url = None
    stdout_path, stderr_path = var_dir / "server.out", var_dir / "server.err"
    process = None
    try:
        if os.environ.get("LEOKOP_DATABASE_URL"):
            pg = _pg_test_database()
            admin_url = os.environ.get("LEOKOP_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_ADMIN_URL
            database_url = _run_async(pg.create, admin_url, "leokop_e2e")
            env["LEOKOP_DATABASE_URL"] = database_url
        _run_cli("migrate", env)
        _run_cli("seed-demo", env)
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            process = subprocess.Popen(
                [python_executable(), "-m", "leokop.cli", "serve", "--workers", str(workers)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
            )
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(process, f"{base_url}/healthz", stderr_path)
        yield base_url
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if database_url:
            _run_async(pg.drop, admin_url, database_url)
        shutil.rmtree(var_dir, ignore_errors=True)


