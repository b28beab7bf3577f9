"""The data export (L16) through HTTP and the job: the published schema, the ZIP (JSON that decodes
into the Structs and validates against the published schema, every week, entry, approval, return,
absence and message of the apprentice and nothing of anyone else, attachments with their checksums,
the PDF of the log), the job's states and its claim, one export at a time, the owner alone, deletion
after seven days, and the apprentice whose contract ended or whose company let them go."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import re
import zipfile
from pathlib import Path

import msgspec
import pytest
from PIL import Image
from pypdf import PdfReader

from leokop import demo
from leokop.absences.tables import Absence
from leokop.accounts.service import load_user
from leokop.accounts.tables import User
from leokop.audit.tables import AuditRecord
from leokop.contracts.tables import Contract
from leokop.conversations import service as conversations
from leokop.conversations.tables import Message
from leokop.data_export import service
from leokop.data_export.routes import size_text
from leokop.data_export.schemas import FORMAT, JSON_NAME, SCHEMA_VERSION, DataExportDocument
from leokop.data_export.tables import DataExport
from leokop.db import request_transaction
from leokop.exports.tables import Export, ExportSheet
from leokop.logbook import calendar
from leokop.logbook import service as logbook
from leokop.logbook.tables import Entry, Phrase, Week
from leokop.notifications.tables import Notification
from leokop.signing.tables import Signature
from leokop.timeutil import today_berlin, utcnow
from tests.helpers import APPRENTICE, APPRENTICE_2, TRAINER, login, logout, post

PAGE = "/account/datenexport"
MIA_SECRET = "GEHEIM-MIA: Datenbank-Migration im Lager"
MIA_MESSAGE = "GEHEIM-MIA: Nachricht an Mia allein"


def user_id(run, email: str) -> int:
    return run(User.select(User.id).where(User.email == email).first)["id"]


def contract_of(run, email: str) -> int:
    return run(Contract.select(Contract.id).where(Contract.apprentice.email == email).first)["id"]


def _png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def _seed(var_dir: str) -> None:
    """The demo's log, absences and conversations (as `leokop seed-demo` loads them), a photo on one
    of Finn's entries, a PDF on a message to him, a phrase; and Mia's own entry, phrase and message,
    which must never appear in Finn's export."""
    async with request_transaction(User._meta.db, write=True):
        users = {row["email"]: row["id"] for row in await User.select(User.id, User.email)}
        await demo._seed_log(users)
        await demo._seed_absences(users)
        await demo._seed_conversations(users)
        finn = await load_user(users[APPRENTICE])
        mia = await load_user(users[APPRENTICE_2])
        trainer = await load_user(users[TRAINER])
        finn_contract = await logbook.current_contract_id(finn)
        # Finn's returned week (three weeks back) is editable: a photo on its first entry.
        returned = await Week.select(Week.monday).where(Week.contract == finn_contract, Week.state == "returned").first()
        entry = await Entry.select(Entry.id).where(Entry.week.contract == finn_contract, Entry.week.monday == returned["monday"]).first()
        await logbook.add_attachment(finn, var_dir, finn_contract, returned["monday"], "schaltplan.png", _png("navy"), entry["id"])
        await logbook.add_phrase(finn, "Kundenanfrage im Ticketsystem bearbeitet.")
        await conversations.post_message(
            trainer, var_dir, finn_contract, "with_apprentice", "Hier die Checkliste.",
            conversations.Upload("checkliste.pdf", b"%PDF-1.4\n% Checkliste fuer Finn\n%%EOF\n"),
        )
        mia_contract = await logbook.current_contract_id(mia)
        monday = calendar.monday_of(today_berlin()) - dt.timedelta(days=7)
        await logbook.set_day_status(mia, mia_contract, monday, monday + dt.timedelta(days=2), "company", "")
        await logbook.add_entry(mia, mia_contract, monday, monday + dt.timedelta(days=2), "company", MIA_SECRET, "2:00")
        await logbook.add_phrase(mia, MIA_SECRET)
        await conversations.post_message(trainer, var_dir, mia_contract, "with_apprentice", MIA_MESSAGE)


@pytest.fixture
def settings(app):
    return app.state.settings


