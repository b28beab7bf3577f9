"""Cross-cutting web behaviour: security headers, htmx fragments, error pages, health, JSON API."""

from __future__ import annotations

import re

from litestar import Litestar, get
from litestar.testing import TestClient

from leokop.policy import PUBLIC
from leokop.web.errors import EXCEPTION_HANDLERS
from leokop.demo import DEMO_PASSWORD
from leokop.web.middleware import unmask_csrf_token
from tests.helpers import APPRENTICE, DEMO_USERS_BY_ROLE, SMALL_TRAINER, TRAINER, login, logout, post


def test_security_headers_on_pages_errors_and_static_files(client):
    for response in (client.get("/login"), client.get("/gibt-es-nicht"), client.get("/static/css/app.css")):
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert len(headers["x-request-id"]) >= 8
    assert client.get("/static/css/app.css").headers["cache-control"].startswith("public")


def test_personal_pages_are_never_cached_and_vary_on_htmx(client):
    login(client, TRAINER)
    page = client.get("/contracts")
    assert page.headers["cache-control"] == "no-store"
    assert "HX-Request" in page.headers["vary"]


def test_htmx_gets_the_fragment_and_a_browser_the_whole_page(client):
    login(client, TRAINER)
    full = client.get("/contracts")
    fragment = client.get("/contracts", headers={"HX-Request": "true"})
    assert full.text.startswith("<!doctype html>")
    assert "<html" not in fragment.text and "Ausbildungsverträge" in fragment.text
    boosted = client.get("/contracts", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.text.startswith("<!doctype html>")


def test_unknown_pages_get_a_german_404_in_the_layout(client):
    login(client, TRAINER)
    for url in ("/gibt-es-nicht", "/contracts/kein-vertrag"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Seite nicht gefunden" in response.text and 'lang="de"' in response.text
        assert f"<code>{response.headers['x-request-id']}</code>" in response.text
    assert "Markus Weber" in client.get("/gibt-es-nicht").text  # still shown as signed in


def test_a_crash_is_a_german_page_without_a_stack_trace():
    @get("/kaputt", opt={"action": PUBLIC})
    async def broken() -> str:
        raise RuntimeError("geheimes Detail aus dem Inneren")

    with TestClient(Litestar([broken], exception_handlers=EXCEPTION_HANDLERS)) as client:
        response = client.get("/kaputt")
    assert response.status_code == 500
    assert "Ein Fehler ist aufgetreten" in response.text
    assert "Traceback" not in response.text and "geheimes Detail" not in response.text


def test_health_endpoint_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True}


def test_api_me_with_session_and_with_a_personal_token(client):
    login(client, APPRENTICE)
    me = client.get("/api/v1/me").json()
    assert me["email"] == APPRENTICE and me["role"] == "apprentice"
    assert me["company"]["name"] == "Rhein-Main Maschinenbau AG" and me["school"] is None

    created = post(client, "/account/tokens", {"name": "Landesportal"})
    token = created.text.split('id="new-token" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert token.startswith("lk_")
    assert "Landesportal" in client.get("/account").text and token not in client.get("/account").text

    client.cookies.clear()
    by_token = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert by_token.status_code == 200 and by_token.json()["email"] == APPRENTICE
    assert by_token.headers["cache-control"] == "no-store"
    wrong = client.get("/api/v1/me", headers={"Authorization": "Bearer lk_falsch"})
    assert wrong.status_code == 401 and wrong.headers["content-type"].startswith("application/problem+json")
    assert wrong.json()["title"] == "Bitte melden Sie sich an"

    login(client, APPRENTICE)
    token_id = client.get("/account").text.split('action="/account/tokens/', 1)[1].split("/", 1)[0]
    assert post(client, f"/account/tokens/{token_id}/revoke").status_code == 303
    client.cookies.clear()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_openapi_schema_documents_the_api_only(client):
    schema = client.get("/schema/openapi.json").json()
    assert "/api/v1/me" in schema["paths"]
    assert not any(not path.startswith("/api/") for path in schema["paths"])
    assert "token" in schema["components"]["securitySchemes"]


def test_manifest_is_served(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["lang"] == "de"


def test_responses_are_compressed_and_the_csrf_token_in_pages_is_masked_afresh(client):
    """Brotli (gzip as fallback) on pages and shell files. Pages carry the CSRF token; against BREACH
    it is masked with a new pad in every response, and the masked form is accepted."""
    css = client.get("/static/css/app.css", headers={"Accept-Encoding": "br, gzip"})
    assert css.headers["content-encoding"] == "br" and "Accept-Encoding" in css.headers["vary"]
    raw = client.get("/static/css/app.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.content == css.content  # decoded by the client
    assert client.get("/sw.js", headers={"Accept-Encoding": "gzip"}).headers["content-encoding"] == "gzip"

    pages = [client.get("/login", headers={"Accept-Encoding": "br"}) for _ in range(2)]
    assert all(page.headers["content-encoding"] == "br" for page in pages)
    tokens = [re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1) for page in pages]
    cookie = client.cookies["leokop_csrf"]
    assert tokens[0] != tokens[1] and cookie not in pages[0].text and cookie not in pages[1].text
    assert unmask_csrf_token(tokens[0]) == unmask_csrf_token(tokens[1]) == cookie

    def sign_in(token: str) -> int:
        form = {"email": APPRENTICE, "password": DEMO_PASSWORD, "_csrf_token": token}
        return client.post("/login", data=form, follow_redirects=False).status_code

    middle = len(tokens[0]) // 2
    flipped = tokens[0][:middle] + ("A" if tokens[0][middle] != "A" else "B") + tokens[0][middle + 1 :]
    assert sign_in(flipped) == 403
    # The padding replaced by a character decodes to one byte more: not a token we wrote, refused
    # (the XOR would otherwise still give the right token for the first 64 bytes).
    assert tokens[0].endswith("=") and sign_in(tokens[0][:-1] + "A") == 403
    assert sign_in(tokens[0]) == 303

    client.cookies.clear()
    client.cookies.set("leokop_csrf", "kein-hex")  # altered by hand: a page, not a crash
    assert client.get("/login").status_code == 200


def test_every_link_of_every_navigation_opens_a_page(client):
    """No role is offered a page it may not open (a trainer of a firm with a company admin sees no
    "Postausgang"; the trainer of a small firm sees the firm's pages)."""
    seen = {}
    for email in [*DEMO_USERS_BY_ROLE.values(), SMALL_TRAINER]:
        login(client, email)
        nav = re.search(r'<nav class="mainnav".*?</nav>', client.get("/").text, re.S).group(0)
        links = re.findall(r'<a href="([^"]+)"', nav)
        seen[email] = links
        for link in links:
            assert client.get(link).status_code == 200, (email, link)
        logout(client)
    assert "/outbox" not in seen[TRAINER] and "/company" not in seen[TRAINER]
    assert "/outbox" in seen[SMALL_TRAINER] and "/company" in seen[SMALL_TRAINER]
