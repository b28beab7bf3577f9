"""The data export (L16) in a real browser: Finn opens "Meine Daten exportieren" from his account on
the phone, starts the export, the page follows the job by itself (htmx polling, the server's own
export worker) until "Fertig – herunterladen", and the download is the ZIP with the JSON and the PDF
of his log; the page at phone, tablet and desktop size with screenshots and axe-core."""

from __future__ import annotations

import io
import zipfile

import msgspec
from playwright.sync_api import expect

from leokop.data_export.schemas import JSON_NAME, DataExportDocument
from tests.e2e.test_signing import assert_no_axe_violations, goto, open_as, settled, shot
from tests.helpers import APPRENTICE


def test_an_apprentice_exports_everything_and_downloads_the_zip(new_context):
    page = open_as(new_context, "phone", APPRENTICE, axe=True)
    goto(page, "/account")
    page.get_by_role("link", name="Meine Daten exportieren").click()
    page.wait_for_url("**/account/datenexport")
    settled(page)
    shot(page, "data-export-phone")
    assert_no_axe_violations(page, "data-export-phone")

    page.get_by_role("button", name="Meine Daten exportieren").click()
    settled(page)
    # The worker makes it within seconds; the page polls every two seconds and swaps in the link.
    download_link = page.get_by_role("link", name="Fertig – herunterladen")
    expect(download_link).to_be_visible(timeout=30_000)
    expect(page.locator(".meta", has_text="ZIP-Datei,")).to_be_visible()
    shot(page, "data-export-done-phone")
    assert_no_axe_violations(page, "data-export-done-phone")

    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.startswith("leokop-datenexport-")
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    document = msgspec.json.decode(archive.read(JSON_NAME), type=DataExportDocument)
    assert document.profile.name == "Finn Schneider" and len(document.contracts) == 1
    contract = document.contracts[0]
    assert contract.weeks and any(m.body for m in contract.messages)
    assert archive.read(contract.log_pdf).startswith(b"%PDF")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Daten exportieren")  # still the page

    for viewport in ("tablet", "desktop"):
        other = open_as(new_context, viewport, APPRENTICE, axe=True)
        goto(other, "/account/datenexport")
        expect(other.get_by_role("link", name="Fertig – herunterladen")).to_be_visible()
        shot(other, f"data-export-done-{viewport}")
        assert_no_axe_violations(other, f"data-export-done-{viewport}")
