"""Loading platform UI JSON documents: legacy files, exactness, errors, round trips."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import attrs
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
from brevetti_schema._authoring.platform_ui_load import load_platform_ui
from brevetti_schema._emit.platform_ui import dump_platform_ui, emit_platform_ui
from tests.strategies import schemas


def _same(a: Any, b: Any) -> bool:
    """JSON equality with key order aside; 1, 1.0 and true stay different."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _document(*records: dict[str, Any], presets: Any = None) -> dict[str, Any]:
    return {"fields": list(records), "presets": presets or {}}


# -- a realistic brevettiai-made document ------------------------------------------------------

LEGACY: dict[str, Any] = {
    "fields": [
        {"type": "label", "label": "Data"},
        {
            "type": "input",
            "inputType": "text",
            "isJson": True,
            "label": "Classes as json list",
            "model": "classes",
            "default": "",
            "required": False,
            "criterionType": "classes",
            "kwargs": {"required": True},
        },
        {
            "type": "textArea",
            "hint": "Json mapping from folder name to class",
            "placeholder": "",
            "rows": 4,
            "max": 5000,
            "isJson": True,
            "label": "Class mapping",
            "model": "class_mapping",
            "default": '{\n  "dents": "dent",\n  "ok": []\n}',
            "required": False,
            "criterionType": "class_mapping",
            "kwargs": {},
        },
        {"type": "label", "label": "Training"},
        {
            "type": "input",
            "inputType": "number",
            "min": 0,
            "max": 100,
            "step": 1,
            "label": "Epochs",
            "model": "epochs",
            "default": 500,
            "required": False,
            "visible": False,
        },
        {
            "type": "input",
            "inputType": "number",
            "min": 0,
            "max": 100,
            "step": 1,
            "label": "Learning rate",
            "model": "learning_rate",
            "default": 0.001,
            "required": False,
            "visible": False,
        },
        {
            "type": "input",
            "inputType": "text",
            "isJson": False,
            "label": "Run name",
            "model": "run_name",
            "default": "abc",
            "required": False,
        },
        {
            "type": "textArea",
            "hint": "",
            "placeholder": "",
            "rows": 4,
            "max": 5000,
            "isJson": False,
            "label": "Notes",
            "model": "notes",
            "default": "",
            "required": False,
        },
        {
            "type": "select",
            "values": ["32", "64", "128"],
            "isJson": True,
            "label": "Batch size",
            "model": "batch_size",
            "default": "64",
            "required": False,
        },
        {
            "type": "select",
            "values": ["bce", "wbce"],
            "isJson": False,
            "label": "Loss",
            "model": "loss",
            "default": "bce",
            "required": False,
        },
        {
            "type": "checklist",
            "listbox": False,
            "values": ["accuracy", "f1"],
            "label": "Metrics",
            "model": "metrics",
            "default": ["accuracy"],
            "required": False,
        },
        {
            "type": "input",
            "inputType": "text",
            "isJson": True,
            "label": "Input shape",
            "model": "input_shape",
            "default": "[224, 224, 3]",
            "required": False,
        },
        {"type": "label", "label": "Augmentation", "tag": "augmentation"},
        {
            "type": "checkbox",
            "label": "Flip",
            "model": "augmentation.flip",
            "default": 1,
            "required": False,
            "visible": False,
        },
        {
            "type": "input",
            "inputType": "number",
            "min": 0,
            "max": 100,
            "step": 1,
            "label": "Rotation",
            "model": "augmentation.rotation",
            "default": 10,
            "required": False,
            "visible": False,
            "featured": True,
        },
    ],
    "presets": {
        "fast": {
            "epochs": 5,
            "classes": '["dent", "ok"]',
            "augmentation": {"flip": False},
        }
    },
}


def _legacy_folded() -> dict[str, Any]:
    """The legacy document as it re-emits: the stray ``kwargs`` folded into its field."""
    document = copy.deepcopy(LEGACY)
    classes, mapping = document["fields"][1], document["fields"][2]
    classes.update(classes.pop("kwargs"))
    mapping.pop("kwargs")
    return document


