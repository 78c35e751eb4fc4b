"""jsonschema as the authority that explains an invalid settings document.

Runs the emitted Draft 2020-12 schema (with format checking) over the document and turns
each error into ``(dotted path, plain message, value)``. Imported only when a document is
invalid, so valid runs never pay for jsonschema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jsonschema

from ._json_schema import emit_json_schema
from ._model import Field, Kind, Schema
from ._values import describe

__all__ = ["explain", "validator_for"]


def validator_for(schema: Schema) -> jsonschema.protocols.Validator:
    """The reusable validator of a schema (made once per schema object)."""
    return schema.memo("jsonschema_validator", _make_validator)


def _make_validator(schema: Schema) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(
        emit_json_schema(schema), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _options(field: Field | None) -> str:
    if field is None:
        return ""
    return " (" + ", ".join(describe(v) for v in field.option_values()) + ")"


def _message(error: jsonschema.ValidationError, field: Field | None) -> str:
    """A plain message; never echoes a secret's value."""
    keyword = str(error.validator)
    value = error.validator_value
    secret = field is not None and field.kind is Kind.SECRET
    given = "the value" if secret else describe(error.instance)
    render = _RENDER.get(keyword)
    if render is not None:
        return render(given, value, field)
    return error.message if not secret else f"the value is not valid ({keyword})"


_RENDER: dict[str, Callable[[str, Any, Field | None], str]] = {
    "type": lambda g, v, f: f"expected {_type_words(v)}, got {g}",
    "minimum": lambda g, v, f: f"{g} is below the minimum {v}",
    "maximum": lambda g, v, f: f"{g} is above the maximum {v}",
    "exclusiveMinimum": lambda g, v, f: f"{g} must be greater than {v}",
    "exclusiveMaximum": lambda g, v, f: f"{g} must be less than {v}",
    "multipleOf": lambda g, v, f: f"{g} is not a multiple of {v}",
    "minLength": lambda g, v, f: f"text is shorter than {v} characters",
    "maxLength": lambda g, v, f: f"text is longer than {v} characters",
    "pattern": lambda g, v, f: f"{g} does not match the pattern {v!r}",
    "enum": lambda g, v, f: f"{g} is not one of the options{_options(f)}",
    "const": lambda g, v, f: f"{g} is not one of the options{_options(f)}",
    "oneOf": lambda g, v, f: f"{g} is not one of the options{_options(f)}",
    "anyOf": lambda g, v, f: f"{g} is not an accepted value",
    "minItems": lambda g, v, f: f"expected at least {v} items",
    "maxItems": lambda g, v, f: f"expected at most {v} items",
    "uniqueItems": lambda g, v, f: "items are listed more than once",
    "format": lambda g, v, f: f"{g} is not a valid {v}",
}

_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}


def _type_words(value: Any) -> str:
    names = [value] if isinstance(value, str) else list(value)
    return " or ".join(_TYPE_WORDS.get(n, n) for n in names if n != "null") or "nothing"


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """The most specific errors: descend into if/then and allOf wrappers, not oneOf."""
    if error.context and str(error.validator) in ("allOf", "then", "if"):
        for sub in error.context:
            yield from _leaves(sub)
    elif error.context and str(error.validator) == "anyOf" and _nullable(error):
        # an optional value: `null` or the real schema; explain the real one
        for sub in error.context:
            if not (sub.validator == "type" and sub.validator_value == "null"):
                yield from _leaves(sub)
    else:
        yield error


def _nullable(error: jsonschema.ValidationError) -> bool:
    branches: Any = error.validator_value
    return isinstance(branches, list) and {"type": "null"} in branches


def explain(schema: Schema, tree: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every problem jsonschema finds, as ``(dotted path, message, value)``."""
    found: list[tuple[str, str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for top in validator_for(schema).iter_errors(tree):
        for error in _leaves(top):
            parts = [str(p) for p in error.absolute_path]
            if error.validator == "required":
                required: Any = error.validator_value
                instance: Any = error.instance
                missing = [k for k in required if k not in instance]
                for key in missing:
                    path = ".".join([*parts, key])
                    if (path, "required") not in seen:
                        seen.add((path, "required"))
                        found.append((path, "a value is required", None))
                continue
            field_path = _field_path(schema, parts)
            node = schema.find(field_path) if field_path else None
            field = node if isinstance(node, Field) else None
            path = ".".join(parts)
            message = _message(error, field)
            if field is not None and path != field_path:
                message = f"item {path[len(field_path) + 1 :]}: {message}"
            if (field_path or path, message) in seen:
                continue
            seen.add((field_path or path, message))
            found.append((field_path or path, message, error.instance))
    return found


def _field_path(schema: Schema, parts: list[str]) -> str:
    """The longest prefix of `parts` that names a field (item errors point inside one)."""
    for end in range(len(parts), 0, -1):
        path = ".".join(parts[:end])
        if isinstance(schema.find(path), Field):
            return path
    return ".".join(parts)
