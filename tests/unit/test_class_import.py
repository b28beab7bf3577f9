"""Reading class lists and deciding per row (organisations.class_import): encodings, dialects,
headers with odd spacing, the mapping guess, umlauts, dates, duplicates and ambiguous matches."""

from __future__ import annotations

import codecs
import datetime as dt

import msgspec
import pytest

from leokop.errors import ValidationFailed
from leokop.organisations import class_import as ci

TODAY = dt.date(2026, 11, 25)
SCHOOL = 1
HEADER = ["Nachname", "Vorname", "Geburtsdatum", "Klasse", "Ausbildungsbetrieb", "E-Mail"]
MAPPING = dict(zip(ci.FIELDS, range(6)))


def csv_text(rows: list[list[str]], delimiter: str = ";") -> str:
    return "\r\n".join(delimiter.join(row) for row in [HEADER, *rows]) + "\r\n"


# --- reading the file ---------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("cp1252"),
        lambda text: text.encode("utf-16"),  # Excel's "Unicode-Text", with its BOM
    ],
    ids=["utf-8", "utf-8-bom", "cp1252", "utf-16"],
)
def test_encodings_and_dialects_give_the_same_table(encode, delimiter):
    text = csv_text([["Müller", "Jürgen", "14.03.2006", "FIA25a", "Bäckerei Groß GmbH", "j@x.example"]], delimiter)
    sheet = ci.read_sheet(encode(text))
    assert sheet.header == HEADER
    assert sheet.rows == [(2, ["Müller", "Jürgen", "14.03.2006", "FIA25a", "Bäckerei Groß GmbH", "j@x.example"])]


def test_quoted_cells_with_separators_and_line_breaks_stay_one_cell():
    text = 'Nachname;Vorname;Geburtsdatum;Klasse;Ausbildungsbetrieb\n"Meier; Jr.";Max;1.2.2007;FIA25a;"Schmidt ""&"" Söhne\nKG"\n'
    sheet = ci.read_sheet(text.encode())
    assert sheet.rows == [(3, ["Meier; Jr.", "Max", "1.2.2007", "FIA25a", 'Schmidt "&" Söhne KG'])]


def test_odd_spacing_empty_lines_and_ragged_rows():
    text = "\n\n  Nachname ; Vor\u00a0name;Geburtsdatum ;Klasse;Betrieb;\n\n  Meier  ;Max;01.02.2007;FIA 25a;Firma\n"
    sheet = ci.read_sheet(text.encode())
    assert sheet.header == ["Nachname", "Vor name", "Geburtsdatum", "Klasse", "Betrieb", ""]
    assert sheet.rows == [(5, ["Meier", "Max", "01.02.2007", "FIA 25a", "Firma"])]
    rows = ci.read_rows(sheet, MAPPING, TODAY)
    assert rows[0].email == "" and rows[0].problem == ""


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "class_list_empty"),
        (b" \r\n\r\n", "class_list_empty"),
        (b"PK\x03\x04\x14\x00", "class_list_excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "class_list_excel"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00", "class_list_not_csv"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "class_list_not_csv"),
        (b"Name;Klasse\nMeier;FIA25a\n", "class_list_columns"),
        (";".join(HEADER).encode(), "class_list_no_rows"),
        (b"x" * (ci.MAX_FILE_BYTES + 1), "class_list_too_large"),
    ],
)
def test_files_that_are_no_class_list(data, code):
    with pytest.raises(ValidationFailed) as failure:
        ci.read_sheet(data)
    assert failure.value.errors == {"file": code}


def test_too_many_rows():
    text = csv_text([["M", "A", "01.01.2007", "K", "F", ""]] * (ci.MAX_ROWS + 1))
    with pytest.raises(ValidationFailed) as failure:
        ci.read_sheet(text.encode())
    assert failure.value.errors == {"file": "class_list_too_many_rows"}


# --- the mapping --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (HEADER, MAPPING),
        # Another order, other names (SchILD, LUSD, Untis-like exports), odd spelling and spacing.
        (
            ["Klasse", "Geb.-Datum", " Name ", "Rufname", "E-Mail (privat)", "Betrieb Name"],
            {"last_name": 2, "first_name": 3, "birth_date": 1, "class_name": 0, "company": 5, "email": 4},
        ),
        (
            ["Schüler-Nachname", "Schüler-Vorname", "Geburtstag", "Klassenbezeichnung", "Ausbildungsbetrieb", "Mail"],
            MAPPING,
        ),
        # Nothing fits: not guessed, and no column is used twice.
        (["A", "B", "C", "D", "E"], dict.fromkeys(ci.FIELDS)),
    ],
)
def test_the_mapping_is_guessed_from_the_header(header, expected):
    assert ci.guess_mapping(header) == expected


