"""Data shapes of lesson topics: the page's rows, the report after publishing, and the JSON API bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

# Room for the subject's prefix ("LF 12a: ") inside an entry's 4000 characters.
TopicText = Annotated[str, Meta(max_length=3000)]
Subject = Annotated[str, Meta(max_length=120)]


class TopicForm(msgspec.Struct):
    """One topic as a form row sends it; `duration` is what the teacher typed ("1:30", "2", "0,5");
    `day` empty = the whole week."""

    subject: Subject
    text: TopicText
    duration: Annotated[str, Meta(max_length=40)]
    day: dt.date | None = None
    version: int | None = None


class SubjectOption(msgspec.Struct, frozen=True):
    value: str  # stored as LessonTopic.subject
    group: str  # "Lernfelder" | "Fächer"


class TopicView(msgspec.Struct, frozen=True):
    id: int
    monday: dt.date
    day: dt.date | None
    subject: str
    text: str
    minutes: int
    version: int
    published_by_name: str
    updated_at: dt.datetime


class ClassWeekView(msgspec.Struct, frozen=True):
    """The topics page of one class and week."""

    class_id: int
    class_name: str
    monday: dt.date
    sunday: dt.date
    iso_week: int
    days: list[dt.date]  # Monday to Friday, the days a topic can be given
    school_days: list[dt.date]  # from the class calendar
    may_publish: bool  # the week has begun (topics say what was taught)
    previous_monday: dt.date
    next_monday: dt.date | None  # None: no topics for weeks that have not begun
    topics: list[TopicView]
    subjects: list[SubjectOption]
    previous_topics: list[TopicView]  # last week's, offered as rows to fill in ("Fächer der Vorwoche")


class PrefillReport(msgspec.Struct, frozen=True):
    """What a publish, change or deletion did to the class's logs, counted per log (contract)."""

    written: int = 0  # logs that got a new, changed or removed prefill
    locked: int = 0  # week already submitted or approved: left alone
    over_limit: int = 0  # the day would hold more than 24 hours
    no_day: int = 0  # no school day for the topic inside the contract (or the apprentice recorded another status)
    kept: int = 0  # the apprentice changed, deleted or had already written the topic: their text stands


# --- JSON API ------------------------------------------------------------------------------------


class TopicIn(msgspec.Struct):
    """A new topic. `monday` names the week; `day` (a date in that week) or null for the whole week."""

    monday: dt.date
    subject: Annotated[str, Meta(min_length=1, max_length=120)]
    text: Annotated[str, Meta(min_length=1, max_length=3000)]
    minutes: Annotated[int, Meta(gt=0, le=720)]
    day: dt.date | None = None


class TopicChangeIn(msgspec.Struct):
    """A changed topic; `version` is the one you last read (a stale one answers 409). The week stays."""

    subject: Annotated[str, Meta(min_length=1, max_length=120)]
    text: Annotated[str, Meta(min_length=1, max_length=3000)]
    minutes: Annotated[int, Meta(gt=0, le=720)]
    version: int
    day: dt.date | None = None


class TopicsOut(msgspec.Struct, frozen=True):
    class_id: int
    monday: dt.date
    school_days: list[dt.date]
    topics: list[TopicView]
    subjects: list[str]


class TopicResult(msgspec.Struct, frozen=True):
    topic: TopicView | None  # None after a deletion
    report: PrefillReport
