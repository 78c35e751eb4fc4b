"""brevetti_schema.compat: brevettiai's factories, builder and settings helper, minus its defects."""

from __future__ import annotations

import copy
import enum
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import Field, Kind, SchemaError
from brevetti_schema._errors import SettingsError
from brevetti_schema._platform_ui import emit_platform_ui
from brevetti_schema.compat import (
    Record,
    SchemaBuilder,
    apply_schema_to_model,
    checkbox,
    checklist,
    field_class_mapping,
    field_classes,
    label,
    number_input,
    select,
    text_area,
    text_input,
    to_schema,
)


class Loss(enum.Enum):
    BCE = "bce"
    WBCE = "wbce"


class Channels(enum.IntEnum):
    GRAY = 1
    RGB = 3


# -- factories: exact records and key order ------------------------------------------------


def test_label_plain_and_with_tag() -> None:
    assert label("Training") == {"type": "label", "label": "Training"}
    record = label("Training", tag="training", visible=True)
    assert record == {"type": "label", "label": "Training", "tag": "training", "visible": True}
    assert list(record) == ["type", "label", "tag", "visible"]


def test_number_input_record() -> None:
    record = number_input("Epochs", "epochs", 10)
    assert record == {
        "type": "input",
        "inputType": "number",
        "min": 0,
        "max": 100,
        "step": 1,
        "label": "Epochs",
        "model": "epochs",
        "default": 10,
        "required": False,
    }
    assert list(record) == [
        "type", "inputType", "min", "max", "step", "label", "model", "default", "required"
    ]  # fmt: skip


def test_number_input_passes_unknown_keywords_after_required() -> None:
    record = number_input("Rate", "lr", 0.1, True, 0, 1, 0.01, help="step size", visible=True)
    assert record["required"] is True
    assert (record["min"], record["max"], record["step"]) == (0, 1, 0.01)
    assert list(record)[-3:] == ["required", "help", "visible"]
    assert record["help"] == "step size"


def test_number_input_without_default_is_none_not_zero() -> None:
    assert number_input("Seed", "seed")["default"] is None


def test_number_input_keeps_gt_lt_as_exclusive_bounds() -> None:
    record = number_input("Rate", "lr", 0.5, gt=0, lt=1, max=None, help="h")
    assert record["brevetti"] == {"exclusive_minimum": 0, "exclusive_maximum": 1}
    assert record["max"] is None
    assert list(record)[-2:] == ["help", "brevetti"]
    assert number_input("Rate", "lr", 0.5, lt=1)["brevetti"] == {"exclusive_maximum": 1}
    assert "brevetti" not in number_input("Rate", "lr", 0.5)


def test_number_input_keeps_a_default_outside_its_bounds() -> None:
    assert number_input("Size", "size", 512)["default"] == 512  # max stays 100, as brevettiai


def test_text_input_record() -> None:
    record = text_input("Name", "name", "abc")
    assert record == {
        "type": "input",
        "inputType": "text",
        "isJson": False,
        "label": "Name",
        "model": "name",
        "default": "abc",
        "required": False,
    }
    assert list(record)[:3] == ["type", "inputType", "isJson"]
    assert text_input("Name", "name")["default"] == ""


def test_text_input_json_encodes_a_non_string_default_with_sorted_keys() -> None:
    record = text_input("Size", "size", {"w": 2, "h": 1}, json=True, placeholder="{}")
    assert record["isJson"] is True
    assert record["default"] == '{"h": 1, "w": 2}'
    assert record["placeholder"] == "{}"
    assert text_input("Size", "size", "[1, 2]", json=True)["default"] == "[1, 2]"


def test_text_input_without_json_keeps_a_none_default() -> None:
    assert text_input("Name", "name", None)["default"] is None


def test_text_area_record() -> None:
    record = text_area("Notes", "notes", "hello")
    assert record == {
        "type": "textArea",
        "hint": "",
        "placeholder": "",
        "rows": 4,
        "max": 5000,
        "isJson": False,
        "label": "Notes",
        "model": "notes",
        "default": "hello",
        "required": False,
    }
    assert list(record)[:6] == ["type", "hint", "placeholder", "rows", "max", "isJson"]


