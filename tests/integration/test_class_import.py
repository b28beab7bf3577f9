"""Class lists over HTTP: the school admin uploads the school software's CSV, maps the columns, checks
the preview and takes it over; the report, the contracts, the invitations and the placements are
what the preview said, and nothing is half-written when something changed meanwhile.

The demo school has FIA25a (Finn, Mia) and IM25b (Noah); Lena's contract (Elektro Becker) names the
school without a class. tests/data/klassenliste.csv is the demo file of the README (Windows-1252)."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest

from leokop.accounts.service import load_user
from leokop.accounts.tables import Invitation, User
from leokop.contracts.tables import Contract
from leokop.notifications.tables import MailMessage
from leokop.organisations import service
from leokop.organisations.tables import ClassImport, ClassPlacement, Company, School, SchoolClass
from leokop.timeutil import utcnow
from tests.helpers import APPRENTICE, COMPANY_ADMIN, SCHOOL_ADMIN, SMALL_APPRENTICE, TEACHER, TRAINER, field_error, login, post

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "klassenliste.csv"
HEADER = "Nachname;Vorname;Geburtsdatum;Klasse;Ausbildungsbetrieb;E-Mail\n"
MAPPING = {"last_name": "0", "first_name": "1", "birth_date": "2", "class_name": "3", "company": "4", "email": "5"}


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


def payload(page: str) -> dict[str, str]:
    return {name: hidden(page, name) for name in ("content", "signature", "filename")}


def upload(client, data: bytes, filename: str = "klassenliste.csv"):
    return post(client, "/classes/import", files={"file": (filename, data, "text/csv")})


def preview(client, data: bytes, mapping: dict[str, str] | None = None):
    step = upload(client, data)
    assert step.status_code == 200, step.text
    return post(client, "/classes/import/preview", {**payload(step.text), **(mapping or MAPPING)})


def confirm(client, page: str):
    """Send the preview's "Übernehmen" form as it is."""
    fields = {name: hidden(page, name) for name in ("content", "signature", "filename", "fingerprint", *MAPPING)}
    return post(client, "/classes/import/confirm", fields)


def class_of(run, email: str) -> str | None:
    row = run(Contract.select(Contract.school_class.name.as_alias("name")).where(Contract.apprentice.email == email).first)
    return row["name"]


def rows_of(page: str) -> dict[str, str]:
    """Line number → the row's text (result and note), from the preview's or report's tables."""
    found = {}
    for row in re.findall(r"<tr(?: class=\"row-muted\")?>\s*<td data-label=\"Zeile\">(\d+)</td>(.*?)</tr>", page, re.S):
        found[row[0]] = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row[1]))).strip()
    return found


def counts(run) -> dict[str, int]:
    return {
        "users": run(User.count()),
        "invitations": run(Invitation.count()),
        "mails": run(MailMessage.count()),
        "placements": run(ClassPlacement.count()),
        "imports": run(ClassImport.count()),
        "classes": run(Contract.count().where(Contract.school_class.is_not_null())),
    }


@pytest.fixture
def admin(client):
    login(client, SCHOOL_ADMIN)
    return client


