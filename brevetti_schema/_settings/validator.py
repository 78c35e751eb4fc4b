"""The settings validator: Python source generated per schema from the kind specs.

`validator(schema)` writes (once per schema) one function per section, and for a long
section one per run of fields, so compiling stays linear in the size of the schema. Each
function reads one level of a settings tree: it tests each value with the kind's inline
`fast_test`, decodes a transported string (each kind's `decode`) only when that test
fails on one, and only then asks the kind's `check` for every problem, so valid
documents are fast and invalid ones get a full report in the same pass (as cattrs'
generated structuring functions do with detailed validation). In the same pass each
valid value is stored, converted, straight into its slot of the frozen settings object
(no `__init__`); the object is used only when no problem was found.

Every function names its constants itself and gets them in a namespace of its own, so
sections of one shape share one compiled code object. The source is registered in
`linecache` under a unique file name, so tracebacks, pdb and `inspect.getsource` show
it; `Validator.source` holds it too.
"""

from __future__ import annotations

import builtins
import copy
import itertools
import json
import linecache
import logging
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, cast

import attrs

from .._errors import Loc, ProblemFilling, SettingsProblem
from .._kinds import DecodeError, spec
from .._kinds._spec import Issue
from .._model import cache
from .._model.activity import dependency_order, dynamic_paths
from .._model.nodes import Condition, Field, Heading, Kind, Node, Schema, Section
from .._model.secret import MASK

__all__ = ["Run", "Validator", "node_at", "validator"]

logger = logging.getLogger("brevetti_schema")

_CHUNK: Final = 200
"""Most fields one generated function reads (bounds the size of any one function)."""

_counter = itertools.count()
_new: Final = object.__new__


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

    def check(
        self, field: Field, value: Any, loc: Loc, check: Callable[[Field, Any], list[Issue]]
    ) -> bool:
        """Record every problem `check` (the field kind's) finds in a value its fast test
        refused; whether there was none."""
        issues = check(field, value)
        if not issues:
            return True
        secret = field.kind is Kind.SECRET
        for code, message, inner in issues:
            if inner:
                given = _inside(value, inner)
                here = (*loc, *inner)
            else:
                given, here = value, loc
            # `settings_problem`, inline (a report of many problems makes many)
            problem: Any = _new(ProblemFilling)
            problem.loc = here
            problem.code = code
            problem.label = field.label
            problem.message = message
            problem.value = MASK if secret and given not in (None, "") else given
            problem.__class__ = SettingsProblem
            self.problems.append(problem)
        return False

    def inactive(self, loc: Loc) -> None:
        self.warn(loc, "inactive", "is not active under its visible_when condition (ignored)")

    def unknown_keys(self, data: Mapping[str, Any], known: tuple[str, ...], loc: Loc) -> None:
        """Set aside keys the schema does not declare (problems in strict mode)."""
        for key, value in data.items():
            if key in known:
                continue
            here = (*loc, str(key))
            self.unknown[".".join(str(p) for p in here)] = value
            import difflib  # noqa: PLC0415 - only to suggest a name for an unknown one

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


def _needs_decode(field: Field) -> bool:
    return spec(field.kind).decodes(field)


_NAMES: Final[list[str]] = []


def _name(index: int) -> str:
    """The `index`-th constant name (one string object shared by every function)."""
    while len(_NAMES) <= index:
        _NAMES.append(sys.intern(f"_k{len(_NAMES)}"))
    return _NAMES[index]


class _Code:
    """The source of one generated function and the constants it names (its own)."""

    def __init__(self, header: str) -> None:
        self.lines = [header]
        self.consts: dict[str, Any] = {}
        self.inline = False
        """Whether its sections are read inline (all it reads fits in one function)."""
        self.scopes = 0
        """How many sections it reads inline (their variables are numbered)."""

    def const(self, value: Any) -> str:
        name = _name(len(self.consts))
        self.consts[name] = value
        return name


def _size(section: Section) -> int:
    """How many fields a section holds, its own sections' included."""
    return sum(
        _size(n) if isinstance(n, Section) else 1
        for n in section.children
        if not isinstance(n, Heading)
    )


def _indent(lines: list[str], depth: int = 1) -> list[str]:
    return [" " * (4 * depth) + line for line in lines]


