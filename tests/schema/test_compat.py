"""brevetti_schema.compat: brevettiai's JSON exactly, its defects corrected.

Each test pins one rule of ../shared/reference/brevettiai-builder-behaviour.md; its name
says which (``match`` rules reproduced, ``defect`` rules corrected as the reference says).
"""

from __future__ import annotations

import enum
import json
import logging
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import Field, Kind, SchemaError
from brevetti_schema._emit.platform_ui import emit_platform_ui
from brevetti_schema._errors import SettingsError
from brevetti_schema.compat import (
    MissingSettingsError,
    PresetError,
    Record,
    SchemaBuilder,
    SchemaBuilderFunc,
    SchemaConfig,
    VueSettingsModule,
    apply_schema_to_model,
    build_from_pydantic_schema,
    checkbox,
    checklist,
    field_class_mapping,
    field_classes,
    from_pydantic_model,
    generate_application_schema,
    label,
    number_input,
    parse_settings_args,
    select,
    text_area,
    text_input,
    to_schema,
    update_schema,
)


class Loss(enum.Enum):
    BCE = "bce"
    WBCE = "wbce"


ROOT = Path(__file__).resolve().parents[2]


def _dumps(document: Any) -> str:
    """How brevettiai's users write a document (and how files are compared)."""
    return json.dumps(document)


# -- field factories ---------------------------------------------------------------------


def test_match_add_field_writes_visible_not_advanced_when_the_field_has_none() -> None:
    hidden = SchemaBuilder().add_field(number_input("A", "a", 1)).schema["fields"][0]
    shown = SchemaBuilder(advanced=False).add_field(number_input("A", "a", 1)).schema
    assert hidden["visible"] is False
    assert shown["fields"][0]["visible"] is True
    assert list(shown["fields"][0])[-1] == "visible"  # appended after the record's keys


def test_match_a_visible_already_on_the_field_is_kept_even_none() -> None:
    builder = SchemaBuilder()
    builder.add_field(text_input("A", "a", visible=None))
    builder.add_field(text_input("B", "b", visible=True))
    assert [f["visible"] for f in builder.schema["fields"]] == [None, True]


def test_match_append_list_and_plus_list_go_through_add_field() -> None:
    builder = SchemaBuilder(advanced=False)
    builder.append([checkbox("A", "a", True)])
    same = builder + [checkbox("B", "b", False)]  # noqa: RUF005 - the operator is the test
    assert same is builder
    assert [f["visible"] for f in builder.schema["fields"]] == [True, True]


def test_match_constructor_fields_are_verbatim_and_presets_merge_with_later_ones() -> None:
    record = number_input("A", "a", 1)
    builder = SchemaBuilder(fields=[record], presets={"fast": {"b": 2}})
    builder.add_preset("fast", "a", 5)
    assert builder.schema == {"fields": [record], "presets": {"fast": {"b": 2, "a": 5}}}
    assert "visible" not in builder.schema["fields"][0]


def test_match_appended_builder_fields_keep_their_own_visibility() -> None:
    inner = SchemaBuilder(advanced=False).add_field(checkbox("A", "a", True))
    outer = SchemaBuilder(advanced=True)
    outer.append(inner)
    outer += SchemaBuilder(advanced=True).add_field(checkbox("B", "b", True))
    assert [f["visible"] for f in outer.schema["fields"]] == [True, False]


@pytest.mark.parametrize(
    ("default", "stored"),
    [(5, "5"), (None, "null"), (True, "true"), ({"z": 1, "b": [1, 2]}, '{"b": [1, 2], "z": 1}'),
     ("keep {not json", "keep {not json"), ("é", "é"), (["é"], '["\\u00e9"]')],
)  # fmt: skip
def test_match_text_input_and_field_classes_dump_non_str_defaults_compact_sorted(
    default: Any, stored: str
) -> None:
    record = text_input("Int", "t.int", default)
    assert record["default"] == stored and record["isJson"] is False
    assert field_classes(default=default)["default"] == stored


def test_match_text_input_dumps_a_non_str_default_whatever_the_json_flag_says() -> None:
    """Rule: "A non-`str` default of `text_input` or `field_classes` is stored as
    `json.dumps(default, sort_keys=True)` ... **whatever the `json` flag says**"."""
    for flag in (False, True):
        record = text_input("Int", "t.int", {"b": 5, "a": None}, json=flag)
        assert record["default"] == '{"a": null, "b": 5}' and record["isJson"] is flag