def test_text_area_json_default_is_indented_by_two() -> None:
    record = text_area("Anchors", "anchors", {"b": [1], "a": 2}, json=True, rows=8, help="h")
    assert record["default"] == json.dumps({"a": 2, "b": [1]}, indent=2, sort_keys=True)
    assert record["default"].startswith('{\n  "a": 2')
    assert record["rows"] == 8
    assert record["help"] == "h"


def test_checkbox_record() -> None:
    record = checkbox("Flip", "aug.flip", True)
    assert record == {
        "type": "checkbox",
        "label": "Flip",
        "model": "aug.flip",
        "default": True,
        "required": False,
    }
    assert list(record) == ["type", "label", "model", "default", "required"]
    assert checkbox("Flip", "flip", True, disabled=True)["disabled"] is True


def test_checklist_record() -> None:
    record = checklist("Metrics", "metrics", ["a"], ["a", "b"])
    assert record == {
        "type": "checklist",
        "listbox": False,
        "values": ["a", "b"],
        "label": "Metrics",
        "model": "metrics",
        "default": ["a"],
        "required": False,
    }
    assert list(record)[:3] == ["type", "listbox", "values"]
    assert checklist("M", "m", [], ["a"], dropdown=False)["listbox"] is True


def test_checklist_accepts_an_enum_class_and_members() -> None:
    record = checklist("Losses", "losses", (Loss.BCE,), Loss)
    assert record["values"] == ["bce", "wbce"]
    assert record["default"] == ["bce"]


def test_select_record() -> None:
    record = select("Loss", "loss", "bce", ["bce", "wbce"])
    assert record == {
        "type": "select",
        "values": ["bce", "wbce"],
        "isJson": False,
        "label": "Loss",
        "model": "loss",
        "default": "bce",
        "required": False,
    }
    assert list(record)[:3] == ["type", "values", "isJson"]


def test_select_with_non_string_values_is_json() -> None:
    record = select("Size", "size", 64, [32, 64, 128], required=True, help="px")
    assert record["values"] == ["32", "64", "128"]
    assert record["default"] == "64"
    assert record["isJson"] is True
    assert record["help"] == "px"
    mixed = select("Mode", "mode", "auto", ["auto", 1, None])
    assert mixed["values"] == ['"auto"', "1", "null"]
    assert mixed["default"] == '"auto"'
    assert select("Size", "size", "64", [32, 64])["default"] == "64"  # already JSON text


def test_select_accepts_enums_instead_of_crashing() -> None:
    assert select("Loss", "loss", Loss.WBCE, Loss)["values"] == ["bce", "wbce"]
    assert select("Loss", "loss", Loss.WBCE, Loss)["default"] == "wbce"
    assert select("Loss", "loss", Loss.WBCE, Loss)["isJson"] is False
    ints = select("Channels", "channels", Channels.RGB, Channels)
    assert ints["values"] == ["1", "3"]
    assert ints["default"] == "3"
    assert ints["isJson"] is True


def test_field_classes_record_has_no_stray_kwargs_key() -> None:
    record = field_classes(visible=True, help="one per class")
    assert record == {
        "type": "input",
        "inputType": "text",
        "isJson": True,
        "label": "Classes as json list",
        "model": "classes",
        "default": "",
        "required": False,
        "criterionType": "classes",
        "visible": True,
        "help": "one per class",
    }
    assert "kwargs" not in record


def test_field_classes_encodes_a_list_default() -> None:
    assert field_classes(default=["b", "a"])["default"] == '["b", "a"]'


