"""Rules of signing: approve, return, reopen, co-sign and acknowledge weeks (each bound to a content
hash and written to the audit chain), the trainer's inbox, substitutions, comment templates, a week's
history and integrity, and the verifier of every signature."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

import msgspec
from piccolo.query.functions.aggregate import Count, Max, Sum

from leokop.accounts.schemas import CurrentUser, Role
from leokop.accounts.tables import User
from leokop.audit import service as audit
from leokop.audit.tables import AuditRecord
from leokop.contracts.service import visible_contracts
from leokop.contracts.tables import Contract, ContractStaff
from leokop.errors import Forbidden, NotFound, StateConflict, ValidationFailed
from leokop.logbook import calendar
from leokop.logbook.service import log_contract
from leokop.logbook.tables import Attachment, Day, Entry, Week
from leokop.notifications import service as notifications
from leokop.signing import content as signed_content
from leokop.signing.schemas import (
    BulkResult,
    ClassLogRow,
    HistoryItem,
    InboxApprentice,
    InboxView,
    InboxWeek,
    ReviewView,
    SignatureView,
)
from leokop.signing.tables import CommentTemplate, Signature, Substitution
from leokop.signing.workflow import Action, Flags, Relation, allowed_actions, ever_allowed
from leokop.timeutil import today_berlin, utcnow

# A week is overdue for review when its apprentice's last approval is older than this (L8).
REVIEW_OVERDUE = dt.timedelta(days=30)
MAX_REASON = 1000
MAX_BULK = 200

# Proposed to a reviewer who has no templates of their own yet.
DEFAULT_TEMPLATES = (
    "Bitte die Tätigkeiten genauer beschreiben: Was haben Sie gemacht, was haben Sie dabei gelernt?",
    "Bitte die Unterrichtsthemen der Berufsschule ergänzen.",
    "Die Stunden passen nicht zur Arbeitszeit. Bitte prüfen.",
    "Bitte Rechtschreibung und Vollständigkeit prüfen.",
)


# --- relations ---------------------------------------------------------------------------------


class Standing(msgspec.Struct, frozen=True):
    """How a user stands to one contract, and for whom they sign if not for themselves."""

    relation: Relation | None
    on_behalf_id: int | None = None
    on_behalf_name: str = ""


async def standings(user: CurrentUser, contracts: Iterable[dict]) -> dict[int, Standing]:
    """The user's standing towards each contract (already known to be visible) in at most two queries."""
    contracts = list(contracts)
    result: dict[int, Standing] = {}
    company_contracts = []
    for c in contracts:
        if user.role is Role.apprentice:
            result[c["id"]] = Standing(Relation.apprentice if c["apprentice_id"] == user.id else None)
        elif user.role is Role.teacher:
            result[c["id"]] = Standing(Relation.teacher)
        elif user.role is Role.guardian:
            result[c["id"]] = Standing(Relation.guardian)
        elif user.role in (Role.trainer, Role.instructor, Role.company_admin):
            company_contracts.append(c)
        else:
            result[c["id"]] = Standing(None)
    if not company_contracts:
        return result
    ids = [c["id"] for c in company_contracts]
    staff = await ContractStaff.select(
        ContractStaff.contract, ContractStaff.user, ContractStaff.kind, ContractStaff.user.display_name.as_alias("name")
    ).where(ContractStaff.contract.is_in(ids)).order_by(ContractStaff.id)
    trainers: dict[int, list[dict]] = defaultdict(list)
    instructors: dict[int, set[int]] = defaultdict(set)
    for row in staff:
        if row["kind"] == "trainer":
            trainers[row["contract"]].append(row)
        else:
            instructors[row["contract"]].add(row["user"])
    today = today_berlin()
    stand_ins = await Substitution.select(Substitution.trainer, Substitution.trainer.display_name.as_alias("name")).where(
        Substitution.substitute == user.id, Substitution.start_date <= today, Substitution.end_date >= today
    )
    replaced = {r["trainer"]: r["name"] for r in stand_ins}
    for c in company_contracts:
        own_trainers = trainers.get(c["id"], [])
        first = own_trainers[0] if own_trainers else None
        behalf = (first["user"], first["name"]) if first else (None, "")
        if any(t["user"] == user.id for t in own_trainers):
            result[c["id"]] = Standing(Relation.trainer)
        elif user.id in instructors.get(c["id"], ()):
            result[c["id"]] = Standing(Relation.instructor, *behalf)
        elif (stood_in := next((t for t in own_trainers if t["user"] in replaced), None)) is not None:
            result[c["id"]] = Standing(Relation.substitute, stood_in["user"], stood_in["name"])
        elif user.role is Role.company_admin and c["company_id"] == user.company_id:
            result[c["id"]] = Standing(Relation.company_admin, *behalf)
        else:
            result[c["id"]] = Standing(Relation.colleague)
    return result


