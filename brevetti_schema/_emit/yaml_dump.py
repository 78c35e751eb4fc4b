"""The model written as YAML in the authoring format (what ``convert`` writes).

Deterministic and meant to be read: options in a fixed order, a label only where it
differs from the one the key implies, short lists of scalars inline, everything else in
block style. Loading the text gives back an equal model; presentation details kept from
a legacy document (`ui_extra`, `ui_omit`) travel as ``ui`` and ``ui_omit``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

import attrs
import yaml

from .._kinds.checks import check_schema
from .._model.conditions import condition_to_data
from .._model.equality import same_value
from .._model.nodes import (
    MISSING,
    Field,
    Heading,
    Kind,
    Node,
    Option,
    Schema,
    Section,
    derive_label,
)
from .._model.trees import plain_copy
from .format_schema import CORE_SCALARS, FIELD_OPTIONS, KIND_OPTIONS

__all__ = ["dump_schema_yaml", "schema_document"]

_FLOW_WIDTH: Final = 60
"""Longest list of scalars (as written) that stays on one line."""


class _Dumper(yaml.SafeDumper):
    """A safe dumper that indents block lists and quotes any text YAML 1.1 or 1.2 reads
    as something else."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


for _name, _pattern, _first in CORE_SCALARS:
    _Dumper.add_implicit_resolver(f"tag:yaml.org,2002:{_name}", re.compile(_pattern), list(_first))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    inline = (
        all(_is_scalar(v) and not (isinstance(v, str) and "\n" in v) for v in data)
        and len(json.dumps(data, ensure_ascii=False)) <= _FLOW_WIDTH
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=inline)


_UNICODE_BREAKS: Final = re.compile("[\x85\u2028\u2029]")
"""Characters YAML reads as line breaks although they are not ``\\n``."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if _UNICODE_BREAKS.search(data):
        style: str | None = '"'  # only double quotes escape them; other styles fold them
    else:
        style = "|" if "\n" in data.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def _options(options: tuple[Option, ...]) -> Any:
    labels = [o.label for o in options]
    if all(label is None for label in labels):
        return [o.value for o in options]
    if all(label is not None for label in labels) and all(
        isinstance(o.value, str) for o in options
    ):
        return {o.value: o.label for o in options}
    return [o.value if o.label is None else {"value": o.value, "label": o.label} for o in options]


_TO_DATA: Final[dict[str, Callable[[Any], Any]]] = {
    "options": _options,
    "of": lambda kind: kind.value,
    "visible_when": condition_to_data,
    "ui": dict,
    "ui_omit": list,
}
"""Option name -> how a model value is written, where it is not plain data already."""

_FIELD_DEFAULTS: Final = attrs.asdict(Field(Kind.TEXT, "key", "Key"), recurse=False)
"""Each attribute's value in a field that declares nothing beyond its kind and key."""


def _field(key: str, field: Field) -> dict[str, Any]:
    """A field's declaration: the options whose values differ from the model defaults."""
    out: dict[str, Any] = {"type": field.kind.value}
    allowed = KIND_OPTIONS[field.kind]
    for name, option in FIELD_OPTIONS.items():
        value = getattr(field, option.attr)
        if name == "label":
            keep = value != derive_label(key)
        elif name == "default":
            keep = value is not MISSING
        elif name == "of":
            keep = field.kind is Kind.LIST or value is not None
        elif name == "multiline" and name in allowed:
            keep = value or field.rows is not None  # rows alone would imply multiline
        else:
            keep = not same_value(value, _FIELD_DEFAULTS[option.attr])
        if keep or (name not in allowed and not same_value(value, _FIELD_DEFAULTS[option.attr])):
            out[name] = _TO_DATA.get(name, plain_copy)(value)
    return out


def _section(key: str, section: Section) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "section"}
    if section.label != derive_label(key):
        out["label"] = section.label
    if section.help is not None:
        out["help"] = section.help
    if section.advanced:
        out["advanced"] = True
    if section.visible_when is not None:
        out["visible_when"] = condition_to_data(section.visible_when)
    if not section.header:
        out["header"] = False
    if section.ui_extra:
        out["ui"] = plain_copy(section.ui_extra)
    out["fields"] = _entries(section.children)
    return out


def _heading(key: str, heading: Heading) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "heading"}
    if heading.label != derive_label(key):
        out["label"] = heading.label
    if heading.help is not None:
        out["help"] = heading.help
    if heading.ui_extra:
        out["ui"] = plain_copy(heading.ui_extra)
    return out


def _heading_key(label: str, taken: set[str]) -> str:
    """A key for a heading, from its label, that no sibling uses."""
    slug = re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_") or "heading"
    candidates = [slug, f"{slug}_heading"]
    candidates += (f"{slug}_heading_{n}" for n in range(2, len(taken) + 3))
    key = next(c for c in candidates if c not in taken)
    taken.add(key)
    return key


def _entries(nodes: tuple[Node, ...]) -> dict[str, Any]:
    taken = {node.key for node in nodes if not isinstance(node, Heading)}
    out: dict[str, Any] = {}
    for node in nodes:
        if isinstance(node, Heading):
            key = _heading_key(node.label, taken)
            entry = _heading(key, node)
        elif isinstance(node, Section):
            key, entry = node.key, _section(node.key, node)
        else:
            key, entry = node.key, _field(node.key, node)
        out[key] = entry["type"] if len(entry) == 1 else entry
    return out


def dump_schema_yaml(schema: Schema) -> str:
    """The schema as YAML in the authoring format; loading it gives an equal model."""
    return yaml.dump(
        schema_document(schema),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=88,
    )


def schema_document(schema: Schema) -> dict[str, Any]:
    """The schema as authoring-format data (what `dump_schema_yaml` writes as YAML)."""
    document: dict[str, Any] = {}
    if schema.title is not None:
        document["title"] = schema.title
    if any(p.severity == "error" for p in check_schema(schema)):
        document["lenient"] = True  # a legacy document: its defaults break their constraints
    if schema.children:
        document["fields"] = _entries(schema.children)
    if schema.presets:
        document["presets"] = plain_copy(schema.presets)
    return document
