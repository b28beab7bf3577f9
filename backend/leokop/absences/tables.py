"""Tables of absences: one absence of an apprentice from school, and every change to it."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract


class Absence(Table):
    """An apprentice missed school on `date`: the whole day or some lessons. The school records it;
    the company may report a reason (sick, company assignment) and ask for an excuse; only a teacher
    decides excused or unexcused. `version` guards against two people changing it at once."""

    contract = ForeignKey(Contract, index=True)
    date = Date()
    whole_day = Boolean(default=True)
    first_lesson = Integer(null=True, default=None)
    last_lesson = Integer(null=True, default=None)
    note = Varchar(length=300, default="")
    # open | excuse_requested | excused | unexcused
    status = Varchar(length=20, default="open")
    company_reason = Varchar(length=20, default="")  # "" | sick | company_assignment
    company_note = Varchar(length=300, default="")
    recorded_by = ForeignKey(User, null=True)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class AbsenceEvent(Table):
    """Who changed an absence when, and how (recorded, reason reported, excuse requested, excused,
    unexcused, corrected): the history shown to everyone who sees the absence."""

    absence = ForeignKey(Absence, index=True)
    actor = ForeignKey(User, null=True)
    actor_name = Varchar(length=120)
    action = Varchar(length=24)
    details = Text(default="")
    created_at = Timestamptz()