def test_checking_the_chosen_mapping():
    mapping, errors = ci.check_mapping({"last_name": "0", "first_name": "0", "birth_date": "9", "class_name": "3", "company": "4"}, 6)
    assert errors == {"first_name": "class_list_column_twice", "birth_date": "invalid_choice"}
    assert mapping["email"] is None and mapping["class_name"] == 3
    _, errors = ci.check_mapping({}, 6)
    assert errors == {field: "class_list_column_required" for field in ci.FIELDS if field != "email"}


# --- rows ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("14.03.2006", dt.date(2006, 3, 14)),
        ("4.3.2006", dt.date(2006, 3, 4)),
        ("14.03.06", dt.date(2006, 3, 14)),
        ("14.03.98", dt.date(1998, 3, 14)),  # a two-digit year is never in the future
        ("2006-03-14", dt.date(2006, 3, 14)),
        ("14.03.2006 00:00", dt.date(2006, 3, 14)),
        ("2006-03-14T00:00:00", dt.date(2006, 3, 14)),
        ("30.02.2006", None),
        ("03/14/2006", None),
        ("März 2006", None),
    ],
)
def test_birth_dates(raw, expected):
    assert ci.parse_birth_date(raw, TODAY) == expected


def read(rows: list[list[str]]) -> list[ci.ListRow]:
    return ci.read_rows(ci.read_sheet(csv_text(rows).encode()), MAPPING, TODAY)


def test_each_row_is_checked_on_its_own():
    rows = read(
        [
            ["Meier", "Max", "01.02.2007", "FIA25a", "Firma", " Max.Meier@Example.ORG "],
            ["", "Max", "", "FIA25a", "Firma", ""],
            ["Meier", "Max", "31.31.2007", "FIA25a", "Firma", ""],
            ["Meier", "Max", "01.01.2027", "FIA25a", "Firma", ""],
            ["Meier", "Max", "01.02.2007", "FIA25a", "Firma", "max@"],
            ["Meier" * 30, "Max", "01.02.2007", "FIA25a", "Firma", ""],
        ]
    )
    assert rows[0].problem == "" and rows[0].email == "max.meier@example.org" and rows[0].name == "Max Meier"
    assert (rows[1].problem, rows[1].params) == ("class_list_missing", {"columns": "Nachname, Geburtsdatum"})
    assert [r.problem for r in rows[2:]] == [
        "class_list_birth_date_invalid",
        "class_list_birth_date_range",
        "class_list_email_invalid",
        "class_list_name_too_long",
    ]


# --- folding ------------------------------------------------------------------------------------


def test_names_fold_case_spacing_umlauts_and_accents():
    assert ci.fold("  Müller-Lüdenscheidt ") == ci.fold("mueller luedenscheidt") == "mueller luedenscheidt"
    assert ci.fold("Weiß") == ci.fold("WEISS") == "weiss"
    assert ci.fold("José Nuñez") == "jose nunez"
    assert ci.name_keys("Anna-Lena", "Öztürk") == frozenset({"anna lena oeztuerk", "oeztuerk anna lena"})


def test_company_names_fold_without_their_legal_form():
    assert ci.company_key("Elektro Becker GmbH & Co. KG") == ci.company_key("elektro becker") == "elektro becker"
    assert ci.company_key("Rhein-Main Maschinenbau AG") == "rhein main maschinenbau"
    assert ci.company_key("Bäckerei Groß e. K.") == "baeckerei gross"
    assert ci.company_key("Start UG (haftungsbeschränkt)") == "start"
    assert ci.company_key("AG") == "ag"  # never folded away entirely


def test_class_names_fold_without_spaces():
    assert ci.class_key("FIA 25a") == ci.class_key("fia-25A") == "fia25a"


# --- deciding -----------------------------------------------------------------------------------

RMM, BECKER = 10, 20
FIA, IM = 100, 101


def known(**overrides) -> ci.Known:
    base = dict(
        classes={"fia25a": (FIA, "FIA25a"), "im25b": (IM, "IM25b")},
        companies={"rhein main maschinenbau": [(RMM, "Rhein-Main Maschinenbau AG")], "elektro becker": [(BECKER, "Elektro Becker GmbH")]},
        apprentices=[
            ci.Apprentice(1, "Finn Schneider", "finn@rmm.example", dt.date(2006, 3, 14), RMM, True),
            ci.Apprentice(2, "Jürgen Groß", "juergen@rmm.example", dt.date(2007, 1, 1), RMM, True),
            ci.Apprentice(3, "Lena Wolf", "lena@becker.example", dt.date(2009, 5, 10), BECKER, False),
        ],
        contracts=[
            ci.ContractInfo(11, 1, RMM, SCHOOL, FIA, "FIA25a", dt.date(2025, 8, 1), dt.date(2028, 7, 31)),
            ci.ContractInfo(12, 2, RMM, SCHOOL, None, "", dt.date(2025, 8, 1), dt.date(2028, 7, 31)),
        ],
        placements={},
        taken_emails=frozenset({"finn@rmm.example", "juergen@rmm.example", "lena@becker.example"}),
    )
    return ci.Known(**{**base, **overrides})


