"""Turn a submitted HTML form into a msgspec Struct, or into German errors per field plus the typed values."""

from __future__ import annotations

import datetime as dt
import enum
import re
import typing
from typing import Any, Mapping

import msgspec

from leokop.errors import ValidationFailed
from leokop.messages import message

_GERMAN_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")


class FormResult(msgspec.Struct):
    """`data` is set when the form is valid; `values` always holds what the user typed."""

    values: dict[str, Any]
    errors: dict[str, str]
    data: Any = None
    result: Any = None  # what submit_form's action returned

    @property
    def ok(self) -> bool:
        return not self.errors


def _meta_of(annotation: Any) -> msgspec.Meta | None:
    if typing.get_origin(annotation) is typing.Annotated:
        for extra in typing.get_args(annotation)[1:]:
            if isinstance(extra, msgspec.Meta):
                return extra
    return None


def _base_type(annotation: Any) -> tuple[Any, bool]:
    """(the plain type, whether None/empty is allowed)."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = typing.get_args(annotation)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return _base_type(rest[0])[0], True
    return annotation, False


def _parse_date(raw: str) -> dt.date:
    match = _GERMAN_DATE.match(raw)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    return dt.date.fromisoformat(raw.strip())


def _code_for(base: Any, meta: msgspec.Meta | None, raw: str) -> tuple[str, dict[str, object]]:
    if isinstance(base, type) and issubclass(base, enum.Enum) or typing.get_origin(base) is typing.Literal:
        return "invalid_choice", {}
    if base is int:
        return ("out_of_range" if raw.strip().lstrip("-").isdigit() else "invalid_number"), {}
    if base is dt.date:
        return "invalid_date", {}
    if meta is not None and meta.max_length is not None and len(raw) > meta.max_length:
        return "too_long", {"max_length": meta.max_length}
    if meta is not None and meta.min_length is not None and len(raw.strip()) < meta.min_length:
        return "too_short", {"min_length": meta.min_length}
    return "invalid", {}


def parse_form(struct_type: type[msgspec.Struct], form: Mapping[str, Any]) -> FormResult:
    """Check every field of `struct_type` against the raw form and collect one German message per field.

    Checkboxes arrive as "on" or not at all; list fields take every value of a multi-select.
    """
    hints = typing.get_type_hints(struct_type, include_extras=True)
    defaults = dict(zip(struct_type.__struct_fields__[-len(struct_type.__struct_defaults__) :], struct_type.__struct_defaults__)) if struct_type.__struct_defaults__ else {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    converted: dict[str, Any] = {}
    for name in struct_type.__struct_fields__:
        annotation = hints[name]
        base, optional = _base_type(annotation)
        meta = _meta_of(annotation)
        if typing.get_origin(base) is list:
            raw_list = form.getall(name, []) if hasattr(form, "getall") else form.get(name, [])
            raw_list = [raw_list] if isinstance(raw_list, str) else list(raw_list)
            values[name] = [str(v) for v in raw_list]
            (item_type,) = typing.get_args(base)
            try:
                converted[name] = [msgspec.convert(v, item_type, strict=False) for v in values[name] if v != ""]
            except msgspec.ValidationError:
                errors[name] = message("invalid_choice")
            continue
        if base is bool:
            values[name] = name in form and form.get(name) not in ("", "off", "false", "0")
            converted[name] = values[name]
            continue
        raw = form.get(name, "")
        # NUL is never typed on purpose, and PostgreSQL refuses it in text: drop it here.
        raw = raw.replace("\x00", "") if isinstance(raw, str) else ""
        values[name] = raw
        if raw.strip() == "":
            if optional:
                converted[name] = None
            elif name in defaults:
                converted[name] = defaults[name]
            else:
                errors[name] = message("required")
            continue
        try:
            if base is dt.date:
                value: Any = _parse_date(raw)
                converted[name] = msgspec.convert(value, annotation)
            else:
                converted[name] = msgspec.convert(raw if base is str else raw.strip(), annotation, strict=False)
        except (msgspec.ValidationError, ValueError):
            code, params = _code_for(base, meta, raw)
            errors[name] = message(code, **params)
    if errors:
        return FormResult(values=values, errors=errors)
    return FormResult(values=values, errors={}, data=struct_type(**converted))


def errors_from(failure: ValidationFailed) -> dict[str, str]:
    """German messages for a service's ValidationFailed."""
    return {field: message(code, **failure.params) for field, code in failure.errors.items()}


async def submit_form(struct_type: type[msgspec.Struct], form: Mapping[str, Any], action) -> FormResult:
    """parse_form, then `await action(data)` when the form is valid; a ValidationFailed of the action
    becomes the fields' German messages. `ok` afterwards: both went through (`result` holds what
    the action returned)."""
    parsed = parse_form(struct_type, form)
    if parsed.ok:
        try:
            parsed.result = await action(parsed.data)
        except ValidationFailed as failure:
            parsed.errors = errors_from(failure)
    return parsed
