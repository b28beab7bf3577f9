"""Tables of conversations: one per apprentice's contract and circle, their messages, attachments
and how far each person has read."""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from leokop.accounts.tables import User
from leokop.contracts.tables import Contract


class Conversation(Table):
    """`with_apprentice`: trainers, class teacher and apprentice; `staff`: company and school only
    (excuses and the like). At most one of each kind per contract (unique index)."""

    contract = ForeignKey(Contract, index=True)
    kind = Varchar(length=16)  # with_apprentice | staff
    last_message_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Message(Table):
    """One message; the author's name is kept as it was when it was written."""

    conversation = ForeignKey(Conversation, index=True)
    author = ForeignKey(User, null=True)
    author_name = Varchar(length=120)
    body = Text()
    created_at = Timestamptz()


class MessageAttachment(Table):
    """A file on a message, stored like log attachments (var/uploads, named by SHA-256, photos
    without metadata)."""

    message = ForeignKey(Message, index=True)
    filename = Varchar(length=200)
    content_type = Varchar(length=60)
    size = Integer()
    sha256 = Varchar(length=64)
    has_thumbnail = Boolean(default=False)
    created_at = Timestamptz()


class ConversationRead(Table):
    """The last message a person has seen in a conversation: unread = newer messages by others."""

    conversation = ForeignKey(Conversation, index=True)
    user = ForeignKey(User, index=True)
    last_read_message_id = Integer(default=0)
    updated_at = Timestamptz()
