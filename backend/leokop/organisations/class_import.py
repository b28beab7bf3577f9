"""Class lists from the school's administration software (LUSD, SchILD, Untis …): reading the CSV
export, guessing the column mapping, and deciding for every row what the import does.

Pure: bytes, a mapping and what the database knows (a `Known`, fetched by the service in a fixed
number of queries) in, decisions out. The same input always gives the same decisions, so "Übernehmen"
decides again on the same bytes and compares with what the preview showed.

Matching rules (decided here, documented in the README):
- Names are compared folded: case, spaces, hyphens and punctuation do not count, umlauts equal their
  spelled-out form (ä = ae, ö = oe, ü = ue, ß = ss) and accents are dropped (é = e), because school
  software and people write the same name differently ("Müller" / "Mueller", "Anna-Lena" /
  "Anna Lena"). "Vorname Nachname" and "Nachname Vorname" both match the account's name.
- A person matches an apprentice account of the named company with the same birth date and the same
  folded name, or with the same birth date and the file's e-mail address (the apprentice may have
  changed the name shown in leokop). More than one such account: "mehrdeutig", never a guess.
- Company names are compared folded and without a trailing legal form ("Rhein-Main Maschinenbau" =
  "Rhein-Main Maschinenbau AG"; "GmbH & Co. KG", "e. K." …). Class names are compared folded and
  without spaces ("FIA 25a" = "fia25a"); a class must exist at the school (it is never created by the
  import: the list has neither the occupation nor the start year).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections import defaultdict

import msgspec
from email_validator import EmailNotValidError, validate_email

from leokop.errors import ValidationFailed

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 5000
MAX_NAME = 120  # the account's display name holds "Vorname Nachname"

# The fields the admin maps to columns, in the order the mapping form shows them.
FIELDS = ("last_name", "first_name", "birth_date", "class_name", "company", "email")
OPTIONAL_FIELDS = frozenset({"email"})
FIELD_LABELS = {
    "last_name": "Nachname",
    "first_name": "Vorname",
    "birth_date": "Geburtsdatum",
    "class_name": "Klasse",
    "company": "Ausbildungsbetrieb",
    "email": "E-Mail",
}

# What the import does with a row; templates show these in German.
MATCHED, INVITED, PLACED, UNCHANGED, REJECTED = "matched", "invited", "placed", "unchanged", "rejected"
ACTIONS = (MATCHED, INVITED, PLACED, UNCHANGED, REJECTED)


class Sheet(msgspec.Struct, frozen=True):
    """The file as a table: the header's cells and every non-empty row with its line number."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


class ListRow(msgspec.Struct, frozen=True):
    """One row read through the mapping; `problem` is a message code when the row itself is unusable."""

    line: int
    last_name: str
    first_name: str
    birth_text: str
    birth_date: dt.date | None
    class_name: str
    company: str
    email: str
    problem: str = ""
    params: dict[str, str] = {}

    @property
    def name(self) -> str:
        return " ".join(f"{self.first_name} {self.last_name}".split())


class Apprentice(msgspec.Struct, frozen=True):
    id: int
    name: str
    email: str
    birth_date: dt.date | None
    company_id: int
    active: bool


class ContractInfo(msgspec.Struct, frozen=True):
    id: int
    apprentice_id: int
    company_id: int
    school_id: int | None
    class_id: int | None
    class_name: str
    start_date: dt.date
    end_date: dt.date


class Placement(msgspec.Struct, frozen=True):
    apprentice_id: int
    class_id: int
    school_id: int


class Known(msgspec.Struct, frozen=True):
    """What the database knows that the rows can match: the school's classes, the companies by folded
    name, the apprentices who could be meant, their contracts and placements, and which of the file's
    e-mail addresses have an account already."""

    classes: dict[str, tuple[int, str]]  # class key → (id, name)
    companies: dict[str, list[tuple[int, str]]]  # company key → [(id, name)]
    apprentices: list[Apprentice]
    contracts: list[ContractInfo]
    placements: dict[int, Placement]  # by apprentice
    taken_emails: frozenset[str]


