"""Merge rules of lesson-topic prefills: what publishing, changing or deleting a class's topics does
to one apprentice's log of that week.

Pure: no database, no I/O. The service loads the facts of every contract of the class in a fixed
number of queries, asks `plan` per contract, and writes the decisions in one go. The rules:

- Never overwrite the apprentice: a prefilled entry follows the teacher's later changes only while
  it is untouched (its version is still the one the prefill wrote). An entry the apprentice changed
  is theirs; one they deleted is never written again; where they already wrote the same text on
  that day, the topic adds nothing and leaves that log alone from then on.
- Submitted and approved weeks are signed or waiting for a signature: never touched, only counted.
- One entry per topic and log: on the topic's day, or for a weekly topic on the class's first school
  day of the week. A day the apprentice recorded (or the company planned) as something else
  (Betrieb, krank, Urlaub …) is no school day for them; a weekly topic then goes to the next one.
- A weekly log (Contract.log_mode "weekly") gets the entry without a day.
- A day holds at most 24 hours: a prefill that would exceed it is skipped and counted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Literal

import msgspec

from leokop.logbook.calendar import check_day_minutes

LOCKED_STATES = ("submitted", "approved")

Action = Literal["create", "update", "remove", "claim", "none"]
# Why nothing (or a removal) happened; the service counts these for the teacher.
Reason = Literal["", "locked", "over_limit", "no_day", "same_text", "edited", "deleted", "unchanged"]

_LEARNING_FIELD = re.compile(r"^(LF \S+)\s")


def subject_prefix(subject: str) -> str:
    """The short form of a subject in front of an entry: "LF 5" for a learning field, else the
    subject as it is ("Deutsch")."""
    match = _LEARNING_FIELD.match(subject)
    return match.group(1) if match else subject


def entry_text(subject: str, text: str) -> str:
    """The text of a prefilled entry: "LF 5: Daten mit SQL abfragen"."""
    return f"{subject_prefix(subject)}: {text.strip()}"


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class Topic(msgspec.Struct, frozen=True):
    """A topic as the rules see it; `deleted` asks to take its untouched prefills back."""

    id: int
    subject: str
    text: str
    minutes: int
    day: dt.date | None  # None: the whole week
    deleted: bool = False

    @property
    def entry_text(self) -> str:
        return entry_text(self.subject, self.text)


class Log(msgspec.Struct, frozen=True):
    """One apprentice's log in the topics' week: the contract's form and days, the week's state
    (None: no sheet yet) and the statuses the apprentice stored or the company planned."""

    contract_id: int
    log_mode: str  # daily | weekly
    first_day: dt.date  # the contract's days inside this week
    last_day: dt.date
    week_state: str | None
    statuses: Mapping[dt.date, str] = {}


class LogEntry(msgspec.Struct, frozen=True):
    """An entry already in that week (the apprentice's own or an earlier prefill)."""

    id: int
    day: dt.date | None
    text: str
    minutes: int


class Prefill(msgspec.Struct, frozen=True):
    """A topic's earlier prefill in this log: `entry_id` None when the apprentice deleted the entry
    (or had written the same text already); `current_version` is the entry's version now."""

    entry_id: int | None
    entry_version: int
    current_version: int | None = None


class Decision(msgspec.Struct, frozen=True):
    """What to do for one topic in one log. create/update carry the entry's day, text and minutes;
    update/remove the entry; claim records the prefill without an entry (the apprentice's own text
    stands)."""

    topic_id: int
    action: Action
    reason: Reason = ""
    day: dt.date | None = None
    text: str = ""
    minutes: int = 0
    entry_id: int | None = None


def school_day_for(topic: Topic, log: Log, school_days: Iterable[dt.date]) -> dt.date | None:
    """The date a topic belongs to in this log: its own day, or the class's first school day of the
    week, inside the contract and not recorded by the apprentice as something else; None if none."""
    candidates = [topic.day] if topic.day is not None else sorted(school_days)
    for day in candidates:
        if log.first_day <= day <= log.last_day and log.statuses.get(day, "school") == "school":
            return day
    return None


def plan(log: Log, topics: Iterable[Topic], school_days: Iterable[dt.date], prefills: Mapping[int, Prefill], entries: Iterable[LogEntry]) -> list[Decision]:
    """The decisions for one log, topic by topic in the given order; each decision sees the entries
    and day totals the earlier ones left (two topics on one day add up against the 24 hours)."""
    school_days = list(school_days)
    entries = {entry.id: entry for entry in entries}
    decisions = []
    next_id = -1  # entries this plan creates get made-up ids so that later topics count them
    for topic in topics:
        decision = _decide(log, topic, school_days, prefills.get(topic.id), entries)
        decisions.append(decision)
        if decision.action == "create":
            entries[next_id] = LogEntry(next_id, decision.day, decision.text, decision.minutes)
            next_id -= 1
        elif decision.action == "update":
            entries[decision.entry_id] = LogEntry(decision.entry_id, decision.day, decision.text, decision.minutes)
        elif decision.action == "remove":
            entries.pop(decision.entry_id, None)
    return decisions


def _decide(log: Log, topic: Topic, school_days: list[dt.date], prefill: Prefill | None, entries: dict[int, LogEntry]) -> Decision:
    if prefill is not None and prefill.entry_id is None:
        return Decision(topic.id, "none", "deleted")
    if prefill is not None and prefill.current_version != prefill.entry_version:
        return Decision(topic.id, "none", "edited")
    if log.week_state in LOCKED_STATES:
        return Decision(topic.id, "none", "locked")
    mine = prefill.entry_id if prefill is not None else None
    day = None if topic.deleted else school_day_for(topic, log, school_days)
    if day is None:
        if mine is not None:
            return Decision(topic.id, "remove", "" if topic.deleted else "no_day", entry_id=mine)
        return Decision(topic.id, "none", "no_day")
    entry_day = None if log.log_mode == "weekly" else day
    text = topic.entry_text
    if mine is None and any(e.day == entry_day and _same_text(e.text, text) for e in entries.values()):
        return Decision(topic.id, "claim", "same_text")
    current = entries.get(mine) if mine is not None else None
    if current is not None and (current.day, current.text, current.minutes) == (entry_day, text, topic.minutes):
        return Decision(topic.id, "none", "unchanged", entry_id=mine)
    if entry_day is not None:
        others = sum(e.minutes for e in entries.values() if e.day == entry_day and e.id != mine)
        if check_day_minutes(others + topic.minutes):
            return Decision(topic.id, "none", "over_limit", entry_id=mine)
    action: Action = "create" if mine is None else "update"
    return Decision(topic.id, action, day=entry_day, text=text, minutes=topic.minutes, entry_id=mine)
