"""Data shapes of exam admission: the share link form, the preparation page, and the chamber's
read-only view of a log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from leokop.exam_admission.completeness import Report
from leokop.logbook.schemas import GapWeek
from leokop.timeutil import to_berlin

MIN_DAYS = 14
MAX_DAYS = 200
DEFAULT_DAYS = 60


class ShareForm(msgspec.Struct):
    """A new share link: who it is for (e.g. "IHK Frankfurt – Prüfungsausschuss") and how long it works.
    The range of `valid_days` is the service's rule, so that its message names the bounds."""

    label: Annotated[str, Meta(max_length=120)]
    valid_days: int = DEFAULT_DAYS


class ShareLinkRow(msgspec.Struct, frozen=True):
    id: int
    label: str
    created_at: dt.datetime
    created_by_name: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    access_count: int
    last_access_at: dt.datetime | None
    state: str  # active | expired | revoked

    @property
    def expires_on(self) -> dt.date:
        """The last day of validity as a Berlin date (a link made at 23:30 works until 23:30)."""
        return to_berlin(self.expires_at).date()


class ExamPage(msgspec.Struct, frozen=True):
    """The preparation page (Prüfungsanmeldung): the contract, the check, and the share links."""

    contract: dict
    report: Report
    links: list[ShareLinkRow]


class SharedWeek(msgspec.Struct, frozen=True):
    """One row of the chamber's week list: the week and its current approval, if any."""

    week: GapWeek
    approved_by: str = ""
    approver_role: str = ""
    approved_at: dt.datetime | None = None

    @property
    def sunday(self) -> dt.date:
        return self.week.monday + dt.timedelta(days=6)


class SharedLog(msgspec.Struct, frozen=True):
    """What a share link shows first: the contract's facts and every week up to today."""

    contract: dict
    weeks: list[SharedWeek]
    expires_at: dt.datetime
