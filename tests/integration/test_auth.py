"""Sign-in, sessions, CSRF, throttling, password change and reset over HTTP, as a browser does it."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar.testing import TestClient

from leokop.app import create_app
from leokop.db import bind_tables
from leokop.settings import load_settings

from leokop.accounts.service import token_hash
from leokop.accounts.tables import LoginThrottle, PasswordReset, User, UserSession
from leokop.demo import DEMO_PASSWORD
from leokop.notifications.tables import MailMessage
from tests.helpers import (
    APPRENTICE,
    SESSION_COOKIE,
    TRAINER,
    csrf_token,
    field_error,
    input_value,
    login,
    post,
    session_alive,
    sign_in_elsewhere,
    use_session,
)


def test_login_with_right_password_opens_a_session_with_safe_cookie(client):
    response = login(client, TRAINER)
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain local http; Secure is tested with an https base URL below
    assert client.get("/").status_code == 200


def test_wrong_password_and_unknown_email_look_the_same(client):
    wrong = post(client, "/login", {"email": TRAINER, "password": "falsch-falsch"})
    unknown = post(client, "/login", {"email": "niemand@example.org", "password": "falsch-falsch"})
    assert wrong.status_code == unknown.status_code == 422
    assert field_error(wrong.text, "email") == field_error(unknown.text, "email") == "E-Mail-Adresse oder Passwort ist falsch."
    # The typed e-mail is kept, the password never echoed back.
    assert input_value(wrong.text, "email") == TRAINER
    assert "falsch-falsch" not in wrong.text


def test_empty_login_form_says_what_is_missing(client):
    response = post(client, "/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert field_error(response.text, "email") == "Bitte ausfüllen."
    assert field_error(response.text, "password") == "Bitte ausfüllen."


def test_session_id_is_rotated_at_login(client):
    login(client, TRAINER)
    first = client.cookies[SESSION_COOKIE]
    login(client, APPRENTICE)  # signing in again, even as someone else, must not reuse the id
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    use_session(client, first)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_logout_revokes_the_session_on_the_server(client, run):
    login(client, TRAINER)
    token = client.cookies[SESSION_COOKIE]
    post(client, "/logout")
    assert run(UserSession.count().where(UserSession.token_hash == token_hash(token))) == 0
    use_session(client, token)  # a stolen copy of the cookie is worthless now
    assert client.get("/", follow_redirects=False).status_code == 303


def test_idle_and_absolute_timeouts_end_a_session(client, run):
    login(client, TRAINER)
    token_digest = token_hash(client.cookies[SESSION_COOKIE])
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=8)
    run(UserSession.update({UserSession.last_seen_at: long_ago}).where(UserSession.token_hash == token_digest))
    assert client.get("/", follow_redirects=False).status_code == 303
    assert run(UserSession.count().where(UserSession.token_hash == token_digest)) == 0

    login(client, TRAINER)
    token_digest = token_hash(client.cookies[SESSION_COOKIE])
    very_long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=31)
    run(UserSession.update({UserSession.created_at: very_long_ago}).where(UserSession.token_hash == token_digest))
    assert client.get("/", follow_redirects=False).status_code == 303


def test_pages_need_a_session_and_remember_where_to_go(client):
    response = client.get("/contracts", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/contracts"
    response = post(client, "/login", {"email": TRAINER, "password": DEMO_PASSWORD, "next": "/contracts"})
    assert response.headers["location"] == "/contracts"


def test_login_never_redirects_to_another_site(client):
    response = post(client, "/login", {"email": TRAINER, "password": DEMO_PASSWORD, "next": "//evil.example/"})
    assert response.headers["location"] == "/"


def test_state_change_without_csrf_token_is_refused_in_german(client):
    csrf_token(client)
    response = client.post("/login", data={"email": TRAINER, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert "Sicherheitsprüfung fehlgeschlagen" in response.text
    forged = client.post(
        "/login", data={"email": TRAINER, "password": DEMO_PASSWORD, "_csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403


def test_htmx_requests_send_the_token_as_header(client):
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": TRAINER, "password": DEMO_PASSWORD},
        headers={"HX-Request": "true", "X-CSRFToken": token},
        follow_redirects=False,
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/"


def test_throttling_locks_after_five_failures_even_for_the_right_password(client, run):
    for _ in range(5):
        assert post(client, "/login", {"email": TRAINER, "password": "falsch-falsch"}).status_code == 422
    locked = post(client, "/login", {"email": TRAINER, "password": DEMO_PASSWORD})
    assert locked.status_code == 422
    assert "Zu viele Fehlversuche" in field_error(locked.text, "email")
    # The lock lives in the database, where every worker process sees it (tests/integration/test_workers.py).
    assert run(LoginThrottle.count().where(LoginThrottle.locked_until.is_not_null())) == 1


def test_throttle_counts_unknown_addresses_too_and_resets_on_success(client, run):
    for _ in range(3):
        post(client, "/login", {"email": TRAINER, "password": "falsch-falsch"})
    login(client, TRAINER)
    rows = run(LoginThrottle.select(LoginThrottle.key, LoginThrottle.failures).where(LoginThrottle.key.like("e:%")))
    assert rows == []  # success forgets the e-mail's failures
    for _ in range(5):
        post(client, "/login", {"email": "unbekannt@example.org", "password": "x" * 12})
    locked = post(client, "/login", {"email": "unbekannt@example.org", "password": "x" * 12})
    assert "Zu viele Fehlversuche" in field_error(locked.text, "email")


def test_password_change_revokes_other_sessions_and_keeps_this_one(client, run):
    login(client, TRAINER)
    other_device = sign_in_elsewhere(client, TRAINER)
    assert session_alive(client, other_device)
    response = post(
        client,
        "/account/password",
        {"current_password": DEMO_PASSWORD, "new_password": "ein-ganz-neues-passwort", "new_password_repeat": "ein-ganz-neues-passwort"},
    )
    assert response.status_code == 303
    assert client.get("/account").status_code == 200
    assert not session_alive(client, other_device)
    trainer_id = run(User.select(User.id).where(User.email == TRAINER).first)["id"]
    assert run(UserSession.count().where(UserSession.user == trainer_id)) == 1
    post(client, "/logout")
    login(client, TRAINER, "ein-ganz-neues-passwort")


def test_password_change_errors_are_german_and_next_to_the_field(client):
    login(client, TRAINER)
    wrong = post(client, "/account/password", {"current_password": "nope", "new_password": "ein-ganz-neues-passwort", "new_password_repeat": "ein-ganz-neues-passwort"})
    assert wrong.status_code == 422
    assert field_error(wrong.text, "current_password") == "Das aktuelle Passwort ist falsch."
    short = post(client, "/account/password", {"current_password": DEMO_PASSWORD, "new_password": "kurz", "new_password_repeat": "kurz"})
    assert field_error(short.text, "new_password") == "Das Passwort braucht mindestens 10 Zeichen."
    mismatch = post(client, "/account/password", {"current_password": DEMO_PASSWORD, "new_password": "ein-ganz-neues-passwort", "new_password_repeat": "ein-anderes-passwort"})
    assert field_error(mismatch.text, "new_password_repeat") == "Die beiden Passwörter stimmen nicht überein."


def _reset_link(run, email: str) -> str:
    mail = run(MailMessage.select(MailMessage.body).where(MailMessage.recipient == email).order_by(MailMessage.id, ascending=False).first)
    line = next(line for line in mail["body"].splitlines() if "/password-reset/" in line)
    return line.strip().split("127.0.0.1:8000", 1)[-1] if "127.0.0.1:8000" in line else "/password-reset/" + line.rsplit("/", 1)[-1]


def test_password_reset_by_mail_link(client, run):
    logged_in_elsewhere = sign_in_elsewhere(client, TRAINER)
    unknown = post(client, "/password-reset", {"email": "niemand@example.org"})
    known = post(client, "/password-reset", {"email": TRAINER})
    assert unknown.status_code == known.status_code == 200
    assert "Wenn es zu dieser Adresse ein Konto gibt" in unknown.text and "Wenn es zu dieser Adresse ein Konto gibt" in known.text
    assert run(MailMessage.count().where(MailMessage.recipient == "niemand@example.org")) == 0
    link = _reset_link(run, TRAINER)
    assert client.get(link).status_code == 200
    bad = post(client, link, {"new_password": "kurz", "new_password_repeat": "kurz"})
    assert field_error(bad.text, "new_password") == "Das Passwort braucht mindestens 10 Zeichen."
    done = post(client, link, {"new_password": "neues-passwort-123", "new_password_repeat": "neues-passwort-123"})
    assert done.status_code == 303
    assert not session_alive(client, logged_in_elsewhere)  # every session of the account ends
    login(client, TRAINER, "neues-passwort-123")
    reused = client.get(link)
    assert reused.status_code == 410
    assert "ungültig oder wurde bereits benutzt" in reused.text


def test_expired_reset_link_is_refused(client, run):
    post(client, "/password-reset", {"email": TRAINER})
    link = _reset_link(run, TRAINER)
    run(PasswordReset.update({PasswordReset.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)}, force=True))
    response = post(client, link, {"new_password": "neues-passwort-123", "new_password_repeat": "neues-passwort-123"})
    assert response.status_code == 410
    assert "abgelaufen" in response.text


def test_secure_cookies_and_hsts_behind_https(app):
    settings = msgspec.structs.replace(load_settings(), base_url="https://leokop.example")
    shared_engine = User._meta.db
    try:
        with TestClient(create_app(settings), base_url="https://leokop.example") as client:
            page = client.get("/login")
            assert "Secure" in page.headers["set-cookie"]
            assert "__Host-leokop_session" not in page.headers["set-cookie"]  # no session before login
            assert page.headers["strict-transport-security"].startswith("max-age=")
    finally:
        # Piccolo binds tables process-wide: give them back to the shared test app's engine.
        bind_tables(shared_engine)
