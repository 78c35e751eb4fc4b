"""The JSON Schema (Draft 2020-12) back end: validates a settings document in decoded form.

The document validated is the nested settings tree after transport decoding (numbers,
booleans, lists, dicts; never the JSON text the platform form sends) and after defaults
are applied. Rules:

* A section is a nested object with ``properties``; unknown keys are allowed (the
  settings pipeline reports them), unless ``strict=True`` sets ``additionalProperties``
  to false on the root and on every section.
* ``required`` lists the fields declared ``required=True`` (defaults are filled before
  validation, so a default does not make a field optional), and the sections that hold
  such a field. A field that is not required also accepts ``null``.
* A required field that has a ``visible_when`` condition (its own or a section's above
  it) is left out of the plain ``required`` lists. The root gets
  ``allOf: [{"if": <condition>, "then": <require the path>}, ...]`` instead, one entry
  per distinct condition. ``equals``/``one_of`` match only when the tested field is
  present (``required`` along its path); ``not_equals`` is the negation of ``equals``,
  so, like `Condition.holds`, it also matches when the tested field is absent.
* Bounds, lengths, patterns and item counts follow `_values`: number bounds apply to
  numbers and to each item of an integer/number list, lengths and patterns to texts,
  secrets and each item of a text list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from .._kinds import spec
from .._model.nodes import Condition, Field, Heading, Kind, Node, Schema, Section
from .._model.trees import plain_copy

__all__ = ["DIALECT", "dump_json_schema", "emit_json_schema"]

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The ``$schema`` of every emitted document."""

Fragment = dict[str, Any]


def emit_json_schema(schema: Schema, *, strict: bool = False) -> dict[str, Any]:
    """The Draft 2020-12 JSON Schema of the settings documents `schema` declares."""
    emitter = _Emitter(strict)
    root: Fragment = {"$schema": DIALECT}
    if schema.title is not None:
        root["title"] = schema.title
    root.update(emitter.object_of(schema.children, "", ()))
    conditional = emitter.conditional_requirements()
    if conditional:
        root["allOf"] = conditional
    return root


def dump_json_schema(schema: Schema, *, strict: bool = False) -> str:
    """The JSON Schema as deterministic JSON text (indent 2, trailing newline)."""
    return json.dumps(emit_json_schema(schema, strict=strict), indent=2, ensure_ascii=False) + "\n"


def _nullable(fragment: Fragment) -> Fragment:
    """The same fragment, also accepting ``null`` (an optional setting left unset)."""
    if "enum" in fragment:
        if None not in fragment["enum"]:
            fragment["enum"].append(None)
        return fragment
    if "oneOf" in fragment:
        if not any(o["const"] is None for o in fragment["oneOf"]):
            fragment["oneOf"].append({"type": "null"})
        return fragment
    if "allOf" in fragment:  # an inner schema need not accept null itself
        return {"anyOf": [{"type": "null"}, fragment]}
    types = fragment["type"]
    fragment["type"] = [*types, "null"] if isinstance(types, list) else [types, "null"]
    return fragment


def _field_schema(field: Field, path: str) -> Fragment:
    fragment: Fragment = {"title": field.label}
    if field.help:
        fragment["description"] = field.help
    value = spec(field.kind).json_schema(field, path)
    fragment.update(value if field.required else _nullable(value))
    if field.has_default:
        fragment["default"] = plain_copy(field.default)
    if field.readonly:
        fragment["readOnly"] = True
    if field.kind is Kind.SECRET:
        fragment["writeOnly"] = True
    return fragment


# -- sections and conditions ---------------------------------------------------------------