def test_the_sample_file_goes_through_every_step(admin, run):
    step = upload(admin, SAMPLE.read_bytes())
    assert step.status_code == 200
    # Windows-1252 and ";" were recognised, every column guessed from its name, with an example.
    assert "11 Zeilen gelesen, 6 Spalten" in step.text
    for field, position in MAPPING.items():
        assert re.search(rf'<option value="{position}" selected>Spalte {int(position) + 1}: ', step.text.split(f'name="{field}"')[1]), field
    assert "Spalte 1: Nachname – z. B. „Schneider“" in step.text

    page = post(admin, "/classes/import/preview", {**payload(step.text), **MAPPING})
    assert page.status_code == 200
    rows = rows_of(page.text)
    assert rows["2"].startswith("Finn Schneider") and "bereits zugeordnet" in rows["2"]
    assert "bereits zugeordnet" in rows["3"]  # "FIA 25a" and the company without "AG"
    assert "bereits zugeordnet" in rows["4"]
    assert "abgelehnt" in rows["5"] and "Die Klasse „ELT25a“ gibt es an Ihrer Schule nicht" in rows["5"]
    assert "Jonas Müller" in rows["6"] and "eingeladen" in rows["6"]
    assert "Selin Öztürk" in rows["7"] and "eingeladen" in rows["7"]
    assert "„Bäckerei Sonnenschein“ ist in leokop nicht bekannt" in rows["8"]
    assert "Leer: Geburtsdatum" in rows["9"]
    assert "„tim.hoffmann@mail“ ist keine gültige E-Mail-Adresse" in rows["10"]
    assert "Doppelt in der Datei (wie Zeile 6)" in rows["11"]
    assert "Ohne E-Mail-Adresse kann niemand eingeladen werden" in rows["12"]
    assert "Diese Klassen gibt es an Ihrer Schule noch nicht: <strong>ELT25a</strong>" in page.text
    before = counts(run)

    done = confirm(admin, page.text)
    assert done.status_code == 303
    report = admin.get(done.headers["location"])
    assert report.status_code == 200 and "Bericht: klassenliste.csv" in report.text
    assert "<strong>2</strong> eingeladen" in report.text and "<strong>6</strong> abgelehnt" in report.text
    assert "<strong>3</strong> unverändert" in report.text
    after = counts(run)
    assert after["users"] == before["users"] + 2 and after["invitations"] == before["invitations"] + 2
    assert after["mails"] == before["mails"] + 2 and after["placements"] == 2 and after["imports"] == 1
    jonas = run(User.select(User.role, User.company.name, User.birth_date, User.is_active, User.display_name).where(User.email == "jonas.mueller@mail.example").first)
    assert jonas == {"role": "apprentice", "company.name": "Rhein-Main Maschinenbau AG", "birth_date": dt.date(2008, 2, 1), "is_active": False, "display_name": "Jonas Müller"}
    mail = run(MailMessage.select(MailMessage.subject, MailMessage.body, MailMessage.school).where(MailMessage.recipient == "jonas.mueller@mail.example").first)
    assert mail["subject"] == "Einladung zu leokop – Berufliche Schule am Main, Klasse FIA25a"
    assert "/invitation/" in mail["body"] and "Rhein-Main Maschinenbau AG" in mail["body"]
    # The class page shows who is placed until the company enters the contract.
    fia = run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "FIA25a").first)["id"]
    class_page = admin.get(f"/classes/{fia}").text
    assert "Vorgemerkt" in class_page and "Jonas Müller" in class_page and "Einladung noch nicht angenommen" in class_page
    assert "klassenliste.csv" in admin.get("/classes/import").text


def test_the_same_file_twice_changes_nothing_the_second_time(admin, run):
    first = preview(admin, SAMPLE.read_bytes())
    assert confirm(admin, first.text).status_code == 303
    before = counts(run)
    second = preview(admin, SAMPLE.read_bytes())
    rows = rows_of(second.text)
    assert "bereits eingeladen" in rows["6"] and "bereits eingeladen" in rows["7"]
    assert "Nichts zu tun" in second.text
    done = confirm(admin, second.text)
    report = admin.get(done.headers["location"]).text
    assert "<strong>0</strong> eingeladen" in report and "<strong>5</strong> unverändert" in report
    assert counts(run) == {**before, "imports": before["imports"] + 1}


