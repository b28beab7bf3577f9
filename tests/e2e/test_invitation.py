"""A small craft firm's trainer invites a new apprentice, who sets up the account on a phone."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.browser import invite, login, path_of, screenshot, url_path
from tests.helpers import SMALL_TRAINER


def test_trainer_invites_apprentice_who_signs_up_on_phone(new_context, live_server):
    name = "Lea Sommer"
    email = f"lea.sommer.{uuid.uuid4().hex[:8]}@mail.example"
    password = "Sommer-Azubi-2026"

    # The trainer of Elektro Becker (no company admin there, so he may invite) on a tablet.
    trainer = new_context("tablet").new_page()
    login(trainer, SMALL_TRAINER)
    trainer.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Personen").click()
    expect(trainer.get_by_role("heading", level=1)).to_have_text("Personen bei Elektro Becker GmbH")
    assert path_of(trainer) == "/people"
    invite(trainer, name, email)

    link_field = trainer.locator("#copy-link")
    expect(link_field).to_be_visible()
    expect(trainer.get_by_role("status")).to_contain_text(f"per E-Mail an {email} unterwegs")
    link = link_field.input_value()
    assert re.fullmatch(re.escape(live_server) + r"/invitation/[A-Za-z0-9_-]{20,}", link), link
    expect(trainer.locator(".list-row", has_text=email)).to_contain_text("Einladung offen")
    screenshot(trainer, "invite-link-tablet")

    # The apprentice opens the link on a phone, in a browser that has never seen leokop.
    apprentice = new_context("phone").new_page()
    apprentice.goto(link)
    expect(apprentice.get_by_role("heading", level=1)).to_have_text("Willkommen bei leokop")
    expect(apprentice.locator("main")).to_contain_text("Auszubildende/r")
    expect(apprentice.locator("main")).to_contain_text("Elektro Becker GmbH")
    expect(apprentice.get_by_label("E-Mail-Adresse")).to_have_value(email)
    screenshot(apprentice, "invitation-phone")
    apprentice.get_by_label("Ihr Name").fill(name)
    apprentice.locator("#f-new_password").fill(password)
    apprentice.locator("#f-new_password_repeat").fill(password)
    apprentice.get_by_role("button", name="Konto einrichten").click()

    apprentice.wait_for_url(lambda url: url_path(url) == "/")
    expect(apprentice.get_by_role("status")).to_contain_text(f"Willkommen, {name}!")
    expect(apprentice.get_by_role("heading", level=1)).to_have_text(f"Guten Tag, {name}")
    expect(apprentice.locator(".whoami-name")).to_have_text(name)
    screenshot(apprentice, "welcome-apprentice-phone")

    # The invitation mail waits in the trainer's outbox (no mail server configured).
    trainer.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Postausgang").click()
    expect(trainer.get_by_role("heading", level=1)).to_have_text("Postausgang")
    mail = trainer.locator("article.mail", has_text=f"An {email}")
    expect(mail).to_have_count(1)
    expect(mail.get_by_role("heading")).to_have_text("Einladung zu leokop – Elektro Becker GmbH")
    expect(mail.locator(".mail-body")).to_contain_text(f"Hallo {name},")
    expect(mail.locator(".mail-body")).to_contain_text(link)
    screenshot(trainer, "outbox-tablet")

    # The new apprentice now shows up as an active person.
    trainer.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Personen").click()
    expect(trainer.locator(".list-row", has_text=email)).not_to_contain_text("Einladung offen")


def test_invalid_email_keeps_what_was_typed(new_context):
    page = new_context("desktop", as_user=SMALL_TRAINER).new_page()
    page.goto("/people")
    invite(page, "Max Mustermann", "max.mustermann@")

    email = page.get_by_label("E-Mail-Adresse")
    expect(page.locator("#f-email-error")).to_have_text("Bitte eine gültige E-Mail-Adresse eingeben.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", re.compile(r"\bf-email-error\b"))
    expect(email).to_be_focused()
    expect(page.get_by_role("alert")).to_have_text("Bitte prüfen Sie die markierten Felder.")
    expect(page.get_by_label("Name")).to_have_value("Max Mustermann")
    expect(email).to_have_value("max.mustermann@")
    expect(page.get_by_label("Rolle")).to_have_value("apprentice")
    expect(page.locator("#copy-link")).to_have_count(0)
    screenshot(page, "invite-error-desktop")


def test_reloading_after_an_invitation_shows_the_people_page(new_context):
    page = new_context("desktop", as_user=SMALL_TRAINER).new_page()
    page.goto("/people")
    invite(page, "Paul Neuhaus", f"paul.neuhaus.{uuid.uuid4().hex[:8]}@mail.example")
    expect(page.locator("#copy-link")).to_be_visible()

    response = page.reload()
    assert response is not None and response.status == 200, (
        f"reloading {page.url} after inviting answered HTTP {response and response.status}"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Personen bei Elektro Becker GmbH")
