"""Hypothesis strategies: random valid schema models and settings valid under them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
from hypothesis import strategies as st

from brevetti_schema import MISSING, Field, Kind, Option, Schema, Section
from brevetti_schema._kinds import REGISTRY
from brevetti_schema._model.conditions import equals
from brevetti_schema._model.nodes import Node, derive_label

__all__ = ["VALUES", "schemas", "settings_for", "shaped_like", "value_for"]

_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
_TEXT_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
_TEXT = st.text(_TEXT_CHARS, max_size=12)
_WORDS = st.from_regex(r"[a-z]{1,8}", fullmatch=True)
_LABEL_CHARS = st.characters(codec="utf-8", categories=("L", "N", "Zs"))
_LABELS = st.one_of(st.none(), st.text(_LABEL_CHARS, min_size=1, max_size=16))
_HELP = st.one_of(st.none(), _TEXT.filter(bool))


@st.composite
def _bounds(draw: st.DrawFn, integral: bool) -> dict[str, Any]:
    """Bounds of a number field, sometimes a multiple or an exclusive lower bound; always
    satisfiable."""
    number = st.integers(-1000, 1000) if integral else st.floats(-1e3, 1e3, allow_nan=False)
    low = draw(st.one_of(st.none(), number))
    high = draw(st.one_of(st.none(), number))
    if low is not None and high is not None and low > high:
        low, high = high, low
    spec: dict[str, Any] = {"minimum": low, "maximum": high}
    if integral and draw(st.booleans()):
        spec["step"] = 1
    if draw(st.integers(0, 3)) == 0:  # a multiple, with bounds on multiples of it
        step = draw(st.sampled_from([2, 5] if integral else [0.25, 0.5, 2]))
        spec["multiple_of"] = step
        if low is not None:
            spec["minimum"] = math.ceil(low / step) * step
        if high is not None:
            spec["maximum"] = math.floor(high / step) * step
        if low is not None and high is not None and spec["minimum"] > spec["maximum"]:
            spec["maximum"] = spec["minimum"]
    elif not integral and low is not None and draw(st.integers(0, 2)) == 0:
        spec["minimum"], spec["exclusive_minimum"] = None, low
        if high is not None and high <= low:
            spec["maximum"] = low + 1
    return spec


def _number_in(draw: st.DrawFn, field: Field, integral: bool) -> float:
    low = field.minimum
    if low is None:
        low = field.exclusive_minimum if field.exclusive_minimum is not None else -1e4
    high = field.maximum if field.maximum is not None else 1e4
    step = field.multiple_of
    if step is not None:
        multiple = draw(st.integers(math.ceil(low / step), math.floor(high / step))) * step
        return int(multiple) if integral else multiple
    if integral:
        return draw(st.integers(math.ceil(low), math.floor(high)))
    return draw(
        st.floats(
            low,
            high,
            allow_nan=False,
            allow_infinity=False,
            exclude_min=field.exclusive_minimum is not None,
        )
    )


def _text_for(field: Field) -> st.SearchStrategy[str]:
    """Text within the field's lengths (lowercase words where it has the pattern)."""
    shortest, longest = field.min_length or 0, field.max_length
    if field.pattern:
        return st.from_regex(f"[a-z]{{{max(shortest, 1)},{longest or 8}}}", fullmatch=True)
    return st.text(_TEXT_CHARS, min_size=shortest, max_size=longest or 12)


def _list_value(draw: st.DrawFn, field: Field) -> Any:
    # each item is checked with the list's own constraints
    item = attrs.evolve(field, kind=field.item_kind or Kind.TEXT, item_kind=None,
                        min_items=None, max_items=None, default=MISSING)  # fmt: skip
    return draw(st.lists(value_for(item), min_size=field.min_items or 0, max_size=4))


def _multi_choice_value(draw: st.DrawFn, field: Field) -> Any:
    values = field.option_values()
    chosen = draw(st.lists(st.sampled_from(range(len(values))), unique=True))
    return [values[i] for i in sorted(chosen)]


