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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, cast

import attrs

from ._errors import Loc, SettingsProblem
from ._kinds import DecodeError, spec
from ._model import Field, Heading, Kind, Node, Schema, Section
from ._secret import MASK

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
        for code, message, inner in spec(field.kind).check(field, value):
            self.problem((*loc, *inner), code, message, _inside(value, inner))

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


class _Activity(Mapping[str, Any]):
    """Field values by dotted path (given and decoded, else an active default) and whether
    nodes are active, as `Condition.holds` reads them."""

    def __init__(self, schema: Schema, data: Mapping[str, Any]) -> None:
        self._schema = schema
        self._data = data
        self._active: dict[str, bool] = {}

    def __getitem__(self, path: str) -> Any:
        node: Any = self._data
        for part in path.split("."):
            if isinstance(node, str) and node:
                try:
                    node = json.loads(node)
                except ValueError:
                    node = None
            if not isinstance(node, Mapping) or part not in node:
                return self._default(path)
            node = node[part]
        field = self._schema.find(path)
        if isinstance(field, Field) and isinstance(node, str):
            if node == "" and field.kind not in (Kind.TEXT, Kind.SECRET):
                return self._default(path)
            try:
                return spec(field.kind).decode(field, node)
            except DecodeError:
                return self._default(path)
        return node

    def _default(self, path: str) -> Any:
        field = self._schema.find(path)
        if isinstance(field, Field) and field.has_default and self.active(path):
            return field.default
        raise KeyError(path)

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def active(self, path: str) -> bool:
        """Whether the node at `path` is active: its ancestors and its condition hold.

        What a node depends on is settled first, with an explicit stack, so long chains
        of conditions need no deep recursion.
        """
        known = self._active.get(path)
        if known is not None:
            return known
        stack, visiting = [path], {path}
        while stack:
            current = stack[-1]
            waiting = [d for d in self._depends_on(current) if d not in self._active]
            fresh = [d for d in waiting if d not in visiting]
            if fresh:
                stack += fresh
                visiting.update(fresh)
                continue
            for cyclic in waiting:  # refused at build time; guard anyway
                self._active.setdefault(cyclic, True)
            stack.pop()
            self._active[current] = self._decide(current)
        return self._active[path]

    def _depends_on(self, path: str) -> list[str]:
        parent = path.rpartition(".")[0]
        deps = [parent] if parent else []
        node = self._schema.find(path)
        if isinstance(node, Field | Section) and node.visible_when is not None:
            deps += [f for f in node.visible_when.fields() if self._schema.find(f) is not None]
        return deps

    def _decide(self, path: str) -> bool:
        parent = path.rpartition(".")[0]
        if parent and not self._active[parent]:
            return False
        node = self._schema.find(path)
        if not isinstance(node, Field | Section) or node.visible_when is None:
            return True
        return node.visible_when.holds(self)


def _dynamic_paths(schema: Schema) -> tuple[str, ...]:
    """Paths of the nodes whose activity depends on values (a condition on or above them)."""
    conditional: set[str] = set()
    found = []
    for path, node in schema.walk():
        if not path:
            continue
        parent = path.rpartition(".")[0]
        if (isinstance(node, Field | Section) and node.visible_when is not None) or (
            parent in conditional
        ):
            conditional.add(path)
            found.append(path)
    return tuple(found)


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
        # a default's inner JSON Schema is checked here, not at build time (no jsonschema)
        checked_default = field.json_schema is not None and field.has_default
        body = [
            f"if g is _M: {missing}",
            f"{'if' if checked_default else 'elif'} g is None: {none}",
            "elif g is _BAD: g = None",
            f"elif not ({test}): run.check({f}, g, {lc})",
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
    from ._settings_types import settings_key  # noqa: PLC0415 - settings types need cattrs

    attrs.resolve_types(cls)
    return {settings_key(a): a for a in attrs.fields(cls)}


def _admits_none(tp: Any) -> bool:
    from ._settings_types import admits_none  # noqa: PLC0415

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
    _dynamic: tuple[str, ...]

    def validate(self, data: Any, run: Run) -> dict[str, Any]:
        """The complete tree of a (merged) settings tree; problems go to `run`."""
        act: Any = None
        if self._dynamic:
            activity = _Activity(self.schema, data if isinstance(data, Mapping) else {})
            act = {path: activity.active(path) for path in self._dynamic}
        return self._validate(data, run, act)

    def build(self, tree: dict[str, Any]) -> Any:
        """The live settings object of a complete, valid tree."""
        if self._build is None:
            from ._attrs_classes import structure  # noqa: PLC0415

            return structure(self.schema, tree)
        return self._build(tree)


def validator(schema: Schema) -> Validator:
    """The generated validator of a schema (made once per schema object)."""
    return schema.memo("validator", _generate)


def _generate(schema: Schema) -> Validator:
    from ._attrs_classes import settings_class  # noqa: PLC0415 - classes need cattrs

    dynamic = _dynamic_paths(schema)
    writer = _Writer(schema, frozenset(dynamic))
    root = writer.section(schema.children, ())
    build: str | None = writer.builder(schema.children, settings_class(schema), "")
    source = "\n\n".join(writer.functions) + "\n"
    filename = f"<brevetti_schema validator {next(_counter)} of {schema.title or 'settings'}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(writer.consts)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated source
    return Validator(
        schema,
        source,
        filename,
        namespace[root],
        namespace[build] if build is not None else None,
        dynamic,
    )