class Outcome(msgspec.Struct, frozen=True):
    """What the import does with one row: `action` (see ACTIONS), the reason as a message code with
    its parameters, and the ids it acts on."""

    line: int
    name: str
    birth_date: dt.date | None
    class_name: str
    company: str
    email: str
    action: str
    code: str
    params: dict[str, str] = {}
    class_id: int | None = None
    company_id: int | None = None
    apprentice_id: int | None = None
    contract_id: int | None = None


# --- reading the file ---------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """UTF-16 with BOM (Excel's "Unicode-Text"), UTF-8 with or without BOM, else Windows-1252 (Excel
    in Germany); ValidationFailed when the bytes are no text file at all."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValidationFailed({"file": "class_list_excel"})
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValidationFailed({"file": "class_list_not_csv"}) from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed({"file": "class_list_not_csv"})
    # Control characters other than tab and line breaks: a binary file (PDF, image …), not a CSV.
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise ValidationFailed({"file": "class_list_not_csv"})
    return text


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """The sniffed dialect; when the sniffer cannot tell (or picks a character missing from the
    header line), the separator that the header line uses most, ";" when it uses none."""
    lines = [line for line in text.splitlines() if line.strip()]
    head = lines[0] if lines else ""
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:30]), delimiters=";,\t")
        if dialect.delimiter in head:
            return dialect
    except csv.Error:
        pass
    counts = {delimiter: head.count(delimiter) for delimiter in ";\t,"}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ";"

    class Sniffed(csv.excel):
        pass

    Sniffed.delimiter = delimiter
    return Sniffed


def _clean(cell: str) -> str:
    # Non-breaking and zero-width spaces come with copies from web pages and Excel.
    return " ".join(cell.replace("\u00a0", " ").replace("\ufeff", "").replace("\u200b", "").split())


def read_sheet(data: bytes) -> Sheet:
    """The file's header and rows; ValidationFailed({"file": code}) when it cannot be a class list."""
    if not data.strip():
        raise ValidationFailed({"file": "class_list_empty"})
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed({"file": "class_list_too_large"})
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            cells = [_clean(cell) for cell in cells]
            if not any(cells):
                continue
            if header is None:
                header = cells
            elif len(rows) >= MAX_ROWS:
                raise ValidationFailed({"file": "class_list_too_many_rows"}, max=MAX_ROWS)
            else:
                rows.append((reader.line_num, cells))
    except csv.Error:
        raise ValidationFailed({"file": "class_list_not_csv"}) from None
    if header is None:
        raise ValidationFailed({"file": "class_list_empty"})
    if len(header) < len(FIELDS) - len(OPTIONAL_FIELDS):
        raise ValidationFailed({"file": "class_list_columns"}, found=", ".join(h for h in header if h) or "–")
    if not rows:
        raise ValidationFailed({"file": "class_list_no_rows"})
    return Sheet(header=header, rows=rows)


# --- the column mapping ---------------------------------------------------------------------------

# Header names of the usual exports, folded (see header_key). Exact names first; then a header that
# contains one of the longer names ("Schüler-Nachname", "Geb.-Datum des Schülers").
_EXACT = {
    "email": ("email", "emailadresse", "mail", "emailprivat", "mailadresse"),
    "birth_date": ("geburtsdatum", "gebdatum", "geboren", "geburtstag", "gebdat", "geb", "birthdate", "dateofbirth"),
    "class_name": ("klasse", "klassenbezeichnung", "klassenname", "lerngruppe", "klassekurz", "kl", "class"),
    "company": ("ausbildungsbetrieb", "betrieb", "firma", "unternehmen", "arbeitgeber", "betriebsname", "company"),
    "first_name": ("vorname", "vornamen", "rufname", "firstname"),
    "last_name": ("nachname", "familienname", "name", "zuname", "lastname", "surname"),
}
_CONTAINED = {
    "email": ("mail",),
    "birth_date": ("geburt", "gebdat"),
    "class_name": ("klasse",),
    "company": ("betrieb", "firma", "unternehmen", "arbeitgeber"),
    "first_name": ("vorname", "rufname"),
    "last_name": ("nachname", "familienname", "zuname"),
}


