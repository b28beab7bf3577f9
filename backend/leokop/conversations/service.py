"""Rules of messages (K7): a contract's two conversations and who takes part in them (the contract's
circle, contacts.circle), writing with an optional attachment (the log's file rules), read markers
and unread counts, and telling the other members."""

from __future__ import annotations

import asyncio

import msgspec
from piccolo.columns.combination import WhereRaw

from leokop.accounts.schemas import CurrentUser, Role
from leokop.contacts.circle import Circle, circle_of
from leokop.contacts.circle_sql import member_contracts_sql, member_kinds_sql
from leokop.contracts.tables import Contract
from leokop.conversations.schemas import MAX_BODY, AttachmentView, ConversationRow, ConversationView, MessageView, Participant
from leokop.conversations.tables import Conversation, ConversationRead, Message, MessageAttachment
from leokop.errors import NotFound, ValidationFailed
from leokop.logbook import files
from leokop.notifications.service import Notice, notify_many
from leokop.notifications.tables import Notification
from leokop.timeutil import utcnow

PAGE_SIZE = 50  # messages per page; older ones page by ?vor=
LIST_LIMIT = 100  # conversations on the list, newest first
SLUGS = {"with_apprentice": "mit-azubi", "staff": "betrieb-schule"}
KIND_OF_SLUG = {slug: kind for kind, slug in SLUGS.items()}


def conversation_url(contract_id: int, kind: str) -> str:
    return f"/contracts/{contract_id}/nachrichten/{SLUGS[kind]}"


class Upload(msgspec.Struct, frozen=True):
    filename: str
    data: bytes


async def _circle_taking_part(user: CurrentUser, contract_id: int, kind: str) -> Circle:
    """The contract's circle, if the user takes part in its conversation of `kind` (else NotFound)."""
    circle = await circle_of(contract_id)
    if circle is None or not circle.takes_part(user.id, kind):
        raise NotFound()
    return circle


async def conversation_of(conversation_id: int) -> tuple[int, str]:
    """(contract id, kind) of a conversation (the API names conversations by id); whether the user
    takes part is checked by whatever is done with it."""
    row = await Conversation.select(Conversation.contract, Conversation.kind).where(Conversation.id == conversation_id).first()
    if row is None:
        raise NotFound()
    return row["contract"], row["kind"]


# --- the list --------------------------------------------------------------------------------------

# Conversations with messages that the person takes part in, newest first, with their unread
# messages (newer than the read marker, written by others) and the latest message. One query.
_LIST_SQL = f"""
SELECT cv.id, cv.contract AS contract_id, cv.kind, cv.last_message_at, a.display_name AS apprentice_name,
       (SELECT count(*) FROM message m WHERE m.conversation = cv.id AND m.id > coalesce(cr.last_read_message_id, 0)
               AND (m.author IS NULL OR m.author <> u.id)) AS unread,
       lm.author_name AS last_author, substr(lm.body, 1, 120) AS last_text
FROM app_user u
JOIN conversation cv ON cv.contract IN ({member_contracts_sql("u.id", "u.role", "u.company")}) AND {member_kinds_sql("cv.kind", "u.role")}
JOIN contract k ON k.id = cv.contract
JOIN app_user a ON a.id = k.apprentice
LEFT JOIN conversation_read cr ON cr.conversation = cv.id AND cr."user" = u.id
LEFT JOIN message lm ON lm.id = (SELECT max(m2.id) FROM message m2 WHERE m2.conversation = cv.id)
WHERE u.id = {{}}
ORDER BY cv.last_message_at DESC, cv.id DESC
LIMIT {LIST_LIMIT}
"""


async def conversations(user: CurrentUser) -> list[ConversationRow]:
    """The person's conversations, newest first; an apprentice also finds the conversation of each
    own contract before its first message (the others start one from the contract or the class)."""
    rows = [ConversationRow(**r) for r in await Conversation.raw(_LIST_SQL, user.id)]
    if user.role is Role.apprentice:
        started = {r.contract_id for r in rows if r.kind == "with_apprentice"}
        own = await Contract.select(Contract.id, Contract.apprentice.display_name.as_alias("name")).where(
            Contract.apprentice == user.id
        ).order_by(Contract.start_date, ascending=False)
        rows += [
            ConversationRow(None, c["id"], "with_apprentice", c["name"], None, "", "", 0) for c in own if c["id"] not in started
        ]
    return rows


