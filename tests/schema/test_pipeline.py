"""The settings pipeline: decoding, presets, overrides, defaults, conditions, problems."""

from __future__ import annotations

import copy
import json
import logging
import pickle
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from brevetti_schema import (
    Schema,
    SchemaBuilder,
    Section,
    SettingsError,
    SettingsProblem,
    setting,
)
from brevetti_schema._settings.pipeline import resolve_settings


@attrs.frozen
class IntoTraining:
    epochs: int = setting(default=3, min=1)


@attrs.frozen
class IntoConfig:
    training: IntoTraining = setting(factory=IntoTraining)


def _schema() -> Schema:
    b = SchemaBuilder()
    b.integer("epochs", default=10, min=1, max=100, presets={"quick": 2})
    b.number("lr", default=0.01, exclusive_min=0)
    b.boolean("flip", default=True)
    b.choice("loss", options={"bce": "Binary CE", "mse": "Squared"}, default="bce")
    b.choice("size", options=[64, 128], default=64)
    b.list("shape", of="integer", default=[224, 224])
    b.classes(default=["ok", "bad"])
    b.class_mapping(default={})
    b.text("name", default="run")
    b.secret("token")
    with b.section("aug") as aug:
        aug.number("gamma", default=1.0, min=0.1, max=10)
        aug.choice("mode", options=["none", "blur"], default="none")
        aug.integer(
            "radius", default=3, min=1, visible_when={"field": "aug.mode", "equals": "blur"}
        )
        aug.text("kernel", required=True, visible_when={"field": "aug.mode", "equals": "blur"})
    return b.build()


def _tree(raw: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return resolve_settings(_schema(), raw, structure=False, **kw).tree


def _paths(raw: dict[str, Any] | None = None, **kw: Any) -> list[str]:
    with pytest.raises(SettingsError) as info:
        resolve_settings(_schema(), raw, structure=False, **kw)
    return [p.path for p in info.value.problems]


def test_defaults_fill_everything_active() -> None:
    assert _tree() == {
        "epochs": 10, "lr": 0.01, "flip": True, "loss": "bce", "size": 64,
        "shape": [224, 224], "classes": ["ok", "bad"], "class_mapping": {}, "name": "run",
        "token": None, "aug": {"gamma": 1.0, "mode": "none"},
    }  # fmt: skip


def test_platform_transport_is_decoded() -> None:
    raw = {
        "epochs": 5,
        "size": "128",
        "shape": "[32, 32]",
        "classes": '["a"]',
        "class_mapping": '{"f": "a"}',
        "aug": '{"gamma": 2.5}',
    }
    tree = _tree(raw)
    assert tree["size"] == 128 and tree["shape"] == [32, 32] and tree["classes"] == ["a"]
    assert tree["class_mapping"] == {"f": "a"} and tree["aug"]["gamma"] == 2.5


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("epochs", "3", 3),
        ("lr", "0.5", 0.5),
        ("lr", "1e-3", 0.001),
        ("flip", "false", False),
        ("flip", "1", True),
        ("flip", "YES", True),
        ("flip", "no", False),
        ("shape", "1,2", [1, 2]),
        ("shape", "[1, 2]", [1, 2]),
        ("classes", "a, b", ["a", "b"]),
        ("loss", "mse", "mse"),
        ("name", "", ""),
    ],
)
def test_strings_from_argv_decode_by_kind(path: str, text: str, expected: Any) -> None:
    tree = _tree(overrides=[f"{path}={text}"])
    assert tree[path] == expected


def test_empty_string_means_not_set() -> None:
    tree = _tree({"epochs": "", "shape": "", "aug": {"gamma": ""}})
    assert tree["epochs"] == 10 and tree["shape"] == [224, 224] and tree["aug"]["gamma"] == 1.0


def test_undecodable_values_are_problems_listed_together() -> None:
    with pytest.raises(SettingsError) as info:
        resolve_settings(
            _schema(),
            {"epochs": "ten", "flip": "maybe", "shape": "[1,", "lr": -1, "aug": {"gamma": 99}},
            structure=False,
        )
    problems = {p.path: p for p in info.value.problems}
    assert set(problems) == {"epochs", "flip", "shape", "lr", "aug.gamma"}
    assert problems["epochs"].message == "expected an integer, got 'ten'"
    assert problems["epochs"].label == "Epochs" and problems["epochs"].pointer == "/epochs"
    assert problems["flip"].value == "maybe"
    assert problems["aug.gamma"].message == "99 is above the maximum 10"
    assert problems["aug.gamma"].pointer == "/aug/gamma"
    assert problems["lr"].message == "-1 must be greater than 0"


