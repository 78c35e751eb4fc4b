"""The defaults back end: the tree of declared defaults, presets on top, and a settings YAML.

`defaults` gives the nested settings tree of every declared default (sections as nested
dicts, fields without a default left out). `dump_defaults_yaml` writes the same tree as
a commented YAML file for people to start from: each key has its label, help and
allowed values above it, and a field without a default is shown commented out.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any, Final

import yaml

from .._errors import SchemaError
from .._kinds import spec
from .._model.activity import Activity, lookup_in
from .._model.nodes import Condition, Field, Heading, Node, Schema, Section
from .._model.trees import plain_copy

__all__ = ["active_settings", "defaults", "dump_defaults_yaml", "preset_settings"]

_COMMENT_WIDTH: Final = 88
"""Comment lines are wrapped to this many characters, indentation included."""


def defaults(schema: Schema, *, active_only: bool = False) -> dict[str, Any]:
    """Every declared default as a nested settings tree (deep copies; sections as dicts).

    With `active_only`, fields and sections whose `visible_when` does not hold under
    the defaults themselves are left out.
    """
    tree = _defaults_of(schema.children)
    return active_settings(schema, tree) if active_only else tree


def preset_settings(schema: Schema, name: str, *, active_only: bool = False) -> dict[str, Any]:
    """The defaults with the named preset deep-merged on top (a preset value replaces)."""
    preset = schema.presets.get(name)
    if preset is None:
        known = ", ".join(repr(n) for n in schema.presets) or "none"
        raise SchemaError.single("", f"unknown preset {name!r}; known presets: {known}")
    tree = _defaults_of(schema.children)
    _merge(tree, preset, schema.children)
    return active_settings(schema, tree) if active_only else tree


def active_settings(schema: Schema, tree: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a settings tree without the fields and sections that are not active:
    what the platform's form sends for these values, and what the pipeline keeps.

    Activity is the model's (`Activity`): a condition reads the values present of
    fields that are active. Keys the schema does not declare are kept.
    """
    return _prune(tree, schema.children, "", Activity(schema, lookup_in(tree)))