async def standing(user: CurrentUser, contract: dict) -> Standing:
    return (await standings(user, [contract]))[contract["id"]]


def require(relation: Relation | None, state: str, action: Action, flags: Flags = Flags()) -> None:
    """Raise unless the workflow allows it: Forbidden if never for this person, else StateConflict."""
    if relation is not None and action in allowed_actions(relation, state, flags):
        return
    if relation is None or not ever_allowed(relation, action):
        raise Forbidden()
    raise StateConflict(_STATE_CODES.get(state, "week_not_submitted"))


_STATE_CODES = {
    "missing": "week_not_submitted",
    "draft": "week_not_submitted",
    "returned": "week_returned_meanwhile",
    "approved": "week_approved_meanwhile",
    "submitted": "week_not_approved",
}


# --- content -----------------------------------------------------------------------------------


async def load_contents(weeks: dict[int, tuple[int, dt.date]]) -> dict[int, dict]:
    """The canonical content of many weeks (week id → (contract id, Monday)) in three queries."""
    if not weeks:
        return {}
    ids = list(weeks)
    days: dict[int, list] = defaultdict(list)
    entries: dict[int, list] = defaultdict(list)
    files: dict[int, list] = defaultdict(list)
    for row in await Day.select(Day.week, Day.date, Day.status, Day.note).where(Day.week.is_in(ids)):
        days[row["week"]].append(row)
    for row in await Entry.select(Entry.week, Entry.id, Entry.day, Entry.position, Entry.category, Entry.text, Entry.minutes).where(
        Entry.week.is_in(ids)
    ):
        entries[row["week"]].append(row)
    for row in await Attachment.select(Attachment.week, Attachment.sha256, Attachment.filename).where(Attachment.week.is_in(ids)):
        files[row["week"]].append(row)
    return {
        week_id: signed_content.week_content(contract_id, monday, days[week_id], entries[week_id], files[week_id])
        for week_id, (contract_id, monday) in weeks.items()
    }


def content_of_view(week) -> dict:
    """The same canonical content, built from a logbook WeekView (no extra queries on the week page)."""
    entries = [e for d in week.days for e in d.entries] + week.week_entries
    return signed_content.week_content(
        week.contract_id,
        week.monday,
        [{"date": d.date, "status": d.status, "note": d.note} for d in week.days if d.version is not None],
        [{"id": e.id, "day": e.day, "position": e.position, "category": e.category, "text": e.text, "minutes": e.minutes} for e in entries],
        [{"sha256": a.sha256, "filename": a.filename} for a in week.attachments],
    )


# --- signing -----------------------------------------------------------------------------------


async def _week_row(contract_id: int, monday: dt.date) -> dict:
    rows = await Week.select(Week.id, Week.state).where(Week.contract == contract_id, Week.monday == monday)
    return rows[0] if rows else {"id": None, "state": "missing"}


def _week_url(contract_id: int, monday: dt.date) -> str:
    return f"/contracts/{contract_id}/log/{monday.isoformat()}"


def _week_label(monday: dt.date) -> str:
    return f"KW {monday.isocalendar()[1]} ({monday.strftime('%d.%m.%Y')})"


async def _signature(
    user: CurrentUser,
    held: Standing,
    kind: str,
    action: str,
    contract_id: int,
    week_id: int,
    monday: dt.date,
    content_hash: str,
    extra: dict | None = None,
) -> None:
    """Append the audit record and store the signature that points at it, in the caller's transaction."""
    assert held.relation is not None
    data = {
        "kind": kind,
        "role": held.relation.value,
        "signer_name": user.display_name,
        "on_behalf_of": held.on_behalf_id,
        "on_behalf_name": held.on_behalf_name,
        "content_hash": content_hash,
        **(extra or {}),
    }
    seq = await audit.append(contract_id, user, action, f"week:{monday.isoformat()}", data)
    await Signature.insert(
        Signature(
            week=week_id,
            contract=contract_id,
            kind=kind,
            signer=user.id,
            signer_name=user.display_name,
            signer_role=held.relation.value,
            on_behalf_of=held.on_behalf_id,
            on_behalf_name=held.on_behalf_name,
            signed_at=utcnow(),
            content_hash=content_hash,
            audit_seq=seq,
        )
    )


