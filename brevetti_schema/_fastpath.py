"""A validate-and-structure function compiled from the model, for valid documents.

`compiled(schema)` generates (once per schema) Python source that checks a decoded
settings tree field by field, fills defaults, evaluates `visible_when`, and builds the
typed settings object directly. It answers ``None`` at the first doubt (a string that
needs decoding, an unknown key, a value out of bounds, an inactive field given a
value, ...), and the general pipeline then takes over and reports every problem. So it
never decides that a document is invalid; it only makes valid documents fast.

Its results equal the general pipeline's (the tests check this on random schemas).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from ._model import Condition, Field, Heading, Kind, Node, Schema, Section
from ._secret import Secret
from ._values import compiled_pattern, value_problems

__all__ = ["FastResult", "compiled"]

FastResult = tuple[Any, dict[str, Any]] | None
"""``(settings object or None, complete decoded tree)``, or ``None``: take the slow path."""

_M: Final = object()


def compiled(schema: Schema) -> Callable[[Mapping[str, Any], bool], FastResult]:
    """The compiled fast path of a schema (made once per schema object)."""
    return schema.memo("fastpath", _compile)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _holds(condition: Condition, lookup: Callable[[str], Any]) -> bool:
    if condition.op == "all":
        return all(_holds(c, lookup) for c in condition.items)
    if condition.op == "any":
        return any(_holds(c, lookup) for c in condition.items)
    current = lookup(condition.field or "")
    if condition.op == "equals":
        return current is not _M and _same(current, condition.value)
    if condition.op == "not_equals":
        return current is _M or not _same(current, condition.value)
    return current is not _M and any(_same(current, v) for v in condition.value)


class _Compiler:
    """Writes the source of one schema's fast path."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {
            "_M": _M, "_MP": MappingProxyType, "_Secret": Secret, "_json": json,
            "_deepcopy": copy.deepcopy, "_isfinite": math.isfinite, "_holds": _holds,
        }  # fmt: skip
        self.names: dict[str, str] = {}  # dotted path -> variable suffix
        self.paths = {p: n for p, n in schema.walk() if p}
        self.counter = 0

    def const(self, value: Any) -> str:
        self.counter += 1
        name = f"_c{self.counter}"
        self.consts[name] = value
        return name

    def var(self, path: str) -> str:
        if path not in self.names:
            self.names[path] = f"{len(self.names)}"
        return self.names[path]

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)

    # -- reading and checking values ---------------------------------------------------

    def read_level(self, nodes: tuple[Node, ...], data: str, path: str) -> None:
        """Read one level: check the mapping, then each field's given value."""
        keys = frozenset(n.key for n in nodes if not isinstance(n, Heading))
        self.emit(f"if {data}.__class__ is not dict or not {data}.keys() <= {self.const(keys)}:")
        self.emit("return None", 2)
        for node in nodes:
            if isinstance(node, Heading):
                continue
            child = f"{path}{node.key}"
            v = self.var(child)
            if isinstance(node, Section):
                self.emit(f"d{v} = {data}.get({node.key!r}, _M)")
                self.emit(f"if d{v} is _M: d{v} = {{}}")
                self.read_level(node.children, f"d{v}", child + ".")
            else:
                self.emit(f"g{v} = {data}.get({node.key!r}, _M)")
                self.check_field(node, f"g{v}")

    def check_field(self, field: Field, g: str) -> None:
        """Code that leaves a good given value in `g` or returns None."""
        if field.json_transport:
            self.emit(f"if {g}.__class__ is str:")
            self.emit("try:", 2)
            self.emit(f"{g} = _json.loads({g}) if {g} else _M", 3)
            self.emit("except ValueError:", 2)
            self.emit("return None", 3)
        elif field.kind is Kind.CHOICE:
            self.emit(f'if {g} == "": return None')
        elif field.kind not in (Kind.TEXT, Kind.SECRET):
            self.emit(f"if {g}.__class__ is str: return None")
        test = _TESTS[field.kind](self, field, g)
        none_ok = "True" if not field.required else "False"
        self.emit(
            f"if {g} is not _M and not ({g} is None and {none_ok} or {g} is not None and ({test})):"
        )
        self.emit("return None", 2)

    # -- activity, defaults, construction ------------------------------------------------

    def activity(self) -> None:
        """``a<v>`` for every node: whether it is active (ancestors and its condition)."""
        done: set[str] = set()
        for path in self.paths:
            self.active(path, done)

    def active(self, path: str, done: set[str]) -> None:
        if path in done:
            return
        done.add(path)
        node = self.paths[path]
        parent = path.rpartition(".")[0]
        parts = []
        if parent:
            self.active(parent, done)
            parts.append(f"a{self.var(parent)}")
        condition = node.visible_when if isinstance(node, Field | Section) else None
        if condition is not None:
            for dependency in condition.fields():
                if dependency in self.paths:
                    self.active(dependency, done)
            parts.append(f"_holds({self.const(condition)}, _lk)")
        self.emit(f"a{self.var(path)} = {' and '.join(parts) or 'True'}")
        if isinstance(node, Field):
            v = self.var(path)
            default = self.const(node.default) if node.has_default else "_M"
            self.emit(f"l{v} = g{v} if g{v} is not _M else ({default} if a{v} else _M)")
            self.emit(f"_L[{path!r}] = l{v}")

    def build(self, nodes: tuple[Node, ...], cls: str, path: str, structure: bool) -> str:
        """Code that makes the tree (and object) of one level; returns their names."""
        plans = _attribute_names(self.schema, path)
        v = self.var(path) if path else "root"
        self.emit(f"t{v} = {{}}")
        self.emit(f"k{v} = {{}}")
        for node in nodes:
            if isinstance(node, Heading):
                continue
            child = f"{path}.{node.key}" if path else node.key
            c = self.var(child)
            name, admits_none = plans[node.key]
            if isinstance(node, Section):
                inner_cls = f"{cls}_{c}"
                self.consts[inner_cls] = _section_class(self.consts[cls], name)
                self.build(node.children, inner_cls, child, structure)
                self.emit(f"if a{c}:")
                self.emit(f"t{v}[{node.key!r}] = t{c}", 2)
                if structure:
                    self.emit(f"k{v}[{name!r}] = o{c}", 2)
                self.emit(f"elif d{c}: return None")
                continue
            self.emit(f"if not a{c}:")
            self.emit(f"if g{c} is not _M: return None", 2)
            self.emit("else:")
            if node.has_default:
                self.emit(f"if g{c} is _M: g{c} = {_copier(self, node.default)}", 2)
            elif node.required:
                self.emit(f"if g{c} is _M: return None", 2)
            else:
                self.emit(f"if g{c} is _M: g{c} = None", 2)
            self.emit(f"t{v}[{node.key!r}] = g{c}", 2)
            if structure:
                converted = _CONVERT[node.kind](self, node, f"g{c}")
                if admits_none:
                    self.emit(f"k{v}[{name!r}] = None if g{c} is None else {converted}", 2)
                else:
                    self.emit(f"if g{c} is not None: k{v}[{name!r}] = {converted}", 2)
        if structure:
            guard = f" if a{v} else None" if path else ""
            self.emit(f"o{v} = {cls}(**k{v}){guard}")
        return v


