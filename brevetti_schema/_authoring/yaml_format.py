"""Loading the YAML (and JSON) authoring format into the schema model.

A document maps field keys to field declarations, in order::

    title: Image classification
    fields:
      epochs: {type: integer, default: 10, min: 1}
      training:
        type: section
        fields:
          batch_size: {type: integer, default: 32}
    presets:
      quick: {epochs: 2}

The text is composed (never constructed) by PyYAML with YAML 1.2 core scalars, so no
tag can build a Python object, ``no``/``on`` stay text, and ``1e-3`` is a number. Every
problem names the file, line, column and field path; all are reported at once. The
options themselves are defined once, in `_format_schema`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import attrs
import yaml
from yaml import MarkedYAMLError, YAMLError
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .._emit.format_schema import (
    CORE_SCALARS,
    FIELD_OPTIONS,
    HEADING_OPTIONS,
    KIND_NAMES,
    KIND_OPTIONS,
    SECTION_OPTIONS,
    TOP_LEVEL_KEYS,
    OptionValueError,
    YamlOption,
    suggest,
)
from .._errors import SchemaError, SchemaProblem
from .._kinds.checks import check_schema, raise_for_problems
from .._model.conditions import condition_from_data
from .._model.nodes import (
    Condition,
    Field,
    Heading,
    Kind,
    Schema,
    Section,
    derive_label,
)
from .._model.nodes import Node as ModelNode
from .._model.rendering import describe_json

__all__ = [
    "COMPOSERS",
    "MAX_DOCUMENT_BYTES",
    "compose_data",
    "load_schema_file",
    "load_schema_text",
    "read_document",
]

_TAG = "tag:yaml.org,2002:"
_MAX_NODES: Final = 200_000
"""Largest document (counting nodes reached through aliases) that is read at all."""
_MAX_DEPTH: Final = 100
"""Deepest nesting of lists and mappings read at all (sections nest far less)."""
MAX_DOCUMENT_BYTES: Final = 4 * 1024 * 1024
"""Largest schema or settings file read at all, checked before a byte is parsed (real
ones are a few kilobytes; `_MAX_NODES` caps the rest)."""
_FAST_BYTES: Final = 64 * 1024
"""Texts up to this size go to libyaml's composer whole; larger ones are composed node
by node (`_Bounded`), so a hostile document stops at `_MAX_NODES` with bounded memory."""


# -- composing YAML safely, with YAML 1.2 core scalars ----------------------------------


class _CoreResolver(BaseResolver):
    """Resolves plain scalars by the YAML 1.2 core schema (see `CORE_SCALARS`)."""


for _name, _pattern, _first in CORE_SCALARS:
    _CoreResolver.add_implicit_resolver(_TAG + _name, re.compile(_pattern), list(_first))


class _Bounded(Composer):
    """Composes node by node, stopping at `_MAX_NODES` nodes or `_MAX_DEPTH` levels
    before the next one is made (so memory stays bounded whatever the text holds)."""

    def __init__(self) -> None:
        Composer.__init__(self)
        self.made = 0
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):  # type: ignore[attr-defined]
            return super().compose_node(parent, index)
        mark = self.peek_event().start_mark  # type: ignore[attr-defined]
        self.made += 1
        if self.made > _MAX_NODES:
            raise _TooLarge(mark, f"the document has more than {_MAX_NODES} nodes")
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _TooLarge(mark, f"the document nests deeper than {_MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _PureComposer(Reader, Scanner, Parser, _Bounded, _CoreResolver):
    """A PyYAML pipeline that stops at the node tree: nothing is ever constructed."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Bounded.__init__(self)
        _CoreResolver.__init__(self)


class _JsonComposer(_PureComposer):
    """The pure pipeline for JSON texts: a key inside braces may be longer than YAML's
    1024 characters for an implicit key, as JSON allows (a long or escaped key made a
    valid JSON file fail). The key must still end on its line, directly before ':'."""

    def stale_possible_simple_keys(self) -> None:
        if not self.flow_level:
            super().stale_possible_simple_keys()
            return
        scanned = self.tokens_taken + len(self.tokens)
        for level in list(self.possible_simple_keys):
            key = self.possible_simple_keys[level]
            # one token (the key itself) may be of any length; past it the usual limit
            far = self.index - key.index > 1024 and scanned > key.token_number + 1
            if key.line != self.line or far:
                del self.possible_simple_keys[level]


