"""Platform UI JSON back end: the vue-form-generator document the platform renders.

Each kind's spec (`_kinds`) gives the kind's own keys; `field_record` wraps them
in the common keys, in brevettiai's key order (kind keys, ``label``, ``model``,
``default``, ``required``, then pass-through keys). What no standard key can carry goes
in one extension key, ``"brevetti"``, present only when needed. A loaded legacy record's
``ui_extra``/``ui_omit`` are replayed last, so it comes out as it came in.
See ``docs/platform-ui.md`` for the exact shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from .._kinds import spec
from .._kinds._shared import CLASS_MAPPING_HINT
from .._kinds._transport import encode_in_record
from .._model.conditions import condition_to_data
from .._model.nodes import Field, Heading, Kind, Node, Schema, Section
from .._model.trees import plain_copy

__all__ = [
    "CLASS_MAPPING_HINT",
    "EXTENSION_ATTRIBUTES",
    "EXTENSION_KEY",
    "dump_platform_ui",
    "emit_platform_ui",
    "field_record",
    "heading_record",
    "json_text",
    "section_record",
    "trailing_headings",
]

EXTENSION_KEY: Final = "brevetti"
"""The one record key holding what the standard vue-form-generator keys cannot carry."""


EXTENSION_ATTRIBUTES: Final = (
    "unit",
    "minimum",
    "maximum",
    "exclusive_minimum",
    "exclusive_maximum",
    "step",
    "multiple_of",
    "multiline",
    "rows",
    "min_length",
    "max_length",
    "pattern",
    "item_kind",
    "min_items",
    "max_items",
    "json_schema",
)
"""Field attributes that go in the extension key when the kind's record has no key for them."""


def _put(record: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        record[key] = value


def _extension(field: Field, carried: frozenset[str]) -> dict[str, Any]:
    extension: dict[str, Any] = {}
    for name in EXTENSION_ATTRIBUTES:
        value = getattr(field, name)
        if name in carried or value is None or value is False:
            continue
        extension[name] = value.value if isinstance(value, Kind) else plain_copy(value)
    return extension


def _validator(names: tuple[str, ...]) -> str | list[str]:
    return names[0] if len(names) == 1 else list(names)


def field_record(field: Field, path: str, *, hidden: bool = False) -> dict[str, Any]:
    """The record of one field at dotted `path`; `hidden` when an enclosing section is."""
    part = spec(field.kind).ui_part(field)
    record = dict(part.head)
    record["label"] = field.label
    record["model"] = path
    if field.has_default:
        record["default"] = None  # placed here, encoded below once the final keys are known
    record["required"] = field.required
    record.update(part.tail)
    if part.validators:
        record["validator"] = _validator(part.validators)
    if field.advanced or hidden:
        record["visible"] = False
    for key in ("help", "hint", "placeholder"):
        if key not in record:
            _put(record, key, getattr(field, key))
    if field.readonly:
        record["readonly"] = True
    if field.visible_when is not None:
        record["visibleWhen"] = condition_to_data(field.visible_when)
    extension = _extension(field, part.carried)
    if hidden and field.advanced:
        extension["advanced"] = True
    if extension:
        record[EXTENSION_KEY] = extension
    record.update(plain_copy(field.ui_extra))
    if field.has_default and "default" not in field.ui_extra:
        record["default"] = encode_in_record(field, record, field.default)
    for key in field.ui_omit:
        record.pop(key, None)
    return record


def section_record(section: Section, path: str, *, hidden: bool = False) -> dict[str, Any]:
    """The header record (a label with ``tag``) that opens a section's group."""
    record: dict[str, Any] = {"type": "label", "label": section.label, "tag": path}
    _put(record, "help", section.help)
    if section.advanced or hidden:
        record["visible"] = False
    if section.visible_when is not None:
        record["visibleWhen"] = condition_to_data(section.visible_when)
    if hidden and section.advanced:
        record[EXTENSION_KEY] = {"advanced": True}
    record.update(plain_copy(section.ui_extra))
    return record


def heading_record(
    heading: Heading, *, hidden: bool = False, section: str | None = None
) -> dict[str, Any]:
    """The label record of a heading; `section` marks a heading that ends its section."""
    record: dict[str, Any] = {"type": "label", "label": heading.label}
    _put(record, "help", heading.help)
    if hidden:
        record["visible"] = False
    if section:
        record[EXTENSION_KEY] = {"section": section}
    record.update(plain_copy(heading.ui_extra))
    return record


def trailing_headings(is_heading: Sequence[bool]) -> list[bool]:
    """For each sibling, whether only headings follow it.

    A loader places a heading by the records around it; one that ends a section would
    land after the section, so its record names the section it belongs to.
    """
    trailing = [False] * len(is_heading)
    only_headings = True
    for index in range(len(is_heading) - 1, -1, -1):
        trailing[index] = only_headings
        only_headings = only_headings and is_heading[index]
    return trailing


@attrs.define
class _Emitter:
    records: list[dict[str, Any]] = attrs.field(factory=list)
    fields: dict[str, tuple[Field, dict[str, Any]]] = attrs.field(factory=dict)
    sections: set[str] = attrs.field(factory=set)

    def nodes(self, nodes: tuple[Node, ...], prefix: str, hidden: bool) -> None:
        trailing = trailing_headings([isinstance(node, Heading) for node in nodes])
        for index, node in enumerate(nodes):
            if isinstance(node, Heading):
                marker = prefix[:-1] if prefix and trailing[index] else None
                self.records.append(heading_record(node, hidden=hidden, section=marker))
            elif isinstance(node, Section):
                path = prefix + node.key
                self.sections.add(path)
                if node.header:
                    self.records.append(section_record(node, path, hidden=hidden))
                self.nodes(node.children, path + ".", hidden or node.advanced)
            else:
                path = prefix + node.key
                record = field_record(node, path, hidden=hidden)
                self.fields[path] = (node, record)
                self.records.append(record)

    def preset(self, tree: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in tree.items():
            path = prefix + key
            if path in self.fields:
                field, record = self.fields[path]
                result[key] = encode_in_record(field, record, value, preset=True)
            elif path in self.sections and isinstance(value, Mapping):
                result[key] = self.preset(value, path + ".")
            else:
                result[key] = plain_copy(value)
        return result


def emit_platform_ui(schema: Schema) -> dict[str, Any]:
    """The platform UI JSON document of a schema: ``{"fields": [...], "presets": {...}}``."""
    emitter = _Emitter()
    emitter.nodes(schema.children, "", False)
    document: dict[str, Any] = {
        "fields": emitter.records,
        "presets": {name: emitter.preset(tree, "") for name, tree in schema.presets.items()},
    }
    if schema.title is not None:
        document["title"] = schema.title
    return document


def dump_platform_ui(schema: Schema) -> str:
    """The document as deterministic JSON text (indent 2, UTF-8 as is, final newline)."""
    return json_text(emit_platform_ui(schema))


def json_text(document: Mapping[str, Any] | Iterable[Any]) -> str:
    """Deterministic JSON text of a document."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