def test_field_class_mapping_record() -> None:
    record = field_class_mapping(default={"ok": "good", "bad": ["scratch"]}, visible=False)
    assert record == {
        "type": "textArea",
        "hint": "Json mapping from folder name to class",
        "placeholder": "",
        "rows": 4,
        "max": 5000,
        "isJson": True,
        "label": "Class mapping",
        "model": "class_mapping",
        "default": json.dumps({"bad": ["scratch"], "ok": "good"}, indent=2, sort_keys=True),
        "required": False,
        "criterionType": "class_mapping",
        "visible": False,
    }
    assert field_class_mapping(rows=10)["rows"] == 10  # binds the text area's own option


def test_a_keyword_that_clashes_with_a_set_key_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="more than one value for type"):
        checkbox("Flip", "flip", True, type="switch")
    with pytest.raises(TypeError, match="isJson"):
        text_input("Name", "name", isJson=True)


# -- the builder -----------------------------------------------------------------------------


def test_advanced_builder_hides_fields_that_do_not_set_visible() -> None:
    builder = SchemaBuilder()
    builder.add_field(label("Main"))
    builder.add_field(checkbox("Flip", "flip", True))
    builder.add_field(checkbox("Shown", "shown", True, visible=True))
    visible = [f.get("visible") for f in builder.schema["fields"]]
    assert visible == [False, False, True]


def test_plain_builder_leaves_visibility_alone() -> None:
    builder = SchemaBuilder(advanced=False)
    builder.add_field(checkbox("Flip", "flip", True))
    assert "visible" not in builder.schema["fields"][0]


def test_add_field_copies_the_record() -> None:
    record = checkbox("Flip", "flip", True)
    builder = SchemaBuilder()
    builder.add_field(record)
    assert "visible" not in record
    record["label"] = "changed"
    assert builder.schema["fields"][0]["label"] == "Flip"


def test_add_field_records_presets() -> None:
    builder = SchemaBuilder(advanced=False)
    builder.add_field(number_input("Epochs", "training.epochs", 10), fast=2, slow=100)
    builder.add_field(field_classes(), fast=["a", "b"])
    assert builder.schema["presets"] == {
        "fast": {"training": {"epochs": 2}, "classes": '["a", "b"]'},
        "slow": {"training": {"epochs": 100}},
    }


def test_add_preset_by_model_encodes_json_fields() -> None:
    builder = SchemaBuilder(advanced=False)
    builder.add_field(field_class_mapping())
    builder.add_field(select("Size", "size", 32, [32, 64]))
    builder.add_field(checkbox("Flip", "aug.flip", True))
    builder.add_preset("big", "class_mapping", {"b": "x", "a": "y"})
    builder.add_preset("big", "size", 64)
    builder.add_preset("big", "aug.flip", False)
    assert builder.schema["presets"] == {
        "big": {
            "class_mapping": '{\n  "a": "y",\n  "b": "x"\n}',
            "size": "64",
            "aug": {"flip": False},
        }
    }


def test_add_preset_for_an_unknown_model_is_a_clear_error() -> None:
    builder = SchemaBuilder()
    builder.add_field(checkbox("Flip", "flip", True))
    with pytest.raises(SchemaError, match=r"'flop'.*known: flip"):
        builder.add_preset("fast", "flop", True)


def test_namespace_prefixes_models_and_tags_and_sits_inside_each_preset() -> None:
    builder = SchemaBuilder(namespace="model.backbone", advanced=False)
    builder.add_field(label("Backbone", tag="options"))
    builder.add_field(label("Plain header"))
    builder.add_field(number_input("Depth", "depth", 50), small=18)
    builder.add_preset("large", "depth", 101)
    document = builder.schema
    assert [f.get("model", f.get("tag")) for f in document["fields"]] == [
        "model.backbone.options",
        None,
        "model.backbone.depth",
    ]
    assert document["presets"] == {
        "small": {"model": {"backbone": {"depth": 18}}},
        "large": {"model": {"backbone": {"depth": 101}}},
    }
    assert builder.fields[2]["model"] == "depth"  # the builder itself stays un-prefixed


