"""axe-core on the pages people see most, at the size they use them on; every page is also saved
as a screenshot in screenshots/<name>.png."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import assert_accessible, invite
from tests.helpers import ADMIN, COMPANY_ADMIN, SCHOOL_ADMIN, SMALL_APPRENTICE, SMALL_TRAINER, TEACHER, TRAINER


def wrong_password(page: Page, new_context) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill("niemand@mail.example")
    page.get_by_label("Passwort").fill("ganz-sicher-falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator("#f-email-error")).to_be_visible()


def contract_detail(page: Page, new_context) -> None:
    page.goto("/contracts")
    page.get_by_role("link", name="Finn Schneider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Finn Schneider")


def invitation_error(page: Page, new_context) -> None:
    page.goto("/people")
    invite(page, "Max Mustermann", "keine-adresse")
    expect(page.locator("#f-email-error")).to_be_visible()


def invitation_link(page: Page, new_context) -> None:
    """The page a new apprentice opens from the invitation mail."""
    import uuid

    trainer = new_context("desktop", as_user=SMALL_TRAINER).new_page()
    trainer.goto("/people")
    invite(trainer, "Ben Adler", f"ben.adler.{uuid.uuid4().hex[:8]}@mail.example")
    link = trainer.locator("#copy-link").input_value()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen bei leokop")


def class_detail(page: Page, new_context) -> None:
    page.goto("/classes")
    page.get_by_role("link", name="FIA25a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Klasse FIA25a")


def contract_form_errors(page: Page, new_context) -> None:
    page.goto("/contracts/new")
    page.get_by_label("Beginn").fill("32.13.2026")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#f-start_date-error")).to_be_visible()


class Check(NamedTuple):
    name: str
    viewport: str
    user: str | None
    target: str | Callable[[Page, object], None]
    color_scheme: str = "light"


CHECKS = [
    Check("login-phone", "phone", None, "/login"),
    Check("login-desktop", "desktop", None, "/login"),
    Check("login-dark-desktop", "desktop", None, "/login", color_scheme="dark"),
    Check("login-error-phone", "phone", None, wrong_password),
    Check("invitation-phone", "phone", None, invitation_link),
    Check("start-apprentice-phone", "phone", SMALL_APPRENTICE, "/"),
    Check("start-trainer-desktop", "desktop", TRAINER, "/"),
    Check("contracts-desktop", "desktop", COMPANY_ADMIN, "/contracts"),
    Check("contract-detail-desktop", "desktop", COMPANY_ADMIN, contract_detail),
    Check("contract-new-desktop", "desktop", COMPANY_ADMIN, "/contracts/new"),
    Check("people-desktop", "desktop", COMPANY_ADMIN, "/people"),
    Check("people-tablet", "tablet", SMALL_TRAINER, "/people"),
    Check("people-invite-error-desktop", "desktop", COMPANY_ADMIN, invitation_error),
    Check("account-desktop", "desktop", COMPANY_ADMIN, "/account"),
    Check("account-phone", "phone", SMALL_APPRENTICE, "/account"),
    Check("outbox-desktop", "desktop", SMALL_TRAINER, "/outbox"),
    Check("contract-form-errors-phone", "phone", COMPANY_ADMIN, contract_form_errors),
    Check("company-tablet", "tablet", COMPANY_ADMIN, "/company"),
    Check("classes-desktop", "desktop", SCHOOL_ADMIN, "/classes"),
    Check("class-detail-desktop", "desktop", SCHOOL_ADMIN, class_detail),
    Check("classes-teacher-phone", "phone", TEACHER, "/classes"),
    Check("class-detail-teacher-phone", "phone", TEACHER, class_detail),
    Check("organisations-desktop", "desktop", ADMIN, "/admin/organisations"),
    Check("password-reset-phone", "phone", None, "/password-reset"),
]


@pytest.mark.parametrize("check", CHECKS, ids=[check.name for check in CHECKS])
def test_no_axe_violations(new_context, check: Check):
    page = new_context(check.viewport, as_user=check.user, color_scheme=check.color_scheme, axe=True).new_page()
    if isinstance(check.target, str):
        response = page.goto(check.target)
        assert response is not None and response.status == 200, f"{check.target}: HTTP {response and response.status}"
    else:
        check.target(page, new_context)
    assert_accessible(page, check.name)
