"""Invitations: who may invite whom, the one-time link with expiry, accepting, and the outbox."""

from __future__ import annotations

import datetime as dt
import re

from leokop.accounts.tables import Invitation, User
from leokop.notifications.tables import MailMessage
from tests.helpers import (
    COMPANY_ADMIN,
    SCHOOL_ADMIN,
    SMALL_TRAINER,
    TRAINER,
    field_error,
    input_value,
    login,
    logout,
    post,
)


def _invite(client, email="neu@elektro-becker.example", name="Neue Person", role="apprentice"):
    return post(client, "/people/invitations", {"email": email, "display_name": name, "role": role})


def _link(html: str) -> str:
    return re.search(r'id="copy-link" type="text" readonly value="http://127\.0\.0\.1:8000(/invitation/[^"]+)"', html).group(1)


def test_small_firm_trainer_invites_an_apprentice_who_accepts(client, run):
    login(client, SMALL_TRAINER)
    response = _invite(client)
    assert response.status_code == 200
    link = _link(response.text)
    assert "Einladung offen" in response.text
    mail = run(MailMessage.select().where(MailMessage.recipient == "neu@elektro-becker.example").first)
    assert link in mail["body"] and mail["subject"] == "Einladung zu leokop – Elektro Becker GmbH"
    assert "Neue Person" in client.get("/outbox").text
    logout(client)

    page = client.get(link)
    assert "Auszubildende/r" in page.text and "Elektro Becker GmbH" in page.text
    accepted = post(client, link, {"display_name": "Nele Neu", "new_password": "mein-sicheres-pw", "new_password_repeat": "mein-sicheres-pw"})
    assert accepted.status_code == 303 and accepted.headers["location"] == "/?willkommen=1"
    start = client.get("/?willkommen=1")
    assert "Willkommen, Nele Neu" in start.text
    user = run(User.select(User.is_active, User.display_name, User.role).where(User.email == "neu@elektro-becker.example").first)
    assert user == {"is_active": True, "display_name": "Nele Neu", "role": "apprentice"}


def test_an_invitation_link_works_only_once(client):
    login(client, SMALL_TRAINER)
    link = _link(_invite(client).text)
    logout(client)
    form = {"display_name": "Nele", "new_password": "mein-sicheres-pw", "new_password_repeat": "mein-sicheres-pw"}
    assert post(client, link, form).status_code == 303
    logout(client)
    again = post(client, link, form)
    assert again.status_code == 410
    assert "ungültig oder wurde bereits benutzt" in again.text
    assert client.get(link).status_code == 410


def test_an_expired_invitation_is_refused_and_a_new_link_replaces_it(client, run):
    login(client, SMALL_TRAINER)
    old_link = _link(_invite(client).text)
    run(Invitation.update({Invitation.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)}, force=True))
    people = client.get("/people").text
    assert "Einladung abgelaufen" in people
    user_id = run(User.select(User.id).where(User.email == "neu@elektro-becker.example").first)["id"]
    new_link = _link(post(client, f"/people/{user_id}/invitation").text)
    logout(client)
    replaced = client.get(old_link)
    assert replaced.status_code == 410 and "ungültig oder wurde bereits benutzt" in replaced.text
    assert client.get(new_link).status_code == 200


def test_expired_link_says_so(client, run):
    login(client, SMALL_TRAINER)
    link = _link(_invite(client).text)
    run(Invitation.update({Invitation.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)}, force=True))
    logout(client)
    response = client.get(link)
    assert response.status_code == 410
    assert "Dieser Link ist abgelaufen" in response.text


def test_bad_invitation_input_gets_german_messages_and_keeps_the_input(client):
    login(client, SMALL_TRAINER)
    response = _invite(client, email="keine-adresse", name="Karl Kaputt")
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Bitte eine gültige E-Mail-Adresse eingeben."
    assert input_value(response.text, "display_name") == "Karl Kaputt"
    assert input_value(response.text, "email") == "keine-adresse"
    taken = _invite(client, email=TRAINER)
    assert field_error(taken.text, "email") == "Für diese E-Mail-Adresse gibt es bereits ein Konto."
    empty = _invite(client, email="", name="", role="")
    assert field_error(empty.text, "display_name") == "Bitte ausfüllen."
    assert field_error(empty.text, "role") == "Bitte ausfüllen."


def test_roles_that_may_not_be_invited_are_refused(client):
    login(client, SMALL_TRAINER)
    assert field_error(_invite(client, role="company_admin").text, "role") == "Diese Rolle können Sie nicht einladen."
    assert field_error(_invite(client, role="teacher").text, "role") == "Diese Rolle können Sie nicht einladen."
    assert field_error(_invite(client, role="kaiser").text, "role") == "Bitte einen der angebotenen Werte wählen."
    logout(client)
    login(client, TRAINER)  # the industrial company has a company admin: trainers do not invite there
    assert _invite(client, email="x@rmm.example").status_code == 403
    assert "Person einladen" not in client.get("/people").text
    logout(client)
    login(client, COMPANY_ADMIN)
    assert _invite(client, email="azubi@rmm.example").status_code == 200
    logout(client)
    login(client, SCHOOL_ADMIN)
    assert _invite(client, email="lehrer@bs-main.example", role="teacher").status_code == 200
    assert field_error(_invite(client, email="a@bs-main.example", role="apprentice").text, "role") == "Diese Rolle können Sie nicht einladen."


def test_a_pending_account_cannot_sign_in(client):
    login(client, SMALL_TRAINER)
    _invite(client)
    logout(client)
    response = post(client, "/login", {"email": "neu@elektro-becker.example", "password": ""})
    assert response.status_code == 422


def test_operator_registers_a_company_with_its_first_trainer(client, run):
    login(client, "admin@leokop.example")
    response = post(
        client,
        "/admin/companies",
        {"name": "Dachdeckerei Klein", "state": "HE", "city": "Fulda", "first_name": "Kai Klein", "first_email": "kai@klein.example", "first_role": "trainer"},
    )
    assert response.status_code == 200
    assert "Dachdeckerei Klein" in response.text
    link = _link(response.text)
    user = run(User.select(User.role, User.company.name).where(User.email == "kai@klein.example").first)
    assert user == {"role": "trainer", "company.name": "Dachdeckerei Klein"}
    bad = post(client, "/admin/companies", {"name": "X", "state": "XX", "first_name": "", "first_email": "kai@klein.example", "first_role": "trainer"})
    assert bad.status_code == 422
    assert "Bitte einen der angebotenen Werte wählen." in bad.text and "Mindestens 2 Zeichen." in bad.text
    logout(client)
    assert client.get(link).status_code == 200