def _attribute_names(schema: Schema, path: str) -> dict[str, tuple[str, bool]]:
    """Settings key -> (attribute name, whether the attribute accepts None) at `path`."""
    from ._attrs_classes import settings_class  # noqa: PLC0415
    from ._settings_types import admits_none, settings_key  # noqa: PLC0415

    cls = settings_class(schema)
    for part in path.split(".") if path else ():
        (attribute,) = (a for a in attrs.fields(cls) if settings_key(a) == part)
        cls = attribute.type
    attrs.resolve_types(cls)
    return {settings_key(a): (a.name, admits_none(a.type)) for a in attrs.fields(cls)}


def _section_class(cls: type, name: str) -> type:
    attrs.resolve_types(cls)
    return next(a.type for a in attrs.fields(cls) if a.name == name)  # type: ignore[no-any-return]


def _copier(compiler: _Compiler, value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value):
        return f"list({compiler.const(value)})"
    if isinstance(value, dict | list):
        return f"_deepcopy({compiler.const(value)})"
    return compiler.const(value)


# -- per-kind checks (expressions over a non-None given value g) ---------------------------


def _bounds(c: _Compiler, f: Field, g: str) -> list[str]:
    tests = []
    if f.minimum is not None:
        tests.append(f"{g} >= {f.minimum!r}")
    if f.maximum is not None:
        tests.append(f"{g} <= {f.maximum!r}")
    if f.exclusive_minimum is not None:
        tests.append(f"{g} > {f.exclusive_minimum!r}")
    if f.exclusive_maximum is not None:
        tests.append(f"{g} < {f.exclusive_maximum!r}")
    if f.multiple_of is not None:
        tests.append(f"not {c.const(_checker(f))}({g})")
    return tests


