"""Routes of messages: the conversation list, one conversation (reading marks it read; writing by
htmx without a reload, or as a plain form), attachments, and the JSON API. Thin: parse, call the
service, render."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody

from leokop.accounts.schemas import CurrentUser
from leokop.conversations import service
from leokop.conversations.schemas import AttachmentOut, ConversationOut, MessageForm, MessageIn, MessageOut, MessageView, NewMessageIn
from leokop.errors import NotFound, ValidationFailed
from leokop.logbook import files
from leokop.web.forms import errors_from, submit_form
from leokop.web.pages import file_response, redirect, render

CONVERSATION = "/contracts/{contract_id:int}/nachrichten/{audience:str}"
ATTACHMENT = "/nachrichten/anhaenge/{message_attachment_id:int}"


def _user(request: Request) -> CurrentUser:
    return request.scope["user"]


def _kind(audience: str) -> str:
    kind = service.KIND_OF_SLUG.get(audience)
    if kind is None:
        raise NotFound()
    return kind


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def _before(request: Request) -> int | None:
    raw = request.query_params.get("vor", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None  # message ids fit in 32 bits


@get("/nachrichten", opt={"action": "messages.view"}, include_in_schema=False)
async def list_page(request: Request) -> Response:
    return render(request, "conversations/list.html", rows=await service.conversations(_user(request)), slugs=service.SLUGS)


async def _conversation_page(request: Request, contract_id: int, kind: str, status_code: int = 200, **context: Any) -> Response:
    before = _before(request) if request.method == "GET" else None
    user = _user(request)
    view = await service.open_conversation(user, contract_id, kind, before)
    # The navigation's counts came with the session, before this page read the conversation.
    request.scope["user"] = msgspec.structs.replace(
        user,
        unread=max(0, user.unread - view.notifications_read_now),
        unread_conversations=max(0, user.unread_conversations - view.read_now),
    )
    return render(
        request, "conversations/conversation.html", status_code=status_code, view=view, slugs=service.SLUGS, older_page=before is not None, **context
    )


@get(CONVERSATION, opt={"action": "messages.view", "writes": True}, include_in_schema=False)
async def conversation_page(request: Request, contract_id: FromPath[int], audience: FromPath[str]) -> Response:
    return await _conversation_page(request, contract_id, _kind(audience))


async def _upload(form) -> service.Upload | None:
    """The chosen file; a browser sends an empty part without a name when none was chosen."""
    chosen = form.get("file")
    if not isinstance(chosen, UploadFile):
        return None
    data = await chosen.read()
    return service.Upload(chosen.filename or "", data) if data or chosen.filename else None


@post(CONVERSATION, opt={"action": "messages.write"}, include_in_schema=False)
async def write(request: Request, contract_id: FromPath[int], audience: FromPath[str]) -> Response:
    """htmx swaps the conversation with the new message in place; without JavaScript the browser
    is sent to the conversation, scrolled to the new message. Bad input: the page again (422) with
    the German message next to the field and the text as typed (a file must be chosen again)."""
    kind = _kind(audience)
    form = await request.form()
    upload = await _upload(form)
    var_dir = request.app.state.settings.var_dir
    parsed = await submit_form(
        MessageForm, form, lambda data: service.post_message(_user(request), var_dir, contract_id, kind, data.body, upload)
    )
    if not parsed.ok:
        return await _conversation_page(request, contract_id, kind, 422, errors=parsed.errors, values=parsed.values, file_dropped=upload is not None)
    if _is_htmx(request):
        return await _conversation_page(request, contract_id, kind, sent=True)
    return redirect(request, f"{service.conversation_url(contract_id, kind)}#m-{parsed.result[1]}")


@get(ATTACHMENT, opt={"action": "messages.view", "no_compression": True}, include_in_schema=False)
async def download(request: Request, message_attachment_id: FromPath[int]) -> Response:
    found = await service.attachment_file(_user(request), message_attachment_id)
    path = files.path_for(request.app.state.settings.var_dir, found["sha256"])
    return file_response(path, found["content_type"], f'attachment; filename="{found["filename"]}"')


@get(ATTACHMENT + "/vorschau", opt={"action": "messages.view", "no_compression": True}, include_in_schema=False)
async def thumbnail(request: Request, message_attachment_id: FromPath[int]) -> Response:
    found = await service.attachment_file(_user(request), message_attachment_id)
    if not found["has_thumbnail"]:
        raise NotFound()
    return file_response(files.path_for(request.app.state.settings.var_dir, found["sha256"], thumbnail=True), "image/webp", "inline")


# --- JSON API --------------------------------------------------------------------------------------

TAGS = ["Nachrichten"]


def _out(conversation_id: int, message: MessageView) -> MessageOut:
    return MessageOut(
        id=message.id,
        conversation_id=conversation_id,
        author_id=message.author_id,
        author_name=message.author_name,
        author_title=message.author_title,
        body=message.body,
        created_at=message.created_at,
        attachments=[AttachmentOut(a.id, a.filename, a.content_type, a.size, f"/nachrichten/anhaenge/{a.id}") for a in message.attachments],
    )


async def _post(request: Request, contract_id: int, kind: str, body: str) -> MessageOut:
    """Write through the API and answer with the message as stored; bad input is 422 with German
    messages per field."""
    user = _user(request)
    try:
        conversation_id, message_id = await service.post_message(user, request.app.state.settings.var_dir, contract_id, kind, body)
    except ValidationFailed as failure:
        raise HTTPException(status_code=422, detail="Die Daten sind ungültig.", extra={"errors": errors_from(failure)}) from None
    view = await service.open_conversation(user, contract_id, kind)
    return next(_out(conversation_id, m) for m in view.messages if m.id == message_id)


@get("/api/v1/conversations", opt={"action": "messages.view"}, tags=TAGS, summary="Eigene Unterhaltungen")
async def api_conversations(request: Request) -> list[ConversationOut]:
    """The conversations you take part in that have messages, newest first, with your unread count."""
    rows = await service.conversations(_user(request))
    return [ConversationOut(r.id, r.contract_id, r.kind, r.apprentice_name, r.last_message_at, r.unread) for r in rows if r.id is not None]


@get("/api/v1/conversations/{conversation_id:int}/messages", opt={"action": "messages.view", "writes": True}, tags=TAGS, summary="Nachrichten einer Unterhaltung")
async def api_messages(request: Request, conversation_id: FromPath[int], before: FromQuery[int | None] = None) -> list[MessageOut]:
    """The newest 50 messages, oldest first (`before`: the 50 before that message id). Reading the
    newest ones marks the conversation read, as opening it in the app does."""
    contract_id, kind = await service.conversation_of(conversation_id)
    view = await service.open_conversation(_user(request), contract_id, kind, before)
    return [_out(conversation_id, m) for m in view.messages]


@post("/api/v1/conversations/{conversation_id:int}/messages", opt={"action": "messages.write"}, tags=TAGS, summary="Nachricht schreiben", status_code=201)
async def api_write(request: Request, conversation_id: FromPath[int], data: JSONBody[MessageIn]) -> MessageOut:
    contract_id, kind = await service.conversation_of(conversation_id)
    return await _post(request, contract_id, kind, data.body)


@post("/api/v1/contracts/{contract_id:int}/messages", opt={"action": "messages.write"}, tags=TAGS, summary="Nachricht zu einem Vertrag schreiben", status_code=201)
async def api_start(request: Request, contract_id: FromPath[int], data: JSONBody[NewMessageIn]) -> MessageOut:
    """Writes to the contract's conversation of `kind` (with_apprentice: with the apprentice; staff:
    company and school only), which is created with its first message."""
    return await _post(request, contract_id, data.kind, data.body)


ROUTES = [
    list_page,
    conversation_page,
    write,
    download,
    thumbnail,
    api_conversations,
    api_messages,
    api_write,
    api_start,
]
