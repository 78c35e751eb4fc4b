"""The SchemaBuilder DSL and the declaration checks it runs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from brevetti_schema import Field, Heading, Kind, Option, SchemaBuilder, SchemaError, Section
from brevetti_schema._kinds.checks import check_schema
from tests.strategies import schemas


def _problems(builder: SchemaBuilder) -> list[str]:
    with pytest.raises(SchemaError) as info:
        builder.build()
    return [str(p) for p in info.value.problems]


def test_every_kind_builds() -> None:
    b = SchemaBuilder(title="All kinds")
    b.integer("epochs", default=10, min=1, max=100, step=1, unit="epochs")
    b.number("lr", default=0.01, exclusive_min=0, max=1)
    b.text("name", default="run", max_length=20, pattern="^[a-z]+$")
    b.text("notes", multiline=True, rows=6)
    b.boolean("flip", default=True)
    b.choice("loss", options={"bce": "Binary CE", "mse": "Squared"}, default="bce")
    b.multi_choice("metrics", options=["acc", "f1"], default=["acc"])
    b.list("sizes", of="integer", default=[224, 224], min=1, min_items=2, max_items=2)
    b.json("extra", default={"a": 1}, json_schema={"type": "object"})
    b.classes(default=["ok", "bad"])
    b.class_mapping(default={"good": "ok", "scratch": ["bad"]})
    b.secret("token", advanced=True)
    b.heading("More")
    schema = b.build()
    kinds = [f.kind for _, f in schema.fields()]
    assert kinds == [
        Kind.INTEGER, Kind.NUMBER, Kind.TEXT, Kind.TEXT, Kind.BOOLEAN, Kind.CHOICE,
        Kind.MULTI_CHOICE, Kind.LIST, Kind.JSON, Kind.CLASSES, Kind.CLASS_MAPPING, Kind.SECRET,
    ]  # fmt: skip
    assert schema.title == "All kinds"
    assert isinstance(schema.children[-1], Heading)
    loss = schema.find("loss")
    assert isinstance(loss, Field)
    assert loss.options == (Option("bce", "Binary CE"), Option("mse", "Squared"))
    sizes = schema.find("sizes")
    assert isinstance(sizes, Field) and sizes.item_kind is Kind.INTEGER
    notes = schema.find("notes")
    assert isinstance(notes, Field) and notes.multiline and notes.rows == 6
    assert schema.find("classes") is not None and schema.find("class_mapping") is not None


def test_sections_nest_and_chain() -> None:
    b = SchemaBuilder()
    b.section("training", help="How to train").integer("epochs", default=2).number(
        "lr", default=0.1
    ).end().boolean("top", default=False)
    with b.section("aug", advanced=True) as aug, aug.section("color") as color:
        color.number("gamma", default=1.0)
    schema = b.build()
    assert [p for p, _ in schema.walk()] == [
        "training", "training.epochs", "training.lr", "top", "aug", "aug.color",
        "aug.color.gamma",
    ]  # fmt: skip
    training = schema.find("training")
    assert isinstance(training, Section) and training.label == "Training"
    assert training.help == "How to train"
    aug = schema.find("aug")
    assert isinstance(aug, Section) and aug.advanced


def test_labels_derive_from_keys_unless_given() -> None:
    schema = (
        SchemaBuilder()
        .integer("image_height", default=1)
        .integer("w", label="Image width", default=1)
        .build()
    )
    assert [f.label for _, f in schema.fields()] == ["Image height", "Image width"]


def test_presets_per_field_and_whole_merge() -> None:
    b = SchemaBuilder()
    b.integer("epochs", default=10, presets={"quick": 1, "long": 100})
    with b.section("aug") as aug:
        aug.boolean("flip", default=True, presets={"quick": False})
    b.preset("quick", {"aug": {"flip": True}})
    b.preset("long", {"aug": {"flip": True}})
    schema = b.build()
    assert schema.presets == {
        "quick": {"epochs": 1, "aug": {"flip": True}},
        "long": {"epochs": 100, "aug": {"flip": True}},
    }


def test_declaration_problems_are_all_reported_with_paths() -> None:
    b = SchemaBuilder()
    b.integer("epochs", default=500, max=100)
    b.integer("epochs", default=1)
    b.choice("loss", options=[])
    b.choice("mode", options=["a", "b"], default="c")
    b.number("lr", min=1, max=0)
    with b.section("s") as s:
        s.text("name", default="ABC", pattern="^[a-z]+$")
    problems = _problems(b)
    assert problems == [
        "epochs: default 500 is above the maximum 100",
        "epochs: duplicate key 'epochs'",
        "loss: options must not be empty",
        "mode: default 'c' is not one of the options ('a', 'b')",
        "lr: min 1 is greater than its maximum 0",
        "s.name: default 'ABC' does not match the pattern '^[a-z]+$'",
    ]


@pytest.mark.parametrize(
    ("declare", "expected"),
    [
        (lambda b: b.integer("n", default=1.5), "n: default expected an integer, got 1.5"),
        (lambda b: b.integer("n", default=True), "n: default expected an integer, got True"),
        (lambda b: b.boolean("b", default="yes"), "b: default expected true or false, got 'yes'"),
        (lambda b: b.list("l", of="integer", default=[1, "x"]), "l: default item 1: expected an integer, got 'x'"),
        (lambda b: b.list("l", of="banana"), "l: unknown item kind 'banana'"),
        (lambda b: b.multi_choice("m", options=["a"], default=["a", "z"]), "m: default item 1: 'z' is not one of the options ('a')"),
        (lambda b: b.class_mapping(default={"f": 3}), "class_mapping: default 'f': expected text or a list, got 3"),
        (lambda b: b.text("t", pattern="(", default="x"), "t: pattern '(' is not a valid regular expression: missing ), unterminated subpattern at position 0"),
        (lambda b: b.integer("n", default=3, multiple_of=2), "n: default 3 is not a multiple of 2"),
        (lambda b: b.number("n", default=0, exclusive_min=0), "n: default 0 must be greater than 0"),
        (lambda b: b.integer("a.b"), "a.b: key 'a.b' must be non-empty, no dots"),
        (lambda b: b.integer("n", colour="red"), "unknown option(s) ['colour']"),
    ],
)  # fmt: skip
def test_each_declaration_mistake(declare: Any, expected: str) -> None:
    b = SchemaBuilder()
    with pytest.raises(SchemaError) as info:
        declare(b)
        b.build()
    assert expected in str(info.value)


def test_preset_naming_unknown_field_or_bad_value() -> None:
    b = SchemaBuilder().integer("epochs", default=1, min=1)
    b.preset("fast", {"epoch": 2, "epochs": 0})
    assert _problems(b) == [
        "epoch: preset 'fast' names an unknown field",
        "epochs: preset 'fast': 0 is below the minimum 1",
    ]


def test_preset_values_of_mapping_fields_stay_whole() -> None:
    b = SchemaBuilder().class_mapping(default={})
    b.preset("p", {"class_mapping": {"a": "b"}})
    assert b.build().presets == {"p": {"class_mapping": {"a": "b"}}}


def test_conditions_checked_at_build_time() -> None:
    b = SchemaBuilder()
    b.choice("mode", options=["a", "b"], default="a")
    b.integer("x", visible_when={"field": "mode", "equals": "a"})
    b.integer("y", visible_when={"field": "mdoe", "equals": "a"})
    b.integer("z", visible_when={"field": "mode", "equals": "c"})
    problems = _problems(b)
    assert problems == [
        "y: visible_when names an unknown field 'mdoe'",
        "z: visible_when compares mode with 'c': 'c' is not one of the options ('a', 'b')",
    ]


def test_condition_cycles_are_refused() -> None:
    b = SchemaBuilder()
    b.boolean("a", default=True, visible_when={"field": "b", "equals": True})
    b.boolean("b", default=True, visible_when={"field": "a", "equals": True})
    with b.section("s", visible_when={"field": "s.c", "equals": True}) as s:
        s.boolean("c", default=True)
    problems = _problems(b)
    assert "a: visible_when conditions form a cycle" in problems
    assert "b: visible_when conditions form a cycle" in problems
    assert "s: visible_when conditions form a cycle" in problems


@pytest.mark.parametrize(
    "bad",
    [
        "mode == a",
        {"field": "mode"},
        {"field": "mode", "equals": 1, "one_of": [1]},
        {"all": []},
        {"field": "mode", "one_of": "a"},
    ],
)
def test_malformed_conditions(bad: Any) -> None:
    with pytest.raises(SchemaError, match="visible_when"):
        SchemaBuilder().boolean("mode", default=True).integer("x", visible_when=bad)


def test_end_on_root_is_an_error() -> None:
    with pytest.raises(SchemaError, match="end"):
        SchemaBuilder().end()


def test_built_schema_is_immutable_and_independent() -> None:
    default = [1, 2]
    b = SchemaBuilder().list("l", of="integer", default=default)
    schema = b.build()
    default.append(3)
    field = schema.find("l")
    assert isinstance(field, Field) and field.default == [1, 2]
    with pytest.raises(AttributeError):
        field.key = "other"  # type: ignore[misc]


@given(schemas())
def test_random_schemas_pass_their_own_checks(schema: Any) -> None:
    assert [p for p in check_schema(schema) if p.severity == "error"] == []
