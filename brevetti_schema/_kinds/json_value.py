"""``json``: a JSON object or list, optionally checked by an inner JSON Schema."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, Final

from .._model import cache
from .._model.equality import same_json
from .._model.nodes import Field, Kind
from .._model.trees import plain_copy
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

    from .._errors import SchemaError  # noqa: PLC0415

    schema = json.loads(schema_text)
    validator_class = jsonschema.validators.validator_for(schema)
    try:  # the whole metaschema; the build-time check looked at the keywords' shapes
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        message = f"json_schema is not a valid JSON Schema: {exc.message}"
        raise SchemaError.single("", message) from None
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


_TYPES: Final = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})
_SUBSCHEMA: Final = ("not", "if", "then", "else", "items", "contains", "additionalProperties",
                     "propertyNames", "unevaluatedItems", "unevaluatedProperties")  # fmt: skip
_SUBSCHEMA_LISTS: Final = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS: Final = ("properties", "patternProperties", "$defs", "definitions",
                          "dependentSchemas")  # fmt: skip
_NUMBERS: Final = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_COUNTS: Final = ("minLength", "maxLength", "minItems", "maxItems", "minProperties",
                  "maxProperties", "minContains", "maxContains")  # fmt: skip


def inner_schema_problems(schema: Any, where: str = "") -> list[str]:
    """What is wrong with the shape of an inner JSON Schema's keywords (without jsonschema,
    which is imported only when values are validated)."""
    here = where or "the schema"
    if isinstance(schema, bool):
        return []
    if not isinstance(schema, Mapping):
        return [f"{here} must be an object or a boolean"]
    problems: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not names or not all(isinstance(n, str) and n in _TYPES for n in names):
            problems.append(f"{here}: type {types!r} is not a JSON type (or a list of them)")
    for key in _SUBSCHEMA:
        if key in schema:
            problems += inner_schema_problems(schema[key], f"{where}/{key}")
    for key in _SUBSCHEMA_LISTS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, list) or (key != "prefixItems" and not value):
                problems.append(f"{here}: {key} must be a non-empty list of schemas")
                continue
            for index, item in enumerate(value):
                problems += inner_schema_problems(item, f"{where}/{key}/{index}")
    for key in _SUBSCHEMA_MAPS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, Mapping):
                problems.append(f"{here}: {key} must be an object of schemas")
                continue
            for name, item in value.items():
                problems += inner_schema_problems(item, f"{where}/{key}/{name}")
    for key in _NUMBERS:
        value = schema.get(key)
        if key in schema and (isinstance(value, bool) or not isinstance(value, int | float)):
            problems.append(f"{here}: {key} {value!r} is not a number")
    for key in _COUNTS:
        count: Any = schema.get(key)
        if key in schema and (not s.is_int(count) or count < 0):
            problems.append(f"{here}: {key} {count!r} is not a whole number >= 0")
    required = schema.get("required")
    if "required" in schema and (
        not isinstance(required, list) or not all(isinstance(r, str) for r in required)
    ):
        problems.append(f"{here}: required must be a list of property names")
    if "enum" in schema and not isinstance(schema["enum"], list):
        problems.append(f"{here}: enum must be a list")
    if "pattern" in schema and s.compiled_pattern(schema["pattern"]) is None:
        problems.append(f"{here}: pattern {schema['pattern']!r} is not a regular expression")
    return problems


def validator_of(field: Field) -> Any:
    """The inner validator of a field with a JSON Schema."""
    return inner_validator(json.dumps(field.json_schema, sort_keys=True))


def check_shape(field: Field, value: Any) -> list[Issue]:
    """A dict or a list (the inner JSON Schema aside)."""
    if not isinstance(value, dict | list):
        return [("not_json", s.got("a mapping or a list", value), ())]
    problem = s.json_value_problem(value)
    if problem is not None:
        return [("not_plain_json", problem, ())]
    return []


def check(field: Field, value: Any) -> list[Issue]:
    """A dict or a list, satisfying the inner JSON Schema when there is one."""
    shape = check_shape(field, value)
    if shape or field.json_schema is None:
        return shape
    return [
        ("json_schema", _worded(error), tuple(error.absolute_path))
        for top in validator_of(field).iter_errors(value)
        for error in _leaves(top)
    ]


def _leaves(error: Any) -> Any:
    """The most specific errors: into allOf and if/then wrappers, not into oneOf."""
    if error.context and str(error.validator) in ("allOf", "then", "if"):
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


_TYPE_WORDS: Final = {
    "integer": "an integer", "number": "a number", "string": "text",
    "boolean": "true or false", "array": "a list", "object": "a mapping", "null": "nothing",
}  # fmt: skip


def _type_words(value: Any) -> str:
    names = [value] if isinstance(value, str) else list(value)
    return " or ".join(_TYPE_WORDS.get(n, n) for n in names if n != "null") or "nothing"


_WORDS: Final[dict[str, Any]] = {
    "type": lambda g, v: f"expected {_type_words(v)}, got {g}",
    "minimum": lambda g, v: f"{g} is below the minimum {v}",
    "maximum": lambda g, v: f"{g} is above the maximum {v}",
    "exclusiveMinimum": lambda g, v: f"{g} must be greater than {v}",
    "exclusiveMaximum": lambda g, v: f"{g} must be less than {v}",
    "multipleOf": lambda g, v: f"{g} is not a multiple of {v}",
    "minLength": lambda g, v: f"text is shorter than {v} characters",
    "maxLength": lambda g, v: f"text is longer than {v} characters",
    "pattern": lambda g, v: f"{g} does not match the pattern {v!r}",
    "enum": lambda g, v: f"{g} is not one of the options",
    "const": lambda g, v: f"{g} is not one of the options",
    "minItems": lambda g, v: f"expected at least {v} items",
    "maxItems": lambda g, v: f"expected at most {v} items",
    "uniqueItems": lambda g, v: "items are listed more than once",
    "format": lambda g, v: f"{g} is not a valid {v}",
}
"""Words for an inner JSON Schema's errors, as the form preview words them too."""


