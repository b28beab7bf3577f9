"""What a signature signs: the canonical form of a week's content and of its school part, and their hashes.

Pure functions over plain rows. The canonical form is msgspec JSON with sorted keys, dates as ISO
text and entries in their shown order, so the same content always gives the same bytes and the
same SHA-256, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping

import msgspec

FORMAT = "leokop-week/1"


def week_content(
    contract_id: int,
    monday: dt.date,
    days: Iterable[Mapping],
    entries: Iterable[Mapping],
    attachments: Iterable[Mapping],
) -> dict:
    """Days (date, status, note), entries (day, position, category, text, minutes) and attachments
    (file hash and name) of one week, ordered independently of how they were queried."""
    return {
        "format": FORMAT,
        "contract": contract_id,
        "monday": monday.isoformat(),
        "days": sorted(
            ({"date": d["date"].isoformat(), "status": d["status"], "note": d["note"]} for d in days),
            key=lambda d: d["date"],
        ),
        "entries": [
            {
                "day": e["day"].isoformat() if e["day"] else None,
                "category": e["category"],
                "text": e["text"],
                "minutes": e["minutes"],
            }
            for e in sorted(entries, key=lambda e: (e["day"] or dt.date.min, e["position"], e["id"]))
        ],
        "attachments": sorted(
            ({"sha256": a["sha256"], "filename": a["filename"]} for a in attachments),
            key=lambda a: (a["sha256"], a["filename"]),
        ),
    }


def school_part(content: Mapping) -> dict:
    """What a teacher co-signs: the school days and the Berufsschule entries (topics) of the week."""
    return {
        "format": FORMAT + "/school",
        "contract": content["contract"],
        "monday": content["monday"],
        "days": [d for d in content["days"] if d["status"] == "school"],
        "entries": [e for e in content["entries"] if e["category"] == "school"],
    }


def digest(value: Mapping) -> str:
    return hashlib.sha256(msgspec.json.encode(value, order="sorted")).hexdigest()


def fingerprint(content_hash: str) -> str:
    """The short form people compare by eye (on screen and, later, on paper)."""
    return " ".join(content_hash[i : i + 4] for i in range(0, 16, 4)).upper()
