"""``class_mapping``: dataset folder name to a class name or a list of them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._model.frozen import FrozenDict, FrozenList
from .._model.nodes import Field, Kind
from . import _shared as s
from ._spec import Consts, Fragment, Issue, KindSpec, RecordReading, UIPart

CLASS_MAPPING_TYPE: Final[Any] = FrozenDict[str, str | FrozenList[str]]
"""The type of a class mapping's value: folder name to a class or classes, read-only yet
a `dict` (and its lists `list`s), so it goes to JSON, YAML and libraries as it is."""


def check(field: Field, value: Any) -> list[Issue]:
    """A mapping of texts to a text or a list of texts."""
    if not isinstance(value, Mapping):
        return [("not_a_class_mapping", s.got("a mapping", value), ())]
    issues: list[Issue] = []
    for folder, target in value.items():
        where = (str(folder),)
        if isinstance(target, list | tuple):
            for index, item in enumerate(target):
                if not isinstance(item, str):
                    issues.append(("not_text", s.got("text", item), (*where, index)))
        elif not isinstance(target, str):
            issues.append(("not_a_class_name", s.got("text or a list", target), where))
    return issues


def json_schema(field: Field, path: str) -> Fragment:
    target = {"type": ["string", "array"], "items": {"type": "string"}}
    return {"type": "object", "additionalProperties": target}


def ui_part(field: Field) -> UIPart:
    head = s.text_area_head(field, hint=s.CLASS_MAPPING_HINT)
    head["isJson"] = True
    return UIPart(
        head, frozenset({"rows"}), s.required_validator(field), {"criterionType": "class_mapping"}
    )


def ui_read(read: RecordReading) -> dict[str, Any]:
    spec = s.read_area_rows(read)
    hint = read.text("hint")
    spec["hint"] = None if hint == s.CLASS_MAPPING_HINT else hint
    return spec


def fast_test(c: Consts, f: Field, g: str) -> str:
    # list comprehensions: cheaper than all() over generators for a few items
    return (
        f"{g}.__class__ is dict and not [0 for _k, _x in {g}.items() if _k.__class__ is not str "
        f"or _x.__class__ is not str and (_x.__class__ is not list "
        f"or [0 for _y in _x if _y.__class__ is not str])]"
    )


def convert(c: Consts, f: Field, g: str) -> str:
    frozen = c.const(_frozen_mapping)
    return f"{frozen}({g})"


def _frozen_mapping(value: Mapping[str, Any]) -> Any:
    return FrozenDict({k: FrozenList(v) if isinstance(v, list) else v for k, v in value.items()})


SPEC = KindSpec(
    kind=Kind.CLASS_MAPPING,
    options=frozenset({"rows"}),
    check=check,
    decode=s.decode_json,
    encode=s.encode_json_text,
    json_schema=json_schema,
    ui_part=ui_part,
    ui_read=ui_read,
    ui_records=s.text_records(criterion="class_mapping"),
    python_type=lambda f: CLASS_MAPPING_TYPE,
    type_name="Mapping",
    misfit=s.misfit_unless(s.MAPPING_HOLDERS, "a mapping"),
    fast_test=fast_test,
    convert=convert,
    help="A mapping from dataset folder name to a class name or a list of them.",
)