def test_a_matched_apprentice_gets_the_class_on_the_contract(admin, run):
    run(SchoolClass.insert(SchoolClass(school=run(School.select(School.id).first)["id"], name="ELT25a", start_year=2025, created_at=utcnow())))
    csv = HEADER + "wolf;  LENA ;2009-05-10;elt 25A;Elektro Becker;\nSchneider;Finn;14.03.2006;IM25b;Rhein-Main Maschinenbau AG;\n"
    page = preview(admin, csv.encode())
    rows = rows_of(page.text)
    assert "zugeordnet" in rows["2"] and "Klasse ELT25a im Ausbildungsvertrag eingetragen" in rows["2"]
    assert "(bisher FIA25a)" in rows["3"]
    assert confirm(admin, page.text).status_code == 303
    assert class_of(run, SMALL_APPRENTICE) == "ELT25a"
    assert class_of(run, APPRENTICE) == "IM25b"


def test_the_company_entering_the_school_settles_a_placement(client, run):
    """An apprentice invited by the import gets the class when the company creates the contract."""
    login(client, SCHOOL_ADMIN)
    page = preview(client, (HEADER + "Neu;Nora;01.02.2008;FIA25a;Rhein-Main Maschinenbau AG;nora.neu@mail.example\n").encode())
    assert confirm(client, page.text).status_code == 303
    nora = run(User.select(User.id).where(User.email == "nora.neu@mail.example").first)["id"]
    finn = run(Contract.select().where(Contract.apprentice.email == APPRENTICE).first)
    school = run(School.select(School.id).first)["id"]
    login(client, COMPANY_ADMIN)
    form = client.get("/contracts/new").text
    assert "Nora Neu" in form  # the invited account is the company's apprentice
    trainer = run(User.select(User.id).where(User.email == TRAINER).first)["id"]
    response = post(
        client,
        "/contracts",
        {
            "apprentice_id": str(nora),
            "occupation_id": str(finn["occupation"]),
            "start_date": "01.08.2026",
            "end_date": "31.07.2029",
            "log_form": "electronic",
            "log_mode": "weekly",
            "daily_hours": "8",
            "school_id": str(school),
            "trainer_ids": str(trainer),
        },
    )
    assert response.status_code == 303, response.text
    assert class_of(run, "nora.neu@mail.example") == "FIA25a"
    assert run(ClassPlacement.count()) == 0


def test_rows_of_contracts_with_another_school_or_ambiguous_people_are_rejected(admin, run):
    other = run(School.insert(School(name="Andere Schule", state="HE", created_at=utcnow())).returning(School.id))[0]["id"]
    run(Contract.update({Contract.school: other, Contract.school_class: None}).where(Contract.apprentice.email == "noah.fischer@rmm.example"))
    rmm = run(Company.select(Company.id).where(Company.name == "Rhein-Main Maschinenbau AG").first)["id"]
    run(User.insert(User(email="mia2@rmm.example", display_name="Mia Yilmaz", role="apprentice", company=rmm, birth_date=dt.date(2005, 11, 2), created_at=utcnow())))
    csv = HEADER + "Fischer;Noah;21.07.2007;IM25b;Rhein-Main Maschinenbau AG;\nYilmaz;Mia;02.11.2005;IM25b;Rhein-Main Maschinenbau AG;\n"
    rows = rows_of(preview(admin, csv.encode()).text)
    assert "Der Ausbildungsvertrag nennt eine andere Berufsschule" in rows["2"]
    assert "Mehrdeutig: 2 Auszubildende" in rows["3"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "Die Datei ist leer"),
        (b"\n\n  \n", "Die Datei ist leer"),
        (b"%PDF-1.7\n\x00\x01\x02binary", "Die Datei ist keine CSV-Datei"),
        (b"PK\x03\x04excel", "Das ist eine Excel-Datei"),
        (b"Name;Klasse\nMaier;FIA25a\n", "Die Datei hat zu wenige Spalten (gefunden: Name, Klasse)"),
        (HEADER.encode(), "nur die Kopfzeile"),
    ],
)
def test_files_that_are_no_class_list_are_refused_on_the_upload_page(admin, run, data, expected):
    response = upload(admin, data)
    assert response.status_code == 422
    assert expected in html.unescape(response.text)
    assert "Klassenliste importieren" in response.text


