"""``number``: a finite real number, with bounds and a multiple."""

from __future__ import annotations

from typing import Any

from .._model.nodes import Field, Kind
from . import _shared as s
from ._spec import Consts, DecodeError, Fragment, Issue, KindSpec, UIPart, UIRecord


def check(field: Field, value: Any) -> list[Issue]:
    """A finite number (not a boolean) within the bounds."""
    if value.__class__ is float and value - value == 0.0:  # finite: `is_number`
        return s.check_bounds(field, value)
    if s.is_int(value) and abs(value) > s.LARGEST_NUMBER:
        return s.too_large(value)
    if not s.is_number(value):
        finite = "a finite number" if isinstance(value, float) else "a number"
        return [("not_a_number", s.got(finite, value), ())]
    return s.check_bounds(field, value)


def decode(field: Field, text: str) -> Any:
    """``"3"`` is 3, ``"0.5"`` and ``"1e3"`` are floats."""
    try:
        return float(text) if any(c in text for c in ".eEnN") else int(text)
    except ValueError:
        raise DecodeError(f"expected a number, got {s.shown(text)}", "not_a_number") from None


def json_schema(field: Field, path: str) -> Fragment:
    return s.json_bounds(field, {"type": "number"})


def ui_part(field: Field) -> UIPart:
    head = s.number_head(field)
    head["step"] = field.step if field.step is not None else "any"
    return UIPart(head, frozenset({"minimum", "maximum", "step"}), ("number",))


def fast_test(c: Consts, f: Field, g: str) -> str:
    return s.fast_number(f, g, integer=False)


def convert(c: Consts, f: Field, g: str) -> str:
    return f"({g} if {g}.__class__ is float else float({g}))"


def structure(value: Any, _: Any) -> float:
    """The settings classes' hook: a decoded value as the type it is held as."""
    if value.__class__ is float:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


SPEC = KindSpec(
    kind=Kind.NUMBER,
    options=s.BOUNDS,
    check=check,
    decode=decode,
    encode=s.encode_plain,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=s.read_numeric,
    ui_records=(UIRecord("input", s.NUMBER_INPUTS, fits=lambda r, e: not s.integral_record(r, e)),),
    python_type=lambda f: float,
    type_name="float",
    misfit=s.misfit_unless((float,), "float", refuse_bool=True),
    fast_test=fast_test,
    convert=convert,
    help="A real number.",
    allowed=s.allowed_range,
    annotation=float,
    structure=structure,
)