async def _approve_one(user: CurrentUser, held: Standing, contract: dict, week: dict, content: dict) -> bool:
    """Approve one week by compare-and-set from "submitted"; returns False if it was approved already
    (approving twice is harmless), raises StateConflict if it was returned meanwhile."""
    if week["state"] == "approved" and held.relation is not None and ever_allowed(held.relation, Action.approve):
        return False
    require(held.relation, week["state"], Action.approve)
    done = await Week.update({Week.state: "approved", Week.updated_at: utcnow()}).where(
        Week.id == week["id"], Week.state == "submitted"
    ).returning(Week.id)
    if not done:  # another request changed it between our read and this write (PostgreSQL)
        now = (await _week_row(contract["id"], week["monday"]))["state"]
        if now == "approved":
            return False
        raise StateConflict(_STATE_CODES.get(now, "week_not_submitted"))
    await _signature(user, held, "approval", "week.approved", contract["id"], week["id"], week["monday"], signed_content.digest(content))
    await notifications.notify(
        contract["apprentice_id"], "week_approved", f"{_week_label(week['monday'])} wurde abgezeichnet.", _week_url(contract["id"], week["monday"])
    )
    return True


async def approve(user: CurrentUser, contract_id: int, monday: dt.date) -> bool:
    """Approve (abzeichnen) a submitted week; returns whether this request approved it."""
    contract = await log_contract(user, contract_id)
    week = {**await _week_row(contract_id, monday), "monday": monday}
    held = await standing(user, contract)
    if week["id"] is None:
        require(held.relation, "missing", Action.approve)
    contents = await load_contents({week["id"]: (contract_id, monday)})
    return await _approve_one(user, held, contract, week, contents[week["id"]])


async def approve_many(user: CurrentUser, week_ids: list[int]) -> BulkResult:
    """Approve several weeks at once (the inbox's selection). Weeks the user may not approve, or that
    are no longer submitted, are skipped and counted, never half-done: each week is all or nothing."""
    week_ids = list(dict.fromkeys(week_ids))[:MAX_BULK]
    if not week_ids:
        raise ValidationFailed({"weeks": "nothing_selected"})
    condition = visible_contracts(user)
    if condition is None:
        raise Forbidden()
    weeks = await Week.select(Week.id, Week.contract, Week.monday, Week.state).where(
        Week.id.is_in(week_ids), Week.contract.is_in(Contract.select(Contract.id).where(condition))
    )
    contracts = await _contracts({w["contract"] for w in weeks})
    held = await standings(user, contracts.values())
    contents = await load_contents({w["id"]: (w["contract"], w["monday"]) for w in weeks})
    approved = 0
    for week in sorted(weeks, key=lambda w: (w["contract"], w["monday"])):
        try:
            if await _approve_one(user, held[week["contract"]], contracts[week["contract"]], week, contents[week["id"]]):
                approved += 1
        except (StateConflict, Forbidden):
            continue
    return BulkResult(approved=approved, skipped=len(week_ids) - approved)


async def _contracts(ids: Iterable[int]) -> dict[int, dict]:
    ids = list(ids)
    if not ids:
        return {}
    rows = await Contract.select(
        Contract.id, Contract.apprentice.as_alias("apprentice_id"), Contract.company.as_alias("company_id")
    ).where(Contract.id.is_in(ids))
    return {r["id"]: r for r in rows}


def _checked_reason(reason: str, missing_code: str) -> str:
    """A reason the apprentice will read: required, at most MAX_REASON characters, no NUL."""
    reason = reason.replace("\x00", "").strip()
    if not reason:
        raise ValidationFailed({"reason": missing_code})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": "too_long"}, max_length=MAX_REASON)
    return reason