@pytest.fixture
def seeded(client, run, settings):
    run(_seed, settings.var_dir)


def _run_job(run, settings) -> bool:
    return run(service.run_next, settings)


def _rows(run, email: str) -> list[dict]:
    return run(DataExport.select().where(DataExport.user == user_id(run, email)).order_by(DataExport.id))


def _export_as(client, run, settings, email: str = APPRENTICE) -> tuple[zipfile.ZipFile, dict]:
    login(client, email)
    assert post(client, PAGE).status_code == 303
    assert _run_job(run, settings)
    row = _rows(run, email)[-1]
    assert row["state"] == "done", row
    response = client.get(f"{PAGE}/{row['id']}/download")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.content)), row


# --- a small JSON Schema check, independent of msgspec (the subset msgspec's schemas use) -------------


def validate(instance, schema: dict, root: dict, where: str = "$") -> list[str]:
    if "$ref" in schema:
        return validate(instance, root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root, where)
    if "anyOf" in schema:
        if any(not validate(instance, option, root, where) for option in schema["anyOf"]):
            return []
        return [f"{where}: matches none of anyOf"]
    problems = []
    if "enum" in schema and instance not in schema["enum"]:
        problems.append(f"{where}: {instance!r} not in {schema['enum']}")
    kind = schema.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind is not None and not checks[kind](instance):
        return [f"{where}: {instance!r} is not {kind}"]
    if kind == "string":
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            problems.append(f"{where}: {instance!r} does not match {schema['pattern']}")
        if schema.get("format") == "date":
            dt.date.fromisoformat(instance)
        if schema.get("format") == "date-time":
            assert dt.datetime.fromisoformat(instance).tzinfo is not None, f"{where}: {instance} without zone"
    if kind == "object":
        properties = schema.get("properties", {})
        if properties:  # a Struct: every key is documented (a free dict has no properties)
            problems += [f"{where}.{key}: not in the schema" for key in instance if key not in properties]
        problems += [f"{where}.{key}: missing" for key in schema.get("required", []) if key not in instance]
        for key, value in instance.items():
            if key in properties:
                problems += validate(value, properties[key], root, f"{where}.{key}")
    if kind == "array":
        for index, item in enumerate(instance):
            problems += validate(item, schema.get("items", {}), root, f"{where}[{index}]")
    return problems


# --- the schema --------------------------------------------------------------------------------------


def test_the_schema_is_published_for_everyone_with_its_version(client):
    response = client.get("/api/v1/export-schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/schema+json")
    schema = msgspec.json.decode(response.content)
    assert schema["version"] == SCHEMA_VERSION == 1
    assert schema["x-leokop-format"] == FORMAT == "leokop-datenexport/1"
    assert schema["$id"].endswith("/api/v1/export-schema")
    document = schema["$defs"]["DataExportDocument"]
    assert document["properties"]["format"]["enum"] == [FORMAT]
    assert document["properties"]["schema_version"]["enum"] == [SCHEMA_VERSION]
    assert {"format", "schema_version", "profile", "contracts", "files"} <= set(document["required"])
    for name in ("Contract", "Week", "Day", "Entry", "Signature", "Return", "Attachment", "Absence", "Message", "Phrase", "NotificationSettings"):
        assert name in schema["$defs"], name
    openapi = client.get("/schema/openapi.json").json()
    assert "/api/v1/export-schema" in openapi["paths"]
    assert openapi["paths"]["/api/v1/export-schema"]["get"]["tags"] == ["Datenexport"]


def test_sizes_read_as_germans_write_them():
    assert size_text(500) == "1 KB"
    assert size_text(980 * 1024) == "980 KB"
    assert size_text(int(12.44 * 1024 * 1024)) == "12,4 MB"


# --- the export ---------------------------------------------------------------------------------------


