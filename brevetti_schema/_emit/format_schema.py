"""The vocabulary of the YAML/JSON authoring format, and its JSON Schema for editors.

One table (`FIELD_OPTIONS`, `KIND_OPTIONS`, `SECTION_OPTIONS`, `HEADING_OPTIONS`)
names every option, the model attribute it sets, how its value is checked and what it
means; the loader, the dumper and `format_schema` all read it, so they cannot drift.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

from .._kinds import LIST_ITEM_KINDS, REGISTRY
from .._model.nodes import Kind, Option, derive_label, options_from
from .._model.rendering import describe_json

__all__ = [
    "CORE_SCALARS",
    "FIELD_OPTIONS",
    "HEADING_OPTIONS",
    "KIND_NAMES",
    "KIND_OPTIONS",
    "SECTION_OPTIONS",
    "TOP_LEVEL_KEYS",
    "OptionValueError",
    "YamlOption",
    "format_schema",
    "suggest",
]


CORE_SCALARS: Final = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
)
"""The YAML 1.2 core schema: which plain scalars are booleans, null, integers, floats."""


# -- the options and how each value is checked -----------------------------------------


class OptionValueError(Exception):
    """An option value has the wrong type or shape (message says what was expected)."""


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise OptionValueError(f"expected text, got {describe_json(value)}")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise OptionValueError(f"expected true or false, got {describe_json(value)}")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptionValueError(f"expected a number, got {describe_json(value)}")
    if not (abs(value) <= sys.float_info.max):  # NaN, infinities, and huge integers
        raise OptionValueError(
            f"expected a finite number within -1.8e308 to 1.8e308, got {describe_json(value)}"
        )
    return value


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise OptionValueError(f"expected a whole number >= 0, got {describe_json(value)}")


def _mapping(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise OptionValueError(f"expected a mapping, got {describe_json(value)}")


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise OptionValueError(f"expected a list of texts, got {describe_json(value)}")


def _item_kind(value: Any) -> Kind:
    names = sorted(k.value for k in LIST_ITEM_KINDS)
    if isinstance(value, str) and value in names:
        return Kind(value)
    raise OptionValueError(
        f"expected one of {', '.join(names)}, got {describe_json(value)}{suggest(value, names)}"
    )


def _options(value: Any) -> tuple[Option, ...]:
    if isinstance(value, dict):
        bad = [label for label in value.values() if not isinstance(label, str)]
        if bad:
            raise OptionValueError(f"option labels must be text, got {describe_json(bad[0])}")
        return tuple(Option(v, label) for v, label in value.items())
    if not isinstance(value, list):
        raise OptionValueError(
            f"expected a list of values or a mapping value -> label, got {describe_json(value)}"
        )
    for item in value:
        if isinstance(item, dict) and (
            "value" not in item
            or set(item) - {"value", "label"}
            or not isinstance(item.get("label", ""), str)
        ):
            raise OptionValueError(
                f"an option entry is {{value: ..., label: text}}, got {describe_json(item)}"
            )
        if isinstance(item, list):
            raise OptionValueError(f"an option must be a scalar value, got {describe_json(item)}")
    return options_from(value)


def _any(value: Any) -> Any:
    return value


def _condition(value: Any) -> Any:
    return value  # parsed by condition_from_data, whose problems are located separately


_SCALAR_JSON: Final = {"type": ["string", "number", "boolean", "null"]}
_CONDITION_JSON: Final = {"$ref": "#/$defs/condition"}


@attrs.frozen
class YamlOption:
    """One option of a declaration in the file: its name, model attribute and checks."""

    name: str
    attr: str
    parse: Callable[[Any], Any]
    json: Mapping[str, Any]
    description: str


_opt = YamlOption


_STR = {"type": ["string", "null"]}
_BOOL = {"type": "boolean"}
_NUM = {"type": ["number", "null"]}
_COUNT = {"type": ["integer", "null"], "minimum": 0}

FIELD_OPTIONS: Final[Mapping[str, YamlOption]] = {o.name: o for o in (
    _opt("of", "item_kind", _item_kind, {"enum": sorted(k.value for k in LIST_ITEM_KINDS)},
         "Kind of each item of a list (default: text)."),
    _opt("label", "label", _text, _STR, "Label shown in the form (default: derived from the key)."),
    _opt("help", "help", _text, _STR, "Help text shown beside the field."),
    _opt("hint", "hint", _text, _STR, "Short hint shown under the input."),
    _opt("placeholder", "placeholder", _text, _STR, "Placeholder text of an empty input."),
    _opt("unit", "unit", _text, _STR, "Unit of the value, e.g. px or s."),
    _opt("default", "default", _any, {}, "Default value; null declares 'not set' the default."),
    _opt("required", "required", _flag, _BOOL, "A value must be given (null is refused)."),
    _opt("advanced", "advanced", _flag, _BOOL, "Hidden unless advanced settings are shown."),
    _opt("readonly", "readonly", _flag, _BOOL, "Shown but not editable in the form."),
    _opt("min", "minimum", _number, _NUM, "Smallest allowed value (of each item of a list)."),
    _opt("max", "maximum", _number, _NUM, "Largest allowed value (of each item of a list)."),
    _opt("exclusive_min", "exclusive_minimum", _number, _NUM,
         "The value must be greater than this."),
    _opt("exclusive_max", "exclusive_maximum", _number, _NUM, "The value must be less than this."),
    _opt("step", "step", _number, _NUM, "Step of the number input's arrows."),
    _opt("multiple_of", "multiple_of", _number, _NUM, "The value must be a multiple of this."),
    _opt("multiline", "multiline", _flag, _BOOL,
         "Edit in a text area (implied by rows unless given)."),
    _opt("rows", "rows", _count, _COUNT, "Height of the text area in rows."),
    _opt("min_length", "min_length", _count, _COUNT, "Fewest characters allowed."),
    _opt("max_length", "max_length", _count, _COUNT, "Most characters allowed."),
    _opt("pattern", "pattern", _text, _STR, "Regular expression the text must contain a match of."),
    _opt("options", "options", _options, {"$ref": "#/$defs/options"},
         "Allowed values: a list of values, of {value, label}, or a mapping value -> label."),
    _opt("min_items", "min_items", _count, _COUNT, "Fewest items allowed."),
    _opt("max_items", "max_items", _count, _COUNT, "Most items allowed."),
    _opt("json_schema", "json_schema", _mapping, {"type": ["object", "null"]},
         "A JSON Schema the JSON value must satisfy."),
    _opt("visible_when", "visible_when", _condition, _CONDITION_JSON,
         "Active only when this condition on another field holds."),
    _opt("ui", "ui_extra", _mapping, {"type": "object"},
         "Extra keys for the platform UI record (kept from a converted legacy file)."),
    _opt("ui_omit", "ui_omit", _names, {"type": "array", "items": {"type": "string"}},
         "Derived platform UI keys to leave out (kept from a converted legacy file)."),
)}  # fmt: skip
"""Every option a field declaration may hold, in the order the dumper writes them."""

_COMMON = frozenset({"label", "help", "hint", "placeholder", "unit", "default", "required",
                     "advanced", "readonly", "visible_when", "ui", "ui_omit"})  # fmt: skip
_NAME_OF: Final = {o.attr: o.name for o in FIELD_OPTIONS.values()} | {"item_kind": "of"}

KIND_OPTIONS: Final[Mapping[Kind, frozenset[str]]] = {
    kind: _COMMON | {_NAME_OF[attribute] for attribute in spec.options}
    for kind, spec in REGISTRY.items()
}
"""Which options each field kind takes (besides ``type``): the kinds' own (`_kinds`)."""

