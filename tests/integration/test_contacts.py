"""The contact directory (K6) through HTTP: who sees whose contacts (the apprentice's circle, else
404), what each entry holds (role, mailto:, tel:, where a message goes), the API, and editing how
people are reached: one's own phone, the chamber's adviser, the school's office, the class lead."""

from __future__ import annotations

import re

from leokop.accounts.tables import User
from leokop.organisations.tables import ClassTeacher, Company, School, SchoolClass
from leokop.timeutil import utcnow
from tests.helpers import (
    APPRENTICE,
    APPRENTICE_2,
    COMPANY_ADMIN,
    GUARDIAN,
    SCHOOL_ADMIN,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TEACHER,
    TRAINER,
    TRAINER_2,
    field_error,
    input_value,
    login,
    logout,
    post,
)
from tests.integration.test_conversations import TEACHER_2, contract_of

def entries(html: str) -> dict[str, str]:
    """name → the contact's whole entry (role, ways to reach them)."""
    return {re.search(r"<strong>([^<]+)</strong>", item).group(1): item for item in re.findall(r'<li class="contact">(.*?)</li>', html, re.S)}


def test_the_apprentice_sees_everyone_around_the_training_with_roles_and_ways_to_reach_them(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, APPRENTICE)
    page = client.get(f"/contracts/{finn}/kontakte")
    assert page.status_code == 200
    found = entries(page.text)
    assert set(found) == {"Markus Weber", "Tobias Klein", "Sabine Hoffmann", "Dr. Thomas Berg", "Berufliche Schule am Main", "Katrin Vogel", "Finn Schneider"}
    assert "Ausbilder/in" in found["Markus Weber"] and 'href="tel:069123456410"' in found["Markus Weber"]
    assert 'href="mailto:markus.weber@rmm.example"' in found["Markus Weber"]
    assert "Klassenleitung · LF 5, LF 6, Politik und Wirtschaft" in found["Dr. Thomas Berg"]
    assert "Schulsekretariat" in found["Berufliche Schule am Main"] and 'href="mailto:sekretariat@bs-main.example"' in found["Berufliche Schule am Main"]
    assert "IHK Frankfurt am Main" in found["Katrin Vogel"] and 'href="tel:06912345621"' in found["Katrin Vogel"]
    # Messages go to the conversation with the apprentice; the own entry and offices have none.
    assert f'href="/contracts/{finn}/nachrichten/mit-azubi#schreiben">Nachricht schreiben' in found["Dr. Thomas Berg"]
    assert "Nachricht schreiben" not in found["Finn Schneider"] + found["Katrin Vogel"] + found["Berufliche Schule am Main"]
    assert "(Sie)" in found["Finn Schneider"]
    # From "Mein Vertrag".
    assert f'href="/contracts/{finn}/kontakte"' in client.get(f"/contracts/{finn}").text
    logout(client)
    login(client, TRAINER)  # among the places of learning the narrowest conversation is the staff one
    found = entries(client.get(f"/contracts/{finn}/kontakte").text)
    assert f"/contracts/{finn}/nachrichten/betrieb-schule#schreiben" in found["Dr. Thomas Berg"]
    assert f"/contracts/{finn}/nachrichten/mit-azubi#schreiben" in found["Finn Schneider"]


def test_a_minors_guardian_sees_the_contacts_and_the_company_sees_the_guardian(client, run):
    lena = contract_of(run, SMALL_APPRENTICE)
    login(client, GUARDIAN)
    page = client.get(f"/contracts/{lena}/kontakte")
    found = entries(page.text)
    assert set(found) == {"Jonas Becker", "Stefan Brandt", "Berufliche Schule am Main", "Lena Wolf", "Andrea Wolf"}
    assert "Nachricht schreiben" not in page.text  # guardians take part in no conversation
    assert f'href="/contracts/{lena}/kontakte"' in client.get("/").text
    assert client.get(f"/contracts/{contract_of(run, APPRENTICE)}/kontakte").status_code == 404
    logout(client)
    login(client, SMALL_TRAINER)
    assert "Erziehungsberechtigte/r" in entries(client.get(f"/contracts/{lena}/kontakte").text)["Andrea Wolf"]


