"""Unique indexes over several columns (SQLite cannot ALTER TABLE ADD CONSTRAINT; an index works on both)."""

from leokop.db import raw_migration

ID = "2026-11-24T21:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes over several columns"

INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS school_class_school_name_key ON school_class (school, name)",
    "CREATE UNIQUE INDEX IF NOT EXISTS guardianship_pair_key ON guardianship (guardian, apprentice)",
    "CREATE UNIQUE INDEX IF NOT EXISTS contract_staff_person_key ON contract_staff (contract, \"user\")",
    "CREATE INDEX IF NOT EXISTS mail_message_due_idx ON mail_message (sent_at, next_attempt_at)",
)


async def forwards():
    return raw_migration(ID, DESCRIPTION, INDEXES)
