"""Shapes of the exports feature: the export form and the verification form."""

from __future__ import annotations

import datetime as dt

import msgspec


class ExportForm(msgspec.Struct):
    """The weeks to export: from the week of `first` to the week of `last`; empty: the whole log."""

    first: dt.date | None = None
    last: dt.date | None = None


class CodeForm(msgspec.Struct):
    code: str = ""