def _parts() -> tuple[SchemaBuilder, SchemaBuilder]:
    main = SchemaBuilder(advanced=False)
    main.add_field(number_input("Epochs", "epochs", 10), fast=1)
    aug = SchemaBuilder(namespace="aug", advanced=False)
    aug.add_field(checkbox("Flip", "flip", True), fast=False, strong=True)
    return main, aug


def test_append_keeps_the_appended_builders_presets() -> None:
    main, aug = _parts()
    assert main.append(aug) is main
    document = main.schema
    assert [f["model"] for f in document["fields"]] == ["epochs", "aug.flip"]
    assert document["presets"] == {
        "fast": {"epochs": 1, "aug": {"flip": False}},
        "strong": {"aug": {"flip": True}},
    }


def test_plus_gives_a_new_builder_with_both_and_keeps_presets() -> None:
    main, aug = _parts()
    combined = main + aug
    assert combined is not main
    assert len(main.fields) == 1
    assert combined.schema["presets"]["strong"] == {"aug": {"flip": True}}
    main += aug
    assert main.schema == combined.schema


def test_append_a_list_adds_each_field() -> None:
    builder = SchemaBuilder().append([checkbox("A", "a", True), checkbox("B", "b", False)])
    assert [f["visible"] for f in builder.schema["fields"]] == [False, False]


def test_append_a_document_merges_its_presets() -> None:
    builder = SchemaBuilder(advanced=False)
    builder.add_field(checkbox("A", "a", True), p=False)
    builder.append({"fields": [checkbox("B", "b", True)], "presets": {"p": {"b": False}}})
    assert builder.schema["presets"] == {"p": {"a": False, "b": False}}


def test_append_rejects_what_is_no_schema() -> None:
    with pytest.raises(TypeError, match="get_schema"):
        SchemaBuilder().append(42)


class _SettingsModule:
    """Like brevettiai's settings modules: a class whose get_schema() gives a builder."""

    @classmethod
    def get_schema(cls, namespace: str | None = None) -> SchemaBuilder:
        builder = SchemaBuilder(namespace=namespace, advanced=False)
        builder.add_field(number_input("Width", "width", 224), small=112)
        return builder


class _BuilderFunc:
    """Like brevettiai's SchemaBuilderFunc: builder() gives a builder."""

    def builder(self) -> SchemaBuilder:
        return SchemaBuilder(advanced=False).append([label("Extra"), checkbox("On", "on", True)])


def test_modules_in_a_list_are_appended_in_order() -> None:
    builder = SchemaBuilder(modules=[_SettingsModule, _BuilderFunc()], advanced=False)
    builder.add_field(checkbox("Last", "last", True))
    document = builder.schema
    assert [f.get("model") for f in document["fields"]] == ["width", None, "on", "last"]
    assert document["presets"] == {"small": {"width": 112}}
    assert len(builder.modules) == 2


def test_modules_in_a_mapping_are_nested_under_their_namespace() -> None:
    builder = SchemaBuilder(modules={"input": _SettingsModule}, advanced=False)
    assert builder.schema["fields"][0]["model"] == "input.width"
    assert builder.schema["presets"] == {"small": {"input": {"width": 112}}}


def test_a_module_exposing_a_schema_attribute() -> None:
    class WithSchema:
        def __init__(self) -> None:
            self.schema = {"fields": [checkbox("X", "x", True)], "presets": {}}

    assert SchemaBuilder(modules=[WithSchema()]).schema["fields"][0]["model"] == "x"


def test_from_schema_round_trips_a_document() -> None:
    main, aug = _parts()
    document = main.append(aug).schema
    rebuilt = SchemaBuilder.from_schema(json.loads(json.dumps(document)))
    assert rebuilt.schema == document


def test_schema_is_a_fresh_copy_each_time() -> None:
    builder = SchemaBuilder()
    builder.add_field(checklist("M", "m", ["a"], ["a", "b"]), p=["b"])
    document = builder.schema
    document["fields"][0]["values"].append("c")
    document["presets"]["p"]["m"].append("a")
    assert builder.schema["fields"][0]["values"] == ["a", "b"]
    assert builder.schema["presets"]["p"]["m"] == ["b"]