def test_legacy_document_loads_into_the_model_it_describes() -> None:
    schema = load_platform_ui(LEGACY)
    kinds = {path: field.kind for path, field in schema.fields()}
    assert kinds == {
        "classes": Kind.CLASSES,
        "class_mapping": Kind.CLASS_MAPPING,
        "epochs": Kind.INTEGER,
        "learning_rate": Kind.NUMBER,
        "run_name": Kind.TEXT,
        "notes": Kind.TEXT,
        "batch_size": Kind.CHOICE,
        "loss": Kind.CHOICE,
        "metrics": Kind.MULTI_CHOICE,
        "input_shape": Kind.JSON,
        "augmentation.flip": Kind.BOOLEAN,
        "augmentation.rotation": Kind.INTEGER,
    }
    classes = schema.find("classes")
    assert isinstance(classes, Field)
    assert classes.required is True  # from the folded kwargs
    assert classes.default is None  # "" is the empty JSON value
    mapping = schema.find("class_mapping")
    assert isinstance(mapping, Field) and mapping.default == {"dents": "dent", "ok": []}
    assert mapping.hint is None
    batch = schema.find("batch_size")
    assert isinstance(batch, Field)
    assert batch.option_values() == (32, 64, 128) and batch.default == 64
    epochs = schema.find("epochs")
    assert isinstance(epochs, Field) and epochs.advanced and epochs.maximum == 100
    notes = schema.find("notes")
    assert isinstance(notes, Field) and notes.multiline and notes.max_length == 5000
    augmentation = schema.find("augmentation")
    assert isinstance(augmentation, Section) and augmentation.header
    assert augmentation.label == "Augmentation" and not augmentation.advanced
    assert [type(n).__name__ for n in schema.children[:2]] == ["Heading", "Field"]
    assert schema.presets == {
        "fast": {"epochs": 5, "classes": ["dent", "ok"], "augmentation": {"flip": False}}
    }


def test_legacy_document_loads_with_warnings_not_a_refusal() -> None:
    schema = load_platform_ui(LEGACY)
    messages = [str(w) for w in schema.warnings]
    assert all(w.severity == "warning" for w in schema.warnings)
    assert messages == [
        "warning: classes: fields[1]: 'kwargs' sets 'required' to True over False",
        "warning: classes: default a value is required",
        "warning: epochs: default 500 is above the maximum 100",
        "warning: augmentation.flip: default expected true or false, got 1",
    ]


def test_legacy_document_re_emits_as_it_was_key_order_aside() -> None:
    schema = load_platform_ui(LEGACY)
    emitted = emit_platform_ui(schema)
    expected = _legacy_folded()
    assert len(emitted["fields"]) == len(expected["fields"])
    for got, want in zip(emitted["fields"], expected["fields"], strict=True):
        assert _same(got, want), (got, want)
    assert _same(emitted["presets"], expected["presets"])


def test_presentation_keys_are_kept_in_ui_extra() -> None:
    rotation = load_platform_ui(LEGACY).find("augmentation.rotation")
    assert isinstance(rotation, Field)
    assert rotation.ui_extra == {"featured": True}
    assert rotation.ui_omit == ("validator",)


def test_a_model_built_with_the_dsl_loads_back_with_no_replay_records() -> None:
    builder = SchemaBuilder("Detector")
    builder.classes(default=["a"], required=True)
    builder.number("lr", default=0.01, exclusive_min=0, unit="1/step", presets={"quick": 0.1})
    with builder.section("aug", advanced=True) as aug:
        aug.heading("Geometry")
        aug.boolean("flip", default=True, advanced=True)
        aug.list("angles", of="number", default=[0.0, 90.0], max_items=4)
        aug.heading("End")
    schema = builder.build()
    loaded = load_platform_ui(emit_platform_ui(schema))
    assert loaded == schema
    assert all(not f.ui_extra and not f.ui_omit for _, f in loaded.fields())
    assert loaded.warnings == ()


# -- inputs: mapping, text, path -----------------------------------------------------------------