def test_a_file_name_with_control_characters_is_cleaned(app, run):
    """Browsers escape them; a hand-made request may not (and PostgreSQL refuses NUL in text)."""
    school_admin = run(load_user, run(User.select(User.id).where(User.email == SCHOOL_ADMIN).first)["id"])
    step = service.upload_class_list(school_admin, app.state.settings.secret_key, "klassen\x00liste\n.csv", SAMPLE.read_bytes())
    assert step.filename == "klassenliste.csv"


def test_a_missing_upload_is_refused(admin):
    response = post(admin, "/classes/import", {})
    assert response.status_code == 422 and "Die Datei ist leer" in response.text


def test_mapping_errors_are_shown_next_to_the_fields_with_the_choices_kept(admin):
    step = upload(admin, SAMPLE.read_bytes())
    response = post(admin, "/classes/import/preview", {**payload(step.text), **MAPPING, "first_name": "0", "birth_date": ""})
    assert response.status_code == 422
    assert field_error(response.text, "first_name") == "Diese Spalte ist schon einem anderen Feld zugeordnet."
    assert field_error(response.text, "birth_date") == "Bitte eine Spalte wählen."
    assert re.search(r'<option value="0" selected>', response.text.split('name="first_name"')[1])
    response = post(admin, "/classes/import/preview", {**payload(step.text), **MAPPING, "class_name": "17"})
    assert response.status_code == 422 and field_error(response.text, "class_name") == "Bitte einen der angebotenen Werte wählen."


def test_a_tampered_payload_is_refused(admin, run):
    step = upload(admin, SAMPLE.read_bytes())
    fields = payload(step.text)
    for changed in ({"filename": "andere.csv"}, {"signature": "0" * 64}, {"content": fields["content"][:-4] + "AAAA"}, {"content": ""}):
        response = post(admin, "/classes/import/preview", {**fields, **MAPPING, **changed})
        assert response.status_code == 422 and "Bitte die Datei erneut hochladen" in response.text
        response = post(admin, "/classes/import/confirm", {**fields, **MAPPING, **changed, "fingerprint": ""})
        assert response.status_code == 422
    assert run(ClassImport.count()) == 0


def test_nothing_is_written_when_a_row_changed_since_the_preview(admin, run):
    """The last row's address gets an account meanwhile: the import aborts as a whole, the earlier
    rows' class and invitation included, and the new preview names the row."""
    run(SchoolClass.insert(SchoolClass(school=run(School.select(School.id).first)["id"], name="ELT25a", start_year=2025, created_at=utcnow())))
    csv = HEADER + "Wolf;Lena;10.05.2009;ELT25a;Elektro Becker GmbH;\nNeu;Nora;01.02.2008;FIA25a;Rhein-Main Maschinenbau AG;nora.neu@mail.example\n"
    page = preview(admin, csv.encode())
    rmm = run(Company.select(Company.id).where(Company.name == "Rhein-Main Maschinenbau AG").first)["id"]
    run(User.insert(User(email="nora.neu@mail.example", display_name="Nora Anders", role="trainer", company=rmm, created_at=utcnow())))
    before = counts(run)
    response = confirm(admin, page.text)
    assert response.status_code == 409
    assert "Seit der Vorschau hat sich etwas geändert. Es wurde nichts übernommen." in response.text
    assert "Zeile 3 (Nora Neu): Für nora.neu@mail.example gibt es schon ein Konto" in html.unescape(response.text)
    assert counts(run) == before and class_of(run, SMALL_APPRENTICE) is None
    # The new preview can be taken over as it now stands.
    assert confirm(admin, response.text).status_code == 303
    assert class_of(run, SMALL_APPRENTICE) == "ELT25a"


def test_a_second_click_on_confirm_counts_the_rows_as_done(admin, run):
    page = preview(admin, (HEADER + "Neu;Nora;01.02.2008;FIA25a;Rhein-Main Maschinenbau AG;nora.neu@mail.example\n").encode())
    assert confirm(admin, page.text).status_code == 303
    again = confirm(admin, page.text)
    assert again.status_code == 303
    assert "bereits eingeladen" in admin.get(again.headers["location"]).text
    assert run(User.count().where(User.email == "nora.neu@mail.example")) == 1


