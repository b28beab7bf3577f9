"""Several worker processes share sessions and the login throttle through the database."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

from leokop.demo import DEMO_PASSWORD
from tests.helpers import CSRF_COOKIE, TRAINER
from tests.live_server import live_leokop

WORKERS = 2
ATTEMPTS = 5


def _browser():
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return jar, urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def _login(base_url: str, password: str) -> int:
    """One sign-in on a new connection (so uvicorn may hand it to either worker); returns the status."""
    jar, opener = _browser()
    opener.open(f"{base_url}/login", timeout=10).read()
    token = next(c.value for c in jar if c.name == CSRF_COOKIE)
    body = urllib.parse.urlencode({"email": TRAINER, "password": password, "_csrf_token": token}).encode()
    try:
        return opener.open(f"{base_url}/login", data=body, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


def test_login_throttle_holds_across_worker_processes():
    # Five failures spread over two workers: a per-process counter would have at most four in one
    # worker and let the right password in; the shared one refuses it.
    with live_leokop(workers=WORKERS) as base_url:
        assert [_login(base_url, "falsch-falsch") for _ in range(ATTEMPTS)] == [422] * ATTEMPTS
        assert _login(base_url, DEMO_PASSWORD) == 422