SECTION_OPTIONS: Final[Mapping[str, YamlOption]] = {o.name: o for o in (
    FIELD_OPTIONS["label"],
    FIELD_OPTIONS["help"],
    FIELD_OPTIONS["advanced"],
    FIELD_OPTIONS["visible_when"],
    _opt("header", "header", _flag, _BOOL,
         "Show a header line for the section (false: a group implied by a legacy file)."),
    _opt("ui", "ui_extra", _mapping, {"type": "object"},
         "Extra keys for the platform UI header record (kept from a converted legacy file)."),
    _opt("fields", "children", _any, {"$ref": "#/$defs/fields"},
         "The section's fields, sections and headings, in order."),
)}  # fmt: skip
"""Options of a ``type: section`` entry."""

HEADING_OPTIONS: Final[Mapping[str, YamlOption]] = {o.name: o for o in (
    _opt("label", "label", _text, _STR, "The heading text (default: derived from the key)."),
    FIELD_OPTIONS["help"],
    _opt("ui", "ui_extra", _mapping, {"type": "object"},
         "Extra keys for the platform UI label record (kept from a converted legacy file)."),
)}  # fmt: skip
"""Options of a ``type: heading`` entry (its key names nothing in the settings)."""

TOP_LEVEL_KEYS: Final[Mapping[str, str]] = {
    "$schema": "The JSON Schema of this format, for editors; ignored when loading.",
    "title": "Title of the schema.",
    "lenient": "Accept defaults that break their own constraints, as warnings (legacy files).",
    "fields": "The fields, sections and headings, in order.",
    "presets": "Named partial settings trees: preset name -> {field key: value, ...}.",
}
"""The keys a document may hold at its top level."""

