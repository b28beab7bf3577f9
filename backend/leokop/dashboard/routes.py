"""Routes of the dashboard: "/" shows the signed-in role's start page."""

from __future__ import annotations

from litestar import Request, Response, get

from leokop.contracts import service as contracts
from leokop.web.pages import render


@get("/", opt={"action": "start.view"}, include_in_schema=False)
async def start_page(request: Request) -> Response:
    user = request.scope["user"]
    return render(
        request,
        "dashboard/start.html",
        contracts=await contracts.list_contracts(user),
        welcome=request.query_params.get("willkommen") == "1",
    )


ROUTES = [start_page]