def _json_value(draw: st.DrawFn, field: Field) -> Any:
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-100, 100), _WORDS)
    return draw(st.one_of(st.dictionaries(_WORDS, leaf, max_size=3), st.lists(leaf, max_size=3)))


def _class_mapping_value(draw: st.DrawFn, field: Field) -> Any:
    target = st.one_of(_WORDS, st.lists(_WORDS, max_size=3))
    return draw(st.dictionaries(_WORDS, target, max_size=3))


VALUES: dict[Kind, Callable[[st.DrawFn, Field], Any]] = {
    Kind.INTEGER: lambda draw, field: _number_in(draw, field, True),
    Kind.NUMBER: lambda draw, field: _number_in(draw, field, False),
    Kind.TEXT: lambda draw, field: draw(_text_for(field)),
    Kind.SECRET: lambda draw, field: draw(_WORDS),
    Kind.BOOLEAN: lambda draw, field: draw(st.booleans()),
    Kind.CHOICE: lambda draw, field: draw(st.sampled_from(field.option_values())),
    Kind.MULTI_CHOICE: _multi_choice_value,
    Kind.LIST: _list_value,
    Kind.CLASSES: lambda draw, field: draw(st.lists(_WORDS, unique=True, max_size=4)),
    Kind.CLASS_MAPPING: _class_mapping_value,
    Kind.JSON: _json_value,
}
"""A valid value of each kind (the kinds' completeness test checks every kind has one)."""


@st.composite
def value_for(draw: st.DrawFn, field: Field) -> Any:
    """A decoded value that satisfies the field's declaration."""
    return VALUES[field.kind](draw, field)


@st.composite
def _text_rules(draw: st.DrawFn) -> dict[str, Any]:
    """Sometimes a pattern, sometimes lengths (always satisfiable)."""
    rules: dict[str, Any] = {}
    if draw(st.booleans()):
        rules["pattern"] = "^[a-z]*$"
    if draw(st.integers(0, 2)) == 0:
        rules["min_length"] = draw(st.integers(0, 3))
        rules["max_length"] = rules["min_length"] + draw(st.integers(1, 5))
    return rules


_OPTION_VALUES = st.one_of(
    st.lists(_WORDS, min_size=1, max_size=5, unique=True),
    st.lists(st.integers(0, 50), min_size=1, max_size=5, unique=True),
)


@st.composite
def _field(draw: st.DrawFn, key: str) -> Field:
    kind = draw(st.sampled_from(list(REGISTRY)))
    spec: dict[str, Any] = {
        "help": draw(_HELP),
        "required": draw(st.booleans()),
        "advanced": draw(st.booleans()),
        "readonly": draw(st.booleans()) and False,
    }
    label = draw(_LABELS)
    if kind in (Kind.INTEGER, Kind.NUMBER):
        spec.update(draw(_bounds(kind is Kind.INTEGER)))
    elif kind is Kind.TEXT:
        spec["multiline"] = draw(st.booleans())
        spec.update(draw(_text_rules()))
    elif kind in (Kind.CHOICE, Kind.MULTI_CHOICE):
        values = draw(_OPTION_VALUES)
        labelled = draw(st.booleans())
        spec["options"] = tuple(Option(v, f"Option {v}" if labelled else None) for v in values)
    elif kind is Kind.LIST:
        spec["item_kind"] = draw(st.sampled_from([Kind.INTEGER, Kind.NUMBER, Kind.TEXT,
                                                   Kind.BOOLEAN]))  # fmt: skip
        if spec["item_kind"] in (Kind.INTEGER, Kind.NUMBER):
            spec.update(draw(_bounds(spec["item_kind"] is Kind.INTEGER)))
            spec.pop("step", None)
        if draw(st.booleans()):
            spec["min_items"] = draw(st.integers(0, 2))
    field = Field(kind, key, label if label is not None else derive_label(key), **spec)
    if draw(st.booleans()):
        default = draw(value_for(field))
        return Field(kind, key, field.label, default=default, **spec)
    return field