def header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(header))


def guess_mapping(header: list[str]) -> dict[str, int | None]:
    """A column index per field, guessed from the header names; None where nothing fits. Each
    column is used once; exact names win over names that only contain a known word."""
    keys = [header_key(cell) for cell in header]
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    used: set[int] = set()
    for names, test in ((_EXACT, lambda key, name: key == name), (_CONTAINED, lambda key, name: name in key)):
        for field, candidates in names.items():
            if mapping[field] is not None:
                continue
            position = next((i for i, key in enumerate(keys) if i not in used and any(test(key, n) for n in candidates)), None)
            if position is not None:
                mapping[field] = position
                used.add(position)
    return mapping


def check_mapping(raw: dict[str, str], columns: int) -> tuple[dict[str, int | None], dict[str, str]]:
    """The mapping form's values ("" or a column index per field) as (mapping, errors by field)."""
    mapping: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    taken: dict[int, str] = {}
    for field in FIELDS:
        value = (raw.get(field) or "").strip()
        if not value:
            mapping[field] = None
            if field not in OPTIONAL_FIELDS:
                errors[field] = "class_list_column_required"
            continue
        if not value.isdigit() or int(value) >= columns:
            mapping[field] = None
            errors[field] = "invalid_choice"
            continue
        position = int(value)
        mapping[field] = position
        if position in taken:
            errors[field] = "class_list_column_twice"
        else:
            taken[position] = field
    return mapping, errors


# --- reading the rows -----------------------------------------------------------------------------

_GERMAN_DATE = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{2}|\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Exports from spreadsheets sometimes add a time: "14.03.2006 00:00", "2006-03-14T00:00:00".
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2})?$")


