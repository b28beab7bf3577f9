"""Push jobs: a reminder's dedupe key is unique; the queue is found by state and time; notifications
from before push existed are not pushed."""

from leokop.db import raw_migration

ID = "2026-11-25T00:44:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "push job indexes"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS notification_dedupe_key ON notification (dedupe_key)",
    "CREATE INDEX IF NOT EXISTS notification_push_queue_idx ON notification (push_state, push_not_before)",
    "UPDATE notification SET push_state = 'skipped' WHERE pushed_at IS NULL",
)


async def forwards():
    return raw_migration(ID, DESCRIPTION, STATEMENTS)