def test_wrong_types_and_options_are_explained() -> None:
    with pytest.raises(SettingsError) as info:
        resolve_settings(
            _schema(), {"epochs": True, "loss": "l1", "classes": [1], "name": 3}, structure=False
        )
    messages = {p.path: p.message for p in info.value.problems}
    assert messages == {
        "epochs": "expected an integer, got True",
        "loss": "'l1' is not one of the options ('bce', 'mse')",
        "classes[0]": "expected text, got 1",
        "name": "expected text, got 3",
    }


def test_preset_then_overrides_win() -> None:
    assert _tree({"epochs": 50}, preset="quick")["epochs"] == 2
    assert _tree({"epochs": 50}, preset="quick", overrides={"epochs": 7})["epochs"] == 7
    assert _tree(overrides=["aug.gamma=3"])["aug"]["gamma"] == 3


def test_unknown_preset_and_override_are_problems_with_suggestions() -> None:
    with pytest.raises(SettingsError) as info:
        resolve_settings(_schema(), preset="quik", overrides=["aug.gama=1"], structure=False)
    messages = [p.message for p in info.value.problems]
    assert messages == [
        "unknown preset 'quik' (known: quick)",
        "override of an unknown setting; did you mean 'aug.gamma'?",
    ]


def test_unknown_keys_are_kept_aside_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="brevetti_schema"):
        result = resolve_settings(_schema(), {"epoch": 3, "aug": {"gama": 2}}, structure=False)
    assert result.unknown == {"epoch": 3, "aug.gama": 2}
    assert [w.message for w in result.warnings] == [
        "unknown setting; did you mean 'epochs'? (ignored)",
        "unknown setting; did you mean 'gamma'? (ignored)",
    ]
    assert "did you mean 'epochs'" in caplog.text
    assert "epoch" not in result.tree


def test_strict_mode_makes_unknown_keys_errors() -> None:
    assert _paths({"epoch": 3}, strict=True) == ["epoch"]


def test_inactive_fields_are_not_defaulted_nor_required() -> None:
    tree = _tree()
    assert "radius" not in tree["aug"] and "kernel" not in tree["aug"]


def test_active_conditional_fields_are_defaulted_and_required() -> None:
    assert _paths({"aug": {"mode": "blur"}}) == ["aug.kernel"]
    tree = _tree({"aug": {"mode": "blur", "kernel": "box"}})
    assert tree["aug"] == {"gamma": 1.0, "mode": "blur", "radius": 3, "kernel": "box"}


def test_values_of_inactive_fields_are_dropped_with_a_warning() -> None:
    result = resolve_settings(_schema(), {"aug": {"radius": 5}}, structure=False)
    assert "radius" not in result.tree["aug"]
    assert [(w.path, w.message) for w in result.warnings] == [
        ("aug.radius", "is not active under its visible_when condition (ignored)")
    ]


def test_secrets_never_appear_in_problems() -> None:
    b = SchemaBuilder().secret("token", min_length=40, pattern="^tok_")
    with pytest.raises(SettingsError) as info:
        resolve_settings(b.build(), {"token": "hunter2-very-secret"}, structure=False)
    text = str(info.value) + json.dumps(info.value.to_json()) + repr(info.value.problems)
    assert "hunter2" not in text
    assert {p.value for p in info.value.problems} == {"********"}


def test_error_renders_as_table_and_json() -> None:
    with pytest.raises(SettingsError) as info:
        resolve_settings(_schema(), {"epochs": 0, "loss": "x"}, structure=False)
    text = str(info.value)
    lines = text.splitlines()
    assert lines[0] == "2 problems with the settings:"
    assert lines[1].split() == ["setting", "label", "given", "problem"]
    assert "epochs" in lines[2] and "Epochs" in lines[2] and "below the minimum 1" in lines[2]
    data = info.value.to_json()
    assert data["problems"][0] == {
        "path": "epochs",
        "pointer": "/epochs",
        "loc": ["epochs"],
        "code": "below_minimum",
        "label": "Epochs",
        "message": "0 is below the minimum 1",
        "value": 0,
    }
    json.dumps(data)


def test_raw_settings_are_not_mutated() -> None:
    raw = {"epochs": "3", "aug": {"gamma": "2"}}
    before = json.dumps(raw)
    _tree(raw, overrides={"aug.mode": "blur", "aug.kernel": "k"})
    assert json.dumps(raw) == before