def _checker(field: Field) -> Callable[[Any], list[str]]:
    return lambda value: value_problems(field, value)


def _integer(c: _Compiler, f: Field, g: str) -> str:
    return " and ".join([f"{g}.__class__ is int", *_bounds(c, f, g)])


def _number(c: _Compiler, f: Field, g: str) -> str:
    typed = f"({g}.__class__ is int or {g}.__class__ is float and _isfinite({g}))"
    return " and ".join([typed, *_bounds(c, f, g)])


def _text(c: _Compiler, f: Field, g: str) -> str:
    tests = [f"{g}.__class__ is str"]
    if f.min_length is not None:
        tests.append(f"len({g}) >= {f.min_length}")
    if f.max_length is not None:
        tests.append(f"len({g}) <= {f.max_length}")
    pattern = compiled_pattern(f.pattern)
    if pattern is not None:
        tests.append(f"{c.const(pattern.search)}({g}) is not None")
    return " and ".join(tests)


def _boolean(c: _Compiler, f: Field, g: str) -> str:
    return f"{g}.__class__ is bool"


def _option_table(f: Field) -> dict[tuple[type, Any], Any]:
    return {(type(o.value), o.value): o.value for o in f.options}


def _choice(c: _Compiler, f: Field, g: str) -> str:
    scalars = c.const(frozenset({str, int, float, bool, type(None)}))
    return f"{g}.__class__ in {scalars} and ({g}.__class__, {g}) in {c.const(_option_table(f))}"


def _items(f: Field, g: str) -> list[str]:
    tests = []
    if f.min_items is not None:
        tests.append(f"len({g}) >= {f.min_items}")
    if f.max_items is not None:
        tests.append(f"len({g}) <= {f.max_items}")
    return tests


def _multi_choice(c: _Compiler, f: Field, g: str) -> str:
    table = c.const(_option_table(f))
    scalars = c.const(frozenset({str, int, float, bool, type(None)}))
    tests = [
        f"{g}.__class__ is list",
        f"all(_x.__class__ in {scalars} and (_x.__class__, _x) in {table} for _x in {g})",
        f"len(set(map(repr, {g}))) == len({g})",
        *_items(f, g),
    ]
    return " and ".join(tests)


def _list(c: _Compiler, f: Field, g: str) -> str:
    item = Field(f.item_kind or Kind.TEXT, f.key, f.label, minimum=f.minimum,
                 maximum=f.maximum)  # fmt: skip
    item_test = _TESTS[item.kind](c, item, "_x")
    return " and ".join(
        [f"{g}.__class__ is list", *_items(f, g), f"all({item_test} for _x in {g})"]
    )


def _classes(c: _Compiler, f: Field, g: str) -> str:
    tests = [f"{g}.__class__ is list", f"all(_x.__class__ is str for _x in {g})", *_items(f, g)]
    return " and ".join(tests)


def _class_mapping(c: _Compiler, f: Field, g: str) -> str:
    return (
        f"{g}.__class__ is dict and all(_k.__class__ is str and (_x.__class__ is str or "
        f"_x.__class__ is list and all(_y.__class__ is str for _y in _x)) "
        f"for _k, _x in {g}.items())"
    )


def _json_value(c: _Compiler, f: Field, g: str) -> str:
    typed = f"({g}.__class__ is dict or {g}.__class__ is list)"
    if f.json_schema is None:
        return typed
    # an inner JSON Schema: only the declared default (checked at build time) is fast
    return f"{typed} and {g} == {c.const(f.default if f.has_default else _M)}"