@st.composite
def _nodes(draw: st.DrawFn, depth: int) -> tuple[Node, ...]:
    keys = draw(st.lists(_KEYS, min_size=1, max_size=6, unique=True))
    nodes: list[Node] = []
    for key in keys:
        if depth > 0 and draw(st.integers(0, 4)) == 0:
            children = draw(_nodes(depth - 1))
            nodes.append(Section(key, derive_label(key), children,
                                 advanced=draw(st.booleans())))  # fmt: skip
        else:
            nodes.append(draw(_field(key)))
    return tuple(nodes)


@st.composite
def schemas(draw: st.DrawFn, *, conditions: bool = True) -> Schema:
    """A random schema that passes the declaration checks."""
    children = draw(_nodes(2))
    schema = Schema(children=children)
    booleans = [p for p, f in schema.fields() if f.kind is Kind.BOOLEAN and "." not in p]
    if conditions and booleans and draw(st.booleans()):
        # one or two guards; a second guard is itself conditional on the first (a chain)
        guards = booleans[: draw(st.integers(1, 2))]
        rebuilt: list[Node] = []
        for node in children:
            if isinstance(node, Field) and node.key == guards[-1] and len(guards) == 2:
                node = _evolve(node, visible_when=equals(guards[0], draw(st.booleans())))
            elif isinstance(node, Field) and node.key not in guards and draw(st.booleans()):
                guard = draw(st.sampled_from(guards))
                node = _evolve(node, visible_when=equals(guard, draw(st.booleans())))
            rebuilt.append(node)
        schema = Schema(children=tuple(rebuilt))
    fields = list(schema.fields())
    presets: dict[str, dict[str, Any]] = {}
    if fields and draw(st.booleans()):
        path, field = draw(st.sampled_from(fields))
        tree: dict[str, Any] = presets.setdefault(draw(_WORDS), {})
        *parents, last = path.split(".")
        for part in parents:
            tree = tree.setdefault(part, {})
        tree[last] = draw(value_for(field))
    return Schema(children=schema.children, presets=presets)


def _evolve(field: Field, **changes: Any) -> Field:
    import attrs

    return attrs.evolve(field, **changes)


@st.composite
def settings_for(draw: st.DrawFn, schema: Schema, *, complete: bool = True) -> dict[str, Any]:
    """A decoded settings tree valid under `schema` (every field given when `complete`)."""

    def fill(nodes: tuple[Node, ...]) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        for node in nodes:
            if isinstance(node, Section):
                tree[node.key] = fill(node.children)
            elif isinstance(node, Field) and (complete or node.required or draw(st.booleans())):
                tree[node.key] = draw(value_for(node))
        return tree

    return fill(schema.children)


def has_default(field: Field) -> bool:
    """Whether a field declares a default."""
    return field.default is not MISSING


_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**52, max_value=2**64),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from(["", "{", "[1]", '"x"', "null", "1e999", "[[]]", '{"a": [1]}']),
    st.binary(max_size=3),
    st.tuples(st.integers()),
    st.frozensets(st.integers(), max_size=2),
)


@st.composite
def shaped_like(draw: st.DrawFn, schema: Schema) -> dict[str, Any]:
    """A document with the schema's keys (and a few others) holding arbitrary values."""

    def level(nodes: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for node in nodes:
            key = getattr(node, "key", None)
            if key is None or not draw(st.booleans()):
                continue
            children = getattr(node, "children", None)
            if children is not None and draw(st.integers(0, 4)):
                out[key] = level(children)
            else:
                values = st.recursive(_ODD, lambda c: st.lists(c, max_size=3), max_leaves=4)
                out[key] = draw(values)
        return out

    return level(schema.children)