def test_only_the_school_admin_imports_and_only_into_their_own_school(client, run):
    for email in (TEACHER, TRAINER, COMPANY_ADMIN, APPRENTICE):
        login(client, email)
        assert client.get("/classes/import", follow_redirects=False).status_code == 403
        assert upload(client, SAMPLE.read_bytes()).status_code == 403
        assert post(client, "/classes/import/confirm", {}).status_code == 403
    # Another school's admin: the demo school's classes are unknown there, its reports are 404.
    other = run(School.insert(School(name="Andere Schule", state="HE", created_at=utcnow())).returning(School.id))[0]["id"]
    run(User.update({User.school: other}).where(User.email == SCHOOL_ADMIN))
    login(client, SCHOOL_ADMIN)
    page = preview(client, SAMPLE.read_bytes())
    assert "Die Klasse „FIA25a“ gibt es an Ihrer Schule nicht" in html.unescape(page.text)
    assert confirm(client, page.text).status_code == 303
    assert class_of(run, APPRENTICE) == "FIA25a" and run(User.count().where(User.email == "jonas.mueller@mail.example")) == 0
    run(User.update({User.school: run(School.select(School.id).where(School.name == "Berufliche Schule am Main").first)["id"]}).where(User.email == SCHOOL_ADMIN))
    foreign = run(ClassImport.select(ClassImport.id).first)["id"]
    login(client, SCHOOL_ADMIN)
    response = client.get(f"/classes/import/{foreign}")
    assert response.status_code == 404 and "klassenliste.csv" not in response.text


def test_a_payload_signed_for_another_school_is_refused(client, run):
    login(client, SCHOOL_ADMIN)
    step = upload(client, SAMPLE.read_bytes())
    other = run(School.insert(School(name="Andere Schule", state="HE", created_at=utcnow())).returning(School.id))[0]["id"]
    run(User.update({User.school: other}).where(User.email == SCHOOL_ADMIN))
    response = post(client, "/classes/import/preview", {**payload(step.text), **MAPPING})
    assert response.status_code == 422 and "Bitte die Datei erneut hochladen" in response.text


def test_a_200_row_import_runs_a_constant_number_of_queries(admin, run, count_queries):
    def file(size: int) -> bytes:
        lines = [HEADER]
        for i in range(size):
            kind = i % 4
            if kind == 0:  # new, invited
                lines.append(f"Neu{i};Anna;01.01.2007;FIA25a;Rhein-Main Maschinenbau AG;anna{i}@mail.example\n")
            elif kind == 1:  # unknown class
                lines.append(f"Fremd{i};Ben;02.02.2007;XYZ{i};Rhein-Main Maschinenbau AG;\n")
            elif kind == 2:  # not found, no address
                lines.append(f"Ohne{i};Cem;03.03.2007;IM25b;Elektro Becker GmbH;\n")
            else:  # the demo apprentices, again and again: a duplicate row after the first
                lines.append("Schneider;Finn;14.03.2006;FIA25a;Rhein-Main Maschinenbau AG;\n")
        return "".join(lines).encode()

    def measured(size: int) -> tuple[int, int]:
        page = preview(admin, file(size))
        count_queries.clear()
        preview(admin, file(size))
        preview_queries = len(count_queries)
        count_queries.clear()
        assert confirm(admin, page.text).status_code == 303
        return preview_queries, len(count_queries)

    small = measured(8)
    run(ClassPlacement.delete(force=True))
    run(Invitation.delete().where(Invitation.user.email.like("anna%")))
    run(User.delete().where(User.email.like("anna%")))
    large = measured(200)
    assert large == small
    assert run(User.count().where(User.email.like("anna%"))) == 50
