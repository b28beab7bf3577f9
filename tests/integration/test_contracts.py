"""Contracts: create and edit with German field errors that keep the input; who sees which contract."""

from __future__ import annotations

import re

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract, ContractStaff
from leokop.curriculum.tables import Occupation
from leokop.organisations.tables import School
from tests.helpers import (
    APPRENTICE,
    COMPANY_ADMIN,
    INSTRUCTOR,
    SMALL_TRAINER,
    TRAINER,
    field_error,
    input_value,
    login,
    logout,
    post,
)


def _ids(run, *emails):
    rows = run(User.select(User.id, User.email).where(User.email.is_in(list(emails))))
    by_email = {r["email"]: r["id"] for r in rows}
    return [by_email[e] for e in emails]


def _occupation(run, slug="fachinformatiker-anwendungsentwicklung"):
    return run(Occupation.select(Occupation.id).where(Occupation.slug == slug).first)["id"]


def _new_apprentice(run, email="azubi.neu@rmm.example", company_email=COMPANY_ADMIN, birth=None):
    company = run(User.select(User.company).where(User.email == company_email).first)["company"]
    from leokop.timeutil import utcnow

    return run(
        User.insert(User(email=email, display_name="Alex Neu", role="apprentice", company=company, is_active=True, birth_date=birth, created_at=utcnow())).returning(User.id)
    )[0]["id"]


def _form(run, apprentice_id, **overrides):
    (trainer,) = _ids(run, TRAINER)
    form = {
        "apprentice_id": str(apprentice_id),
        "occupation_id": str(_occupation(run)),
        "start_date": "01.08.2026",
        "end_date": "31.07.2029",
        "daily_hours": "7:48",
        "log_form": "electronic",
        "log_mode": "daily",
        "trainer_ids": [str(trainer)],
        "school_id": "",
    }
    form.update(overrides)
    return form


def test_company_admin_creates_a_contract(client, run):
    apprentice = _new_apprentice(run)
    school = run(School.select(School.id).first)["id"]
    (instructor,) = _ids(run, INSTRUCTOR)
    login(client, COMPANY_ADMIN)
    assert client.get("/contracts/new").status_code == 200
    response = post(client, "/contracts", _form(run, apprentice, school_id=str(school), instructor_ids=[str(instructor)]))
    assert response.status_code == 303
    contract_id = int(re.search(r"/contracts/(\d+)", response.headers["location"]).group(1))
    saved = run(Contract.select(Contract.daily_minutes, Contract.log_mode, Contract.school, Contract.start_date).where(Contract.id == contract_id).first)
    assert saved["daily_minutes"] == 468 and saved["log_mode"] == "daily" and saved["school"] == school
    staff = run(ContractStaff.select(ContractStaff.kind).where(ContractStaff.contract == contract_id))
    assert sorted(s["kind"] for s in staff) == ["instructor", "trainer"]
    page = client.get(f"/contracts/{contract_id}").text
    assert "Alex Neu" in page and "7:48 Stunden" in page and "Klasse wird von der Schule zugeordnet" in page


def test_bad_contract_input_is_explained_next_to_each_field_and_kept(client, run):
    apprentice = _new_apprentice(run)
    login(client, COMPANY_ADMIN)
    response = post(
        client,
        "/contracts",
        _form(run, apprentice, start_date="31.02.2026", end_date="morgen", daily_hours="viel", trainer_ids=[], log_mode="monatlich"),
    )
    assert response.status_code == 422
    assert field_error(response.text, "start_date") == "Bitte ein Datum im Format TT.MM.JJJJ eingeben."
    assert field_error(response.text, "end_date") == "Bitte ein Datum im Format TT.MM.JJJJ eingeben."
    assert field_error(response.text, "log_mode") == "Bitte einen der angebotenen Werte wählen."
    assert input_value(response.text, "start_date") == "31.02.2026"
    assert input_value(response.text, "daily_hours") == "viel"
    assert "Bitte prüfen Sie die markierten Felder." in response.text

    rules = post(client, "/contracts", _form(run, apprentice, start_date="01.08.2026", end_date="01.07.2026", daily_hours="11", trainer_ids=[]))
    assert rules.status_code == 422
    assert field_error(rules.text, "end_date") == "Das Ende muss nach dem Beginn liegen."
    assert field_error(rules.text, "daily_hours").startswith("Bitte eine tägliche Arbeitszeit zwischen 1 und 10 Stunden")
    assert field_error(rules.text, "trainer_ids") == "Bitte mindestens eine Ausbilderin oder einen Ausbilder wählen."
    assert input_value(rules.text, "daily_hours") == "11"
    assert run(Contract.count().where(Contract.apprentice == apprentice)) == 0


