"""The platform UI JSON emitter: exact records per kind, sections, presets, determinism."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given

from brevetti_schema import Field, Heading, Kind, Option, Schema, SchemaBuilder, Section, equals
from brevetti_schema._emit.platform_ui import dump_platform_ui, emit_platform_ui
from tests.strategies import schemas


def _records(builder: SchemaBuilder) -> list[dict[str, Any]]:
    return emit_platform_ui(builder.build())["fields"]  # type: ignore[no-any-return]


def _one(builder: SchemaBuilder) -> dict[str, Any]:
    (record,) = _records(builder)
    return record


# -- one record per kind -----------------------------------------------------------------------


def test_integer_record_passes_bounds_on_with_an_integer_validator() -> None:
    record = _one(SchemaBuilder().integer("epochs", default=10, min=1, max=1000, step=1))
    assert record == {
        "type": "input",
        "inputType": "number",
        "min": 1,
        "max": 1000,
        "step": 1,
        "label": "Epochs",
        "model": "epochs",
        "default": 10,
        "required": False,
        "validator": "integer",
    }
    assert list(record)[:7] == ["type", "inputType", "min", "max", "step", "label", "model"]


def test_number_record_allows_any_step_unless_one_is_declared() -> None:
    record = _one(SchemaBuilder().number("lr", default=0.001, min=0, max=1))
    assert record == {
        "type": "input",
        "inputType": "number",
        "min": 0,
        "max": 1,
        "step": "any",
        "label": "Lr",
        "model": "lr",
        "default": 0.001,
        "required": False,
        "validator": "number",
    }
    assert _one(SchemaBuilder().number("lr", step=0.01))["step"] == 0.01


def test_number_constraints_without_a_standard_key_go_in_the_extension() -> None:
    record = _one(
        SchemaBuilder().number(
            "ratio", exclusive_min=0, exclusive_max=1, multiple_of=0.25, unit="%"
        )
    )
    assert record["brevetti"] == {
        "unit": "%",
        "exclusive_minimum": 0,
        "exclusive_maximum": 1,
        "multiple_of": 0.25,
    }
    assert "min" not in record and "max" not in record


def test_text_record_is_a_text_input_sent_as_plain_text() -> None:
    record = _one(SchemaBuilder().text("name", default="abc"))
    assert record == {
        "type": "input",
        "inputType": "text",
        "isJson": False,
        "label": "Name",
        "model": "name",
        "default": "abc",
        "required": False,
    }


def test_text_area_carries_rows_and_length_bounds_with_a_string_validator() -> None:
    record = _one(
        SchemaBuilder().text("notes", multiline=True, rows=6, max_length=500, hint="Free text")
    )
    assert record == {
        "type": "textArea",
        "hint": "Free text",
        "rows": 6,
        "max": 500,
        "isJson": False,
        "label": "Notes",
        "model": "notes",
        "required": False,
        "validator": "string",
    }


def test_text_pattern_uses_the_regexp_validator_beside_string() -> None:
    record = _one(SchemaBuilder().text("tag", min_length=1, pattern="^[a-z]+$", required=True))
    assert record["min"] == 1
    assert record["pattern"] == "^[a-z]+$"
    assert record["validator"] == ["string", "regexp"]
    assert record["required"] is True


def test_required_text_without_bounds_gets_the_required_validator() -> None:
    record = _one(SchemaBuilder().text("name", required=True))
    assert record["validator"] == "required"


def test_boolean_record_is_a_checkbox() -> None:
    builder = SchemaBuilder()
    builder.section("aug").boolean("flip", default=True)
    _, record = _records(builder)
    assert record == {
        "type": "checkbox",
        "label": "Flip",
        "model": "aug.flip",
        "default": True,
        "required": False,
    }


def test_choice_of_text_values_is_a_plain_select() -> None:
    record = _one(SchemaBuilder().choice("loss", options=["bce", "wbce"], default="bce"))
    assert record == {
        "type": "select",
        "values": ["bce", "wbce"],
        "isJson": False,
        "label": "Loss",
        "model": "loss",
        "default": "bce",
        "required": False,
    }


def test_choice_of_numbers_is_sent_as_json_text() -> None:
    record = _one(SchemaBuilder().choice("size", options=[32, 64], default=64, required=True))
    assert record == {
        "type": "select",
        "values": ["32", "64"],
        "isJson": True,
        "label": "Size",
        "model": "size",
        "default": "64",
        "required": True,
        "validator": "required",
    }


def test_labelled_select_options_use_id_and_name() -> None:
    record = _one(SchemaBuilder().choice("size", options={32: "Small", 64: "Large"}, default=32))
    assert record["values"] == [{"id": "32", "name": "Small"}, {"id": "64", "name": "Large"}]
    assert record["default"] == "32"


def test_labelled_checklist_options_use_value_and_name() -> None:
    record = _one(
        SchemaBuilder().multi_choice(
            "metrics", options=[("acc", "Accuracy"), ("f1", "F1 score")], default=["acc"]
        )
    )
    assert record == {
        "type": "checklist",
        "listbox": True,
        "listBox": True,
        "values": [{"value": "acc", "name": "Accuracy"}, {"value": "f1", "name": "F1 score"}],
        "label": "Metrics",
        "model": "metrics",
        "default": ["acc"],
        "required": False,
    }


def test_unlabelled_checklist_values_are_plain_and_items_bounds_go_in_the_extension() -> None:
    record = _one(SchemaBuilder().multi_choice("sizes", options=[1, 2, 3], min_items=1))
    assert record["values"] == [1, 2, 3]
    assert record["brevetti"] == {"min_items": 1}
    assert "isJson" not in record


def test_list_is_json_text_in_one_line_with_its_item_kind_in_the_extension() -> None:
    record = _one(SchemaBuilder().list("sizes", of="integer", default=[3, 1], min=0, max_items=4))
    assert record == {
        "type": "input",
        "inputType": "text",
        "isJson": True,
        "label": "Sizes",
        "model": "sizes",
        "default": "[3, 1]",
        "required": False,
        "brevetti": {"minimum": 0, "item_kind": "integer", "max_items": 4},
    }


def test_json_value_is_an_indented_text_area_with_sorted_keys() -> None:
    inner = {"type": "object"}
    record = _one(SchemaBuilder().json("extra", default={"b": 1, "a": [1]}, json_schema=inner))
    assert record == {
        "type": "textArea",
        "isJson": True,
        "label": "Extra",
        "model": "extra",
        "default": '{\n  "a": [\n    1\n  ],\n  "b": 1\n}',
        "required": False,
        "brevetti": {"json_schema": {"type": "object"}},
    }


def test_classes_record_is_brevettiai_shaped() -> None:
    record = _one(SchemaBuilder().classes(default=["ok", "ng"]))
    assert record == {
        "type": "input",
        "inputType": "text",
        "isJson": True,
        "label": "Classes",
        "model": "classes",
        "default": '["ok", "ng"]',
        "required": False,
        "criterionType": "classes",
    }


def test_class_mapping_record_is_brevettiai_shaped() -> None:
    record = _one(SchemaBuilder().class_mapping(default={"dents": "dent", "ok": []}))
    assert record == {
        "type": "textArea",
        "hint": "Json mapping from folder name to class",
        "isJson": True,
        "label": "Class mapping",
        "model": "class_mapping",
        "default": '{\n  "dents": "dent",\n  "ok": []\n}',
        "required": False,
        "criterionType": "class_mapping",
    }


def test_secret_is_a_password_input() -> None:
    record = _one(SchemaBuilder().secret("token", min_length=8))
    assert record == {
        "type": "input",
        "inputType": "password",
        "min": 8,
        "isJson": False,
        "label": "Token",
        "model": "token",
        "required": False,
        "validator": "string",
    }


# -- defaults ----------------------------------------------------------------------------------


def test_a_field_without_default_has_no_default_key() -> None:
    assert "default" not in _one(SchemaBuilder().integer("epochs"))


def test_none_defaults_per_transport() -> None:
    fields = (
        Field(Kind.INTEGER, "seed", "Seed", default=None),
        Field(Kind.JSON, "extra", "Extra", default=None),
        Field(Kind.CHOICE, "size", "Size", default=None, options=(Option(32), Option(64))),
        Field(Kind.CHOICE, "mode", "Mode", default=None, options=(Option(None), Option(1))),
    )
    records = emit_platform_ui(Schema(children=fields))["fields"]
    assert [r["default"] for r in records] == [None, "", None, "null"]


# -- presentation ------------------------------------------------------------------------------


def test_pass_through_keys_follow_required_in_order() -> None:
    _, record = _records(
        SchemaBuilder()
        .boolean("on", default=True)
        .integer(
            "epochs",
            default=1,
            help="How long",
            hint="1-10",
            placeholder="10",
            readonly=True,
            advanced=True,
            visible_when={"field": "on", "equals": True},
        )
    )
    assert list(record)[-7:] == [
        "validator",
        "visible",
        "help",
        "hint",
        "placeholder",
        "readonly",
        "visibleWhen",
    ]
    assert record["visible"] is False
    assert record["readonly"] is True


def test_visible_when_is_emitted_in_its_plain_data_form() -> None:
    builder = SchemaBuilder()
    builder.choice("kind", options=["resnet", "vgg"], default="vgg")
    builder.integer("depth", default=50, visible_when=equals("kind", "resnet"))
    records = _records(builder)
    assert records[1]["visibleWhen"] == {"field": "kind", "equals": "resnet"}
    assert "visibleWhen" not in records[0]


def test_sections_open_with_a_tagged_label_and_nest_models() -> None:
    builder = SchemaBuilder()
    with builder.section("model", label="Model") as model:
        model.heading("Backbone settings", help="Pick one")
        with model.section("backbone") as backbone:
            backbone.integer("depth", default=50)
    records = _records(builder)
    assert records == [
        {"type": "label", "label": "Model", "tag": "model"},
        {"type": "label", "label": "Backbone settings", "help": "Pick one"},
        {"type": "label", "label": "Backbone", "tag": "model.backbone"},
        {
            "type": "input",
            "inputType": "number",
            "label": "Depth",
            "model": "model.backbone.depth",
            "default": 50,
            "required": False,
            "validator": "integer",
        },
    ]


def test_an_advanced_section_hides_everything_inside_it() -> None:
    builder = SchemaBuilder()
    with builder.section("aug", advanced=True) as aug:
        aug.boolean("flip", default=True)
        aug.boolean("flop", default=False, advanced=True)
    label, flip, flop = _records(builder)
    assert label["visible"] is False
    assert flip["visible"] is False and "brevetti" not in flip
    assert flop["visible"] is False and flop["brevetti"] == {"advanced": True}


def test_a_heading_that_ends_its_section_names_it() -> None:
    builder = SchemaBuilder()
    with builder.section("aug") as aug:
        aug.heading("Inside")
        aug.boolean("flip", default=True)
        aug.heading("Last words")
    builder.heading("Outside")
    records = _records(builder)
    assert records[1] == {"type": "label", "label": "Inside"}
    assert records[3] == {"type": "label", "label": "Last words", "brevetti": {"section": "aug"}}
    assert records[4] == {"type": "label", "label": "Outside"}


def test_an_implicit_section_has_no_label_record() -> None:
    field = Field(Kind.BOOLEAN, "flip", "Flip", default=True)
    schema = Schema(children=(Section("aug", "Aug", (field,), header=False),))
    assert [r.get("model") for r in emit_platform_ui(schema)["fields"]] == ["aug.flip"]


def test_ui_extra_and_ui_omit_are_replayed_last() -> None:
    field = Field(
        Kind.INTEGER,
        "epochs",
        "Epochs",
        default=10,
        ui_extra={"featured": True, "min": 0},
        ui_omit=("validator", "required"),
    )
    heading = Heading("Main", ui_extra={"styleClasses": "big"})
    schema = Schema(children=(heading, field))
    main, epochs = emit_platform_ui(schema)["fields"]
    assert main == {"type": "label", "label": "Main", "styleClasses": "big"}
    assert epochs == {
        "type": "input",
        "inputType": "number",
        "min": 0,
        "label": "Epochs",
        "model": "epochs",
        "default": 10,
        "featured": True,
    }


def test_a_replayed_widget_type_changes_how_json_defaults_are_written() -> None:
    field = Field(Kind.JSON, "extra", "Extra", default={"a": 1}, ui_extra={"type": "input"})
    (record,) = emit_platform_ui(Schema(children=(field,)))["fields"]
    assert record["default"] == '{"a": 1}'


# -- presets and the document ------------------------------------------------------------------


def test_presets_encode_json_fields_compact_in_their_own_order_as_brevettiai() -> None:
    builder = SchemaBuilder()
    builder.integer("epochs", default=10, presets={"quick": 2})
    builder.classes(default=["a"], presets={"quick": ["a", "b"]})
    with builder.section("aug") as aug:
        aug.class_mapping(default={}, presets={"quick": {"x": "a", "b": "c"}})
        aug.choice("size", options=[32, 64], default=32, presets={"quick": 64})
        aug.boolean("flip", default=True, presets={"slow": False})
    presets = emit_platform_ui(builder.build())["presets"]
    assert presets == {
        "quick": {
            "epochs": 2,
            "classes": '["a", "b"]',
            "aug": {"class_mapping": '{"x": "a", "b": "c"}', "size": "64"},
        },
        "slow": {"aug": {"flip": False}},
    }


def test_the_title_is_written_only_when_declared() -> None:
    assert "title" not in emit_platform_ui(SchemaBuilder().build())
    assert emit_platform_ui(SchemaBuilder("Detector").build())["title"] == "Detector"


def test_dump_is_deterministic_utf8_json_with_a_final_newline() -> None:
    def declare() -> Schema:
        builder = SchemaBuilder()
        builder.text("name", default="Ærø", label="Navn på øen")
        builder.class_mapping(default={"b": "x", "a": "y"}, presets={"p": {"z": "q"}})
        return builder.build()

    text = dump_platform_ui(declare())
    assert text == dump_platform_ui(declare())
    assert text.endswith("}\n")
    assert "Navn på øen" in text
    assert json.loads(text) == emit_platform_ui(declare())
    assert text.startswith('{\n  "fields": [\n    {\n      "type": "input"')


@given(schemas())
def test_every_record_is_json_and_has_a_known_type(schema: Schema) -> None:
    document = emit_platform_ui(schema)
    assert json.loads(dump_platform_ui(schema)) == document
    assert {r["type"] for r in document["fields"]} <= {
        "input",
        "textArea",
        "checkbox",
        "select",
        "checklist",
        "label",
    }
    models = [r["model"] for r in document["fields"] if "model" in r]
    assert models == [path for path, _ in schema.fields()]


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_an_emitter(kind: Kind) -> None:
    field = Field(kind, "x", "X", item_kind=Kind.TEXT if kind is Kind.LIST else None)
    (record,) = emit_platform_ui(Schema(children=(field,)))["fields"]
    assert record["model"] == "x"
    assert record["label"] == "X"


def test_emission_does_not_change_the_model() -> None:
    field = Field(Kind.JSON, "extra", "Extra", default={"a": [1]}, ui_extra={"attributes": {}})
    schema = Schema(children=(field,))
    document = emit_platform_ui(schema)
    document["fields"][0]["attributes"]["x"] = 1
    assert field.ui_extra == {"attributes": {}}
    assert attrs.evolve(field) == field
