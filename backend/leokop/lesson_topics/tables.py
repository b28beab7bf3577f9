"""Tables of lesson topics: what a class was taught, and which log entry each topic prefilled."""

from piccolo.columns import Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract
from leokop.logbook.tables import Entry
from leokop.organisations.tables import SchoolClass


class LessonTopic(Table):
    """What a class was taught in one week (`day` None) or on one school day, in one subject or
    learning field, with its approximate duration."""

    school_class = ForeignKey(SchoolClass, index=True)
    monday = Date()
    day = Date(null=True, default=None)
    subject = Varchar(length=120)  # Lernfeld or Fach, e.g. "LF 5 Software zur Verwaltung von Daten anpassen"
    text = Text()
    minutes = Integer()
    version = Integer(default=1)
    published_by = ForeignKey(User, null=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TopicPrefill(Table):
    """A topic written into one apprentice's log. The entry is untouched as long as its version is
    still `entry_version`; only untouched prefills follow the teacher's later changes. An entry the
    apprentice deleted leaves `entry` empty, and the topic is never written there again."""

    topic = ForeignKey(LessonTopic, index=True)
    contract = ForeignKey(Contract, index=True)
    entry = ForeignKey(Entry, null=True, on_delete=OnDelete.set_null)
    entry_version = Integer(default=1)
    created_at = Timestamptz()
