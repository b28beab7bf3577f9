"""Rules of the data export (L16): an apprentice asks for everything about them, a worker loop
collects it (in a fixed number of queries) and writes a ZIP under var/data_exports, file by file;
the owner alone downloads it, for seven days, then housekeeping deletes it.

The apprentice's data is found through the apprentice (Contract.apprentice), never through their
company or the contract's state: an ended contract and an account the company let go (User.company
is None) export the same as before."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import shutil
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec
from piccolo.engine.postgres import PostgresEngine

from leokop.absences.service import _details as absence_details  # the absences feature's own format
from leokop.absences.tables import Absence, AbsenceEvent
from leokop.accounts.schemas import CurrentUser
from leokop.accounts.service import load_user
from leokop.accounts.tables import User
from leokop.audit import service as audit
from leokop.audit.tables import AuditRecord
from leokop.contracts.tables import Contract, ContractStaff, ReadingConsent
from leokop.conversations.tables import Message, MessageAttachment
from leokop.data_export import schemas as doc
from leokop.data_export.schemas import DataExportView
from leokop.data_export.tables import DataExport
from leokop.db import request_transaction
from leokop.errors import NotFound
from leokop.exports.service import render_log_pdf
from leokop.logbook import calendar, files
from leokop.logbook.tables import Attachment, Day, Entry, Phrase, Week
from leokop.notifications.service import notify
from leokop.notifications.tables import NotificationSetting
from leokop.settings import Settings
from leokop.signing.tables import Signature
from leokop.timeutil import as_aware_utc, utcnow

log = logging.getLogger("leokop.data_export")
T = TypeVar("T")

KEEP_FOR = dt.timedelta(days=7)
# A row still "running" this long after it was asked for lost its worker (killed mid-export): the
# export takes seconds, so it is failed and the person may start a new one.
ABANDONED_AFTER = dt.timedelta(hours=2)
POLL_SECONDS = 2.0
HOUSEKEEPING_SECONDS = 300.0
PENDING = ("queued", "running")
LISTED = 10
CHUNK = 1024 * 1024
# Photos and PDFs are compressed already: deflating them again costs time and saves nothing.
STORED_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
NOTIFICATION_KIND = "data_export"
PDF_MISSING = "log_pdf_missing"  # done, but a contract's PDF could not be made (the JSON has all data)


def export_dir(var_dir: str) -> Path:
    return Path(var_dir) / "data_exports"


def zip_path(var_dir: str, export_id: int) -> Path:
    return export_dir(var_dir) / f"{export_id}.zip"


def _is_postgres() -> bool:
    return isinstance(DataExport._meta.db, PostgresEngine)


# --- the person's side -------------------------------------------------------------------------------


async def request_export(user: CurrentUser) -> int:
    """Queue an export of everything about the user; returns its id. While one is queued or running,
    that one is returned instead (one at a time per person: a second click shows the running one).
    Runs in the request's write transaction; on PostgreSQL the person's row is locked so that two
    clicks at once cannot both insert."""
    if _is_postgres():
        await User.raw("SELECT id FROM app_user WHERE id = {} FOR UPDATE", user.id)
    running = await DataExport.select(DataExport.id).where(DataExport.user == user.id, DataExport.state.is_in(list(PENDING))).first()
    if running is not None:
        return running["id"]
    rows = await DataExport.insert(DataExport(user=user.id, state="queued", created_at=utcnow())).returning(DataExport.id)
    return rows[0]["id"]


def _view(row: dict) -> DataExportView:
    finished = as_aware_utc(row["finished_at"]) if row["finished_at"] else None
    return DataExportView(
        id=row["id"],
        state=row["state"],
        created_at=as_aware_utc(row["created_at"]),
        finished_at=finished,
        size=row["size"],
        error=row["error"],
        delete_at=finished + KEEP_FOR if finished and row["state"] in ("done", "expired") else None,
    )


async def exports_of(user: CurrentUser) -> list[DataExportView]:
    """The person's latest exports, newest first. One query."""
    rows = await DataExport.select(
        DataExport.id, DataExport.state, DataExport.created_at, DataExport.finished_at, DataExport.size, DataExport.error
    ).where(DataExport.user == user.id).order_by(DataExport.id, ascending=False).limit(LISTED)
    return [_view(row) for row in rows]


