"""The PDF export through HTTP and the job: every header field, entry and approval in the text (read
back with two independent parsers), PDF/A metadata, the QR code, verification of codes and files."""

from __future__ import annotations

import datetime as dt
import io
import re

import pikepdf
import pypdfium2
import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from pdfminer.high_level import extract_text as pdfminer_text
from pypdf import PdfReader

from leokop import demo
from leokop.accounts.tables import User
from leokop.contracts.tables import Contract, ContractStaff
from leokop.db import request_transaction
from leokop.exports import service
from leokop.exports.tables import Export, ExportSheet
from leokop.logbook.tables import Entry, Week
from leokop.logbook import calendar
from leokop.settings import load_settings
from leokop.signing.tables import Signature
from leokop.timeutil import today_berlin, utcnow
from tests.helpers import APPRENTICE, APPRENTICE_2, INSTRUCTOR, TRAINER, login, logout, post


@pytest.fixture(autouse=True)
def demo_log(client, run):
    """The demo's log (as `leokop seed-demo` loads it): Finn's last four weeks, one approved."""

    async def seed() -> None:
        async with request_transaction(User._meta.db, write=True):
            await demo._seed_log({row["email"]: row["id"] for row in await User.select(User.id, User.email)})

    run(seed)


def _finn(run) -> dict:
    return run(Contract.select(Contract.id, Contract.start_date, Contract.end_date).where(Contract.apprentice.email == APPRENTICE).first)


def _run_jobs(run) -> list[int]:
    """What the worker does: claim and render every queued job."""
    settings = load_settings()
    done = []
    while (job := run(service.claim_export, utcnow())) is not None:
        run(service.run_export, job, settings)
        done.append(job["id"])
    return done


def _export_whole_log(client, run, email=APPRENTICE) -> tuple[int, bytes]:
    finn = _finn(run)
    login(client, email)
    response = post(client, f"/contracts/{finn['id']}/export", {})
    assert response.status_code == 303, response.text
    export_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert _run_jobs(run) == [export_id]
    pdf = client.get(f"/exports/{export_id}/datei")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    return export_id, pdf.content


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_whole_log_has_every_header_field_entry_and_approval(client, run):
    export_id, data = _export_whole_log(client, run)
    finn = _finn(run)
    text = _squeeze(pdfminer_text(io.BytesIO(data)))
    # Cover sheet: apprentice, company, occupation, contract period, trainers, school and class.
    cover = run(
        Contract.select(
            Contract.apprentice.display_name.as_alias("apprentice"),
            Contract.company.name.as_alias("company"),
            Contract.occupation.name_neutral.as_alias("occupation"),
            Contract.school.name.as_alias("school"),
            Contract.school_class.name.as_alias("school_class"),
        ).where(Contract.id == finn["id"]).first
    )
    for value in cover.values():
        assert value and value in text, value
    trainers = run(ContractStaff.select(ContractStaff.user.display_name.as_alias("name")).where(ContractStaff.contract == finn["id"]))
    for row in trainers:
        assert row["name"] in text
    assert f"{finn['start_date']:%d.%m.%Y} – {finn['end_date']:%d.%m.%Y}" in text
    # Every entry's text (by word: a long text wraps over lines) and every approval's fingerprint.
    entries = run(Entry.select(Entry.text, Entry.minutes).where(Entry.week.contract == finn["id"]))
    assert entries
    squeezed = re.sub(r"\s+", "", text)
    for entry in entries:
        assert re.sub(r"\s+", "", entry["text"]) in squeezed, entry["text"]
        assert f"{entry['minutes'] // 60}:{entry['minutes'] % 60:02d} Std." in text
    approvals = run(Signature.select(Signature.signer_name, Signature.content_hash).where(Signature.contract == finn["id"], Signature.voided_at.is_null()))
    assert approvals
    for approval in approvals:
        fingerprint = " ".join(approval["content_hash"][i : i + 4] for i in range(0, 16, 4)).upper()
        assert fingerprint in text and approval["signer_name"] in text
    assert "Protokoll der Abzeichnungen" in text
    # Every week of the contract has its sheet with number, calendar week and training year.
    sheets = run(ExportSheet.select(ExportSheet.number, ExportSheet.monday, ExportSheet.code).where(ExportSheet.export == export_id).order_by(ExportSheet.monday))
    # Without an end date: up to this week while the contract runs (no empty future sheets).
    this_monday = calendar.monday_of(today_berlin())
    assert [s["monday"] for s in sheets] == [m for m in calendar.contract_weeks(finn["start_date"], finn["end_date"]) if m <= this_monday]
    # Every page of a sheet, also a continuation page, carries the sheet's Prüfcode in its footer.
    pages = run(ExportSheet.select(ExportSheet.code, ExportSheet.first_page, ExportSheet.last_page).where(ExportSheet.export == export_id))
    reader = PdfReader(io.BytesIO(data))
    assert any(row["last_page"] > row["first_page"] for row in pages)
    for row in pages:
        formatted = f"{row['code'][:4]}-{row['code'][4:8]}-{row['code'][8:]}"
        for index in range(row["first_page"] - 1, row["last_page"]):
            assert f"Prüfcode {formatted}" in reader.pages[index].extract_text()
    for sheet in sheets[:3] + sheets[-3:]:
        iso = sheet["monday"].isocalendar()
        assert f"Ausbildungsnachweis Nr. {sheet['number']}" in text
        assert f"KW {iso[1]}/{iso[0]}" in text
        assert f"{sheet['code'][:4]}-{sheet['code'][4:8]}-{sheet['code'][8:]}" in text


