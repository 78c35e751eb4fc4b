"""``boolean``: a checkbox, true or false."""

from __future__ import annotations

from typing import Any, Final

from .._model.nodes import Field, Kind
from . import _shared as s
from ._spec import Consts, DecodeError, Fragment, Issue, KindSpec, UIPart, UIRecord

_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


def check(field: Field, value: Any) -> list[Issue]:
    """True or false (not 0 or 1)."""
    if isinstance(value, bool):
        return []
    return [("not_a_boolean", s.got("true or false", value), ())]


def decode(field: Field, text: str) -> Any:
    """true/false, 1/0, yes/no, on/off in any case."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    message = f"expected true/false (or 1/0, yes/no), got {s.shown(text)}"
    raise DecodeError(message, "not_a_boolean")


def json_schema(field: Field, path: str) -> Fragment:
    return {"type": "boolean"}


def ui_part(field: Field) -> UIPart:
    return UIPart({"type": "checkbox"}, validators=s.required_validator(field))


def fast_test(c: Consts, f: Field, g: str) -> str:
    return f"{g}.__class__ is bool"


def structure(value: Any, _: Any) -> bool:
    """The settings classes' hook: a decoded value as the type it is held as."""
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected true or false, got {type(value).__name__}")


SPEC = KindSpec(
    kind=Kind.BOOLEAN,
    options=frozenset(),
    check=check,
    decode=decode,
    encode=s.encode_plain,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=s.read_nothing,
    ui_records=(UIRecord("checkbox"), UIRecord("switch")),
    python_type=lambda f: bool,
    type_name="bool",
    misfit=s.misfit_unless((bool,), "bool"),
    fast_test=fast_test,
    convert=s.same_value,
    help="A checkbox: true or false.",
    annotation=bool,
    structure=structure,
)