def parse_birth_date(raw: str, today: dt.date) -> dt.date | None:
    """A German ("14.03.2006", "1.9.06") or ISO ("2006-03-14") date; a two-digit year is the latest
    such year not after today (a birth date lies in the past). None when it is neither."""
    raw = _TIME_SUFFIX.sub("", raw.strip())
    try:
        match = _GERMAN_DATE.fullmatch(raw)
        if match:
            day, month, year = (int(part) for part in match.groups())
            if year < 100:
                year += 2000 if 2000 + year <= today.year else 1900
            return dt.date(year, month, day)
        match = _ISO_DATE.fullmatch(raw)
        return dt.date(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        return None


def _check_email(raw: str) -> str | None:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def read_rows(sheet: Sheet, mapping: dict[str, int | None], today: dt.date) -> list[ListRow]:
    """Every row through the mapping, each checked on its own (missing or invalid values)."""
    rows = []
    for line, cells in sheet.rows:

        def cell(field: str) -> str:
            position = mapping.get(field)
            return cells[position] if position is not None and position < len(cells) else ""

        values = {field: cell(field) for field in FIELDS}
        birth = parse_birth_date(values["birth_date"], today) if values["birth_date"] else None
        problem, params = "", {}
        missing = [FIELD_LABELS[f] for f in FIELDS if f not in OPTIONAL_FIELDS and not values[f]]
        email = _check_email(values["email"]) if values["email"] else ""
        if missing:
            problem, params = "class_list_missing", {"columns": ", ".join(missing)}
        elif birth is None:
            problem, params = "class_list_birth_date_invalid", {"value": values["birth_date"]}
        elif not dt.date(1900, 1, 1) <= birth < today:
            problem, params = "class_list_birth_date_range", {"value": values["birth_date"]}
        elif email is None:
            problem, params = "class_list_email_invalid", {"value": values["email"]}
        elif len(f"{values['first_name']} {values['last_name']}") > MAX_NAME:
            problem, params = "class_list_name_too_long", {"max": str(MAX_NAME)}
        rows.append(
            ListRow(
                line=line,
                last_name=values["last_name"],
                first_name=values["first_name"],
                birth_text=values["birth_date"],
                birth_date=birth,
                class_name=values["class_name"],
                company=values["company"],
                email=email or "",
                problem=problem,
                params=params,
            )
        )
    return rows


# --- folding names --------------------------------------------------------------------------------

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# Legal forms at the end of a company's name: "GmbH & Co. KG", "e. K.", "AG", "UG (haftungsbeschränkt)".
_LEGAL_FORMS = frozenset(
    {"gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "gbr", "ug", "haftungsbeschraenkt", "se", "eg", "ev", "e", "k", "v", "co", "und", "partg"}
)


def fold(text: str) -> str:
    """Lower case, umlauts spelled out, accents dropped, everything but letters and digits a single space."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def name_keys(first_name: str, last_name: str) -> frozenset[str]:
    return frozenset({fold(f"{first_name} {last_name}"), fold(f"{last_name} {first_name}")})


def company_key(name: str) -> str:
    words = fold(name).split()
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def class_key(name: str) -> str:
    return fold(name).replace(" ", "")


# --- deciding -------------------------------------------------------------------------------------


def _outcome(row: ListRow, action: str, code: str, params: dict[str, str] | None = None, **ids) -> Outcome:
    return Outcome(
        line=row.line,
        name=row.name,
        birth_date=row.birth_date,
        class_name=row.class_name,
        company=row.company,
        email=row.email,
        action=action,
        code=code,
        params=params or {},
        **ids,
    )


def _in_file_conflicts(rows: list[ListRow]) -> dict[int, tuple[str, dict[str, str]]]:
    """Rows rejected because of other rows: the same person again (a copy is left out; the same
    person in two different classes or companies leaves out every such row, since the file does not
    say which is right)."""
    by_person: dict[tuple, list[ListRow]] = defaultdict(list)
    for row in rows:
        if not row.problem:
            by_person[(fold(row.name), row.birth_date)].append(row)
    rejected: dict[int, tuple[str, dict[str, str]]] = {}
    for group in by_person.values():
        if len(group) < 2:
            continue
        places = {(class_key(r.class_name), company_key(r.company)) for r in group}
        lines = ", ".join(str(r.line) for r in group)
        if len(places) > 1:
            for row in group:
                rejected[row.line] = ("class_list_conflicting_rows", {"lines": lines})
        else:
            for row in group[1:]:
                rejected[row.line] = ("class_list_duplicate_row", {"first": str(group[0].line)})
    return rejected


def decide(rows: list[ListRow], known: Known, school_id: int, today: dt.date) -> list[Outcome]:
    """What the import does with every row (see the module's docstring for the matching rules)."""
    conflicts = _in_file_conflicts(rows)
    contracts_of: dict[int, list[ContractInfo]] = defaultdict(list)
    for contract in sorted(known.contracts, key=lambda c: c.start_date):
        if contract.end_date >= today:  # an ended contract is no longer the school's business
            contracts_of[contract.apprentice_id].append(contract)
    born_on: dict[dt.date | None, list[tuple[Apprentice, str]]] = defaultdict(list)  # a row looks only at its birth date
    for apprentice in known.apprentices:
        born_on[apprentice.birth_date].append((apprentice, fold(apprentice.name)))
    claimed: dict[int, int] = {}  # apprentice id → the row that acts on them
    invited_emails: dict[str, int] = {}
    outcomes = []
    for row in rows:
        if row.problem:
            outcomes.append(_outcome(row, REJECTED, row.problem, row.params))
            continue
        if row.line in conflicts:
            outcomes.append(_outcome(row, REJECTED, *conflicts[row.line]))
            continue
        school_class = known.classes.get(class_key(row.class_name))
        if school_class is None:
            outcomes.append(_outcome(row, REJECTED, "class_list_unknown_class", {"value": row.class_name}))
            continue
        class_id, class_name = school_class
        companies = known.companies.get(company_key(row.company), [])
        if not companies:
            outcomes.append(_outcome(row, REJECTED, "class_list_unknown_company", {"value": row.company}))
            continue
        company_ids = {company_id for company_id, _ in companies}
        keys = name_keys(row.first_name, row.last_name)
        people = [
            a for a, key in born_on[row.birth_date] if a.company_id in company_ids and (key in keys or (row.email and a.email == row.email))
        ]
        ids = {"class_id": class_id}
        if len(people) > 1:
            outcomes.append(_outcome(row, REJECTED, "class_list_ambiguous", {"count": str(len(people))}))
            continue
        if people:
            person = people[0]
            if person.id in claimed:
                outcomes.append(_outcome(row, REJECTED, "class_list_same_person", {"first": str(claimed[person.id])}))
                continue
            claimed[person.id] = row.line
            ids.update(apprentice_id=person.id, company_id=person.company_id)
            current = next((c for c in contracts_of[person.id] if c.company_id in company_ids), None)
            if current is not None and current.school_id not in (None, school_id):
                outcomes.append(_outcome(row, REJECTED, "class_list_other_school"))
                continue
            if current is not None and current.school_id == school_id:
                ids["contract_id"] = current.id
                if current.class_id == class_id:
                    outcomes.append(_outcome(row, UNCHANGED, "class_list_already_in_class", {"class": class_name}, **ids))
                elif current.class_id is not None:
                    outcomes.append(_outcome(row, MATCHED, "class_list_moved", {"class": class_name, "previous": current.class_name}, **ids))
                else:
                    outcomes.append(_outcome(row, MATCHED, "class_list_matched", {"class": class_name}, **ids))
                continue
            # No running contract naming the school yet: placed, the contract gets the class later.
            placement = known.placements.get(person.id)
            if placement is not None and placement.school_id != school_id:
                outcomes.append(_outcome(row, REJECTED, "class_list_placed_elsewhere"))
            elif placement is not None and placement.class_id == class_id:
                code = "class_list_already_placed" if person.active else "class_list_already_invited"
                outcomes.append(_outcome(row, UNCHANGED, code, {"class": class_name}, **ids))
            else:
                code = "class_list_placed_no_school" if current is not None else "class_list_placed_no_contract"
                outcomes.append(_outcome(row, PLACED, code, {"class": class_name}, **ids))
            continue
        if not row.email:
            outcomes.append(_outcome(row, REJECTED, "class_list_not_found", {"company": companies[0][1]}))
        elif len(companies) > 1:
            outcomes.append(_outcome(row, REJECTED, "class_list_company_ambiguous", {"value": row.company}))
        elif row.email in known.taken_emails:
            outcomes.append(_outcome(row, REJECTED, "class_list_email_taken", {"value": row.email}))
        elif row.email in invited_emails:
            outcomes.append(_outcome(row, REJECTED, "class_list_email_twice", {"first": str(invited_emails[row.email])}))
        else:
            invited_emails[row.email] = row.line
            ids["company_id"] = companies[0][0]
            outcomes.append(_outcome(row, INVITED, "class_list_invited", {"class": class_name, "company": companies[0][1]}, **ids))
    return outcomes


def fingerprint(outcomes: list[Outcome]) -> str:
    """What the preview promised, compactly ("3:matched 4:invited …"): the confirm step compares it."""
    return " ".join(f"{o.line}:{o.action}" for o in outcomes)


def changed_since(promised: str, outcomes: list[Outcome]) -> list[Outcome]:
    """Rows that would now end differently than the preview said. A row that is done already
    (e.g. a second click on "Übernehmen") is no change: nothing is left to do for it."""
    before = dict(part.split(":", 1) for part in promised.split() if ":" in part)
    return [
        o
        for o in outcomes
        if before.get(str(o.line)) != o.action and not (o.action == UNCHANGED and before.get(str(o.line)) in (MATCHED, INVITED, PLACED))
    ]