# --- one conversation ------------------------------------------------------------------------------


async def _mark_read(user_id: int, conversation_id: int, message_id: int) -> int:
    """The person has seen everything up to `message_id`: the marker only moves forward (two tabs),
    and the notifications about this conversation count as read; returns how many that were."""
    now = utcnow()
    await ConversationRead.insert(
        ConversationRead(conversation=conversation_id, user=user_id, last_read_message_id=message_id, updated_at=now)
    ).on_conflict(
        target=(ConversationRead.conversation, ConversationRead.user),
        action="DO UPDATE",
        values=[ConversationRead.last_read_message_id, ConversationRead.updated_at],
        where=WhereRaw("conversation_read.last_read_message_id < EXCLUDED.last_read_message_id"),
    )
    read = await Notification.update({Notification.read_at: now}).where(
        Notification.user == user_id,
        Notification.kind == "message",
        Notification.read_at.is_null(),
        Notification.dedupe_key.like(f"message:{conversation_id}:{user_id}:%"),
    ).returning(Notification.id)
    return len(read)


def _title(circle: Circle, author_id: int | None, role: str | None) -> str:
    member = circle.member(author_id) if author_id is not None else None
    return member.title if member is not None else role or ""


async def open_conversation(user: CurrentUser, contract_id: int, kind: str, before: int | None = None) -> ConversationView:
    """A page of the conversation (the newest, or the one before message `before`), oldest first.
    Opening the newest page marks the conversation read up to its last message."""
    circle = await _circle_taking_part(user, contract_id, kind)
    participants = [Participant(m.user_id, m.name, m.title) for m in circle.in_conversation(kind)]
    found = await Conversation.select(Conversation.id).where(Conversation.contract == contract_id, Conversation.kind == kind).first()
    if found is None:
        return ConversationView(None, contract_id, kind, circle.apprentice_name, participants, [], None, None)
    conversation_id = found["id"]
    m = Message
    query = m.select(m.id, m.author, m.author_name, m.author.role.as_alias("role"), m.body, m.created_at).where(
        m.conversation == conversation_id
    )
    if before is not None:
        query = query.where(m.id < before)
    rows = await query.order_by(m.id, ascending=False).limit(PAGE_SIZE + 1)
    older_before = rows[PAGE_SIZE - 1]["id"] if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE][::-1]
    attachments: dict[int, list[AttachmentView]] = {}
    if rows:
        a = MessageAttachment
        for r in await a.select(a.id, a.message, a.filename, a.content_type, a.size, a.has_thumbnail).where(
            a.message.is_in([r["id"] for r in rows])
        ).order_by(a.id):
            attachments.setdefault(r.pop("message"), []).append(AttachmentView(**r))
    messages = [
        MessageView(
            id=r["id"],
            author_id=r["author"],
            author_name=r["author_name"],
            author_title=_title(circle, r["author"], r["role"]),
            body=r["body"],
            created_at=r["created_at"],
            attachments=attachments.get(r["id"], []),
        )
        for r in rows
    ]
    first_unread = None
    read_now = (False, 0)
    if before is None and rows:
        marker = await ConversationRead.select(ConversationRead.last_read_message_id).where(
            ConversationRead.conversation == conversation_id, ConversationRead.user == user.id
        ).first()
        read_up_to = marker["last_read_message_id"] if marker else 0
        first_unread = next((x.id for x in messages if x.id > read_up_to and x.author_id != user.id), None)
        read_now = (rows[-1]["id"] > read_up_to, await _mark_read(user.id, conversation_id, rows[-1]["id"]))
    return ConversationView(
        conversation_id, contract_id, kind, circle.apprentice_name, participants, messages, older_before, first_unread, *read_now
    )


