"""Data shapes of organisations: Bundesländer, company/school/class forms and rows."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from leokop.accounts.schemas import DisplayName, Email

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


class CompanyForm(msgspec.Struct):
    name: OrgName
    state: StateCode
    city: City = ""


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
