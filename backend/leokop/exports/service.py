"""Rules of the PDF export: who may export what, the export job (queue, claim, render, progress),
the verification codes of the sheets, and what /verify answers for a code or an uploaded file."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import secrets
import shutil
from pathlib import Path

import msgspec
from piccolo.engine.postgres import PostgresEngine

from leokop.accounts.schemas import CurrentUser
from leokop.audit import service as audit
from leokop.contracts.service import visible_contract
from leokop.contracts.tables import Contract
from leokop.db import request_transaction
from leokop.errors import NotFound, ValidationFailed
from leokop.exports import pdf
from leokop.exports.document import NothingToExport, SheetSignature, load_document
from leokop.exports.tables import Export, ExportSheet
from leokop.logbook import calendar
from leokop.logbook.tables import Week
from leokop.notifications.service import notify
from leokop.settings import Settings, load_settings
from leokop.signing.service import load_contents
from leokop.signing import content as signed_content
from leokop.timeutil import as_aware_utc, to_berlin, today_berlin, utcnow

log = logging.getLogger("leokop.exports")

# A job that ran longer than this tells its owner when it is ready (shorter ones are awaited on screen).
NOTIFY_AFTER = dt.timedelta(seconds=3)
# A claimed job whose worker died is taken again after this.
LEASE = dt.timedelta(minutes=10)
# Files are kept this long for downloading again; the sheets stay verifiable for ever.
KEEP_FILES = dt.timedelta(days=7)
PROGRESS_EVERY_SECONDS = 0.5
# Within the app's request limit (11 MB); a three-year log is under 1 MB.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Set when a job is queued in this process, so its worker starts at once instead of at the next poll
# (made anew by each worker loop, on its event loop).
wake = asyncio.Event()


# --- files and codes ----------------------------------------------------------------------------


def export_path(export_id: int, var_dir: str | None = None) -> Path:
    """var/exports/<id>.pdf (the var folder of the settings when not given)."""
    return Path(var_dir or load_settings().var_dir) / "exports" / f"{export_id}.pdf"


def new_code() -> str:
    """Twelve characters of Crockford's base 32: 60 random bits, nothing to guess."""
    return "".join(secrets.choice(pdf.CODE_ALPHABET) for _ in range(12))


# --- asking for an export -----------------------------------------------------------------------


class ExportRange(msgspec.Struct, frozen=True):
    first_monday: dt.date
    last_monday: dt.date
    weeks: int


def choose_range(start: dt.date, end: dt.date, first: dt.date | None, last: dt.date | None) -> ExportRange:
    """The weeks from `first` to `last` (any day of a week; None: the contract's first week, and
    its last or this week, whichever is earlier), checked against the contract. German messages
    for the form: ValidationFailed."""
    mondays = calendar.contract_weeks(start, end)
    low = calendar.monday_of(first) if first else mondays[0]
    # Without an end: up to this week while the contract runs (future weeks are empty sheets).
    high = calendar.monday_of(last) if last else max(mondays[0], min(mondays[-1], calendar.monday_of(today_berlin())))
    errors = {}
    if first and not (mondays[0] <= low <= mondays[-1]):
        errors["first"] = "export_outside_contract"
    if last and not (mondays[0] <= high <= mondays[-1]):
        errors["last"] = "export_outside_contract"
    if not errors and high < low:
        errors["last"] = "export_range_reversed"
    if errors:
        raise ValidationFailed(errors)
    return ExportRange(low, high, sum(1 for m in mondays if low <= m <= high))


async def request_export(user: CurrentUser, contract_id: int, first: dt.date | None, last: dt.date | None) -> int:
    """Queue a PDF of the weeks `first`..`last` of a contract the user may see; returns the job id."""
    contract = await visible_contract(user, contract_id, Contract.start_date, Contract.end_date)
    export_id = await _queue(contract_id, user, choose_range(contract["start_date"], contract["end_date"], first, last), {})
    wake.set()
    return export_id


