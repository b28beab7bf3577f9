"""The class list import in a real browser: the school admin uploads the demo file
(tests/data/klassenliste.csv, Windows-1252, ";") on a desktop, checks the guessed column mapping and
the preview, takes it over and reads the report. Screenshots of every step at phone, tablet and
desktop size, axe-core on each.

The file's effects on the shared demo server: two invited apprentices of Rhein-Main Maschinenbau
placed in FIA25a and IM25b; the demo apprentices' classes stay as they are."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.browser import SCREENSHOTS, axe_violations, describe_violations
from tests.helpers import SCHOOL_ADMIN

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "klassenliste.csv"
SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 820, "height": 1180}, "desktop": {"width": 1366, "height": 900}}


def look(page: Page, name: str) -> None:
    """Screenshots at the three sizes for people to look at, axe-core at each; back to the desktop."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True, animations="disabled", caret="initial")
        violations = axe_violations(page)
        assert not violations, f"axe-core on {page.url} ({name}, {size}):\n" + describe_violations(violations)


def test_school_admin_imports_a_class_list(new_context):
    context = new_context("desktop", as_user=SCHOOL_ADMIN, axe=True)
    page = context.new_page()
    page.set_viewport_size(SIZES["desktop"])
    page.goto("/classes")
    page.get_by_role("link", name="Klassenliste importieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Klassenliste importieren")
    look(page, "class-import-upload")

    page.get_by_label("Klassenliste (.csv)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Weiter zur Spaltenzuordnung").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spalten zuordnen: klassenliste.csv")
    expect(page.get_by_text("11 Zeilen gelesen, 6 Spalten")).to_be_visible()
    # Guessed from the header names (read as Windows-1252), each with an example from the first row.
    expect(page.get_by_label("Geburtsdatum")).to_have_value("2")
    expect(page.get_by_label("Ausbildungsbetrieb").locator("option:checked")).to_have_text(
        "Spalte 5: Ausbildungsbetrieb – z. B. „Rhein-Main Maschinenbau AG“"
    )
    expect(page.get_by_label("E-Mail (optional, für Einladungen)")).to_have_value("5")
    look(page, "class-import-mapping")

    page.get_by_role("button", name="Vorschau anzeigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vorschau: klassenliste.csv")
    counts = page.locator(".import-counts").first
    expect(counts).to_contain_text("2 eingeladen")
    expect(counts).to_contain_text("3 unverändert")
    expect(counts).to_contain_text("6 abgelehnt")
    rejected = page.get_by_role("region", name="Abgelehnte Zeilen")
    expect(rejected.locator("tbody tr")).to_have_count(6)
    expect(rejected).to_contain_text("Die Klasse „ELT25a“ gibt es an Ihrer Schule nicht")
    expect(page.get_by_role("region", name="Übrige Zeilen").locator("tbody tr").filter(has_text="Jonas Müller")).to_contain_text("eingeladen")
    look(page, "class-import-preview")

    page.get_by_role("button", name="Übernehmen").click()
    page.wait_for_url(re.compile(r"/classes/import/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bericht: klassenliste.csv")
    expect(page.locator(".import-counts").first).to_contain_text("2 eingeladen")
    expect(page.locator("#main").get_by_role("link", name="Postausgang")).to_be_visible()
    look(page, "class-import-report")

    # The class page lists who is placed until the company enters the contract.
    page.goto("/classes")
    page.get_by_role("link", name="FIA25a").first.click()
    placed = page.locator("#vorgemerkt")
    expect(placed).to_contain_text("Jonas Müller")
    expect(placed).to_contain_text("Einladung noch nicht angenommen")
    # The log of imports links the report.
    page.goto("/classes/import")
    expect(page.get_by_role("link", name="klassenliste.csv")).to_be_visible()