def test_loads_json_text_and_files(tmp_path: Path) -> None:
    schema = SchemaBuilder().integer("epochs", default=3).build()
    text = dump_platform_ui(schema)
    path = tmp_path / "settings-schema.json"
    path.write_text(text, encoding="utf-8")
    assert load_platform_ui(text) == schema
    assert load_platform_ui(path) == schema
    assert load_platform_ui(str(path)) == schema


def test_problems_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(LEGACY), encoding="utf-8")
    schema = load_platform_ui(path)
    assert {w.source for w in schema.warnings} == {str(path)}
    assert load_platform_ui(LEGACY, source="x.json").warnings[0].source == "x.json"


def test_invalid_json_text_is_an_error_with_its_line() -> None:
    with pytest.raises(SchemaError) as caught:
        load_platform_ui('{"fields": [\n  {"type": }\n]}')
    (problem,) = caught.value.problems
    assert problem.line == 2
    assert "not valid JSON" in problem.message


def test_a_missing_file_is_an_error() -> None:
    with pytest.raises(SchemaError, match="cannot read the file"):
        load_platform_ui("/nonexistent/settings-schema.json")


def test_a_document_without_fields_is_an_error() -> None:
    with pytest.raises(SchemaError, match="expected"):
        load_platform_ui({"presets": {}})


# -- errors name the record ----------------------------------------------------------------------


def test_an_unknown_type_names_index_model_and_type() -> None:
    document = _document(
        {"type": "checkbox", "label": "A", "model": "a", "default": True},
        {"type": "pikaday", "label": "When", "model": "when"},
    )
    with pytest.raises(SchemaError) as caught:
        load_platform_ui(document)
    message = str(caught.value)
    assert "fields[1]" in message and "'when'" in message and "'pikaday'" in message
    assert "unknown type" in message


def test_an_unknown_input_type_names_the_record() -> None:
    document = _document({"type": "input", "inputType": "date", "label": "Day", "model": "day"})
    with pytest.raises(SchemaError, match=r"fields\[0\] \(model 'day', type 'input'\).*'date'"):
        load_platform_ui(document)


def test_an_unknown_key_names_the_record_and_the_key() -> None:
    document = _document(
        {"type": "input", "inputType": "text", "label": "N", "model": "n", "colour": "red"}
    )
    with pytest.raises(SchemaError, match=r"fields\[0\] \(model 'n', type 'input'\).*colour"):
        load_platform_ui(document)


def test_every_bad_record_is_reported_at_once() -> None:
    document = _document(
        {"type": "nope", "model": "a"},
        {"type": "checkbox", "model": "b", "label": "B", "oops": 1},
        {"type": "select", "model": "c", "label": "C", "values": "x"},
        {"type": "input", "inputType": "text", "model": "d", "criterionType": "colours"},
    )
    with pytest.raises(SchemaError) as caught:
        load_platform_ui(document)
    text = str(caught.value)
    for index in range(4):
        assert f"fields[{index}]" in text


def test_an_unknown_extension_key_or_document_key_is_an_error() -> None:
    record = {"type": "checkbox", "label": "A", "model": "a", "brevetti": {"colour": 1}}
    with pytest.raises(SchemaError, match="colour"):
        load_platform_ui(_document(record))
    with pytest.raises(SchemaError, match="unknown document key 'extra'"):
        load_platform_ui({"fields": [], "extra": 1})


def test_declaration_errors_still_refuse() -> None:
    twice = {"type": "checkbox", "label": "A", "model": "a", "default": True}
    with pytest.raises(SchemaError, match="duplicate key"):
        load_platform_ui(_document(twice, twice))
    with pytest.raises(SchemaError, match="unknown field"):
        load_platform_ui(_document(twice, presets={"p": {"b": 1}}))


# -- kinds and values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"min": 0, "max": 10, "step": 1, "default": 3}, Kind.INTEGER),
        ({"min": 0, "max": 1, "step": 0.1, "default": 0.5}, Kind.NUMBER),
        ({"default": 3.0}, Kind.NUMBER),
        ({"step": "any"}, Kind.NUMBER),
        ({"default": 3, "validator": "number"}, Kind.NUMBER),
        ({"default": 3.5, "validator": ["integer"]}, Kind.INTEGER),
        ({}, Kind.INTEGER),
    ],
)
def test_number_inputs_are_integers_when_everything_is_integral(
    record: dict[str, Any], kind: Kind
) -> None:
    base = {"type": "input", "inputType": "number", "label": "X", "model": "x"}
    (field,) = load_platform_ui(_document({**base, **record})).children
    assert isinstance(field, Field) and field.kind is kind


