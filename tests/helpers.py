"""Helpers that act like a browser: sign in, send forms with the CSRF token, read German messages."""

from __future__ import annotations

import re

from leokop.demo import DEMO_PASSWORD

CSRF_COOKIE = "leokop_csrf"
SESSION_COOKIE = "leokop_session"

ADMIN = "admin@leokop.example"
SMALL_TRAINER = "jonas.becker@elektro-becker.example"
SMALL_APPRENTICE = "lena.wolf@elektro-becker.example"
GUARDIAN = "andrea.wolf@mail.example"
COMPANY_ADMIN = "sabine.hoffmann@rmm.example"
TRAINER = "markus.weber@rmm.example"
TRAINER_2 = "aylin.demir@rmm.example"
INSTRUCTOR = "tobias.klein@rmm.example"
APPRENTICE = "finn.schneider@rmm.example"
APPRENTICE_2 = "mia.yilmaz@rmm.example"
SCHOOL_ADMIN = "petra.lange@bs-main.example"
TEACHER = "thomas.berg@bs-main.example"

DEMO_USERS_BY_ROLE = {
    "admin": ADMIN,
    "company_admin": COMPANY_ADMIN,
    "trainer": TRAINER,
    "instructor": INSTRUCTOR,
    "apprentice": APPRENTICE,
    "guardian": GUARDIAN,
    "school_admin": SCHOOL_ADMIN,
    "teacher": TEACHER,
}


def csrf_token(client) -> str:
    if CSRF_COOKIE not in client.cookies:
        client.get("/login")
    return client.cookies[CSRF_COOKIE]


def post(client, url: str, data: dict | None = None, *, htmx: bool = False, **kwargs):
    """POST a form as the browser does: with the CSRF token from the cookie."""
    form = dict(data or {})
    form.setdefault("_csrf_token", csrf_token(client))
    headers = kwargs.pop("headers", {})
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(url, data=form, headers=headers, follow_redirects=False, **kwargs)


def login(client, email: str, password: str = DEMO_PASSWORD):
    response = post(client, "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


def logout(client) -> None:
    post(client, "/logout")
    client.cookies.clear()


def use_session(client, token: str) -> None:
    """Present exactly this session token, as a browser holding (a copy of) that cookie would."""
    for cookie in list(client.cookies.jar):
        if cookie.name == SESSION_COOKIE:
            client.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)
    # Same domain and path as the server's Set-Cookie, so that a later one replaces it.
    client.cookies.set(SESSION_COOKIE, token, domain=client.base_url.host, path="/")


def sign_in_elsewhere(client, email: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in as from a second device and return that device's session token; this client keeps
    its own session (one TestClient per app: a second one would start a second lifespan)."""
    own = client.cookies.get(SESSION_COOKIE)
    client.cookies.clear()
    login(client, email, password)
    other = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    if own:
        use_session(client, own)
    return other


def session_alive(client, token: str) -> bool:
    """Whether a page opens with this session token (restores the client's own session after)."""
    own = client.cookies.get(SESSION_COOKIE)
    use_session(client, token)
    alive = client.get("/account", follow_redirects=False).status_code == 200
    client.cookies.clear()
    if own:
        use_session(client, own)
    return alive


def field_error(html: str, field: str) -> str | None:
    """The German message shown next to a field, if any."""
    match = re.search(rf'id="f-{re.escape(field)}-error">([^<]*)<', html)
    return match.group(1) if match else None


def input_value(html: str, field: str) -> str | None:
    match = re.search(rf'id="f-{re.escape(field)}" name="{re.escape(field)}" type="[a-z]+" value="([^"]*)"', html)
    return match.group(1) if match else None