async def _queue(contract_id: int, actor: CurrentUser | None, chosen: ExportRange, why: dict) -> int:
    """The job row, and the export in the contract's audit trail (every export is recorded)."""
    row = await Export.insert(
        Export(
            contract=contract_id,
            requested_by=actor.id if actor else None,
            first_monday=chosen.first_monday,
            last_monday=chosen.last_monday,
            weeks_total=chosen.weeks,
            created_at=utcnow(),
        )
    ).returning(Export.id)
    export_id = row[0]["id"]
    data = {"format": "pdf", "export": export_id, "first": chosen.first_monday.isoformat(), "last": chosen.last_monday.isoformat()}
    await audit.append(contract_id, actor, "log.exported", "log", data | why)
    return export_id


async def export_now(user: CurrentUser, contract_id: int, first: dt.date | None, last: dt.date | None, settings: Settings) -> int:
    """Render at once, in the request (one week takes a few hundredths of a second)."""
    export_id = await request_export(user, contract_id, first, last)
    job = await _claim(export_id, utcnow())
    await run_export(job, settings)
    return export_id


async def render_log_pdf(contract_id: int, out: Path, *, actor: CurrentUser | None, base_url: str, settings: Settings | None = None) -> int:
    """The whole log of a contract as PDF/A, written to `out` and recorded like every export (its
    sheets verify); for the data export, which has checked who asks. Returns the export id."""
    settings = msgspec.structs.replace(settings or load_settings(), base_url=base_url)
    contract = await Contract.select(Contract.start_date, Contract.end_date).where(Contract.id == contract_id).first()
    if contract is None:
        raise NotFound()
    chosen = choose_range(contract["start_date"], contract["end_date"], None, None)
    export_id = await _queue(contract_id, actor, chosen, {"for": "data_export"})
    await run_export(await _claim(export_id, utcnow()), settings)
    shutil.copyfile(export_path(export_id, settings.var_dir), out)
    return export_id


async def _claim(export_id: int, now: dt.datetime) -> dict:
    rows = await Export.update({Export.state: "running", Export.started_at: now}).where(
        Export.id == export_id, Export.state == "queued"
    ).returning(*_JOB_COLUMNS)
    return rows[0]


class ExportView(msgspec.Struct, frozen=True):
    id: int
    contract_id: int
    state: str
    weeks_done: int
    weeks_total: int
    first_monday: dt.date
    last_monday: dt.date
    created_at: dt.datetime
    finished_at: dt.datetime | None
    size: int
    pages: int
    file_present: bool
    error: str

    @property
    def percent(self) -> int:
        return 100 if self.state == "done" else int(100 * self.weeks_done / self.weeks_total) if self.weeks_total else 0