def test_the_pdf_is_pdfa_with_embedded_fonts_and_a_text_layer(client, run):
    export_id, data = _export_whole_log(client, run)
    reader = PdfReader(io.BytesIO(data))  # pypdf: independent of the pikepdf that wrote the metadata
    assert run(Export.select(Export.pages).where(Export.id == export_id).first)["pages"] == len(reader.pages)
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert _xmp_value(raw, PDFAID, "part") == "2" and _xmp_value(raw, PDFAID, "conformance") == "U"
    assert _xmp_value(raw, "http://purl.org/dc/elements/1.1/", "title").startswith("Ausbildungsnachweis")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "de-DE"
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert reader.metadata.title.startswith("Ausbildungsnachweis")
    # Every font on every page is embedded, maps to Unicode (PDF/A-2u), and as a symbolic TrueType
    # font has no /Encoding and exactly one cmap subtable (PDF/A-2, 6.2.11.6); every page has text.
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/FontDescriptor"].get_object()
            assert font["/Subtype"] == "/TrueType" and "/ToUnicode" in font and "/Encoding" not in font
            program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
            assert len(program["cmap"].tables) == 1 and descriptor["/Flags"] & 4
        assert page.extract_text().strip()
    # File header with the binary comment line and a document ID in the trailer (PDF/A-2, 6.1.2, 6.1.3).
    assert re.match(rb"%PDF-1\.[0-7]\r?\n%[\x80-\xff]{4}", data)
    assert len(reader.trailer["/ID"]) == 2
    # No encryption, no JavaScript: neither is allowed in PDF/A.
    assert not reader.is_encrypted and "/JavaScript" not in str(root.get("/Names", {}))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.check_pdf_syntax() == []  # qpdf's structural check


PDFAID = "http://www.aiim.org/pdfa/ns/id/"


def _xmp_value(raw: bytes, namespace: str, name: str) -> str:
    """An XMP property, written as an element or as an attribute of rdf:Description."""
    from xml.etree import ElementTree

    tree = ElementTree.fromstring(raw[raw.index(b"<x:xmpmeta") : raw.index(b"</x:xmpmeta>") + 12])
    for element in tree.iter():
        if f"{{{namespace}}}{name}" in element.attrib:
            return element.attrib[f"{{{namespace}}}{name}"]
        if element.tag == f"{{{namespace}}}{name}":
            return "".join(element.itertext()).strip()
    return ""


def test_the_qr_code_decodes_to_the_verify_url_of_its_sheet(client, run):
    export_id, data = _export_whole_log(client, run)
    first = run(ExportSheet.select(ExportSheet.code, ExportSheet.first_page, ExportSheet.last_page).where(ExportSheet.export == export_id).order_by(ExportSheet.monday).first)
    document = pypdfium2.PdfDocument(data)
    found = []
    for index in range(first["first_page"] - 1, first["last_page"]):
        image = document[index].render(scale=3).to_pil()
        found += [result.text for result in zxingcpp.read_barcodes(image)]
    code = first["code"]
    assert found == [f"http://127.0.0.1:8000/verify/{code[:4]}-{code[4:8]}-{code[8:]}"]