def test_a_section_given_as_a_scalar_is_a_problem() -> None:
    assert _paths({"aug": 5}) == ["aug"]


def test_an_unset_optional_text_survives_the_transport_form() -> None:
    from brevetti_schema import encode_settings

    schema = SchemaBuilder().text("note", min_length=1).build()
    first = resolve_settings(schema, {})
    assert first.tree == {"note": None}
    again = resolve_settings(schema, encode_settings(schema, first.tree))
    assert again.settings == first.settings


def test_formats_inside_a_json_fields_schema_are_checked() -> None:
    inner = {"type": "object", "properties": {"ip": {"type": "string", "format": "ipv4"}}}
    schema = SchemaBuilder().json("net", default={}, json_schema=inner).build()
    assert resolve_settings(schema, {"net": {"ip": "10.0.0.1"}}).tree["net"]["ip"] == "10.0.0.1"
    with pytest.raises(SettingsError) as info:
        resolve_settings(schema, {"net": {"ip": "not-an-ip"}})
    assert [(p.path, p.code) for p in info.value.problems] == [("net.ip", "json_schema")]
    assert "ipv4" in info.value.problems[0].message and info.value.problems[0].label == "Net"


def test_structure_into_a_class_of_ones_own() -> None:
    from brevetti_schema import schema_from_class

    schema = schema_from_class(IntoConfig)
    result = resolve_settings(schema, {"training": {"epochs": 5}}, into=IntoConfig)
    assert result.settings == IntoConfig(IntoTraining(5))
    assert isinstance(result.settings, IntoConfig)


def test_a_class_first_schema_changed_with_evolve_checks_its_class_again() -> None:
    """The declaring class is trusted for the schema it declares only: a schema evolved
    from it with a setting the class cannot hold is a SchemaError naming that setting."""
    from brevetti_schema import SchemaError, schema_from_class

    schema = schema_from_class(IntoConfig)
    assert schema.declared_by is IntoConfig
    training = schema.children[0]
    assert isinstance(training, Section)
    epochs = training.children[0]
    wider = attrs.evolve(
        schema,
        children=(attrs.evolve(training, children=(epochs, attrs.evolve(epochs, key="runs"))),),
    )
    assert wider.declared_by is None
    with pytest.raises(SchemaError) as info:
        resolve_settings(wider, {"training": {"epochs": 5, "runs": 2}}, into=IntoConfig)
    assert [p.path for p in info.value.problems] == ["training.runs"]
    result = resolve_settings(schema, {"training": {"epochs": 5}}, into=IntoConfig)
    assert result.settings == IntoConfig(IntoTraining(5))


def test_settings_files_are_read_as_yaml_1_2(tmp_path: Any) -> None:
    from brevetti_schema import load_settings_file

    path = tmp_path / "s.yaml"
    path.write_text("name: no\nwhen: 2024-01-31\nrate: 1e-3\n")
    assert load_settings_file(path) == {"name": "no", "when": "2024-01-31", "rate": 0.001}
    path.write_text("a: 1\na: 2\n")
    with pytest.raises(SettingsError) as info:
        load_settings_file(path)
    assert "s.yaml:2:" in info.value.problems[0].message
    path.write_text("- 1\n")
    with pytest.raises(SettingsError, match="mapping at the top level"):
        load_settings_file(path)


def test_list_items_are_checked_with_all_the_lists_number_rules() -> None:
    """Items of a list of numbers obey its multiple_of and exclusive bounds."""
    from brevetti_schema import Field, Kind

    schema = Schema(
        children=(
            Field(Kind.LIST, "sizes", "Sizes", item_kind=Kind.INTEGER, multiple_of=32),
            Field(Kind.LIST, "rates", "Rates", item_kind=Kind.NUMBER, exclusive_minimum=0),
        )
    )
    ok = resolve_settings(schema, {"sizes": [32, 64], "rates": [0.5]})
    assert ok.settings.sizes == [32, 64] and ok.settings.rates == [0.5]
    with pytest.raises(SettingsError) as info:
        resolve_settings(schema, {"sizes": [32, 50], "rates": [0.5, 0]})
    assert [p.path for p in info.value.problems] == ["sizes[1]", "rates[1]"]


