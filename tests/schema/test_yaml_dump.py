"""Writing the model as YAML in the authoring format: readable, deterministic, lossless."""

from __future__ import annotations

import textwrap
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import (
    MISSING,
    Field,
    Heading,
    Kind,
    Option,
    Schema,
    SchemaBuilder,
    SchemaError,
    Section,
)
from brevetti_schema._authoring.yaml_format import compose_data, load_schema_text
from brevetti_schema._emit.format_schema import format_schema
from brevetti_schema._emit.yaml_dump import dump_schema_yaml
from brevetti_schema._model.conditions import all_of, any_of, equals, not_equals, one_of
from tests.strategies import schemas


def round_trip(schema: Schema) -> Schema:
    text = dump_schema_yaml(schema)
    errors = list(jsonschema.Draft202012Validator(format_schema()).iter_errors(compose_data(text)))
    assert errors == [], text
    back = load_schema_text(text)
    assert back == schema, text
    assert dump_schema_yaml(back) == text
    return back


def test_a_dsl_schema_dumps_to_readable_yaml() -> None:
    b = SchemaBuilder(title="Image classification")
    b.integer("epochs", default=10, min=1, max=1000, help="Passes over the data")
    b.number("learning_rate", default=0.001, exclusive_min=0)
    b.choice("loss", options={"bce": "Binary cross-entropy", "wbce": "Weighted"}, default="bce")
    b.heading("Details")
    with b.section("training", advanced=True) as training:
        training.integer("batch_size", default=32, visible_when=equals("loss", "bce"))
        training.text("notes", label="Free notes", rows=3, help="line one\nline two\n")
    b.list("sizes", of="integer", default=[224, 224])
    b.preset("quick", {"epochs": 2, "training": {"batch_size": 8}})
    expected = textwrap.dedent(
        """\
        title: Image classification
        fields:
          epochs:
            type: integer
            help: Passes over the data
            default: 10
            min: 1
            max: 1000
          learning_rate:
            type: number
            default: 0.001
            exclusive_min: 0
          loss:
            type: choice
            default: bce
            options:
              bce: Binary cross-entropy
              wbce: Weighted
          details: heading
          training:
            type: section
            advanced: true
            fields:
              batch_size:
                type: integer
                default: 32
                visible_when:
                  field: loss
                  equals: bce
              notes:
                type: text
                label: Free notes
                help: |
                  line one
                  line two
                multiline: true
                rows: 3
          sizes:
            type: list
            of: integer
            default: [224, 224]
        presets:
          quick:
            epochs: 2
            training:
              batch_size: 8
        """
    )
    schema = b.build()
    assert dump_schema_yaml(schema) == expected
    round_trip(schema)


def test_every_kind_and_option_round_trips() -> None:
    b = SchemaBuilder(title="Everything")
    b.integer(
        "i",
        default=5,
        min=0,
        max=10,
        exclusive_min=-1,
        exclusive_max=11,
        step=1,
        multiple_of=5,
        unit="px",
        hint="h",
        placeholder="p",
        required=True,
        readonly=True,
        advanced=True,
        label="Eye",
    )
    b.number("n", default=None, min=-1.5, max=1e-3)
    b.text("t", default="ab", min_length=1, max_length=5, pattern="^[ab]+$", multiline=True)
    b.add(Field(Kind.TEXT, "rows_only", "Rows only", rows=4))
    b.secret("s", min_length=3, pattern="x")
    b.add(Field(Kind.SECRET, "long_secret", "Long secret", max_length=9))
    b.boolean("b", default=False)
    b.choice("c", options=[1, 2.5, True, None, "x"], default=2.5)
    b.choice("labelled", options=[(1, "One"), (2, "Two")], default=1)
    b.choice("mixed", options=[Option("a", "A"), Option("b")])
    b.multi_choice("m", options={"x": "Ex", "y": "Why"}, default=["y"], min_items=1, max_items=2)
    b.list("l", of="number", default=[0.5], min=0, max=1, min_items=1, max_items=3)
    b.add(
        Field(
            Kind.LIST,
            "l2",
            "L2",
            item_kind=Kind.INTEGER,
            exclusive_maximum=9,
            multiple_of=3,
            step=3,
        )
    )
    b.list("flags", of="boolean", default=[True, False])
    b.json("j", default={"a": [1, {"b": None}]}, json_schema={"type": "object"}, rows=8)
    b.classes(default=["ok", "bad"], min_items=1)
    b.class_mapping(default={"good": "ok", "scratch": ["bad", "worse"]})
    b.add(Field(Kind.CLASS_MAPPING, "cm_rows", "Cm rows", rows=5))
    with b.section(
        "sec",
        label="Sect",
        help="Section help",
        advanced=True,
        visible_when=all_of(equals("b", False), any_of(not_equals("i", 5), one_of("c", [1, 2.5]))),
    ) as sec:
        sec.heading("Inner", help="Heading help")
        sec.integer("x", default=1)
    b.preset("p", {"i": 10, "sec": {"x": 2}, "j": {"k": [1]}})
    round_trip(b.build())


