"""Routes of notifications: the in-app notification list, and the outbox page where admins see queued
e-mails (the embedded mode's mail)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from leokop.accounts.schemas import Role
from leokop.notifications import service
from leokop.web.pages import redirect, render


@get("/outbox", opt={"action": "outbox.view"}, include_in_schema=False)
async def outbox_page(request: Request) -> Response:
    user = request.scope["user"]
    mails = await service.outbox_for(
        company_id=user.company_id, school_id=user.school_id, everything=user.role is Role.admin
    )
    return render(request, "notifications/outbox.html", mails=mails, smtp=bool(request.app.state.settings.smtp_host))


@get("/notifications", opt={"action": "notifications.view"}, include_in_schema=False)
async def notifications_page(request: Request) -> Response:
    return render(request, "notifications/list.html", items=await service.recent(request.scope["user"].id))


@post("/notifications/read", opt={"action": "notifications.view"}, include_in_schema=False)
async def mark_all_read(request: Request) -> Response:
    await service.mark_read(request.scope["user"].id)
    return redirect(request, "/notifications")


@post("/notifications/{notification_id:int}/open", opt={"action": "notifications.view"}, include_in_schema=False)
async def open_notification(request: Request, notification_id: FromPath[int]) -> Response:
    """Mark it read and go where it points (only ever a path of this site: the URL was set by us)."""
    user = request.scope["user"]
    items = {item["id"]: item for item in await service.recent(user.id)}
    await service.mark_read(user.id, notification_id)
    target = items.get(notification_id, {}).get("url", "/notifications")
    return redirect(request, target if target.startswith("/") and not target.startswith("//") else "/notifications")


ROUTES = [outbox_page, notifications_page, mark_all_read, open_notification]