async def return_week(user: CurrentUser, contract_id: int, monday: dt.date, reason: str) -> None:
    """Return (zurückgeben) a submitted week with a reason the apprentice sees."""
    reason = _checked_reason(reason, "return_reason_required")
    contract = await log_contract(user, contract_id)
    week = await _week_row(contract_id, monday)
    held = await standing(user, contract)
    if week["state"] == "returned" and held.relation is not None and ever_allowed(held.relation, Action.return_):
        return  # returned twice (two taps, two devices): once is enough
    require(held.relation, week["state"], Action.return_)
    done = await Week.update({Week.state: "returned", Week.return_reason: reason, Week.updated_at: utcnow()}).where(
        Week.id == week["id"], Week.state == "submitted"
    ).returning(Week.id)
    if not done:
        now = (await _week_row(contract_id, monday))["state"]
        if now == "returned":
            return
        raise StateConflict(_STATE_CODES.get(now, "week_not_submitted"))
    await audit.append(
        contract_id,
        user,
        "week.returned",
        f"week:{monday.isoformat()}",
        {"reason": reason, "role": held.relation.value, "signer_name": user.display_name, "on_behalf_name": held.on_behalf_name},
    )
    await notifications.notify(
        contract["apprentice_id"],
        "week_returned",
        f"{_week_label(monday)} wurde von {user.display_name} zurückgegeben.",
        _week_url(contract_id, monday),
    )


async def reopen(user: CurrentUser, contract_id: int, monday: dt.date, reason: str) -> None:
    """Reopen an approved week for changes: the approval is voided (kept in the history) and logged."""
    reason = _checked_reason(reason, "reopen_reason_required")
    contract = await log_contract(user, contract_id)
    week = await _week_row(contract_id, monday)
    held = await standing(user, contract)
    require(held.relation, week["state"], Action.reopen)
    done = await Week.update({Week.state: "draft", Week.return_reason: reason, Week.updated_at: utcnow()}).where(
        Week.id == week["id"], Week.state == "approved"
    ).returning(Week.id)
    if not done:
        raise StateConflict(_STATE_CODES.get((await _week_row(contract_id, monday))["state"], "week_not_submitted"))
    await Signature.update({Signature.voided_at: utcnow(), Signature.void_reason: "reopened"}).where(
        Signature.week == week["id"], Signature.kind == "approval", Signature.voided_at.is_null()
    )
    await audit.append(
        contract_id,
        user,
        "week.reopened",
        f"week:{monday.isoformat()}",
        {"reason": reason, "role": held.relation.value, "signer_name": user.display_name, "on_behalf_name": held.on_behalf_name},
    )
    await notifications.notify(
        contract["apprentice_id"],
        "week_reopened",
        f"{_week_label(monday)} wurde zur Änderung wieder geöffnet.",
        _week_url(contract_id, monday),
    )


async def cosign(user: CurrentUser, contract_id: int, monday: dt.date) -> bool:
    """A teacher co-signs the school part of a submitted or approved week; True if newly signed."""
    return await _sign_part(user, contract_id, monday, Action.cosign)


async def acknowledge(user: CurrentUser, contract_id: int, monday: dt.date) -> bool:
    """A guardian takes note of a submitted or approved week; True if newly acknowledged."""
    return await _sign_part(user, contract_id, monday, Action.acknowledge)


_PART_KIND = {Action.cosign: ("cosign", "week.cosigned"), Action.acknowledge: ("acknowledgement", "week.acknowledged")}


async def _sign_part(user: CurrentUser, contract_id: int, monday: dt.date, action: Action) -> bool:
    contract = await log_contract(user, contract_id)
    week = await _week_row(contract_id, monday)
    held = await standing(user, contract)
    kind, audit_action = _PART_KIND[action]
    if week["id"] is None:
        require(held.relation, "missing", action)
    content = (await load_contents({week["id"]: (contract_id, monday)}))[week["id"]]
    content_hash = signed_content.digest(signed_content.school_part(content) if kind == "cosign" else content)
    signed = await Signature.exists().where(
        Signature.week == week["id"], Signature.kind == kind, Signature.content_hash == content_hash,
        *([Signature.signer == user.id] if kind == "acknowledgement" else []),
    )
    flags = Flags(cosigned=signed if kind == "cosign" else False, acknowledged=signed if kind == "acknowledgement" else False)
    if signed and held.relation is not None and ever_allowed(held.relation, action):
        return False  # signed this exact content already
    require(held.relation, week["state"], action, flags)
    await _signature(user, held, kind, audit_action, contract_id, week["id"], monday, content_hash)
    return True