def test_labels_are_written_only_when_they_differ_from_the_derived_one() -> None:
    b = SchemaBuilder()
    b.integer("image_height", label="Image height").integer("width", label="Width (px)")
    text = dump_schema_yaml(b.build())
    assert "Image height" not in text
    assert "label: Width (px)" in text
    assert "image_height: integer\n" in text


def test_headings_get_keys_that_no_sibling_uses() -> None:
    schema = Schema(
        children=(
            Heading("Training"),
            Section("training", "Training", (Field(Kind.BOOLEAN, "x", "X"),)),
            Heading("Training"),
            Heading("Über alles!"),
            Heading(""),
            Heading("Notes", help="More"),
        )
    )
    document = compose_data(dump_schema_yaml(schema))
    assert list(document["fields"]) == [
        "training_heading",
        "training",
        "training_heading_2",
        "ber_alles",
        "heading",
        "notes",
    ]
    assert document["fields"]["training_heading"] == {"type": "heading", "label": "Training"}
    round_trip(schema)


def test_legacy_presentation_travels_as_ui_and_ui_omit() -> None:
    schema = Schema(
        children=(
            Heading("Legend", ui_extra={"styleClasses": "big"}),
            Section(
                "group",
                "Group",
                (
                    Field(
                        Kind.INTEGER,
                        "x",
                        "X",
                        default=3,
                        ui_extra={"validator": "integer", "featured": True},
                        ui_omit=("required",),
                    ),
                ),
                header=False,
                ui_extra={"tag": "group"},
            ),
        )
    )
    text = dump_schema_yaml(schema)
    assert "ui_omit: [required]" in text
    assert "header: false" in text
    round_trip(schema)


def test_broken_legacy_defaults_are_marked_lenient_and_reload_with_warnings() -> None:
    schema = Schema(
        children=(
            Field(Kind.INTEGER, "epochs", "Epochs", default=150, maximum=100),
            Field(Kind.BOOLEAN, "flip", "Flip", default="true"),
        )
    )
    text = dump_schema_yaml(schema)
    assert text.startswith("lenient: true\n")
    back = load_schema_text(text, source="c.yaml")
    assert back == schema
    assert [(w.path, w.severity) for w in back.warnings] == [
        ("epochs", "warning"),
        ("flip", "warning"),
    ]
    assert "lenient" not in dump_schema_yaml(SchemaBuilder().integer("a", default=1).build())


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "no",
        "on",
        "1e-3",
        "0x10",
        "null",
        "~",
        "",
        "true",
        "False",
        "12",
        "1:30",
        "2020-01-01",
        "- a",
        "a: b",
        "#x",
        "  padded  ",
        "'quoted'",
        "tab\there",
        "é ü ✓",
        "line\nbreak",
        "ends with newline\n",
        "\n\nleading",
        "trailing spaces  \nx",
        "\u2028",
        "\x85",
        "\x07bell",
        "{flow}",
        "@at",
        "`tick",
        "%pct",
        "!bang",
        "*star",
        "&amp",
    ],
)
def test_awkward_text_round_trips(text: str) -> None:
    b = SchemaBuilder(title=text)
    b.text("t", default=text, help=text, label=text or "x")
    b.choice("c", options={text: text, "other": "Other"}, default=text)
    b.preset("p", {"t": text})
    round_trip(b.build())


def test_options_are_written_in_the_simplest_faithful_form() -> None:
    b = SchemaBuilder()
    b.choice("plain", options=["a", "b"])
    b.choice("named", options={"a": "A", "b": "B"})
    b.choice("numbers", options=[(1, "One"), (2, "Two")])
    b.choice("mixed", options=[Option("a", "A"), Option("b")])
    fields = compose_data(dump_schema_yaml(b.build()))["fields"]
    assert fields["plain"]["options"] == ["a", "b"]
    assert fields["named"]["options"] == {"a": "A", "b": "B"}
    assert fields["numbers"]["options"] == [
        {"value": 1, "label": "One"},
        {"value": 2, "label": "Two"},
    ]
    assert fields["mixed"]["options"] == [{"value": "a", "label": "A"}, "b"]


def test_long_or_nested_lists_are_written_in_block_style() -> None:
    b = SchemaBuilder()
    b.classes(default=[f"class_number_{n}" for n in range(8)])
    b.json("nested", default=[[1, 2], {"a": 1}])
    text = dump_schema_yaml(b.build())
    assert "    default:\n      - class_number_0\n" in text
    assert "    default:\n      - [1, 2]\n      - a: 1\n" in text
    round_trip(b.build())


