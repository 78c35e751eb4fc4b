"""Checks of one value against one field's declaration (defaults, presets, conditions).

The checks are the kinds' own (`_kinds`); here they become plain messages for the
build-time checks of a declaration (defaults, presets), which attach paths.
"""

from __future__ import annotations

from typing import Any

from .._kinds import Issue, _shared, json_value, list_of, spec
from .nodes import Field, Kind

__all__ = [
    "compiled_pattern",
    "describe",
    "inner_validator",
    "issue_text",
    "list_item",
    "value_problems",
]


def describe(value: Any) -> str:
    """A short rendering of a value for messages."""
    return _shared.describe(value)


compiled_pattern = _shared.compiled_pattern
inner_validator = json_value.inner_validator


def issue_text(issue: Issue) -> str:
    """An issue as a message, its location inside the value in front."""
    code, message, loc = issue
    if code == "json_schema":  # a place inside a JSON value, as a JSON Schema path
        return f"{'/'.join(str(p) for p in loc) or 'value'}: {message}"
    if not loc:
        return message
    head = loc[0]
    where = f"item {head}" if isinstance(head, int) else describe(head)
    rest = "/".join(str(p) for p in loc[1:])
    return f"{where}{'/' + rest if rest else ''}: {message}"


def value_problems(field: Field, value: Any, *, inner: bool = True) -> list[str]:
    """What is wrong with `value` as a value of `field` (empty when it is fine).

    ``None`` is accepted for a field that is not required (an optional setting). With
    ``inner=False`` a JSON value is not checked against its inner JSON Schema (the
    build-time checks leave that to the first validation, so as not to load jsonschema).
    """
    if value is None:
        return ["a value is required"] if field.required else []
    check = spec(field.kind).check
    if not inner and field.kind is Kind.JSON:
        check = json_value.check_shape
    return [issue_text(i) for i in check(field, value)]


def list_item(f: Field) -> Field:
    """What each item of a list field is checked as: its item kind, with the list's own
    bounds, multiple, lengths and pattern (as `_list` checks items)."""
    return list_of.item_field(f)