def test_match_text_input_record_bytes() -> None:
    assert _dumps(text_input("Int", "t.int", 5)) == (
        '{"type": "input", "inputType": "text", "isJson": false, "label": "Int", '
        '"model": "t.int", "default": "5", "required": false}'
    )


@pytest.mark.parametrize("factory", ["text_area", "field_class_mapping", "select"])
def test_match_text_area_class_mapping_and_select_dump_defaults_indented_sorted(
    factory: str,
) -> None:
    default = {"z": [3, 1], "b": {"y": 1, "a": 2}}
    expected = json.dumps(default, indent=2, sort_keys=True)
    if factory == "text_area":
        record = text_area("T", "t", default)
    elif factory == "field_class_mapping":
        record = field_class_mapping(default=default)
    else:
        record = select("S", "s", default, ["a"])
    assert record["default"] == expected
    assert "[\n    3,\n    1\n  ]" in record["default"]  # lists keep their order


def test_match_a_str_default_is_never_reformatted_even_with_json() -> None:
    assert text_area("T", "t", '{"b":1,  "a":2}', json=True)["default"] == '{"b":1,  "a":2}'
    assert text_input("T", "t", "[not json", json=True)["default"] == "[not json"


def test_match_select_dumps_non_str_values_and_keeps_is_json_false() -> None:
    record = select("Batch", "batch", 32, [16, 32, None, {"b": 1, "a": 2}, "x"])
    assert record["values"] == ["16", "32", "null", '{\n  "a": 2,\n  "b": 1\n}', "x"]
    assert record["default"] == "32" and record["isJson"] is False
    assert select("Batch", "batch", 32, [16, 32], json=True)["isJson"] is True
    settings = apply_schema_to_model(SchemaBuilder().add_field(record), {})
    assert settings == {"batch": "32"}  # a select over numbers hands the job strings


def test_match_select_record_bytes_and_enums_accepted() -> None:
    assert _dumps(select("Loss", "loss", Loss.BCE, Loss)) == (
        '{"type": "select", "values": ["bce", "wbce"], "isJson": false, "label": "Loss", '
        '"model": "loss", "default": "bce", "required": false}'
    )


def test_match_checklist_stores_values_and_default_raw_with_listbox() -> None:
    record = checklist("M", "m", [1], [1, {"a": 2}], dropdown=False)
    assert record == {
        "type": "checklist", "listbox": True, "listBox": True, "values": [1, {"a": 2}],
        "label": "M", "model": "m", "default": [1], "required": False,
    }  # fmt: skip
    assert "isJson" not in record
    assert checklist("M", "m", [], ["a"])["listbox"] is False


def test_match_number_input_defaults_and_never_checks_the_default() -> None:
    record = number_input("Size", "size", 4096, max=100)
    assert _dumps(record) == (
        '{"type": "input", "inputType": "number", "min": 0, "max": 100, "step": 1, '
        '"label": "Size", "model": "size", "default": 4096, "required": false}'
    )
    assert number_input("S", "s", "7", min=None, max="x")["default"] == "7"
    assert checkbox("F", "f", "yes")["default"] == "yes"


def test_match_number_input_out_of_bounds_default_is_a_warning_in_our_model() -> None:
    schema = to_schema(SchemaBuilder().add_field(number_input("Size", "size", 4096)))
    assert [w.path for w in schema.warnings] == ["size"]


def test_defect_class_factories_put_extra_keywords_on_the_record_without_kwargs() -> None:
    classes = field_classes(default=["a"], visible=True, help="h")
    assert _dumps(classes) == (
        '{"type": "input", "inputType": "text", "isJson": true, "label": "Classes as json '
        'list", "model": "classes", "default": "[\\"a\\"]", "required": false, "visible": true, '
        '"help": "h", "criterionType": "classes"}'
    )
    mapping = field_class_mapping(default={"f": "c"}, placeholder="p")
    assert "kwargs" not in mapping and mapping["placeholder"] == "p"
    assert list(mapping)[:6] == ["type", "hint", "placeholder", "rows", "max", "isJson"]
    assert mapping["criterionType"] == "class_mapping"