def test_json_records_by_widget_and_criterion() -> None:
    document = _document(
        {"type": "textArea", "isJson": True, "label": "J", "model": "j", "default": "{}"},
        {"type": "input", "inputType": "text", "isJson": True, "label": "L", "model": "l"},
        {"type": "textArea", "isJson": False, "label": "T", "model": "t"},
        {"type": "input", "inputType": "password", "label": "S", "model": "s"},
    )
    kinds = [f.kind for _, f in load_platform_ui(document).fields()]
    assert kinds == [Kind.JSON, Kind.JSON, Kind.TEXT, Kind.SECRET]


def test_a_json_input_keeps_its_own_default_text() -> None:
    record = {
        "type": "input",
        "inputType": "text",
        "isJson": True,
        "label": "Extra",
        "model": "extra",
        "default": '{\n  "a": 1\n}',
        "required": False,
    }
    schema = load_platform_ui(_document(record))
    (field,) = schema.children
    assert isinstance(field, Field) and field.kind is Kind.JSON and field.default == {"a": 1}
    assert emit_platform_ui(schema)["fields"] == [record]


def test_a_default_that_is_no_json_text_is_kept_as_text_with_a_warning() -> None:
    record = {
        "type": "input",
        "inputType": "text",
        "isJson": True,
        "label": "Shape",
        "model": "shape",
        "default": "[224, 224",
        "required": False,
    }
    schema = load_platform_ui(_document(record))
    (field,) = schema.children
    assert isinstance(field, Field) and field.default == "[224, 224"
    assert any("not JSON text" in str(w) for w in schema.warnings)
    assert emit_platform_ui(schema)["fields"] == [record]


def test_brevettiai_json_select_with_text_options_keeps_its_text() -> None:
    record = {
        "type": "select",
        "values": ["bce", "wbce"],
        "isJson": True,
        "label": "Loss",
        "model": "loss",
        "default": "bce",
        "required": False,
    }
    schema = load_platform_ui(_document(record, presets={"p": {"loss": "wbce"}}))
    (field,) = schema.children
    assert isinstance(field, Field)
    assert field.option_values() == ("bce", "wbce") and field.default == "bce"
    assert schema.warnings == ()
    assert _same(emit_platform_ui(schema), _document(record, presets={"p": {"loss": "wbce"}}))


def test_labelled_options_load_from_their_widget_shapes() -> None:
    document = _document(
        {
            "type": "select",
            "values": [{"id": "1", "name": "One"}, {"id": "2", "name": "2"}],
            "isJson": True,
            "label": "N",
            "model": "n",
            "required": False,
        },
        {
            "type": "checklist",
            "listbox": True,
            "listBox": True,
            "values": [{"value": "a", "name": "Alpha"}, {"value": "b", "name": "b"}],
            "label": "M",
            "model": "m",
            "required": False,
        },
    )
    schema = load_platform_ui(document)
    n, m = (f for _, f in schema.fields())
    assert n.options == (Option(1, "One"), Option(2))
    assert m.options == (Option("a", "Alpha"), Option("b"))
    assert all(not f.ui_extra and not f.ui_omit for f in (n, m))


def test_a_value_of_the_wrong_type_is_kept_for_the_form_with_a_warning() -> None:
    record = {
        "type": "input",
        "inputType": "number",
        "min": "0",
        "label": "X",
        "model": "x",
        "required": "no",
    }
    schema = load_platform_ui(_document(record))
    (field,) = schema.children
    assert isinstance(field, Field) and field.minimum is None and field.required is False
    assert field.ui_extra == {"min": "0", "required": "no"}
    assert len(schema.warnings) == 2
    assert emit_platform_ui(schema)["fields"] == [record]