def decide(rows: list[list[str]], **overrides) -> list[ci.Outcome]:
    return ci.decide(read(rows), known(**overrides), SCHOOL, TODAY)


def summary(outcomes: list[ci.Outcome]) -> list[tuple[str, str]]:
    return [(o.action, o.code) for o in outcomes]


def test_a_known_apprentice_is_matched_whatever_the_spelling():
    outcomes = decide(
        [
            ["GROSS", "juergen", "2007-01-01", "im 25 b", "Rhein-Main Maschinenbau", ""],
            ["Schneider", "Finn", "14.03.2006", "FIA25a", "Rhein-Main Maschinenbau AG", ""],
            ["Schneider", "Finn", "14.03.2006", "IM25b", "Rhein-Main Maschinenbau AG", ""],
        ]
    )
    assert summary(outcomes[:1]) == [(ci.MATCHED, "class_list_matched")]
    assert (outcomes[0].contract_id, outcomes[0].class_id, outcomes[0].apprentice_id) == (12, IM, 2)
    # Finn twice with different classes: the file contradicts itself, neither row is used.
    assert summary(outcomes[1:]) == [(ci.REJECTED, "class_list_conflicting_rows")] * 2
    assert outcomes[1].params == {"lines": "3, 4"}


def test_already_in_the_class_and_moved_from_another_class():
    assert summary(decide([["Schneider", "Finn", "14.03.2006", "FIA25a", "RMM", ""]], companies={"rmm": [(RMM, "RMM")]})) == [
        (ci.UNCHANGED, "class_list_already_in_class")
    ]
    moved = decide([["Schneider", "Finn", "14.03.2006", "IM25b", "Rhein-Main Maschinenbau AG", ""]])
    assert summary(moved) == [(ci.MATCHED, "class_list_moved")] and moved[0].params == {"class": "IM25b", "previous": "FIA25a"}


def test_the_e_mail_address_matches_when_the_name_was_changed():
    outcomes = decide([["Schneider", "Finn Luca", "14.03.2006", "IM25b", "Rhein-Main Maschinenbau AG", "FINN@rmm.example"]])
    assert summary(outcomes) == [(ci.MATCHED, "class_list_moved")]


def test_the_same_birth_date_at_another_company_is_another_person():
    outcomes = decide([["Schneider", "Finn", "14.03.2006", "FIA25a", "Elektro Becker GmbH", ""]])
    assert summary(outcomes) == [(ci.REJECTED, "class_list_not_found")]
    assert outcomes[0].params == {"company": "Elektro Becker GmbH"}


def test_ambiguous_people_are_never_guessed():
    twin = ci.Apprentice(4, "Finn Schneider", "finn2@rmm.example", dt.date(2006, 3, 14), RMM, True)
    outcomes = decide([["Schneider", "Finn", "14.03.2006", "FIA25a", "Rhein-Main Maschinenbau AG", ""]], apprentices=[*known().apprentices, twin])
    assert summary(outcomes) == [(ci.REJECTED, "class_list_ambiguous")] and outcomes[0].params == {"count": "2"}


def test_one_account_named_by_two_rows_is_used_once():
    outcomes = decide(
        [
            ["Schneider", "Finn", "14.03.2006", "IM25b", "Rhein-Main Maschinenbau AG", ""],
            ["Schneider-Klein", "Finn", "14.03.2006", "IM25b", "Rhein-Main Maschinenbau AG", "finn@rmm.example"],
        ]
    )
    assert summary(outcomes) == [(ci.MATCHED, "class_list_moved"), (ci.REJECTED, "class_list_same_person")]