class _Emitter:
    """One emission: builds objects per section and collects conditional requirements."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        # condition-chain text -> (the `if` schema, the tree of paths to require)
        self.groups: dict[tuple[str, ...], tuple[Fragment, dict[str, Any]]] = {}
        self.condition_texts: dict[int, tuple[Condition, str]] = {}

    def object_of(
        self, nodes: Iterable[Node], prefix: str, chain: tuple[Condition, ...]
    ) -> Fragment:
        """The object schema of one level; `chain` holds the conditions above it."""
        properties: Fragment = {}
        required: list[str] = []
        for node in nodes:
            if isinstance(node, Heading):
                continue
            path = prefix + node.key
            own = chain if node.visible_when is None else (*chain, node.visible_when)
            if isinstance(node, Section):
                properties[node.key] = child = self.section_schema(node, path, own)
                if not own and "required" in child:
                    required.append(node.key)
            else:
                properties[node.key] = _field_schema(node, path)
                if node.required:
                    if own:
                        self.require_when(own, path)
                    else:
                        required.append(node.key)
        fragment: Fragment = {"type": "object", "properties": properties}
        if required:
            fragment["required"] = required
        if self.strict:
            fragment["additionalProperties"] = False
        return fragment

    def section_schema(self, section: Section, path: str, chain: tuple[Condition, ...]) -> Fragment:
        """A section as a nested object, titled by its label."""
        fragment: Fragment = {"title": section.label}
        if section.help:
            fragment["description"] = section.help
        fragment.update(self.object_of(section.children, path + ".", chain))
        return fragment

    def require_when(self, chain: tuple[Condition, ...], path: str) -> None:
        """Record that the field at `path` is required whenever every condition holds."""
        key = tuple(self.condition_text(c) for c in chain)
        group = self.groups.get(key)
        if group is None:
            parts = [_condition_schema(c) for c in chain]
            test = parts[0] if len(parts) == 1 else {"allOf": parts}
            group = self.groups[key] = (test, {})
        tree = group[1]
        for part in path.split("."):
            tree = tree.setdefault(part, {})

    def condition_text(self, condition: Condition) -> str:
        """A canonical text of a condition, computed once per condition object."""
        cached = self.condition_texts.get(id(condition))
        if cached is None:
            text = json.dumps(_condition_schema(condition), sort_keys=True, default=repr)
            # keep the condition alive with its id, so the id is never reused meanwhile
            cached = self.condition_texts[id(condition)] = (condition, text)
        return cached[1]

    def conditional_requirements(self) -> list[Fragment]:
        """One ``if``/``then`` per distinct condition chain, in document order."""
        return [{"if": test, "then": _require(tree)} for test, tree in self.groups.values()]


def _require(tree: Mapping[str, Any]) -> Fragment:
    """A schema requiring every path of a tree of keys (nested objects along the way)."""
    fragment: Fragment = {"required": list(tree)}
    nested = {key: _require(sub) for key, sub in tree.items() if sub}
    if nested:
        fragment["properties"] = nested
    return fragment


def _at_path(path: str, test: Fragment) -> Fragment:
    """A schema applying `test` to the value at a dotted path, which must be present."""
    *parents, last = path.split(".")
    fragment: Fragment = {"required": [last], "properties": {last: test}}
    for part in reversed(parents):
        fragment = {"required": [part], "properties": {part: fragment}}
    return fragment


def _equals(condition: Condition) -> Fragment:
    return _at_path(condition.field or "", {"const": plain_copy(condition.value)})


def _not_equals(condition: Condition) -> Fragment:
    return {"not": _equals(condition)}


def _one_of(condition: Condition) -> Fragment:
    return _at_path(condition.field or "", {"enum": plain_copy(list(condition.value))})


def _all(condition: Condition) -> Fragment:
    return {"allOf": [_condition_schema(c) for c in condition.items]}


def _any(condition: Condition) -> Fragment:
    return {"anyOf": [_condition_schema(c) for c in condition.items]}


_CONDITIONS: Final[dict[str, Callable[[Condition], Fragment]]] = {
    "equals": _equals,
    "not_equals": _not_equals,
    "one_of": _one_of,
    "all": _all,
    "any": _any,
}


def _condition_schema(condition: Condition) -> Fragment:
    """The `if` schema that matches a document exactly when `condition` holds."""
    return _CONDITIONS[condition.op](condition)