def test_defect_a_loaded_kwargs_key_is_folded_in_and_dropped() -> None:
    stray = {**field_classes(), "kwargs": {"visible": True, "help": "h"}}
    document = {"fields": [stray], "presets": {}}
    for builder in (SchemaBuilder.from_schema(document), SchemaBuilder(fields=[stray]),
                    SchemaBuilder().add_field(stray)):  # fmt: skip
        (record,) = builder.schema["fields"]
        assert "kwargs" not in record and record["help"] == "h" and record["visible"] is True
    assert "kwargs" in document["fields"][0]  # the caller's document is left alone


def test_match_a_positional_hint_on_field_class_mapping_works() -> None:
    assert field_class_mapping("Map", "m", "", False, "my hint")["hint"] == "my hint"


# -- presets -------------------------------------------------------------------------------


def test_match_json_presets_are_compact_in_insertion_order_others_raw() -> None:
    builder = SchemaBuilder()
    builder.add_field(field_class_mapping(), test={"z": ["A"], "b": ["B"]})
    builder.add_field(text_area("Plain", "plain", ""), test={"z": 1, "b": 2})
    assert builder.schema["presets"] == {
        "test": {"class_mapping": '{"z": ["A"], "b": ["B"]}', "plain": {"z": 1, "b": 2}}
    }
    direct = SchemaBuilder().add_field(field_class_mapping())
    direct.add_preset("test", "class_mapping", {"test": ["A"], "test2": ["B"]})
    # the form brevettiai's own test suite asserts
    assert direct.schema["presets"]["test"]["class_mapping"] == '{"test": ["A"], "test2": ["B"]}'
    suite = SchemaBuilder()
    suite.add_field(field_classes(model="test"), p=["A"])
    suite.add_field(field_classes(model="test2"), p=["B"])
    assert json.dumps(suite.schema["presets"]["p"]) == '{"test": "[\\"A\\"]", "test2": "[\\"B\\"]"}'


def test_defect_a_preset_value_that_is_json_text_is_stored_as_it_is() -> None:
    builder = SchemaBuilder().add_field(field_classes(), p='["x"]')
    assert builder.schema["presets"] == {"p": {"classes": '["x"]'}}
    builder.add_preset("q", "classes", '{"a": 1}')
    assert builder.schema["presets"]["q"] == {"classes": '{"a": 1}'}


def test_match_preset_text_that_is_not_json_is_encoded_as_brevettiai_did() -> None:
    """Only text that is JSON already escapes the encoding (the defect's correction);
    other text for a JSON field is a value, encoded as brevettiai did, so the job
    decodes it back instead of failing on it."""
    builder = SchemaBuilder().add_field(text_input("Name", "name", "", json=True), p="abc")
    builder.add_preset("empty", "name", "")
    assert builder.schema["presets"] == {"p": {"name": '"abc"'}, "empty": {"name": '""'}}
    assert apply_schema_to_model(builder, dict(builder.schema["presets"]["p"])) == {"name": "abc"}
    assert to_schema(builder).presets["p"] == {"name": "abc"}


def test_match_a_none_preset_writes_nothing_but_makes_the_preset() -> None:
    builder = SchemaBuilder().add_field(field_classes(), empty=None)
    builder.add_field(number_input("N", "n", 1), empty=None)
    assert builder.schema["presets"] == {"empty": {}}


def test_match_add_preset_unknown_model_is_a_value_error_and_a_record_works() -> None:
    record = number_input("N", "n", 1)
    builder = SchemaBuilder().add_field(record)
    with pytest.raises(ValueError, match="Could not find field for preset 'nope'") as info:
        builder.add_preset("fast", "nope", 1)
    assert isinstance(info.value, PresetError)
    builder.add_preset("fast", record, 3)
    assert builder.schema["presets"] == {"fast": {"n": 3}}


def test_match_a_preset_on_a_field_without_model_is_an_error_leaving_nothing_half_added() -> None:
    builder = SchemaBuilder()
    with pytest.raises(PresetError):
        builder.add_field(label("Head"), fast=1)
    assert builder.schema == {"fields": [], "presets": {}}


@pytest.mark.parametrize("order", [("a", "a.b"), ("a.b", "a")])
def test_match_presets_for_a_and_a_b_in_one_preset_are_an_error_naming_both(
    order: tuple[str, str],
) -> None:
    builder = SchemaBuilder()
    builder.add_field(number_input("A", "a", 1))
    builder.add_field(number_input("B", "a.b", 1))
    builder.add_preset("p", order[0], 1)
    with pytest.raises(TypeError, match=r"'a'.*'a\.b'|'a\.b'.*'a'"):
        builder.add_preset("p", order[1], 2)