def test_str_is_sorted_indented_json() -> None:
    builder = SchemaBuilder()
    builder.add_field(checkbox("Flip", "flip", True))
    assert json.loads(str(builder)) == builder.schema
    assert str(builder).startswith('{\n  "fields"')


# -- apply_schema_to_model ------------------------------------------------------------------


def _settings_builder() -> SchemaBuilder:
    builder = SchemaBuilder(advanced=False)
    builder.add_field(number_input("Epochs", "training.epochs", 10))
    builder.add_field(number_input("Rate", "training.lr", 0.1))
    builder.add_field(number_input("Seed", "seed"))
    builder.add_field(checkbox("Flip", "aug.flip", True))
    builder.add_field(field_classes(default=["a"]))
    builder.add_field(field_class_mapping())
    builder.add_field(select("Size", "size", 32, [32, 64]))
    builder.add_field(text_input("Name", "name", "run"))
    builder.add_field(label("Header"))
    return builder


def test_apply_fills_defaults_and_decodes_json() -> None:
    settings = apply_schema_to_model(_settings_builder(), {})
    assert settings == {
        "training": {"epochs": 10, "lr": 0.1},
        "seed": None,
        "aug": {"flip": True},
        "classes": ["a"],
        "class_mapping": None,
        "size": 32,
        "name": "run",
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [("12", 12), (" 7 ", 7), ("2.5", 2.5), ("1e3", 1000.0), ("", None), (3, 3), (0.5, 0.5)],
)
def test_apply_converts_numbers(given: Any, expected: Any) -> None:
    settings = apply_schema_to_model(_settings_builder(), {"training": {"epochs": given}})
    assert settings["training"]["epochs"] == expected
    assert type(settings["training"]["epochs"]) is type(expected)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("true", True), ("False", False), ("1", True), ("no", False), (0, False), (True, True)],
)
def test_apply_converts_checkboxes(given: Any, expected: bool) -> None:
    settings = apply_schema_to_model(_settings_builder(), {"aug": {"flip": given}})
    assert settings["aug"]["flip"] is expected


def test_apply_decodes_json_text_and_empty_text_to_none() -> None:
    given = {"classes": '["x", "y"]', "class_mapping": "", "size": "64"}
    settings = apply_schema_to_model(_settings_builder(), given)
    assert settings["classes"] == ["x", "y"]
    assert settings["class_mapping"] is None
    assert settings["size"] == 64


def test_apply_reports_every_unconvertible_value() -> None:
    given = {"training": {"epochs": "ten"}, "aug": {"flip": "maybe"}, "classes": "[oops"}
    with pytest.raises(SettingsError) as caught:
        apply_schema_to_model(_settings_builder(), given)
    problems = {p.path: p for p in caught.value.problems}
    assert set(problems) == {"training.epochs", "aug.flip", "classes"}
    assert problems["training.epochs"].pointer == "/training/epochs"
    assert problems["training.epochs"].label == "Epochs"
    assert problems["training.epochs"].value == "ten"
    assert "invalid JSON" in problems["classes"].message


def test_apply_reports_all_missing_required_settings_without_assert() -> None:
    builder = SchemaBuilder(advanced=False, namespace="job")
    builder.add_field(number_input("Epochs", "epochs", 10, required=True))
    builder.add_field(field_classes(required=True))
    builder.add_field(text_input("Name", "name", required=True))
    builder.add_field(checkbox("Flip", "flip", True))
    with pytest.raises(SettingsError) as caught:
        apply_schema_to_model(builder, {"job": {"classes": "", "name": "x"}})
    assert isinstance(caught.value, ValueError)
    assert [p.path for p in caught.value.problems] == ["job.epochs", "job.classes"]
    assert "job.epochs" in str(caught.value)
    settings = apply_schema_to_model(builder, {"job": {}}, check_required_fields=False)
    assert settings["job"] == {"epochs": 10, "classes": None, "name": "", "flip": True}