def test_an_attribute_outside_its_kind_is_written_not_dropped() -> None:
    schema = Schema(children=(Field(Kind.JSON, "j", "J", multiline=True),))
    text = dump_schema_yaml(schema)
    assert "multiline: true" in text
    with pytest.raises(SchemaError, match="unknown option 'multiline' for a json field"):
        load_schema_text(text)


def test_an_empty_schema_dumps_and_loads() -> None:
    assert load_schema_text(dump_schema_yaml(Schema())) == Schema()


@given(schemas())
def test_any_dsl_schema_round_trips(schema: Schema) -> None:
    round_trip(schema)


# -- a richer strategy: every attribute of every kind, headings, legacy extras -------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=10)
_KEY = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_UI = st.dictionaries(_KEY, st.one_of(st.booleans(), st.integers(), _TEXT), max_size=2)


@st.composite
def _rich_field(draw: st.DrawFn, key: str) -> Field:
    kind = draw(st.sampled_from(list(Kind)))
    spec: dict[str, Any] = {
        name: draw(st.one_of(st.none(), _TEXT)) for name in ("help", "hint", "placeholder", "unit")
    }
    spec.update(
        {name: draw(st.booleans()) for name in ("required", "advanced", "readonly")},
        ui_extra=draw(_UI),
        ui_omit=tuple(draw(st.lists(_KEY, max_size=2))),
    )
    if kind in (Kind.INTEGER, Kind.NUMBER, Kind.LIST):
        low, high = sorted(draw(st.lists(st.integers(-50, 50), min_size=2, max_size=2)))
        spec.update(
            minimum=draw(st.sampled_from([None, low])),
            maximum=draw(st.sampled_from([None, high])),
            exclusive_minimum=draw(st.sampled_from([None, low - 1.5])),
            step=draw(st.sampled_from([None, 0.5, 2])),
        )
    if kind is Kind.LIST:
        spec["item_kind"] = draw(st.sampled_from([Kind.INTEGER, Kind.NUMBER]))
    if kind in (Kind.TEXT, Kind.SECRET):
        low, high = sorted(draw(st.lists(st.integers(0, 9), min_size=2, max_size=2)))
        spec.update(min_length=low, max_length=draw(st.sampled_from([None, high])))
    if kind is Kind.TEXT:
        spec.update(multiline=draw(st.booleans()), rows=draw(st.sampled_from([None, 3])))
    if kind in (Kind.CHOICE, Kind.MULTI_CHOICE):
        values = draw(
            st.lists(st.one_of(_TEXT, st.integers()), min_size=1, max_size=4, unique_by=repr)
        )
        labels = [draw(st.one_of(st.none(), _TEXT)) for _ in values]
        spec["options"] = tuple(Option(v, label) for v, label in zip(values, labels, strict=True))
        if kind is Kind.CHOICE and draw(st.booleans()):
            spec["default"] = values[0]
    if kind is Kind.JSON:
        spec["json_schema"] = draw(st.sampled_from([None, {"type": "object"}]))
        spec["default"] = draw(st.dictionaries(_TEXT, st.one_of(st.none(), _TEXT), max_size=2))
    label = draw(st.one_of(_TEXT, st.just(key.capitalize())))
    return Field(kind, key, label, **spec)


@st.composite
def _rich_nodes(draw: st.DrawFn, depth: int) -> tuple[Any, ...]:
    nodes: list[Any] = []
    for key in draw(st.lists(_KEY, max_size=5, unique=True)):
        choice = draw(st.integers(0, 5))
        if choice == 0:
            nodes.append(Heading(draw(_TEXT), draw(st.one_of(st.none(), _TEXT)), draw(_UI)))
        elif choice == 1 and depth:
            nodes.append(
                Section(
                    key,
                    draw(_TEXT),
                    draw(_rich_nodes(depth - 1)),
                    help=draw(st.one_of(st.none(), _TEXT)),
                    advanced=draw(st.booleans()),
                    header=draw(st.booleans()),
                    ui_extra=draw(_UI),
                )
            )
        else:
            nodes.append(draw(_rich_field(key)))
    return tuple(nodes)


@given(_rich_nodes(2), st.one_of(st.none(), _TEXT))
def test_every_attribute_round_trips(children: tuple[Any, ...], title: str | None) -> None:
    schema = Schema(children=children, title=title)
    back = round_trip(schema)
    assert [f.default is MISSING for _, f in back.fields()] == [
        f.default is MISSING for _, f in schema.fields()
    ]
