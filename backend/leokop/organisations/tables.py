"""Tables of the organisations feature: companies, schools, school classes."""

from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from piccolo.columns.reference import LazyTableReference

from leokop.curriculum.tables import Occupation


class Company(Table):
    """An Ausbildungsbetrieb; its Bundesland decides the public holidays in its logs."""

    name = Varchar(length=200)
    state = Varchar(length=2)
    city = Varchar(length=120, default="")
    # The chamber's training adviser (Ausbildungsberater/in), shown in the apprentices' contacts.
    chamber_name = Varchar(length=120, default="")
    chamber_adviser_name = Varchar(length=120, default="")
    chamber_adviser_email = Varchar(length=254, default="")
    chamber_adviser_phone = Varchar(length=40, default="")
    created_at = Timestamptz()


class School(Table):
    """A Berufsschule."""

    name = Varchar(length=200)
    state = Varchar(length=2)
    city = Varchar(length=120, default="")
    office_email = Varchar(length=254, default="")  # Schulsekretariat
    office_phone = Varchar(length=40, default="")
    created_at = Timestamptz()


class SchoolClass(Table):
    """A Klasse at a school, for one occupation and the school year it started."""

    school = ForeignKey(School, index=True)
    name = Varchar(length=60)
    occupation = ForeignKey(Occupation, null=True)
    start_year = Integer()
    created_at = Timestamptz()


class ClassTeacher(Table):
    """A teacher who teaches a class (and so may read the logs of its apprentices who agreed)."""

    school_class = ForeignKey(SchoolClass, index=True)
    # Lazy: accounts.tables imports this module (users belong to companies and schools).
    teacher = ForeignKey(LazyTableReference("User", module_path="leokop.accounts.tables"), index=True)
    is_class_lead = Boolean(default=False)  # Klassenleitung
    subjects = Varchar(length=200, default="")  # e.g. "LF 5, LF 6, Deutsch"
    created_at = Timestamptz()
