"""Indexes of signing: one row per teacher and class, quick unread counts, the inbox's look-ups."""

from leokop.db import raw_migration

ID = "2026-11-24T23:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "class teacher and notification indexes"

INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS class_teacher_class_teacher_key ON class_teacher (school_class, teacher)",
    'CREATE INDEX IF NOT EXISTS notification_unread_idx ON notification ("user", read_at)',
    # The inbox's "last approval per apprentice" reads the newest entry of the index only.
    "CREATE INDEX IF NOT EXISTS signature_contract_kind_at_idx ON signature (contract, kind, signed_at)",
    # Submitted weeks are few among years of history: the inbox finds them without reading the rest.
    "CREATE INDEX IF NOT EXISTS week_submitted_idx ON week (contract) WHERE state = 'submitted'",
)


async def forwards():
    return raw_migration(ID, DESCRIPTION, INDEXES)
