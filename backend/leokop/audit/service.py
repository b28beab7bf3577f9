"""Rules of the audit trail: append a record to a contract's chain, and verify chains."""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from leokop.accounts.schemas import CurrentUser
from leokop.audit.tables import AuditRecord
from leokop.timeutil import utcnow

GENESIS = "0" * 64


class ChainProblem(msgspec.Struct, frozen=True):
    contract_id: int
    seq: int
    problem: str  # edited | missing | forked | mismatch


def canonical(value: Any) -> bytes:
    """The one byte form that is hashed: JSON with sorted keys (msgspec), dates as ISO text."""
    return msgspec.json.encode(value, order="sorted")


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + payload.encode()).hexdigest()


async def append(
    contract_id: int, actor: CurrentUser | None, action: str, subject: str = "", data: dict | None = None
) -> int:
    """Add a record at the end of the contract's chain; returns its sequence number. Runs inside the
    caller's transaction (an immediate one on SQLite), and the unique (contract, seq) index makes a
    concurrent append on PostgreSQL fail instead of forking the chain."""
    if AuditRecord._meta.db.engine_type == "postgres":
        # Serialise appends per contract (two workers approving two weeks of one apprentice at once);
        # SQLite's immediate write transactions are serial already.
        await AuditRecord.raw("SELECT id FROM contract WHERE id = {} FOR UPDATE", contract_id)
    last = await AuditRecord.select(AuditRecord.seq, AuditRecord.hash).where(
        AuditRecord.contract == contract_id
    ).order_by(AuditRecord.seq, ascending=False).first()
    seq = last["seq"] + 1 if last else 1
    prev_hash = last["hash"] if last else GENESIS
    at = utcnow()
    payload = canonical(
        {
            "contract": contract_id,
            "seq": seq,
            "at": at.isoformat(),
            "actor": actor.id if actor else None,
            "role": actor.role.value if actor else None,
            "action": action,
            "subject": subject,
            "data": data or {},
        }
    ).decode()
    await AuditRecord.insert(
        AuditRecord(
            contract=contract_id,
            seq=seq,
            at=at,
            actor=actor.id if actor else None,
            action=action,
            subject=subject,
            payload=payload,
            prev_hash=prev_hash,
            hash=chain_hash(prev_hash, payload),
        )
    )
    return seq


def verify_records(contract_id: int, records: list[dict]) -> list[ChainProblem]:
    """Pure check of one contract's records in sequence order."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_seq = 1
    for record in records:
        seq = record["seq"]
        if seq != expected_seq:
            problems.append(ChainProblem(contract_id, expected_seq, "missing"))
        if record["prev_hash"] != expected_prev:
            problems.append(ChainProblem(contract_id, seq, "forked"))
        if chain_hash(record["prev_hash"], record["payload"]) != record["hash"]:
            problems.append(ChainProblem(contract_id, seq, "edited"))
        try:
            payload = msgspec.json.decode(record["payload"])
        except msgspec.DecodeError:
            payload = {}
        # The columns people read must say what the hashed payload says.
        if (payload.get("contract"), payload.get("seq"), payload.get("action"), payload.get("subject"), payload.get("actor")) != (
            contract_id,
            seq,
            record["action"],
            record["subject"],
            record["actor"],
        ):
            problems.append(ChainProblem(contract_id, seq, "mismatch"))
        expected_prev = record["hash"]
        expected_seq = seq + 1
    return problems


async def verify(contract_id: int | None = None) -> tuple[int, list[ChainProblem]]:
    """Check every chain (or one contract's); returns (records checked, problems). One query."""
    query = AuditRecord.select(
        AuditRecord.contract, AuditRecord.seq, AuditRecord.actor, AuditRecord.action, AuditRecord.subject,
        AuditRecord.payload, AuditRecord.prev_hash, AuditRecord.hash,
    ).order_by(AuditRecord.contract).order_by(AuditRecord.seq)
    if contract_id is not None:
        query = query.where(AuditRecord.contract == contract_id)
    rows = await query
    chains: dict[int, list[dict]] = {}
    for row in rows:
        chains.setdefault(row["contract"], []).append(row)
    problems = [p for cid, records in chains.items() for p in verify_records(cid, records)]
    return len(rows), problems