class _Writer:
    """Writes and compiles the functions of one schema's validator.

    Each function names its constants itself (``_k0``, ``_k1``, ...) and gets them in a
    namespace of its own, so sections of the same shape share one code object: the
    source, and the compiled code, grow with the number of distinct shapes.
    """

    def __init__(self, schema: Schema, dynamic: tuple[str, ...], filename: str) -> None:
        self.schema = schema
        self.dynamic = {path: index for index, path in enumerate(dynamic)}
        """The index of each dynamic node's activity in the activity tuple."""
        self.filename = filename
        self.common: dict[str, Any] = {
            "__builtins__": builtins, "_M": _M, "_BAD": _BAD, "_new": object.__new__,
            "_EMPTY": {}, "_deepcopy": copy.deepcopy, "_given": _given,
        }  # fmt: skip
        self.codes: dict[str, types.CodeType] = {}
        self.sources: list[str] = []
        self.line = 0

    def finish(self, code: _Code) -> types.FunctionType:
        """The function of `code` (compiled once per distinct source) with its constants."""
        text = "\n".join(code.lines)
        compiled = self.codes.get(text)
        if compiled is None:
            module = cache.compiled(text)
            (compiled,) = (c for c in module.co_consts if isinstance(c, types.CodeType))
            # moved to where it stands in the whole source (linecache, tracebacks)
            compiled = self.codes[text] = _placed(compiled, self.filename, self.line)
            self.sources.append(text)
            self.line += text.count("\n") + 2
        namespace = dict(self.common)
        namespace.update(code.consts)
        return types.FunctionType(compiled, namespace, compiled.co_name)

    # -- validation (and the object, in the same pass) ------------------------------------

    def section(self, nodes: tuple[Node, ...], loc: Loc, cls: type | None) -> Callable[..., Any]:
        """The function that validates one level: ``(data, run, act) -> (tree, object)``.

        With a class (`cls`), the frozen object is filled slot by slot as each value is
        found valid; it is only used when the whole validation found no problem. When it
        holds at most `_CHUNK` fields, its sections are read inline (no calls).
        """
        members = [n for n in nodes if not isinstance(n, Heading)]
        code = _Code("def _section(data, run, act):")
        # inline only where everything fits: elsewhere, sections of one shape share code
        code.inline = sum(_size(n) if isinstance(n, Section) else 1 for n in members) <= _CHUNK
        code.lines += _indent(self.opening(code, members, loc, cls, "data", "o"))
        if len(members) <= _CHUNK:
            code.lines += _indent(self.members(code, members, loc, cls, "data", "o", "t", "v"))
        else:
            for start in range(0, len(members), _CHUNK):
                chunk = self.chunk(members[start : start + _CHUNK], loc, cls)
                call = f"{code.const(chunk)}(data, run, act, o)"
                code.lines.append(f"    t = {call}" if start == 0 else f"    t.update({call})")
        if cls is not None:
            code.lines.append(f"    o.__class__ = {code.const(cls)}")
        code.lines.append("    return t, o")
        return self.finish(code)

    def opening(
        self, code: _Code, members: Sequence[Node], loc: Loc, cls: type | None, data: str, o: str
    ) -> list[str]:
        """A level's first lines: its value as a dict, its unknown keys, its new object."""
        keys = tuple(n.key for n in members if not isinstance(n, Heading))
        lc = code.const(loc)
        return [
            f"if {data}.__class__ is not dict: {data} = run.section({data}, {lc})",
            f"if not {code.const(frozenset(keys).issuperset)}({data}): "
            f"run.unknown_keys({data}, {code.const(keys)}, {lc})",
            f"{o} = _new({code.const(_filling(cls))})" if cls is not None else f"{o} = None",
        ]

    def chunk(self, nodes: Sequence[Node], loc: Loc, cls: type | None) -> Callable[..., Any]:
        """A run of a long section's members: ``(data, run, act, o) -> tree part``."""
        code = _Code("def _fields(data, run, act, o):")
        code.lines += _indent(self.members(code, nodes, loc, cls, "data", "o", "t", "v"))
        code.lines.append("    return t")
        return self.finish(code)

    def members(
        self,
        code: _Code,
        nodes: Sequence[Node],
        loc: Loc,
        cls: type | None,
        data: str,
        o: str,
        t: str,
        v: str,
    ) -> list[str]:
        """Lines reading each member of `data` into ``<v><i>`` (and its slot in `o`), then
        the level's tree `t`."""
        attributes = _attributes(cls) if cls is not None else {}
        lines: list[str] = []
        entries = []
        dropped = []
        for i, node in enumerate(nodes):
            assert not isinstance(node, Heading)
            here = (*loc, node.key)
            path = ".".join(here)  # type: ignore[arg-type]
            attribute = attributes.get(node.key)
            setter = None
            if cls is not None and attribute is not None:
                setter = f"{o}.{attribute.name}"
            value = f"{v}{i}"
            if isinstance(node, Section):
                entry = self.section_entry(code, node, here, path, value, attribute, setter, data)
            else:
                entry = self.field_entry(code, node, here, path, value, attribute, setter, data)
            lines += entry
            entries.append(f"{node.key!r}: {value}")
            if path in self.dynamic:
                dropped.append(f"if {value} is _M: del {t}[{node.key!r}]")
        return [*lines, f"{t} = {{{', '.join(entries)}}}", *dropped]

    def section_entry(
        self,
        code: _Code,
        node: Section,
        here: Loc,
        path: str,
        v: str,
        attribute: attrs.Attribute[Any] | None,
        setter: str | None,
        data: str,
    ) -> list[str]:
        inner_cls = cast(type, attribute.type) if attribute is not None and setter else None
        off = [f"{setter} = {self.default_of(code, attribute)}"] if setter and attribute else []
        if code.inline:  # read in this function
            code.scopes += 1
            n = code.scopes
            inner, o = f"data{n}", f"o{n}"
            members = [m for m in node.children if not isinstance(m, Heading)]
            block = [
                *self.opening(code, members, here, inner_cls, inner, o),
                *self.members(code, members, here, inner_cls, inner, o, f"t{n}", f"v{n}_"),
                *([f"{o}.__class__ = {code.const(inner_cls)}"] if inner_cls is not None else []),
                f"{v} = t{n}",
                *([f"{setter} = {o}"] if setter else []),
            ]
            read = f"{inner} = {data}.get({node.key!r}, _EMPTY)"
            if path not in self.dynamic:
                return [read, *block]
            return [read, *self.when_active(code, path, here, inner, block, v, off)]
        function = code.const(self.section(node.children, here, inner_cls))
        put = [f"{setter} = p"] if setter else []
        if path not in self.dynamic:
            return [f"{v}, p = {function}({data}.get({node.key!r}, _EMPTY), run, act)", *put]
        call = [f"{v}, p = {function}(d, run, act)", *put]
        return [
            f"d = {data}.get({node.key!r}, _EMPTY)",
            *self.when_active(code, path, here, "d", call, v, off),
        ]

    def when_active(
        self, code: _Code, path: str, here: Loc, given: str, block: list[str], v: str,
        off: list[str],
    ) -> list[str]:  # fmt: skip
        """`block` while the section at `path` is active; else its data `given` (if any)
        is reported as inactive, its value is missing and `off` runs."""
        return [
            f"if act[{code.const(self.dynamic[path])}]:",
            *_indent(block),
            "else:",
            f"    if {given} and {given} is not _EMPTY: run.inactive({code.const(here)})",
            f"    {v} = _M",
            *_indent(off),
        ]

    def field_entry(
        self,
        code: _Code,
        field: Field,
        here: Loc,
        path: str,
        v: str,
        attribute: attrs.Attribute[Any] | None,
        setter: str | None,
        data: str,
    ) -> list[str]:
        f, lc = code.const(field), code.const(here)
        kind = spec(field.kind)
        kc = code.const(kind.check)
        test = kind.fast_test(code, field, "g")
        # the value as the object holds it: converted, or (for None) the attribute's own
        if field.required or attribute is None or _admits_none(attribute.type):
            none = "None"
        else:
            none = self.default_of(code, attribute)
        converted = kind.convert(code, field, "g")

        def put(expr: str) -> list[str]:
            return [f"{setter} = {expr}"] if setter else []

        if field.has_default:
            given = put(converted if field.default is not None else none)
            if field.json_schema is not None:
                # a default's inner JSON Schema is checked here, not at build time (no
                # jsonschema then)
                check = f"if g is not None and not ({test}): run.check({f}, g, {lc}, {kc})"
                given = [check, *(["else: " + given[0]] if given else [])]
            missing = [f"g = {self.copier(code, field.default)}", *given]
        elif field.required:
            missing = [f"run.required({lc}); g = None"]
        else:
            missing = ["g = None", *put(none)]
        if field.required:
            on_none = [f"elif g is None: run.required({lc})"]
        elif setter:
            on_none = ["elif g is None:", *_indent(put(none))]
        else:
            on_none = ["elif g is None: pass"]
        # the sentinels and None fail every kind's test, so a valid value passes one test
        branches = [
            f"if {test}:",
            *_indent(put(converted) or ["pass"]),
            "elif g is _M:",
            *_indent(missing),
            *on_none,
            "elif g is _BAD: g = None",
            # the test and the check agree; should they not, the value is kept as valid
            *([f"elif run.check({f}, g, {lc}, {kc}): {put(converted)[0]}"] if setter else []),
            *([] if setter else [f"else: run.check({f}, g, {lc}, {kc})"]),
        ]
        read = [f"g = {data}.get({field.key!r}, _M)"]
        decode = f"if g.__class__ is str: g = _M if g == '' else run.decode({f}, g, {lc})"
        if path not in self.dynamic:
            if not _needs_decode(field):
                return [*read, *branches, f"{v} = g"]
            # a string fails the test, so it is decoded (and tested again) only then
            fast = [f"if {test}:", *_indent(put(converted) or ["pass"])]
            return [*read, *fast, "else:", *_indent([decode, *branches]), f"{v} = g"]
        off = put(self.default_of(code, attribute)) if attribute is not None else []
        return [
            *read,
            *([decode] if _needs_decode(field) else []),
            f"if act[{code.const(self.dynamic[path])}]:",
            *_indent([*branches, f"{v} = g"]),
            "else:",
            f"    if g is not _M and g is not _BAD: run.inactive({lc})",
            f"    {v} = _M",
            *_indent(off),
        ]

    def copier(self, code: _Code, value: Any) -> str:
        """A fresh copy of a default, as cheap as its shape allows."""
        scalar = str | int | float | bool | None
        if isinstance(value, scalar):
            return code.const(value)
        if isinstance(value, list) and all(isinstance(v, scalar) for v in value):
            return f"list({code.const(value)})" if value else "[]"
        if type(value) is dict and all(isinstance(v, scalar) for v in value.values()):
            return f"dict({code.const(value)})" if value else "{}"
        return f"_deepcopy({code.const(value)})"

    def default_of(self, code: _Code, attribute: attrs.Attribute[Any]) -> str:
        """The attribute's own default as an expression (what attrs would give)."""
        default: Any = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            return f"{code.const(default.factory)}()"
        return code.const(None if default is attrs.NOTHING else default)

    # -- activity -----------------------------------------------------------------------

    def activity(self, dynamic: tuple[str, ...]) -> Callable[[Any], list[Any]]:
        """The function that decides, from the given values, which dynamic nodes are active:
        a list whose first items are the activity of each of `dynamic`, in its order (the
        others hold the values the conditions read).

        `Condition.holds` inlined: a tested field's value, while it is active, is the given
        one (decoded), else its default; an inactive field's is missing (`Activity`). The
        nodes are decided in dependency order by functions of at most `_CHUNK` nodes each.
        """
        paths = self.paths = {p: n for p, n in self.schema.walk() if p}
        read = {
            f
            for n in paths.values()
            if isinstance(n, Field | Section) and n.visible_when is not None
            for f in n.visible_when.fields()
            if isinstance(paths.get(f), Field)
        }
        self.slots: dict[str, int] = {}
        order = dependency_order(paths, set(dynamic) | read)
        chunks = []
        for start in range(0, len(order), _CHUNK):
            code = self.code = _Code("def _activity(data, s):")
            for path in order[start : start + _CHUNK]:
                code.lines += _indent(self.decide(path, paths[path], path in read))
            chunks.append(self.finish(code))
        top = _Code("def _activity(data):")
        top.lines.append(f"    s = [_M] * {len(self.dynamic) + len(self.slots)}")
        top.lines += [f"    {top.const(chunk)}(data, s)" for chunk in chunks]
        top.lines.append("    return s")
        return self.finish(top)

    def active(self, path: str) -> str:
        """Where a dynamic node's activity is kept."""
        return f"s[{self.dynamic[path]}]"

    def value(self, path: str) -> str:
        """Where the value a condition reads of a field is kept."""
        if path not in self.slots:
            self.slots[path] = len(self.dynamic) + len(self.slots)
        return f"s[{self.slots[path]}]"

    def decide(self, path: str, node: Node, read: bool) -> list[str]:
        """Lines deciding one node's activity, and reading its value if a condition does."""
        code = self.code
        lines = []
        if path in self.dynamic:
            parent = path.rpartition(".")[0]
            parts = [self.active(parent)] if parent in self.dynamic else []
            condition = node.visible_when if isinstance(node, Field | Section) else None
            if condition is not None:
                parts.append(self.condition(condition, self.paths))
            lines.append(f"{self.active(path)} = {' and '.join(parts) or 'True'}")
        if read and isinstance(node, Field):
            *parents, last = path.split(".")
            slow = f"_given(data, {code.const(tuple(path.split('.')))}, {code.const(node)})"
            lines.append("x = data")
            for part in parents:
                lines.append(f"x = x.get({part!r}, _EMPTY) if x.__class__ is dict else _M")
            lines.append(f"y = x.get({last!r}, _M) if x.__class__ is dict else {slow}")
            if _needs_decode(node):
                lines.append(f"if y.__class__ is str: y = {slow}")
            if node.has_default:
                active = self.active(path) if path in self.dynamic else "True"
                lines.append(f"if y is _M and {active}: y = {code.const(node.default)}")
            if path in self.dynamic:  # an inactive field reads as missing
                lines.append(f"if not {self.active(path)}: y = _M")
            lines.append(f"{self.value(path)} = y")
        return lines

    def condition(self, condition: Condition, paths: Mapping[str, Node]) -> str:
        """An inline expression with the meaning of `Condition.holds`."""
        if condition.op in ("all", "any"):
            joiner = " and " if condition.op == "all" else " or "
            return "(" + joiner.join(self.condition(c, paths) for c in condition.items) + ")"
        path = condition.field or ""
        if not isinstance(paths.get(path), Field):
            return "False" if condition.op != "not_equals" else "True"
        value = self.value(path)
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
        return f"({value}.__class__ is not bool and {value} == {self.code.const(expected)})"


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
    """A schema's generated validator: `resolve` a tree to its complete tree and object."""

    schema: Schema
    source: str
    filename: str
    _validate: Callable[[Any, Run, Any], tuple[dict[str, Any], Any]]
    _activity: Callable[[Any], list[Any]] | None
    dynamic: tuple[str, ...] = ()

    def activity(self, data: Any) -> dict[str, bool]:
        """Whether each node whose activity depends on values is active, by path."""
        if self._activity is None:
            return {}
        return dict(zip(self.dynamic, self._activity(data)[: len(self.dynamic)], strict=True))

    def resolve(self, data: Any, run: Run) -> tuple[dict[str, Any], Any]:
        """The complete tree of a (merged) settings tree, and its live settings object
        (``None`` when the classes are not plain slots); problems go to `run`, and the
        object is only meaningful when there are none."""
        act = self._activity(data) if self._activity is not None else None
        return self._validate(data, run, act)

    def validate(self, data: Any, run: Run) -> dict[str, Any]:
        """The complete tree of a (merged) settings tree; problems go to `run`."""
        return self.resolve(data, run)[0]


