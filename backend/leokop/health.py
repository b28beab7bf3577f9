"""The /healthz route for load balancers: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import logging

from litestar import Request, Response, get
from piccolo.querystring import QueryString

from leokop.policy import PUBLIC

log = logging.getLogger("leokop.health")


@get("/healthz", opt={"action": PUBLIC}, include_in_schema=False)
async def healthz(request: Request) -> Response:
    # Runs outside the per-request transaction (see NO_DATABASE_PREFIXES), so a dead database
    # shows up here as 503 rather than failing before the handler.
    try:
        await request.app.state.engine.run_querystring(QueryString("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        log.warning("database not reachable: %s", type(error).__name__)
        return Response({"status": "unavailable", "database": False}, status_code=503)
    return Response({"status": "ok", "database": True})