def test_a_preset_outside_the_bounds_is_a_warning() -> None:
    record = {"type": "input", "inputType": "number", "max": 100, "label": "E", "model": "e"}
    schema = load_platform_ui(_document(record, presets={"long": {"e": 500}}))
    assert schema.presets == {"long": {"e": 500}}
    assert [w.severity for w in schema.warnings] == ["warning"]


# -- brevettiai's defects ------------------------------------------------------------------------


def test_kwargs_overriding_a_key_is_a_warning() -> None:
    record = {
        "type": "input",
        "inputType": "text",
        "isJson": True,
        "label": "Classes",
        "model": "classes",
        "criterionType": "classes",
        "kwargs": {"label": "Defect classes", "help": "Names"},
    }
    schema = load_platform_ui(_document(record))
    (field,) = schema.children
    assert isinstance(field, Field)
    assert (field.label, field.help) == ("Defect classes", "Names")
    assert [w.message for w in schema.warnings] == [
        "fields[0]: 'kwargs' sets 'label' to 'Defect classes' over 'Classes'"
    ]
    assert "kwargs" not in emit_platform_ui(schema)["fields"][0]


def test_namespace_above_the_preset_names_is_moved_inside_them() -> None:
    document = _document(
        {"type": "label", "label": "Aug", "tag": "aug"},
        {"type": "checkbox", "label": "Flip", "model": "aug.flip", "default": True},
        presets={"aug": {"fast": {"flip": False}, "slow": {"flip": True}}},
    )
    schema = load_platform_ui(document)
    assert schema.presets == {"fast": {"aug": {"flip": False}}, "slow": {"aug": {"flip": True}}}
    assert any("above the preset names" in str(w) for w in schema.warnings)


# -- structure -----------------------------------------------------------------------------------


def test_dotted_models_without_a_label_make_implicit_sections() -> None:
    document = _document(
        {"type": "checkbox", "label": "Flip", "model": "model.aug.flip", "default": True},
        {"type": "label", "label": "Loose header"},
        {"type": "checkbox", "label": "On", "model": "model.on", "default": True},
    )
    schema = load_platform_ui(document)
    (model,) = schema.children
    assert isinstance(model, Section) and not model.header and model.label == "Model"
    aug, heading, on = model.children
    assert isinstance(aug, Section) and not aug.header
    assert heading == Heading("Loose header")
    assert isinstance(on, Field) and on.key == "on"
    assert emit_platform_ui(schema) == document


def test_a_tagged_label_with_a_full_path_opens_a_nested_section() -> None:
    document = _document(
        {"type": "label", "label": "Backbone", "tag": "model.backbone", "help": "The net"},
        {"type": "label", "label": "Plain header"},
        {"type": "input", "inputType": "number", "label": "D", "model": "model.depth"},
    )
    schema = load_platform_ui(document)
    backbone = schema.find("model.backbone")
    assert isinstance(backbone, Section) and backbone.header and backbone.help == "The net"
    model = schema.find("model")
    assert isinstance(model, Section) and not model.header
    assert [type(n).__name__ for n in model.children] == ["Section", "Heading", "Field"]
    assert _same(emit_platform_ui(schema), document)


def test_a_hidden_group_is_an_advanced_section_only_when_everything_in_it_is_hidden() -> None:
    hidden = _document(
        {"type": "label", "label": "Aug", "tag": "aug", "visible": False},
        {"type": "checkbox", "label": "Flip", "model": "aug.flip", "visible": False},
    )
    section = load_platform_ui(hidden).find("aug")
    assert isinstance(section, Section) and section.advanced
    flip = load_platform_ui(hidden).find("aug.flip")
    assert isinstance(flip, Field) and not flip.advanced

    partly = _document(
        {"type": "label", "label": "Aug", "tag": "aug", "visible": False},
        {"type": "checkbox", "label": "Flip", "model": "aug.flip"},
    )
    schema = load_platform_ui(partly)
    section = schema.find("aug")
    assert isinstance(section, Section) and not section.advanced
    assert section.ui_extra == {"visible": False}
    assert _same(emit_platform_ui(schema)["fields"], partly["fields"])