def test_apply_reports_a_parent_that_is_not_an_object() -> None:
    with pytest.raises(SettingsError, match="training"):
        apply_schema_to_model(_settings_builder(), {"training": 5})


def test_apply_accepts_a_document_and_no_model() -> None:
    document = _settings_builder().schema
    assert apply_schema_to_model(document)["training"] == {"epochs": 10, "lr": 0.1}


_RAW = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "training": st.fixed_dictionaries(
                {}, optional={"epochs": st.integers().map(str), "lr": st.floats(-1, 1)}
            ),
            "classes": st.lists(st.text(max_size=4), max_size=3).map(json.dumps),
            "extra": _RAW,
        },
    )
)
def test_apply_never_changes_its_input(model: dict[str, Any]) -> None:
    before = copy.deepcopy(model)
    settings = apply_schema_to_model(_settings_builder(), model)
    assert model == before
    assert settings["extra" if "extra" in model else "name"] == model.get("extra", "run")


@given(st.integers(-(10**12), 10**12) | st.floats(allow_nan=False, allow_infinity=False))
def test_apply_number_text_round_trips(number: float) -> None:
    settings = apply_schema_to_model(_settings_builder(), {"seed": str(number)})
    assert settings["seed"] == number
    assert isinstance(settings["seed"], int) == isinstance(number, int)


@given(st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.integers(), max_size=4))
def test_builder_presets_survive_from_schema(values: dict[str, int]) -> None:
    builder = SchemaBuilder(namespace="ns")
    for key, value in values.items():
        builder.add_field(number_input(key.title(), key, 0), p=value)
    rebuilt = SchemaBuilder.from_schema(builder.schema)
    assert rebuilt.schema == builder.schema
    assert builder.schema["presets"] == ({"p": {"ns": values}} if values else {})


# -- conversion into the model --------------------------------------------------------------


def test_to_schema_converts_the_legacy_example_without_warnings() -> None:
    from schema_examples.legacy_compat import builder

    schema = to_schema(builder)
    assert schema.warnings == ()
    kinds = {path: field.kind for path, field in schema.fields()}
    assert kinds["classes"] is Kind.CLASSES
    assert kinds["class_mapping"] is Kind.CLASS_MAPPING
    assert kinds["training.epochs"] is Kind.INTEGER
    assert kinds["training.learning_rate"] is Kind.NUMBER
    assert kinds["training.channels"] is Kind.CHOICE
    assert kinds["training.metrics"] is Kind.MULTI_CHOICE
    assert kinds["training.anchors"] is Kind.JSON
    assert kinds["augmentation.flip_horizontal"] is Kind.BOOLEAN
    rate = schema.find("training.learning_rate")
    assert isinstance(rate, Field)
    assert (rate.exclusive_minimum, rate.exclusive_maximum) == (0, 1)
    channels = schema.find("training.channels")
    assert isinstance(channels, Field)
    assert channels.option_values() == (1, 3)
    assert channels.default == 3
    assert schema.presets["fast"]["class_mapping"] == {"scratches": "scratch"}
    assert emit_platform_ui(schema) == builder.schema


def test_to_schema_keeps_what_brevettiai_accepted_as_warnings() -> None:
    builder = SchemaBuilder(advanced=False)
    builder.add_field(number_input("Size", "size", 512))  # above brevettiai's max=100
    builder.add_field(checkbox("Flip", "flip", "yes"))
    schema = to_schema(builder)
    size = schema.find("size")
    assert isinstance(size, Field)
    assert size.default == 512
    assert sorted(w.path for w in schema.warnings) == ["flip", "size"]
    assert all(w.severity == "warning" for w in schema.warnings)
    assert emit_platform_ui(schema) == builder.schema


