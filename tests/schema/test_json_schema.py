"""The JSON Schema back end: fragments per kind, constraints, conditions, strict mode."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from jsonschema import Draft202012Validator

from brevetti_schema import (
    Field,
    Kind,
    Option,
    Schema,
    SchemaBuilder,
    Section,
    all_of,
    any_of,
    equals,
    not_equals,
    one_of,
)
from brevetti_schema._emit.defaults import defaults
from brevetti_schema._emit.json_schema import DIALECT, dump_json_schema, emit_json_schema
from tests.strategies import schemas, settings_for

Declare = Callable[[SchemaBuilder], Any]


def _fragment(declare: Declare, key: str = "f") -> dict[str, Any]:
    builder = SchemaBuilder()
    declare(builder)
    return emit_json_schema(builder.build())["properties"][key]  # type: ignore[no-any-return]


def _validator(schema: Schema, *, strict: bool = False) -> Draft202012Validator:
    document = emit_json_schema(schema, strict=strict)
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document)


def _errors(schema: Schema, settings: Any, *, strict: bool = False) -> list[str]:
    return [e.message for e in _validator(schema, strict=strict).iter_errors(settings)]


def _build(declare: Declare) -> Schema:
    builder = SchemaBuilder()
    declare(builder)
    return builder.build()


# -- one fragment per kind, exactly ----------------------------------------------------------

FRAGMENTS: list[tuple[str, Declare, dict[str, Any]]] = [
    (
        "integer",
        lambda b: b.integer("f", default=3, min=1, max=10, required=True, help="How many."),
        {
            "title": "F",
            "description": "How many.",
            "type": "integer",
            "minimum": 1,
            "maximum": 10,
            "default": 3,
        },
    ),
    (
        "integer optional, exclusive bounds, multiple of",
        lambda b: b.integer("f", exclusive_min=0, exclusive_max=64, multiple_of=8),
        {
            "title": "F",
            "type": ["integer", "null"],
            "exclusiveMinimum": 0,
            "exclusiveMaximum": 64,
            "multipleOf": 8,
        },
    ),
    (
        "number",
        lambda b: b.number("f", default=0.5, min=0, max=1, label="Ratio", required=True),
        {"title": "Ratio", "type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
    ),
    (
        "text",
        lambda b: b.text("f", default="ab", min_length=1, max_length=5, pattern="^[a-z]+$"),
        {
            "title": "F",
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 5,
            "pattern": "^[a-z]+$",
            "default": "ab",
        },
    ),
    (
        "multi-line text, read-only",
        lambda b: b.text("f", multiline=True, readonly=True, required=True),
        {"title": "F", "type": "string", "readOnly": True},
    ),
    (
        "secret",
        lambda b: b.secret("f", min_length=8, required=True),
        {"title": "F", "type": "string", "minLength": 8, "writeOnly": True},
    ),
    (
        "boolean",
        lambda b: b.boolean("f", default=False),
        {"title": "F", "type": ["boolean", "null"], "default": False},
    ),
    (
        "choice",
        lambda b: b.choice("f", options=["a", "b"], default="a", required=True),
        {"title": "F", "enum": ["a", "b"], "default": "a"},
    ),
    (
        "choice optional",
        lambda b: b.choice("f", options=[1, 2]),
        {"title": "F", "enum": [1, 2, None]},
    ),
    (
        "choice with labels",
        lambda b: b.choice("f", options={"rn": "ResNet", "vgg": "vgg"}, required=True),
        {
            "title": "F",
            "oneOf": [{"const": "rn", "title": "ResNet"}, {"const": "vgg", "title": "vgg"}],
        },
    ),
    (
        "choice with labels, optional",
        lambda b: b.choice("f", options=[(1, "One")]),
        {"title": "F", "oneOf": [{"const": 1, "title": "One"}, {"type": "null"}]},
    ),
    (
        "multi-choice",
        lambda b: b.multi_choice("f", options=["a", "b"], default=["a"], min_items=1, max_items=2),
        {
            "title": "F",
            "type": ["array", "null"],
            "items": {"enum": ["a", "b"]},
            "uniqueItems": True,
            "minItems": 1,
            "maxItems": 2,
            "default": ["a"],
        },
    ),
    (
        "multi-choice with labels",
        lambda b: b.multi_choice("f", options={"a": "A"}, required=True),
        {
            "title": "F",
            "type": "array",
            "items": {"oneOf": [{"const": "a", "title": "A"}]},
            "uniqueItems": True,
        },
    ),
    (
        "list of integers",
        lambda b: b.list("f", of="integer", min=0, max=9, min_items=1, default=[1], required=True),
        {
            "title": "F",
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 9},
            "minItems": 1,
            "default": [1],
        },
    ),
    (
        "list of texts",
        lambda b: b.list("f", of="text", max_items=3),
        {"title": "F", "type": ["array", "null"], "items": {"type": "string"}, "maxItems": 3},
    ),
    (
        "json",
        lambda b: b.json("f", default={"a": 1}, required=True),
        {"title": "F", "type": ["object", "array"], "default": {"a": 1}},
    ),
    (
        "json with an inner schema",
        lambda b: b.json("f", json_schema={"type": "object"}, required=True),
        {
            "title": "F",
            "type": ["object", "array"],
            "allOf": [{"$id": "urn:brevetti-schema:json-field:f", "type": "object"}],
        },
    ),
    (
        "json with an inner schema, optional",
        lambda b: b.json("f", json_schema={"type": "array"}),
        {
            "title": "F",
            "anyOf": [
                {"type": "null"},
                {
                    "type": ["object", "array"],
                    "allOf": [{"$id": "urn:brevetti-schema:json-field:f", "type": "array"}],
                },
            ],
        },
    ),
    (
        "classes",
        lambda b: b.classes("f", default=["cat"], min_items=1, required=True),
        {
            "title": "F",
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "default": ["cat"],
        },
    ),
    (
        "class mapping",
        lambda b: b.class_mapping("f", default={"dogs": "dog"}, required=True),
        {
            "title": "F",
            "type": "object",
            "additionalProperties": {"type": ["string", "array"], "items": {"type": "string"}},
            "default": {"dogs": "dog"},
        },
    ),
]


@pytest.mark.parametrize(
    ("declare", "expected"), [f[1:] for f in FRAGMENTS], ids=[f[0] for f in FRAGMENTS]
)
def test_fragment_per_kind(declare: Declare, expected: dict[str, Any]) -> None:
    assert _fragment(declare) == expected


def test_every_kind_has_a_fragment() -> None:
    kinds = set()
    for _, declare, _ in FRAGMENTS:
        schema = _build(declare)
        kinds |= {f.kind for _, f in schema.fields()}
    assert kinds == set(Kind)


def test_labelled_options_equal_as_json_appear_once() -> None:
    field = Field(
        Kind.CHOICE, "f", "F", options=(Option(1, "one"), Option(1.0, "uno")), required=True
    )
    document = emit_json_schema(Schema(children=(field,)))
    assert document["properties"]["f"]["oneOf"] == [{"const": 1, "title": "one"}]
    assert Draft202012Validator(document).is_valid({"f": 1})


def test_root_document() -> None:
    schema = _build(lambda b: b.integer("n", required=True))
    document = emit_json_schema(attrs.evolve(schema, title="Training"))
    assert document == {
        "$schema": DIALECT,
        "title": "Training",
        "type": "object",
        "properties": {"n": {"title": "N", "type": "integer"}},
        "required": ["n"],
    }


def test_sections_nest_and_are_required_when_they_hold_a_required_field() -> None:
    def declare(b: SchemaBuilder) -> None:
        with b.section("train", help="Training loop") as train:
            train.integer("epochs", required=True)
            with train.section("opt") as opt:
                opt.number("lr", default=0.1)
        b.heading("Presentation only")

    document = emit_json_schema(_build(declare))
    train = document["properties"]["train"]
    assert document["required"] == ["train"]
    assert train["title"] == "Train"
    assert train["description"] == "Training loop"
    assert train["type"] == "object"
    assert train["required"] == ["epochs"]
    assert list(train["properties"]) == ["epochs", "opt"]
    assert "required" not in train["properties"]["opt"]
    assert list(document["properties"]) == ["train"]


# -- whole documents ---------------------------------------------------------------------------


def _example() -> Schema:
    b = SchemaBuilder(title="Example")
    b.integer("epochs", default=10, min=1, max=1000, required=True)
    b.number("ratio", default=0.25, exclusive_min=0, exclusive_max=1)
    b.text("name", default="run", max_length=20, pattern="^[a-z]+$")
    b.secret("token")
    b.boolean("flip", default=True)
    b.choice("arch", options={"resnet": "ResNet", "vgg": "VGG"}, default="resnet", required=True)
    b.multi_choice("metrics", options=["acc", "f1"], default=["acc"], min_items=1)
    b.list("sizes", of="integer", default=[224, 224], min=32, max=1024, min_items=2, max_items=2)
    b.json("extra", default={"k": [1, 2]}, json_schema={"type": "object"})
    b.classes(default=["cat", "dog"])
    b.class_mapping(default={"cats": "cat", "both": ["cat", "dog"]})
    with b.section("aug", visible_when=equals("flip", True)) as aug:
        aug.integer("angle", default=0, min=0, max=90, required=True)
    b.integer("depth", default=50, required=True, visible_when=one_of("arch", ["resnet"]))
    return b.build()


def test_passes_check_schema_and_every_default_validates() -> None:
    schema = _example()
    validator = _validator(schema)
    assert list(validator.iter_errors(defaults(schema))) == []
    document = emit_json_schema(schema)
    checked = 0
    for path, field in schema.fields():
        fragment = document
        for part in path.split("."):
            fragment = fragment["properties"][part]
        if field.has_default:
            assert Draft202012Validator(fragment).is_valid(field.default), path
            checked += 1
    assert checked == 12


VIOLATIONS: list[tuple[str, Any]] = [
    ("epochs", 0),
    ("epochs", 1001),
    ("epochs", 1.5),
    ("epochs", "10"),
    ("epochs", True),
    ("epochs", None),
    ("ratio", 0),
    ("ratio", 1),
    ("ratio", "0.5"),
    ("name", "x" * 21),
    ("name", "Run"),
    ("name", 3),
    ("token", 123),
    ("flip", "yes"),
    ("arch", "alexnet"),
    ("arch", None),
    ("metrics", []),
    ("metrics", ["acc", "acc"]),
    ("metrics", ["top5"]),
    ("metrics", "acc"),
    ("sizes", [224]),
    ("sizes", [224, 224, 224]),
    ("sizes", [16, 224]),
    ("sizes", [224, 2048]),
    ("sizes", [224, "224"]),
    ("extra", "{}"),
    ("extra", [1]),
    ("classes", [1]),
    ("classes", "cat"),
    ("class_mapping", {"cats": 1}),
    ("class_mapping", {"cats": ["cat", 2]}),
    ("class_mapping", ["cat"]),
    ("aug", {"angle": 91}),
    ("aug", 3),
]


@pytest.mark.parametrize(("key", "value"), VIOLATIONS)
def test_a_document_breaking_a_constraint_is_rejected(key: str, value: Any) -> None:
    schema = _example()
    document = defaults(schema)
    validator = _validator(schema)
    assert validator.is_valid(document)
    document[key] = value
    errors = list(validator.iter_errors(document))
    assert errors
    assert all(list(e.absolute_path)[:1] == [key] for e in errors)


@pytest.mark.parametrize("key", ["ratio", "name", "token", "flip", "metrics", "sizes", "extra"])
def test_an_optional_field_accepts_null(key: str) -> None:
    schema = _example()
    document = defaults(schema)
    document[key] = None
    assert _errors(schema, document) == []


def test_required_fields_must_be_present_and_unknown_keys_pass() -> None:
    schema = _example()
    document = defaults(schema)
    del document["epochs"]
    document["unknown"] = 1
    assert _errors(schema, document) == ["'epochs' is a required property"]


def test_strict_mode_forbids_unknown_keys_at_every_level() -> None:
    schema = _example()
    document = defaults(schema)
    assert _errors(schema, document, strict=True) == []
    document["unknown"] = 1
    document["aug"]["other"] = 2
    errors = _validator(schema, strict=True).iter_errors(document)
    assert sorted(tuple(e.absolute_path) for e in errors) == [(), ("aug",)]
    assert (
        emit_json_schema(schema, strict=True)["properties"]["aug"]["additionalProperties"] is False
    )


def test_inner_schema_references_stay_inside_it() -> None:
    inner = {
        "$defs": {"size": {"type": "integer", "minimum": 1}},
        "type": "object",
        "properties": {"size": {"$ref": "#/$defs/size"}},
    }
    schema = _build(lambda b: b.json("shape", json_schema=inner, required=True))
    assert _errors(schema, {"shape": {"size": 3}}) == []
    assert _errors(schema, {"shape": {"size": 0}}) == ["0 is less than the minimum of 1"]
    assert _errors(schema, {"shape": [1]}) == ["[1] is not of type 'object'"]


def test_output_is_deterministic_json_text() -> None:
    text = dump_json_schema(_example())
    assert text == dump_json_schema(_example())
    assert text.endswith("}\n")
    assert text.startswith('{\n  "$schema": ')
    assert json.loads(text) == emit_json_schema(_example())


def test_emission_does_not_share_mutable_defaults_with_the_model() -> None:
    schema = _example()
    emit_json_schema(schema)["properties"]["classes"]["default"].append("bird")
    assert emit_json_schema(schema)["properties"]["classes"]["default"] == ["cat", "dog"]


# -- conditions ----------------------------------------------------------------------------------


def _conditional(condition: Any) -> Schema:
    def declare(b: SchemaBuilder) -> None:
        b.choice("arch", options=["resnet", "vgg", "unet"])
        b.integer("depth", default=5)
        b.integer("f", required=True, visible_when=condition)

    return _build(declare)


CONDITIONS: list[tuple[str, Any, list[dict[str, Any]], list[dict[str, Any]]]] = [
    (
        "equals",
        equals("arch", "vgg"),
        [{"arch": "vgg"}],
        [{"arch": "resnet"}, {}, {"arch": None}],
    ),
    (
        "one_of",
        one_of("arch", ["vgg", "unet"]),
        [{"arch": "vgg"}, {"arch": "unet"}],
        [{"arch": "resnet"}, {}],
    ),
    (
        "not_equals",
        not_equals("arch", "vgg"),
        [{"arch": "resnet"}, {}, {"arch": None}],
        [{"arch": "vgg"}],
    ),
    (
        "all",
        all_of(equals("arch", "vgg"), equals("depth", 5)),
        [{"arch": "vgg", "depth": 5}],
        [{"arch": "vgg", "depth": 6}, {"arch": "resnet", "depth": 5}, {"arch": "vgg"}],
    ),
    (
        "any",
        any_of(equals("arch", "vgg"), equals("depth", 5)),
        [{"arch": "vgg", "depth": 6}, {"arch": "resnet", "depth": 5}, {"depth": 5}],
        [{"arch": "resnet", "depth": 6}, {}],
    ),
]


@pytest.mark.parametrize(
    ("condition", "active", "inactive"), [c[1:] for c in CONDITIONS], ids=[c[0] for c in CONDITIONS]
)
def test_a_conditional_field_is_required_exactly_when_its_condition_holds(
    condition: Any, active: list[dict[str, Any]], inactive: list[dict[str, Any]]
) -> None:
    schema = _conditional(condition)
    document = emit_json_schema(schema)
    assert "required" not in document
    for settings in active:
        assert condition.holds(settings)
        assert _errors(schema, settings) == ["'f' is a required property"], settings
        assert _errors(schema, {**settings, "f": 1}) == []
    for settings in inactive:
        assert not condition.holds(settings)
        assert _errors(schema, settings) == [], settings


def test_condition_fragments() -> None:
    schema = _conditional(all_of(equals("arch", "vgg"), not_equals("depth", 5)))
    assert emit_json_schema(schema)["allOf"] == [
        {
            "if": {
                "allOf": [
                    {"required": ["arch"], "properties": {"arch": {"const": "vgg"}}},
                    {"not": {"required": ["depth"], "properties": {"depth": {"const": 5}}}},
                ]
            },
            "then": {"required": ["f"]},
        }
    ]


def test_conditions_on_sections_and_nested_paths() -> None:
    def declare(b: SchemaBuilder) -> None:
        with b.section("model") as model:
            model.choice("arch", options=["resnet", "vgg"], default="resnet", required=True)
        with b.section("resnet", visible_when=equals("model.arch", "resnet")) as resnet:
            resnet.integer("depth", required=True)
            resnet.boolean("pretrained", required=True, visible_when=equals("resnet.depth", 50))
            resnet.integer("width")

    schema = _build(declare)
    document = emit_json_schema(schema)
    assert document["required"] == ["model"]
    assert "required" not in document["properties"]["resnet"]
    assert document["allOf"] == [
        {
            "if": {
                "required": ["model"],
                "properties": {
                    "model": {"required": ["arch"], "properties": {"arch": {"const": "resnet"}}}
                },
            },
            "then": {
                "required": ["resnet"],
                "properties": {"resnet": {"required": ["depth"]}},
            },
        },
        {
            "if": {
                "allOf": [
                    {
                        "required": ["model"],
                        "properties": {
                            "model": {
                                "required": ["arch"],
                                "properties": {"arch": {"const": "resnet"}},
                            }
                        },
                    },
                    {
                        "required": ["resnet"],
                        "properties": {
                            "resnet": {
                                "required": ["depth"],
                                "properties": {"depth": {"const": 50}},
                            }
                        },
                    },
                ]
            },
            "then": {
                "required": ["resnet"],
                "properties": {"resnet": {"required": ["pretrained"]}},
            },
        },
    ]
    assert _errors(schema, {"model": {"arch": "vgg"}}) == []
    assert _errors(schema, {"model": {"arch": "resnet"}}) == ["'resnet' is a required property"]
    assert _errors(schema, {"model": {"arch": "resnet"}, "resnet": {}}) == [
        "'depth' is a required property"
    ]
    assert _errors(schema, {"model": {"arch": "resnet"}, "resnet": {"depth": 50}}) == [
        "'pretrained' is a required property"
    ]
    assert _errors(schema, {"model": {"arch": "resnet"}, "resnet": {"depth": 18}}) == []


def test_requirements_under_equal_conditions_share_one_if_then() -> None:
    def declare(b: SchemaBuilder) -> None:
        b.boolean("on", default=True)
        with b.section("s", visible_when=equals("on", True)) as s:
            for i in range(500):
                s.integer(f"n{i}", required=True)
        for i in range(3):
            b.integer(f"m{i}", required=True, visible_when=equals("on", True))

    document = emit_json_schema(_build(declare))
    (rule,) = document["allOf"]  # equal conditions merge into one rule
    assert rule["if"] == {"required": ["on"], "properties": {"on": {"const": True}}}
    assert rule["then"]["required"] == ["s", "m0", "m1", "m2"]
    assert rule["then"]["properties"]["s"]["required"] == [f"n{i}" for i in range(500)]


def test_a_large_schema_emits_and_checks() -> None:
    b = SchemaBuilder()
    for s in range(20):
        with b.section(f"s{s}") as section:
            for i in range(500):
                section.integer(f"n{i}", default=i, min=0, required=i % 2 == 0)
    schema = b.build()
    document = emit_json_schema(schema)
    Draft202012Validator.check_schema(document)
    assert sum(len(p["properties"]) for p in document["properties"].values()) == 10_000
    assert Draft202012Validator(document).is_valid(defaults(schema))


# -- properties over random schemas ----------------------------------------------------------------


def _missing_only(errors: Any) -> bool:
    return all(e.validator == "required" for e in errors)


@given(schemas())
def test_any_schema_emits_a_valid_json_schema_its_defaults_satisfy(schema: Schema) -> None:
    for strict in (False, True):
        document = emit_json_schema(schema, strict=strict)
        Draft202012Validator.check_schema(document)
        # a required field without a default is missing from the defaults document
        assert _missing_only(Draft202012Validator(document).iter_errors(defaults(schema)))
    assert dump_json_schema(schema) == dump_json_schema(attrs.evolve(schema))


@given(schemas().flatmap(lambda s: settings_for(s).map(lambda v: (s, v))))
def test_settings_valid_by_the_model_validate(case: tuple[Schema, dict[str, Any]]) -> None:
    schema, settings = case
    assert _errors(schema, settings, strict=True) == []


@given(schemas(conditions=False))
def test_a_missing_required_field_is_reported(schema: Schema) -> None:
    required = [p for p, f in schema.fields() if f.required]
    document = emit_json_schema(schema)
    found = {
        ".".join([*map(str, e.absolute_path), e.message.split("'")[1]])
        for e in Draft202012Validator(document).iter_errors(_empty_sections(schema.children))
        if e.validator == "required"
    }
    assert found == set(required)


def _empty_sections(nodes: tuple[Any, ...]) -> dict[str, Any]:
    return {n.key: _empty_sections(n.children) for n in nodes if isinstance(n, Section)}