async def download(user: CurrentUser, var_dir: str, export_id: int) -> tuple[Path, DataExportView]:
    """The finished ZIP of one of the person's own exports. Anyone else's export, one that is not
    finished, or one whose file is gone: NotFound (the three are never told apart)."""
    row = await DataExport.select(
        DataExport.id, DataExport.state, DataExport.created_at, DataExport.finished_at, DataExport.size, DataExport.error
    ).where(DataExport.id == export_id, DataExport.user == user.id, DataExport.state == "done").first()
    path = zip_path(var_dir, export_id)
    if row is None or not path.is_file():
        raise NotFound()
    return path, _view(row)


# --- collecting the document ---------------------------------------------------------------------------


class Planned(msgspec.Struct, frozen=True):
    """A stored file to copy into the ZIP."""

    source: Path
    path: str
    content_type: str


def _ts(value: dt.datetime | None) -> dt.datetime | None:
    return as_aware_utc(value) if value is not None else None


def _zip_name(attachment_id: int, filename: str, content_type: str) -> str:
    try:
        name = files.safe_filename(filename, content_type)
    except KeyError:  # a type the upload rules do not know (any more): keep the plain name
        name = "".join(c for c in Path(filename or "").name if c.isalnum() or c in " ._-")[:80].strip() or "anhang"
    return f"{attachment_id}-{name}"