def _defaults_of(nodes: tuple[Node, ...]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for node in nodes:
        if isinstance(node, Section):
            tree[node.key] = _defaults_of(node.children)
        elif isinstance(node, Field) and node.has_default:
            tree[node.key] = plain_copy(node.default)
    return tree


def _merge(target: dict[str, Any], tree: Mapping[str, Any], nodes: tuple[Node, ...]) -> None:
    """Merge a partial tree in, descending only into sections (a JSON value is replaced)."""
    sections = {n.key: n for n in nodes if isinstance(n, Section)}
    for key, value in tree.items():
        section = sections.get(key)
        current = target.get(key)
        if section is not None and isinstance(value, Mapping) and isinstance(current, dict):
            _merge(current, value, section.children)
        else:
            target[key] = plain_copy(value)


def _prune(
    tree: Mapping[str, Any], nodes: tuple[Node, ...], prefix: str, activity: Activity
) -> dict[str, Any]:
    declared = {n.key: n for n in nodes if isinstance(n, Field | Section)}
    result: dict[str, Any] = {}
    for key, value in tree.items():
        node = declared.get(key)
        if node is None:
            result[key] = plain_copy(value)
        elif activity.active(prefix + key):
            if isinstance(node, Section) and isinstance(value, Mapping):
                result[key] = _prune(value, node.children, f"{prefix}{key}.", activity)
            else:
                result[key] = plain_copy(value)
    return result


# -- the commented YAML file ------------------------------------------------------------------


def dump_defaults_yaml(schema: Schema) -> str:
    """A settings YAML of every default, with labels and help as comments above each key.

    ``yaml.safe_load`` of the text equals ``defaults(schema)``.
    """
    lines: list[str] = []
    if schema.title:
        lines += _comment(schema.title, "")
    lines += _comment(
        "Settings with every declared default. A commented-out key has no default: "
        "uncomment it and give it a value.",
        "",
    )
    if not _holds_values(schema.children):  # only commented-out keys: still a mapping
        lines.append("{}")
    lines += _nodes(schema.children, "")
    return "\n".join(lines) + "\n"


def _nodes(nodes: tuple[Node, ...], indent: str) -> list[str]:
    lines: list[str] = []
    for index, node in enumerate(nodes):
        if index or not indent:  # a blank line between siblings, none below a section key
            lines.append("")
        if isinstance(node, Heading):
            lines += _comment(f"== {node.label} ==", indent)
            lines += _comment(node.help, indent)
        elif isinstance(node, Section):
            lines += _section(node, indent)
        else:
            lines += _field(node, indent)
    return lines


def _section(section: Section, indent: str) -> list[str]:
    lines = _comment(section.label, indent)
    lines += _comment(section.help, indent)
    lines += _comment(_when(section.visible_when), indent)
    key = _yaml_key(section.key)
    if _holds_values(section.children):
        lines.append(f"{indent}{key}:")
    else:  # nothing but commented-out fields below: an empty mapping keeps the shape
        lines.append(f"{indent}{key}: {{}}")
    lines += _nodes(section.children, indent + "  ")
    return lines


def _holds_values(nodes: tuple[Node, ...]) -> bool:
    """Whether the defaults of these nodes are a non-empty mapping."""
    return any(isinstance(n, Section) or (isinstance(n, Field) and n.has_default) for n in nodes)


def _field(field: Field, indent: str) -> list[str]:
    title = field.label if field.unit is None else f"{field.label} [{field.unit}]"
    if field.required:
        title += " (required)"
    lines = _comment(title, indent)
    lines += _comment(field.help, indent)
    lines += _comment(spec(field.kind).allowed(field, _scalar_text), indent)
    lines += _comment(_when(field.visible_when), indent)
    key = _yaml_key(field.key)
    if field.has_default:
        lines += _value_lines(key, plain_copy(field.default), indent)
    else:
        lines += _comment("No default.", indent)
        lines.append(f"{indent}# {key}:")
    return lines


def _comment(text: str | None, indent: str) -> list[str]:
    """Comment lines of `text`, wrapped; paragraphs and blank lines are kept."""
    if not text:
        return []
    width = max(40, _COMMENT_WIDTH - len(indent) - 2)
    lines = []
    for paragraph in text.strip().splitlines():
        wrapped = textwrap.wrap(
            paragraph, width, break_long_words=False, break_on_hyphens=False
        ) or [""]
        lines += [f"{indent}# {line}".rstrip() for line in wrapped]
    return lines


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _yaml_key(key: str) -> str:
    """A mapping key as YAML writes it (quoted when it would read as something else)."""
    if _PLAIN_KEY.match(key) and key.lower() not in _YAML_WORDS:
        return key
    text: str = yaml.safe_dump({key: None}, allow_unicode=True, width=1 << 16)
    return text.rstrip("\n").removesuffix(" null").removesuffix(":")


_SIMPLE: Final[dict[bool | None, str]] = {None: "null", True: "true", False: "false"}


def _value_lines(key: str, value: Any, indent: str) -> list[str]:
    """``key: value`` lines (a block for lists and mappings), indented."""
    if value is None or isinstance(value, bool):
        return [f"{indent}{key}: {_SIMPLE[value]}"]
    if isinstance(value, int):
        return [f"{indent}{key}: {value}"]
    text: str = yaml.safe_dump(
        {"k": value}, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1 << 16
    )
    body = text.removeprefix("k:")
    first, *rest = body.rstrip("\n").split("\n")
    return [f"{indent}{key}:{first}"] + [f"{indent}{line}" for line in rest]


def _scalar_text(value: Any) -> str:
    text: str = yaml.safe_dump(value, allow_unicode=True, width=1 << 16)
    return text.removesuffix("\n...\n").rstrip("\n")


def _when(condition: Condition | None) -> str | None:
    if condition is None:
        return None
    text = _condition_text(condition)
    if condition.op in ("all", "any"):
        text = text[1:-1]
    return f"Active when {text}."


def _condition_text(condition: Condition) -> str:
    if condition.op in ("all", "any"):
        joiner = " and " if condition.op == "all" else " or "
        return "(" + joiner.join(_condition_text(c) for c in condition.items) + ")"
    if condition.op == "one_of":
        values = ", ".join(_scalar_text(v) for v in condition.value)
        return f"{condition.field} is one of {values}"
    verb = "is" if condition.op == "equals" else "is not"
    return f"{condition.field} {verb} {_scalar_text(condition.value)}"
