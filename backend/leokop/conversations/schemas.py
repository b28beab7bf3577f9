"""Data shapes of messages: the conversation list and page, the form and the API bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

MAX_BODY = 5000
Body = Annotated[str, Meta(max_length=MAX_BODY)]
Kind = Literal["with_apprentice", "staff"]


class AttachmentView(msgspec.Struct, frozen=True):
    id: int
    filename: str
    content_type: str
    size: int
    has_thumbnail: bool


class MessageView(msgspec.Struct, frozen=True):
    id: int
    author_id: int | None
    author_name: str
    author_title: str  # key of the German label: the author's relation to the apprentice, else their role
    body: str
    created_at: dt.datetime
    attachments: list[AttachmentView]


class Participant(msgspec.Struct, frozen=True):
    user_id: int
    name: str
    title: str  # as MessageView.author_title


class ConversationView(msgspec.Struct, frozen=True):
    """One conversation as its page shows it; `id` is None until the first message is written."""

    id: int | None
    contract_id: int
    kind: str
    apprentice_name: str
    participants: list[Participant]
    messages: list[MessageView]  # oldest first, at most one page
    older_before: int | None  # ?vor= for the page of older messages, None when there are none
    first_unread_id: int | None  # where "Neu" starts, for the person reading
    # What opening it read just now, which the session's counts (taken before) still include.
    read_now: bool = False
    notifications_read_now: int = 0


class ConversationRow(msgspec.Struct, frozen=True):
    """One line of the conversation list."""

    id: int | None
    contract_id: int
    kind: str
    apprentice_name: str
    last_message_at: dt.datetime | None
    last_author: str
    last_text: str
    unread: int


class MessageForm(msgspec.Struct):
    """The form under a conversation; the file comes beside it (multipart)."""

    body: Body = ""


class MessageIn(msgspec.Struct):
    """A message through the API (attachments: only in the browser for now)."""

    body: Body


class NewMessageIn(msgspec.Struct):
    """A message to a contract's conversation of `kind`, which is created with its first message."""

    kind: Kind
    body: Body


class ConversationOut(msgspec.Struct, frozen=True):
    id: int
    contract_id: int
    kind: str
    apprentice_name: str
    last_message_at: dt.datetime | None
    unread: int


class AttachmentOut(msgspec.Struct, frozen=True):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(msgspec.Struct, frozen=True):
    id: int
    conversation_id: int
    author_id: int | None
    author_name: str
    author_title: str
    body: str
    created_at: dt.datetime
    attachments: list[AttachmentOut]
