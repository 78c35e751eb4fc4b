"""Transport decoding and encoding: settings as the platform, argv and files carry them.

The platform form sends `isJson` fields as JSON text; argv and a hosted container's
hyperparameter file send every value as a string. Decoding turns each value into the
field's declared type (each kind's own `decode`); a value that does not decode
is reported, never skipped.

Encoding has two forms, kept here side by side with their rules for ``None``:
`encode_value` for settings (what the form sends, read back exactly) and
`encode_in_record` for a value inside a form document (a UI record's default, a preset).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from .._model.nodes import Field, Kind
from .._model.trees import plain_copy
from . import spec
from ._spec import DecodeError

__all__ = ["NOT_SET", "DecodeError", "decode_value", "encode_in_record", "encode_value"]


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
    """A decoded value in the form the platform form sends (JSON text for `isJson`).

    ``None`` is JSON null: ``""`` would read back as empty text (text) or "not set"
    (other kinds), so settings written this way read back as they were.
    """
    if value is None:
        return None
    return spec(field.kind).encode(field, value)


# -- in a form document (a UI record's default, a preset) ---------------------------------
# The form's widgets hold their own model, so `None` there is the widget's empty state
# (an empty JSON box, or a select's "null" option), not JSON null as in settings.


def _is_json_text(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def encode_in_record(
    field: Field, record: Mapping[str, Any], value: Any, *, preset: bool = False
) -> Any:
    """`value` as `record` holds it: JSON text when ``isJson`` is true, else plain data.

    A `preset` value is compact JSON text in its own key order, as brevettiai writes
    presets (and its test suite asserts); a default is sorted (indented in a text area).

    ``None`` becomes ``""`` (an empty JSON box), or in a select ``"null"`` when ``None``
    is an option and ``null`` (nothing selected) when it is not. A select's legacy
    option text that is not JSON (brevettiai leaves such options unencoded) stays as is.
    """
    if record.get("isJson") is not True:
        return plain_copy(value)
    if value is None:
        if field.kind is not Kind.CHOICE:
            return ""
        return "null" if any(o.value is None for o in field.options) else None
    if (
        isinstance(value, str)
        and record.get("type") == "select"
        and value in (record.get("values") or ())
        and not _is_json_text(value)
    ):
        return value
    if preset:
        return json.dumps(plain_copy(value))
    indent = 2 if record.get("type") == "textArea" else None
    return json.dumps(plain_copy(value), sort_keys=True, indent=indent)