async def acknowledge_all(user: CurrentUser, contract_id: int) -> int:
    """A guardian takes note of every submitted or approved week not yet acknowledged in its current form."""
    contract = await log_contract(user, contract_id)
    held = await standing(user, contract)
    if held.relation is not Relation.guardian:
        raise Forbidden()
    weeks = await Week.select(Week.id, Week.monday, Week.state).where(
        Week.contract == contract_id, Week.state.is_in(["submitted", "approved"])
    ).order_by(Week.monday)
    contents = await load_contents({w["id"]: (contract_id, w["monday"]) for w in weeks})
    known = {
        (r["week"], r["content_hash"])
        for r in await Signature.select(Signature.week, Signature.content_hash).where(
            Signature.contract == contract_id, Signature.kind == "acknowledgement", Signature.signer == user.id
        )
    }
    count = 0
    for week in weeks:
        content_hash = signed_content.digest(contents[week["id"]])
        if (week["id"], content_hash) not in known:
            await _signature(user, held, "acknowledgement", "week.acknowledged", contract_id, week["id"], week["monday"], content_hash)
            count += 1
    return count


# --- the week page's review panel ---------------------------------------------------------------

HISTORY_ACTIONS = {
    "week.submitted", "week.returned", "week.approved", "week.reopened", "week.cosigned", "week.acknowledged",
}
SIGNING_ACTIONS = {"week.approved": "approval", "week.cosigned": "cosign", "week.acknowledged": "acknowledgement"}


async def review(user: CurrentUser | None, week, contract: dict | None = None) -> ReviewView:
    """What the week page shows beyond the log: who may do what now, the signatures (each checked
    against the current content), the history, and the integrity verdict. Four queries at most.
    Without a user (a share link's read-only view, exam_admission) nobody may do anything."""
    contract = contract or {"id": week.contract_id, "apprentice_id": week.apprentice_id, "company_id": week.company_id}
    held = await standing(user, contract) if user is not None else Standing(None)
    current = content_of_view(week)
    current_hash = signed_content.digest(current)
    school_hash = signed_content.digest(signed_content.school_part(current))
    signatures = []
    records = []
    if week.state != "missing":
        signatures = await Signature.select(
            Signature.kind, Signature.signer, Signature.signer_name, Signature.signer_role, Signature.on_behalf_name,
            Signature.signed_at, Signature.content_hash, Signature.audit_seq, Signature.voided_at, Signature.void_reason,
        ).where(Signature.week.contract == week.contract_id, Signature.week.monday == week.monday).order_by(Signature.signed_at)
        records = await AuditRecord.select(
            AuditRecord.seq, AuditRecord.at, AuditRecord.action, AuditRecord.actor.display_name.as_alias("actor_name"),
            AuditRecord.payload, AuditRecord.prev_hash, AuditRecord.hash,
        ).where(AuditRecord.contract == week.contract_id, AuditRecord.subject == f"week:{week.monday.isoformat()}").order_by(AuditRecord.seq)
    problems = week_problems(week.state, signatures, records, current_hash)
    views = []
    for s in signatures:
        expected = school_hash if s["kind"] == "cosign" else current_hash
        views.append(
            SignatureView(
                kind=s["kind"],
                signer_name=s["signer_name"],
                signer_role=s["signer_role"],
                on_behalf_name=s["on_behalf_name"],
                signed_at=s["signed_at"],
                fingerprint=signed_content.fingerprint(s["content_hash"]),
                voided=s["voided_at"] is not None,
                void_reason=s["void_reason"],
                matches=s["content_hash"] == expected,
            )
        )
    flags = Flags(
        cosigned=any(v.kind == "cosign" and v.matches for v in views),
        acknowledged=user is not None
        and any(s["kind"] == "acknowledgement" and s["signer"] == user.id and s["content_hash"] == current_hash for s in signatures),
    )
    actions = allowed_actions(held.relation, week.state, flags) if held.relation else frozenset()
    templates: list[str] = []
    if Action.return_ in actions or Action.reopen in actions:
        templates = await comment_templates(user)
    return ReviewView(
        relation=held.relation.value if held.relation else "",
        on_behalf_name=held.on_behalf_name,
        actions=sorted(a.value for a in actions),
        signatures=views,
        history=[_history_item(r) for r in records if r["action"] in HISTORY_ACTIONS],
        integrity="broken" if problems else ("ok" if signatures else "unsigned"),
        problems=problems,
        fingerprint=signed_content.fingerprint(current_hash),
        templates=templates,
    )


