"""The defaults back end: the defaults tree, presets on top, and the commented YAML file."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
import yaml
from hypothesis import given

from brevetti_schema import Field, Kind, Schema, SchemaBuilder, SchemaError, Section, equals
from brevetti_schema._emit.defaults import (
    active_settings,
    defaults,
    dump_defaults_yaml,
    preset_settings,
)
from tests.strategies import schemas


def _example() -> Schema:
    b = SchemaBuilder(title="Image classification")
    b.integer("epochs", default=10, min=1, max=1000, unit="epochs", help="Passes over the data.")
    b.choice("arch", options={"resnet": "ResNet", "vgg": "VGG"}, default="resnet")
    b.text("run_name", required=True, help="Shown on the model page.")
    b.heading("Data", help="Where the images come from.")
    with b.section("model", help="The network.") as model:
        model.integer("depth", default=50, visible_when=equals("arch", "resnet"))
        model.boolean("pretrained", default=True, visible_when=equals("model.depth", 50))
        model.list("sizes", of="integer", default=[224, 224], min=32)
    with b.section("vgg", visible_when=equals("arch", "vgg")) as vgg:
        vgg.integer("layers")
    b.classes(default=["cat", "dog"])
    b.class_mapping(default={"cats": "cat", "all": ["cat", "dog"]})
    b.json("extra", default={"a": {"b": 1}})
    b.preset("fast", {"epochs": 2, "arch": "vgg", "extra": {"c": 2}, "model": {"sizes": [64]}})
    b.preset("deep", {"model": {"depth": 101}})
    return b.build()


EXPECTED = {
    "epochs": 10,
    "arch": "resnet",
    "model": {"depth": 50, "pretrained": True, "sizes": [224, 224]},
    "vgg": {},
    "classes": ["cat", "dog"],
    "class_mapping": {"cats": "cat", "all": ["cat", "dog"]},
    "extra": {"a": {"b": 1}},
}


def test_defaults_tree() -> None:
    assert defaults(_example()) == EXPECTED


def test_defaults_are_deep_copies() -> None:
    schema = _example()
    first = defaults(schema)
    first["model"]["sizes"].append(1)
    first["class_mapping"]["all"].append("bird")
    first["extra"]["a"]["b"] = 2
    assert defaults(schema) == EXPECTED


def test_tuples_become_lists() -> None:
    field = Field(Kind.CLASSES, "classes", "Classes", default=("a", "b"))
    assert defaults(Schema(children=(field,))) == {"classes": ["a", "b"]}


def test_active_only_follows_conditions_through_chains() -> None:
    schema = _example()
    assert defaults(schema, active_only=True) == {k: v for k, v in EXPECTED.items() if k != "vgg"}
    vgg = attrs.evolve(schema, children=_with_default(schema.children, "arch", "vgg"))
    # depth is inactive, so pretrained (which tests depth) is inactive too
    assert defaults(vgg, active_only=True)["model"] == {"sizes": [224, 224]}
    assert defaults(vgg, active_only=True)["vgg"] == {}


def _with_default(nodes: tuple[Any, ...], key: str, value: Any) -> tuple[Any, ...]:
    return tuple(
        attrs.evolve(n, default=value) if isinstance(n, Field) and n.key == key else n
        for n in nodes
    )


def test_active_settings_reads_given_values_and_keeps_unknown_keys() -> None:
    schema = _example()
    tree = {"arch": "resnet", "model": {"depth": 18, "pretrained": True}, "other": 1}
    assert active_settings(schema, tree) == {"arch": "resnet", "model": {"depth": 18}, "other": 1}


def test_presets_merge_into_defaults_and_replace_json_values() -> None:
    schema = _example()
    fast = preset_settings(schema, "fast")
    assert fast["epochs"] == 2
    assert fast["arch"] == "vgg"
    assert fast["extra"] == {"c": 2}  # a JSON value is replaced, not merged
    assert fast["model"] == {"depth": 50, "pretrained": True, "sizes": [64]}
    assert preset_settings(schema, "fast", active_only=True)["model"] == {"sizes": [64]}
    assert preset_settings(schema, "deep", active_only=True)["model"] == {
        "depth": 101,
        "sizes": [224, 224],
    }
    assert defaults(schema) == EXPECTED


def test_an_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(SchemaError, match="unknown preset 'slow'; known presets: 'fast', 'deep'"):
        preset_settings(_example(), "slow")
    with pytest.raises(SchemaError, match="known presets: none"):
        preset_settings(Schema(), "x")


# -- the YAML file ---------------------------------------------------------------------------------


def test_yaml_round_trips_and_is_deterministic() -> None:
    text = dump_defaults_yaml(_example())
    assert yaml.safe_load(text) == EXPECTED
    assert text == dump_defaults_yaml(_example())
    assert text.endswith("\n")
    assert not text.endswith("\n\n")


def test_yaml_comments() -> None:
    text = dump_defaults_yaml(_example())
    assert text.startswith("# Image classification\n")
    assert (
        "\n# Epochs [epochs]\n# Passes over the data.\n# Allowed: >= 1, <= 1000\nepochs: 10\n"
        in text
    )
    assert "\n# Arch\n# One of: resnet (ResNet), vgg (VGG)\narch: resnet\n" in text
    assert (
        "\n# Run name (required)\n# Shown on the model page.\n# No default.\n# run_name:\n" in text
    )
    assert "\n# == Data ==\n# Where the images come from.\n" in text
    assert "\n# Model\n# The network.\nmodel:\n  # Depth\n  # Active when arch is resnet.\n" in text
    assert "  # Allowed: >= 32 (each item)\n  sizes:\n  - 224\n  - 224\n" in text
    assert (
        "\n# Vgg\n# Active when arch is vgg.\nvgg: {}\n  # Layers\n  # No default.\n  # layers:\n"
        in (text)
    )


def test_long_help_wraps_and_keeps_paragraphs() -> None:
    help_text = ("word " * 40).strip() + "\n\nSecond paragraph."
    schema = SchemaBuilder().integer("n", default=1, help=help_text).build()
    lines = dump_defaults_yaml(schema).splitlines()
    assert all(len(line) <= 88 for line in lines)
    start = lines.index("# N") + 1
    body = lines[start : lines.index("n: 1")]
    assert len(body) == 5
    assert body[-2:] == ["#", "# Second paragraph."]
    assert " ".join(b.removeprefix("# ") for b in body[:-2]) == ("word " * 40).strip()


def test_yaml_quotes_keys_and_values_that_would_read_differently() -> None:
    b = SchemaBuilder()
    b.text("yes", default="no")
    b.text("on", default="1.5")
    b.number("small", default=1e-05)
    b.text("note", default="two\nlines: with 'quotes' and # hash")
    b.class_mapping("map", default={"null": "true", "1": ["2"]})
    with b.section("off") as s:
        s.text("empty", default="")
    b.json("extra", default=[])
    schema = b.build()
    text = dump_defaults_yaml(schema)
    assert yaml.safe_load(text) == defaults(schema)
    assert "\n'yes': 'no'\n" in text


def test_a_document_of_commented_keys_only_is_an_empty_mapping() -> None:
    text = dump_defaults_yaml(SchemaBuilder().integer("n").build())
    assert text.endswith("\n{}\n\n# N\n# No default.\n# n:\n")
    assert yaml.safe_load(text) == {}


@given(schemas())
def test_any_schema_round_trips_through_yaml(schema: Schema) -> None:
    text = dump_defaults_yaml(schema)
    assert yaml.safe_load(text) == defaults(schema)
    commented = sum(1 for _, f in schema.fields() if not f.has_default)
    assert text.count("# No default.") == commented


@given(schemas())
def test_active_defaults_are_a_part_of_all_defaults(schema: Schema) -> None:
    assert _is_part(defaults(schema, active_only=True), defaults(schema), schema.children)


def _is_part(small: dict[str, Any], big: dict[str, Any], nodes: tuple[Any, ...]) -> bool:
    sections = {n.key: n for n in nodes if isinstance(n, Section)}
    for key, value in small.items():
        if key not in big:
            return False
        if key in sections:
            if not _is_part(value, big[key], sections[key].children):
                return False
        elif value != big[key]:
            return False
    return True
