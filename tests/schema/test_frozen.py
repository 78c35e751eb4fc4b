"""Read-only settings values that are still a dict and a list (issue 11, item 4): JSON,
YAML and libraries that expect a `dict` take a class mapping and a JSON value as they
are, each one and the whole settings object's unstructured form."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import (
    FrozenDict,
    FrozenList,
    SchemaBuilder,
    freeze,
    generate_source,
    resolve_settings,
    structure,
    unstructure,
)


def _settings() -> Any:
    b = SchemaBuilder()
    b.class_mapping("class_mapping", default={"good": "ok", "dents": ["bad", "worse"]})
    b.json("config", default={"layers": [1, 2], "head": {"dropout": 0.1}})
    b.list("sizes", of="integer", default=[224, 224])
    with b.section("data") as data:
        data.class_mapping("mapping", default={"a": "x"})
    return resolve_settings(b.build(), {}, structure=True).settings


def test_each_value_is_a_dict_or_list_that_json_and_yaml_take() -> None:
    settings = _settings()
    for value in (settings.class_mapping, settings.config, settings.data.mapping):
        assert isinstance(value, dict)
        assert json.loads(json.dumps(value)) == value
        assert yaml.safe_load(yaml.safe_dump(value)) == value
        assert yaml.safe_load(yaml.dump(value)) == value  # no python/object tags
    dents = settings.class_mapping["dents"]
    assert isinstance(dents, list) and dents == ["bad", "worse"]
    assert yaml.safe_dump(dents) == "- bad\n- worse\n"


def test_the_unstructured_settings_go_to_json_and_yaml() -> None:
    settings = _settings()
    tree = unstructure(settings)
    assert type(tree["class_mapping"]) is dict and type(tree["class_mapping"]["dents"]) is list
    assert json.loads(json.dumps(tree)) == tree
    assert yaml.safe_load(yaml.safe_dump(tree)) == tree
    assert structure(type(settings), tree) == settings


def test_a_list_setting_is_a_frozen_list_json_and_yaml_take() -> None:
    """Lists, multi-choices and classes are `FrozenList`s: in the live classes (the
    validator's build and `structure`), and in the generated source's annotations."""
    b = SchemaBuilder().list("sizes", of="number", default=[224, 0.5])
    b.multi_choice("metrics", options=["acc", "f1"], default=["f1"]).classes("names")
    schema = b.build()
    resolved = resolve_settings(schema, {"names": ["good", "bad"]})
    for settings in (resolved.settings, structure(schema, resolved.tree)):
        assert settings.sizes == [224.0, 0.5] and type(settings.sizes[0]) is float
        for value in (settings.sizes, settings.metrics, settings.names):
            assert type(value) is FrozenList and isinstance(value, list)
            assert json.loads(json.dumps(value)) == value
            assert yaml.safe_load(yaml.safe_dump(value)) == value
            with pytest.raises(TypeError, match="read-only"):
                value.append(1)
            with pytest.raises(TypeError, match="read-only"):
                value[0] = 1
        assert yaml.safe_dump(settings.sizes) == "- 224.0\n- 0.5\n"
        assert hash(settings) == hash(resolve_settings(schema, {"names": ["good", "bad"]}).settings)
    source = generate_source(schema)
    assert "sizes: FrozenList[float] = attrs.field(default=FrozenList([224.0, 0.5]))" in source
    assert "from brevetti_schema import FrozenList" in source and "tuple" not in source


def test_a_class_mapping_cannot_change() -> None:
    mapping = _settings().class_mapping
    changes = [
        lambda: mapping.__setitem__("new", "x"),
        lambda: mapping.__delitem__("good"),
        lambda: mapping.update(new="x"),
        lambda: mapping.setdefault("new", "x"),
        lambda: mapping.pop("good"),
        lambda: mapping.popitem(),
        lambda: mapping.clear(),
        lambda: mapping["dents"].append("x"),
        lambda: mapping["dents"].sort(),
        lambda: mapping["dents"].__setitem__(0, "x"),
    ]
    for change in changes:
        with pytest.raises(TypeError, match="read-only"):
            change()
    with pytest.raises(TypeError, match="read-only"):
        mapping |= {"new": "x"}
    with pytest.raises(TypeError, match="read-only"):
        mapping["dents"] += ["x"]
    assert mapping == {"good": "ok", "dents": ["bad", "worse"]}
    assert dict(mapping) | {"new": "x"} == {"good": "ok", "dents": ["bad", "worse"], "new": "x"}


def test_they_hash_pickle_and_copy_as_values() -> None:
    value = freeze({"a": [1, {"b": (2, 3)}], "c": "x"})
    assert isinstance(value, FrozenDict) and isinstance(value["a"], FrozenList)
    assert isinstance(value["a"][1]["b"], FrozenList)
    assert hash(value) == hash(freeze({"c": "x", "a": [1, {"b": [2, 3]}]}))
    again = pickle.loads(pickle.dumps(value))
    assert again == value and type(again) is FrozenDict and type(again["a"]) is FrozenList
    assert copy.copy(value) is value and copy.deepcopy(value) is value
    assert freeze(value) is value and freeze(3) == 3
    assert FrozenDict.__module__ == "brevetti_schema" and repr(value) == str(dict(value))
    assert hash(_settings().data) == hash(_settings().data)  # a section of class mappings


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(_JSON)
def test_frozen_data_dumps_as_the_data_does(data: Any) -> None:
    frozen = freeze(data)
    assert frozen == data
    assert json.dumps(frozen, sort_keys=True) == json.dumps(data, sort_keys=True)
    assert yaml.safe_dump(frozen) == yaml.safe_dump(data)


def _run(code: str, cwd: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd
    ).stdout


def test_yaml_learns_the_types_when_it_is_imported_after_them(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from brevetti_schema import freeze\n"
        "value = freeze({'a': [1, 2]})\n"
        "assert 'yaml' not in sys.modules, 'freezing must not load PyYAML'\n"
        "import yaml\n"
        "print(yaml.safe_dump(value), end='')\n"
    )
    assert _run(code, tmp_path) == "a:\n- 1\n- 2\n"


def test_yaml_imported_first_learns_the_types_too(tmp_path: Path) -> None:
    code = (
        "import yaml\n"
        "from brevetti_schema import FrozenList\n"
        "print(yaml.safe_dump(FrozenList(['x'])), end='')\n"
    )
    assert _run(code, tmp_path) == "- x\n"