# --- writing ---------------------------------------------------------------------------------------


async def post_message(
    user: CurrentUser, var_dir: str, contract_id: int, kind: str, body: str, upload: Upload | None = None
) -> tuple[int, int]:
    """Write a message (text, a file, or both) to the contract's conversation of `kind`, which is
    created with its first message; returns (conversation id, message id). The other members are
    notified: one unread notification per person and conversation until they open it."""
    circle = await _circle_taking_part(user, contract_id, kind)
    text = body.strip()
    errors: dict[str, str] = {}
    if "\x00" in text:  # API bodies: PostgreSQL refuses NUL in text, and nobody means to type it
        errors["body"] = "invalid_characters"
    elif len(text) > MAX_BODY:
        errors["body"] = "too_long"
    elif not text and upload is None:
        errors["body"] = "message_empty"
    stored = None
    if upload is not None:
        try:
            stored = await asyncio.to_thread(files.prepare, upload.data)  # image decoding is CPU work
        except ValidationFailed as failure:
            errors.update(failure.errors)
    if errors:
        raise ValidationFailed(errors, max_length=MAX_BODY)
    now = utcnow()
    # Created with the first message; the unique index (contract, kind) turns a second writer's
    # insert (two first messages at once) into an update of the same row, on SQLite and PostgreSQL.
    rows = await Conversation.insert(Conversation(contract=contract_id, kind=kind, last_message_at=now, created_at=now)).on_conflict(
        target=(Conversation.contract, Conversation.kind), action="DO UPDATE", values=[Conversation.last_message_at]
    ).returning(Conversation.id)
    conversation_id = rows[0]["id"]
    rows = await Message.insert(
        Message(conversation=conversation_id, author=user.id, author_name=user.display_name, body=text, created_at=now)
    ).returning(Message.id)
    message_id = rows[0]["id"]
    if stored is not None and upload is not None:
        await asyncio.to_thread(files.save, var_dir, stored)
        await MessageAttachment.insert(
            MessageAttachment(
                message=message_id,
                filename=files.safe_filename(upload.filename, stored.content_type),
                content_type=stored.content_type,
                size=len(stored.data),
                sha256=stored.sha256,
                has_thumbnail=stored.thumbnail is not None,
                created_at=now,
            )
        )
    await _mark_read(user.id, conversation_id, message_id)
    await _notify_others(user, circle, conversation_id, kind)
    return conversation_id, message_id


async def _notify_others(user: CurrentUser, circle: Circle, conversation_id: int, kind: str) -> None:
    """In-app and push for every other member. The dedupe key holds the recipient's read marker, so
    a burst of messages makes one notification until they open the conversation (which moves the
    marker). No message text: a push passes through the push service (K9)."""
    markers = {
        r["user"]: r["last_read_message_id"]
        for r in await ConversationRead.select(ConversationRead.user, ConversationRead.last_read_message_id).where(
            ConversationRead.conversation == conversation_id
        )
    }
    url = conversation_url(circle.contract_id, kind) + "#neu"  # where the unread messages start
    title = f"Neue Nachricht von {user.display_name}"
    await notify_many(
        [
            Notice(m.user_id, "message", title, url, dedupe_key=f"message:{conversation_id}:{m.user_id}:{markers.get(m.user_id, 0)}")
            for m in circle.in_conversation(kind)
            if m.user_id != user.id
        ]
    )


# --- attachments -------------------------------------------------------------------------------------


async def attachment_file(user: CurrentUser, attachment_id: int) -> dict:
    """An attachment's stored facts, only for a member of its conversation (else NotFound)."""
    a = MessageAttachment
    row = await a.select(
        a.filename,
        a.content_type,
        a.sha256,
        a.has_thumbnail,
        a.message.conversation.contract.as_alias("contract_id"),
        a.message.conversation.kind.as_alias("kind"),
    ).where(a.id == attachment_id).first()
    if row is None:
        raise NotFound()
    await _circle_taking_part(user, row["contract_id"], row["kind"])
    return row

