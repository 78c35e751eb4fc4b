"""The settings validator: Python source generated per schema from the kind specs.

`validator(schema)` writes (once per schema) one function per section, and for a long
section one per run of fields, so compiling stays linear in the size of the schema. Each
function reads one level of a settings tree: it decodes transported strings (each kind's
`decode`), tests each value with the kind's inline `fast_test`, and only when that test
fails asks the kind's `check` for every problem, so valid documents are fast and invalid
ones get a full report in the same pass (as cattrs' generated structuring functions do
with detailed validation). A second generated pass makes the typed settings object from
the complete tree, filling the slots of the frozen classes directly.

The source is registered in `linecache` under a unique file name, so tracebacks, pdb and
`inspect.getsource` show it; `Validator.source` holds it too.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import json
import linecache
import logging
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, cast

import attrs

from .._errors import Loc, SettingsProblem
from .._kinds import DecodeError, spec
from .._model.activity import dependency_order, dynamic_paths
from .._model.nodes import Condition, Field, Heading, Kind, Node, Schema, Section
from .._model.secret import MASK

__all__ = ["Run", "Validator", "node_at", "validator"]

logger = logging.getLogger("brevetti_schema")

_CHUNK: Final = 200
"""Most fields one generated function reads (bounds the size of any one function)."""

_counter = itertools.count()


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_M: Final = _Sentinel("<missing>")
_BAD: Final = _Sentinel("<undecodable>")


def node_at(schema: Schema, loc: Loc) -> Field | Section | None:
    """The field or section a location lies in (the longest leading part naming one)."""
    path = ""
    found = None
    for part in loc:
        if not isinstance(part, str):
            break
        path = f"{path}.{part}" if path else part
        node = schema.find(path)
        if node is None:
            break
        found = node
        if isinstance(node, Field):
            break
    return found


def mask_value(field: Field | None, value: Any) -> Any:
    """The value as it may be shown: secrets masked."""
    if field is not None and field.kind is Kind.SECRET and value not in (None, ""):
        return MASK
    return value


def _inside(value: Any, loc: Loc) -> Any:
    """The part of a value at a location inside it (the value itself when not found)."""
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return value
    return value


class Run:
    """The state of one validation: problems, warnings and unknown keys found on the way."""

    __slots__ = ("problems", "schema", "strict", "unknown", "warnings")

    def __init__(self, schema: Schema, strict: bool) -> None:
        self.schema = schema
        self.strict = strict
        self.problems: list[SettingsProblem] = []
        self.warnings: list[SettingsProblem] = []
        self.unknown: dict[str, Any] = {}

    def problem(self, loc: Loc, code: str, message: str, value: Any = None) -> None:
        """Record a problem at `loc` (its label found, a secret's value masked)."""
        node = node_at(self.schema, loc)
        field = node if isinstance(node, Field) else None
        label = node.label if node is not None else ""
        self.problems.append(SettingsProblem(loc, code, label, message, mask_value(field, value)))

    def warn(self, loc: Loc, code: str, message: str) -> None:
        """Record (and log) a warning at `loc`."""
        node = node_at(self.schema, loc)
        problem = SettingsProblem(loc, code, node.label if node is not None else "", message)
        self.warnings.append(problem)
        logger.warning("settings: %s: %s", problem.path, message)

    # -- called by the generated code ---------------------------------------------------

    def decode(self, field: Field, text: str, loc: Loc) -> Any:
        """A transported string as the field's kind, or `_BAD` (reported)."""
        try:
            return spec(field.kind).decode(field, text)
        except DecodeError as exc:
            self.problem(loc, exc.code, str(exc), text)
            return _BAD

    def required(self, loc: Loc) -> None:
        self.problem(loc, "required", "a value is required")

    def check(self, field: Field, value: Any, loc: Loc) -> None:
        """Every problem of a value its fast test refused (there may be none)."""
        secret = field.kind is Kind.SECRET
        for code, message, inner in spec(field.kind).check(field, value):
            given = _inside(value, inner) if inner else value
            shown = MASK if secret and given not in (None, "") else given
            self.problems.append(SettingsProblem((*loc, *inner), code, field.label, message, shown))

    def inactive(self, loc: Loc) -> None:
        self.warn(loc, "inactive", "is not active under its visible_when condition (ignored)")

    def unknown_keys(self, data: Mapping[str, Any], known: tuple[str, ...], loc: Loc) -> None:
        """Set aside keys the schema does not declare (problems in strict mode)."""
        for key, value in data.items():
            if key in known:
                continue
            here = (*loc, str(key))
            self.unknown[".".join(str(p) for p in here)] = value
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            if self.strict:
                self.problem(here, "unknown_key", f"unknown setting{hint}", value)
            else:
                self.warn(here, "unknown_key", f"unknown setting{hint} (ignored)")

    def section(self, value: Any, loc: Loc) -> dict[str, Any]:
        """A section's value that is not a dict, as one (JSON text decoded); else `{}`."""
        if value is _M or value == "":
            return {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                self.problem(loc, "invalid_json", f"expected a JSON object, {exc.msg}", value)
                return {}
        if isinstance(value, Mapping):
            return {str(k): v for k, v in value.items()}
        self.problem(loc, "not_a_section", f"expected a group of settings, got {value!r}")
        return {}


# -- activity -------------------------------------------------------------------------------


def _given(data: Any, parts: tuple[str, ...], field: Field) -> Any:
    """A field's given value in a raw tree, decoded; `_M` when absent or undecodable."""
    node: Any = data
    for part in parts:
        if isinstance(node, str) and node:
            try:  # a section sent as JSON text
                node = json.loads(node)
            except ValueError:
                return _M
        if not isinstance(node, Mapping) or part not in node:
            return _M
        node = node[part]
    if isinstance(node, str) and _needs_decode(field):
        if node == "":
            return _M
        try:
            return spec(field.kind).decode(field, node)
        except DecodeError:
            return _M
    return node


# -- the generated source -------------------------------------------------------------------

_NO_DECODE: Final = frozenset({Kind.TEXT, Kind.SECRET})


def _needs_decode(field: Field) -> bool:
    if field.kind in _NO_DECODE:
        return False
    if field.kind is Kind.CHOICE:  # text options only: decoding gives the text back
        return any(not isinstance(o.value, str) for o in field.options)
    return True


class _Writer:
    """Writes the source of one schema's validator and object builder."""

    def __init__(self, schema: Schema, dynamic: frozenset[str]) -> None:
        self.schema = schema
        self.dynamic = dynamic
        self.consts: dict[str, Any] = {
            "_M": _M, "_BAD": _BAD, "_new": object.__new__, "_EMPTY": {},
            "_deepcopy": copy.deepcopy,
        }  # fmt: skip
        self.functions: list[str] = []
        self.count = 0

    def const(self, value: Any) -> str:
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    # -- validation ---------------------------------------------------------------------

    def section(self, nodes: tuple[Node, ...], loc: Loc) -> str:
        """The function that validates one level; returns its name."""
        keys = tuple(n.key for n in nodes if not isinstance(n, Heading))
        members = [n for n in nodes if not isinstance(n, Heading)]
        chunks = [members[i : i + _CHUNK] for i in range(0, len(members), _CHUNK)] or [[]]
        names = [self.chunk(chunk, loc) for chunk in chunks]
        name = self.name("_section")
        lc, kc = self.const(loc), self.const(frozenset(keys))
        body = [
            f"def {name}(data, run, act):",
            f"    if data.__class__ is not dict: data = run.section(data, {lc})",
            f"    if not data.keys() <= {kc}: run.unknown_keys(data, {self.const(keys)}, {lc})",
            "    t = {}",
            *(f"    {n}(data, t, run, act)" for n in names),
            "    return t",
        ]
        self.functions.append("\n".join(body))
        return name

    def chunk(self, nodes: Sequence[Node], loc: Loc) -> str:
        name = self.name("_fields")
        lines = [f"def {name}(data, t, run, act):"]
        for node in nodes:
            assert not isinstance(node, Heading)
            here = (*loc, node.key)
            path = ".".join(here)  # type: ignore[arg-type]
            if isinstance(node, Section):
                lines += self.section_entry(node, here, path)
            else:
                lines += self.field_entry(node, here, path)
        if len(lines) == 1:
            lines.append("    pass")
        self.functions.append("\n".join(lines))
        return name

    def section_entry(self, node: Section, here: Loc, path: str) -> list[str]:
        inner = self.section(node.children, here)
        get = f"d = data.get({node.key!r}, _EMPTY)"
        call = f"t[{node.key!r}] = {inner}(d, run, act)"
        if path not in self.dynamic:
            return [f"    {get}", f"    {call}"]
        return [
            f"    {get}",
            f"    if act[{path!r}]: {call}",
            f"    elif d and d is not _EMPTY: run.inactive({self.const(here)})",
        ]

    def field_entry(self, field: Field, here: Loc, path: str) -> list[str]:
        f, lc = self.const(field), self.const(here)
        lines = [f"    g = data.get({field.key!r}, _M)"]
        if _needs_decode(field):
            lines.append(
                f"    if g.__class__ is str: g = _M if g == '' else run.decode({f}, g, {lc})"
            )
        test = spec(field.kind).fast_test(self, field, "g")
        if field.has_default:
            default = self.copier(field.default)
            missing = f"g = {default}"
        elif field.required:
            missing = f"run.required({lc}); g = None"
        else:
            missing = "g = None"
        none = f"run.required({lc})" if field.required else "pass"
        # the sentinels and None fail every kind's test, so a valid value passes one test
        body = [f"if not ({test}):", "    if g is _M:", f"        {missing}"]
        if field.json_schema is not None and field.has_default:
            # a default's inner JSON Schema is checked here, not at build time (no jsonschema)
            body.append(f"        if g is not None and not ({test}): run.check({f}, g, {lc})")
        body += [
            f"    elif g is None: {none}",
            "    elif g is _BAD: g = None",
            f"    else: run.check({f}, g, {lc})",
            f"t[{field.key!r}] = g",
        ]
        if path not in self.dynamic:
            return lines + [f"    {line}" for line in body]
        return [
            *lines,
            f"    if act[{path!r}]:",
            *(f"        {line}" for line in body),
            f"    elif g is not _M and g is not _BAD: run.inactive({lc})",
        ]

    def copier(self, value: Any) -> str:
        if isinstance(value, str | int | float | bool | None):
            return self.const(value)
        if isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value):
            return f"list({self.const(value)})"
        return f"_deepcopy({self.const(value)})"

    # -- activity -----------------------------------------------------------------------

    def activity(self, dynamic: tuple[str, ...]) -> str:
        """The function that decides, from the given values, which dynamic nodes are active.

        `Condition.holds` inlined: a tested field's value, while it is active, is the given
        one (decoded), else its default; an inactive field's is missing (`Activity`).
        """
        paths = {p: n for p, n in self.schema.walk() if p}
        read = {
            f
            for n in paths.values()
            if isinstance(n, Field | Section) and n.visible_when is not None
            for f in n.visible_when.fields()
            if isinstance(paths.get(f), Field)
        }
        self.names: dict[str, str] = {}
        lines = ["def _activity(data):"]
        for path in dependency_order(paths, set(dynamic) | read):
            node = paths[path]
            v = self.var(path)
            if path in self.dynamic:
                parent = path.rpartition(".")[0]
                parts = [f"a{self.var(parent)}"] if parent in self.dynamic else []
                condition = node.visible_when if isinstance(node, Field | Section) else None
                if condition is not None:
                    parts.append(self.condition(condition, paths))
                lines.append(f"    a{v} = {' and '.join(parts) or 'True'}")
            if path in read and isinstance(node, Field):
                *parents, last = path.split(".")
                slow = f"_given(data, {self.const(tuple(path.split('.')))}, {self.const(node)})"
                lines.append("    x = data")
                for part in parents:
                    lines.append(f"    x = x.get({part!r}, _EMPTY) if x.__class__ is dict else _M")
                lines.append(f"    l{v} = x.get({last!r}, _M) if x.__class__ is dict else {slow}")
                if _needs_decode(node):
                    lines.append(f"    if l{v}.__class__ is str: l{v} = {slow}")
                if node.has_default:
                    active = f"a{v}" if path in self.dynamic else "True"
                    default = self.const(node.default)
                    lines.append(f"    if l{v} is _M and {active}: l{v} = {default}")
                if path in self.dynamic:  # an inactive field reads as missing
                    lines.append(f"    if not a{v}: l{v} = _M")
        entries = ", ".join(f"{p!r}: a{self.var(p)}" for p in dynamic)
        lines.append(f"    return {{{entries}}}")
        self.consts["_given"] = _given
        self.functions.append("\n".join(lines))
        return "_activity"

    def var(self, path: str) -> str:
        if path not in self.names:
            self.names[path] = str(len(self.names))
        return self.names[path]

    def condition(self, condition: Condition, paths: Mapping[str, Node]) -> str:
        """An inline expression with the meaning of `Condition.holds`."""
        if condition.op in ("all", "any"):
            joiner = " and " if condition.op == "all" else " or "
            return "(" + joiner.join(self.condition(c, paths) for c in condition.items) + ")"
        path = condition.field or ""
        if not isinstance(paths.get(path), Field):
            return "False" if condition.op != "not_equals" else "True"
        value = f"l{self.var(path)}"
        if condition.op == "equals":
            return f"({value} is not _M and {self.same(value, condition.value)})"
        if condition.op == "not_equals":
            return f"({value} is _M or not {self.same(value, condition.value)})"
        options = " or ".join(self.same(value, option) for option in condition.value) or "False"
        return f"({value} is not _M and ({options}))"

    def same(self, value: str, expected: Any) -> str:
        """``_same(value, expected)`` as an expression: booleans never equal numbers."""
        if isinstance(expected, bool) or expected is None:
            return f"{value} is {expected!r}"
        return f"({value}.__class__ is not bool and {value} == {self.const(expected)})"

    # -- the object ---------------------------------------------------------------------

    def builder(self, nodes: tuple[Node, ...], cls: type, prefix: str) -> str:
        """The function that makes one level's object from its complete tree."""
        attributes = _attributes(cls)
        members = [n for n in nodes if not isinstance(n, Heading) and n.key in attributes]
        chunks = [members[i : i + _CHUNK] for i in range(0, len(members), _CHUNK)] or [[]]
        plain = _plain_slots(cls)
        names = [
            self.build_chunk(chunk, attributes, prefix, cls if plain else None) for chunk in chunks
        ]
        name = self.name("_build")
        c = self.const(cls)
        if plain:
            body = [f"def {name}(t):", f"    o = _new({c})", *(f"    {n}(t, o)" for n in names)]
        else:
            body = [
                f"def {name}(t):",
                "    o = {}",
                *(f"    {n}(t, o)" for n in names),
                f"    o = {c}(**o)",
            ]
        body.append("    return o")
        self.functions.append("\n".join(body))
        return name

    def build_chunk(
        self,
        nodes: Sequence[Node],
        attributes: dict[str, attrs.Attribute[Any]],
        prefix: str,
        plain: type | None,
    ) -> str:
        name = self.name("_make")
        lines = [f"def {name}(t, o):"]
        for node in nodes:
            assert not isinstance(node, Heading)
            attribute = attributes[node.key]
            path = prefix + node.key
            default = self.default_of(attribute)
            if isinstance(node, Section):
                inner = self.builder(node.children, cast(type, attribute.type), path + ".")
                value = f"{inner}(t[{node.key!r}])"
                if path in self.dynamic:
                    value = f"{inner}(t[{node.key!r}]) if {node.key!r} in t else {default}"
            else:
                converted = spec(node.kind).convert(self, node, "g")
                if node.required:
                    value = converted
                elif _admits_none(attribute.type):
                    value = converted if converted == "g" else f"None if g is None else {converted}"
                else:
                    value = f"{default} if g is None else {converted}"
                get = f"t[{node.key!r}]" if path not in self.dynamic else f"t.get({node.key!r})"
                lines.append(f"    g = {get}")
                if path in self.dynamic:
                    value = f"({value}) if {node.key!r} in t else {default}"
            if plain is not None:
                setter = self.const(getattr(plain, attribute.name).__set__)
                lines.append(f"    {setter}(o, {value})")
            else:
                lines.append(f"    o[{attribute.name!r}] = {value}")
        if len(lines) == 1:
            lines.append("    pass")
        self.functions.append("\n".join(lines))
        return name

    def default_of(self, attribute: attrs.Attribute[Any]) -> str:
        """The attribute's own default as an expression (what attrs would give)."""
        default: Any = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            return f"{self.const(default.factory)}()"
        return self.const(None if default is attrs.NOTHING else default)


def _attributes(cls: type) -> dict[str, attrs.Attribute[Any]]:
    """The attributes of a settings class by settings key."""
    from .._emit.classes.settings_types import settings_key  # noqa: PLC0415 - settings types need cattrs

    attrs.resolve_types(cls)
    return {settings_key(a): a for a in attrs.fields(cls)}


def _admits_none(tp: Any) -> bool:
    from .._emit.classes.settings_types import admits_none  # noqa: PLC0415

    return admits_none(tp)


def _plain_slots(cls: type) -> bool:
    """Whether filling the slots makes what ``cls(**kwargs)`` makes (nothing else runs)."""
    fields = attrs.fields(cls)
    slots = set(cls.__dict__.get("__slots__", ())) - {"__weakref__"}
    return (
        slots == {a.name for a in fields}
        and not hasattr(cls, "__attrs_post_init__")
        and not hasattr(cls, "__attrs_pre_init__")
        and all(a.validator is None and a.converter is None for a in fields)
        and all(type(cls.__dict__.get(a.name)).__name__ == "member_descriptor" for a in fields)
    )


# -- the validator --------------------------------------------------------------------------


@attrs.frozen
class Validator:
    """A schema's generated validator: `validate` a tree, `build` its typed object."""

    schema: Schema
    source: str
    filename: str
    _validate: Callable[[Any, Run, Any], dict[str, Any]]
    _build: Callable[[dict[str, Any]], Any] | None
    _activity: Callable[[Any], dict[str, bool]] | None

    def validate(self, data: Any, run: Run) -> dict[str, Any]:
        """The complete tree of a (merged) settings tree; problems go to `run`."""
        act = self._activity(data) if self._activity is not None else None
        return self._validate(data, run, act)

    def build(self, tree: dict[str, Any]) -> Any:
        """The live settings object of a complete, valid tree."""
        if self._build is None:
            from .._emit.classes.attrs_classes import structure  # noqa: PLC0415

            return structure(self.schema, tree)
        return self._build(tree)


def _shifted(code: types.CodeType, lines: int) -> types.CodeType:
    """The code object (and those nested in it) with line numbers `lines` further down."""
    consts = tuple(
        _shifted(c, lines) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=consts)


def validator(schema: Schema) -> Validator:
    """The generated validator of a schema (made once per schema object)."""
    return schema.memo("validator", _generate)


def _generate(schema: Schema) -> Validator:
    from .._emit.classes.attrs_classes import settings_class  # noqa: PLC0415 - classes need cattrs

    dynamic = dynamic_paths(schema)
    writer = _Writer(schema, frozenset(dynamic))
    activity = writer.activity(dynamic) if dynamic else None
    root = writer.section(schema.children, ())
    build: str | None = writer.builder(schema.children, settings_class(schema), "")
    source = "\n\n".join(writer.functions) + "\n"
    title = "".join(c if c.isalnum() else "_" for c in schema.title or "settings")
    filename = f"brevetti_schema-validator-{next(_counter)}-{title}"
    # a lazy entry: the lines are split only when a traceback or pdb asks for them
    linecache.cache[filename] = (lambda: source,)
    namespace = dict(writer.consts)
    line = 0
    for function in writer.functions:
        # one function at a time, so the compiler's memory stays that of one function;
        # its line numbers are moved to where it stands in the whole source (linecache)
        code = _shifted(compile(function, filename, "exec"), line)
        exec(code, namespace)  # noqa: S102 - our own generated source
        line += function.count("\n") + 2
    return Validator(
        schema,
        source,
        filename,
        namespace[root],
        namespace[build] if build is not None else None,
        namespace[activity] if activity is not None else None,
    )