def test_the_zip_holds_everything_about_the_apprentice_and_nothing_else(client, run, settings, seeded):
    finn, finn_contract = user_id(run, APPRENTICE), contract_of(run, APPRENTICE)
    archive, row = _export_as(client, run, settings)
    names = archive.namelist()
    assert JSON_NAME in names
    raw = archive.read(JSON_NAME)

    # The document decodes strictly into the Structs and validates against the published schema.
    document = msgspec.json.decode(raw, type=DataExportDocument)
    assert document.format == FORMAT and document.schema_version == SCHEMA_VERSION
    schema = msgspec.json.decode(client.get("/api/v1/export-schema").content)
    assert validate(msgspec.json.decode(raw), schema, schema) == []

    assert document.profile.id == finn and document.profile.name == "Finn Schneider"
    assert document.profile.birth_date == dt.date(2006, 3, 14)
    assert document.profile.company == "Rhein-Main Maschinenbau AG"
    [contract] = document.contracts
    assert contract.id == finn_contract and contract.company == "Rhein-Main Maschinenbau AG"
    assert contract.trainers == ["Markus Weber"] and contract.instructors == ["Tobias Klein"]
    assert contract.school_class == "FIA25a" and contract.reading_consent.teachers_may_read
    assert (contract.log_mode, contract.daily_minutes) == ("daily", 468)

    # Every week with its number, calendar week, state; every entry; every day's status.
    weeks = run(Week.select(Week.monday, Week.state).where(Week.contract == finn_contract).order_by(Week.monday))
    assert [(w.monday, w.state) for w in contract.weeks] == [(w["monday"], w["state"]) for w in weeks]
    assert len(contract.weeks) == 4
    for week in contract.weeks:
        assert week.number == calendar.sheet_number(dt.date(2025, 8, 1), week.monday)
        assert week.iso_week == week.monday.isocalendar().week
        assert week.days and week.entries
    entries = run(Entry.select(Entry.id, Entry.text, Entry.minutes).where(Entry.week.contract == finn_contract))
    exported = {e.id: (e.text, e.minutes) for w in contract.weeks for e in w.entries}
    assert exported == {e["id"]: (e["text"], e["minutes"]) for e in entries}

    # Approvals with their content hash; the return with its reason.
    signatures = run(Signature.select(Signature.signer_name, Signature.content_hash).where(Signature.contract == finn_contract))
    exported_signatures = [(s.kind, s.signer_name, s.content_hash) for w in contract.weeks for s in w.signatures]
    assert exported_signatures == [("approval", s["signer_name"], s["content_hash"]) for s in signatures] != []
    returned = next(w for w in contract.weeks if w.state == "returned")
    assert returned.returns[0].action == "returned" and returned.returns[0].by_name == "Markus Weber"
    assert returned.returns[0].reason.startswith("Bitte am Freitag genauer")

    # Absences with their history; messages of the conversation Finn takes part in, not the staff's.
    absences = run(Absence.select(Absence.id, Absence.status).where(Absence.contract == finn_contract))
    assert sorted((a.id, a.status) for a in contract.absences) == sorted((a["id"], a["status"]) for a in absences)
    excused = next(a for a in contract.absences if a.status == "excused")
    assert [event.action for event in excused.history][0] == "recorded" and len(excused.history) >= 3
    bodies = [m.body for m in contract.messages]
    for author, kind, text in demo.DEMO_MESSAGES:
        assert (text in bodies) == (kind == "with_apprentice"), text
    assert "Hier die Checkliste." in bodies

    # Attachments: in the ZIP where the JSON says, with the stored checksum.
    photo = next(a for w in contract.weeks for a in w.attachments)
    assert photo.filename == "schaltplan.png" and photo.entry_id is not None
    checklist = next(a for m in contract.messages for a in m.attachments)
    assert checklist.filename == "checkliste.pdf"
    for attachment in (photo, checklist):
        assert attachment.path in names
        assert hashlib.sha256(archive.read(attachment.path)).hexdigest() == attachment.sha256
    assert photo.path.startswith("anhaenge/nachweis/") and checklist.path.startswith("anhaenge/nachrichten/")
    # The list of files is the ZIP (but the JSON itself), each with its true checksum.
    assert sorted(f.path for f in document.files) == sorted(n for n in names if n != JSON_NAME)
    for item in document.files:
        assert hashlib.sha256(archive.read(item.path)).hexdigest() == item.sha256
        assert archive.getinfo(item.path).file_size == item.size

    # The PDF of the whole log.
    assert contract.log_pdf == f"ausbildungsnachweis-{finn_contract}.pdf"
    assert archive.read(contract.log_pdf).startswith(b"%PDF")

    assert [p.text for p in document.phrases] == ["Kundenanfrage im Ticketsystem bearbeitet."]
    assert document.notification_settings.quiet_from == 20

    # Nothing of another apprentice: Mia's entry, phrase and message are nowhere.
    text = raw.decode()
    assert MIA_SECRET not in text and MIA_MESSAGE not in text and "Mia Yilmaz" not in text
    assert "Noah Fischer" not in text  # also seeded with a log

    # The row, the audit trail of the contract, the notification (no personal data in it).
    assert row["size"] > 0 and row["finished_at"] is not None and row["error"] == ""
    records = run(AuditRecord.select(AuditRecord.actor, AuditRecord.payload).where(
        AuditRecord.contract == finn_contract, AuditRecord.action == "data.exported"
    ))
    assert len(records) == 1 and records[0]["actor"] == finn
    assert msgspec.json.decode(records[0]["payload"])["data"] == {"export": row["id"], "format": FORMAT}
    notice = run(Notification.select().where(Notification.user == finn, Notification.kind == "data_export").first)
    assert notice["url"] == PAGE and "Finn" not in notice["title"] + notice["body"]


