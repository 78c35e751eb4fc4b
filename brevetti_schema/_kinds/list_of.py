"""``list``: a list of one scalar kind (integer, number, text, boolean), item bounds apply."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Final

import attrs

from .._model.frozen import FrozenList
from .._model.nodes import Field, Kind
from . import _shared as s
from . import boolean, integer, number, text
from ._spec import Consts, Fragment, Issue, KindSpec, UIPart

ITEM_SPECS: MappingProxyType[Kind, KindSpec] = MappingProxyType(
    {spec.kind: spec for spec in (integer.SPEC, number.SPEC, text.SPEC, boolean.SPEC)}
)
"""The kinds a list may hold, each with its spec (its items are checked as it says)."""

LIST_ITEM_KINDS: Final = frozenset(ITEM_SPECS)
"""The kinds a list may hold (the authoring format's ``of:``)."""


def item_field(f: Field) -> Field:
    """What each item of a list field is checked as: its item kind, with the list's own
    bounds, multiple, lengths and pattern."""
    return attrs.evolve(f, kind=f.item_kind or Kind.TEXT, item_kind=None, min_items=None,
                        max_items=None, visible_when=None)  # fmt: skip


def _item_spec(field: Field) -> KindSpec:
    return ITEM_SPECS.get(field.item_kind or Kind.TEXT, text.SPEC)


def check(field: Field, value: Any) -> list[Issue]:
    """A list within its item counts, each item valid as its item kind."""
    if not isinstance(value, list | tuple):
        return [("not_a_list", s.got("a list", value), ())]
    issues = s.check_items(field, value)
    item_check = _item_spec(field).check
    for index, item in enumerate(value):
        found = item_check(field, item)
        if found:
            issues += [(code, m, (index, *loc)) for code, m, loc in found]
    return issues


def decode(field: Field, text_: str) -> Any:
    """JSON text of a list, or items separated by commas (as people type on a command line)."""
    stripped = text_.strip()
    if stripped.startswith("["):
        return s.decode_json(field, text_)
    item = Field(field.item_kind or Kind.TEXT, field.key, field.label)
    decode_item = ITEM_SPECS.get(item.kind, text.SPEC).decode
    parts = [p.strip() for p in stripped.split(",")] if stripped else []
    return [decode_item(item, p) for p in parts]


def json_schema(field: Field, path: str) -> Fragment:
    return s.json_items(
        field, {"type": "array", "items": _item_spec(field).json_schema(field, path)}
    )


def ui_part(field: Field) -> UIPart:
    return s.json_line(field)


def python_type(field: Field) -> Any:
    return FrozenList[_item_spec(field).python_type(field)]  # type: ignore[misc]


def fast_test(c: Consts, f: Field, g: str) -> str:
    item = item_field(f)
    item_test = _item_spec(f).fast_test(c, item, "_x")
    return " and ".join(
        [
            f"{g}.__class__ is list",
            *s.fast_items(f, g),
            f"not [0 for _x in {g} if not ({item_test})]",
        ]
    )


def convert(c: Consts, f: Field, g: str) -> str:
    if f.item_kind is Kind.NUMBER:
        return f"{c.const(FrozenList)}([float(_x) for _x in {g}])"
    return s.to_frozen_list(c, f, g)


SPEC = KindSpec(
    kind=Kind.LIST,
    options=s.ITEMS | s.BOUNDS | {"item_kind"},
    check=check,
    decode=decode,
    encode=s.encode_json_text,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=s.read_nothing,
    ui_records=s.text_records(fits=lambda r, e: s.is_json_record(r) and "item_kind" in e),
    python_type=python_type,
    type_name="FrozenList",
    misfit=s.misfit_unless(s.SEQUENCE_HOLDERS, "a list"),
    fast_test=fast_test,
    convert=convert,
    help="A list of integers, numbers, texts or booleans (of).",
    allowed=s.allowed_range,
)