def test_defect_the_namespace_goes_inside_each_preset() -> None:
    builder = SchemaBuilder(namespace="model.backbone")
    builder.add_field(number_input("W", "width", 1), fast=2)
    builder.add_field(label("Head", tag="head"))
    assert builder.schema["presets"] == {"fast": {"model": {"backbone": {"width": 2}}}}
    assert [f.get("model", f.get("tag")) for f in builder.schema["fields"]] == [
        "model.backbone.width", "model.backbone.head"]  # fmt: skip


def test_match_a_label_without_model_or_tag_under_a_namespace_is_an_error() -> None:
    builder = SchemaBuilder(namespace="ns").add_field(label("Head"))
    with pytest.raises(SchemaError, match="neither a model nor a tag"):
        _ = builder.schema


def test_defect_appended_builder_presets_are_merged_into_the_outer_presets() -> None:
    inner = SchemaBuilder(namespace="aug").add_field(checkbox("Flip", "flip", True), fast=False)
    outer = SchemaBuilder().add_field(number_input("E", "epochs", 10), fast=1)
    outer.append(inner)
    assert outer.schema["presets"] == {"fast": {"epochs": 1, "aug": {"flip": False}}}
    assert inner.schema["presets"] == {"fast": {"aug": {"flip": False}}}


def test_match_plus_mutates_and_returns_the_left_builder_and_refuses_others() -> None:
    a = SchemaBuilder().add_field(number_input("A", "a", 1))
    b = SchemaBuilder().add_field(number_input("B", "b", 1))
    assert (a + b) is a and len(a.fields) == 2 and len(b.fields) == 1
    with pytest.raises(TypeError):
        _ = a + 3
    with pytest.raises(TypeError):
        _ = a + {"fields": []}


def test_match_from_schema_gives_the_document_back_and_defect_it_is_not_mutated() -> None:
    document = {"fields": [number_input("A", "a", 1)], "presets": {"p": {"a": 2}}}
    snapshot = json.dumps(document)
    builder = SchemaBuilder.from_schema(document)
    assert builder.schema == document
    builder.add_field(number_input("B", "b", 1), p=3)
    assert json.dumps(document) == snapshot
    assert builder.advanced is True and builder.namespace is None  # not restored


# -- apply_schema_to_model ---------------------------------------------------------------


def _doc(*records: Record) -> dict[str, Any]:
    return {"fields": list(records), "presets": {}}


def test_match_model_or_new_dict_and_a_non_empty_model_is_filled_in_place() -> None:
    document = _doc(number_input("N", "n", 3))
    for empty in (None, {}):
        assert apply_schema_to_model(document, empty) == {"n": 3}
    assert apply_schema_to_model(document) == {"n": 3}
    given = {"other": 1}
    assert apply_schema_to_model(document, given) is given and given == {"other": 1, "n": 3}
    builder = SchemaBuilder(namespace="ns").add_field(number_input("N", "n", 3))
    assert apply_schema_to_model(builder) == {"ns": {"n": 3}}


def test_match_labels_and_fields_without_type_are_skipped() -> None:
    document = _doc({"type": "label", "label": "L", "model": "l", "default": 1},
                    {"model": "x", "default": 2})  # fmt: skip
    assert apply_schema_to_model(document, {}) == {}


def test_match_a_missing_value_gets_the_default_converted_like_a_given_one() -> None:
    document = _doc(number_input("N", "n", "5"), text_area("J", "j", '{"a": 1}', json=True),
                    checkbox("C", "c", 1))  # fmt: skip
    assert apply_schema_to_model(document, {}) == {"n": 5, "j": {"a": 1}, "c": True}


@pytest.mark.parametrize(
    ("given", "expected"),
    [(" 7 ", 7), ("1_000", 1000), ("1e-3", 0.001), ("1.0", 1.0), (3, 3), (2.5, 2.5),
     (True, True), (None, None)],
)  # fmt: skip
def test_match_numbers_int_else_float_natives_pass(given: Any, expected: Any) -> None:
    result = apply_schema_to_model(_doc(number_input("N", "n", 0)), {"n": given})["n"]
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("given", ["", "12abc"])
def test_match_numbers_empty_or_junk_text_is_a_value_error(given: str) -> None:
    with pytest.raises(ValueError, match="expected a number"):
        apply_schema_to_model(_doc(number_input("N", "n", 0)), {"n": given})


