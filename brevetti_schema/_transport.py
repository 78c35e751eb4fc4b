"""Transport decoding and encoding: settings as the platform, argv and files carry them.

The platform form sends `isJson` fields as JSON text; argv and a hosted container's
hyperparameter file send every value as a string. Decoding turns each value into the
field's declared type; a value that does not decode is reported, never skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from ._model import Field, Kind

__all__ = ["NOT_SET", "DecodeError", "decode_value", "encode_value"]


class DecodeError(ValueError):
    """A transported value that cannot be read as the field's kind (message says why)."""


NOT_SET: Final = object()
"""Returned by `decode_value` for ``""``: the setting counts as not given."""

_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def _integer(field: Field, text: str) -> Any:
    try:
        return int(text.strip())
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise DecodeError(f"expected an integer, got {_shown(text)}") from None
    if number.is_integer():
        return int(number)
    raise DecodeError(f"expected an integer, got {_shown(text)}")


def _number(field: Field, text: str) -> Any:
    try:
        return float(text) if any(c in text for c in ".eEnN") else int(text)
    except ValueError:
        raise DecodeError(f"expected a number, got {_shown(text)}") from None


def _boolean(field: Field, text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise DecodeError(f"expected true/false (or 1/0, yes/no), got {_shown(text)}")


def _json(field: Field, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"expected JSON text, {exc.msg} at character {exc.pos}") from None


def _choice(field: Field, text: str) -> Any:
    for option in field.options:
        if isinstance(option.value, str) and option.value == text:
            return text
    for option in field.options:
        if not isinstance(option.value, str) and _encode_json(option.value) == text.strip():
            return option.value
    if field.json_transport:
        return _json(field, text)
    return text


def _list_items(field: Field, text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith("["):
        return _json(field, text)
    # a plain comma-separated list, as people type on a command line
    item = Field(field.item_kind or Kind.TEXT, field.key, field.label)
    parts = [p.strip() for p in stripped.split(",")] if stripped else []
    return [_DECODERS[item.kind](item, p) for p in parts]


def _multi_choice(field: Field, text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith("["):
        return _json(field, text)
    return [_choice(field, p.strip()) for p in stripped.split(",")] if stripped else []


def _text(field: Field, text: str) -> Any:
    return text


_DECODERS: dict[Kind, Callable[[Field, str], Any]] = {
    Kind.INTEGER: _integer,
    Kind.NUMBER: _number,
    Kind.TEXT: _text,
    Kind.SECRET: _text,
    Kind.BOOLEAN: _boolean,
    Kind.CHOICE: _choice,
    Kind.MULTI_CHOICE: _multi_choice,
    Kind.LIST: _list_items,
    Kind.JSON: _json,
    Kind.CLASSES: _list_items,
    Kind.CLASS_MAPPING: _json,
}


def decode_value(field: Field, value: Any) -> Any:
    """A transported value as the field's kind; `NOT_SET` for ``""`` on non-text kinds.

    Non-string values pass through unchanged (validation judges them later).
    """
    if not isinstance(value, str):
        return value
    if value == "" and field.kind not in (Kind.TEXT, Kind.SECRET):
        return NOT_SET
    return _DECODERS[field.kind](field, value)


def _encode_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def encode_value(field: Field, value: Any) -> Any:
    """A decoded value in the form the platform form sends (JSON text for `isJson`)."""
    if value is None:
        # JSON null: "" would read back as empty text (text) or "not set" (other kinds)
        return None
    if field.json_transport:
        return _encode_json(value)
    if isinstance(value, tuple):
        return list(value)
    return value