def _placed(code: types.CodeType, filename: str, lines: int) -> types.CodeType:
    """The code object (and those nested in it) in file `filename`, `lines` further down."""
    consts = tuple(
        _placed(c, filename, lines) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    return code.replace(
        co_filename=filename, co_firstlineno=code.co_firstlineno + lines, co_consts=consts
    )


def validator(schema: Schema) -> Validator:
    """The generated validator of a schema (made once per schema object)."""
    return schema.memo("validator", _generate)


def _filling(cls: type) -> type:
    """A subclass of a frozen settings class that takes plain attribute stores.

    The generated code makes the object as this class, stores each slot (the cheapest
    store there is: no `__setattr__` of ours to pass), then gives it its own class (the
    layouts are one, the subclass adding no slot). Made once per class.
    """
    filling: type | None = cls.__dict__.get("__brevetti_filling__")
    if filling is None:
        namespace = {
            "__slots__": (),
            # both, so that the type's attribute store is the generic one (specialised)
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
            "__module__": cls.__module__,
            "__qualname__": f"{cls.__qualname__}.filling",
        }
        filling = type(cls.__name__, (cls,), namespace)
        type.__setattr__(cls, "__brevetti_filling__", filling)
    return filling


def _classes(cls: type) -> Iterator[type]:
    """A settings class and the classes of its sections."""
    yield cls
    attrs.resolve_types(cls)
    for attribute in attrs.fields(cls):
        if isinstance(attribute.type, type) and attrs.has(attribute.type):
            yield from _classes(attribute.type)


def _generate(schema: Schema) -> Validator:
    from .._emit.classes.attrs_classes import settings_class  # noqa: PLC0415 - classes need cattrs

    dynamic = dynamic_paths(schema)
    title = "".join(c if c.isalnum() else "_" for c in schema.title or "settings")
    filename = f"brevetti_schema-validator-{next(_counter)}-{title}"
    writer = _Writer(schema, dynamic, filename)
    activity = writer.activity(dynamic) if dynamic else None
    cls: type | None = settings_class(schema)
    if not all(_plain_slots(c) for c in _classes(cast(type, cls))):
        cls = None  # made by the classes' own __init__ afterwards (`structure`)
    root = writer.section(schema.children, (), cls)
    source = "\n\n".join(writer.sources) + "\n"
    # a lazy entry: the lines are split only when a traceback or pdb asks for them
    linecache.cache[filename] = (lambda: source,)
    return Validator(schema, source, filename, root, activity, dynamic)