def test_the_pdf_is_the_exports_feature_s_pdf_a(client, run, settings, seeded):
    archive, _ = _export_as(client, run, settings)
    finn_contract = contract_of(run, APPRENTICE)
    reader = PdfReader(io.BytesIO(archive.read(f"ausbildungsnachweis-{finn_contract}.pdf")))
    assert reader.xmp_metadata.pdfaid_part == "2"  # PDF/A-2, as the XMP metadata says
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Finn Schneider" in text and "Ausbildungsnachweis Nr. 1" in text
    assert "Mia Yilmaz" not in text
    # Recorded like every PDF export, so that its sheets' Prüfcodes verify.
    [export] = run(Export.select(Export.id, Export.state, Export.requested_by).where(Export.contract == finn_contract))
    assert export["state"] == "done" and export["requested_by"] == user_id(run, APPRENTICE)
    codes = [row["code"] for row in run(ExportSheet.select(ExportSheet.code).where(ExportSheet.export == export["id"]))]
    assert codes and all(f"{code[:4]}-{code[4:8]}-{code[8:]}" in text for code in codes)


def test_an_export_whose_pdf_fails_is_done_with_the_json_and_says_so(client, run, settings, seeded, monkeypatch):
    async def broken(contract_id, out, **_):
        out.write_bytes(b"%PDF-1.7 half")
        raise RuntimeError("renderer down")

    monkeypatch.setattr(service, "render_log_pdf", broken)
    archive, row = _export_as(client, run, settings)
    assert row["error"] == service.PDF_MISSING
    document = msgspec.json.decode(archive.read(JSON_NAME), type=DataExportDocument)
    assert [contract.log_pdf for contract in document.contracts] == [None]
    assert not any(name.endswith(".pdf") and name.startswith("ausbildungsnachweis") for name in archive.namelist())
    assert "Der Nachweis als PDF konnte nicht erstellt werden." in client.get(PAGE).text