def test_match_is_json_fields_decode_text_empty_is_none_parsed_passes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = {**text_input("Key", "key", "", json=True), "inputType": "password"}
    document = _doc(field_classes(), secret)
    assert apply_schema_to_model(document, {"classes": ""})["classes"] is None
    assert apply_schema_to_model(document, {"classes": '["a"]'})["classes"] == ["a"]
    assert apply_schema_to_model(document, {"classes": ["b"]})["classes"] == ["b"]
    truthy = _doc({**text_area("T", "t", ""), "isJson": 1})  # "tested by truthiness"
    assert apply_schema_to_model(truthy, {"t": "[1]"}) == {"t": [1]}
    with caplog.at_level(logging.ERROR, "brevetti_schema.compat"), pytest.raises(ValueError):
        apply_schema_to_model(document, {"classes": "[oops"})
    assert "Failed parsing JSON string: [oops" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.ERROR, "brevetti_schema.compat"), pytest.raises(ValueError):
        apply_schema_to_model(document, {"key": "hunter2{"})
    assert "hunter2" not in caplog.text and "Failed parsing JSON string" in caplog.text


def test_match_text_areas_selects_checklists_and_unknown_types_are_not_converted() -> None:
    document = _doc(text_area("T", "t", ""), select("S", "s", "2", ["1", "2"]),
                    checklist("C", "c", [], ["a"]), {"type": "slider", "model": "x", "default": 1})  # fmt: skip
    given = {"t": 5, "s": "2", "c": "a", "x": "9"}
    assert apply_schema_to_model(document, dict(given)) == given


@pytest.mark.parametrize(
    ("given", "expected"),
    [("false", False), ("0", False), ("no", False), ("", False), ("False", False),
     ("true", True), ("yes", True), (1, True), (0, False), (True, True)],
)  # fmt: skip
def test_defect_checkboxes_false_0_no_and_empty_are_unchecked(given: Any, expected: bool) -> None:
    assert apply_schema_to_model(_doc(checkbox("C", "c", False)), {"c": given})["c"] is expected


def test_defect_a_checkbox_is_a_boolean_even_marked_is_json() -> None:
    """Rule: "Checkboxes are converted with `bool()`" (brevettiai's checkbox never
    parsed JSON, whatever its ``isJson``), corrected: ``"false"`` is unchecked."""
    document = _doc({**checkbox("C", "c", False), "isJson": True})
    assert apply_schema_to_model(document, {"c": "false"}) == {"c": False}
    assert apply_schema_to_model(document, {"c": "yes"}) == {"c": True}
    assert parse_settings_args(document, ["--c", "no"]) == {"c": False}


def test_defect_text_inputs_keep_none_and_refuse_non_text() -> None:
    document = _doc(text_input("T", "t", "x"))
    assert apply_schema_to_model(document, {"t": None})["t"] is None
    for bad in (5, ["a"]):
        with pytest.raises(SettingsError, match="expected text"):
            apply_schema_to_model(document, {"t": bad})


def test_match_required_counts_only_absent_keys_and_the_message_is_brevettiais() -> None:
    document = _doc(text_input("A", "a", "", required=True), number_input("B", "x.b", 1, required=True),
                    checkbox("C", "c", False, required=True))  # fmt: skip
    assert apply_schema_to_model(document, {"a": "", "x": {"b": None}, "c": False})
    given: dict[str, Any] = {"c": False}
    with pytest.raises(AssertionError) as info:
        apply_schema_to_model(document, given)
    assert str(info.value) == "Missing settings: \n ['a', 'x.b']"
    assert isinstance(info.value, SettingsError) and isinstance(info.value, MissingSettingsError)
    assert [p.path for p in info.value.problems] == ["a", "x.b"]
    assert given == {"c": False, "a": "", "x": {"b": 1}}  # every default written first
    assert apply_schema_to_model(document, {}, check_required_fields=False)["x"] == {"b": 1}


