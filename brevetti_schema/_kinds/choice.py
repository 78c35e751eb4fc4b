"""``choice``: one value out of options (each with an optional label)."""

from __future__ import annotations

import enum
import functools
import json
import operator
import typing
from collections.abc import Sequence
from types import NoneType
from typing import Any, Final, Literal

from .._model.nodes import Field, Kind
from . import _shared as s
from ._spec import Consts, Fragment, Issue, KindSpec, RecordReading, UIPart, UIRecord

_TYPE_ORDER: Final = (bool, int, float, str)


def check(field: Field, value: Any) -> list[Issue]:
    """One of the options."""
    return s.check_option(field, value)


def json_transport(field: Field) -> bool:
    """Whether the platform form edits and sends the value as JSON text: some option is
    not text (a select of text options sends the option itself)."""
    return any(not isinstance(o.value, str) for o in field.options)


def decode(field: Field, text: str) -> Any:
    """A text option as it is, another option by its JSON text."""
    for option in field.options:
        if isinstance(option.value, str) and option.value == text:
            return text
    for option in field.options:
        if not isinstance(option.value, str) and s.encode_json(option.value) == text.strip():
            return option.value
    if json_transport(field):
        return s.decode_json(field, text)
    return text


def encode(field: Field, value: Any) -> Any:
    return s.encode_json(value) if json_transport(field) else value


def json_schema(field: Field, path: str) -> Fragment:
    return s.json_options(field)


def ui_part(field: Field) -> UIPart:
    values: list[Any] = [
        json.dumps(o.value) if json_transport(field) else o.value for o in field.options
    ]
    if field.labelled_options:
        values = [{"id": v, "name": o.shown} for v, o in zip(values, field.options, strict=True)]
    head = {"type": "select", "values": values, "isJson": json_transport(field)}
    return UIPart(head, validators=s.required_validator(field))


def ui_read(read: RecordReading) -> dict[str, Any]:
    return {"options": read.options("id")}


def option_type(field: Field) -> Any:
    """The type of one option value (without ``None``, which the caller adds)."""
    values = [v for v in field.option_values() if v is not None]
    if not values:
        return NoneType
    if all(type(v) in (str, int, bool) for v in values):
        return Literal[tuple(values)]
    return functools.reduce(operator.or_, sorted({type(v) for v in values}, key=_TYPE_ORDER.index))


def fast_test(c: Consts, f: Field, g: str) -> str:
    kinds = {type(v) for v in f.option_values()}
    if len(kinds) == 1 and kinds <= {str, int}:  # one hashable class: a plain set lookup
        (kind,) = kinds
        options = c.const(frozenset(f.option_values()))
        return f"{g}.__class__ is {kind.__name__} and {g} in {options}"
    scalars = c.const(s.SCALAR_CLASSES)
    return f"{g}.__class__ in {scalars} and ({g}.__class__, {g}) in {c.const(s.option_table(f))}"


def misfit(field: Field, choices: Sequence[Any]) -> str | None:
    """Each option's value must be one an annotation admits (a Literal, an Enum, a type)."""
    values = [o.value for o in field.options if o.value is not None]
    missing = [v for v in values if not any(_holds(c, v) for c in choices)]
    if missing:
        return f"the choice's option {missing[0]!r} is not one of its values"
    return None


def _holds(annotation: Any, value: Any) -> bool:
    """Whether `annotation` (a Literal, an Enum or a plain type) admits the option `value`."""
    if typing.get_origin(annotation) is Literal:
        return value in typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return any(member.value == value for member in annotation)
    if isinstance(annotation, type):
        if isinstance(value, bool):
            return issubclass(annotation, bool)
        if isinstance(value, int) and issubclass(annotation, float):
            return True
        return isinstance(value, annotation)
    return False


SPEC = KindSpec(
    kind=Kind.CHOICE,
    options=frozenset({"options"}),
    check=check,
    decode=decode,
    encode=encode,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=ui_read,
    ui_records=(UIRecord("select"), UIRecord("radios")),
    python_type=option_type,
    type_name="Literal",
    misfit=misfit,
    fast_test=fast_test,
    convert=s.as_option,
    help="One value out of options.",
    allowed=s.allowed_options,
    decodes=json_transport,  # text options only: decoding gives the text back
)
