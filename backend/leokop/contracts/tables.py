"""Tables of the contracts feature: the contract, the trainers and instructors assigned to it, and
who has agreed that the school may read the log."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.curriculum.tables import Occupation
from leokop.organisations.tables import Company, School, SchoolClass


class Contract(Table):
    """Apprentice × company × occupation × dates, with the log's form and mode."""

    apprentice = ForeignKey(User, index=True)
    company = ForeignKey(Company, index=True)
    occupation = ForeignKey(Occupation)
    start_date = Date()
    end_date = Date()
    log_form = Varchar(length=12)  # electronic | written (§ 11 Abs. 1 S. 2 Nr. 12 BBiG)
    log_mode = Varchar(length=8)  # daily | weekly
    daily_minutes = Integer()
    school = ForeignKey(School, null=True, index=True)
    school_class = ForeignKey(SchoolClass, null=True, index=True)
    # On what the company may see the school's absences (K4): "" = not recorded (it sees none),
    # "consent" = the apprentice's (a minor's: the guardians') consent, "contract" = a clause of the
    # training contract. `share_sick_days`: the log's sick days are shown to the school.
    absence_basis = Varchar(length=12, default="")
    share_sick_days = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ContractStaff(Table):
    """A trainer or instructor responsible for a contract."""

    contract = ForeignKey(Contract, index=True)
    user = ForeignKey(User, index=True)
    kind = Varchar(length=12)  # trainer | instructor


class ReadingConsent(Table):
    """Whether the teachers of the apprentice's class may read the log (K1): the apprentice agrees,
    the company can withdraw it for its apprentice. One row per contract; every change is also in the
    audit trail with who and when."""

    contract = ForeignKey(Contract, unique=True)
    apprentice_consented_at = Timestamptz(null=True, default=None)
    company_withdrawn_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()
