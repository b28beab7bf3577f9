"""Routes of accounts: sign-in and -out, password change and reset, invitations, people, API tokens, /api/v1/me."""

from __future__ import annotations

from typing import Any

from litestar.params import FromPath, FromQuery
from litestar import Request, Response, get, post
from litestar.response import Redirect

from leokop.accounts import service
from leokop.accounts.schemas import (
    AcceptInvitationForm,
    ApiTokenForm,
    CurrentUser,
    InvitationForm,
    LoginForm,
    MeOut,
    OrganisationOut,
    PasswordChangeForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    PhoneForm,
)
from leokop.errors import ValidationFailed
from leokop.notifications.service import forget_device_at_logout
from leokop.policy import PUBLIC
from leokop.settings import Settings
from leokop.web.guards import user_may
from leokop.web.forms import errors_from, parse_form, submit_form
from leokop.web.middleware import client_address, session_cookie_name
from leokop.web.pages import redirect, render


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _user(request: Request) -> CurrentUser:
    return request.scope["user"]


def _with_session(request: Request, response: Response, token: str) -> Response:
    settings = _settings(request)
    response.set_cookie(
        key=session_cookie_name(settings),
        value=token,
        max_age=settings.session_max_days * 86400,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    return response


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never //host or a scheme (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def _old_session_token(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name(_settings(request)))


# --- sign-in ----------------------------------------------------------------------------------


@get("/login", opt={"action": PUBLIC}, include_in_schema=False)
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Response:
    if request.scope.get("user"):
        return Redirect(_safe_next(next), status_code=303)
    return render(
        request,
        "accounts/login.html",
        next=_safe_next(next),
        logged_out=request.query_params.get("abgemeldet") == "1",
        new_password=request.query_params.get("passwort") == "neu",
    )


@post("/login", opt={"action": PUBLIC}, include_in_schema=False)
async def login(request: Request) -> Response:
    form = await request.form()
    parsed = parse_form(LoginForm, form)
    next_url = _safe_next(form.get("next"))
    values = {"email": parsed.values.get("email", "")}  # never echo a password back
    if not parsed.ok:
        return render(request, "accounts/login.html", status_code=422, errors=parsed.errors, values=values, next=next_url)
    try:
        _, token = await service.sign_in(
            _settings(request), parsed.data.email, parsed.data.password, client_address(request.scope)
        )
    except ValidationFailed as failure:
        return render(
            request, "accounts/login.html", status_code=422, errors=errors_from(failure), values=values, next=next_url
        )
    # Rotation: whatever session this browser had before is gone; the new one has a fresh id.
    old = await _old_session_token(request)
    if old:
        await service.revoke_session(old)
    return _with_session(request, redirect(request, next_url), token)


@post("/logout", opt={"action": PUBLIC}, include_in_schema=False)
async def logout(request: Request) -> Response:
    user = request.scope.get("user")
    # pwa.js puts this browser's push endpoint here after unsubscribing it: on a shared browser the
    # next person must not get this person's pushes. Without JS the device stays with the user.
    endpoint = (await request.form()).get("push_endpoint")
    if user is not None and isinstance(endpoint, str) and endpoint:
        await forget_device_at_logout(user.id, endpoint)
    old = await _old_session_token(request)
    if old:
        await service.revoke_session(old)
    response = redirect(request, "/login?abgemeldet=1")
    response.delete_cookie(session_cookie_name(_settings(request)), path="/")
    return response


# --- own account --------------------------------------------------------------------------------


async def _account_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    user = _user(request)
    tokens = await service.api_tokens_of(user)
    # The phone field shows the stored number unless this answer is to its own form.
    context["values"] = {"phone": await service.phone_of(user.id), **context.get("values", {})}
    return render(request, "accounts/account.html", status_code=status_code, tokens=tokens, **context)


@get("/account", opt={"action": "account.manage"}, include_in_schema=False)
async def account_page(request: Request) -> Response:
    return await _account_page(
        request, saved=request.query_params.get("gespeichert") == "1", phone_saved=request.query_params.get("telefon") == "1"
    )


@post("/account/password", opt={"action": "account.manage"}, include_in_schema=False)
async def change_password(request: Request) -> Response:
    parsed = parse_form(PasswordChangeForm, await request.form())
    if parsed.ok:
        try:
            token = await service.change_password(
                _user(request),
                parsed.data.current_password,
                parsed.data.new_password,
                parsed.data.new_password_repeat,
            )
        except ValidationFailed as failure:
            return await _account_page(request, status_code=422, errors=errors_from(failure))
        return _with_session(request, redirect(request, "/account?gespeichert=1"), token)
    return await _account_page(request, status_code=422, errors=parsed.errors)


@post("/account/phone", opt={"action": "account.manage"}, include_in_schema=False)
async def change_phone(request: Request) -> Response:
    parsed = await submit_form(PhoneForm, await request.form(), lambda data: service.set_phone(_user(request), data.phone))
    if parsed.ok:
        return redirect(request, "/account?telefon=1#telefon")
    return await _account_page(request, status_code=422, errors=parsed.errors, values=parsed.values)


@post("/account/tokens", opt={"action": "account.manage"}, include_in_schema=False)
async def create_api_token(request: Request) -> Response:
    parsed = parse_form(ApiTokenForm, await request.form())
    if not parsed.ok:
        return await _account_page(request, status_code=422, errors=parsed.errors, values=parsed.values)
    token = await service.create_api_token(_user(request), parsed.data.name)
    return await _account_page(request, new_token=token)


@post("/account/tokens/{token_id:int}/revoke", opt={"action": "account.manage"}, include_in_schema=False)
async def revoke_api_token(request: Request, token_id: FromPath[int]) -> Response:
    await service.revoke_api_token(_user(request), token_id)
    return redirect(request, "/account")


# --- password reset -----------------------------------------------------------------------------


@get("/password-reset", opt={"action": PUBLIC}, include_in_schema=False)
async def reset_request_page(request: Request) -> Response:
    return render(request, "accounts/reset_request.html")


@post("/password-reset", opt={"action": PUBLIC}, include_in_schema=False)
async def reset_request(request: Request) -> Response:
    parsed = parse_form(PasswordResetRequestForm, await request.form())
    if not parsed.ok:
        return render(request, "accounts/reset_request.html", status_code=422, errors=parsed.errors, values=parsed.values)
    await service.request_password_reset(_settings(request), parsed.data.email)
    # The same answer whether or not the address has an account (no enumeration).
    return render(request, "accounts/reset_request.html", sent=True)


@get("/password-reset/{token:str}", opt={"action": PUBLIC}, include_in_schema=False)
async def reset_page(request: Request, token: FromPath[str]) -> Response:
    try:
        await service.check_reset_token(token)
    except ValidationFailed as failure:
        return render(request, "accounts/reset.html", status_code=410, link_error=errors_from(failure)["token"])
    return render(request, "accounts/reset.html", token=token)


@post("/password-reset/{token:str}", opt={"action": PUBLIC}, include_in_schema=False)
async def reset(request: Request, token: FromPath[str]) -> Response:
    parsed = parse_form(PasswordResetForm, await request.form())
    if parsed.ok:
        try:
            await service.reset_password(token, parsed.data.new_password, parsed.data.new_password_repeat)
        except ValidationFailed as failure:
            errors = errors_from(failure)
            if "token" in errors:
                return render(request, "accounts/reset.html", status_code=410, link_error=errors["token"])
            return render(request, "accounts/reset.html", status_code=422, token=token, errors=errors)
        return redirect(request, "/login?passwort=neu")
    return render(request, "accounts/reset.html", status_code=422, token=token, errors=parsed.errors)


# --- invitations --------------------------------------------------------------------------------


@get("/invitation/{token:str}", opt={"action": PUBLIC}, include_in_schema=False)
async def invitation_page(request: Request, token: FromPath[str]) -> Response:
    try:
        invitation = await service.view_invitation(token)
    except ValidationFailed as failure:
        return render(request, "accounts/invitation.html", status_code=410, link_error=errors_from(failure)["token"])
    return render(
        request,
        "accounts/invitation.html",
        token=token,
        invitation=invitation,
        values={"display_name": invitation.display_name},
    )


@post("/invitation/{token:str}", opt={"action": PUBLIC}, include_in_schema=False)
async def accept_invitation(request: Request, token: FromPath[str]) -> Response:
    try:
        invitation = await service.view_invitation(token)
    except ValidationFailed as failure:
        return render(request, "accounts/invitation.html", status_code=410, link_error=errors_from(failure)["token"])
    parsed = parse_form(AcceptInvitationForm, await request.form())
    values = {"display_name": parsed.values.get("display_name", "")}
    if parsed.ok:
        try:
            _, session_token = await service.accept_invitation(
                token, parsed.data.display_name, parsed.data.new_password, parsed.data.new_password_repeat
            )
        except ValidationFailed as failure:
            errors = errors_from(failure)
        else:
            old = await _old_session_token(request)
            if old:
                await service.revoke_session(old)
            return _with_session(request, redirect(request, "/?willkommen=1"), session_token)
    else:
        errors = parsed.errors
    return render(
        request, "accounts/invitation.html", status_code=422, token=token, invitation=invitation, errors=errors, values=values
    )


async def _people_page(request: Request, status_code: int = 200, **context: Any) -> Response:
    user = _user(request)
    people = await service.people_of(user)
    may_invite = await user_may(user, "people.invite")
    return render(
        request,
        "accounts/people.html",
        status_code=status_code,
        people=people,
        may_invite=may_invite,
        roles=service.invitable_roles(user) if may_invite else (),
        **context,
    )


@get("/people", opt={"action": "people.view"}, include_in_schema=False)
async def people_page(request: Request) -> Response:
    return await _people_page(request)


@post("/people/invitations", opt={"action": "people.invite"}, include_in_schema=False)
async def invite(request: Request) -> Response:
    parsed = parse_form(InvitationForm, await request.form())
    if parsed.ok:
        try:
            _, link = await service.invite(
                _settings(request), _user(request), parsed.data.email, parsed.data.display_name, parsed.data.role
            )
        except ValidationFailed as failure:
            return await _people_page(request, status_code=422, errors=errors_from(failure), values=parsed.values)
        return await _people_page(request, invited_link=link, invited_email=parsed.data.email)
    return await _people_page(request, status_code=422, errors=parsed.errors, values=parsed.values)


@post("/people/{user_id:int}/invitation", opt={"action": "people.invite"}, include_in_schema=False)
async def resend_invitation(request: Request, user_id: FromPath[int]) -> Response:
    link = await service.resend_invitation(_settings(request), _user(request), user_id)
    return await _people_page(request, invited_link=link)


# --- JSON API ------------------------------------------------------------------------------------


@get("/api/v1/me", opt={"action": "api.me"}, tags=["Konto"], summary="Wer bin ich?")
async def api_me(request: Request) -> MeOut:
    """The signed-in person with role and organisation. Authenticated by session or API token."""
    user = _user(request)
    return MeOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        company=OrganisationOut(user.company_id, user.company_name or "") if user.company_id else None,
        school=OrganisationOut(user.school_id, user.school_name or "") if user.school_id else None,
    )


ROUTES = [
    login_page,
    login,
    logout,
    account_page,
    change_phone,
    change_password,
    create_api_token,
    revoke_api_token,
    reset_request_page,
    reset_request,
    reset_page,
    reset,
    invitation_page,
    accept_invitation,
    people_page,
    invite,
    resend_invitation,
    api_me,
]
