"""Tables of the logbook: weekly sheets, their days and entries, and personal phrases."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract


class Week(Table):
    """One weekly sheet (Nachweis) of a contract, identified by its Monday; created at the first save.
    Its number is derived from the contract start (logbook.calendar), never stored."""

    contract = ForeignKey(Contract, index=True)
    monday = Date()
    state = Varchar(length=12, default="draft")  # draft | submitted | returned | approved
    submitted_at = Timestamptz(null=True, default=None)
    return_reason = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Day(Table):
    """The status of one date of a week (Betrieb, Schule, Urlaub, …), stored once the apprentice sets it."""

    week = ForeignKey(Week, index=True)
    date = Date()
    status = Varchar(length=16)
    note = Varchar(length=200, default="")  # the text of "sonstige Abwesenheit"
    version = Integer(default=1)


class Entry(Table):
    """One line of the log: what was done or learned, its category and duration. `day` is None in
    the weekly mode. `version` grows with every change, so a save from a stale device is detected."""

    week = ForeignKey(Week, index=True)
    day = Date(null=True, default=None)
    position = Integer(default=0)
    category = Varchar(length=16)
    text = Text()
    minutes = Integer()
    version = Integer(default=1)
    # Set by the device that typed it (offline outbox): a replay of the same add finds this entry
    # instead of creating a second one. Unique per week (raw migration).
    client_id = Varchar(length=40, null=True, default=None)
    # "school": prefilled from a lesson topic the teacher published (lesson_topics.TopicPrefill).
    origin = Varchar(length=8, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Phrase(Table):
    """A line an apprentice saved to insert again later (Textbaustein)."""

    user = ForeignKey(User, index=True)
    text = Varchar(length=500)
    created_at = Timestamptz()


class Attachment(Table):
    """A photo or document on a week (optionally on one entry). The file lives under var/uploads,
    named by its SHA-256, never inside a web root; photos are stored re-encoded without metadata."""

    week = ForeignKey(Week, index=True)
    entry = ForeignKey(Entry, null=True, on_delete=OnDelete.set_null)
    filename = Varchar(length=200)
    content_type = Varchar(length=60)
    size = Integer()
    sha256 = Varchar(length=64)
    has_thumbnail = Boolean(default=False)
    uploaded_by = ForeignKey(User, null=True)
    created_at = Timestamptz()
