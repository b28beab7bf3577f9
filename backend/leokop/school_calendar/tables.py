"""Tables of the school calendar: when a class is at school, what the company planned for one
apprentice, and each person's secret iCal feed address."""

from piccolo.columns import Date, ForeignKey, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract
from leokop.organisations.tables import SchoolClass


class SchoolPeriod(Table):
    """When a class is at school: on some weekdays every week between two dates ("weekly", e.g.
    Tuesday and Thursday), or a block of consecutive school days ("block"). `weekdays` holds ISO
    weekday digits ("24" = Tuesday, Thursday; a block is "12345"). Public holidays and the state's
    school holidays are never school days, whatever a period says."""

    school_class = ForeignKey(SchoolClass, index=True)
    kind = Varchar(length=8)  # weekly | block
    start_date = Date()
    end_date = Date()  # inclusive
    weekdays = Varchar(length=7)
    label = Varchar(length=120, default="")
    source = Varchar(length=8, default="form")  # form | ical | csv
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz()


class PlanItem(Table):
    """The company's plan for one apprentice: vacation or an inter-company course (ÜBA) over a date
    range, shown in the shared calendar and prefilled as the day status of those days."""

    contract = ForeignKey(Contract, index=True)
    kind = Varchar(length=16)  # vacation | inter_company
    start_date = Date()
    end_date = Date()  # inclusive
    label = Varchar(length=120, default="")
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz()


class CalendarFeed(Table):
    """A secret, revocable iCal address of one user (only the SHA-256 of the token is stored; a new
    address replaces the old one)."""

    user = ForeignKey(User, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
