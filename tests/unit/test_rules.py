"""Small rules: daily hours, ages, e-mail checks, passwords, settings, messages, redirects."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from leokop.accounts.routes import _safe_next
from leokop.accounts.service import check_email, check_new_password
from leokop.contracts.service import age_on, parse_daily_hours
from leokop.errors import ValidationFailed
from leokop.messages import MESSAGES, message
from leokop.settings import ensure_secret_key, load_settings, problems


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("8", 480), ("8:00", 480), ("7:48", 468), ("7,5", 450), ("7.5", 450), ("7,75", 465), (" 6 h ", 360), ("10", 600), ("1", 60)],
)
def test_daily_hours_are_read_like_people_write_them(text, minutes):
    assert parse_daily_hours(text) == minutes


@pytest.mark.parametrize("text", ["", "abc", "0", "0:30", "11", "10:01", "7:60", "-8", "8:00:00"])
def test_impossible_daily_hours_are_refused(text):
    with pytest.raises(ValidationFailed) as failure:
        parse_daily_hours(text)
    assert failure.value.errors == {"daily_hours": "daily_hours_range"}


def test_age_counts_birthdays_exactly():
    assert age_on(dt.date(2008, 11, 25), dt.date(2026, 11, 24)) == 17
    assert age_on(dt.date(2008, 11, 24), dt.date(2026, 11, 24)) == 18
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17


def test_email_is_checked_and_normalised():
    assert check_email("  Anna.Schmidt@Example.ORG ") == "anna.schmidt@example.org"
    for bad in ("anna", "anna@", "@example.org", "anna schmidt@example.org"):
        with pytest.raises(ValidationFailed):
            check_email(bad)


def test_password_rules():
    check_new_password("lang-genug-123", "lang-genug-123")
    with pytest.raises(ValidationFailed) as short:
        check_new_password("kurz", "kurz")
    assert short.value.errors == {"new_password": "password_too_short"}
    with pytest.raises(ValidationFailed) as same:
        check_new_password("anna@example.org", "anna@example.org", email="anna@example.org")
    assert same.value.errors == {"new_password": "password_same_as_email"}
    with pytest.raises(ValidationFailed) as mismatch:
        check_new_password("lang-genug-123", "lang-genug-124")
    assert mismatch.value.errors == {"new_password_repeat": "password_mismatch"}


def test_settings_come_from_leokop_variables():
    settings = load_settings({"LEOKOP_PORT": "9000", "LEOKOP_HOST": "0.0.0.0", "LEOKOP_SMTP_STARTTLS": "false"})
    assert settings.port == 9000 and settings.host == "0.0.0.0" and settings.smtp_starttls is False
    assert settings.effective_base_url == "http://0.0.0.0:9000"
    assert not settings.uses_postgres
    assert load_settings({"LEOKOP_DATABASE_URL": "postgresql://u@h/db"}).uses_postgres


def test_bad_settings_name_the_variable():
    with pytest.raises(msgspec.ValidationError) as error:
        load_settings({"LEOKOP_PORT": "neunzig"})
    assert "LEOKOP_PORT" in str(error.value)
    with pytest.raises(msgspec.ValidationError):
        load_settings({"LEOKOP_PORT": "70000"})


def test_https_base_url_means_secure_cookies():
    assert load_settings({"LEOKOP_BASE_URL": "https://leokop.example"}).secure_cookies
    assert not load_settings({}).secure_cookies


def test_secret_key_is_generated_once_and_kept(tmp_path):
    settings = load_settings({"LEOKOP_VAR_DIR": str(tmp_path)})
    first = ensure_secret_key(settings).secret_key
    assert len(first) >= 48
    assert ensure_secret_key(settings).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_check_reports_problems_in_german():
    found = problems(load_settings({"LEOKOP_DATABASE_URL": "mysql://x", "LEOKOP_SECRET_KEY": "kurz"}))
    assert any("LEOKOP_DATABASE_URL" in line for line in found)
    assert any("kürzer als 32 Zeichen" in line for line in found)
    assert any("Kein LEOKOP_SMTP_HOST" in line for line in found)


def test_messages_fill_in_their_parameters_and_never_show_a_code():
    assert message("too_long", max_length=5) == "Höchstens 5 Zeichen."
    assert message("gibt_es_nicht") == MESSAGES["invalid"]
    assert message("login_locked") == MESSAGES["login_locked"]  # missing parameter: text as is


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/contracts", "/contracts"), ("//evil.example", "/"), ("https://evil.example", "/"), ("/\\evil", "/"), (None, "/"), ("", "/")],
)
def test_login_only_redirects_within_the_site(target, expected):
    assert _safe_next(target) == expected