KIND_NAMES: Final = (*tuple(k.value for k in Kind), "section", "heading")
"""Every value ``type`` may take."""


def suggest(word: Any, choices: Iterable[str]) -> str:
    """A "did you mean" note for a misspelt name, or nothing."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# -- the JSON Schema of the format --------------------------------------------------------

_KIND_HELP: Final = {
    **{kind.value: spec.help for kind, spec in REGISTRY.items()},
    "section": "A nested group: settings[key] is an object of its fields.",
    "heading": "A header line in the form; its key names no setting.",
}
"""One line per value of ``type``, for editors and the documentation."""


def _property(option: YamlOption) -> dict[str, Any]:
    return {"title": derive_label(option.name), "description": option.description, **option.json}


def _declaration(kind: str, options: Iterable[YamlOption]) -> dict[str, Any]:
    properties = {
        "type": {"title": "Type", "description": _KIND_HELP[kind], "const": kind},
        **{option.name: _property(option) for option in options},
    }
    return {
        "title": f"{kind} declaration",
        "description": _KIND_HELP[kind],
        "type": "object",
        "properties": properties,
        "required": ["type"],
        "additionalProperties": False,
    }


def _condition_schema() -> dict[str, Any]:
    field = {"type": "string", "description": "Absolute dotted path of the field tested."}
    tests = [
        ("equals", {}, "Active when the field equals this value."),
        ("not_equals", {}, "Active when the field differs from this value."),
        ("one_of", {"type": "array", "minItems": 1}, "Active when the field holds one of these."),
    ]
    choices: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {"field": field, op: {"description": text, **shape}},
            "required": ["field", op],
            "additionalProperties": False,
        }
        for op, shape, text in tests
    ]
    for op, text in (("all", "every condition holds"), ("any", "at least one condition holds")):
        items = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}
        choices.append(
            {
                "type": "object",
                "properties": {op: {"description": f"Active when {text}.", **items}},
                "required": [op],
                "additionalProperties": False,
            }
        )
    return {"title": "Condition", "description": "When a field or section is active.",
            "oneOf": choices}  # fmt: skip


def _options_schema() -> dict[str, Any]:
    entry = {
        "type": "object",
        "properties": {"value": _SCALAR_JSON, "label": {"type": "string"}},
        "required": ["value"],
        "additionalProperties": False,
    }
    return {
        "title": "Options",
        "anyOf": [
            {"type": "array", "minItems": 1, "items": {"anyOf": [_SCALAR_JSON, entry]}},
            {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}},
        ],
    }


def format_schema() -> dict[str, Any]:
    """A Draft 2020-12 JSON Schema of the authoring format, for editors to complete it."""
    declarations = {
        kind.value: _declaration(
            kind.value, (o for o in FIELD_OPTIONS.values() if o.name in KIND_OPTIONS[kind])
        )
        for kind in Kind
    }
    declarations["section"] = _declaration("section", SECTION_OPTIONS.values())
    declarations["heading"] = _declaration("heading", HEADING_OPTIONS.values())
    dispatch = [
        {
            "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
            "then": {"$ref": f"#/$defs/{kind}"},
        }
        for kind in KIND_NAMES
    ]
    type_enum = {"enum": list(KIND_NAMES), "description": "The kind of the entry."}
    entry = {
        "title": "Entry",
        "description": "A field, section or heading: {type: ..., ...} or just a type name.",
        "anyOf": [
            {**type_enum, "type": "string"},
            {
                "type": "object",
                "properties": {"type": type_enum},
                "required": ["type"],
                "allOf": dispatch,
            },
        ],
    }
    top: dict[str, dict[str, Any]] = {
        "$schema": {"type": "string", "description": TOP_LEVEL_KEYS["$schema"]},
        "title": {"type": ["string", "null"], "description": TOP_LEVEL_KEYS["title"]},
        "lenient": {"type": "boolean", "description": TOP_LEVEL_KEYS["lenient"]},
        "fields": {"$ref": "#/$defs/fields", "description": TOP_LEVEL_KEYS["fields"]},
        "presets": {
            "type": "object",
            "description": TOP_LEVEL_KEYS["presets"],
            "additionalProperties": {"type": "object"},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "brevetti-schema authoring format",
        "description": "A job's settings declared once: fields, sections, headings, presets.",
        "type": "object",
        "properties": {k: {"title": derive_label(k.lstrip("$")), **v} for k, v in top.items()},
        "additionalProperties": False,
        "$defs": {
            "fields": {
                "title": "Fields",
                "description": "Keys (setting names) to declarations, in form order.",
                "type": "object",
                "additionalProperties": {"$ref": "#/$defs/entry"},
            },
            "entry": entry,
            "condition": _condition_schema(),
            "options": _options_schema(),
            **declarations,
        },
    }
