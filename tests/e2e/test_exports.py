"""The PDF export and /verify in a real browser. Finn, on his phone, opens his log overview, presses
"Als PDF exportieren", leaves both dates empty (the whole log), and the progress page follows the
server's own export worker until "PDF herunterladen"; the download is a PDF with his name. Then
somebody without an account, on a desktop, uploads that file on /verify ("Gültig: Alle …"), opens
the page of one sheet's Prüfcode as printed on it, and tries a file that is no PDF. The one-week
download from the week page works too. axe-core and screenshots on the form, progress, result and
verification pages.

Only the demo's seeded weeks (Finn's last four, whatever today is) matter here: the test reads the
codes and names from the PDF itself and never depends on the current week."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.browser import path_of
from tests.e2e.test_signing import DESKTOP, FINN, assert_no_axe_violations, finn_contract, goto, open_as, settled, shot
from tests.helpers import APPRENTICE

CODE = re.compile(r"Prüfcode: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _check(page: Page, name: str) -> None:
    shot(page, name)
    assert_no_axe_violations(page, name)


def test_export_the_whole_log_on_the_phone_and_verify_it_without_an_account(new_context, tmp_path):
    phone = open_as(new_context, "phone", APPRENTICE, axe=True)
    contract_id = finn_contract(phone)
    goto(phone, f"/contracts/{contract_id}/log")
    phone.get_by_role("link", name="Als PDF exportieren").click()
    phone.wait_for_url(f"**/contracts/{contract_id}/export")
    settled(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Ausbildungsnachweis als PDF")
    expect(phone.get_by_label("Von (Woche mit diesem Tag)")).to_have_value("")
    expect(phone.get_by_label("Bis (Woche mit diesem Tag)")).to_have_value("")
    _check(phone, "export-form-phone")

    phone.get_by_role("button", name="PDF erstellen").click()
    phone.wait_for_url(re.compile(r".*/exports/\d+$"))
    export_path = path_of(phone)
    # The worker renders the whole contract (three years) in a few seconds; the page polls every second.
    download_link = phone.get_by_role("link", name="PDF herunterladen")
    expect(download_link).to_be_visible(timeout=60_000)
    expect(phone.locator("#export-job .meta")).to_contain_text("Seiten")
    settled(phone)
    _check(phone, "export-done-phone")

    with phone.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert FINN in text
    codes = CODE.findall(text)
    assert codes, "no Prüfcode on any sheet"
    expect(phone.get_by_role("heading", level=1)).to_have_text("PDF-Export")  # the page stays
    assert path_of(phone) == export_path

    # Nobody signed in, a desktop: the whole file, then one sheet's code as printed on it.
    desk = new_context("desktop", axe=True).new_page()
    desk.set_viewport_size(DESKTOP)
    goto(desk, "/login")
    desk.get_by_role("link", name="Nachweis prüfen").click()
    desk.wait_for_url("**/verify")
    settled(desk)
    _check(desk, "verify-desktop")

    desk.get_by_label("PDF des Ausbildungsnachweises").set_input_files(str(saved))
    desk.get_by_role("button", name="Datei prüfen").click()
    result = desk.locator("#file-result").locator("xpath=..")
    expect(result.locator(".notice").first).to_contain_text(f"Gültig: Alle {len(codes)} Blätter stimmen", timeout=30_000)
    expect(result).to_contain_text("Die Datei ist unverändert")
    _check(desk, "verify-file-desktop")

    goto(desk, f"/verify/{codes[0]}")
    sheet = desk.locator("#code-result").locator("xpath=..")
    expect(sheet.locator(".notice strong")).to_have_text("Gültig: Das Blatt stimmt mit dem Ausbildungsnachweis in leokop überein.")
    expect(sheet).to_contain_text(codes[0])
    expect(sheet).not_to_contain_text(FINN)  # only the minimum: no names, no content
    _check(desk, "verify-code-desktop")

    # The code typed from paper into the form, in lower case with a space.
    goto(desk, "/verify")
    desk.get_by_label(re.compile("^Prüfcode")).fill(codes[-1].lower().replace("-", " ", 1))
    desk.get_by_role("button", name="Prüfen", exact=True).click()
    desk.wait_for_url(f"**/verify/{codes[-1].replace('-', '')}")
    expect(desk.locator("#code-result").locator("xpath=..").locator(".notice strong")).to_contain_text("Gültig")

    # A file that is no PDF: a German message next to the file field, no result.
    not_pdf = tmp_path / "nachweis.pdf"
    not_pdf.write_text("Das ist nur Text.")
    goto(desk, "/verify")
    desk.get_by_label("PDF des Ausbildungsnachweises").set_input_files(str(not_pdf))
    desk.get_by_role("button", name="Datei prüfen").click()
    error = desk.locator("#f-file-error")
    expect(error).to_have_text("Das ist keine PDF-Datei.")
    expect(desk.get_by_label("PDF des Ausbildungsnachweises")).to_have_attribute("aria-invalid", "true")
    expect(desk.locator("#file-result")).to_have_count(0)
    _check(desk, "verify-error-desktop")


def test_one_week_from_the_week_page(new_context, tmp_path):
    """The week page's small "Diese Woche als PDF" is a plain form: the browser downloads at once."""
    phone = open_as(new_context, "phone", APPRENTICE, axe=True)
    contract_id = finn_contract(phone)
    goto(phone, f"/contracts/{contract_id}/log")
    approved = phone.locator("a.gap-approved").first.get_attribute("href")  # the demo's oldest week
    goto(phone, approved)
    button = phone.get_by_role("button", name="Diese Woche als PDF")
    with phone.expect_download() as download:
        button.click()
    data = download.value.path().read_bytes()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert FINN in text and len(CODE.findall(text)) == 1
    assert path_of(phone) == approved  # still the week
