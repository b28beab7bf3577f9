"""The installable app's own routes: the service worker at the root scope (/sw.js, with the list of
files it precaches and a cache version that is the hash of those files) and the offline page."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from litestar import Response, get

from leokop.policy import PUBLIC
from leokop.web.pages import ENVIRONMENT, PWA_DIR, STATIC_DIR, static_url

OFFLINE_URL = "/offline"
# The shell: what a page needs to render without a network (the offline page uses the same files).
SHELL_STATIC = ("css/app.css", "vendor/htmx.min.js", "js/app.js", "js/log.js", "js/outbox.js", "js/pwa.js")
SHELL_PWA = ("icon.svg", "icons/favicon-32.png", "icons/icon-192.png", "icons/badge-96.png")
OUTBOX_SCRIPT = "js/outbox.js"


def offline_page() -> bytes:
    """The same bytes for everyone: rendered without a user, so no name or data can ever get into
    the cache (the service worker fetches it without cookies as well)."""
    template = ENVIRONMENT.get_template("pwa/offline.html")
    context = {"user": None, "nav": [], "path": OFFLINE_URL, "csrf_token": "", "errors": {}, "values": {}}
    return template.render(context).encode()


@lru_cache(maxsize=1)
def service_worker() -> bytes:
    """pwa/sw.js behind its settings. Any change to a precached file changes the version and thereby
    the worker's bytes, which is what makes browsers install the new one."""
    source = (PWA_DIR / "sw.js").read_bytes()
    precache = [static_url(name) for name in SHELL_STATIC] + [f"/pwa/{name}" for name in SHELL_PWA] + [OFFLINE_URL]
    digest = hashlib.sha256(source)
    for name in SHELL_STATIC:
        digest.update((STATIC_DIR / name).read_bytes())
    for name in SHELL_PWA:
        digest.update((PWA_DIR / name).read_bytes())
    digest.update(offline_page())
    config = {
        "version": digest.hexdigest()[:16],
        "precache": precache,
        "offline": OFFLINE_URL,
        "outbox": static_url(OUTBOX_SCRIPT),
    }
    return b"self.LEOKOP_SW = " + json.dumps(config).encode() + b";\n" + source


@get("/sw.js", opt={"action": PUBLIC}, include_in_schema=False)
async def service_worker_script() -> Response:
    # Browsers look for a new worker on navigations; no-cache makes them ask us every time.
    return Response(service_worker(), media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@get(OFFLINE_URL, opt={"action": PUBLIC}, include_in_schema=False)
async def offline() -> Response:
    return Response(offline_page(), media_type="text/html", headers={"Cache-Control": "no-cache"})


ROUTES = [service_worker_script, offline]
