"""Routes of notifications: the outbox page where admins see queued e-mails (the embedded mode's mail)."""

from __future__ import annotations

from litestar import Request, Response, get

from leokop.accounts.schemas import Role
from leokop.notifications import service
from leokop.web.pages import render


@get("/outbox", opt={"action": "outbox.view"}, include_in_schema=False)
async def outbox_page(request: Request) -> Response:
    user = request.scope["user"]
    mails = await service.outbox_for(
        company_id=user.company_id, school_id=user.school_id, everything=user.role is Role.admin
    )
    return render(request, "notifications/outbox.html", mails=mails, smtp=bool(request.app.state.settings.smtp_host))


ROUTES = [outbox_page]