_TESTS: Final[dict[Kind, Callable[[_Compiler, Field, str], str]]] = {
    Kind.INTEGER: _integer,
    Kind.NUMBER: _number,
    Kind.TEXT: _text,
    Kind.SECRET: _text,
    Kind.BOOLEAN: _boolean,
    Kind.CHOICE: _choice,
    Kind.MULTI_CHOICE: _multi_choice,
    Kind.LIST: _list,
    Kind.CLASSES: _classes,
    Kind.CLASS_MAPPING: _class_mapping,
    Kind.JSON: _json_value,
}


# -- per-kind conversion to the attribute form ---------------------------------------------


def _same_value(c: _Compiler, f: Field, g: str) -> str:
    return g


def _to_float(c: _Compiler, f: Field, g: str) -> str:
    return f"float({g})"


def _to_secret(c: _Compiler, f: Field, g: str) -> str:
    return f"_Secret({g})"


def _to_tuple(c: _Compiler, f: Field, g: str) -> str:
    if f.kind is Kind.LIST and f.item_kind is Kind.NUMBER:
        return f"tuple([float(_x) for _x in {g}])"
    return f"tuple({g})"


def _to_choice(c: _Compiler, f: Field, g: str) -> str:
    from ._converters import STRUCTURER  # noqa: PLC0415
    from ._settings_types import field_type  # noqa: PLC0415

    tp = field_type(f)
    table = {(type(o.value), o.value): STRUCTURER.structure(o.value, tp) for o in f.options}
    return f"{c.const(table)}[({g}.__class__, {g})]"


def _to_multi_choice(c: _Compiler, f: Field, g: str) -> str:
    from ._converters import STRUCTURER  # noqa: PLC0415
    from ._settings_types import field_type  # noqa: PLC0415

    tp = field_type(f)
    table = {(type(o.value), o.value): STRUCTURER.structure([o.value], tp)[0] for o in f.options}
    return f"tuple([{c.const(table)}[(_x.__class__, _x)] for _x in {g}])"


def _to_mapping(c: _Compiler, f: Field, g: str) -> str:
    return f"_MP({{_k: (tuple(_x) if _x.__class__ is list else _x) for _k, _x in {g}.items()}})"


def _to_json(c: _Compiler, f: Field, g: str) -> str:
    return f"_deepcopy({g})"


_CONVERT: Final[dict[Kind, Callable[[_Compiler, Field, str], str]]] = {
    Kind.INTEGER: _same_value,
    Kind.NUMBER: _to_float,
    Kind.TEXT: _same_value,
    Kind.SECRET: _to_secret,
    Kind.BOOLEAN: _same_value,
    Kind.CHOICE: _to_choice,
    Kind.MULTI_CHOICE: _to_multi_choice,
    Kind.LIST: _to_tuple,
    Kind.CLASSES: _to_tuple,
    Kind.CLASS_MAPPING: _to_mapping,
    Kind.JSON: _to_json,
}


def _compile(schema: Schema) -> Callable[[Mapping[str, Any], bool], FastResult]:
    from ._attrs_classes import settings_class  # noqa: PLC0415

    c = _Compiler(schema)
    c.consts["_root_cls"] = settings_class(schema)
    c.emit("_L = {}")
    c.emit("_lk = _L.get")
    c.read_level(schema.children, "data", "")
    c.activity()
    body = list(c.lines)
    c.lines = []
    c.build(schema.children, "_root_cls", "", True)
    with_object = list(c.lines)
    c.lines = []
    c.build(schema.children, "_root_cls", "", False)
    tree_only = list(c.lines)
    source = "\n".join(
        [
            "def fast(data, structure):",
            *body,
            "    if structure:",
            *("    " + line for line in with_object),
            "        return oroot, troot",
            *tree_only,
            "    return None, troot",
        ]
    )
    # lookups of a condition: the value given, else the default of an active field
    source = source.replace("_holds(", "_holds_l(")
    namespace = dict(c.consts)
    namespace["_holds_l"] = lambda cond, get: _holds(cond, lambda p: get(p, _M))
    exec(compile(source, f"<fast path of {schema.title or 'settings'}>", "exec"), namespace)  # noqa: S102 - our own generated source
    fast: Callable[[Mapping[str, Any], bool], FastResult] = namespace["fast"]
    fast.__source__ = source  # type: ignore[attr-defined]
    return fast
