"""Unique and lookup indexes of the logbook (one sheet per contract and week, one status per day)."""

from leokop.db import raw_migration

ID = "2026-11-24T22:08:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "logbook indexes"

INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS week_contract_monday_key ON week (contract, monday)",
    "CREATE UNIQUE INDEX IF NOT EXISTS day_week_date_key ON day (week, date)",
    "CREATE INDEX IF NOT EXISTS entry_week_day_position_idx ON entry (week, day, position)",
)


async def forwards():
    return raw_migration(ID, DESCRIPTION, INDEXES)