def test_the_page_shows_the_job_s_states_and_polls_only_while_it_runs(client, run, settings):
    login(client, APPRENTICE)
    page = client.get(PAGE)
    assert page.status_code == 200 and "Sie haben noch keinen Export erstellt." in page.text
    assert "every 2s" not in page.text
    assert "Meine Daten exportieren" in client.get("/account").text

    assert post(client, PAGE).status_code == 303
    [row] = _rows(run, APPRENTICE)
    assert row["state"] == "queued"
    page = client.get(PAGE)
    assert "Wartet auf den Start" in page.text and 'hx-trigger="every 2s"' in page.text
    # The poll: the status block alone, and 204 while nothing changed.
    poll = client.get(f"{PAGE}?warten={row['id']}-queued", headers={"HX-Request": "true"})
    assert poll.status_code == 204 and poll.content == b""
    run(DataExport.update({DataExport.state: "running"}).where(DataExport.id == row["id"]))
    poll = client.get(f"{PAGE}?warten={row['id']}-queued", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "Wird erstellt" in poll.text and "<html" not in poll.text
    assert f"warten={row['id']}-running" in poll.text

    run(DataExport.update({DataExport.state: "queued"}).where(DataExport.id == row["id"]))
    assert _run_job(run, settings) and not _run_job(run, settings)
    poll = client.get(f"{PAGE}?warten={row['id']}-queued", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and "Fertig – herunterladen" in poll.text
    assert "every 2s" not in poll.text  # the finished block stops the polling
    size = _rows(run, APPRENTICE)[0]["size"]
    assert size_text(size) in poll.text and "verfügbar bis" in poll.text
    download = client.get(f"{PAGE}/{row['id']}/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].startswith('attachment; filename="leokop-datenexport-')
    assert download.headers["cache-control"] == "no-store"
    assert int(download.headers["content-length"]) == size


def test_a_second_click_shows_the_running_export(client, run, settings):
    login(client, APPRENTICE)
    post(client, PAGE)
    second = post(client, PAGE)
    assert second.status_code == 303
    assert len(_rows(run, APPRENTICE)) == 1
    assert "Wartet auf den Start" in client.get(PAGE).text
    finn = run(load_user, user_id(run, APPRENTICE))
    run(DataExport.update({DataExport.state: "running"}).where(DataExport.user == finn.id))
    first = _rows(run, APPRENTICE)[0]["id"]
    assert run(service.request_export, finn) == first  # running counts as well
    run(DataExport.update({DataExport.state: "queued"}).where(DataExport.user == finn.id))
    assert _run_job(run, settings)
    post(client, PAGE)  # once done, a new one may be made
    assert [r["state"] for r in _rows(run, APPRENTICE)] == ["done", "queued"]


def test_only_the_owner_downloads_and_only_apprentices_export(client, run, settings):
    archive, row = _export_as(client, run, settings)
    url = f"{PAGE}/{row['id']}/download"
    logout(client)
    login(client, APPRENTICE_2)
    response = client.get(url)
    assert response.status_code == 404 and "PK" not in response.text[:2]
    assert "Fertig" not in client.get(PAGE).text  # Mia sees none of Finn's exports
    logout(client)
    login(client, TRAINER)
    assert client.get(url).status_code == 403
    assert client.get(PAGE).status_code == 403
    assert post(client, PAGE).status_code == 403
    logout(client)
    assert client.get(url, follow_redirects=False).headers["location"].startswith("/login")
    # Not finished yet: not found either.
    login(client, APPRENTICE)
    post(client, PAGE)
    queued = _rows(run, APPRENTICE)[-1]["id"]
    assert client.get(f"{PAGE}/{queued}/download").status_code == 404


def test_the_file_is_deleted_after_seven_days_and_the_row_says_so(client, run, settings):
    _, row = _export_as(client, run, settings)
    path = service.zip_path(settings.var_dir, row["id"])
    assert path.is_file()
    finished = row["finished_at"]
    assert run(service.housekeeping, settings, utcnow() + dt.timedelta(days=6, hours=23)) == 0
    assert path.is_file()
    assert run(service.housekeeping, settings, utcnow() + dt.timedelta(days=7, minutes=1)) == 1
    assert not path.exists()
    assert _rows(run, APPRENTICE)[0]["state"] == "expired"
    assert _rows(run, APPRENTICE)[0]["finished_at"] == finished
    page = client.get(PAGE)
    assert "Ihr letzter Export wurde nach 7 Tagen gelöscht." in page.text
    assert client.get(f"{PAGE}/{row['id']}/download").status_code == 404


def test_an_export_whose_worker_died_fails_and_a_new_one_can_start(client, run, settings):
    login(client, APPRENTICE)
    post(client, PAGE)
    row = _rows(run, APPRENTICE)[0]
    run(DataExport.update({DataExport.state: "running", DataExport.created_at: utcnow() - dt.timedelta(hours=3)}).where(DataExport.id == row["id"]))
    run(service.housekeeping, settings)
    assert _rows(run, APPRENTICE)[0]["state"] == "failed"
    assert "Der Export ist fehlgeschlagen." in client.get(PAGE).text
    post(client, PAGE)
    assert [r["state"] for r in _rows(run, APPRENTICE)] == ["failed", "queued"]


def test_a_failing_export_is_marked_failed_and_leaves_no_file(client, run, settings, monkeypatch):
    async def broken(user_id, var_dir):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "collect", broken)
    login(client, APPRENTICE)
    post(client, PAGE)
    assert _run_job(run, settings)
    row = _rows(run, APPRENTICE)[0]
    assert (row["state"], row["error"]) == ("failed", "RuntimeError")
    assert not service.zip_path(settings.var_dir, row["id"]).exists()
    assert not list(service.export_dir(settings.var_dir).glob(f"{row['id']}.*"))


def test_two_workers_never_take_the_same_export(client, run, settings):
    login(client, APPRENTICE)
    post(client, PAGE)

    async def race():
        return await asyncio.gather(*(service.claim_next() for _ in range(4)))

    claims = [c for c in run(race) if c is not None]
    assert len(claims) == 1 and _rows(run, APPRENTICE)[0]["state"] == "running"


def test_an_apprentice_exports_after_the_contract_ended_and_the_company_let_them_go(client, run, settings, seeded):
    """Nothing in leokop removes an apprentice from a company but User.company = None (there is no
    such action yet); the apprentice keeps the account, the contracts stay theirs."""
    finn, finn_contract = user_id(run, APPRENTICE), contract_of(run, APPRENTICE)
    yesterday = today_berlin() - dt.timedelta(days=1)
    run(Contract.update({Contract.end_date: yesterday}).where(Contract.id == finn_contract))
    run(User.update({User.company: None}).where(User.id == finn))
    archive, _ = _export_as(client, run, settings)
    document = msgspec.json.decode(archive.read(JSON_NAME), type=DataExportDocument)
    assert document.profile.company is None
    [contract] = document.contracts
    assert contract.end_date == yesterday and len(contract.weeks) == 4
    assert contract.company == "Rhein-Main Maschinenbau AG"
    assert any(m.body == "Hier die Checkliste." for m in contract.messages)
    assert archive.read(contract.log_pdf).startswith(b"%PDF")


def test_collecting_takes_the_same_number_of_queries_for_a_short_or_a_long_log(client, run, settings, seeded, count_queries):
    finn = user_id(run, APPRENTICE)
    count_queries.clear()
    run(service.collect, finn, settings.var_dir)
    short = len(count_queries)
    finn_user = run(load_user, finn)
    contract = contract_of(run, APPRENTICE)
    for weeks_back in range(8, 14):
        monday = calendar.monday_of(today_berlin()) - dt.timedelta(days=7 * weeks_back)
        run(logbook.add_entry, finn_user, contract, monday, monday + dt.timedelta(days=2), "company", "Mehr", "1:00")
    run(conversations.post_message, finn_user, settings.var_dir, contract, "with_apprentice", "Noch eine Nachricht")
    count_queries.clear()
    document, _ = run(service.collect, finn, settings.var_dir)
    assert len(count_queries) == short == 16
    assert len(document.contracts[0].weeks) == 10


def test_an_apprentice_without_any_contract_exports_the_account(client, run, settings):
    emma_contract = contract_of(run, "emma.schulz@rmm.example")
    run(Contract.delete().where(Contract.id == emma_contract))
    archive, _ = _export_as(client, run, settings, "emma.schulz@rmm.example")
    document = msgspec.json.decode(archive.read(JSON_NAME), type=DataExportDocument)
    assert document.contracts == [] and document.profile.name == "Emma Schulz"
    assert archive.namelist() == [JSON_NAME]


def test_phrases_are_in_the_export_of_their_owner_only(client, run, settings, seeded):
    mia = user_id(run, APPRENTICE_2)
    assert run(Phrase.count().where(Phrase.user == mia)) == 1
    archive, _ = _export_as(client, run, settings, APPRENTICE_2)
    document = msgspec.json.decode(archive.read(JSON_NAME), type=DataExportDocument)
    assert [p.text for p in document.phrases] == [MIA_SECRET]
    text = archive.read(JSON_NAME).decode()
    assert "Finn Schneider" not in text and "Kundenanfrage im Ticketsystem" not in text
    assert [m.body for m in document.contracts[0].messages] == [MIA_MESSAGE]
    assert not run(Message.exists().where(Message.body == MIA_MESSAGE, Message.conversation.contract.apprentice == user_id(run, APPRENTICE)))
