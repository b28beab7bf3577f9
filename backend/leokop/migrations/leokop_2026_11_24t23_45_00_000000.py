"""Indexes of signing and cooperation: one row per teacher and class, quick unread counts."""

from leokop.db import raw_migration

ID = "2026-11-24T23:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "class teacher and notification indexes"

INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS class_teacher_class_teacher_key ON class_teacher (school_class, teacher)",
    'CREATE INDEX IF NOT EXISTS notification_unread_idx ON notification ("user", read_at)',
    "CREATE INDEX IF NOT EXISTS signature_contract_kind_idx ON signature (contract, kind)",
)


async def forwards():
    return raw_migration(ID, DESCRIPTION, INDEXES)
