"""What the e2e tests do in the browser: viewports, signing in through the form, inviting someone,
axe-core checks and screenshots."""

from __future__ import annotations

import re

import json
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from leokop.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "tablet": {"viewport": {"width": 820, "height": 1180}},
    "desktop": {"viewport": {"width": 1440, "height": 900}},
}


def url_path(url: str) -> str:
    return urlsplit(url).path


def path_of(page: Page) -> str:
    return url_path(page.url)


def login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form and wait for the start page (an apprentice's is the week)."""
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: url_path(url) != "/login")
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("Guten Tag|KW "))


def invite(page: Page, name: str, email: str, role: str = "Auszubildende/r") -> None:
    """Fill and send the "Person einladen" form on /people (the page must be open)."""
    form = page.locator("form[action='/people/invitations']")
    form.get_by_label("Name").fill(name)
    form.get_by_label("E-Mail-Adresse").fill(email)
    form.get_by_label("Rolle").select_option(label=role)
    form.get_by_role("button", name="Einladen").click()


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot in screenshots/<name>.png for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page (its context needs bypass_csp=True) and return the violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
            }));
        }"""
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    target {json.dumps(node['target'])}: {node['html'][:200]}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page: Page, name: str) -> None:
    """Screenshot the page, then assert axe-core finds no violations."""
    screenshot(page, name)
    violations = axe_violations(page)
    assert not violations, f"axe-core found {len(violations)} violation(s) on {page.url} ({name}):\n" + describe_violations(
        violations
    )
