"""Data shapes of organisations: Bundesländer, company/school/class forms and rows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from leokop.accounts.schemas import DisplayName, Email
from leokop.organisations.class_import import Outcome

# ISO 3166-2:DE subdivision codes, as the holidays library names them.
STATES: dict[str, str] = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}
StateCode = Literal[
    "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"
]
OrgName = Annotated[str, Meta(min_length=2, max_length=200)]
City = Annotated[str, Meta(max_length=120)]


ContactName = Annotated[str, Meta(max_length=120)]
ContactEmail = Annotated[str, Meta(max_length=254)]
ContactPhone = Annotated[str, Meta(max_length=40)]


class CompanyForm(msgspec.Struct):
    name: OrgName
    state: StateCode
    city: City = ""
    # The chamber's training adviser (Ausbildungsberater/in), shown in the apprentices' contacts.
    chamber_name: ContactName = ""
    chamber_adviser_name: ContactName = ""
    chamber_adviser_email: ContactEmail = ""
    chamber_adviser_phone: ContactPhone = ""


class SchoolOfficeForm(msgspec.Struct):
    """How the school's office (Sekretariat) is reached; shown in the apprentices' contacts."""

    office_email: ContactEmail = ""
    office_phone: ContactPhone = ""


class ClassTeacherForm(msgspec.Struct):
    """A teacher's part in one class: class lead (Klassenleitung) and subjects."""

    is_class_lead: bool = False
    subjects: Annotated[str, Meta(max_length=200)] = ""


class NewCompanyForm(msgspec.Struct):
    """The operator registers a company together with its first person."""

    name: OrgName
    state: StateCode
    first_email: Email
    first_name: DisplayName
    first_role: Literal["company_admin", "trainer"]
    city: City = ""


class NewSchoolForm(msgspec.Struct):
    name: OrgName
    state: StateCode
    first_email: Email
    first_name: DisplayName
    city: City = ""


class SchoolClassForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=60)]
    start_year: Annotated[int, Meta(ge=2000, le=2100)]
    occupation_id: int | None = None


class AssignForm(msgspec.Struct):
    contract_id: int


class OrganisationRow(msgspec.Struct, frozen=True):
    id: int
    name: str
    state: str
    city: str
    people: int


class SchoolClassRow(msgspec.Struct, frozen=True):
    id: int
    name: str
    start_year: int
    occupation_name: str | None
    members: int


class ClassMemberRow(msgspec.Struct, frozen=True):
    contract_id: int
    apprentice_name: str
    company_name: str
    occupation_name: str
    start_date: str
    end_date: str


# --- class lists (organisations.class_import) ------------------------------------------------------


class ClassListPayload(msgspec.Struct):
    """The hidden fields that carry the uploaded file from step to step: its name, its content
    (zlib, base64) and an HMAC over both (see service.sign_class_list)."""

    content: Annotated[str, Meta(min_length=1, max_length=2_000_000)]
    signature: Annotated[str, Meta(min_length=1, max_length=128)]
    filename: Annotated[str, Meta(max_length=200)] = ""


class ColumnChoice(msgspec.Struct, frozen=True):
    """A column of the file as the mapping form offers it: its header and the first row's value."""

    index: int
    header: str
    sample: str


class ClassListStep(msgspec.Struct, frozen=True):
    """What the mapping and preview pages need of the file: the payload to send on, the columns,
    how many rows, and the mapping (column index per field, None = not mapped)."""

    filename: str
    content: str
    signature: str
    columns: list[ColumnChoice]
    rows: int
    mapping: dict[str, int | None]


class ClassListPreview(msgspec.Struct, frozen=True):
    step: ClassListStep
    outcomes: list[Outcome]
    counts: dict[str, int]  # by action
    unknown_classes: list[str]
    fingerprint: str  # what "Übernehmen" promises, compared at confirm (class_import.fingerprint)


class ClassImportRow(msgspec.Struct, frozen=True):
    """An import in the school's log, with its counts by action."""

    id: int
    filename: str
    imported_by: str
    created_at: dt.datetime
    counts: dict[str, int]


class ClassImportReport(msgspec.Struct, frozen=True):
    summary: ClassImportRow
    outcomes: list[Outcome]


class PlacementRow(msgspec.Struct, frozen=True):
    """An apprentice placed in a class whose contract does not name the school yet."""

    apprentice_name: str
    company_name: str
    invited: bool  # the account waits for its invitation to be accepted
