"""Tables of the organisations feature: companies, schools, school classes, imported class lists."""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

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


class ClassImport(Table):
    """A class list the school's admin imported (the log of imports): who, when, which file, how
    many rows ended how, and the report of every row (JSON, see organisations.schemas.ReportRow)."""

    school = ForeignKey(School, index=True)
    imported_by = ForeignKey(
        LazyTableReference("User", module_path="leokop.accounts.tables"), null=True, on_delete=OnDelete.set_null
    )
    filename = Varchar(length=200, default="")
    matched = Integer(default=0)  # the class was set on the apprentice's contract
    invited = Integer(default=0)  # a new apprentice account was invited and placed
    placed = Integer(default=0)  # an apprentice without a contract naming the school was placed
    unchanged = Integer(default=0)  # already so (e.g. the same file imported again)
    rejected = Integer(default=0)
    report = Text()
    created_at = Timestamptz()


class ClassPlacement(Table):
    """An apprentice the school put into a class before their contract names the school (invited by
    the import, or the company has not entered the school yet): the contract gets the class as soon
    as the company saves it with this school (contracts.service.save_contract)."""

    apprentice = ForeignKey(LazyTableReference("User", module_path="leokop.accounts.tables"), unique=True)
    school_class = ForeignKey(SchoolClass, index=True)
    class_import = ForeignKey(ClassImport, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
