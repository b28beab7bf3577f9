"""Data shapes of signing: the review panel of a week, the inbox, forms and API bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta


class SignatureView(msgspec.Struct, frozen=True):
    kind: str  # approval | cosign | acknowledgement
    signer_name: str
    signer_role: str
    on_behalf_name: str
    signed_at: dt.datetime
    fingerprint: str
    voided: bool
    void_reason: str
    matches: bool  # the signed content is still the current content (for a co-sign: the school part)


class HistoryItem(msgspec.Struct, frozen=True):
    action: str  # week.submitted | week.returned | week.approved | week.reopened | week.cosigned | week.acknowledged
    at: dt.datetime
    actor_name: str
    role: str
    on_behalf_name: str
    reason: str


class ReviewView(msgspec.Struct, frozen=True):
    relation: str
    on_behalf_name: str
    actions: list[str]
    signatures: list[SignatureView]
    history: list[HistoryItem]
    integrity: str  # ok | unsigned | broken
    problems: list[str]
    fingerprint: str
    templates: list[str]


class InboxWeek(msgspec.Struct, frozen=True):
    week_id: int
    contract_id: int
    apprentice_name: str
    monday: dt.date
    iso_week: int
    number: int
    submitted_at: dt.datetime | None
    total_minutes: int


class InboxApprentice(msgspec.Struct, frozen=True):
    contract_id: int
    name: str
    occupation_name: str
    last_approval_at: dt.datetime | None
    overdue: bool
    waiting: int


class InboxView(msgspec.Struct, frozen=True):
    weeks: list[InboxWeek]
    apprentices: list[InboxApprentice]


class ClassLogRow(msgspec.Struct, frozen=True):
    to_cosign: int  # submitted or approved weeks without a co-sign
    submitted: int
    returned: int
    approved: int
    gaps: int  # past weeks neither submitted nor approved


class BulkResult(msgspec.Struct, frozen=True):
    approved: int
    skipped: int


Reason = Annotated[str, Meta(max_length=1000)]


class ReasonForm(msgspec.Struct):
    reason: Reason
    save_template: bool = False


class BulkForm(msgspec.Struct):
    week_ids: list[int] = []


class SubstitutionForm(msgspec.Struct):
    substitute_id: int
    start_date: dt.date
    end_date: dt.date


class ReasonIn(msgspec.Struct):
    """Body of returning or reopening a week through the API."""

    reason: Reason


class BulkIn(msgspec.Struct):
    week_ids: Annotated[list[int], Meta(min_length=1, max_length=200)]