def _worded(error: Any) -> str:
    render = _WORDS.get(str(error.validator))
    if str(error.validator) in ("minItems", "maxItems") and isinstance(error.instance, list):
        return f"{render(None, error.validator_value)}, got {len(error.instance)}"  # type: ignore[misc]
    if render is None:
        return str(error.message)
    return str(render(s.describe(error.instance), error.validator_value))


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
    plain = c.const(s.is_plain_json)
    typed = f"({g}.__class__ is dict or {g}.__class__ is list) and (not {g} or {plain}({g}))"
    if f.json_schema is None:
        return typed
    return f"{typed} and {c.const(_lazy_is_valid(f))}({g})"


def _lazy_is_valid(f: Field) -> Any:
    """``is_valid`` of the inner validator, made (and jsonschema imported) on first use.

    Whether the declared default is valid is asked of the compile cache first, so a job
    that starts with the default does not import jsonschema once the verdict is cached.
    """
    made: list[Any] = []
    empty: dict[type, bool] = {}  # the usual value is an empty one: decided once
    default: list[bool] = []  # the default's verdict, once known
    material = _verdict_material(f)

    def inner(value: Any) -> bool:
        if not made:
            made.append(validator_of(f))
        return bool(made[0].is_valid(value))

    def judged(value: Any) -> bool:
        if material is None or not same_json(value, f.default):
            return inner(value)
        if not default:
            cached = cache.known(material)
            valid = cached or inner(value)
            if valid and not cached:
                cache.remember(material)
            default.append(valid)
        return default[0]

    def is_valid(value: Any) -> bool:
        if not value:
            known = empty.get(value.__class__)
            if known is None:
                known = empty[value.__class__] = judged(value)
            return known
        return judged(value)

    return is_valid


def _verdict_material(f: Field) -> str | None:
    """What the cached verdict on a field's default is made from; None when it may not be
    cached: no default, or an inner schema with ``format`` (whose checks depend on what
    else is installed)."""
    if not f.has_default or not isinstance(f.default, dict | list):
        return None
    schema = json.dumps(f.json_schema, sort_keys=True)
    if '"format"' in schema:
        return None
    return f"{schema}\0{json.dumps(f.default, sort_keys=True)}"


def convert(c: Consts, f: Field, g: str) -> str:
    # the usual value, an empty one, copied without the walk (plain_copy's result)
    return f"([] if {g} == [] else {{}} if {g} == {{}} else {c.const(plain_copy)}({g}))"


SPEC = KindSpec(
    kind=Kind.JSON,
    options=frozenset({"json_schema", "rows"}),
    check=check,
    decode=s.decode_json,
    encode=s.encode_json_text,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=s.read_area_rows,
    ui_records=s.text_records(fits=lambda r, e: s.is_json_record(r) and "item_kind" not in e),
    python_type=lambda f: JSON_TYPE,
    type_name="dict",
    misfit=s.fits_anything,
    fast_test=fast_test,
    convert=convert,
    help="A JSON object or list, optionally checked by json_schema.",
)
