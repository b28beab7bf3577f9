"""Data shapes of the contact directory: one contact and the directory of one apprentice."""

from __future__ import annotations

import re

import msgspec

_NOT_DIALLED = re.compile(r"[^\d+]")


class Contact(msgspec.Struct, frozen=True):
    """A person or office of the circle. `title`: apprentice | trainer | instructor | company_admin |
    class_lead | teacher | guardian | school_office | chamber_adviser; `group`: company | school |
    chamber | apprentice. `conversation`: the kind of the narrowest conversation the reader shares
    with this person (None: none, or the reader themselves)."""

    group: str
    title: str
    name: str
    email: str
    phone: str
    organisation: str = ""
    subjects: str = ""
    user_id: int | None = None
    conversation: str | None = None

    @property
    def phone_uri(self) -> str:
        return "tel:" + _NOT_DIALLED.sub("", self.phone)


class ContactsView(msgspec.Struct, frozen=True):
    contract_id: int
    apprentice_name: str
    company_name: str
    school_name: str
    school_class_name: str
    contacts: list[Contact]