async def export_of(user: CurrentUser, export_id: int, var_dir: str) -> ExportView:
    """An export job of this user (anyone else's: NotFound, also the same company's)."""
    row = await Export.select(
        Export.id,
        Export.contract,
        Export.state,
        Export.weeks_done,
        Export.weeks_total,
        Export.first_monday,
        Export.last_monday,
        Export.created_at,
        Export.finished_at,
        Export.size,
        Export.pages,
        Export.error,
    ).where(Export.id == export_id, Export.requested_by == user.id).first()
    if row is None:
        raise NotFound()
    return ExportView(
        id=row["id"],
        contract_id=row["contract"],
        state=row["state"],
        weeks_done=row["weeks_done"],
        weeks_total=row["weeks_total"],
        first_monday=row["first_monday"],
        last_monday=row["last_monday"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        size=row["size"],
        pages=row["pages"],
        file_present=row["state"] == "done" and export_path(row["id"], var_dir).exists(),
        error=row["error"],
    )


async def recent_exports(user: CurrentUser, contract_id: int, limit: int = 5) -> list[dict]:
    return await Export.select(
        Export.id, Export.state, Export.first_monday, Export.last_monday, Export.created_at, Export.pages
    ).where(Export.contract == contract_id, Export.requested_by == user.id).order_by(Export.id, ascending=False).limit(limit)


async def latest_log_export(contract_id: int, var_dir: str | None = None) -> int | None:
    """The newest finished PDF of a contract's whole log (from its first week to its end, or to the
    week it was made in) whose file is still there (for share links)."""
    contract = await Contract.select(Contract.start_date, Contract.end_date).where(Contract.id == contract_id).first()
    if contract is None:
        return None
    mondays = calendar.contract_weeks(contract["start_date"], contract["end_date"])
    rows = await Export.select(Export.id, Export.last_monday, Export.created_at).where(
        Export.contract == contract_id, Export.state == "done", Export.first_monday == mondays[0]
    ).order_by(Export.id, ascending=False).limit(5)
    for row in rows:
        made_in = calendar.monday_of(to_berlin(row["created_at"]).date())
        whole = row["last_monday"] >= min(mondays[-1], made_in)
        if whole and export_path(row["id"], var_dir).exists():
            return row["id"]
    return None


# --- the job --------------------------------------------------------------------------------------


_JOB_COLUMNS = (Export.id, Export.contract, Export.requested_by, Export.first_monday, Export.last_monday, Export.created_at)


async def claim_export(now: dt.datetime) -> dict | None:
    """Take the oldest queued job (or one whose worker died) by compare-and-set, SKIP LOCKED on
    PostgreSQL: with several workers, each job is rendered once."""
    engine = Export._meta.db
    due = (Export.state == "queued") | ((Export.state == "running") & (Export.started_at < now - LEASE))
    async with request_transaction(engine, write=True):
        candidates = Export.select(Export.id).where(due).order_by(Export.id).limit(1)
        if isinstance(engine, PostgresEngine):
            candidates = candidates.lock_rows("UPDATE", skip_locked=True, of=(Export,))
        found = await candidates
        if not found:
            return None
        claimed = await Export.update({Export.state: "running", Export.started_at: now, Export.weeks_done: 0}).where(
            Export.id == found[0]["id"], due
        ).returning(*_JOB_COLUMNS)
        return claimed[0] if claimed else None


async def run_export(job: dict, settings: Settings) -> None:
    """Render a claimed job: load, render in a thread (progress written every half second), mark it
    done with the file's hash, store the sheets with their codes, then their text hashes."""
    engine = Export._meta.db
    exported_at = utcnow()
    async with request_transaction(engine, write=False):
        document = await load_document(job["contract"], job["first_monday"], job["last_monday"], exported_at)
    codes = {sheet.monday: new_code() for sheet in document.sheets}
    target = export_path(job["id"], settings.var_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    done = {"weeks": 0}

    async def report_progress() -> None:
        last = -1
        while True:
            await asyncio.sleep(PROGRESS_EVERY_SECONDS)
            if done["weeks"] != last:
                last = done["weeks"]
                await Export.update({Export.weeks_done: last}).where(Export.id == job["id"])

    reporter = asyncio.create_task(report_progress())
    try:
        layout = await asyncio.to_thread(
            pdf.render, document, codes, partial, base_url=settings.effective_base_url, progress=lambda n: done.__setitem__("weeks", n)
        )
    finally:
        reporter.cancel()
    partial.replace(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    finished = utcnow()
    by_monday = {sheet.monday: sheet for sheet in document.sheets}
    approvals = {sheet.monday: _last_approval(sheet) for sheet in document.sheets}
    async with request_transaction(engine, write=True):
        await ExportSheet.insert(
            *[
                ExportSheet(
                    export=job["id"],
                    contract=job["contract"],
                    code=placed.code,
                    monday=placed.monday,
                    number=by_monday[placed.monday].number,
                    week_state=by_monday[placed.monday].state,
                    content_hash=by_monday[placed.monday].content_hash,
                    approved_by=approvals[placed.monday].signer if approvals[placed.monday] else "",
                    approved_at=approvals[placed.monday].signed_at if approvals[placed.monday] else None,
                    first_page=placed.first_page,
                    last_page=placed.last_page,
                )
                for placed in layout.sheets
            ]
        )
        await Export.update(
            {
                Export.state: "done",
                Export.weeks_done: len(document.sheets),
                Export.finished_at: finished,
                Export.file_sha256: digest,
                Export.size: target.stat().st_size,
                Export.pages: layout.pages,
            }
        ).where(Export.id == job["id"])
        if job["requested_by"] and finished - as_aware_utc(job["created_at"]) > NOTIFY_AFTER:
            await notify(job["requested_by"], "pdf_export", "Ihr PDF-Export ist fertig", f"/exports/{job['id']}", dedupe_key=f"pdf_export:{job['id']}")
    # The sheets' text as an independent reader sees it, for checking uploaded files; after the
    # file is ready because it costs a fifth of the rendering and nobody waits for it.
    texts = await asyncio.to_thread(pdf.page_texts, target)
    hashes = [(placed.code, pdf.text_hash(texts[placed.first_page - 1 : placed.last_page])) for placed in layout.sheets]
    # One statement for all sheets (not one UPDATE per week).
    cases = " ".join("WHEN {} THEN {}" for _ in hashes)
    async with request_transaction(engine, write=True):
        await ExportSheet.raw(
            f'UPDATE {ExportSheet._meta.tablename} SET text_hash = CASE code {cases} END WHERE "export" = {{}}',
            *[value for pair in hashes for value in pair],
            job["id"],
        )


def _last_approval(sheet) -> SheetSignature | None:
    approvals = [s for s in sheet.signatures if s.kind == "approval"]
    return approvals[-1] if approvals else None


async def fail_export(export_id: int, reason: str) -> None:
    await Export.update({Export.state: "failed", Export.error: reason[:200], Export.finished_at: utcnow()}).where(Export.id == export_id)


async def remove_old_files(now: dt.datetime, var_dir: str) -> int:
    """Delete files older than KEEP_FILES (the rows stay: their sheets remain verifiable)."""
    rows = await Export.select(Export.id).where(Export.state == "done", Export.finished_at < now - KEEP_FILES, Export.size > 0)
    for row in rows:
        export_path(row["id"], var_dir).unlink(missing_ok=True)
    if rows:
        await Export.update({Export.size: 0}).where(Export.id.is_in([r["id"] for r in rows]))
    return len(rows)


async def run_export_worker(settings: Settings, stop: asyncio.Event, poll_seconds: float = 2.0) -> None:
    """The export job loop of one process: a job at a time (rendering is CPU work), woken at once
    by a job queued in this process, otherwise polling for jobs queued by other processes."""
    global wake
    wake = asyncio.Event()
    last_cleanup = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    while not stop.is_set():
        job = None
        try:
            now = utcnow()
            if now - last_cleanup > dt.timedelta(hours=1):
                await remove_old_files(now, settings.var_dir)
                last_cleanup = now
            job = await claim_export(now)
            if job is not None:
                await run_export(job, settings)
                continue
        except NothingToExport:
            await fail_export(job["id"], "Der Zeitraum enthält keine Woche des Vertrags.")
            continue
        except Exception:  # noqa: BLE001 - one broken export must not stop the others
            log.exception("export failed")
            if job is not None:
                await fail_export(job["id"], "Der Export ist fehlgeschlagen.")
            continue
        wake.clear()
        try:
            await asyncio.wait_for(_first(stop, wake), timeout=poll_seconds)
        except asyncio.TimeoutError:
            pass


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


# --- verification ---------------------------------------------------------------------------------


class SheetCheck(msgspec.Struct, frozen=True):
    """What /verify shows for one sheet: only the minimum, never the content or the name."""

    code: str
    found: bool
    valid: bool = False
    number: int = 0
    monday: dt.date | None = None
    iso_week: int = 0
    iso_year: int = 0
    week_state_then: str = ""
    week_state_now: str = ""
    approved_by: str = ""
    approved_at: dt.datetime | None = None
    fingerprint: str = ""
    exported_at: dt.datetime | None = None
    changed_since: bool = False  # the week's content is no longer what was exported
    text_matches: bool | None = None  # for an uploaded file: the sheet's text is the exported text

    @property
    def friday(self) -> dt.date | None:
        return self.monday + dt.timedelta(days=4) if self.monday else None

    @property
    def holds(self) -> bool:
        """Valid, and (for an uploaded file) with the exported text."""
        return self.found and self.valid and self.text_matches is not False


async def check_codes(codes: list[str]) -> tuple[dict[str, SheetCheck], dict[str, str]]:
    """The sheets with these codes against the record now, in three queries, and their stored text
    hashes. A sheet is valid while its week has the exported content and, if it was approved then,
    is still approved (a reopen voids the paper even before anything is changed)."""
    codes = list(dict.fromkeys(c for c in codes if c))
    if not codes:
        return {}, {}
    rows = await ExportSheet.select(
        ExportSheet.code,
        ExportSheet.contract,
        ExportSheet.monday,
        ExportSheet.number,
        ExportSheet.week_state,
        ExportSheet.content_hash,
        ExportSheet.approved_by,
        ExportSheet.approved_at,
        ExportSheet.text_hash,
        ExportSheet.export.finished_at.as_alias("exported_at"),
    ).where(ExportSheet.code.is_in(codes))
    weeks: dict[tuple[int, dt.date], dict] = {}
    if rows:
        # By contract and Monday lists (a chain of ORs per sheet overflows SQLite's parser), then
        # the pairs that were asked for.
        wanted = {(row["contract"], row["monday"]) for row in rows}
        for week in await Week.select(Week.id, Week.contract, Week.monday, Week.state).where(
            Week.contract.is_in(list({c for c, _ in wanted})), Week.monday.is_in(list({m for _, m in wanted}))
        ):
            if (week["contract"], week["monday"]) in wanted:
                weeks[(week["contract"], week["monday"])] = week
    contents = await load_contents({w["id"]: (w["contract"], w["monday"]) for w in weeks.values()})
    checks = {code: SheetCheck(code=code, found=False) for code in codes}
    for row in rows:
        week = weeks.get((row["contract"], row["monday"]))
        content = contents[week["id"]] if week else signed_content.week_content(row["contract"], row["monday"], [], [], [])
        state_now = week["state"] if week else "missing"
        changed = signed_content.digest(content) != row["content_hash"]
        unapproved = row["week_state"] == "approved" and state_now != "approved"
        iso = row["monday"].isocalendar()
        checks[row["code"]] = SheetCheck(
            code=row["code"],
            found=True,
            valid=not (changed or unapproved),
            number=row["number"],
            monday=row["monday"],
            iso_week=iso[1],
            iso_year=iso[0],
            week_state_then=row["week_state"],
            week_state_now=state_now,
            approved_by=row["approved_by"],
            approved_at=row["approved_at"],
            fingerprint=signed_content.fingerprint(row["content_hash"]),
            exported_at=row["exported_at"],
            changed_since=changed,
        )
    return checks, {row["code"]: row["text_hash"] for row in rows}


async def check_code(text: str) -> SheetCheck:
    code = pdf.normalize_code(text)
    checks, _ = await check_codes([code])
    return checks.get(code, SheetCheck(code=code, found=False))


class UploadCheck(msgspec.Struct, frozen=True):
    """What /verify answers for an uploaded PDF."""

    readable: bool
    pages: int = 0
    identical_file: bool = False  # byte for byte the file leokop wrote
    exported_at: dt.datetime | None = None
    sheets: tuple[SheetCheck, ...] = ()

    @property
    def valid(self) -> bool:
        return bool(self.sheets) and all(s.holds for s in self.sheets)

    @property
    def failed(self) -> int:
        return sum(1 for s in self.sheets if not s.holds)


class UploadRefused(ValidationFailed):
    def __init__(self, code: str) -> None:
        super().__init__({"file": code})


async def check_upload(data: bytes) -> UploadCheck:
    """Check a whole PDF: is it the file leokop wrote, and for every sheet in it (found by its
    Prüfcode): does its text match the export, and does the week still match the record."""
    if not data:
        raise UploadRefused("verify_file_missing")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRefused("verify_file_too_large")
    if not data.startswith(b"%PDF-"):
        raise UploadRefused("verify_not_a_pdf")
    try:
        texts = await asyncio.to_thread(pdf.page_texts, data)
    except Exception:  # noqa: BLE001 - PDFium refuses broken or encrypted files: say so, no 500
        return UploadCheck(readable=False)
    pages_of: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        for code in dict.fromkeys(match.replace("-", "") for match in pdf.CODE_PATTERN.findall(text)):
            pages_of.setdefault(code, []).append(index)
    digest = hashlib.sha256(data).hexdigest()
    original = await Export.select(Export.finished_at).where(Export.file_sha256 == digest, Export.state == "done").first()
    checks, text_hashes = await check_codes(list(pages_of))
    sheets = []
    for code, check in checks.items():
        if check.found and text_hashes.get(code):
            matches = pdf.text_hash([texts[i] for i in pages_of[code]]) == text_hashes[code]
            check = msgspec.structs.replace(check, text_matches=matches)
        sheets.append(check)
    return UploadCheck(
        readable=True,
        pages=len(texts),
        identical_file=original is not None,
        exported_at=original["finished_at"] if original else None,
        sheets=tuple(sorted(sheets, key=lambda s: (s.monday or dt.date.max, s.code))),
    )
