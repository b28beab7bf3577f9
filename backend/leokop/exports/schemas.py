"""Shapes of the exports feature: the export form."""

from __future__ import annotations

import datetime as dt

import msgspec


class ExportForm(msgspec.Struct):
    """The weeks to export: from the week of `first` to the week of `last`; empty: from the start,
    and to this week (or the contract's end if that came first)."""

    first: dt.date | None = None
    last: dt.date | None = None