COMPOSERS: tuple[type[BaseResolver], ...] = (_PureComposer,)
"""The available composers, fastest first; each is called with the text."""
_LARGE_COMPOSER: type[BaseResolver] = _PureComposer
"""The composer of texts larger than `_FAST_BYTES` (node by node, bounded)."""

if yaml.__with_libyaml__:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]  # not re-exported in stubs

    class _FastComposer(CParser, _CoreResolver):
        """The same pipeline on libyaml's parser, when PyYAML was built with it."""

    class _BoundedFastComposer(_Bounded, CParser, _CoreResolver):
        """libyaml's parser feeding the bounded composer (for large texts)."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _Bounded.__init__(self)
            _CoreResolver.__init__(self)

    COMPOSERS = (_FastComposer, _PureComposer)
    _LARGE_COMPOSER = _BoundedFastComposer


def _bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


def _null(text: str) -> None:
    if text not in ("", "~", "null", "Null", "NULL"):
        raise ValueError(text)


def _int(text: str) -> int:
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    digits = len(text.lstrip("+-"))
    if digits > sys.get_int_max_str_digits() > 0:
        raise ValueError(f"an integer of {digits:,} digits is too long to read")
    return int(text)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.lstrip("+-") in (".inf", ".nan"):
        return float(lowered.replace(".", ""))
    return float(text)


def _str(text: str) -> str:
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        try:  # a JSON-escaped surrogate pair: join it into one character
            return text.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeError:
            return text
    return text


_SCALARS: dict[str, Callable[[str], Any]] = {
    _TAG + "str": _str,
    _TAG + "int": _int,
    _TAG + "float": _float,
    _TAG + "bool": _bool,
    _TAG + "null": _null,
}


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _TooLarge(Exception):
    """The node tree is cyclic, too deep, or larger (also through aliases) than allowed."""

    def __init__(self, where: Node | Any, message: str) -> None:
        super().__init__(message)
        self.mark = where.start_mark if isinstance(where, Node) else where


def _measure(node: Node, sizes: dict[int, int], stack: set[int]) -> int:
    """Nodes reachable from `node` counting repeats; rejects cycles and alias bombs."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in stack:
        raise _TooLarge(node, "an alias refers to a node that contains it")
    stack.add(id(node))
    if len(stack) > _MAX_DEPTH:
        raise _TooLarge(node, f"the document nests deeper than {_MAX_DEPTH} levels")
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_measure(item, sizes, stack) for item in node.value)
    elif isinstance(node, MappingNode):
        size += sum(_measure(k, sizes, stack) + _measure(v, sizes, stack) for k, v in node.value)
    stack.discard(id(node))
    if size > _MAX_NODES:
        raise _TooLarge(node, f"the document expands to more than {_MAX_NODES} nodes")
    sizes[id(node)] = size
    return size


# -- reading a composed document into the model ----------------------------------------


_Given = dict[str, tuple[Node, Node]]
"""Option name -> (name node, value node) of one entry."""


@attrs.define
class _Spot:
    """Where a field's key and each of its option values sit in the file."""

    key: tuple[int, int]
    options: dict[str, tuple[int, int]] = attrs.field(factory=dict)


