"""Lernortkooperation: one conversation of each kind per contract, one read marker per person and
conversation, one prefill per topic and contract, one iCal feed per user; lookups by class and week
and by contract and date."""

from leokop.db import raw_migration

ID = "2026-11-25T02:48:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cooperation indexes"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS conversation_contract_kind ON conversation (contract, kind)",
    'CREATE UNIQUE INDEX IF NOT EXISTS conversation_read_conversation_user ON conversation_read (conversation, "user")',
    "CREATE UNIQUE INDEX IF NOT EXISTS topic_prefill_topic_contract ON topic_prefill (topic, contract)",
    'CREATE UNIQUE INDEX IF NOT EXISTS calendar_feed_one_per_user ON calendar_feed ("user")',
    "CREATE INDEX IF NOT EXISTS lesson_topic_class_monday ON lesson_topic (school_class, monday)",
    "CREATE INDEX IF NOT EXISTS absence_contract_date ON absence (contract, date)",
    "CREATE INDEX IF NOT EXISTS school_period_class_dates ON school_period (school_class, start_date, end_date)",
)


async def forwards():
    return raw_migration(ID, DESCRIPTION, STATEMENTS)