def test_nobody_outside_the_circle_finds_the_contacts(client, run):
    finn, mia = contract_of(run, APPRENTICE), contract_of(run, APPRENTICE_2)
    for email in (APPRENTICE_2, TRAINER_2, SMALL_TRAINER, TEACHER_2):
        login(client, email)
        for path in (f"/contracts/{finn}/kontakte", f"/api/v1/contracts/{finn}/contacts"):
            response = client.get(path)
            assert response.status_code == 404 and "Markus Weber" not in response.text, (email, path)
        logout(client)
    login(client, SCHOOL_ADMIN)
    assert client.get(f"/contracts/{finn}/kontakte").status_code == 403
    logout(client)
    login(client, TEACHER)  # Mia did not consent to the log being read: her contacts are open to her class teacher all the same
    assert client.get(f"/contracts/{mia}/kontakte").status_code == 200
    class_page = client.get(f"/classes/{run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == 'FIA25a').first)['id']}").text
    assert f'href="/contracts/{mia}/nachrichten/mit-azubi#schreiben"' in class_page and f'href="/contracts/{mia}/kontakte"' in class_page


def test_the_api_gives_the_same_directory(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, TEACHER)
    data = client.get(f"/api/v1/contracts/{finn}/contacts").json()
    assert data["apprentice_name"] == "Finn Schneider" and data["school_class_name"] == "FIA25a"
    by_title = {c["title"]: c for c in data["contacts"]}
    assert by_title["chamber_adviser"] == {
        "group": "chamber", "title": "chamber_adviser", "name": "Katrin Vogel", "email": "katrin.vogel@ihk-ffm.example",
        "phone": "069 123456-21", "organisation": "IHK Frankfurt am Main", "subjects": "", "user_id": None, "conversation": None,
    }
    assert by_title["trainer"]["conversation"] == "staff" and by_title["apprentice"]["conversation"] == "with_apprentice"
    assert by_title["class_lead"]["conversation"] is None  # the reader


# --- editing how people are reached ----------------------------------------------------------------


def test_everyone_sets_their_own_phone_under_konto(client, run):
    login(client, TEACHER)
    bad = post(client, "/account/phone", {"phone": "069 / 12 34 ab"})
    assert bad.status_code == 422 and field_error(bad.text, "phone").startswith("Bitte eine Telefonnummer")
    assert input_value(bad.text, "phone") == "069 / 12 34 ab"
    assert post(client, "/account/phone", {"phone": "+49 (69) 1234-567"}).headers["location"] == "/account?telefon=1#telefon"
    assert run(User.select(User.phone).where(User.email == TEACHER).first)["phone"] == "+49 (69) 1234-567"
    page = client.get("/account?telefon=1").text
    assert input_value(page, "phone") == "+49 (69) 1234-567" and "Ihre Telefonnummer wurde gespeichert." in page
    assert post(client, "/account/phone", {"phone": "12"}).status_code == 422  # two digits reach nobody
    assert post(client, "/account/phone", {"phone": ""}).status_code == 303  # no number at all is fine
    assert run(User.select(User.phone).where(User.email == TEACHER).first)["phone"] == ""


