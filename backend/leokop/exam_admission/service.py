"""Rules of exam admission (L14): the completeness check of a contract's log, share links for chamber
staff (created, listed, revoked; only the token's SHA-256 is stored), and the read-only view a valid
token opens, with every access counted and written to the audit trail."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from piccolo.query.functions.aggregate import Count

from leokop import policy
from leokop.accounts.schemas import CurrentUser
from leokop.accounts.service import new_token, token_hash
from leokop.audit import service as audit
from leokop.errors import Forbidden, NotFound, ValidationFailed
from leokop.exam_admission import completeness
from leokop.exam_admission.schemas import MAX_DAYS, MIN_DAYS, ExamPage, SharedLog, SharedWeek, ShareLinkRow
from leokop.exam_admission.tables import ShareLink
from leokop.exports import service as exports
from leokop.logbook import service as logbook
from leokop.logbook.schemas import WeekView
from leokop.logbook.tables import Day, Entry, Week
from leokop.notifications import service as notifications
from leokop.school_calendar import service as school_calendar
from leokop.signing import service as signing
from leokop.signing.schemas import ReviewView
from leokop.signing.tables import Signature
from leokop.timeutil import as_aware_utc, to_berlin, today_berlin, utcnow

MAX_LABEL = 120


class ShareLinkInvalid(NotFound):
    """The token opens nothing: unknown (`gone` False), or expired or revoked (`gone` True). The
    page says the same in every case and shows nothing of the log."""

    def __init__(self, gone: bool) -> None:
        super().__init__("share link invalid")
        self.gone = gone


# --- the completeness check ------------------------------------------------------------------------


async def _prepared_contract(user: CurrentUser, contract_id: int) -> dict:
    """The contract's log facts, for the company's people who prepare the exam admission."""
    if not policy.can(user, "exam.prepare"):
        raise Forbidden()
    return await logbook.log_contract(user, contract_id)


async def check_contract(contract: dict) -> completeness.Report:
    """The completeness report of a contract (as logbook.log_contract gives it) in five queries,
    however long the log: weeks, day statuses, entries counted per day and category, and the
    calendar's proposals (two)."""
    contract_id = contract["id"]
    today = today_berlin()
    weeks = await Week.select(Week.id, Week.monday, Week.state, Week.submitted_at).where(Week.contract == contract_id)
    statuses: dict[int, dict[dt.date, str]] = defaultdict(dict)
    for row in await Day.select(Day.week, Day.date, Day.status).where(Day.week.contract == contract_id):
        statuses[row["week"]][row["date"]] = row["status"]
    entry_days: dict[int, set[dt.date]] = defaultdict(set)
    school_days: dict[int, set[dt.date]] = defaultdict(set)
    entries: dict[int, int] = defaultdict(int)
    school_entries: dict[int, int] = defaultdict(int)
    counted = await Entry.select(Entry.week, Entry.day, Entry.category, Count(Entry.id).as_alias("n")).where(
        Entry.week.contract == contract_id
    ).group_by(Entry.week, Entry.day, Entry.category)
    for row in counted:
        entries[row["week"]] += row["n"]
        if row["day"] is not None:
            entry_days[row["week"]].add(row["day"])
        if row["category"] == "school":
            school_entries[row["week"]] += row["n"]
            if row["day"] is not None:
                school_days[row["week"]].add(row["day"])
    until = min(today, contract["end_date"])
    proposed = {}
    if until >= contract["start_date"]:
        proposed = await school_calendar.day_defaults(contract_id, contract["school_class_id"], contract["start_date"], until)
    stored = [
        completeness.StoredWeek(
            monday=w["monday"],
            state=w["state"],
            ever_submitted=w["submitted_at"] is not None,
            statuses=statuses.get(w["id"], {}),
            entry_days=frozenset(entry_days.get(w["id"], ())),
            school_entry_days=frozenset(school_days.get(w["id"], ())),
            entries=entries.get(w["id"], 0),
            school_entries=school_entries.get(w["id"], 0),
        )
        for w in weeks
    ]
    return completeness.check(
        contract["start_date"], contract["end_date"], contract["state"], contract["log_mode"], stored, today, proposed
    )


async def exam_page(user: CurrentUser, contract_id: int) -> ExamPage:
    """The preparation page: contract, completeness report and share links, in seven queries."""
    contract = await _prepared_contract(user, contract_id)
    return ExamPage(contract=contract, report=await check_contract(contract), links=await _links_of(contract_id))


# --- share links ------------------------------------------------------------------------------------


def _link_state(row: dict, now: dt.datetime) -> str:
    if row["revoked_at"] is not None:
        return "revoked"
    return "expired" if as_aware_utc(row["expires_at"]) <= now else "active"


async def _links_of(contract_id: int) -> list[ShareLinkRow]:
    rows = await ShareLink.select(
        ShareLink.id,
        ShareLink.label,
        ShareLink.created_at,
        ShareLink.created_by.display_name.as_alias("created_by_name"),
        ShareLink.expires_at,
        ShareLink.revoked_at,
        ShareLink.access_count,
        ShareLink.last_access_at,
    ).where(ShareLink.contract == contract_id).order_by(ShareLink.created_at, ascending=False).order_by(ShareLink.id, ascending=False)
    now = utcnow()
    return [
        ShareLinkRow(**{**row, "created_by_name": row["created_by_name"] or ""}, state=_link_state(row, now)) for row in rows
    ]


