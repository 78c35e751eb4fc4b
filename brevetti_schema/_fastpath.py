"""A validate-and-structure function compiled from the model, for valid documents.

`compiled(schema)` generates (once per schema) Python source that checks a decoded
settings tree field by field, fills defaults, evaluates `visible_when`, and builds the
typed settings object directly. It answers ``None`` at the first doubt (a string that
needs decoding, an unknown key, a value out of bounds, an inactive field given a
value, ...), and the general pipeline then takes over and reports every problem. So it
never decides that a document is invalid; it only makes valid documents fast.

Where the C accelerator is built (`_accelerator`), the generated source hands the
reading and checking of plain fields, and the making of objects, to it; what the
accelerator declines goes to the same source generated without it.

Its results equal the general pipeline's (the tests check this on random schemas).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from . import _accelerator as accel
from ._accelerator import plain_slots
from ._kinds import spec as kind_spec
from ._model import Condition, Field, Heading, Kind, Node, Schema, Section
from ._secret import Secret

__all__ = ["FastResult", "compiled", "pure"]

FastResult = tuple[Any, dict[str, Any]] | None
"""``(settings object or None, complete decoded tree)``, or ``None``: take the slow path."""

_M: Final = object()


def compiled(schema: Schema) -> Callable[[Mapping[str, Any], bool], FastResult]:
    """The compiled fast path of a schema (made once per schema object).

    With the C accelerator (`_speedups`, built where a compiler is at hand), the checks
    of plain fields and the filling of slots run in C; what it declines goes to the
    pure-Python fast path, which is compiled on first need.
    """
    if not accel.accelerated():
        return pure(schema)
    return schema.memo("fastpath", _compile_accelerated)


def pure(schema: Schema) -> Callable[[Mapping[str, Any], bool], FastResult]:
    """The fast path as generated Python only (the accelerator's fallback)."""
    return schema.memo("fastpath-pure", _compile_pure)


def _compile_accelerated(schema: Schema) -> Callable[[Mapping[str, Any], bool], FastResult]:
    return _compile(schema, accelerate=True)


def _compile_pure(schema: Schema) -> Callable[[Mapping[str, Any], bool], FastResult]:
    return _compile(schema, accelerate=False)


_SCALARS: Final = (str, int, float, bool, type(None))
_IMMUTABLE: Final = (str, int, float, bool, type(None))


class _Compiler:
    """Writes the source of one schema's fast path.

    Activity is decided at compile time where it can be: a node with no condition on
    it or above it is always active, and its code has no activity branches. Only the
    fields that conditions read keep a lookup value, and conditions are inlined.
    """

    def __init__(self, schema: Schema, *, accelerate: bool = False) -> None:
        self.schema = schema
        self.accelerate = accelerate
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {
            "_M": _M, "_MP": MappingProxyType, "_Secret": Secret, "_json": json,
            "_deepcopy": copy.deepcopy, "_new": object.__new__,
        }  # fmt: skip
        self.values: dict[Any, str] = {}
        self.names: dict[str, str] = {}  # dotted path -> variable suffix
        self.activities: dict[str, str] = {}  # activity expression -> its variable
        self.activity_names: dict[str, str] = {}  # variable suffix -> activity variable
        self.paths = {p: n for p, n in schema.walk() if p}
        self.static = {p: self._always_active(p) for p in self.paths}
        self.read_by_conditions = {
            f
            for node in self.paths.values()
            if isinstance(node, Field | Section) and node.visible_when is not None
            for f in node.visible_when.fields()
        }

    def _always_active(self, path: str) -> bool:
        parts = path.split(".")
        for end in range(1, len(parts) + 1):
            node = self.paths.get(".".join(parts[:end]))
            if isinstance(node, Field | Section) and node.visible_when is not None:
                return False
        return True

    def const(self, value: Any) -> str:
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name

    def var(self, path: str) -> str:
        if path not in self.names:
            self.names[path] = f"{len(self.names)}"
        return self.names[path]

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)

    def folded_default(self, field: Field, path: str) -> bool:
        """Whether the default can stand in ``.get(key, default)`` (immutable, active)."""
        return (
            self.static[path]
            and field.has_default
            and isinstance(field.default, _IMMUTABLE)
            and not field.json_transport
        )

    # -- reading and checking values ---------------------------------------------------

    def read_level(self, nodes: tuple[Node, ...], data: str, prefix: str) -> None:
        """Read one level: check the mapping, then each field's given value."""
        if self.accelerate:
            self.scan_level(nodes, data, prefix)
            return
        keys = frozenset(n.key for n in nodes if not isinstance(n, Heading))
        self.emit(f"if {data}.__class__ is not dict or not {data}.keys() <= {self.const(keys)}:")
        self.emit("return None", 2)
        for node in nodes:
            if isinstance(node, Heading):
                continue
            path = f"{prefix}{node.key}"
            v = self.var(path)
            if isinstance(node, Section):
                self.emit(f"d{v} = {data}.get({node.key!r}, _EMPTY)")
                self.read_level(node.children, f"d{v}", path + ".")
            elif self.folded_default(node, path):
                self.emit(f"g{v} = {data}.get({node.key!r}, {self.const(node.default)})")
                self.check_field(node, f"g{v}", missing_possible=False)
            else:
                self.emit(f"g{v} = {data}.get({node.key!r}, _M)")
                self.check_field(node, f"g{v}", missing_possible=True)

    def scan_level(self, nodes: tuple[Node, ...], data: str, prefix: str) -> None:
        """Read one level with a C `Scanner`; the checks it cannot make follow in Python."""
        fields = [n for n in nodes if isinstance(n, Field)]
        specs = []
        later: list[tuple[Field, str, bool]] = []
        for field in fields:
            path = f"{prefix}{field.key}"
            folded = self.folded_default(field, path)
            check = accel.c_check(field)
            specs.append(
                (field.key, field.default if folded else _M, _M, field.required,
                 field.json_transport, check, accel.c_item_check(field))
            )  # fmt: skip
            if check is None:
                later.append((field, f"g{self.var(path)}", not folded))
        sections = tuple(n.key for n in nodes if isinstance(n, Section))
        scanner = self.const(accel.Scanner(sections, tuple(specs), json.loads))
        self.emit(f"r = {scanner}({data})")
        self.emit("if r is None: return _fallback(data, structure)")
        if fields:
            names = [f"g{self.var(prefix + f.key)}" for f in fields]
            self.emit(f"{', '.join(names)}{',' if len(names) == 1 else ''} = r")
        for field, g, missing_possible in later:  # JSON text is decoded already
            self.check_field(field, g, missing_possible=missing_possible, decoded=True)
        for node in nodes:
            if isinstance(node, Section):
                v = self.var(f"{prefix}{node.key}")
                self.emit(f"d{v} = {data}.get({node.key!r}, _EMPTY)")
                self.read_level(node.children, f"d{v}", f"{prefix}{node.key}.")

    def check_field(
        self, field: Field, g: str, *, missing_possible: bool, decoded: bool = False
    ) -> None:
        """Code that leaves a good given value in `g` (or `_M`) or returns None."""
        if field.json_transport:
            if not decoded:
                self.emit(f"if {g}.__class__ is str:")
                self.emit("try:", 2)
                self.emit(f"{g} = _json.loads({g}) if {g} else _M", 3)
                self.emit("except ValueError:", 2)
                self.emit("return None", 3)
        elif field.kind is Kind.CHOICE and "" in field.option_values():
            self.emit(f'if {g} == "": return None')  # "" means "not set" to the pipeline
        # any other text given for a non-text kind fails its test: the pipeline decodes it
        test = kind_spec(field.kind).fast_test(self, field, g)
        present = f"{g} is not _M and " if missing_possible else ""
        if field.required:
            self.emit(f"if {present}({g} is None or not ({test})): return None")
        else:
            self.emit(f"if {present}{g} is not None and not ({test}): return None")

    # -- activity -----------------------------------------------------------------------

    def activity(self) -> None:
        """``a<v>`` for nodes that conditions make dynamic, in dependency order."""
        for path in self._dependency_order():
            node = self.paths[path]
            v = self.var(path)
            if not self.static[path]:
                parts = []
                parent = path.rpartition(".")[0]
                if parent and not self.static[parent]:
                    parts.append(self.act(self.var(parent)))
                condition = node.visible_when if isinstance(node, Field | Section) else None
                if condition is not None:
                    parts.append(self.condition(condition))
                expression = " and ".join(parts) or "True"
                if expression in self.activities:  # the same test: one variable
                    self.activity_names[v] = self.activities[expression]
                else:
                    self.activities[expression] = f"a{v}"
                    self.emit(f"a{v} = {expression}")
            if path in self.read_by_conditions and isinstance(node, Field):
                if self.folded_default(node, path):
                    self.emit(f"l{v} = g{v}")
                elif node.has_default:
                    active = "True" if self.static[path] else self.act(v)
                    default = self.const(node.default)
                    self.emit(f"l{v} = g{v} if g{v} is not _M else ({default} if {active} else _M)")
                else:
                    self.emit(f"l{v} = g{v}")

    def act(self, v: str) -> str:
        """The variable holding whether node ``v`` is active."""
        return self.activity_names.get(v, f"a{v}")

    def _dependency_order(self) -> list[str]:
        """Nodes ordered so that what a node's activity reads comes first (iteratively)."""
        order: list[str] = []
        done: set[str] = set()
        for root in self.paths:
            stack = [(root, False)]
            while stack:
                path, expanded = stack.pop()
                if path in done:
                    continue
                if expanded:
                    done.add(path)
                    order.append(path)
                    continue
                stack.append((path, True))
                stack += [(d, False) for d in self._reads(path) if d not in done]
        return order

    def _reads(self, path: str) -> list[str]:
        node = self.paths[path]
        reads = []
        parent = path.rpartition(".")[0]
        if parent:
            reads.append(parent)
        condition = node.visible_when if isinstance(node, Field | Section) else None
        if condition is not None:
            reads += [f for f in condition.fields() if f in self.paths]
        return reads

    def condition(self, condition: Condition) -> str:
        """An inline expression with the meaning of `Condition.holds`."""
        if condition.op in ("all", "any"):
            joiner = " and " if condition.op == "all" else " or "
            return "(" + joiner.join(self.condition(c) for c in condition.items) + ")"
        path = condition.field or ""
        if path not in self.paths:
            return "False" if condition.op != "not_equals" else "True"
        value = f"l{self.var(path)}"
        if condition.op == "equals":
            return f"({value} is not _M and {self.same(value, condition.value)})"
        if condition.op == "not_equals":
            return f"({value} is _M or not {self.same(value, condition.value)})"
        options = " or ".join(self.same(value, option) for option in condition.value)
        return f"({value} is not _M and ({options}))"

    def same(self, value: str, expected: Any) -> str:
        """``_same(value, expected)`` as an expression: booleans never equal numbers."""
        if isinstance(expected, bool) or expected is None:
            return f"{value} is {expected!r}"
        return f"({value}.__class__ is not bool and {value} == {self.const(expected)})"

    # -- building the tree and the object ---------------------------------------------------

    def build(self, nodes: tuple[Node, ...], cls: type | None, prefix: str) -> str:
        """Code that makes one level's tree (and object when `cls`); returns its suffix."""
        level = self.var(prefix.rstrip(".")) if prefix else "root"
        attributes = _attributes(cls) if cls is not None else {}
        filler = self.accelerate and cls is not None and plain_slots(cls)
        entries: list[str] = []  # always present in the tree
        optional: dict[str, list[tuple[str, str]]] = {}  # activity -> [(key, value)]
        settle: dict[str, list[tuple[str, str | None]]] = {}  # activity -> [(g, fallback)]
        kwargs: list[_Argument] = []
        for node in nodes:
            if isinstance(node, Heading):
                continue
            path = f"{prefix}{node.key}"
            v = self.var(path)
            static = self.static[path]
            attribute = attributes.get(node.key)
            if isinstance(node, Section):
                inner_cls = attribute.type if attribute is not None else None
                self.build(node.children, inner_cls, path + ".")
                if not static:
                    self.emit(f"if not {self.act(v)} and d{v}: return None")
                    optional.setdefault(self.act(v), []).append((node.key, f"t{v}"))
                else:
                    entries.append(f"{node.key!r}: t{v}")
                if attribute is not None:
                    default = self.default_of(attribute)
                    value = f"o{v}" if static else f"o{v} if {self.act(v)} else {default}"
                    kwargs.append(_Argument(attribute.name, value))
                continue
            if not self.folded_default(node, path):
                activity = "" if static else self.act(v)
                settle.setdefault(activity, []).append((f"g{v}", self.fallback(node)))
            if static:
                entries.append(f"{node.key!r}: g{v}")
            else:
                optional.setdefault(self.act(v), []).append((node.key, f"g{v}"))
            if attribute is not None:
                kwargs.append(self.attribute_value(node, attribute, path, v, in_c=filler))
        for activity, fields in settle.items():
            self.settle(activity, fields)
        self.emit(f"t{level} = {{{', '.join(entries)}}}")
        for activity, items in optional.items():
            self.emit(f"if {activity}:")
            for key, value in items:
                self.emit(f"t{level}[{key!r}] = {value}", 2)
        if cls is not None:
            self.construct(cls, level, kwargs, prefix)
        return level

    def construct(self, cls: type, level: str, kwargs: list[_Argument], prefix: str) -> None:
        """``o<level>``: the object, made by filling its slots when attrs adds no logic."""
        dynamic = bool(prefix) and not self.static[prefix.rstrip(".")]
        active = self.act(level) if dynamic else ""
        plain = plain_slots(cls)
        if not plain or self.accelerate:
            if plain:
                filler = accel.Filler(
                    cls,
                    tuple(getattr(cls, a.name) for a in kwargs),
                    bytes(a.conversion for a in kwargs),
                    tuple(a.none_means for a in kwargs),
                )
                made = f"{self.const(filler)}({', '.join(a.value for a in kwargs)})"
            else:
                made = f"{self.const(cls)}({', '.join(f'{a.name}={a.value}' for a in kwargs)})"
            self.emit(
                f"o{level} = {made} if {active} else None" if dynamic else f"o{level} = {made}"
            )
            return
        depth = 1
        if dynamic:
            self.emit(f"o{level} = None")
            self.emit(f"if {active}:")
            depth = 2
        self.emit(f"o{level} = _new({self.const(cls)})", depth)
        for a in kwargs:
            setter = self.const(getattr(cls, a.name).__set__)
            self.emit(f"{setter}(o{level}, {a.value})", depth)

    def fallback(self, field: Field) -> str | None:
        """The tree value of a missing field (None: the document cannot do without it)."""
        if field.has_default:
            return _copier(self, field.default)
        return None if field.required else "None"

    def settle(self, activity: str, fields: list[tuple[str, str | None]]) -> None:
        """Final tree values of fields that share an activity: given, default, or None.

        An inactive field given a value, or a required one missing, makes the fast path
        give up (the general path drops the one with a warning, reports the other).
        """
        depth = 1
        if activity:
            self.emit(f"if {activity}:")
            depth = 2
        for g, fallback in fields:
            action = "return None" if fallback is None else f"{g} = {fallback}"
            self.emit(f"if {g} is _M: {action}", depth)
        if activity:
            given = " or ".join(f"{g} is not _M" for g, _ in fields)
            self.emit(f"elif {given}: return None")

    def attribute_value(
        self, field: Field, attribute: attrs.Attribute[Any], path: str, v: str, *, in_c: bool
    ) -> _Argument:
        """An attribute's value, matching what `structure` would make.

        With `in_c` (a `Filler` makes the object) the conversion to float or tuple and
        the replacement of None by a plain default are left to the C code.
        """
        g = f"g{v}"
        code = _c_conversion(field) if in_c else accel.KEEP
        converted = g if code != accel.KEEP else kind_spec(field.kind).convert(self, field, g)
        default = self.default_of(attribute)
        none_means = None
        if field.required:  # the checks refused None
            value = converted
        elif admits_none(attribute.type):
            value = converted if converted == g else f"None if {g} is None else {converted}"
        elif in_c and converted == g and _plain_default(attribute):
            # None means "not set": the default holds (the Filler puts it in)
            value, none_means = converted, attribute.default
        else:
            value = f"{default} if {g} is None else {converted}"
        if not self.static[path]:
            value = f"({value}) if {self.act(v)} else {default}"
        return _Argument(attribute.name, value, code, none_means)

    def default_of(self, attribute: attrs.Attribute[Any]) -> str:
        """The attribute's own default as an expression (what attrs would give)."""
        default: Any = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            return f"{self.const(default.factory)}()"
        if default is attrs.NOTHING:
            return "_NO_DEFAULT"
        return self.const(default)


