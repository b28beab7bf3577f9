"""Messages and contacts in a real browser: the trainer writes to Finn and his class teacher on a
tablet (htmx, no reload), Finn sees the unread count on his phone, opens the conversation and
answers with a photo, the teacher reads both on the desktop and downloads the photo; the new pages
(list, conversation, contacts) at phone, tablet and desktop size with screenshots and axe-core.

The server's demo (`leokop seed-demo`) has Finn's conversation with Markus Weber and Dr. Thomas Berg
and their conversation without Finn. The gallery only looks (opening marks read); the flow then
writes."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.browser import path_of
from tests.e2e.test_signing import assert_no_axe_violations, goto, open_as, settled, shot
from tests.helpers import APPRENTICE, GUARDIAN, TEACHER, TRAINER

VIEWPORT_NAMES = ("phone", "tablet", "desktop")
CONVERSATION_PATH = re.compile(r".*/contracts/(\d+)/nachrichten/(mit-azubi|betrieb-schule)(#.*)?$")


def nav_count(page: Page):
    return page.locator(".mainnav a[href='/nachrichten'] .nav-count")


def open_finns_conversation_from_the_list(page: Page, name: str) -> None:
    goto(page, "/nachrichten")
    page.locator(".conversation").filter(has_text=name).first.get_by_role("link").click()
    page.wait_for_url(CONVERSATION_PATH)
    settled(page)


def photo() -> bytes:
    image = Image.new("RGB", (640, 480), (200, 120, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("viewport", VIEWPORT_NAMES)
def test_message_and_contact_pages_look_right_and_have_no_axe_violations(new_context, viewport):
    teacher = open_as(new_context, viewport, TEACHER, axe=True)
    goto(teacher, "/nachrichten")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Nachrichten")
    expect(teacher.locator(".conversation")).to_have_count(2)  # Finn's two conversations
    shot(teacher, f"conversations-list-{viewport}")
    assert_no_axe_violations(teacher, f"conversations-list-{viewport}")
    open_finns_conversation_from_the_list(teacher, "nur Betrieb und Schule")
    expect(teacher.get_by_role("navigation", name="Unterhaltungen zu Finn Schneider").get_by_role("link", name="Nur Betrieb und Schule")).to_have_attribute("aria-current", "page")
    expect(teacher.locator(".chat-message")).to_have_count(2)
    shot(teacher, f"conversation-staff-{viewport}")
    assert_no_axe_violations(teacher, f"conversation-staff-{viewport}")

    apprentice = open_as(new_context, viewport, APPRENTICE, axe=True)
    goto(apprentice, "/nachrichten")
    apprentice.locator(".conversation").first.get_by_role("link").click()
    apprentice.wait_for_url(CONVERSATION_PATH)
    settled(apprentice)
    expect(apprentice.get_by_role("heading", level=1)).to_have_text("Betrieb und Berufsschule")
    expect(apprentice.locator(".chat-message")).to_have_count(4)
    expect(apprentice.locator(".chat-own")).to_have_count(1)
    expect(apprentice.get_by_role("navigation", name=re.compile("Unterhaltungen"))).to_have_count(0)  # no staff tab
    shot(apprentice, f"conversation-apprentice-{viewport}")
    assert_no_axe_violations(apprentice, f"conversation-apprentice-{viewport}")

    apprentice.get_by_role("link", name="Kontakte").click()
    apprentice.wait_for_url(re.compile(r".*/kontakte$"))
    settled(apprentice)
    expect(apprentice.get_by_role("heading", level=1)).to_have_text("Kontakte – Finn Schneider")
    expect(apprentice.locator(".contact").filter(has_text="Dr. Thomas Berg")).to_contain_text("Klassenleitung")
    expect(apprentice.get_by_role("link", name="069 123456-410")).to_have_attribute("href", "tel:069123456410")
    shot(apprentice, f"contacts-{viewport}")
    assert_no_axe_violations(apprentice, f"contacts-{viewport}")


def test_contacts_and_messages_in_dark_mode_have_no_axe_violations(new_context):
    apprentice = open_as(new_context, "phone", APPRENTICE, axe=True, color_scheme="dark")
    open_finns_conversation_from_the_list(apprentice, "Betrieb und Berufsschule")
    shot(apprentice, "conversation-dark-phone")
    assert_no_axe_violations(apprentice, "conversation-dark-phone")
    guardian = open_as(new_context, "phone", GUARDIAN, axe=True, color_scheme="dark")
    goto(guardian, "/")
    guardian.get_by_role("link", name=re.compile(r"Kontakte\W+Lena Wolf")).click()  # the hidden name part is a block
    guardian.wait_for_url(re.compile(r".*/kontakte$"))
    settled(guardian)
    expect(guardian.locator(".contact").filter(has_text="Andrea Wolf")).to_contain_text("(Sie)")
    expect(guardian.get_by_role("link", name=re.compile("Nachricht"))).to_have_count(0)
    shot(guardian, "contacts-guardian-dark-phone")
    assert_no_axe_violations(guardian, "contacts-guardian-dark-phone")


def test_trainer_writes_finn_answers_with_a_photo_teacher_reads_both(new_context):
    # 0. Finn and his teacher have read everything so far (whatever the tests before did).
    finn = open_as(new_context, "phone", APPRENTICE, axe=True)
    teacher = open_as(new_context, "desktop", TEACHER, axe=True)
    open_finns_conversation_from_the_list(finn, "Betrieb und Berufsschule")
    goto(teacher, path_of(finn))

    # 1. The trainer writes from Finn's contract on the tablet; htmx sends without a reload.
    trainer = open_as(new_context, "tablet", TRAINER, axe=True)
    goto(trainer, "/contracts")
    trainer.get_by_role("link", name="Finn Schneider").click()
    settled(trainer)
    trainer.get_by_role("link", name="Nachricht schreiben").click()
    trainer.wait_for_url(CONVERSATION_PATH)
    settled(trainer)
    conversation = path_of(trainer)
    trainer.evaluate("() => { window.notReloaded = true; }")
    trainer.get_by_label("Nachricht", exact=True).fill("Finn, Herr Dr. Berg: Die Projektwoche Datenbanken beginnt am Montag. Bitte bringen Sie das ER-Modell aus LF 5 mit.")
    trainer.get_by_role("button", name="Senden").click()
    own = trainer.locator(".chat-own").filter(has_text="Die Projektwoche Datenbanken beginnt am Montag")
    expect(own).to_be_visible()
    settled(trainer)
    assert trainer.evaluate("() => window.notReloaded === true"), "the page was reloaded"
    expect(trainer.get_by_label("Nachricht", exact=True)).to_have_value("")
    expect(own.locator(".chat-time")).to_have_text(re.compile(r"^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr$"))
    # An empty message is refused next to the field, still without a reload.
    trainer.get_by_role("button", name="Senden").click()
    expect(trainer.locator("#f-body-error")).to_have_text("Bitte eine Nachricht schreiben oder eine Datei anhängen.")
    assert trainer.evaluate("() => window.notReloaded === true")
    shot(trainer, "conversation-trainer-tablet")
    assert_no_axe_violations(trainer, "conversation-trainer-tablet")

    # 2. Finn sees the count on the phone, opens the conversation and answers with a photo.
    goto(finn, "/")
    expect(nav_count(finn)).to_have_text(re.compile(r"^1"))
    shot(finn, "conversation-unread-start-phone", full_page=False)
    finn.locator(".mainnav").get_by_role("link", name=re.compile("Nachrichten")).click()
    settled(finn)
    row = finn.locator(".conversation").first
    expect(row.locator(".badge-unread")).to_have_text("1 neu")
    row.get_by_role("link").click()
    finn.wait_for_url(CONVERSATION_PATH)
    settled(finn)
    assert path_of(finn) == conversation
    expect(finn.locator("#neu")).to_be_visible()
    expect(finn.locator(".chat-message").last).to_contain_text("Markus Weber · Ausbilder/in")
    expect(nav_count(finn)).to_have_count(0)  # opening read it
    finn.get_by_label("Nachricht", exact=True).fill("Mache ich! Hier das Modell von der Tafel.")
    finn.get_by_label("Foto oder PDF anhängen (freiwillig)").set_input_files(files=[{"name": "tafel.jpg", "mimeType": "image/jpeg", "buffer": photo()}])
    finn.get_by_role("button", name="Senden").click()
    answer = finn.locator(".chat-own").filter(has_text="Hier das Modell von der Tafel.")
    expect(answer.locator("img")).to_be_visible()
    expect(answer.get_by_role("link", name=re.compile("tafel.jpg"))).to_be_visible()
    settled(finn)
    shot(finn, "conversation-photo-phone")
    assert_no_axe_violations(finn, "conversation-photo-phone")

    # 3. The teacher reads both on the desktop and downloads the photo.
    goto(teacher, "/nachrichten")
    expect(nav_count(teacher)).to_have_text(re.compile(r"^1"))
    row = teacher.locator(".conversation").filter(has_text="mit Auszubildender/m")
    expect(row.locator(".badge-unread")).to_have_text("2 neu")
    expect(row).to_contain_text("Finn Schneider: Mache ich!")
    row.get_by_role("link").click()
    teacher.wait_for_url(CONVERSATION_PATH)
    settled(teacher)
    messages = teacher.locator(".chat-message")
    expect(messages.nth(-2)).to_contain_text("Die Projektwoche Datenbanken beginnt am Montag")
    expect(messages.nth(-1)).to_contain_text("Finn Schneider · Auszubildende/r")
    with teacher.expect_download() as download:
        messages.nth(-1).get_by_role("link", name=re.compile("tafel.jpg")).click()
    assert download.value.suggested_filename == "tafel.jpg"
    shot(teacher, "conversation-teacher-desktop")
    assert_no_axe_violations(teacher, "conversation-teacher-desktop")