def test_contracts_with_another_school_ended_or_without_a_school():
    other_school = [ci.ContractInfo(12, 2, RMM, 99, None, "", dt.date(2025, 8, 1), dt.date(2028, 7, 31))]
    row = [["Groß", "Jürgen", "01.01.2007", "IM25b", "Rhein-Main Maschinenbau AG", ""]]
    assert summary(decide(row, contracts=other_school)) == [(ci.REJECTED, "class_list_other_school")]
    ended = [ci.ContractInfo(12, 2, RMM, 99, None, "", dt.date(2022, 8, 1), dt.date(2025, 7, 31))]
    assert summary(decide(row, contracts=ended)) == [(ci.PLACED, "class_list_placed_no_contract")]
    no_school = [ci.ContractInfo(12, 2, RMM, None, None, "", dt.date(2025, 8, 1), dt.date(2028, 7, 31))]
    assert summary(decide(row, contracts=no_school)) == [(ci.PLACED, "class_list_placed_no_school")]


def test_placements_already_there():
    row = [["Wolf", "Lena", "10.05.2009", "FIA25a", "Elektro Becker GmbH", ""]]
    assert summary(decide(row)) == [(ci.PLACED, "class_list_placed_no_contract")]
    here = {3: ci.Placement(3, FIA, SCHOOL)}
    assert summary(decide(row, placements=here)) == [(ci.UNCHANGED, "class_list_already_invited")]  # Lena has not accepted yet
    assert summary(decide([[*row[0][:3], "IM25b", *row[0][4:]]], placements=here)) == [(ci.PLACED, "class_list_placed_no_contract")]
    elsewhere = {3: ci.Placement(3, 555, 99)}
    assert summary(decide(row, placements=elsewhere)) == [(ci.REJECTED, "class_list_placed_elsewhere")]


def test_new_people_are_invited_once_per_address():
    outcomes = decide(
        [
            ["Neu", "Nora", "01.02.2008", "FIA25a", "Rhein-Main Maschinenbau AG", "nora@mail.example"],
            ["Neu", "Nora", "01.02.2008", "FIA25a", "Rhein-Main Maschinenbau AG", "nora@mail.example"],
            ["Anders", "Nina", "02.02.2008", "FIA25a", "Rhein-Main Maschinenbau AG", "nora@mail.example"],
            ["Taken", "Tom", "03.03.2008", "FIA25a", "Rhein-Main Maschinenbau AG", "finn@rmm.example"],
            ["Unbekannt", "Udo", "03.03.2008", "FIA25a", "Bäckerei Sonnenschein", "udo@mail.example"],
            ["Klasse", "Kai", "03.03.2008", "XY99", "Rhein-Main Maschinenbau AG", "kai@mail.example"],
        ]
    )
    assert summary(outcomes) == [
        (ci.INVITED, "class_list_invited"),
        (ci.REJECTED, "class_list_duplicate_row"),
        (ci.REJECTED, "class_list_email_twice"),
        (ci.REJECTED, "class_list_email_taken"),
        (ci.REJECTED, "class_list_unknown_company"),
        (ci.REJECTED, "class_list_unknown_class"),
    ]
    assert (outcomes[0].company_id, outcomes[0].class_id, outcomes[0].email) == (RMM, FIA, "nora@mail.example")
    assert outcomes[1].params == {"first": "2"}


def test_two_companies_of_the_same_name():
    twins = {"rhein main maschinenbau": [(RMM, "Rhein-Main Maschinenbau AG"), (30, "Rhein-Main Maschinenbau GmbH")]}
    new = [["Neu", "Nora", "01.02.2008", "FIA25a", "Rhein-Main Maschinenbau", "nora@mail.example"]]
    assert summary(decide(new, companies=twins)) == [(ci.REJECTED, "class_list_company_ambiguous")]
    # A known apprentice of one of them is still found.
    assert summary(decide([["Groß", "Jürgen", "01.01.2007", "IM25b", "Rhein-Main Maschinenbau", ""]], companies=twins)) == [
        (ci.MATCHED, "class_list_matched")
    ]


def test_what_changed_since_the_preview():
    before = decide([["Groß", "Jürgen", "01.01.2007", "IM25b", "Rhein-Main Maschinenbau AG", ""], ["Neu", "Nora", "01.02.2008", "FIA25a", "Rhein-Main Maschinenbau AG", "nora@mail.example"]])
    promised = ci.fingerprint(before)
    assert promised == "2:matched 3:invited"
    assert ci.changed_since(promised, before) == []
    # Done meanwhile (a second click): no change.
    done = [msgspec.structs.replace(o, action=ci.UNCHANGED) for o in before]
    assert ci.changed_since(promised, done) == []
    assert [o.line for o in ci.changed_since(promised, [msgspec.structs.replace(before[0], action=ci.REJECTED)])] == [2]
    later = decide([["Neu", "Nora", "01.02.2008", "FIA25a", "Rhein-Main Maschinenbau AG", "nora@mail.example"]], taken_emails=frozenset({"nora@mail.example"}))
    assert [o.line for o in ci.changed_since("2:invited", later)] == [2]
