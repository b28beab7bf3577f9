"""Exam admission in a real browser: the trainer runs the check and creates a share link on a
tablet; chamber staff open it on a phone and a desktop without an account. axe-core on every page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.browser import assert_accessible
from tests.helpers import TRAINER


def test_the_trainer_shares_the_log_and_the_chamber_reads_it(new_context):
    page = new_context("tablet", as_user=TRAINER, axe=True).new_page()
    page.goto("/contracts")
    page.get_by_role("link", name="Finn Schneider").click()
    page.get_by_role("link", name="Prüfungsanmeldung").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prüfungsanmeldung")
    expect(page.get_by_role("heading", name="Vollständigkeit")).to_be_visible()
    assert_accessible(page, "exam-prepare-tablet")
    page.get_by_label("Für wen ist der Link?").fill("IHK Frankfurt – Prüfungsausschuss")
    page.get_by_label("Gültig für (Tage)").fill("7")
    page.get_by_role("button", name="Freigabelink erstellen").click()
    expect(page.locator("#f-valid_days-error")).to_have_text("Bitte eine Gültigkeit zwischen 14 und 200 Tagen angeben.")
    expect(page.get_by_label("Für wen ist der Link?")).to_have_value("IHK Frankfurt – Prüfungsausschuss")
    assert_accessible(page, "exam-share-error-tablet")
    page.get_by_label("Gültig für (Tage)").fill("60")
    page.get_by_role("button", name="Freigabelink erstellen").click()
    link = page.locator("#copy-link")
    expect(link).to_be_visible()
    url = link.input_value()
    assert "/freigabe/" in url
    assert_accessible(page, "exam-share-created-tablet")

    for viewport in ("phone", "desktop"):
        chamber = new_context(viewport, axe=True).new_page()
        chamber.goto(url)
        expect(chamber.get_by_role("heading", level=1)).to_have_text("Ausbildungsnachweis Finn Schneider")
        expect(chamber.get_by_role("navigation", name="Hauptnavigation")).to_have_count(0)
        assert_accessible(chamber, f"exam-shared-log-{viewport}")
        chamber.get_by_role("link", name="Nr. 1", exact=True).click()
        expect(chamber.get_by_role("heading", level=1)).to_contain_text("KW 31/2025")
        assert_accessible(chamber, f"exam-shared-week-{viewport}")
        assert chamber.context.cookies() == []

    page.reload()
    page.get_by_role("button", name="Widerrufen").first.click()
    expect(page.get_by_text("Der Link ist widerrufen")).to_be_visible()
    chamber = new_context("phone", axe=True).new_page()
    response = chamber.goto(url)
    assert response is not None and response.status == 410
    expect(chamber.get_by_text("Dieser Link ist abgelaufen oder wurde widerrufen.")).to_be_visible()
    assert_accessible(chamber, "exam-shared-gone-phone")