def test_minors_may_not_be_planned_over_eight_hours(client, run):
    import datetime as dt

    apprentice = _new_apprentice(run, birth=dt.date(2011, 1, 1))
    login(client, COMPANY_ADMIN)
    response = post(client, "/contracts", _form(run, apprentice, daily_hours="8:30"))
    assert field_error(response.text, "daily_hours") == "Für Minderjährige höchstens 8 Stunden am Tag (§ 8 JArbSchG)."


def test_overlapping_contracts_and_foreign_people_are_refused(client, run):
    (finn,) = _ids(run, APPRENTICE)
    login(client, COMPANY_ADMIN)
    overlap = post(client, "/contracts", _form(run, finn, start_date="01.01.2027", end_date="31.12.2027"))
    assert field_error(overlap.text, "start_date") == "Für diese Person gibt es in diesem Zeitraum bereits einen Ausbildungsvertrag."
    (small_trainer,) = _ids(run, SMALL_TRAINER)
    apprentice = _new_apprentice(run)
    foreign_trainer = post(client, "/contracts", _form(run, apprentice, trainer_ids=[str(small_trainer)]))
    assert field_error(foreign_trainer.text, "trainer_ids") == "Bitte einen der angebotenen Werte wählen."
    lena = run(User.select(User.id).where(User.email == "lena.wolf@elektro-becker.example").first)["id"]
    foreign_apprentice = post(client, "/contracts", _form(run, lena))
    assert field_error(foreign_apprentice.text, "apprentice_id") == "Bitte eine Auszubildende oder einen Auszubildenden aus Ihrem Betrieb wählen."


def test_editing_a_contract_keeps_the_form_values_and_saves(client, run):
    contract = run(Contract.select(Contract.id).where(Contract.apprentice.email == APPRENTICE).first)["id"]
    login(client, TRAINER)
    edit = client.get(f"/contracts/{contract}/edit").text
    assert input_value(edit, "start_date") == "01.08.2025"
    assert input_value(edit, "daily_hours") == "7:48"
    (finn,) = _ids(run, APPRENTICE)
    form = _form(run, finn, start_date="01.08.2025", end_date="31.01.2029", daily_hours="8", log_form="written")
    assert post(client, f"/contracts/{contract}", form).status_code == 303
    page = client.get(f"/contracts/{contract}").text
    assert "31.01.2029" in page and "8:00 Stunden" in page
    assert "wird der Ausbildungsnachweis <strong>schriftlich</strong> geführt" in page  # L1 warning


def test_who_sees_which_contract(client, run):
    login(client, APPRENTICE)
    own = client.get("/contracts").text
    assert "Finn Schneider" in own and "Mia Yilmaz" not in own
    assert "Neuer Vertrag" not in own
    assert client.get("/contracts/new").status_code == 403
    logout(client)
    login(client, INSTRUCTOR)
    assigned = client.get("/contracts").text
    assert "Finn Schneider" in assigned and "Noah Fischer" in assigned and "Mia Yilmaz" not in assigned
    logout(client)
    login(client, TRAINER)
    company = client.get("/contracts").text
    assert all(name in company for name in ("Finn Schneider", "Mia Yilmaz", "Noah Fischer", "Emma Schulz"))
    assert "Lena Wolf" not in company
