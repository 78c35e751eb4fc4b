"""Transport decoding and encoding: settings as the platform, argv and files carry them.

The platform form sends `isJson` fields as JSON text; argv and a hosted container's
hyperparameter file send every value as a string. Decoding turns each value into the
field's declared type (each kind's own `decode`); a value that does not decode
is reported, never skipped.
"""

from __future__ import annotations

from typing import Any, Final

from .._model.nodes import Field, Kind
from . import spec
from ._spec import DecodeError

__all__ = ["NOT_SET", "DecodeError", "decode_value", "encode_value"]


NOT_SET: Final = object()
"""Returned by `decode_value` for ``""``: the setting counts as not given."""


def decode_value(field: Field, value: Any) -> Any:
    """A transported value as the field's kind; `NOT_SET` for ``""`` on non-text kinds.

    Non-string values pass through unchanged (validation judges them later).
    """
    if not isinstance(value, str):
        return value
    if value == "" and field.kind not in (Kind.TEXT, Kind.SECRET):
        return NOT_SET
    return spec(field.kind).decode(field, value)


def encode_value(field: Field, value: Any) -> Any:
    """A decoded value in the form the platform form sends (JSON text for `isJson`)."""
    if value is None:
        # JSON null: "" would read back as empty text (text) or "not set" (other kinds)
        return None
    return spec(field.kind).encode(field, value)