def test_to_schema_reads_namespaces_presets_and_hidden_fields() -> None:
    main, aug = _parts()
    main.add_field(field_classes(default=["a"]), fast=["a", "b"])
    hidden = SchemaBuilder()
    hidden.add_field(number_input("Seed", "seed"))
    combined = main + aug + hidden
    schema = to_schema(combined)
    assert schema.presets["fast"] == {"epochs": 1, "aug": {"flip": False}, "classes": ["a", "b"]}
    seed = schema.find("seed")
    assert isinstance(seed, Field)
    assert seed.advanced
    assert seed.default is None
    assert emit_platform_ui(schema) == combined.schema


def test_to_schema_accepts_a_document_and_rejects_other_things() -> None:
    document = _settings_builder().schema
    assert to_schema(document).field_count() == 8
    with pytest.raises(TypeError):
        to_schema(3.5)


_KEYS = st.from_regex(r"[a-f]{1,5}", fullmatch=True)
_WORD = st.from_regex(r"[a-z]{1,6}", fullmatch=True)
_LABEL = st.text(st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=10)
_EXTRA = st.fixed_dictionaries(
    {}, optional={"visible": st.booleans(), "help": _WORD, "placeholder": _WORD}
)


@st.composite
def _compat_field(draw: st.DrawFn, model: str) -> tuple[Record, Any]:
    """A record made by a random factory, and a valid preset value for it."""
    name = draw(_LABEL)
    extra: dict[str, Any] = draw(_EXTRA)
    kind = draw(
        st.sampled_from(["number", "text", "area", "check", "select", "list", "cls", "map"])
    )
    if kind == "number":
        value = draw(st.integers(0, 100) | st.floats(0, 100, allow_nan=False))
        default = draw(st.none() | st.just(value))
        record = number_input(name, model, default, **extra)
        return record, draw(st.integers(0, 100))
    if kind == "text":
        return text_input(name, model, draw(_WORD), **extra), draw(_WORD)
    if kind == "area":
        tree = draw(st.dictionaries(_WORD, st.integers(), max_size=2))
        return text_area(name, model, tree, json=True, **extra), {"k": draw(st.integers())}
    if kind == "check":
        return checkbox(name, model, draw(st.booleans()), **extra), draw(st.booleans())
    if kind == "select":
        values = draw(
            st.lists(_WORD, min_size=1, max_size=4, unique=True)
            | st.lists(st.integers(-5, 5), min_size=1, max_size=4, unique=True)
        )
        pick = st.sampled_from(values)
        return select(name, model, draw(pick), values, **extra), draw(pick)
    if kind == "list":
        values = draw(st.lists(_WORD, min_size=1, max_size=4, unique=True))
        subset = st.lists(st.sampled_from(values), unique=True)
        dropdown = draw(st.booleans())
        return checklist(name, model, draw(subset), values, dropdown=dropdown, **extra), draw(
            subset
        )
    if kind == "cls":
        return field_classes(name, model, draw(st.lists(_WORD, max_size=3)), **extra), ["x"]
    mapping = st.dictionaries(_WORD, _WORD, max_size=2)
    return field_class_mapping(name, model, draw(mapping), **extra), draw(mapping)


@st.composite
def _compat_builders(draw: st.DrawFn) -> SchemaBuilder:
    builder = SchemaBuilder(advanced=draw(st.booleans()))
    keys = draw(st.lists(_KEYS, min_size=1, max_size=6, unique=True))
    grouped = draw(st.lists(_KEYS, max_size=3, unique=True))
    for model in [*keys, *(f"zz.{k}" for k in grouped)]:
        if model == f"zz.{grouped[0] if grouped else ''}":
            builder.add_field(label("Group", tag="zz"))
        record, preset = draw(_compat_field(model))
        presets = {"p": preset} if draw(st.booleans()) else {}
        builder.add_field(record, **presets)
    return builder


@given(_compat_builders())
def test_compat_output_loads_and_emits_back_unchanged(builder: SchemaBuilder) -> None:
    document = builder.schema
    schema = to_schema(document)
    assert emit_platform_ui(schema) == document
    assert schema.field_count() == len([f for f in document["fields"] if "model" in f])
