"""End-to-end set-up: the real server (`leokop migrate`, `seed-demo`, `serve`) on a free port with its
own fresh database, Debian's Chromium driven by Playwright, and browser contexts for the three
viewports (phone, tablet, desktop). See tests/e2e/browser.py for the helpers the tests use."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, login
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
