"""The audit trail: records are hash-chained per contract; editing, deleting or inserting one is found."""

from __future__ import annotations

import datetime as dt

from leokop.audit import service as audit
from leokop.audit.tables import AuditRecord
from leokop.contracts.tables import Contract
from tests.helpers import APPRENTICE, login, post
from tests.integration.test_mail_and_cli import leokop

MONDAY = dt.date(2026, 6, 1)


def _finn(run) -> int:
    return run(Contract.select(Contract.id).where(Contract.apprentice.email == APPRENTICE).first)["id"]


def _three_records(run, contract: int) -> None:
    for action in ("week.submitted", "week.returned", "week.submitted"):
        run(audit.append, contract, None, action, "week:2026-06-01", {"why": action})


def test_a_fresh_chain_verifies(client, run):
    contract = _finn(run)
    _three_records(run, contract)
    checked, problems = run(audit.verify, contract)
    assert checked == 3 and problems == []
    rows = run(AuditRecord.select(AuditRecord.seq, AuditRecord.prev_hash, AuditRecord.hash).where(AuditRecord.contract == contract).order_by(AuditRecord.seq))
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[2]["prev_hash"] == rows[1]["hash"]


def test_an_edited_record_is_found(client, run):
    contract = _finn(run)
    _three_records(run, contract)
    run(AuditRecord.update({AuditRecord.action: "week.approved"}).where(AuditRecord.seq == 2))
    _, problems = run(audit.verify, contract)
    assert [(p.seq, p.problem) for p in problems] == [(2, "mismatch")]
    payload = run(AuditRecord.select(AuditRecord.payload).where(AuditRecord.seq == 3).first)["payload"]
    run(AuditRecord.update({AuditRecord.payload: payload.replace("week.submitted", "week.approved")}).where(AuditRecord.seq == 3))
    _, problems = run(audit.verify, contract)
    assert (3, "edited") in [(p.seq, p.problem) for p in problems]


def test_a_deleted_or_inserted_record_is_found(client, run):
    contract = _finn(run)
    _three_records(run, contract)
    run(AuditRecord.delete().where(AuditRecord.seq == 2))
    _, problems = run(audit.verify, contract)
    assert {(p.seq, p.problem) for p in problems} == {(2, "missing"), (3, "forked")}


def test_the_verify_command_reports_in_german(client, run):
    contract = _finn(run)
    _three_records(run, contract)
    ok = leokop("verify")
    assert ok.returncode == 0 and "Integrität geprüft: 3 Protokolleinträge" in ok.stdout
    run(AuditRecord.delete().where(AuditRecord.seq == 1))
    broken = leokop("verify")
    assert broken.returncode == 1
    assert f"Vertrag {contract}, Eintrag 1: fehlt (gelöscht)" in broken.stdout
    assert "Integrität verletzt" in broken.stderr


def test_submitting_and_exporting_are_recorded(client, run):
    contract = _finn(run)
    login(client, APPRENTICE)
    week = f"/contracts/{contract}/log/{MONDAY.isoformat()}"
    post(client, f"{week}/status", {"status": "vacation"})
    assert post(client, f"{week}/submit").status_code == 303
    post(client, f"{week}/submit")  # the double submit records nothing more
    client.get(f"/contracts/{contract}/log/export.json")
    rows = run(AuditRecord.select(AuditRecord.action, AuditRecord.subject).where(AuditRecord.contract == contract).order_by(AuditRecord.seq))
    assert rows == [{"action": "week.submitted", "subject": "week:2026-06-01"}, {"action": "log.exported", "subject": "log"}]
    assert run(audit.verify, contract)[1] == []
