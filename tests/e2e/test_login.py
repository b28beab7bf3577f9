"""Signing in: a wrong password is told in German next to the field, and the form works by keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import path_of, screenshot
from tests.helpers import COMPANY_ADMIN, SMALL_APPRENTICE

FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
        tag: el.tagName.toLowerCase(), id: el.id, type: el.getAttribute("type") || "",
        text: (el.textContent || "").trim(),
        outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth, outlineColor: style.outlineColor,
        onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
            && box.left < window.innerWidth && box.top < window.innerHeight,
    };
}"""


def test_wrong_password_shows_german_error_and_keeps_email(phone):
    page = phone.new_page()
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(SMALL_APPRENTICE)
    page.get_by_label("Passwort").fill("ganz-sicher-falsch")
    page.get_by_role("button", name="Anmelden").click()

    email = page.get_by_label("E-Mail-Adresse")
    expect(page.locator("#f-email-error")).to_have_text("E-Mail-Adresse oder Passwort ist falsch.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "f-email-error")
    expect(email).to_have_value(SMALL_APPRENTICE)
    expect(page.get_by_label("Passwort")).to_have_value("")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert path_of(page) == "/login"
    screenshot(page, "login-wrong-password-phone")


def test_login_form_by_keyboard_with_visible_focus(desktop):
    page = desktop.new_page()
    page.goto("/login")
    stops = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        stops.append(focused)
        if focused["tag"] == "button":
            break

    # The first stop is the skip link, and it shows up on screen when focused.
    assert stops[0]["text"] == "Zum Inhalt springen", stops[0]
    assert stops[0]["onScreen"], f"skip link is focused but not on screen: {stops[0]}"

    ids = [stop["id"] or stop["text"] for stop in stops]
    assert "f-email" in ids and "f-password" in ids, f"Tab order: {ids}"
    assert ids.index("f-email") < ids.index("f-password"), f"Tab order: {ids}"
    assert stops[-1]["tag"] == "button" and stops[-1]["text"] == "Anmelden", f"Tab order: {ids}"
    assert ids.index("f-password") < len(ids) - 1, f"Tab order: {ids}"

    for stop in stops:
        assert stop["outlineStyle"] != "none" and stop["outlineWidth"] != "0px", (
            f"no visible focus outline on {stop['tag']}#{stop['id']} ({stop['text']!r}): {stop}"
        )
        assert stop["onScreen"], f"focused element is off screen: {stop}"

    # Back to the e-mail field and type: the keyboard really reaches the form.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label("E-Mail-Adresse")).to_be_focused()
    page.keyboard.type(SMALL_APPRENTICE)
    expect(page.get_by_label("E-Mail-Adresse")).to_have_value(SMALL_APPRENTICE)
    screenshot(page, "login-keyboard-focus-desktop")


def _luminance(rgb: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+(?:\.\d+)?", rgb)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_focus_outline_stands_out_on_the_top_bar(new_context, color_scheme):
    page = new_context("desktop", as_user=COMPANY_ADMIN, color_scheme=color_scheme).new_page()
    page.goto("/")
    topbar_background = page.locator(".topbar").evaluate("el => getComputedStyle(el).backgroundColor")
    weak = []
    for _ in range(8):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        in_topbar = page.evaluate("() => !!document.activeElement.closest('.topbar')")
        if not in_topbar:
            continue
        ratio = contrast(focused["outlineColor"], topbar_background)
        if ratio < 3:
            weak.append(f"{focused['tag']} {focused['text']!r}: outline {focused['outlineColor']} "
                        f"on {topbar_background} = {ratio:.2f}:1")
    screenshot(page, f"topbar-focus-{color_scheme}-desktop")
    assert not weak, "focus outline too faint on the top bar:\n" + "\n".join(weak)