def test_the_company_sets_its_chamber_adviser(client, run):
    login(client, COMPANY_ADMIN)
    form = {"name": "Rhein-Main Maschinenbau AG", "state": "HE", "city": "Frankfurt am Main", "chamber_name": "IHK Frankfurt am Main",
            "chamber_adviser_name": "Petra Neu", "chamber_adviser_email": "keine-adresse", "chamber_adviser_phone": "069-ABC"}
    bad = post(client, "/company", form)
    assert bad.status_code == 422
    assert field_error(bad.text, "chamber_adviser_email") == "Bitte eine gültige E-Mail-Adresse eingeben."
    assert field_error(bad.text, "chamber_adviser_phone").startswith("Bitte eine Telefonnummer")
    assert input_value(bad.text, "chamber_adviser_name") == "Petra Neu" and input_value(bad.text, "chamber_adviser_email") == "keine-adresse"
    assert run(Company.select(Company.chamber_adviser_name).where(Company.name == form["name"]).first)["chamber_adviser_name"] == "Katrin Vogel"
    good = post(client, "/company", {**form, "chamber_adviser_email": "Petra.Neu@IHK.example", "chamber_adviser_phone": "069 2197-0"})
    assert good.status_code == 303
    stored = run(Company.select(Company.chamber_adviser_name, Company.chamber_adviser_email, Company.chamber_adviser_phone).where(Company.name == form["name"]).first)
    assert stored == {"chamber_adviser_name": "Petra Neu", "chamber_adviser_email": "petra.neu@ihk.example", "chamber_adviser_phone": "069 2197-0"}
    assert input_value(client.get("/company").text, "chamber_adviser_name") == "Petra Neu"
    logout(client)
    login(client, SMALL_TRAINER)  # a small company's trainer acts as its admin
    assert post(client, "/company", {"name": "Elektro Becker GmbH", "state": "HE", "chamber_name": "HWK Wiesbaden"}).status_code == 303
    logout(client)
    login(client, TRAINER)  # the company has an admin: the trainer may not
    assert post(client, "/company", form).status_code == 403


def test_the_school_admin_sets_the_office_and_the_class_lead_with_subjects(client, run):
    login(client, SCHOOL_ADMIN)
    bad = post(client, "/school", {"office_email": "sekretariat(at)schule", "office_phone": "069 123456-0"})
    assert bad.status_code == 422 and field_error(bad.text, "office_email") == "Bitte eine gültige E-Mail-Adresse eingeben."
    assert input_value(bad.text, "office_email") == "sekretariat(at)schule"
    assert post(client, "/school", {"office_email": "buero@bs-main.example", "office_phone": "069 99"}).status_code == 303
    assert run(School.select(School.office_email, School.office_phone).first) == {"office_email": "buero@bs-main.example", "office_phone": "069 99"}
    assert input_value(client.get("/classes?sekretariat=1").text, "office_email") == "buero@bs-main.example"

    fia = run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "FIA25a").first)["id"]
    berg = run(User.select(User.id).where(User.email == TEACHER).first)["id"]
    too_long = post(client, f"/classes/{fia}/teachers/{berg}", {"subjects": "x" * 201})
    assert too_long.status_code == 422 and "Höchstens 200 Zeichen." in too_long.text and "x" * 201 in too_long.text
    assert post(client, f"/classes/{fia}/teachers/{berg}", {"subjects": "  LF 7,   Englisch "}).status_code == 303
    assert run(ClassTeacher.select(ClassTeacher.is_class_lead, ClassTeacher.subjects).where(ClassTeacher.teacher == berg).first) == {
        "is_class_lead": False, "subjects": "LF 7, Englisch"}
    assert post(client, f"/classes/{fia}/teachers/{berg}", {"is_class_lead": "on", "subjects": ""}).status_code == 303
    assert run(ClassTeacher.select(ClassTeacher.is_class_lead).where(ClassTeacher.teacher == berg).first)["is_class_lead"] is True
    assert post(client, f"/classes/{fia}/teachers/999999", {"subjects": ""}).status_code == 404  # not a teacher of the class
    # Another school's class is not found.
    other = run(School.insert(School(name="Andere Schule", state="HE", created_at=utcnow())).returning(School.id))[0]["id"]
    foreign = run(SchoolClass.insert(SchoolClass(school=other, name="X1", start_year=2025, created_at=utcnow())).returning(SchoolClass.id))[0]["id"]
    assert post(client, f"/classes/{foreign}/teachers/{berg}", {"subjects": ""}).status_code == 404
    logout(client)
    login(client, TEACHER)
    assert post(client, f"/classes/{fia}/teachers/{berg}", {"subjects": "alles"}).status_code == 403
    assert post(client, "/school", {"office_email": ""}).status_code == 403