def week_problems(state: str, signatures: list[dict], records: list[dict], current_hash: str) -> list[str]:
    """Integrity of one week: each signature has its untouched audit record, the active approval
    matches the content, an approved week has one. Codes; messages say what they mean."""
    problems: list[str] = []
    by_seq = {r["seq"]: r for r in records}
    for r in records:
        if audit.chain_hash(r["prev_hash"], r["payload"]) != r["hash"]:
            problems.append("audit_record_edited")
    signed_seqs = set()
    for s in signatures:
        signed_seqs.add(s["audit_seq"])
        record = by_seq.get(s["audit_seq"])
        data = _payload_data(record) if record else None
        if record is None or record["action"] not in SIGNING_ACTIONS or data.get("content_hash") != s["content_hash"] or data.get("kind") != s["kind"]:
            problems.append("signature_without_record")
    for r in records:
        if r["action"] in SIGNING_ACTIONS and r["seq"] not in signed_seqs:
            problems.append("signature_missing")
    active = [s for s in signatures if s["kind"] == "approval" and s["voided_at"] is None]
    if any(s["content_hash"] != current_hash for s in active):
        problems.append("changed_after_approval")
    if state == "approved" and not active:
        problems.append("approval_missing")
    return list(dict.fromkeys(problems))


def _payload_data(record: dict) -> dict:
    try:
        return msgspec.json.decode(record["payload"]).get("data", {})
    except (msgspec.DecodeError, AttributeError):
        return {}


def _history_item(record: dict) -> HistoryItem:
    data = _payload_data(record)
    return HistoryItem(
        action=record["action"],
        at=record["at"],
        actor_name=data.get("signer_name") or record["actor_name"] or "",
        role=data.get("role", ""),
        on_behalf_name=data.get("on_behalf_name", ""),
        reason=data.get("reason", ""),
    )


# --- the trainer's inbox -----------------------------------------------------------------------


def reviewable_contracts(user: CurrentUser):
    """Contracts whose weeks this user may approve: named as trainer or instructor, standing in for
    a named trainer today, or the company's admin."""
    today = today_berlin()
    mine = Contract.id.is_in(ContractStaff.select(ContractStaff.contract).where(ContractStaff.user == user.id))
    stood_in = Contract.id.is_in(
        ContractStaff.select(ContractStaff.contract).where(
            ContractStaff.kind == "trainer",
            ContractStaff.user.is_in(
                Substitution.select(Substitution.trainer).where(
                    Substitution.substitute == user.id, Substitution.start_date <= today, Substitution.end_date >= today
                )
            ),
        )
    )
    condition = mine | stood_in
    if user.role is Role.company_admin:
        condition = condition | (Contract.company == user.company_id)
    return condition & (Contract.company == user.company_id)