def test_a_genuine_file_verifies_and_an_altered_one_does_not(client, run):
    export_id, data = _export_whole_log(client, run)
    logout(client)  # verification needs no account
    response = client.post("/verify", files={"file": ("nachweis.pdf", data, "application/pdf")}, headers=_csrf(client))
    assert response.status_code == 200
    assert "Gültig: Alle" in response.text and "Byte für Byte" in response.text
    assert "Finn" not in response.text  # no content, no name

    # Change one entry's text inside the PDF (a content stream edit, as a PDF editor would do).
    altered = _replace_text_in_pdf(data)
    response = client.post("/verify", files={"file": ("nachweis.pdf", altered, "application/pdf")}, headers=_csrf(client))
    assert response.status_code == 200
    assert "Nicht gültig" in response.text and "Der Text dieses Blatts stimmt nicht" in response.text
    assert "nicht Byte für Byte" in response.text


def _replace_text_in_pdf(data: bytes) -> bytes:
    """Cut a line of the first sheet's text in half, as an edit in a PDF editor would change it."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[1]
        instructions = pikepdf.parse_content_stream(page)
        changed = False
        for index, (operands, operator) in enumerate(instructions):
            if operator == pikepdf.Operator("Tj") and not changed and len(bytes(operands[0])) > 8:
                raw = bytes(operands[0])
                instructions[index] = ([pikepdf.String(raw[: len(raw) // 2])], operator)
                changed = True
        assert changed
        page.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _csrf(client) -> dict:
    from tests.helpers import csrf_token

    return {"X-CSRFToken": csrf_token(client)}


def test_a_sheet_whose_week_was_reopened_and_changed_no_longer_verifies(client, run):
    export_id, data = _export_whole_log(client, run)
    sheet = run(
        ExportSheet.select(ExportSheet.code, ExportSheet.monday, ExportSheet.contract).where(
            ExportSheet.export == export_id, ExportSheet.week_state == "approved"
        ).first
    )
    page = client.get(f"/verify/{sheet['code']}")
    assert page.status_code == 200 and "Gültig: Das Blatt stimmt" in page.text
    logout(client)
    login(client, TRAINER)
    monday = sheet["monday"].isoformat()
    reopened = post(client, f"/contracts/{sheet['contract']}/log/{monday}/reopen", {"reason": "Korrektur nötig"})
    assert reopened.status_code in (200, 303)
    page = client.get(f"/verify/{sheet['code'][:4].lower()}-{sheet['code'][4:8]} {sheet['code'][8:]}")  # as typed from paper
    assert "Nicht mehr gültig" in page.text and "aufgehoben" in page.text
    week = run(Week.select(Week.id).where(Week.contract == sheet["contract"], Week.monday == sheet["monday"]).first)
    run(Entry.update({Entry.text: "Nachträglich geändert"}).where(Entry.id == run(Entry.select(Entry.id).where(Entry.week == week["id"]).first)["id"]))
    page = client.get(f"/verify/{sheet['code']}")
    assert "Die Woche wurde nach dem Export geändert" in page.text
    # The whole file fails for that sheet now.
    response = client.post("/verify", files={"file": ("nachweis.pdf", data, "application/pdf")}, headers=_csrf(client))
    assert "Nicht gültig: 1 von" in response.text


def test_unknown_codes_and_bad_uploads_get_german_messages(client, run):
    assert "Unbekannter Prüfcode" in client.get("/verify/AAAA-BBBB-CCCC").text
    assert client.get("/verify/AAAA-BBBB-CCCC").status_code == 404
    response = client.post("/verify", files={"file": ("x.pdf", b"kein pdf", "application/pdf")}, headers=_csrf(client))
    assert response.status_code == 422 and "Das ist keine PDF-Datei." in response.text
    response = client.post("/verify", data={}, headers=_csrf(client))
    assert response.status_code == 422 and "Bitte eine PDF-Datei auswählen." in response.text
    response = client.post("/verify", files={"file": ("x.pdf", b"%PDF-1.7\n kaputt", "application/pdf")}, headers=_csrf(client))
    assert response.status_code == 200 and "lässt sich nicht lesen" in response.text


def test_one_week_downloads_at_once(client, run):
    finn = _finn(run)
    week = run(Week.select(Week.monday).where(Week.contract == finn["id"], Week.state == "approved").first)
    login(client, APPRENTICE)
    response = post(client, f"/contracts/{finn['id']}/log/{week['monday'].isoformat()}/pdf", {})
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    text = pdfminer_text(io.BytesIO(response.content))
    iso = week["monday"].isocalendar()
    assert f"KW {iso[1]}/{iso[0]}" in text
    assert run(ExportSheet.count().where(ExportSheet.contract == finn["id"])) == 1


def test_range_errors_are_shown_next_to_the_fields_and_keep_the_input(client, run):
    finn = _finn(run)
    login(client, APPRENTICE)
    response = post(client, f"/contracts/{finn['id']}/export", {"first": "01.03.2026", "last": "01.02.2026"})
    assert response.status_code == 422
    assert "Das Ende liegt vor dem Anfang." in response.text and 'value="01.03.2026"' in response.text
    response = post(client, f"/contracts/{finn['id']}/export", {"first": "01.01.1999"})
    assert "außerhalb der Ausbildungszeit" in response.text
    response = post(client, f"/contracts/{finn['id']}/export", {"first": "32.13.2026"})
    assert "Bitte ein Datum im Format TT.MM.JJJJ eingeben." in response.text
    assert run(Export.count()) == 0


def test_progress_page_and_only_the_requester_sees_the_job(client, run):
    finn = _finn(run)
    login(client, TRAINER)
    response = post(client, f"/contracts/{finn['id']}/export", {})
    export_id = int(response.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/exports/{export_id}")
    assert "Wird erstellt" in page.text and 'hx-trigger="every 1s"' in page.text
    assert client.get(f"/exports/{export_id}/datei").status_code == 404  # not rendered yet
    _run_jobs(run)
    page = client.get(f"/exports/{export_id}")
    assert "PDF herunterladen" in page.text and "every 1s" not in page.text
    logout(client)
    for email in (APPRENTICE, INSTRUCTOR, APPRENTICE_2):
        login(client, email)
        assert client.get(f"/exports/{export_id}").status_code == 404
        assert client.get(f"/exports/{export_id}/datei").status_code == 404
        logout(client)


def test_old_files_are_removed_and_their_codes_still_verify(client, run):
    export_id, _ = _export_whole_log(client, run)
    code = run(ExportSheet.select(ExportSheet.code).where(ExportSheet.export == export_id).first)["code"]
    settings = load_settings()
    assert run(service.remove_old_files, utcnow(), settings.var_dir) == 0
    assert run(service.remove_old_files, utcnow() + dt.timedelta(days=8), settings.var_dir) == 1
    assert not service.export_path(export_id, settings.var_dir).exists()
    assert "nicht mehr bereitgehalten" in client.get(f"/exports/{export_id}").text
    assert client.get(f"/exports/{export_id}/datei").status_code == 404
    assert "Gültig" in client.get(f"/verify/{code}").text


def test_a_long_job_notifies_its_requester(client, run):
    finn = _finn(run)
    login(client, APPRENTICE)
    response = post(client, f"/contracts/{finn['id']}/export", {})
    export_id = int(response.headers["location"].rsplit("/", 1)[1])
    run(Export.update({Export.created_at: utcnow() - dt.timedelta(seconds=30)}).where(Export.id == export_id))
    _run_jobs(run)
    from leokop.notifications.tables import Notification

    notes = run(Notification.select(Notification.title, Notification.url).where(Notification.kind == "pdf_export"))
    assert notes == [{"title": "Ihr PDF-Export ist fertig", "url": f"/exports/{export_id}"}]


@pytest.mark.parametrize("weeks", [1, 3])
def test_export_audit_records(client, run, weeks):
    from leokop.audit.tables import AuditRecord

    finn = _finn(run)
    login(client, APPRENTICE)
    first = finn["start_date"]
    last = first + dt.timedelta(days=7 * (weeks - 1))
    post(client, f"/contracts/{finn['id']}/export", {"first": first.isoformat(), "last": last.isoformat()})
    record = run(AuditRecord.select(AuditRecord.action, AuditRecord.payload).where(AuditRecord.contract == finn["id"], AuditRecord.action == "log.exported").first)
    assert record and '"format":"pdf"' in record["payload"]
    assert run(Export.select(Export.weeks_total).first)["weeks_total"] == weeks
