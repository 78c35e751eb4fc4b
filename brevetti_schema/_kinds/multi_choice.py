"""``multi_choice``: any subset of options, as a list."""

from __future__ import annotations

from typing import Any

from .._model.frozen import FrozenList
from .._model.nodes import Field, Kind
from . import _shared as s
from ._spec import Consts, Fragment, Issue, KindSpec, RecordReading, UIPart, UIRecord
from .choice import decode as decode_option
from .choice import option_type


def check(field: Field, value: Any) -> list[Issue]:
    """A list of distinct options within the item counts."""
    if not isinstance(value, list | tuple):
        return [("not_a_list", s.got("a list", value), ())]
    issues = s.check_items(field, value)
    for index, item in enumerate(value):
        issues += [(code, m, (index,)) for code, m, _ in s.check_option(field, item)]
    if len({repr(v) for v in value}) != len(value):
        issues.append(("duplicate_items", "items are listed more than once", ()))
    return issues


def decode(field: Field, text: str) -> Any:
    """JSON text of a list, or options separated by commas."""
    stripped = text.strip()
    if stripped.startswith("["):
        return s.decode_json(field, text)
    return [decode_option(field, p.strip()) for p in stripped.split(",")] if stripped else []


def json_schema(field: Field, path: str) -> Fragment:
    fragment = {"type": "array", "items": s.json_options(field), "uniqueItems": True}
    return s.json_items(field, fragment)


def ui_part(field: Field) -> UIPart:
    values: list[Any] = [o.value for o in field.options]
    if field.labelled_options:
        values = [{"value": o.value, "name": o.shown} for o in field.options]
    head = {"type": "checklist", "listbox": True, "listBox": True, "values": values}
    return UIPart(head, validators=s.required_validator(field))


def ui_read(read: RecordReading) -> dict[str, Any]:
    return {"options": read.options("value")}


def python_type(field: Field) -> Any:
    item = option_type(field)
    if None in field.option_values():
        item = item | None
    return FrozenList[item]  # type: ignore[valid-type]


def fast_test(c: Consts, f: Field, g: str) -> str:
    table = c.const(s.option_table(f))
    scalars = c.const(s.SCALAR_CLASSES)
    tests = [
        f"{g}.__class__ is list",
        f"not [0 for _x in {g} if _x.__class__ not in {scalars}"
        f" or (_x.__class__, _x) not in {table}]",
        f"len(set(map(repr, {g}))) == len({g})",
        *s.fast_items(f, g),
    ]
    return " and ".join(tests)


def convert(c: Consts, f: Field, g: str) -> str:
    """A `FrozenList` of the options the items are (`_shared.as_option`)."""
    item = s.as_option(c, f, "_x")
    if item == "_x":
        return s.to_frozen_list(c, f, g)
    return f"{c.const(FrozenList)}([{item} for _x in {g}])"


SPEC = KindSpec(
    kind=Kind.MULTI_CHOICE,
    options=s.ITEMS | {"options"},
    check=check,
    decode=decode,
    encode=s.encode_plain,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=ui_read,
    ui_records=(UIRecord("checklist"),),
    python_type=python_type,
    type_name="FrozenList",
    misfit=s.misfit_unless(s.SEQUENCE_HOLDERS, "a list"),
    fast_test=fast_test,
    convert=convert,
    help="Any subset of options.",
    allowed=s.allowed_options,
)