def _checked(label: str, valid_days: int | None) -> tuple[str, int]:
    errors = {}
    label = label.replace("\x00", "").strip()
    if not label:
        errors["label"] = "share_label_required"
    elif len(label) > MAX_LABEL:
        errors["label"] = "too_long"
    if valid_days is None or not MIN_DAYS <= valid_days <= MAX_DAYS:
        errors["valid_days"] = "share_days_range"
    if errors:
        raise ValidationFailed(errors, max_length=MAX_LABEL, min_days=MIN_DAYS, max_days=MAX_DAYS)
    return label, valid_days


async def create_share_link(user: CurrentUser, contract_id: int, label: str, valid_days: int | None) -> str:
    """A new read-only link for chamber staff; returns the token, which is shown once and never
    stored (only its SHA-256). Audited; the apprentice is told."""
    contract = await _prepared_contract(user, contract_id)
    label, valid_days = _checked(label, valid_days)
    token = new_token()
    now = utcnow()
    expires_at = now + dt.timedelta(days=valid_days)
    rows = await ShareLink.insert(
        ShareLink(
            contract=contract_id,
            token_hash=token_hash(token),
            label=label,
            created_by=user.id,
            created_at=now,
            expires_at=expires_at,
            access_count=0,
        )
    ).returning(ShareLink.id)
    link_id = rows[0]["id"]
    await audit.append(
        contract_id, user, "share.created", f"share:{link_id}", {"label": label, "days": valid_days, "expires_at": expires_at.isoformat()}
    )
    await notifications.notify(
        contract["apprentice_id"],
        "share_created",
        "Ihr Ausbildungsnachweis wurde für die Prüfungsanmeldung freigegeben.",
        f"/contracts/{contract_id}",
        f"Lesezugriff für „{label}“ bis {to_berlin(expires_at):%d.%m.%Y}.",
    )
    return token


async def revoke_share_link(user: CurrentUser, contract_id: int, link_id: int) -> None:
    """Stop a link at once. Revoking twice is harmless; a link of another contract is not found."""
    await _prepared_contract(user, contract_id)
    known = await ShareLink.select(ShareLink.revoked_at).where(ShareLink.id == link_id, ShareLink.contract == contract_id)
    if not known:
        raise NotFound()
    done = await ShareLink.update({ShareLink.revoked_at: utcnow(), ShareLink.revoked_by: user.id}).where(
        ShareLink.id == link_id, ShareLink.revoked_at.is_null()
    ).returning(ShareLink.id)
    if done:
        await audit.append(contract_id, user, "share.revoked", f"share:{link_id}")


# --- the chamber's view -----------------------------------------------------------------------------


async def open_share(token: str, page: str) -> tuple[int, dt.datetime]:
    """The contract a valid token opens and until when, after counting this access and writing it to
    the audit trail (in the request's transaction). Raises ShareLinkInvalid otherwise."""
    rows = await ShareLink.select(ShareLink.id, ShareLink.contract, ShareLink.expires_at, ShareLink.revoked_at).where(
        ShareLink.token_hash == token_hash(token)
    )
    if not rows:
        raise ShareLinkInvalid(gone=False)
    link = rows[0]
    now = utcnow()
    if _link_state(link, now) != "active":
        raise ShareLinkInvalid(gone=True)
    await ShareLink.update({ShareLink.access_count: ShareLink.access_count + 1, ShareLink.last_access_at: now}).where(
        ShareLink.id == link["id"]
    )
    await audit.append(link["contract"], None, "share.accessed", f"share:{link['id']}", {"page": page})
    return link["contract"], link["expires_at"]


async def shared_log(contract_id: int, expires_at: dt.datetime) -> SharedLog:
    """The contract's facts and every week up to today with its current approval, in three queries.
    Only for a contract that open_share returned."""
    contract = await logbook.shared_log_contract(contract_id)
    weeks = [w for w in await logbook.gap_weeks(contract) if w.state != "future"]
    approvals = {
        row["monday"]: row
        for row in await Signature.select(
            Signature.week.monday.as_alias("monday"), Signature.signer_name, Signature.signer_role, Signature.signed_at
        ).where(Signature.contract == contract_id, Signature.kind == "approval", Signature.voided_at.is_null())
    }
    rows = []
    for week in weeks:
        approval = approvals.get(week.monday) if week.state == "approved" else None
        rows.append(
            SharedWeek(
                week=week,
                approved_by=approval["signer_name"] if approval else "",
                approver_role=approval["signer_role"] if approval else "",
                approved_at=approval["signed_at"] if approval else None,
            )
        )
    return SharedLog(contract=contract, weeks=rows, expires_at=expires_at)


async def shared_week(contract_id: int, monday: dt.date) -> tuple[WeekView, ReviewView]:
    """One week of the contract that open_share returned, read-only, with its signatures; NotFound
    for a date that is no week of this contract (whatever other contract it may belong to)."""
    if monday > today_berlin():
        raise NotFound()  # not written yet; the week list ends today as well
    week = await logbook.shared_week_view(contract_id, monday)
    return week, await signing.review(None, week)


async def latest_pdf(contract_id: int, var_dir: str) -> Path | None:
    """The file of the newest finished whole-log PDF of the contract that open_share returned, or
    None if the company has not exported one (or its file is gone)."""
    export_id = await exports.latest_log_export(contract_id, var_dir)
    return exports.export_path(export_id, var_dir) if export_id is not None else None
