"""The audit chain's order: one record per (contract, seq), so concurrent appends cannot fork it."""

from leokop.db import raw_migration

ID = "2026-11-24T23:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit chain index"

INDEXES = ("CREATE UNIQUE INDEX IF NOT EXISTS audit_record_contract_seq_key ON audit_record (contract, seq)",)


async def forwards():
    return raw_migration(ID, DESCRIPTION, INDEXES)
