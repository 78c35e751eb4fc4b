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
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from ._model import Condition, Field, Heading, Kind, Node, Schema, Section
from ._secret import Secret
from ._values import compiled_pattern, inner_validator

__all__ = ["FastResult", "compiled"]

FastResult = tuple[Any, dict[str, Any]] | None
"""``(settings object or None, complete decoded tree)``, or ``None``: take the slow path."""

_M: Final = object()


def compiled(schema: Schema) -> Callable[[Mapping[str, Any], bool], FastResult]:
    """The compiled fast path of a schema (made once per schema object)."""
    return schema.memo("fastpath", _compile)


_SCALARS: Final = (str, int, float, bool, type(None))
_IMMUTABLE: Final = (str, int, float, bool, type(None))


class _Compiler:
    """Writes the source of one schema's fast path.

    Activity is decided at compile time where it can be: a node with no condition on
    it or above it is always active, and its code has no activity branches. Only the
    fields that conditions read keep a lookup value, and conditions are inlined.
    """

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {
            "_M": _M, "_MP": MappingProxyType, "_Secret": Secret, "_json": json,
            "_deepcopy": copy.deepcopy, "_new": object.__new__,
        }  # fmt: skip
        self.values: dict[Any, str] = {}
        self.names: dict[str, str] = {}  # dotted path -> variable suffix
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

    def check_field(self, field: Field, g: str, *, missing_possible: bool) -> None:
        """Code that leaves a good given value in `g` (or `_M`) or returns None."""
        if field.json_transport:
            self.emit(f"if {g}.__class__ is str:")
            self.emit("try:", 2)
            self.emit(f"{g} = _json.loads({g}) if {g} else _M", 3)
            self.emit("except ValueError:", 2)
            self.emit("return None", 3)
        elif field.kind is Kind.CHOICE and "" in field.option_values():
            self.emit(f'if {g} == "": return None')  # "" means "not set" to the pipeline
        # any other text given for a non-text kind fails its test: the pipeline decodes it
        test = _TESTS[field.kind](self, field, g)
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
                    parts.append(f"a{self.var(parent)}")
                condition = node.visible_when if isinstance(node, Field | Section) else None
                if condition is not None:
                    parts.append(self.condition(condition))
                self.emit(f"a{v} = {' and '.join(parts) or 'True'}")
            if path in self.read_by_conditions and isinstance(node, Field):
                if self.folded_default(node, path):
                    self.emit(f"l{v} = g{v}")
                elif node.has_default:
                    active = "True" if self.static[path] else f"a{v}"
                    default = self.const(node.default)
                    self.emit(f"l{v} = g{v} if g{v} is not _M else ({default} if {active} else _M)")
                else:
                    self.emit(f"l{v} = g{v}")

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
        entries: list[str] = []  # always present in the tree
        optional: list[tuple[str, str, str]] = []  # (activity, key, value)
        kwargs: list[str] = []
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
                    self.emit(f"if not a{v} and d{v}: return None")
                    optional.append((f"a{v}", node.key, f"t{v}"))
                else:
                    entries.append(f"{node.key!r}: t{v}")
                if attribute is not None:
                    value = f"o{v}" if static else f"o{v} if a{v} else {self.default_of(attribute)}"
                    kwargs.append(f"{attribute.name}={value}")
                continue
            self.settle(node, path, v)
            if static:
                entries.append(f"{node.key!r}: g{v}")
            else:
                optional.append((f"a{v}", node.key, f"g{v}"))
            if attribute is not None:
                kwargs.append(f"{attribute.name}={self.attribute_value(node, attribute, path, v)}")
        self.emit(f"t{level} = {{{', '.join(entries)}}}")
        for active, key, value in optional:
            self.emit(f"if {active}: t{level}[{key!r}] = {value}")
        if cls is not None:
            self.construct(cls, level, kwargs, prefix)
        return level

    def construct(self, cls: type, level: str, kwargs: list[str], prefix: str) -> None:
        """``o<level>``: the object, made by filling its slots when attrs adds no logic."""
        dynamic = bool(prefix) and not self.static[prefix.rstrip(".")]
        if not _plain_slots(cls):
            made = f"{self.const(cls)}({', '.join(kwargs)})"
            self.emit(
                f"o{level} = {made} if a{level} else None" if dynamic else f"o{level} = {made}"
            )
            return
        depth = 1
        if dynamic:
            self.emit(f"o{level} = None")
            self.emit(f"if a{level}:")
            depth = 2
        self.emit(f"o{level} = _new({self.const(cls)})", depth)
        for item in kwargs:
            name, _, value = item.partition("=")
            setter = self.const(getattr(cls, name).__set__)
            self.emit(f"{setter}(o{level}, {value})", depth)

    def settle(self, field: Field, path: str, v: str) -> None:
        """The field's final tree value in ``g<v>``: given, default, or None; or give up."""
        if self.folded_default(field, path):
            return
        if not self.static[path]:
            self.emit(f"if not a{v} and g{v} is not _M: return None")
        fallback = (
            _copier(self, field.default)
            if field.has_default
            else "None"
            if not field.required
            else None
        )
        guard = "" if self.static[path] else f"a{v} and "
        if fallback is None:
            self.emit(f"if {guard}g{v} is _M: return None")
        else:
            self.emit(f"if {guard}g{v} is _M: g{v} = {fallback}")

    def attribute_value(
        self, field: Field, attribute: attrs.Attribute[Any], path: str, v: str
    ) -> str:
        """The expression of an attribute's value, matching what `structure` would make."""
        g = f"g{v}"
        converted = _CONVERT[field.kind](self, field, g)
        default = self.default_of(attribute)
        if field.required:  # the checks refused None
            value = converted
        elif admits_none(attribute.type):
            value = converted if converted == g else f"None if {g} is None else {converted}"
        else:  # None given for a field with a default means "not set": the default holds
            value = f"{default} if {g} is None else {converted}"
        if not self.static[path]:
            value = f"({value}) if a{v} else {default}"
        return value

    def default_of(self, attribute: attrs.Attribute[Any]) -> str:
        """The attribute's own default as an expression (what attrs would give)."""
        default: Any = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            return f"{self.const(default.factory)}()"
        if default is attrs.NOTHING:
            return "_NO_DEFAULT"
        return self.const(default)


