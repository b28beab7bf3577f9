"""Error pages keep the signed-in layout and give a number to quote to support."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.browser import screenshot
from tests.helpers import COMPANY_ADMIN


def test_missing_contract_shows_german_error_in_layout(new_context):
    page = new_context("phone", as_user=COMPANY_ADMIN).new_page()
    response = page.goto("/contracts/999999")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
    expect(page.locator(".whoami-name")).to_have_text("Sabine Hoffmann")
    expect(page.locator("main code")).to_have_text(re.compile(r"^[A-Za-z0-9._-]{8,64}$"))
    expect(page.get_by_role("link", name="Zur Startseite", exact=True)).to_be_visible()
    screenshot(page, "error-404-contract-phone")


def test_unknown_address_keeps_layout_and_request_number(new_context):
    page = new_context("desktop", as_user=COMPANY_ADMIN).new_page()
    response = page.goto("/gibt-es-nicht")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
    screenshot(page, "error-404-unknown-desktop")
    expect(page.locator("main code")).to_have_text(re.compile(r"^[A-Za-z0-9._-]{8,64}$"), timeout=1000)
    expect(page.locator(".whoami-name")).to_have_text("Sabine Hoffmann", timeout=1000)
