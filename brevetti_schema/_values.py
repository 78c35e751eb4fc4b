"""Checks of one value against one field's declaration (defaults, presets, conditions).

Each checker returns plain messages ("expected ..., got ..."); callers attach paths.
The settings pipeline validates whole documents elsewhere; this module serves the
build-time checks of a declaration.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._model import Field, Kind

__all__ = ["describe", "list_item", "value_problems"]


def describe(value: Any) -> str:
    """A short rendering of a value for messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@functools.lru_cache(maxsize=256)
def compiled_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """The compiled pattern, or ``None`` when absent or invalid (reported elsewhere)."""
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def _bounds(field: Field, value: float) -> list[str]:
    problems = []
    if field.minimum is not None and value < field.minimum:
        problems.append(f"{describe(value)} is below the minimum {field.minimum:g}")
    if field.maximum is not None and value > field.maximum:
        problems.append(f"{describe(value)} is above the maximum {field.maximum:g}")
    if field.exclusive_minimum is not None and value <= field.exclusive_minimum:
        problems.append(f"{describe(value)} must be greater than {field.exclusive_minimum:g}")
    if field.exclusive_maximum is not None and value >= field.exclusive_maximum:
        problems.append(f"{describe(value)} must be less than {field.exclusive_maximum:g}")
    if field.multiple_of is not None and field.multiple_of > 0:
        quotient = value / field.multiple_of
        if not math.isclose(quotient, round(quotient), rel_tol=0, abs_tol=1e-9):
            problems.append(f"{describe(value)} is not a multiple of {field.multiple_of:g}")
    return problems


def _integer(field: Field, value: Any) -> list[str]:
    if not _is_int(value):
        return [f"expected an integer, got {describe(value)}"]
    return _bounds(field, value)


def _number(field: Field, value: Any) -> list[str]:
    if not _is_number(value):
        return [f"expected a finite number, got {describe(value)}"]
    return _bounds(field, value)


def _text(field: Field, value: Any) -> list[str]:
    if not isinstance(value, str):
        return [f"expected text, got {describe(value)}"]
    problems = []
    if field.min_length is not None and len(value) < field.min_length:
        problems.append(f"text is shorter than {field.min_length} characters")
    if field.max_length is not None and len(value) > field.max_length:
        problems.append(f"text is longer than {field.max_length} characters")
    pattern = compiled_pattern(field.pattern)
    if pattern is not None and pattern.search(value) is None:
        problems.append(f"{describe(value)} does not match the pattern {field.pattern!r}")
    return problems


def _boolean(field: Field, value: Any) -> list[str]:
    return [] if isinstance(value, bool) else [f"expected true or false, got {describe(value)}"]


def _in_options(field: Field, value: Any) -> bool:
    return any(type(o.value) is type(value) and o.value == value for o in field.options) or (
        _is_number(value) and any(_is_number(o.value) and o.value == value for o in field.options)
    )


def _choice(field: Field, value: Any) -> list[str]:
    if _in_options(field, value):
        return []
    allowed = ", ".join(describe(v) for v in field.option_values())
    return [f"{describe(value)} is not one of the options ({allowed})"]


def _items(field: Field, value: Any) -> list[str]:
    problems = []
    if field.min_items is not None and len(value) < field.min_items:
        problems.append(f"expected at least {field.min_items} items, got {len(value)}")
    if field.max_items is not None and len(value) > field.max_items:
        problems.append(f"expected at most {field.max_items} items, got {len(value)}")
    return problems


def _multi_choice(field: Field, value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        return [f"expected a list of options, got {describe(value)}"]
    problems = _items(field, value)
    for item in value:
        problems += [f"item {m}" for m in _choice(field, item)]
    if len({repr(v) for v in value}) != len(value):
        problems.append("options are listed more than once")
    return problems


def _list(field: Field, value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        return [f"expected a list, got {describe(value)}"]
    problems = _items(field, value)
    item_check = _CHECKERS.get(field.item_kind or Kind.TEXT, _text)
    for index, item in enumerate(value):
        problems += [f"item {index}: {m}" for m in item_check(field, item)]
    return problems


def _json(field: Field, value: Any) -> list[str]:
    if not isinstance(value, dict | list):
        return [f"expected a JSON object or list, got {describe(value)}"]
    if field.json_schema is None:
        return []
    validator = inner_validator(json.dumps(field.json_schema, sort_keys=True))
    return [
        f"{'/'.join(map(str, e.absolute_path)) or 'value'}: {e.message}"
        for e in validator.iter_errors(value)
    ]


@functools.lru_cache(maxsize=128)
def inner_validator(schema_text: str) -> Any:
    """A reusable validator (format checks on) for the inner JSON Schema of a JSON field."""
    import jsonschema  # noqa: PLC0415 - only fields with an inner JSON Schema need it

    schema = json.loads(schema_text)
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def _classes(field: Field, value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return [f"expected a list of class names, got {describe(value)}"]
    return _items(field, value)


def _class_mapping(field: Field, value: Any) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"expected a mapping from folder name to class, got {describe(value)}"]
    problems = []
    for folder, target in value.items():
        ok = isinstance(target, str) or (
            isinstance(target, list | tuple) and all(isinstance(t, str) for t in target)
        )
        if not isinstance(folder, str) or not ok:
            problems.append(
                f"{describe(folder)}: expected a class name or a list of class names, "
                f"got {describe(target)}"
            )
    return problems


def _secret(field: Field, value: Any) -> list[str]:
    if not isinstance(value, str):
        return ["expected text"]
    return [m.replace(describe(value), "the value") for m in _text(field, value)]


_CHECKERS: dict[Kind, Callable[[Field, Any], list[str]]] = {
    Kind.INTEGER: _integer,
    Kind.NUMBER: _number,
    Kind.TEXT: _text,
    Kind.BOOLEAN: _boolean,
    Kind.CHOICE: _choice,
    Kind.MULTI_CHOICE: _multi_choice,
    Kind.LIST: _list,
    Kind.JSON: _json,
    Kind.CLASSES: _classes,
    Kind.CLASS_MAPPING: _class_mapping,
    Kind.SECRET: _secret,
}


def value_problems(field: Field, value: Any) -> list[str]:
    """What is wrong with `value` as a value of `field` (empty when it is fine).

    ``None`` is accepted for a field that is not required (an optional setting).
    """
    if value is None:
        return ["a value is required"] if field.required else []
    return _CHECKERS[field.kind](field, value)


def list_item(f: Field) -> Field:
    """What each item of a list field is checked as: its item kind, with the list's own
    bounds, multiple, lengths and pattern (as `_list` checks items)."""
    return attrs.evolve(f, kind=f.item_kind or Kind.TEXT, item_kind=None, min_items=None,
                        max_items=None, visible_when=None)  # fmt: skip
