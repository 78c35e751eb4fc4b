"""Values as settings objects hold them, made without cattrs: what the converters make."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import FrozenDict, FrozenList, SchemaBuilder
from brevetti_schema._emit.classes.converters import STRUCTURER
from brevetti_schema._emit.classes.settings_types import field_type
from brevetti_schema._emit.classes.values import held
from brevetti_schema._model.nodes import Field
from tests.strategies import schemas, value_for


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1 is not 1.0 nor True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@given(st.data())
def test_a_value_is_held_as_the_structuring_converter_holds_it(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    for _path, field in schema.fields():
        values = [field.default] if field.has_default else []
        values.append(data.draw(value_for(field)))
        for conditional in (False, True):
            tp = field_type(field, conditional=conditional)
            for value in values:
                ours, theirs = held(value, tp), STRUCTURER.structure(value, tp)
                assert _same(ours, theirs), (field.kind, tp, value, ours, theirs)


def test_held_values_are_copies_frozen_where_the_type_says() -> None:
    b = SchemaBuilder()
    b.json("extra", default={"a": [1]}).class_mapping(default={"good": ["ok", "fine"]})
    b.list("scales", of="number", default=[1, 2.5]).number("lr", default=1)
    fields: dict[str, Field] = {path: f for path, f in b.build().fields()}
    extra = fields["extra"].default
    copied = held(extra, field_type(fields["extra"]))
    assert copied == extra and copied is not extra and copied["a"] is not extra["a"]
    mapping = held(fields["class_mapping"].default, field_type(fields["class_mapping"]))
    assert isinstance(mapping, FrozenDict) and isinstance(mapping["good"], FrozenList)
    assert _same(held([1, 2.5], field_type(fields["scales"])), FrozenList([1.0, 2.5]))
    assert _same(held(1, field_type(fields["lr"])), 1.0)


def test_a_value_of_another_shape_is_refused() -> None:
    b = SchemaBuilder().integer("n", default=1).list("sizes", of="integer", default=[1])
    fields = dict(b.build().fields())
    with pytest.raises(TypeError):
        held("1", field_type(fields["n"]))
    with pytest.raises(TypeError):
        held(3, field_type(fields["sizes"]))
