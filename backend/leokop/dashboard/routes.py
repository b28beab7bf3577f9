"""Routes of the dashboard: "/" shows the signed-in role's start page."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.response import Redirect

from leokop.accounts.schemas import Role
from leokop.contracts import service as contracts
from leokop.logbook import service as logbook
from leokop.signing import service as signing
from leokop.web.pages import render


@get("/", opt={"action": "start.view"}, include_in_schema=False)
async def start_page(request: Request) -> Response:
    user = request.scope["user"]
    if user.role is Role.apprentice and request.query_params.get("willkommen") != "1":
        # An apprentice's start is the current week: log the day without a single extra tap.
        contract_id = await logbook.current_contract_id(user)
        if contract_id is not None:
            return Redirect("/log", status_code=303)
    return render(
        request,
        "dashboard/start.html",
        contracts=await contracts.list_contracts(user),
        inbox=await signing.inbox(user) if user.role in (Role.trainer, Role.instructor, Role.company_admin) else None,
        welcome=request.query_params.get("willkommen") == "1",
    )


ROUTES = [start_page]
