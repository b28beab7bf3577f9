"""parse_form: typed values or German errors per field, with what the user typed kept."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from leokop.web.forms import parse_form


class Sample(msgspec.Struct):
    name: Annotated[str, Meta(min_length=2, max_length=5)]
    day: dt.date
    count: Annotated[int, Meta(ge=1, le=10)]
    kind: Literal["a", "b"]
    ids: list[int] = []
    note: str | None = None
    agree: bool = False


class MultiDict(dict):
    def getall(self, key, default):
        value = self.get(key, default)
        return value if isinstance(value, list) else [value]


def test_valid_form_gives_typed_values():
    result = parse_form(Sample, MultiDict(name="Anna", day="24.11.2026", count="3", kind="a", ids=["1", "2"], agree="on"))
    assert result.ok
    assert result.data == Sample(name="Anna", day=dt.date(2026, 11, 24), count=3, kind="a", ids=[1, 2], note=None, agree=True)


def test_iso_dates_are_accepted_too():
    assert parse_form(Sample, MultiDict(name="Anna", day="2026-11-24", count="3", kind="b")).data.day == dt.date(2026, 11, 24)


def test_every_bad_field_gets_its_own_german_message_and_values_are_kept():
    result = parse_form(Sample, MultiDict(name="Annabella", day="30.02.2026", count="11", kind="c", ids=["x"]))
    assert not result.ok
    assert result.errors == {
        "name": "Höchstens 5 Zeichen.",
        "day": "Bitte ein Datum im Format TT.MM.JJJJ eingeben.",
        "count": "Der Wert liegt außerhalb des erlaubten Bereichs.",
        "kind": "Bitte einen der angebotenen Werte wählen.",
        "ids": "Bitte einen der angebotenen Werte wählen.",
    }
    assert result.values["name"] == "Annabella" and result.values["day"] == "30.02.2026"


def test_missing_required_fields_and_defaults():
    result = parse_form(Sample, MultiDict())
    assert result.errors == {f: "Bitte ausfüllen." for f in ("name", "day", "count", "kind")}
    assert result.values["agree"] is False and result.values["ids"] == []


def test_words_where_numbers_belong():
    assert parse_form(Sample, MultiDict(name="Anna", day="1.1.2026", count="drei", kind="a")).errors == {"count": "Bitte eine ganze Zahl eingeben."}


def test_too_short_text():
    assert parse_form(Sample, MultiDict(name="A", day="1.1.2026", count="1", kind="a")).errors == {"name": "Mindestens 2 Zeichen."}
