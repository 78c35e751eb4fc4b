"""``integer``: a whole number, with bounds and a multiple."""

from __future__ import annotations

from typing import Any

from .._model.nodes import Field, Kind
from . import _shared as s
from ._spec import Consts, DecodeError, Fragment, Issue, KindSpec, UIPart, UIRecord


def check(field: Field, value: Any) -> list[Issue]:
    """An integer (not a boolean) within the bounds."""
    if value.__class__ is int and -s.LARGEST_NUMBER <= value <= s.LARGEST_NUMBER:
        return s.check_bounds(field, value)
    if not isinstance(value, int) or isinstance(value, bool):  # `is_int`, inline
        return [("not_an_integer", s.got("an integer", value), ())]
    if abs(value) > s.LARGEST_NUMBER:
        return s.too_large(value)
    return s.check_bounds(field, value)


def decode(field: Field, text: str) -> Any:
    """``"3"`` and ``"3.0"`` are 3; ``"3.5"`` is refused."""
    try:
        return int(text.strip())
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise DecodeError(f"expected an integer, got {s.shown(text)}", "not_an_integer") from None
    if number.is_integer():
        return int(number)
    raise DecodeError(f"expected an integer, got {s.shown(text)}", "not_an_integer")


def json_schema(field: Field, path: str) -> Fragment:
    return s.json_bounds(field, {"type": "integer"})


def ui_part(field: Field) -> UIPart:
    head = s.number_head(field)
    s.put(head, "step", field.step)
    return UIPart(head, frozenset({"minimum", "maximum", "step"}), ("integer",))


def fast_test(c: Consts, f: Field, g: str) -> str:
    return s.fast_number(f, g, integer=True)


def structure(value: Any, _: Any) -> int:
    """The settings classes' hook: a decoded value as the type it is held as."""
    if value.__class__ is int:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__}")


SPEC = KindSpec(
    kind=Kind.INTEGER,
    options=s.BOUNDS,
    check=check,
    decode=decode,
    encode=s.encode_plain,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=s.read_numeric,
    ui_records=(UIRecord("input", s.NUMBER_INPUTS, fits=s.integral_record),),
    python_type=lambda f: int,
    type_name="int",
    misfit=s.misfit_unless((int, float), "int", refuse_bool=True),  # an int fits a float (PEP 484),
    fast_test=fast_test,
    convert=s.same_value,
    help="A whole number.",
    allowed=s.allowed_range,
    annotation=int,
    structure=structure,
)