@attrs.frozen
class _Argument:
    """One attribute of an object being made: its value expression, and for a `Filler`
    the conversion code and what a None value stands for."""

    name: str
    value: str
    conversion: int = 0
    none_means: Any = None


def _plain_default(attribute: attrs.Attribute[Any]) -> bool:
    """Whether the attribute's default is one shared value (not a factory, not None)."""
    default: Any = attribute.default
    return (
        default is not attrs.NOTHING
        and default is not None
        and not isinstance(default, attrs.Factory)  # type: ignore[arg-type]
    )


def _attributes(cls: type) -> dict[str, attrs.Attribute[Any]]:
    """The attributes of a settings class by settings key."""
    from ._settings_types import settings_key  # noqa: PLC0415

    attrs.resolve_types(cls)
    return {settings_key(a): a for a in attrs.fields(cls)}


def admits_none(tp: Any) -> bool:
    """Whether an attribute type accepts None (shared rule of the settings types)."""
    from ._settings_types import admits_none as rule  # noqa: PLC0415

    return rule(tp)


def _copier(compiler: _Compiler, value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value):
        return f"list({compiler.const(value)})"
    if isinstance(value, dict | list):
        return f"_deepcopy({compiler.const(value)})"
    return compiler.const(value)


class _NoConsts:
    def const(self, value: Any) -> str:
        return "_"


