"""Offline replays: an entry's client id is unique per week, so a replayed add cannot duplicate it."""

from leokop.db import raw_migration

ID = "2026-11-25T00:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "entry client id index"

STATEMENTS = ("CREATE UNIQUE INDEX IF NOT EXISTS entry_week_client_id_key ON entry (week, client_id)",)


async def forwards():
    return raw_migration(ID, DESCRIPTION, STATEMENTS)