def test_problems_have_a_location_tuple_and_a_stable_code() -> None:
    b = SchemaBuilder().list("sizes", of="integer", min=10, default=[10])
    with b.section("training") as training:
        training.integer("epochs", default=1, min=1)
    with pytest.raises(SettingsError) as info:
        resolve_settings(
            b.build(),
            {"sizes": [10, 5, "x"], "training": {"epochs": 0}, "a.b": 1},
            strict=True,
            structure=False,
        )
    found = {(p.loc, p.code, p.path, p.pointer) for p in info.value.problems}
    assert found == {
        (("sizes", 1), "below_minimum", "sizes[1]", "/sizes/1"),
        (("sizes", 2), "not_an_integer", "sizes[2]", "/sizes/2"),
        (("training", "epochs"), "below_minimum", "training.epochs", "/training/epochs"),
        (("a.b",), "unknown_key", "a.b", "/a.b"),
    }
    item = next(p for p in info.value.problems if p.loc == ("sizes", 1))
    assert item.label == "Sizes" and item.value == 5 and item.message == "5 is below the minimum 10"
    assert item.to_json()["loc"] == ["sizes", 1]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"epochs": "ten"}, "not_an_integer"),
        ({"flip": "maybe"}, "not_a_boolean"),
        ({"shape": "[1,"}, "invalid_json"),
        ({"loss": "l1"}, "not_an_option"),
        ({"aug": 3}, "not_a_section"),
        ({"aug": {"mode": "blur"}}, "required"),
        ({"lr": 0}, "not_above_exclusive_minimum"),
        ({"name": 3}, "not_text"),
    ],
)
def test_each_problem_kind_has_its_code(raw: dict[str, object], code: str) -> None:
    with pytest.raises(SettingsError) as info:
        resolve_settings(_schema(), raw, structure=False)
    assert [p.code for p in info.value.problems] == [code]


class _Counted(float):
    """A number that counts how often it is written out (its `repr`)."""

    written = 0

    def __repr__(self) -> str:
        _Counted.written += 1
        return float.__repr__(self)


def test_a_report_writes_its_messages_only_when_read() -> None:
    """The problems of a report keep what their messages need and write them when read:
    a program that matches codes pays for no wording."""
    _Counted.written = 0
    with pytest.raises(SettingsError) as info:
        resolve_settings(_schema(), {"epochs": 0, "lr": _Counted(-0.5)}, structure=False)
    problems = info.value.problems
    assert [p.code for p in problems] == ["below_minimum", "not_above_exclusive_minimum"]
    assert [p.loc for p in problems] == [("epochs",), ("lr",)]
    assert _Counted.written == 0
    assert problems[1].message == "-0.5 must be greater than 0"
    assert _Counted.written == 1
    assert str(problems[1]) == "lr (Lr): -0.5 must be greater than 0"
    assert _Counted.written == 1  # written once, then kept


_MISTAKES: dict[str, Any] = {
    "epochs": 0,
    "lr": -1,
    "loss": "l1",
    "size": [64],
    "shape": [1, "a", 2.5],
    "classes": 3,
    "class_mapping": {"a": 1},
    "name": 3,
    "flip": 2,
    "aug": {"gamma": 11, "mode": "blur", "radius": 10**400, "kernel": ["k"]},
}


def _report() -> tuple[SettingsProblem, ...]:
    with pytest.raises(SettingsError) as info:
        resolve_settings(_schema(), copy.deepcopy(_MISTAKES), structure=False)
    return info.value.problems


def _pickled(problem: SettingsProblem) -> SettingsProblem:
    clone: SettingsProblem = pickle.loads(pickle.dumps(problem))
    return clone


@pytest.mark.parametrize(
    "clone", [_pickled, copy.copy, copy.deepcopy, attrs.evolve], ids=lambda c: c.__name__
)
def test_a_message_reads_the_same_first_or_after_a_copy(
    clone: Callable[[SettingsProblem], SettingsProblem],
) -> None:
    """A message read at once, and one left unread until its problem was pickled or
    copied, read alike; the problems are equal (also to one made with its text), hash
    and show alike."""
    first = _report()
    texts = [p.message for p in first]
    assert len(texts) == 13 and all(isinstance(t, str) and t for t in texts)
    later = _report()
    clones = [clone(p) for p in later]  # before any message of `later` is read
    assert [c.message for c in clones] == texts
    assert clones == list(first) and list(later) == list(first)
    hashable = [i for i, p in enumerate(first) if not isinstance(p.value, list | dict)]
    assert [hash(clones[i]) for i in hashable] == [hash(first[i]) for i in hashable]
    assert [repr(c) for c in clones] == [repr(p) for p in first]
    assert [c.to_json() for c in clones] == [p.to_json() for p in first]
    unread = _report()
    written = [SettingsProblem(p.loc, p.code, p.label, p.message, p.value) for p in first]
    assert list(unread) == written