class _DocumentReader:
    """Turns a composed node tree into the model, collecting every problem on the way."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[SchemaProblem] = []
        self.spots: dict[str, _Spot] = {}
        self.broken: set[str] = set()
        self.preset_spots: dict[tuple[str, str], tuple[int, int]] = {}
        self.lenient = False

    def problem(self, path: str, message: str, node: Node | tuple[int, int]) -> None:
        line, column = _mark(node) if isinstance(node, Node) else node
        self.problems.append(SchemaProblem(path, message, self.source, line, column))

    # plain data ------------------------------------------------------------------------

    def value(self, node: Node, path: str) -> Any:
        """The plain data (dict, list, scalar) a node holds; duplicate keys are problems."""
        if isinstance(node, ScalarNode):
            convert = _SCALARS.get(node.tag)
            if convert is None:
                self.problem(path, _bad_tag(node), node)
                return None
            try:
                return convert(node.value)
            except ValueError as exc:
                kind = node.tag[len(_TAG) :]
                shown = repr(node.value) if len(node.value) <= 60 else repr(node.value[:57]) + "..."
                reason = str(exc) if str(exc).startswith("an integer of") else ""
                self.problem(path, reason or f"{shown} is not a valid {kind}", node)
                return None
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                self.problem(path, _bad_tag(node), node)
            return [self.value(item, path) for item in node.value]
        return {key: self.value(item, path) for key, _, item in self.entries(node, path)}

    def entries(
        self, node: Node, path: str, nested: bool = False
    ) -> Iterator[tuple[Any, Node, Node]]:
        """(key, key node, value node) of a mapping node, reporting duplicate keys.

        With `nested`, the keys extend `path` (field keys), so a duplicate names its own path.
        """
        if not isinstance(node, MappingNode) or node.tag != _TAG + "map":
            self.problem(path, _bad_tag(node), node)
            return
        seen: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(
                    path, "a mapping key must be a scalar, not a list or mapping", key_node
                )
                continue
            key = self.value(key_node, path)
            marker = (type(key), key)
            if marker in seen:
                line = _mark(seen[marker])[0]
                where = f"{path}.{key}" if nested and path else str(key) if nested else path
                self.problem(where, f"duplicate key {key!r} (first given on line {line})", key_node)
                continue
            seen[marker] = key_node
            yield key, key_node, value_node

    def text_keys(
        self, node: Node, path: str, what: str, nested: bool = False
    ) -> Iterator[tuple[str, Node, Node]]:
        """Entries of a mapping whose keys must be text (field keys, option names)."""
        if node.tag not in _PLAIN_TAGS:  # reported once, not also as "must be a mapping"
            self.problem(path, _bad_tag(node), node)
            return
        if not isinstance(node, MappingNode):
            self.problem(
                path, f"{what} must be a mapping, got {describe_json(self.value(node, path))}", node
            )
            return
        for key, key_node, value_node in self.entries(node, path, nested):
            if not isinstance(key, str):
                self.problem(
                    path,
                    f"a key in {what} must be text, got {describe_json(key)} (quote it)",
                    key_node,
                )
                continue
            yield key, key_node, value_node

    # the document ----------------------------------------------------------------------

    def document(self, node: Node | None) -> Schema:
        if node is None:
            return Schema()
        title: str | None = None
        children: tuple[ModelNode, ...] = ()
        presets: dict[str, dict[str, Any]] = {}
        for key, key_node, value_node in self.text_keys(node, "", "the document"):
            if key == "fields":
                children = self.nodes(value_node, "")
            elif key == "presets":
                presets = self.presets(value_node)
            elif key in ("title", "$schema"):
                text = self.value(value_node, "")
                if not isinstance(text, str | None):
                    self.problem("", f"{key} must be text, got {describe_json(text)}", value_node)
                elif key == "title":
                    title = text
            elif key == "lenient":
                flag = self.value(value_node, "")
                if not isinstance(flag, bool):
                    self.problem(
                        "", f"lenient must be true or false, got {describe_json(flag)}", value_node
                    )
                self.lenient = flag is True
            elif key == _MERGE_KEY:
                self.problem("", _merge_note(key), key_node)
            else:
                hint = suggest(key, TOP_LEVEL_KEYS)
                self.problem(
                    "",
                    f"unknown top-level key {key!r}{hint} (expected {', '.join(TOP_LEVEL_KEYS)})",
                    key_node,
                )
        return Schema(children=children, presets=presets, title=title)

    def nodes(self, node: Node, prefix: str) -> tuple[ModelNode, ...]:
        result: list[ModelNode] = []
        where = f"the fields of {prefix[:-1]}" if prefix else "fields"
        for key, key_node, value_node in self.text_keys(node, prefix[:-1], where, nested=True):
            built = self.entry(key, key_node, value_node, prefix)
            if built is not None:
                result.append(built)
        return tuple(result)

    def entry(self, key: str, key_node: Node, node: Node, prefix: str) -> ModelNode | None:
        path = prefix + key
        self.spots[path] = _Spot(_mark(key_node))
        self.broken.add(path)  # until its type is known
        if node.tag not in _PLAIN_TAGS:  # reported once: nothing else follows from it
            self.problem(path, _bad_tag(node), node)
            return None
        if isinstance(node, ScalarNode) and node.tag == _TAG + "str":
            type_node: Node = node
            given: _Given = {}
        elif isinstance(node, MappingNode):
            given = {
                name: (name_node, value_node)
                for name, name_node, value_node in self.text_keys(node, path, f"field {path!r}")
            }
            if "type" not in given:
                self.untyped(path, key_node, given)
                return None
            type_node = given.pop("type")[1]
            if type_node.tag not in _PLAIN_TAGS:
                self.problem(path, _bad_tag(type_node), type_node)
                return None
        else:
            got = describe_json(self.value(node, path))
            self.problem(path, f"expected {{type: ..., ...}} or a type name, got {got}", node)
            return None
        kind = self.value(type_node, path)
        if kind not in KIND_NAMES:
            self.problem(
                path,
                f"unknown type {describe_json(kind)}{suggest(kind, KIND_NAMES)} "
                f"(one of {', '.join(KIND_NAMES)})",
                type_node,
            )
            return None
        self.broken.discard(path)
        if kind == "section":
            return self.section(key, path, given)
        if kind == "heading":
            return self.heading(key, path, given)
        return self.field(key, path, Kind(kind), given)

    def untyped(self, path: str, key_node: Node, given: _Given) -> None:
        """Report a declaration without ``type``: at the key that was meant, if any."""
        needs = f"needs a type: one of {', '.join(KIND_NAMES)}"
        for name, (name_node, _) in given.items():
            if name == _MERGE_KEY:
                self.problem(path, f"{_merge_note(name)} ({needs})", name_node)
                return
            if suggest(name, ["type"]):
                self.problem(
                    path, f"unknown key {name!r}; did you mean 'type'? ({needs})", name_node
                )
                return
        self.problem(path, needs, key_node)

    def options(
        self,
        path: str,
        what: str,
        allowed: Mapping[str, YamlOption],
        given: _Given,
        elsewhere: Callable[[str], str] = lambda _: "",
    ) -> dict[str, Any]:
        """Parsed option values by model attribute; unknown or ill-typed ones are problems."""
        spot = self.spots.get(path)
        parsed: dict[str, Any] = {}
        for name, (name_node, value_node) in given.items():
            option = allowed.get(name)
            if option is None:
                note = elsewhere(name) or suggest(name, allowed)
                if name == _MERGE_KEY:
                    self.problem(path, _merge_note(name), name_node)
                    continue
                self.problem(path, f"unknown option {name!r} for {what}{note}", name_node)
                continue
            if spot is not None:
                spot.options[name] = _mark(value_node)
            if name == "fields":
                parsed[option.attr] = value_node
                continue
            before = len(self.problems)
            value = self.value(value_node, path)
            try:
                parsed[option.attr] = option.parse(value)
            except OptionValueError as exc:
                self.problem(path, f"{name}: {exc}", value_node)
            if len(self.problems) > before:
                self.broken.add(path)  # its checks would judge a value it does not hold
        if "visible_when" in parsed:
            parsed["visible_when"] = self.condition(parsed["visible_when"], path, given)
        return parsed

    def condition(self, data: Any, path: str, given: _Given) -> Condition | None:
        if data is None:
            return None
        try:
            return condition_from_data(data, path)
        except SchemaError as exc:
            for problem in exc.problems:
                self.problem(path, problem.message, given["visible_when"][1])
            return None

    def field(self, key: str, path: str, kind: Kind, given: _Given) -> Field:
        allowed = {n: FIELD_OPTIONS[n] for n in FIELD_OPTIONS if n in KIND_OPTIONS[kind]}
        what = f"{'an' if kind.value[0] in 'aeiou' else 'a'} {kind.value} field"
        spec = self.options(path, what, allowed, given, lambda name: _applies_to(name, kind))
        if kind is Kind.TEXT and "multiline" not in spec:
            spec["multiline"] = spec.get("rows") is not None
        if kind is Kind.LIST and "item_kind" not in spec:
            spec["item_kind"] = Kind.TEXT
        label = spec.pop("label", None)
        spec = {
            attr: value for attr, value in spec.items() if value is not None or attr == "default"
        }
        return Field(
            kind=kind, key=key, label=label if label is not None else derive_label(key), **spec
        )

    def section(self, key: str, path: str, given: _Given) -> Section:
        spec = self.options(path, "a section", SECTION_OPTIONS, given)
        children_node = spec.pop("children", None)
        children = self.nodes(children_node, path + ".") if children_node is not None else ()
        label = spec.pop("label", None)
        spec = {attr: value for attr, value in spec.items() if value is not None}
        self.broken.discard(path)  # its own problems do not make its children's doubtful
        return Section(
            key=key,
            label=label if label is not None else derive_label(key),
            children=children,
            **spec,
        )

    def heading(self, key: str, path: str, given: _Given) -> Heading:
        self.spots.pop(path, None)  # a heading's key names no setting
        spec = self.options(path, "a heading", HEADING_OPTIONS, given)
        self.broken.discard(path)
        label = spec.pop("label", None)
        spec = {attr: value for attr, value in spec.items() if value is not None}
        return Heading(label=label if label is not None else derive_label(key), **spec)

    # presets ---------------------------------------------------------------------------

    def presets(self, node: Node) -> dict[str, dict[str, Any]]:
        presets: dict[str, dict[str, Any]] = {}
        for name, name_node, tree_node in self.text_keys(node, "", "presets"):
            self.preset_spots[(name, "")] = _mark(name_node)
            if not isinstance(tree_node, MappingNode):
                self.problem(
                    "", f"preset {name!r} must be a mapping of field keys to values", tree_node
                )
                continue
            presets[name] = self.preset_tree(name, tree_node, "")
        return presets

    def preset_tree(self, name: str, node: MappingNode, prefix: str) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        keys = self.text_keys(node, prefix[:-1], f"preset {name!r}", nested=True)
        for key, key_node, value_node in keys:
            path = prefix + key
            self.preset_spots[(name, path)] = _mark(key_node)
            if isinstance(value_node, MappingNode):
                tree[key] = self.preset_tree(name, value_node, path + ".")
            else:
                tree[key] = self.value(value_node, path)
        return tree

    # placing the model's own problems --------------------------------------------------

    def locate(self, problem: SchemaProblem, schema: Schema) -> SchemaProblem | None:
        """The problem placed at its line and column, or None when it follows from another."""
        path = problem.path
        if _under(path, self.broken):
            return None
        for name in schema.presets:
            if problem.message.startswith(f"preset {name!r}"):
                at = self.preset_spots.get((name, path)) or self.preset_spots.get((name, ""))
                return problem.located(self.source, *(at or (None, None)))
        condition = getattr(schema.find(path) if path else None, "visible_when", None)
        if (
            problem.message.startswith("visible_when")
            and isinstance(condition, Condition)
            and any(_under(f, self.broken) for f in condition.fields())
        ):
            return None
        spot = self.spots.get(path)
        if spot is None:
            return problem.located(self.source, None, None)
        first = re.match(r"[a-z_]+", problem.message)
        option = _ATTR_OPTION.get(first.group(0), first.group(0)) if first else ""
        line, column = spot.options.get(option, spot.key)
        return problem.located(self.source, line, column)


def _under(path: str, roots: set[str]) -> bool:
    """Whether `path` is one of `roots` or lies inside one of them."""
    return any(path == root or path.startswith(root + ".") for root in roots)


_ATTR_OPTION: Final = {o.attr: o.name for o in FIELD_OPTIONS.values() if o.attr != o.name}
"""Model attribute names that appear in messages, mapped to the option giving them."""


_MERGE_KEY: Final = "<<"
_PLAIN_TAGS: Final = frozenset(_TAG + name for name in ("str", "int", "float", "bool", "null",
                                                        "seq", "map"))  # fmt: skip


def _merge_note(key: str) -> str:
    return (
        f"unknown key {key!r}: YAML merge keys are not supported (they would hide where a "
        "value comes from); write the entries out"
    )


def _bad_tag(node: Node) -> str:
    tag = node.tag.replace(_TAG, "!!")
    return f"the tag {tag} is not allowed: only plain YAML data (mappings, lists, scalars)"


def _applies_to(name: str, kind: Kind) -> str:
    if name not in FIELD_OPTIONS:
        return ""
    kinds = [k.value for k, names in KIND_OPTIONS.items() if name in names]
    return f" (it applies to {', '.join(kinds)})"


# -- entry points --------------------------------------------------------------------


def compose_data(text: str, *, source: str = "<string>") -> Any:
    """The plain data of a YAML or JSON text, read safely; raises `SchemaError`."""
    reader = _DocumentReader(source)
    node = _compose(text, source)
    data = reader.value(node, "") if node is not None else None
    if reader.problems:
        raise SchemaError(reader.problems)
    return data


_JSON_ONLY: Final = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")
"""Characters valid raw in a JSON string that YAML refuses or reads as line breaks."""


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"  # valid JSON has them only inside strings


def _compose(text: str, source: str) -> Node | None:
    _check_size(len(text), source)  # characters: at most the bytes of the file
    is_json = source.lower().endswith(".json")
    composers = COMPOSERS
    if is_json:
        original = text
        text = _JSON_ONLY.sub(_escape, text.replace("\t", " "))
    if is_json or len(text) > _FAST_BYTES:
        # bounded; libyaml refuses JSON's escaped surrogate pairs: the pure one reads them
        composers = tuple(dict.fromkeys((_LARGE_COMPOSER, _PureComposer)))
    if is_json:
        composers = (*composers[:-1], _JsonComposer)
    try:
        node = _parse(text, source, composers)
    except _TooLarge as exc:
        raise _too_large(exc, source) from None
    except SchemaError:
        if is_json:
            _check_json(original, source)  # JSON's own words for what is wrong, if it can
        raise
    if is_json:
        _check_json(original, source)  # what YAML reads but JSON does not (NaN, ...)
    if node is not None:
        try:
            _measure(node, {}, set())
        except _TooLarge as exc:
            raise _too_large(exc, source) from None
    return node


def _too_large(exc: _TooLarge, source: str) -> SchemaError:
    mark = exc.mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    return SchemaError.single("", str(exc), source=source, line=line, column=column)


def _json_int(text: str) -> int:
    if len(text) > sys.get_int_max_str_digits() > 0:
        raise ValueError(f"an integer of {len(text):,} digits is too long to read")
    return int(text)


def _check_json(text: str, source: str) -> None:
    """Refuse what Python's `json` refuses (after composing: the size is bounded)."""
    try:
        json.loads(text, parse_constant=_no_constant, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise SchemaError.single(
            "", f"invalid JSON: {exc.msg}", source=source, line=exc.lineno, column=exc.colno
        ) from None
    except ValueError as exc:  # NaN or Infinity, which Python's json module accepts
        raise SchemaError.single("", f"invalid JSON: {exc}", source=source) from None
    except RecursionError:
        message = f"the document nests deeper than {_MAX_DEPTH} levels"
        raise SchemaError.single("", message, source=source) from None


def _check_size(size: int, source: str) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise SchemaError.single(
            "",
            f"the document is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB "
            f"({size:,} bytes); it is not read",
            source=source,
        )


def _parse(text: str, source: str, composers: tuple[type[BaseResolver], ...]) -> Node | None:
    """The node tree by the fastest composer; on an error, by the pure-Python one.

    So valid files load fast, and errors read the same on every machine. Raises
    `_TooLarge` (from the bounded composers) as it is.
    """
    *fast, pure = composers
    for composer in fast:
        try:
            return composer(text).get_single_node()  # type: ignore[call-arg, attr-defined, no-any-return]
        except (YAMLError, RecursionError):
            break
    try:
        return pure(text).get_single_node()  # type: ignore[call-arg, attr-defined, no-any-return]
    except RecursionError:
        message = f"the document nests deeper than {_MAX_DEPTH} levels"
        raise SchemaError.single("", message, source=source) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(m) for m in (exc.context, exc.problem) if m)
        raise SchemaError.single(
            "",
            f"invalid YAML: {message}",
            source=source,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from exc
    except ReaderError as exc:  # a character YAML does not allow anywhere
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        message = f"invalid YAML: character #x{exc.character:04x} is not allowed"
        raise SchemaError.single("", message, source=source, line=line, column=column) from exc
    except YAMLError as exc:
        raise SchemaError.single("", f"invalid YAML: {exc}", source=source) from exc


def read_document(path: str | os.PathLike[str]) -> str:
    """The text of a schema or settings file: its size checked before it is read, then
    decoded as UTF-8; raises `SchemaError` (one line: too large, unreadable, not UTF-8)."""
    source = os.fspath(path)
    try:
        with Path(path).open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            _check_size(size, source)
            data = file.read(MAX_DOCUMENT_BYTES + 1)  # a file that grows, or a pipe
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SchemaError.single("", f"cannot read the file: {reason}", source=source) from None
    _check_size(len(data), source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise SchemaError.single(
            "",
            f"cannot read the file: it is not UTF-8 text "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})",
            source=source,
            line=line,
            column=column,
        ) from None


def load_schema_text(text: str, *, source: str = "<string>") -> Schema:
    """The checked model declared by a YAML or JSON authoring text; raises `SchemaError`."""
    reader = _DocumentReader(source)
    schema = reader.document(_compose(text, source))
    problems = list(reader.problems)
    for problem in check_schema(schema, lenient=reader.lenient):
        located = reader.locate(problem, schema)
        if located is not None:
            problems.append(located)
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    warnings = raise_for_problems(problems)
    return attrs.evolve(schema, warnings=tuple(warnings)) if warnings else schema


def load_schema_file(path: str | Path) -> Schema:
    """The checked model declared by a ``.yaml``, ``.yml`` or ``.json`` file."""
    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise SchemaError.single("", "expected a .yaml, .yml or .json file", source=str(path))
    return load_schema_text(read_document(path), source=str(path))
