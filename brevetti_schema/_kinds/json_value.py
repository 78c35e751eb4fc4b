"""``json``: a JSON object or list, optionally checked by an inner JSON Schema."""

from __future__ import annotations

import functools
import json
from typing import Any, Final

from .._model import Field, Kind
from .._trees import plain_copy
from . import _shared as s
from ._spec import Consts, Fragment, Issue, KindSpec, UIPart

JSON_TYPE: Final[Any] = dict[str, Any] | list[Any]
"""The type of a JSON field's value."""

INNER_ID_PREFIX: Final = "urn:brevetti-schema:json-field:"
"""Base of the ``$id`` given to a JSON field's inner schema, so its ``$ref``s stay local."""


@functools.lru_cache(maxsize=128)
def inner_validator(schema_text: str) -> Any:
    """A reusable validator (format checks on) for the inner JSON Schema of a JSON field."""
    import jsonschema  # noqa: PLC0415 - only fields with an inner JSON Schema need it

    schema = json.loads(schema_text)
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def validator_of(field: Field) -> Any:
    """The inner validator of a field with a JSON Schema."""
    return inner_validator(json.dumps(field.json_schema, sort_keys=True))


def check(field: Field, value: Any) -> list[Issue]:
    """A dict or a list, satisfying the inner JSON Schema when there is one."""
    if not isinstance(value, dict | list):
        return [("not_json", f"expected a JSON object or list, got {s.describe(value)}", ())]
    if field.json_schema is None:
        return []
    return [
        ("json_schema", e.message, tuple(e.absolute_path))
        for e in validator_of(field).iter_errors(value)
    ]


def json_schema(field: Field, path: str) -> Fragment:
    fragment: Fragment = {"type": ["object", "array"]}
    if field.json_schema is not None:
        inner = plain_copy(field.json_schema)
        if "$id" not in inner:
            # its own resource: "#/..." references and "$schema" stay within it
            inner = {"$id": INNER_ID_PREFIX + path, **inner}
        fragment["allOf"] = [inner]
    return fragment


def ui_part(field: Field) -> UIPart:
    head = s.text_area_head(field)
    head["isJson"] = True
    return UIPart(head, frozenset({"rows"}), s.required_validator(field))


def fast_test(c: Consts, f: Field, g: str) -> str:
    typed = f"({g}.__class__ is dict or {g}.__class__ is list)"
    if f.json_schema is None:
        return typed
    return f"{typed} and {c.const(_lazy_is_valid(f))}({g})"


def _lazy_is_valid(f: Field) -> Any:
    """``is_valid`` of the inner validator, made (and jsonschema imported) on first use."""

    def is_valid(value: Any) -> bool:
        if not value:  # the usual value is an empty one
            return not list(validator_of(f).iter_errors(value))
        return bool(validator_of(f).is_valid(value))

    return is_valid


def convert(c: Consts, f: Field, g: str) -> str:
    return f"{c.const(plain_copy)}({g})"


SPEC = KindSpec(
    kind=Kind.JSON,
    options=frozenset({"json_schema", "rows"}),
    check=check,
    decode=s.decode_json,
    encode=s.encode_json_text,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=s.read_area_rows,
    python_type=lambda f: JSON_TYPE,
    type_name="dict",
    fast_test=fast_test,
    convert=convert,
    help="A JSON object or list, optionally checked by json_schema.",
)