_NO_CONSTS: Final = _NoConsts()


def _c_conversion(f: Field) -> int:
    """What a `Filler` does to a field's (non-None) value: `_CONVERT` for these kinds."""
    if f.kind is Kind.NUMBER:
        return accel.FLOAT
    if f.kind is Kind.CLASSES:
        return accel.TUPLE
    if f.kind is Kind.LIST:
        return accel.FLOAT_TUPLE if f.item_kind is Kind.NUMBER else accel.TUPLE
    if f.kind is Kind.MULTI_CHOICE and kind_spec(f.kind).convert(_NO_CONSTS, f, "g") == "tuple(g)":
        return accel.TUPLE
    if f.kind is Kind.CLASS_MAPPING:
        return accel.MAPPING
    return accel.KEEP


def _compile(
    schema: Schema,
    *,
    accelerate: bool,
    fallback: Callable[[Mapping[str, Any], bool], FastResult] | None = None,
) -> Callable[[Mapping[str, Any], bool], FastResult]:
    """Generate and compile the fast path; `fallback` takes what the accelerator declines."""
    from ._attrs_classes import settings_class  # noqa: PLC0415

    root = settings_class(schema)
    c = _Compiler(schema, accelerate=accelerate)
    c.consts["_EMPTY"] = {}
    c.consts["_fallback"] = fallback or (lambda data, structure: pure(schema)(data, structure))
    c.read_level(schema.children, "data", "")
    c.activity()
    checks = c.lines
    c.lines = []
    c.build(schema.children, root, "")
    with_object = c.lines
    c.lines = []
    c.build(schema.children, None, "")
    tree_only = c.lines
    if any("_NO_DEFAULT" in line for line in with_object):
        with_object = ["    return None"]  # a shape the fast path does not cover
    source = "\n".join(
        [
            "def fast(data, structure):",
            *checks,
            "    if structure:",
            *("    " + line for line in with_object),
            "        return oroot, troot",
            *tree_only,
            "    return None, troot",
        ]
    )
    namespace = dict(c.consts)
    code = compile(source, f"<fast path of {schema.title or 'settings'}>", "exec")
    exec(code, namespace)  # noqa: S102 - our own generated source
    fast: Callable[[Mapping[str, Any], bool], FastResult] = namespace["fast"]
    fast.__source__ = source  # type: ignore[attr-defined]
    return fast