async def inbox(user: CurrentUser) -> InboxView:
    """Submitted weeks of all the user's apprentices, oldest first, with each apprentice's last
    approval and the overdue flag. Four queries whatever the number of apprentices."""
    reviewable = Contract.select(Contract.id).where(reviewable_contracts(user))
    contracts = await Contract.select(
        Contract.id, Contract.apprentice.display_name.as_alias("apprentice_name"), Contract.start_date, Contract.end_date,
        Contract.occupation.name_neutral.as_alias("occupation_name"),
    ).where(reviewable_contracts(user)).order_by(Contract.apprentice.display_name)
    weeks: list[dict] = []
    totals: dict[int, int] = {}
    last: dict[int, dt.datetime] = {}
    if contracts:
        # Subqueries rather than lists of ids: building a query with hundreds of parameters costs
        # more CPU in Piccolo than running it (scripts/bench).
        weeks = await Week.select(Week.id, Week.contract, Week.monday, Week.submitted_at).where(
            Week.contract.is_in(reviewable), Week.state == "submitted"
        ).order_by(Week.submitted_at).order_by(Week.monday)
        if weeks:
            totals = {
                r["week"]: r["minutes"] or 0
                for r in await Entry.select(Entry.week, Sum(Entry.minutes).as_alias("minutes")).where(
                    Entry.week.is_in(Week.select(Week.id).where(Week.contract.is_in(reviewable), Week.state == "submitted"))
                ).group_by(Entry.week)
            }
        last = {
            r["contract"]: r["at"]
            for r in await Signature.select(Signature.contract, Max(Signature.signed_at).as_alias("at")).where(
                Signature.contract.is_in(reviewable), Signature.kind == "approval"
            ).group_by(Signature.contract)
        }
    by_id = {c["id"]: c for c in contracts}
    waiting = Counter(w["contract"] for w in weeks)
    now = utcnow()
    today = today_berlin()
    apprentices = []
    for c in contracts:
        last_at = _aware(last.get(c["id"]))
        started = dt.datetime.combine(c["start_date"], dt.time(), tzinfo=dt.timezone.utc)
        running = c["start_date"] <= today <= c["end_date"]
        overdue = running and (last_at or started) < now - REVIEW_OVERDUE
        apprentices.append(
            InboxApprentice(
                contract_id=c["id"],
                name=c["apprentice_name"],
                occupation_name=c["occupation_name"],
                last_approval_at=last_at,
                overdue=overdue,
                waiting=waiting[c["id"]],
            )
        )
    return InboxView(
        weeks=[
            InboxWeek(
                week_id=w["id"],
                contract_id=w["contract"],
                apprentice_name=by_id[w["contract"]]["apprentice_name"],
                monday=w["monday"],
                iso_week=w["monday"].isocalendar()[1],
                number=calendar.sheet_number(by_id[w["contract"]]["start_date"], w["monday"]),
                submitted_at=_aware(w["submitted_at"]),
                total_minutes=totals.get(w["id"], 0),
            )
            for w in weeks
        ],
        apprentices=apprentices,
    )


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    """Aggregates (MAX) come back from SQLite as text, without Piccolo's conversion."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)


async def next_waiting_week(user: CurrentUser) -> tuple[int, dt.date] | None:
    """The oldest submitted week the user can approve (to go on after one is done). One query."""
    rows = await Week.select(Week.contract, Week.monday).where(
        Week.state == "submitted", Week.contract.is_in(Contract.select(Contract.id).where(reviewable_contracts(user)))
    ).order_by(Week.submitted_at).order_by(Week.monday).limit(1)
    return (rows[0]["contract"], rows[0]["monday"]) if rows else None


# --- comment templates -------------------------------------------------------------------------


async def comment_templates(user: CurrentUser) -> list[str]:
    rows = await CommentTemplate.select(CommentTemplate.text).where(CommentTemplate.user == user.id).order_by(CommentTemplate.text)
    return [r["text"] for r in rows] or list(DEFAULT_TEMPLATES)


async def save_template(user: CurrentUser, text: str) -> None:
    text = text.strip()
    if not text:
        raise ValidationFailed({"reason": "required"})
    if len(text) > 500:
        raise ValidationFailed({"reason": "too_long"}, max_length=500)
    if not await CommentTemplate.exists().where(CommentTemplate.user == user.id, CommentTemplate.text == text):
        await CommentTemplate.insert(CommentTemplate(user=user.id, text=text, created_at=utcnow()))


async def delete_template(user: CurrentUser, template_id: int) -> None:
    await CommentTemplate.delete().where(CommentTemplate.id == template_id, CommentTemplate.user == user.id)


async def own_templates(user: CurrentUser) -> list[dict]:
    return await CommentTemplate.select(CommentTemplate.id, CommentTemplate.text).where(CommentTemplate.user == user.id).order_by(
        CommentTemplate.text
    )


# --- substitutions -----------------------------------------------------------------------------


async def substitutions(user: CurrentUser) -> tuple[list[dict], list[dict]]:
    """The company's current and future substitutions, and who can stand in (two queries)."""
    today = today_berlin()
    rows = await Substitution.select(
        Substitution.id,
        Substitution.trainer.as_alias("trainer_id"),
        Substitution.trainer.display_name.as_alias("trainer_name"),
        Substitution.substitute.display_name.as_alias("substitute_name"),
        Substitution.start_date,
        Substitution.end_date,
    ).where(Substitution.company == user.company_id, Substitution.end_date >= today).order_by(Substitution.start_date)
    people = await User.select(User.id, User.display_name).where(
        User.company == user.company_id,
        User.role.is_in([Role.trainer.value, Role.company_admin.value]),
        User.is_active.eq(True),
        User.id != user.id,
    ).order_by(User.display_name)
    return rows, people


async def add_substitution(user: CurrentUser, substitute_id: int, start: dt.date, end: dt.date) -> None:
    """The signed-in trainer names a stand-in of the same company for a date range."""
    errors = {}
    if end < start:
        errors["end_date"] = "end_before_start"
    elif end < today_berlin():
        errors["end_date"] = "substitution_in_past"
    elif (end - start).days > 366:
        errors["end_date"] = "substitution_too_long"
    ok = await User.exists().where(
        User.id == substitute_id,
        User.id != user.id,
        User.company == user.company_id,
        User.role.is_in([Role.trainer.value, Role.company_admin.value]),
        User.is_active.eq(True),
    )
    if not ok:
        errors["substitute_id"] = "invalid_choice"
    if errors:
        raise ValidationFailed(errors)
    await Substitution.insert(
        Substitution(
            company=user.company_id, trainer=user.id, substitute=substitute_id, start_date=start, end_date=end, created_at=utcnow()
        )
    )


