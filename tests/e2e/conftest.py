"""End-to-end set-up: the real server (`leokop migrate`, `seed-demo`, `serve`) on a free port with its
own fresh database, Debian's Chromium driven by Playwright, and browser contexts for the three
viewports (phone, tablet, desktop). See tests/e2e/browser.py for the helpers the tests use."""

from __future__ import annotations

import asyncio
import concurrent.futures
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
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, login

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
SERVER_START_SECONDS = 30
DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_collection_modifyitems(config, items):
    """Every test below tests/e2e carries the `e2e` marker (`-m "not e2e"` skips the browser)."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _free_port() -> int:
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
            [_python(), "-m", "leokop.cli", command],
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


# Package scope: the server and Chromium start once for all of tests/e2e and are gone before other
# test packages run (Playwright's sync API keeps an event loop running in the main thread).


@pytest.fixture(scope="package")
def live_server():
    """Base URL of a real leokop server with migrated demo data, started once for tests/e2e."""
    var_dir = Path(tempfile.mkdtemp(prefix="leokop-e2e-"))
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEOKOP_")}
    env.update(
        LEOKOP_HOST="127.0.0.1",
        LEOKOP_PORT=str(port),
        LEOKOP_VAR_DIR=str(var_dir),
        LEOKOP_SECRET_KEY="e2e-secret-key-that-is-long-enough-0123456789abcdef",
        LEOKOP_LOG_LEVEL="WARNING",
    )

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
                [_python(), "-m", "leokop.cli", "serve"], cwd=ROOT, env=env, stdout=out, stderr=err
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


@pytest.fixture(scope="package")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def signed_in_state(browser, live_server):
    """storage_state (cookies) of a demo account, signed in once through the login form and reused,
    so that not every test pays for an Argon2 check."""
    cache: dict[str, dict] = {}

    def state(email: str) -> dict:
        if email not in cache:
            context = browser.new_context(base_url=live_server, locale="de-DE", **VIEWPORTS["desktop"])
            try:
                login(context.new_page(), email)
                cache[email] = context.storage_state()
            finally:
                context.close()
        return cache[email]

    return state


@pytest.fixture
def new_context(browser, live_server, signed_in_state):
    """Factory: new_context("phone" | "tablet" | "desktop", as_user=..., color_scheme=..., axe=...).

    axe=True bypasses the app's CSP so that axe-core can be injected; every other context runs with
    the CSP in force. JavaScript errors and CSP violations in any page fail the test."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def make(
        viewport: str = "desktop",
        *,
        as_user: str | None = None,
        color_scheme: str = "light",
        axe: bool = False,
    ) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server,
            locale="de-DE",
            timezone_id="Europe/Berlin",
            color_scheme=color_scheme,
            reduced_motion="reduce",
            bypass_csp=axe,
            storage_state=signed_in_state(as_user) if as_user else None,
            **VIEWPORTS[viewport],
        )
        context.set_default_timeout(10_000)
        context.on("weberror", lambda error: problems.append(f"JavaScript error: {error.error}"))
        context.on(
            "console",
            lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None,
        )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("Problems in the browser:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def phone(new_context) -> BrowserContext:
    return new_context("phone")


@pytest.fixture
def tablet(new_context) -> BrowserContext:
    return new_context("tablet")


@pytest.fixture
def desktop(new_context) -> BrowserContext:
    return new_context("desktop")
