"""The canonical content of a week and its school part: stable bytes, every part counted, order kept."""

from __future__ import annotations

import datetime as dt

from leokop.signing.content import digest, fingerprint, school_part, week_content

MONDAY = dt.date(2026, 6, 1)
DAYS = [{"date": MONDAY, "status": "company", "note": ""}, {"date": MONDAY + dt.timedelta(days=1), "status": "school", "note": ""}]
ENTRIES = [
    {"id": 1, "day": MONDAY, "position": 1, "category": "company", "text": "Schaltschrank verdrahtet", "minutes": 240},
    {"id": 2, "day": MONDAY, "position": 2, "category": "instruction", "text": "Unterweisung", "minutes": 60},
    {"id": 3, "day": MONDAY + dt.timedelta(days=1), "position": 1, "category": "school", "text": "LF 3: Steuerungen", "minutes": 360},
]
FILES = [{"sha256": "ab" * 32, "filename": "foto.jpg"}]


def content(days=DAYS, entries=ENTRIES, files=FILES):
    return week_content(7, MONDAY, days, entries, files)


def test_the_hash_does_not_depend_on_query_order():
    assert digest(content()) == digest(content(list(reversed(DAYS)), list(reversed(ENTRIES)), list(reversed(FILES))))


def test_every_part_of_the_content_changes_the_hash():
    base = digest(content())
    changed_entry = [dict(ENTRIES[0], text="Schaltschrank verdrahtet."), *ENTRIES[1:]]
    changed_minutes = [dict(ENTRIES[0], minutes=241), *ENTRIES[1:]]
    changed_status = [DAYS[0], dict(DAYS[1], status="sick")]
    swapped = [dict(ENTRIES[0], position=2), dict(ENTRIES[1], position=1), ENTRIES[2]]
    other_file = [{"sha256": "cd" * 32, "filename": "foto.jpg"}]
    variants = [
        content(entries=changed_entry),
        content(entries=changed_minutes),
        content(days=changed_status),
        content(entries=swapped),
        content(files=other_file),
        content(files=[]),
        content(entries=ENTRIES[:2]),
        week_content(8, MONDAY, DAYS, ENTRIES, FILES),
    ]
    hashes = {digest(v) for v in variants}
    assert base not in hashes and len(hashes) == len(variants)


def test_the_school_part_holds_school_days_and_topics_only():
    part = school_part(content())
    assert [d["status"] for d in part["days"]] == ["school"]
    assert [e["text"] for e in part["entries"]] == ["LF 3: Steuerungen"]
    company_changed = content(entries=[dict(ENTRIES[0], text="anders"), *ENTRIES[1:]])
    assert digest(school_part(company_changed)) == digest(part)  # company work does not void a co-sign
    topic_changed = content(entries=[*ENTRIES[:2], dict(ENTRIES[2], text="LF 4")])
    assert digest(school_part(topic_changed)) != digest(part)


def test_the_fingerprint_is_the_hash_start_in_groups():
    assert fingerprint("0123456789abcdef" + "0" * 48) == "0123 4567 89AB CDEF"