async def delete_substitution(user: CurrentUser, substitution_id: int) -> None:
    """The trainer ends their own substitution; a company admin any of the company's."""
    condition = Substitution.id == substitution_id
    condition &= Substitution.company == user.company_id
    if user.role is not Role.company_admin:
        condition &= Substitution.trainer == user.id
    if not await Substitution.exists().where(condition):
        raise NotFound()
    await Substitution.delete().where(condition)


# --- verification ------------------------------------------------------------------------------


class SignatureProblem(msgspec.Struct, frozen=True):
    contract_id: int
    monday: dt.date
    problem: str


async def verify_signatures(contract_id: int | None = None) -> tuple[int, list[SignatureProblem]]:
    """Check every signed or approved week against its signatures and audit records (for `leokop verify`).
    Loads contract by contract, so memory stays bounded by the largest log."""
    query = Week.select(Week.contract).where(
        (Week.state == "approved") | Week.id.is_in(Signature.select(Signature.week))
    ).distinct()
    if contract_id is not None:
        query = query.where(Week.contract == contract_id)
    contract_ids = sorted(r["contract"] for r in await query)
    checked = 0
    problems: list[SignatureProblem] = []
    for cid in contract_ids:
        weeks = await Week.select(Week.id, Week.monday, Week.state).where(Week.contract == cid)
        signatures = await Signature.select(
            Signature.week, Signature.kind, Signature.signer, Signature.content_hash, Signature.audit_seq, Signature.voided_at
        ).where(Signature.contract == cid)
        records = await AuditRecord.select(
            AuditRecord.seq, AuditRecord.action, AuditRecord.subject, AuditRecord.payload, AuditRecord.prev_hash, AuditRecord.hash
        ).where(AuditRecord.contract == cid)
        contents = await load_contents({w["id"]: (cid, w["monday"]) for w in weeks})
        sig_of: dict[int, list] = defaultdict(list)
        for s in signatures:
            sig_of[s["week"]].append(s)
        rec_of: dict[str, list] = defaultdict(list)
        for r in records:
            rec_of[r["subject"]].append(r)
        for week in weeks:
            week_records = rec_of.get(f"week:{week['monday'].isoformat()}", [])
            if not sig_of.get(week["id"]) and week["state"] != "approved" and not any(r["action"] in SIGNING_ACTIONS for r in week_records):
                continue
            checked += 1
            for problem in week_problems(week["state"], sig_of.get(week["id"], []), week_records, signed_content.digest(contents[week["id"]])):
                problems.append(SignatureProblem(cid, week["monday"], problem))
    return checked, problems


# --- the teacher's class overview --------------------------------------------------------------


async def class_overview(user: CurrentUser, class_id: int) -> dict[int, ClassLogRow]:
    """Per contract of the class that the teacher may read: weeks waiting for a co-sign, returned
    weeks, gaps (past weeks not submitted) and approved weeks. Three queries whatever the class size;
    contracts without consent are simply absent (the page says so)."""
    condition = visible_contracts(user)
    if condition is None or user.role is not Role.teacher:
        return {}
    contracts = await Contract.select(Contract.id, Contract.start_date, Contract.end_date).where(
        Contract.school_class == class_id, condition
    )
    if not contracts:
        return {}
    ids = [c["id"] for c in contracts]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    this_monday = calendar.monday_of(today_berlin())
    for row in await Week.select(Week.contract, Week.state, Count(Week.id).as_alias("n")).where(
        Week.contract.is_in(ids), Week.monday < this_monday
    ).group_by(Week.contract, Week.state):
        counts[row["contract"]][row["state"]] = row["n"]
    waiting = {
        r["contract"]: r["n"]
        for r in await Week.select(Week.contract, Count(Week.id).as_alias("n")).where(
            Week.contract.is_in(ids),
            Week.state.is_in(["submitted", "approved"]),
            Week.id.not_in(Signature.select(Signature.week).where(Signature.kind == "cosign", Signature.contract.is_in(ids))),
        ).group_by(Week.contract)
    }
    result = {}
    for c in contracts:
        due = sum(1 for m in calendar.contract_weeks(c["start_date"], c["end_date"]) if m < this_monday)
        done = counts[c["id"]]
        result[c["id"]] = ClassLogRow(
            to_cosign=waiting.get(c["id"], 0),
            submitted=done["submitted"],
            returned=done["returned"],
            approved=done["approved"],
            gaps=max(due - done["submitted"] - done["approved"], 0),
        )
    return result
