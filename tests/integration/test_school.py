"""Schools: classes are created by the school admin; registered apprentices are assigned to them."""

from __future__ import annotations

from leokop.contracts.tables import Contract
from leokop.organisations.tables import SchoolClass
from tests.helpers import SCHOOL_ADMIN, TEACHER, field_error, input_value, login, logout, post


def test_school_admin_creates_a_class_and_assigns_a_registered_apprentice(client, run):
    login(client, SCHOOL_ADMIN)
    created = post(client, "/classes", {"name": "BM26a", "start_year": "2026", "occupation_id": ""})
    assert created.status_code == 303
    class_id = int(created.headers["location"].rsplit("/", 1)[-1])
    page = client.get(f"/classes/{class_id}").text
    assert "Emma Schulz" in page and "Lena Wolf" in page  # registered at this school, no class yet
    emma = run(Contract.select(Contract.id).where(Contract.apprentice.email == "emma.schulz@rmm.example").first)["id"]
    assert post(client, f"/classes/{class_id}/members", {"contract_id": str(emma)}).status_code == 303
    assert run(Contract.select(Contract.school_class).where(Contract.id == emma).first)["school_class"] == class_id
    assert post(client, f"/classes/{class_id}/members/{emma}/remove").status_code == 303
    assert run(Contract.select(Contract.school_class).where(Contract.id == emma).first)["school_class"] is None


def test_class_input_errors_are_german_and_kept(client):
    login(client, SCHOOL_ADMIN)
    duplicate = post(client, "/classes", {"name": "FIA25a", "start_year": "2025"})
    assert field_error(duplicate.text, "name") == "Diese Klasse gibt es an Ihrer Schule bereits."
    bad_year = post(client, "/classes", {"name": "X1", "start_year": "19"})
    assert field_error(bad_year.text, "start_year") == "Der Wert liegt außerhalb des erlaubten Bereichs."
    assert input_value(bad_year.text, "name") == "X1"
    not_a_number = post(client, "/classes", {"name": "X1", "start_year": "zwanzig"})
    assert field_error(not_a_number.text, "start_year") == "Bitte eine ganze Zahl eingeben."


def test_teachers_see_classes_but_do_not_manage_them(client, run):
    login(client, TEACHER)
    page = client.get("/classes").text
    assert "FIA25a" in page and "Klasse anlegen" not in page
    fia = run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "FIA25a").first)["id"]
    roster = client.get(f"/classes/{fia}").text
    assert "Finn Schneider" in roster and "zuordnen" not in roster
    assert post(client, "/classes", {"name": "X", "start_year": "2026"}).status_code == 403
    logout(client)