def test_records_of_a_group_that_are_not_together_are_gathered_with_a_warning() -> None:
    document = _document(
        {"type": "checkbox", "label": "A", "model": "g.a"},
        {"type": "checkbox", "label": "B", "model": "b"},
        {"type": "checkbox", "label": "C", "model": "g.c"},
    )
    schema = load_platform_ui(document)
    assert [p for p, _ in schema.fields()] == ["g.a", "g.c", "b"]
    assert any("not together" in str(w) for w in schema.warnings)


def test_a_second_label_with_the_same_tag_stays_a_heading() -> None:
    document = _document(
        {"type": "label", "label": "G", "tag": "g"},
        {"type": "checkbox", "label": "A", "model": "g.a"},
        {"type": "label", "label": "G again", "tag": "g"},
        {"type": "checkbox", "label": "C", "model": "g.c"},
    )
    schema = load_platform_ui(document)
    section = schema.find("g")
    assert isinstance(section, Section)
    assert isinstance(section.children[1], Heading)
    assert _same(emit_platform_ui(schema), document)


# -- properties ----------------------------------------------------------------------------------

_PRESENTATION = st.fixed_dictionaries(
    {},
    optional={
        "featured": st.booleans(),
        "styleClasses": st.sampled_from(["wide", "narrow"]),
        "id": st.from_regex(r"[a-z]{1,6}", fullmatch=True),
        "visible": st.just(True),
        "disabled": st.booleans(),
    },
)


@st.composite
def _decorated(draw: st.DrawFn) -> Schema:
    """A random schema with headings, titles and presentation details sprinkled in."""
    schema = draw(schemas())

    def decorate(nodes: tuple[Any, ...], depth: int) -> tuple[Any, ...]:
        result: list[Any] = []
        for node in nodes:
            if draw(st.integers(0, 5)) == 0:
                result.append(Heading(draw(st.sampled_from(["Main", "Details", "Ø"]))))
            if isinstance(node, Section):
                node = attrs.evolve(node, children=decorate(node.children, depth + 1))
            elif isinstance(node, Field) and draw(st.booleans()):
                node = attrs.evolve(
                    node,
                    hint=draw(st.one_of(st.none(), st.just("a hint"))),
                    placeholder=draw(st.one_of(st.none(), st.just("e.g. 1"))),
                    readonly=draw(st.booleans()),
                    unit=draw(st.one_of(st.none(), st.just("px"))),
                )
            result.append(node)
        if depth and draw(st.integers(0, 3)) == 0:
            result.append(Heading("Trailing"))
        return tuple(result)

    title = draw(st.one_of(st.none(), st.just("A title")))
    return attrs.evolve(schema, children=decorate(schema.children, 0), title=title)


@given(schemas())
def test_dsl_schema_emit_load_gives_the_same_model(schema: Schema) -> None:
    loaded = load_platform_ui(emit_platform_ui(schema))
    assert loaded == schema
    assert loaded.warnings == ()


@given(_decorated())
def test_decorated_schema_emit_load_gives_the_same_model(schema: Schema) -> None:
    loaded = load_platform_ui(dump_platform_ui(schema))
    assert loaded == schema
    assert all(not f.ui_extra and not f.ui_omit for _, f in loaded.fields())


@given(_decorated(), st.data())
def test_load_then_emit_reproduces_the_document(schema: Schema, data: st.DataObject) -> None:
    document = emit_platform_ui(schema)
    for record in document["fields"]:
        if "model" in record:
            record.update(data.draw(_PRESENTATION))
            for key in data.draw(st.lists(st.sampled_from(["required", "validator", "label"]))):
                record.pop(key, None)
    reloaded = emit_platform_ui(load_platform_ui(copy.deepcopy(document)))
    assert _same(reloaded, document)


def test_a_field_loaded_without_default_stays_without_one() -> None:
    document = _document({"type": "checkbox", "label": "A", "model": "a", "required": False})
    (field,) = load_platform_ui(document).children
    assert isinstance(field, Field) and field.default is MISSING
    assert emit_platform_ui(load_platform_ui(document)) == document
