"""The model: labels, tree walking, lookups, conditions."""

from __future__ import annotations

import pytest

from brevetti_schema import MISSING, Field, Kind, Schema, Section, derive_label
from brevetti_schema._model.conditions import all_of, any_of, equals, not_equals, one_of


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("image_height", "Image height"),
        ("learningRate", "Learning rate"),
        ("IOU_threshold", "IOU threshold"),
        ("epochs", "Epochs"),
        ("x", "X"),
        ("batch-size", "Batch size"),
    ],
)
def test_derive_label(key: str, label: str) -> None:
    assert derive_label(key) == label


def _schema() -> Schema:
    inner = Section("aug", "Aug", (Field(Kind.BOOLEAN, "flip", "Flip", default=True),))
    return Schema((Field(Kind.INTEGER, "epochs", "Epochs", default=3), inner))


def test_walk_and_find() -> None:
    schema = _schema()
    assert [p for p, _ in schema.walk()] == ["epochs", "aug", "aug.flip"]
    assert [p for p, _ in schema.fields()] == ["epochs", "aug.flip"]
    flip = schema.find("aug.flip")
    assert isinstance(flip, Field) and flip.default is True
    assert schema.find("aug.nope") is None
    assert schema.find("epochs.x") is None
    assert schema.field_count() == 2


def test_missing_is_not_none() -> None:
    field = Field(Kind.TEXT, "name", "Name")
    assert field.default is MISSING and not field.has_default
    assert Field(Kind.TEXT, "name", "Name", default=None).has_default
    assert repr(MISSING) == "MISSING"


def test_conditions_hold() -> None:
    values = {"mode": "a", "flag": True, "n": 1}
    assert equals("mode", "a").holds(values)
    assert not equals("flag", 1).holds(values)  # booleans are not numbers here
    assert not_equals("mode", "b").holds(values)
    assert one_of("mode", ["a", "b"]).holds(values)
    assert all_of(equals("mode", "a"), equals("n", 1)).holds(values)
    assert not all_of(equals("mode", "a"), equals("n", 2)).holds(values)
    assert any_of(equals("mode", "z"), equals("n", 1)).holds(values)
    assert not equals("missing", None).holds(values)
    assert list(all_of(equals("a", 1), any_of(equals("b", 2))).fields()) == ["a", "b"]