def _plain_slots(cls: type) -> bool:
    """Whether filling the slots makes what ``cls(**kwargs)`` makes (nothing else runs)."""
    fields = attrs.fields(cls)
    slots = set(cls.__dict__.get("__slots__", ())) - {"__weakref__"}
    return (
        slots == {a.name for a in fields}  # no cached hash or other hidden state
        and not hasattr(cls, "__attrs_post_init__")
        and not hasattr(cls, "__attrs_pre_init__")
        and all(a.validator is None and a.converter is None for a in fields)
        and all(type(cls.__dict__.get(a.name)).__name__ == "member_descriptor" for a in fields)
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
    step = f.multiple_of
    if step is not None:
        if float(step).is_integer() and f.kind is Kind.INTEGER:
            tests.append(f"{g} % {int(step)} == 0")
        else:  # the tolerance of `_values`: a quotient within 1e-9 of a whole number
            tests.append(f"abs({g} / {step!r} - round({g} / {step!r})) <= 1e-9")
    return tests


def _integer(c: _Compiler, f: Field, g: str) -> str:
    return " and ".join([f"{g}.__class__ is int", *_bounds(c, f, g)])


def _number(c: _Compiler, f: Field, g: str) -> str:
    # x - x is 0.0 for every finite float, NaN for inf and NaN
    typed = f"({g}.__class__ is int or {g}.__class__ is float and {g} - {g} == 0.0)"
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
    kinds = {type(v) for v in f.option_values()}
    if len(kinds) == 1 and kinds <= {str, int}:  # one hashable class: a plain set lookup
        (kind,) = kinds
        return (
            f"{g}.__class__ is {kind.__name__} and {g} in {c.const(frozenset(f.option_values()))}"
        )
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
        f"not [0 for _x in {g} if _x.__class__ not in {scalars}"
        f" or (_x.__class__, _x) not in {table}]",
        f"len(set(map(repr, {g}))) == len({g})",
        *_items(f, g),
    ]
    return " and ".join(tests)


def _list(c: _Compiler, f: Field, g: str) -> str:
    item = Field(f.item_kind or Kind.TEXT, f.key, f.label, minimum=f.minimum,
                 maximum=f.maximum)  # fmt: skip
    item_test = _TESTS[item.kind](c, item, "_x")
    return " and ".join(
        [f"{g}.__class__ is list", *_items(f, g), f"not [0 for _x in {g} if not ({item_test})]"]
    )


def _classes(c: _Compiler, f: Field, g: str) -> str:
    strings = f"not [0 for _x in {g} if _x.__class__ is not str]"
    tests = [f"{g}.__class__ is list", strings, *_items(f, g)]
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
    validator = inner_validator(json.dumps(f.json_schema, sort_keys=True))
    return f"{typed} and {c.const(validator.is_valid)}({g})"


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
    if all(type(v) is k[0] and v == k[1] for k, v in table.items()):
        return g  # every option structures to itself
    return f"{c.const(table)}[({g}.__class__, {g})]"


def _to_multi_choice(c: _Compiler, f: Field, g: str) -> str:
    from ._converters import STRUCTURER  # noqa: PLC0415
    from ._settings_types import field_type  # noqa: PLC0415

    tp = field_type(f)
    table = {(type(o.value), o.value): STRUCTURER.structure([o.value], tp)[0] for o in f.options}
    if all(type(v) is k[0] and v == k[1] for k, v in table.items()):
        return f"tuple({g})"
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

    root = settings_class(schema)
    c = _Compiler(schema)
    c.consts["_EMPTY"] = {}
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
