"""Routes of notifications: the in-app notification list, push devices and preferences (pages and
/api/v1/push), and the outbox page where admins see queued e-mails (the embedded mode's mail)."""

from __future__ import annotations

from litestar import Request, Response, delete, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from leokop.accounts.schemas import Role
from leokop.errors import ValidationFailed
from leokop.notifications import service
from leokop.notifications.schemas import DeviceView, PushKeyOut, PushSettingsForm, PushSubscriptionIn, PushSubscriptionOut
from leokop.web.forms import errors_from, parse_form
from leokop.web.pages import redirect, render

TAGS = ["Benachrichtigungen"]


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


# --- push: devices and preferences -----------------------------------------------------------------


@get("/notifications/devices", opt={"action": "push.manage"}, include_in_schema=False)
async def devices_page(request: Request) -> Response:
    return render(
        request,
        "notifications/devices.html",
        devices=await service.devices_of(request.scope["user"].id),
        removed=request.query_params.get("entfernt") == "1",
    )


@post("/notifications/devices/{subscription_id:int}/delete", opt={"action": "push.manage"}, include_in_schema=False)
async def remove_device(request: Request, subscription_id: FromPath[int]) -> Response:
    await service.delete_subscription(request.scope["user"].id, subscription_id)
    return redirect(request, "/notifications/devices?entfernt=1")


def _settings_page(request: Request, values: dict, errors: dict | None = None, status_code: int = 200, saved: bool = False) -> Response:
    return render(
        request,
        "notifications/settings.html",
        status_code=status_code,
        kinds=service.push_kinds_for(request.scope["user"].role),
        values=values,
        errors=errors or {},
        saved=saved,
    )


@get("/notifications/settings", opt={"action": "push.manage"}, include_in_schema=False)
async def settings_page(request: Request) -> Response:
    user = request.scope["user"]
    preferences = await service.push_preferences(user.id)
    values = {
        "enabled": [kind for kind in service.push_kinds_for(user.role) if kind not in preferences.muted_kinds],
        "quiet_from": preferences.quiet_from,
        "quiet_until": preferences.quiet_until,
        "weekend_quiet": preferences.weekend_quiet,
    }
    return _settings_page(request, values, saved=request.query_params.get("gespeichert") == "1")


@post("/notifications/settings", opt={"action": "push.manage"}, include_in_schema=False)
async def save_settings(request: Request) -> Response:
    user = request.scope["user"]
    parsed = parse_form(PushSettingsForm, await request.form())
    if not parsed.ok:
        return _settings_page(request, parsed.values, parsed.errors, status_code=422)
    try:
        await service.save_push_preferences(user.id, user.role, parsed.data)
    except ValidationFailed as failure:
        return _settings_page(request, parsed.values, errors_from(failure), status_code=422)
    return redirect(request, "/notifications/settings?gespeichert=1")


@get("/api/v1/push/key", opt={"action": "push.manage"}, tags=TAGS, summary="Öffentlicher Schlüssel für Web-Push (VAPID)")
async def api_push_key(request: Request) -> PushKeyOut:
    """The applicationServerKey to pass to pushManager.subscribe()."""
    return PushKeyOut(public_key=request.app.state.push_sender.public_key)


@get("/api/v1/push/subscriptions", opt={"action": "push.manage"}, tags=TAGS, summary="Eigene Geräte für Web-Push")
async def api_devices(request: Request) -> list[DeviceView]:
    return await service.devices_of(request.scope["user"].id)


@post("/api/v1/push/subscriptions", opt={"action": "push.manage"}, tags=TAGS, summary="Gerät für Web-Push anmelden", status_code=201)
async def api_subscribe(request: Request, data: JSONBody[PushSubscriptionIn]) -> PushSubscriptionOut:
    """Send PushSubscription.toJSON() of the browser; the same endpoint again updates that device."""
    user = request.scope["user"]
    label = data.label.strip() or service.device_label(request.headers.get("user-agent", ""))
    try:
        subscription_id, created = await service.save_subscription(
            user.id, data.endpoint, data.keys.p256dh, data.keys.auth, label, request.app.state.settings
        )
    except ValidationFailed as failure:
        errors = errors_from(failure)
        raise HTTPException(status_code=422, detail=next(iter(errors.values())), extra={"errors": errors}) from None
    return PushSubscriptionOut(id=subscription_id, created=created)


@delete("/api/v1/push/subscriptions/{subscription_id:int}", opt={"action": "push.manage"}, tags=TAGS, summary="Gerät abmelden", status_code=204)
async def api_unsubscribe(request: Request, subscription_id: FromPath[int]) -> None:
    await service.delete_subscription(request.scope["user"].id, subscription_id)


ROUTES = [
    outbox_page,
    notifications_page,
    mark_all_read,
    open_notification,
    devices_page,
    remove_device,
    settings_page,
    save_settings,
    api_push_key,
    api_devices,
    api_subscribe,
    api_unsubscribe,
]