def _attachment(row: dict, var_dir: str, folder: str, planned: list[Planned], entry_id: int | None = None) -> doc.Attachment:
    source = files.path_for(var_dir, row["sha256"])
    path = None
    if source.is_file():
        path = f"{folder}/{_zip_name(row['id'], row['filename'], row['content_type'])}"
        planned.append(Planned(source, path, row["content_type"]))
    return doc.Attachment(
        id=row["id"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        sha256=row["sha256"],
        path=path,
        entry_id=entry_id,
        uploaded_at=as_aware_utc(row["created_at"]),
    )


def _grouped(rows: list[dict], key: str | Callable[[dict], object], make: Callable[[dict], T]) -> defaultdict[object, list[T]]:
    """The rows made into Structs and grouped by a column (or what `key` makes of a row), in order."""
    grouped: defaultdict[object, list[T]] = defaultdict(list)
    for row in rows:
        grouped[row[key] if isinstance(key, str) else key(row)].append(make(row))
    return grouped


def _signature(row: dict) -> doc.Signature:
    return doc.Signature(
        kind=row["kind"],
        signer_name=row["signer_name"],
        signer_role=row["signer_role"],
        on_behalf_of=row["on_behalf_name"],
        signed_at=as_aware_utc(row["signed_at"]),
        content_hash=row["content_hash"],
        voided_at=_ts(row["voided_at"]),
        void_reason=row["void_reason"],
    )


def _return(row: dict) -> doc.Return:
    """A return or reopen from its audit record (audit.canonical wrote the payload)."""
    data = msgspec.json.decode(row["payload"]).get("data", {})
    return doc.Return(
        action=row["action"].removeprefix("week."),
        by_name=str(data.get("signer_name", "")),
        by_role=str(data.get("role", "")),
        at=as_aware_utc(row["at"]),
        reason=str(data.get("reason", "")),
    )


def _absence(row: dict, history: list[doc.AbsenceEvent]) -> doc.Absence:
    return doc.Absence(
        id=row["id"],
        date=row["date"],
        whole_day=row["whole_day"],
        first_lesson=row["first_lesson"],
        last_lesson=row["last_lesson"],
        note=row["note"],
        status=row["status"],
        company_reason=row["company_reason"],
        company_note=row["company_note"],
        recorded_by=row["recorded_by_name"] or "",
        created_at=as_aware_utc(row["created_at"]),
        updated_at=as_aware_utc(row["updated_at"]),
        history=history,
    )


def pdf_name(contract_id: int) -> str:
    return f"ausbildungsnachweis-{contract_id}.pdf"


async def collect(user_id: int, var_dir: str) -> tuple[doc.DataExportDocument, list[Planned]]:
    """Everything about the person as the export document (its `files` still empty) and the stored
    files to copy. Sixteen queries, however many contracts, weeks, entries and messages there are;
    the caller runs them in one read transaction so that the document is one consistent moment."""
    person = await User.select(
        User.id, User.display_name, User.email, User.role, User.birth_date, User.phone, User.created_at,
        User.company.name.as_alias("company_name"),
    ).where(User.id == user_id).first()
    if person is None:
        raise NotFound()
    own = Contract.select(Contract.id).where(Contract.apprentice == user_id)
    c = Contract
    contracts = await c.select(
        c.id,
        c.company.name.as_alias("company_name"),
        c.occupation.name_neutral.as_alias("occupation_name"),
        c.start_date,
        c.end_date,
        c.log_form,
        c.log_mode,
        c.daily_minutes,
        c.school.name.as_alias("school_name"),
        c.school_class.name.as_alias("school_class_name"),
        c.absence_basis,
        c.share_sick_days,
    ).where(c.apprentice == user_id).order_by(c.start_date).order_by(c.id)
    staff = await ContractStaff.select(
        ContractStaff.contract, ContractStaff.kind, ContractStaff.user.display_name.as_alias("name")
    ).where(ContractStaff.contract.is_in(own)).order_by(ContractStaff.id)
    consents = {
        r["contract"]: r
        for r in await ReadingConsent.select(
            ReadingConsent.contract, ReadingConsent.apprentice_consented_at, ReadingConsent.company_withdrawn_at
        ).where(ReadingConsent.contract.is_in(own))
    }
    weeks = await Week.select(
        Week.id, Week.contract, Week.monday, Week.state, Week.submitted_at, Week.return_reason
    ).where(Week.contract.is_in(own)).order_by(Week.monday)
    days = await Day.select(Day.week, Day.date, Day.status, Day.note).where(Day.week.contract.is_in(own)).order_by(Day.date)
    entries = await Entry.select(Entry.id, Entry.week, Entry.day, Entry.category, Entry.text, Entry.minutes).where(
        Entry.week.contract.is_in(own)
    ).order_by(Entry.day).order_by(Entry.position).order_by(Entry.id)
    signatures = await Signature.select(
        Signature.week, Signature.kind, Signature.signer_name, Signature.signer_role, Signature.on_behalf_name,
        Signature.signed_at, Signature.content_hash, Signature.voided_at, Signature.void_reason,
    ).where(Signature.contract.is_in(own)).order_by(Signature.signed_at).order_by(Signature.id)
    # Week.return_reason holds only the latest reason; the audit trail has every one.
    returns = await AuditRecord.select(AuditRecord.contract, AuditRecord.subject, AuditRecord.action, AuditRecord.at, AuditRecord.payload).where(
        AuditRecord.contract.is_in(own), AuditRecord.action.is_in(["week.returned", "week.reopened"])
    ).order_by(AuditRecord.contract).order_by(AuditRecord.seq)
    attachments = await Attachment.select(
        Attachment.id, Attachment.week, Attachment.entry, Attachment.filename, Attachment.content_type,
        Attachment.size, Attachment.sha256, Attachment.created_at,
    ).where(Attachment.week.contract.is_in(own)).order_by(Attachment.id)
    absences = await Absence.select(
        Absence.id, Absence.contract, Absence.date, Absence.whole_day, Absence.first_lesson, Absence.last_lesson,
        Absence.note, Absence.status, Absence.company_reason, Absence.company_note,
        Absence.recorded_by.display_name.as_alias("recorded_by_name"), Absence.created_at, Absence.updated_at,
    ).where(Absence.contract.is_in(own)).order_by(Absence.date).order_by(Absence.id)
    events = await AbsenceEvent.select(
        AbsenceEvent.absence, AbsenceEvent.action, AbsenceEvent.actor_name, AbsenceEvent.created_at, AbsenceEvent.details
    ).where(AbsenceEvent.absence.contract.is_in(own)).order_by(AbsenceEvent.id)
    # Only the conversation the apprentice takes part in (contacts.circle): never the staff one.
    messages = await Message.select(
        Message.id, Message.conversation.contract.as_alias("contract"), Message.author_name, Message.body, Message.created_at
    ).where(Message.conversation.contract.is_in(own), Message.conversation.kind == "with_apprentice").order_by(Message.id)
    message_files = await MessageAttachment.select(
        MessageAttachment.id, MessageAttachment.message, MessageAttachment.filename, MessageAttachment.content_type,
        MessageAttachment.size, MessageAttachment.sha256, MessageAttachment.created_at,
    ).where(
        MessageAttachment.message.conversation.contract.is_in(own), MessageAttachment.message.conversation.kind == "with_apprentice"
    ).order_by(MessageAttachment.id)
    phrases = await Phrase.select(Phrase.text, Phrase.created_at).where(Phrase.user == user_id).order_by(Phrase.id)
    setting = await NotificationSetting.select(
        NotificationSetting.muted_kinds, NotificationSetting.quiet_from, NotificationSetting.quiet_until, NotificationSetting.weekend_quiet
    ).where(NotificationSetting.user == user_id).first()

    planned: list[Planned] = []
    staff_of: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in staff:
        staff_of[row["contract"]][row["kind"]].append(row["name"])
    days_of = _grouped(days, "week", lambda r: doc.Day(date=r["date"], status=r["status"], note=r["note"]))
    entries_of = _grouped(
        entries, "week", lambda r: doc.Entry(id=r["id"], date=r["day"], category=r["category"], text=r["text"], minutes=r["minutes"])
    )
    signatures_of = _grouped(signatures, "week", _signature)
    returns_of = _grouped(returns, lambda r: (r["contract"], r["subject"]), _return)
    contract_of_week = {row["id"]: row["contract"] for row in weeks}
    monday_of_week = {row["id"]: row["monday"] for row in weeks}
    attachments_of = _grouped(
        attachments,
        "week",
        lambda r: _attachment(
            r, var_dir, f"anhaenge/nachweis/{contract_of_week[r['week']]}/{monday_of_week[r['week']].isoformat()}", planned, r["entry"]
        ),
    )
    start_of = {row["id"]: row["start_date"] for row in contracts}

    def week(row: dict) -> doc.Week:
        start, monday = start_of[row["contract"]], row["monday"]
        iso = monday.isocalendar()
        return doc.Week(
            number=calendar.sheet_number(start, monday),
            monday=monday,
            iso_year=iso.year,
            iso_week=iso.week,
            training_year=calendar.training_year(start, max(monday, start)),
            state=row["state"],
            submitted_at=_ts(row["submitted_at"]),
            return_reason=row["return_reason"],
            days=days_of[row["id"]],
            entries=entries_of[row["id"]],
            signatures=signatures_of[row["id"]],
            returns=returns_of[(row["contract"], f"week:{monday.isoformat()}")],
            attachments=attachments_of[row["id"]],
        )

    weeks_of = _grouped(weeks, "contract", week)
    history_of = _grouped(
        events,
        "absence",
        lambda r: doc.AbsenceEvent(action=r["action"], actor_name=r["actor_name"], at=as_aware_utc(r["created_at"]), details=absence_details(r["details"])),
    )
    absences_of = _grouped(absences, "contract", lambda r: _absence(r, history_of[r["id"]]))
    contract_of_message = {row["id"]: row["contract"] for row in messages}
    message_attachments = _grouped(
        message_files, "message", lambda r: _attachment(r, var_dir, f"anhaenge/nachrichten/{contract_of_message[r['message']]}", planned)
    )
    messages_of = _grouped(
        messages,
        "contract",
        lambda r: doc.Message(
            id=r["id"], author_name=r["author_name"], written_at=as_aware_utc(r["created_at"]), body=r["body"], attachments=message_attachments[r["id"]]
        ),
    )

    def consent(contract_id: int) -> doc.ReadingConsent:
        row = consents.get(contract_id, {})
        given, withdrawn = _ts(row.get("apprentice_consented_at")), _ts(row.get("company_withdrawn_at"))
        return doc.ReadingConsent(teachers_may_read=given is not None and withdrawn is None, apprentice_consented_at=given, company_withdrawn_at=withdrawn)

    document = doc.DataExportDocument(
        format=doc.FORMAT,
        schema_version=doc.SCHEMA_VERSION,
        exported_at=utcnow(),
        profile=doc.Profile(
            id=person["id"],
            name=person["display_name"],
            email=person["email"],
            role=person["role"],
            birth_date=person["birth_date"],
            phone=person["phone"],
            created_at=as_aware_utc(person["created_at"]),
            company=person["company_name"],
        ),
        contracts=[
            doc.Contract(
                id=row["id"],
                company=row["company_name"],
                occupation=row["occupation_name"],
                start_date=row["start_date"],
                end_date=row["end_date"],
                log_form=row["log_form"],
                log_mode=row["log_mode"],
                daily_minutes=row["daily_minutes"],
                school=row["school_name"],
                school_class=row["school_class_name"],
                trainers=staff_of[row["id"]]["trainer"],
                instructors=staff_of[row["id"]]["instructor"],
                reading_consent=consent(row["id"]),
                absence_basis=row["absence_basis"],
                share_sick_days=row["share_sick_days"],
                log_pdf=pdf_name(row["id"]),
                weeks=weeks_of[row["id"]],
                absences=absences_of[row["id"]],
                messages=messages_of[row["id"]],
            )
            for row in contracts
        ],
        phrases=[doc.Phrase(text=row["text"], created_at=as_aware_utc(row["created_at"])) for row in phrases],
        notification_settings=doc.NotificationSettings(
            muted_kinds=[kind for kind in (setting or {}).get("muted_kinds", "").split(",") if kind],
            quiet_from=setting["quiet_from"] if setting else 20,
            quiet_until=setting["quiet_until"] if setting else 7,
            weekend_quiet=setting["weekend_quiet"] if setting else True,
        ),
        files=[],
    )
    return document, planned


# --- writing the ZIP -----------------------------------------------------------------------------------


def _add_file(archive: zipfile.ZipFile, source: Path, path: str, content_type: str) -> doc.File:
    """Copy one file into the archive in chunks (never whole in memory), hashing what was copied."""
    digest = hashlib.sha256()
    size = 0
    compress = zipfile.ZIP_STORED if content_type in STORED_TYPES else zipfile.ZIP_DEFLATED
    stat = source.stat()
    info = zipfile.ZipInfo(path, date_time=time.localtime(stat.st_mtime)[:6])
    info.compress_type = compress
    info.file_size = stat.st_size  # lets zipfile choose ZIP64 only for a file that needs it
    with source.open("rb") as reader, archive.open(info, "w") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
    return doc.File(path=path, size=size, sha256=digest.hexdigest())


async def _render_pdf(settings: Settings, contract_id: int, out: Path, actor: CurrentUser) -> bool:
    """The contract's whole log as PDF/A (exports.service, which also records the export and its
    verification codes). False when it could not be made: the JSON still has every fact."""
    try:
        await render_log_pdf(contract_id, out, actor=actor, base_url=settings.effective_base_url, settings=settings)
    except Exception:  # noqa: BLE001 - one log's PDF must not cost the person the rest of their data
        log.exception("data export: PDF of contract %s failed", contract_id)
        out.unlink(missing_ok=True)
        return False
    return out.is_file()


async def write_zip(
    settings: Settings, export_id: int, document: doc.DataExportDocument, planned: list[Planned], actor: CurrentUser
) -> tuple[Path, bool]:
    """Write the export's ZIP: each contract's PDF, every attachment, then the JSON with the list of
    files and their checksums. Written as <id>.zip.part and renamed when complete; returns the path
    and whether every PDF was made."""
    target = zip_path(settings.var_dir, export_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    work = target.with_name(f"{export_id}.work")
    work.mkdir(exist_ok=True)
    added: list[doc.File] = []
    contracts = []
    all_pdfs = True
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for contract in document.contracts:
                pdf = work / pdf_name(contract.id)
                if await _render_pdf(settings, contract.id, pdf, actor):
                    added.append(await asyncio.to_thread(_add_file, archive, pdf, pdf_name(contract.id), "application/pdf"))
                    pdf.unlink()
                    contracts.append(contract)
                else:
                    all_pdfs = False
                    contracts.append(msgspec.structs.replace(contract, log_pdf=None))
            for item in planned:
                added.append(await asyncio.to_thread(_add_file, archive, item.source, item.path, item.content_type))
            final = msgspec.structs.replace(document, contracts=contracts, files=added)
            body = msgspec.json.format(msgspec.json.encode(final), indent=2)
            await asyncio.to_thread(archive.writestr, doc.JSON_NAME, body, zipfile.ZIP_DEFLATED)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target, all_pdfs


# --- the job ------------------------------------------------------------------------------------------


async def claim_next() -> dict | None:
    """Take the oldest queued export for this worker: the UPDATE only changes a row that is still
    queued, so two workers (processes, machines) never run the same export; on PostgreSQL the row is
    also locked with SKIP LOCKED so that workers pass each other instead of waiting."""
    engine = DataExport._meta.db
    async with request_transaction(engine, write=True):
        candidates = DataExport.select(DataExport.id).where(DataExport.state == "queued").order_by(DataExport.id).limit(1)
        if isinstance(engine, PostgresEngine):
            candidates = candidates.lock_rows("UPDATE", skip_locked=True, of=(DataExport,))
        found = await candidates
        if not found:
            return None
        claimed = await DataExport.update({DataExport.state: "running"}).where(
            DataExport.id == found[0]["id"], DataExport.state == "queued"
        ).returning(DataExport.id, DataExport.user)
        return claimed[0] if claimed else None


async def _fail(export_id: int, code: str) -> None:
    async with request_transaction(DataExport._meta.db, write=True):
        await DataExport.update({DataExport.state: "failed", DataExport.finished_at: utcnow(), DataExport.error: code[:200]}).where(
            DataExport.id == export_id, DataExport.state == "running"
        )


async def run_export(settings: Settings, export_id: int, user_id: int) -> None:
    """Make one claimed export: collect (one read transaction), write the ZIP (no transaction held
    while files are copied and PDFs rendered), then in one write transaction mark it done, add a
    "data.exported" record to the audit trail of every contract in it, and tell the person."""
    engine = DataExport._meta.db
    try:
        async with request_transaction(engine, write=False):
            actor = await load_user(user_id)
            document, planned = await collect(user_id, settings.var_dir)
        path, all_pdfs = await write_zip(settings, export_id, document, planned, actor)
        async with request_transaction(engine, write=True):
            done = await DataExport.update(
                {
                    DataExport.state: "done",
                    DataExport.finished_at: utcnow(),
                    DataExport.size: path.stat().st_size,
                    DataExport.error: "" if all_pdfs else PDF_MISSING,
                }
            ).where(DataExport.id == export_id, DataExport.state == "running").returning(DataExport.id)
            if not done:  # failed as abandoned meanwhile: its file is not offered
                path.unlink(missing_ok=True)
                return
            for contract in document.contracts:
                await audit.append(contract.id, actor, "data.exported", "data_export", {"export": export_id, "format": doc.FORMAT})
            # No personal data: the push payload is this title and the address of the page.
            await notify(
                user_id,
                NOTIFICATION_KIND,
                "Ihr Datenexport ist fertig und kann heruntergeladen werden.",
                "/account/datenexport",
                dedupe_key=f"data_export:{export_id}",
            )
        log.info("data export done", extra={"data_export_id": export_id, "bytes": path.stat().st_size})
    except Exception as error:  # noqa: BLE001 - the row must say it failed, whatever happened
        log.exception("data export %s failed", export_id)
        zip_path(settings.var_dir, export_id).unlink(missing_ok=True)
        await _fail(export_id, type(error).__name__)


async def run_next(settings: Settings) -> bool:
    """Claim and make one export; whether there was one."""
    job = await claim_next()
    if job is None:
        return False
    await run_export(settings, job["id"], job["user"])
    return True


async def housekeeping(settings: Settings, now: dt.datetime | None = None) -> int:
    """Delete the files of exports finished more than seven days ago (the row stays, state
    "expired"), and fail exports whose worker died. Returns how many files were deleted."""
    now = now or utcnow()
    async with request_transaction(DataExport._meta.db, write=True):
        expired = await DataExport.update({DataExport.state: "expired"}).where(
            DataExport.state == "done", DataExport.finished_at < now - KEEP_FOR
        ).returning(DataExport.id)
        abandoned = await DataExport.update(
            {DataExport.state: "failed", DataExport.finished_at: now, DataExport.error: "abandoned"}
        ).where(DataExport.state == "running", DataExport.created_at < now - ABANDONED_AFTER).returning(DataExport.id)
    for row in expired + abandoned:
        zip_path(settings.var_dir, row["id"]).unlink(missing_ok=True)
    return len(expired)


async def run_data_export_worker(settings: Settings, stop: asyncio.Event) -> None:
    """The in-process export job loop (safe in several processes, see claim_next): one export after
    the other while there are any, else a look every two seconds; housekeeping every five minutes."""
    last_housekeeping = float("-inf")
    while not stop.is_set():
        busy = False
        try:
            if time.monotonic() - last_housekeeping >= HOUSEKEEPING_SECONDS:
                await housekeeping(settings)
                last_housekeeping = time.monotonic()
            busy = await run_next(settings)
        except Exception:  # noqa: BLE001 - the loop must survive a bad database moment
            log.exception("data export round failed")
        if busy:
            continue
        try:
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
        except asyncio.TimeoutError:
            pass