def test_match_missing_required_settings_are_checked_under_python_o(tmp_path: Path) -> None:
    """Rule: `required` ... "raise an error class that is both our `SettingsError` and an
    `AssertionError` (so ... `python -O` cannot remove the check)"."""
    import subprocess
    import sys

    code = (
        "from brevetti_schema.compat import apply_schema_to_model, text_input\n"
        "doc = {'fields': [text_input('A', 'a', '', required=True)], 'presets': {}}\n"
        "try:\n"
        "    apply_schema_to_model(doc, {})\n"
        "except AssertionError as exc:\n"
        "    import json; print(json.dumps([type(exc).__name__, str(exc)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, check=True,
        timeout=60, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert json.loads(done.stdout) == ["MissingSettingsError", "Missing settings: \n ['a']"]


def test_defect_a_missing_field_without_default_is_left_unset() -> None:
    assert (
        apply_schema_to_model(_doc({"type": "input", "inputType": "text", "model": "t"}), {}) == {}
    )


def test_match_a_dotted_model_through_a_non_dict_is_an_error_naming_the_path() -> None:
    with pytest.raises(SettingsError, match="'a' is not a mapping") as info:
        apply_schema_to_model(_doc(number_input("B", "a.b", 1)), {"a": 5})
    assert info.value.problems[0].path == "a.b"


def test_defect_two_fields_with_one_model_are_a_schema_error() -> None:
    document = _doc(number_input("A", "a", 1), text_input("A again", "a", "x"))
    with pytest.raises(SchemaError, match="more than one field has this model"):
        apply_schema_to_model(document, {"a": "7"})


# -- the other helpers -------------------------------------------------------------------


class _Inner(VueSettingsModule):
    def __init__(self, flip: bool = True) -> None:
        self.flip = flip


class _Settings(VueSettingsModule):
    def __init__(
        self, epochs: int = 3, name: str = "n", sizes: list[int] | None = None,
        inner: _Inner | None = None,
    ) -> None:  # fmt: skip
        self.epochs, self.name, self.sizes = epochs, name, sizes or [2, 1]
        self.inner = inner or _Inner()


class _WithMapping(VueSettingsModule):
    def __init__(self, weights: dict[str, int] | None = None) -> None:
        self.weights = weights or {"z": 1, "a": 2}


def test_vue_settings_module_to_settings_dumps_mappings_indented_with_sorted_keys() -> None:
    """Reference: `to_settings` "dumps dict/list/tuple values with `indent=2,
    sort_keys=True`"."""
    assert _WithMapping().get_settings() == {"weights": '{\n  "a": 2,\n  "z": 1\n}'}
    assert _WithMapping.to_settings({"weights": (3, 1)}) == {"weights": "[\n  3,\n  1\n]"}


def test_vue_settings_module_builds_its_schema_and_dumps_settings() -> None:
    Settings = _Settings
    document = Settings.get_schema().schema
    assert [f.get("model", f.get("tag")) for f in document["fields"]] == [
        "epochs", "name", "sizes", "inner", "inner.flip"]  # fmt: skip
    assert document["fields"][2]["isJson"] is True
    settings = Settings(sizes=[3, 1]).get_settings()
    assert settings is not None and settings["sizes"] == "[\n  3,\n  1\n]"
    assert settings["inner"] == {"flip": True}
    again = Settings.from_settings({"epochs": "7", "sizes": "[5]", "inner": {"flip": "false"}})
    assert (again.epochs, again.sizes, again.inner.flip) == (7, [5], False)


def test_schema_builder_func_adds_a_namespaced_section() -> None:
    class Augment(SchemaBuilderFunc):
        label = "Augmentation"
        ns = "aug"

        def schema(self, builder: SchemaBuilder, ns: str, *args: Any, **kwargs: Any) -> Any:
            builder.add_field(checkbox("Flip", f"{ns}flip", True))
            return builder

    outer = SchemaBuilder().append(Augment())
    assert [f.get("model", f.get("label")) for f in outer.schema["fields"]] == [
        "Augmentation", "aug.flip"]  # fmt: skip
    assert outer.schema["fields"][1]["visible"] is True  # advanced = False by default


def test_update_schema_writes_settings_back_as_required_defaults() -> None:
    document = _doc(label("Data"), field_classes(), label("Train"),
                    number_input("E", "train.epochs", 1, visible=False), label("End"))  # fmt: skip
    settings = SimpleNamespace(classes=["a"], train=SimpleNamespace(epochs=9), other=1)
    updated = update_schema(document, settings, field_values={"train": {"readonly": True}})
    fields = updated["fields"]
    assert fields[1]["default"] == '["a"]' and fields[1]["required"] is True
    assert fields[3]["default"] == 9 and fields[3]["readonly"] is True
    assert [f.get("visible") for f in fields if f["type"] == "label"] == [None, False, False]
    assert update_schema(_doc(field_classes()), {"classes": ["x"]}, ignore=["classes"])[
        "fields"][0]["default"] == ""  # fmt: skip


def test_update_schema_dumps_only_where_is_json_is_true() -> None:
    """Reference: `update_schema` "tests `field.get("isJson") is True`": a truthy
    ``isJson`` that is not ``True`` keeps the value as it is."""
    truthy = {**text_area("T", "t", ""), "isJson": 1}
    fields = update_schema(_doc(truthy, field_classes()), {"t": [1], "classes": [2]})["fields"]
    assert fields[0]["default"] == [1] and fields[1]["default"] == "[2]"


def test_parse_settings_args_converts_by_field_and_skips_a_duplicate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = _doc(number_input("E", "train.epochs", 1), checkbox("F", "flip", True),
                    field_classes(), text_input("N", "name", ""), text_input("N2", "name", ""))  # fmt: skip
    with caplog.at_level(logging.INFO, "brevetti_schema.compat"):
        settings = parse_settings_args(document, ["--train.epochs", "5", "--flip", "no",
                                                  "--classes", '["a"]', "--name", "7", "--x", "1"])  # fmt: skip
    assert settings == {"train": {"epochs": 5}, "flip": False, "classes": ["a"], "name": "7"}
    assert "--name" in caplog.text


def test_filter_fields_includes_excludes_and_makes_visible() -> None:
    builder = SchemaBuilder()
    for model in ("a", "b", "c.x"):
        builder.add_field(number_input(model, model, 1))
    builder.filter_fields(incl_fields=["c.x", "a"])
    assert [f["model"] for f in builder.fields] == ["c.x", "a"]
    builder.filter_fields(excl_fields=["c."], make_visible=["a"])
    assert [(f["model"], f["visible"]) for f in builder.fields] == [("a", True)]


def test_generate_application_schema_writes_the_file_and_the_manifest(tmp_path: Path) -> None:
    builder = SchemaBuilder().add_field(number_input("A", "a", 1))
    target = tmp_path / "model" / "settings-schema.json"
    manifest = tmp_path / "MANIFEST.in"
    for _ in range(2):
        generate_application_schema(builder, target, manifest_path=manifest)
    assert json.loads(target.read_text()) == builder.schema
    assert target.read_text() == json.dumps(builder.schema, indent=2, sort_keys=True)
    assert manifest.read_text().count("settings-schema.json") == 1


def test_from_pydantic_model_reads_fields_enums_optionals_and_nested_models() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Color(enum.Enum):
        RED = "red"
        BLUE = "blue"

    class Inner(pydantic.BaseModel):
        depth: int = 2

    class Settings(pydantic.BaseModel):
        rate: float = pydantic.Field(0.1, gt=0, le=1, description="step size")
        epochs: int = pydantic.Field(3, json_schema_extra={"advanced": False})
        seed: int | None = None
        color: Color = Color.RED
        tags: list[Color] = pydantic.Field(default_factory=list)
        inner: Inner = Inner()
        secret: str = pydantic.Field("x", json_schema_extra={"vue": {"exclude": True}})
        hidden: str = pydantic.Field("y", json_schema_extra={"vue": SchemaConfig(exclude=True)})

    fields = {
        f.get("model", f.get("tag")): f for f in from_pydantic_model(Settings).schema["fields"]
    }
    assert set(fields) == {"rate", "epochs", "seed", "color", "tags", "inner", "inner.depth"}
    rate = fields["rate"]
    assert (rate["step"], rate["min"], rate["max"]) == (0.1, 0, 1)  # gt=0: see below
    assert rate["help"] == "step size" and rate["visible"] is False
    assert fields["epochs"]["visible"] is True and fields["epochs"]["step"] == 1
    assert fields["seed"]["default"] is None  # not 0
    assert fields["color"]["values"] == ["red", "blue"] and fields["color"]["default"] == "red"
    assert fields["tags"]["type"] == "checklist"
    assert fields["inner"]["type"] == "label"
    assert build_from_pydantic_schema({"properties": {}}, {}).schema == {
        "fields": [],
        "presets": {},
    }
    assert SchemaConfig().exclude is False


def test_from_pydantic_model_gives_gt_and_lt_as_min_and_max_and_adds_no_key() -> None:
    """The reference: "Our emitter may add keys that vue-form-generator needs (`validator`,
    `listBox`); nothing else may differ", so no ``exclusiveMinimum``/``exclusiveMaximum``.
    An integer's ``gt=n``/``lt=n`` are exactly ``min=n+1``/``max=n-1``; a float's are the
    inclusive ``min=n``/``max=n`` (the job's pydantic class still refuses ``n``, see
    tests/job/test_compat_job.py); with ``ge``/``le`` as well the tighter bound is kept."""
    pydantic = pytest.importorskip("pydantic")

    class Bounds(pydantic.BaseModel):
        epochs: int = pydantic.Field(10, gt=0, lt=1000)
        batch: int = pydantic.Field(8, gt=2, ge=4, lt=64)
        rate: float = pydantic.Field(0.1, gt=0, le=1)
        momentum: float = pydantic.Field(0.9, ge=0, lt=1)
        seed: int | None = pydantic.Field(None, gt=-1)
        free: float = 2.5

    def number(model: str, default: Any, low: Any, high: Any, step: float) -> dict[str, Any]:
        return {
            "type": "input", "inputType": "number", "min": low, "max": high, "step": step,
            "label": model.title(), "model": model, "default": default, "required": False,
            "visible": False,
        }  # fmt: skip

    assert from_pydantic_model(Bounds).schema == {
        "fields": [
            number("epochs", 10, 1, 999, 1),
            number("batch", 8, 4, 63, 1),
            number("rate", 0.1, 0, 1, 0.1),
            number("momentum", 0.9, 0, 1, 0.1),
            number("seed", None, 0, None, 1),
            number("free", 2.5, None, None, 0.1),
        ],
        "presets": {},
    }


@given(
    low=st.one_of(st.none(), st.integers(-50, 50), st.floats(-50, 50)),
    high=st.one_of(st.none(), st.integers(-50, 50), st.floats(-50, 50)),
)
def test_an_integers_exclusive_bounds_become_exactly_the_same_inclusive_ones(
    low: float | None, high: float | None
) -> None:
    """Every integer the form's ``min``/``max`` admit is one ``gt``/``lt`` admit, and back."""
    prop: dict[str, Any] = {"type": "integer", "default": 0}
    if low is not None:
        prop["exclusiveMinimum"] = low
    if high is not None:
        prop["exclusiveMaximum"] = high
    (record,) = build_from_pydantic_schema({"properties": {"n": prop}}, {}).schema["fields"]
    assert not {"exclusiveMinimum", "exclusiveMaximum"} & set(record)
    for k in range(-60, 61):
        exclusive = (low is None or k > low) and (high is None or k < high)
        inclusive = (record["min"] is None or k >= record["min"]) and (
            record["max"] is None or k <= record["max"]
        )
        assert inclusive == exclusive, (k, low, high, record["min"], record["max"])


def _parts() -> tuple[SchemaBuilder, SchemaBuilder]:
    main = SchemaBuilder(advanced=False)
    main.add_field(number_input("Epochs", "epochs", 10), fast=1)
    aug = SchemaBuilder(namespace="aug", advanced=False)
    aug.add_field(checkbox("Flip", "flip", True), fast=False, strong=True)
    return main, aug


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
    assert rate.maximum == 1
    channels = schema.find("training.channels")
    assert isinstance(channels, Field)
    assert channels.option_values() == ("1", "3")  # a select over numbers sends text
    assert channels.default == "3"
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


class _Augmenter:
    """A module object as brevettiai's builders hold them: `from_config` makes one."""

    def __init__(self, flip: bool) -> None:
        self.flip = flip

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> _Augmenter:
        return cls(**config)


def test_load_modules_replaces_each_namespace_by_its_module() -> None:
    builder = SchemaBuilder(modules={"train.aug": _Augmenter})
    settings = SimpleNamespace(train=SimpleNamespace(aug=SimpleNamespace(flip=True)))
    loaded = builder.load_modules(settings)
    assert isinstance(loaded.train.aug, _Augmenter) and loaded.train.aug.flip is True
    tree = builder.load_modules({"train": {"aug": {"flip": False}}})
    assert tree["train"]["aug"].flip is False
    merged = SchemaBuilder().append(builder)
    assert merged.modules == {"train.aug": _Augmenter}


def test_compat_imports_no_pydantic_until_a_pydantic_class_is_given() -> None:
    import subprocess
    import sys

    code = (
        "import sys, brevetti_schema.compat as c\n"
        "c.SchemaBuilder().add_field(c.number_input('A', 'a', 1))\n"
        "print(sorted(m for m in ('pydantic', 'jsonschema') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
