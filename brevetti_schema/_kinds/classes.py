"""``classes``: the list of class names a model predicts."""

from __future__ import annotations

from typing import Any

from .._model.frozen import FrozenList
from .._model.nodes import Field, Kind
from . import _shared as s
from ._spec import Consts, Fragment, Issue, KindSpec, UIPart
from .list_of import decode


def check(field: Field, value: Any) -> list[Issue]:
    """A list of texts within the item counts."""
    if not isinstance(value, list | tuple):
        return [("not_a_list", s.got("a list", value), ())]
    issues = s.check_items(field, value)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            issues.append(("not_text", s.got("text", item), (index,)))
    return issues


def json_schema(field: Field, path: str) -> Fragment:
    return s.json_items(field, {"type": "array", "items": {"type": "string"}})


def ui_part(field: Field) -> UIPart:
    part = s.json_line(field)
    part.tail["criterionType"] = "classes"
    return part


def fast_test(c: Consts, f: Field, g: str) -> str:
    strings = f"not [0 for _x in {g} if _x.__class__ is not str]"
    return " and ".join([f"{g}.__class__ is list", strings, *s.fast_items(f, g)])


SPEC = KindSpec(
    kind=Kind.CLASSES,
    options=s.ITEMS,
    check=check,
    decode=decode,
    encode=s.encode_json_text,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=s.read_nothing,
    ui_records=s.text_records(criterion="classes"),
    python_type=lambda f: FrozenList[str],
    type_name="FrozenList",
    misfit=s.misfit_unless(s.SEQUENCE_HOLDERS, "a list of str"),
    fast_test=fast_test,
    convert=s.to_frozen_list,
    help="The list of class names a model predicts.",
)
