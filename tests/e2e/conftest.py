"""End-to-end set-up: the real server (`leokop migrate`, `seed-demo`, `serve`) on a free port with its
own fresh database, Debian's Chromium driven by Playwright, and browser contexts for the three
viewports (phone, tablet, desktop). See tests/e2e/browser.py for the helpers the tests use."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, login
from tests.fake_push_service import FakePushService
from tests.live_server import live_leokop

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test below tests/e2e carries the `e2e` marker (`-m "not e2e"` skips the browser)."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# Package scope: the server and Chromium start once for all of tests/e2e and are gone before other
# test packages run (Playwright's sync API keeps an event loop running in the main thread).


@pytest.fixture(scope="package")
def live_server():
    """Base URL of a real leokop server with migrated demo data, started once for tests/e2e."""
    with live_leokop() as base_url:
        yield base_url


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


@contextlib.contextmanager
def _watched_contexts(browser: Browser, base_url: str):
    """Yields open(viewport, **options) for new contexts on `base_url`; closes them at the end and fails
    the test if any page had a JavaScript error or a CSP violation."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def open_context(viewport: str, **options) -> BrowserContext:
        context = browser.new_context(
            base_url=base_url, locale="de-DE", timezone_id="Europe/Berlin", reduced_motion="reduce", **options, **VIEWPORTS[viewport]
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

    yield open_context
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("Problems in the browser:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def new_context(browser, live_server, signed_in_state):
    """Factory: new_context("phone" | "tablet" | "desktop", as_user=..., color_scheme=..., axe=...).

    axe=True bypasses the app's CSP so that axe-core can be injected; every other context runs with
    the CSP in force. JavaScript errors and CSP violations in any page fail the test."""
    with _watched_contexts(browser, live_server) as open_context:

        def make(
            viewport: str = "desktop",
            *,
            as_user: str | None = None,
            color_scheme: str = "light",
            axe: bool = False,
        ) -> BrowserContext:
            return open_context(
                viewport,
                color_scheme=color_scheme,
                bypass_csp=axe,
                storage_state=signed_in_state(as_user) if as_user else None,
            )

        yield make


# --- a server that really sends pushes: to the fake push service of tests/fake_push_service.py -----

PUSH_E2E_SUBJECT = "mailto:push-e2e@leokop.example"


@pytest.fixture(scope="package")
def fake_push_service() -> FakePushService:
    service = FakePushService()
    yield service
    service.close()


@pytest.fixture(scope="package")
def push_live_server(fake_push_service):
    """Base URL of a second real server (fresh demo data) that accepts endpoints on the fake push
    service (the test-only LEOKOP_PUSH_TEST_ENDPOINT_PREFIX) and runs its push worker every 0.2 s."""
    extra_env = {
        "LEOKOP_PUSH_TEST_ENDPOINT_PREFIX": fake_push_service.prefix,
        "LEOKOP_PUSH_INTERVAL_SECONDS": "0.2",
        "LEOKOP_VAPID_SUBJECT": PUSH_E2E_SUBJECT,
    }
    with live_leokop(extra_env=extra_env) as base_url:
        yield base_url


@pytest.fixture
def push_context(browser, push_live_server):
    """Factory: push_context("phone" | "tablet" | "desktop"), a context on the push server with nobody
    signed in (sign in through the form), watched like new_context's."""
    with _watched_contexts(browser, push_live_server) as open_context:
        yield lambda viewport="desktop": open_context(viewport, color_scheme="light")


@pytest.fixture
def phone(new_context) -> BrowserContext:
    return new_context("phone")


@pytest.fixture
def tablet(new_context) -> BrowserContext:
    return new_context("tablet")


@pytest.fixture
def desktop(new_context) -> BrowserContext:
    return new_context("desktop")
