"""Live settings classes: annotations, immutability, caching, secrets, (un)structuring."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
import typing
from collections.abc import Mapping
from typing import Any, Literal

import attrs
import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import (
    Field,
    FrozenDict,
    FrozenList,
    Kind,
    Schema,
    SchemaBuilder,
    Section,
    SettingsError,
)
from brevetti_schema._emit.classes.attrs_classes import settings_class
from brevetti_schema._emit.classes.conversion import structure, unstructure
from brevetti_schema._emit.classes.plan import plan_classes
from brevetti_schema._emit.classes.settings_types import METADATA_KEY
from brevetti_schema._kinds import REGISTRY
from brevetti_schema._kinds._transport import encode_value
from brevetti_schema._model.secret import MASK, Secret
from tests.strategies import schemas, settings_for


def _schema() -> Schema:
    b = SchemaBuilder(title="demo job")
    b.integer("epochs", default=10, min=1)
    b.number("lr", default=1)
    b.text("name")
    b.boolean("flip", default=True)
    b.choice("loss", options={"bce": "Binary", "mse": "Squared"}, default="bce")
    b.choice("size", options=[64, 128], default=64)
    b.choice("ratio", options=[1, 0.5], default=1)
    b.multi_choice("metrics", options=["acc", "f1"], default=["acc"])
    b.list("shape", of="integer", default=[224, 224])
    b.list("scales", of="number", default=[1, 2.5])
    b.json("extra", default={"a": [1]})
    b.classes(default=["ok", "bad"])
    b.class_mapping(default={"good": "ok", "scratch": ["bad", "worse"]})
    b.secret("token", default="hunter2")
    b.secret("api_key")
    with b.section("aug", visible_when={"field": "flip", "equals": True}, help="Augment") as a:
        a.text("kernel", required=True)
        a.integer("radius", default=3)
    with b.section("model") as m:
        m.text("arch", required=True)
    return b.build()


def _instance(schema: Schema | None = None, **extra: Any) -> Any:
    return structure(schema or _schema(), {"model": {"arch": "resnet"}, **extra})


def test_annotations_are_precise() -> None:
    cls = settings_class(_schema())
    hints = typing.get_type_hints(cls)
    aug, model = hints["aug"], hints["model"]
    assert hints == {
        "epochs": int,
        "lr": float,
        "name": str | None,
        "flip": bool,
        "loss": Literal["bce", "mse"],
        "size": Literal[64, 128],
        "ratio": int | float,
        "metrics": FrozenList[Literal["acc", "f1"]],
        "shape": FrozenList[int],
        "scales": FrozenList[float],
        "extra": dict[str, Any] | list[Any],
        "classes": FrozenList[str],
        "class_mapping": FrozenDict[str, str | FrozenList[str]],
        "token": Secret,
        "api_key": Secret | None,
        "aug": aug,
        "model": model,
    }
    # a field under a condition is None while inactive, so even a required one admits None
    assert typing.get_type_hints(aug) == {"kernel": str | None, "radius": int | None}
    assert typing.get_type_hints(model) == {"arch": str}
    assert (cls.__name__, aug.__name__, model.__name__) == ("DemoJob", "Aug", "Model")
    assert aug.__doc__ == "Augment"


def test_defaults_are_on_the_attributes_in_attribute_form() -> None:
    fields = attrs.fields_dict(settings_class(_schema()))
    assert fields["epochs"].default == 10
    assert fields["lr"].default == 1.0 and isinstance(fields["lr"].default, float)
    assert fields["name"].default is None
    assert fields["metrics"].default == ["acc"] and isinstance(
        fields["metrics"].default, FrozenList
    )
    assert fields["scales"].default == [1.0, 2.5]
    assert fields["class_mapping"].default == {"good": "ok", "scratch": ["bad", "worse"]}
    assert isinstance(fields["class_mapping"].default, FrozenDict)
    assert isinstance(fields["class_mapping"].default["scratch"], FrozenList)
    assert fields["token"].default == Secret("hunter2")
    assert fields["model"].default is attrs.NOTHING  # it holds a required field
    assert isinstance(fields["aug"].default, attrs.Factory)  # type: ignore[arg-type]


def test_instances_are_frozen_slotted_and_deeply_immutable() -> None:
    settings = _instance()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        settings.epochs = 3
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        settings.aug.radius = 3
    assert not hasattr(settings, "__dict__") and "__slots__" in type(settings).__dict__
    with pytest.raises(TypeError, match="read-only"):
        settings.class_mapping["new"] = "x"
    with pytest.raises(TypeError, match="read-only"):
        settings.class_mapping["scratch"].append("x")
    with pytest.raises(TypeError, match="read-only"):
        settings.shape.append(3)
    assert isinstance(settings.shape, FrozenList) and isinstance(settings.shape, list)
    assert isinstance(settings.class_mapping, dict)
    assert isinstance(settings.class_mapping["scratch"], list)


def test_json_defaults_are_not_shared_between_instances() -> None:
    first, second = _instance(), _instance()
    first.extra["a"].append(2)
    assert second.extra == {"a": [1]} and _instance().extra == {"a": [1]}


def test_the_class_is_cached_per_schema() -> None:
    schema = _schema()
    assert settings_class(schema) is settings_class(schema)
    assert settings_class(_schema()) is settings_class(schema)  # an equal model
    other = SchemaBuilder().integer("epochs", default=11).build()
    assert settings_class(other) is not settings_class(schema)


def test_structure_fills_defaults_and_keeps_given_values() -> None:
    settings = _instance(epochs=5, size=128, metrics=["f1", "acc"], class_mapping={"x": ["a"]})
    assert settings.epochs == 5 and settings.size == 128 and settings.lr == 1.0
    assert settings.metrics == ["f1", "acc"] and settings.class_mapping == {"x": ["a"]}
    # fields under a condition are None unless the tree holds them (the pipeline fills
    # their defaults only while they are active)
    assert settings.aug.radius is None and settings.aug.kernel is None
    assert _instance(aug={"radius": 3}).aug.radius == 3
    assert settings.token == Secret("hunter2") and settings.api_key is None


def test_none_for_a_field_with_a_default_means_not_set() -> None:
    assert _instance(epochs=None, name=None).epochs == 10
    assert _instance(name=None).name is None


def test_choices_keep_the_option_value() -> None:
    assert _instance(size=128.0).size == 128 and type(_instance(size=128.0).size) is int
    assert type(_instance(ratio=1).ratio) is int and _instance(ratio=0.5).ratio == 0.5


@pytest.mark.parametrize(
    "data",
    [
        {"epochs": "3"},
        {"epochs": 2.5},
        {"flip": "yes"},
        {"loss": "hinge"},
        {"shape": "224"},
        {"class_mapping": {"a": 3}},
        {"extra": "text"},
        {"token": 5},
        {"unknown": 1},
        {"model": {}},
    ],
)
def test_structure_rejects_what_the_pipeline_would(data: dict[str, Any]) -> None:
    with pytest.raises(SettingsError) as info:
        structure(_schema(), {"model": {"arch": "resnet"}, **data})
    assert isinstance(info.value.__cause__, cattrs.BaseValidationError)
    key = next(iter(data))
    (problem,) = info.value.problems
    assert problem.path == ("model.arch" if key == "model" else key)


def test_structure_reports_every_problem_by_key_path_without_values() -> None:
    data = {"epochs": "3", "learning": 1, "shape": [1, "x"], "token": 7, "model": {}}
    data["aug"] = {"radius": "r"}
    with pytest.raises(SettingsError) as info:
        structure(_schema(), data)
    found = {(p.path, p.pointer, p.label) for p in info.value.problems}
    assert found == {
        ("epochs", "/epochs", "Epochs"), ("learning", "/learning", ""),
        ("shape", "/shape", "Shape"), ("token", "/token", "Token"),
        ("model.arch", "/model/arch", "Arch"), ("aug.radius", "/aug/radius", "Radius"),
    }  # fmt: skip
    messages = {p.path: p.message for p in info.value.problems}
    assert messages["model.arch"] == "a value is required"
    assert messages["learning"] == "unknown setting" and "7" not in messages["token"]
    assert messages["shape"] == "item 1: expected an integer, got str"
    with pytest.raises(SettingsError, match="expected settings"):
        structure(_schema(), [])  # type: ignore[call-overload]


def test_renamed_keys_are_reported_by_key() -> None:
    schema = SchemaBuilder().integer("learning-rate", default=1).build()
    with pytest.raises(SettingsError) as info:
        structure(schema, {"learning-rate": "x"})
    assert [p.path for p in info.value.problems] == ["learning-rate"]


def test_unstructure_gives_plain_values_with_secrets_masked() -> None:
    settings = _instance()
    tree = unstructure(settings)
    assert tree["token"] == MASK and tree["api_key"] is None
    assert tree["metrics"] == ["acc"] and tree["class_mapping"]["scratch"] == ["bad", "worse"]
    assert type(tree["class_mapping"]) is dict and tree["aug"] == {"kernel": None, "radius": None}
    assert "hunter2" not in json.dumps(tree)
    assert unstructure(settings, reveal_secrets=True)["token"] == "hunter2"


def test_secrets_never_show_in_repr_str_or_format() -> None:
    settings = _instance()
    for text in (repr(settings), str(settings), f"{settings}", "%s" % (settings,)):  # noqa: UP031
        assert "hunter2" not in text and MASK in text
    with pytest.raises(TypeError):
        json.dumps(attrs.asdict(settings))  # refuses, rather than printing the secret


def test_transport_form_matches_the_platform_encoding() -> None:
    schema = _schema()
    settings = _instance(schema)
    tree = unstructure(settings, transport=True)
    plain = unstructure(settings)
    assert tree["shape"] == "[224, 224]" and tree["extra"] == '{"a": [1]}'
    assert tree["class_mapping"] == json.dumps(plain["class_mapping"], sort_keys=True)
    assert tree["epochs"] == 10 and tree["flip"] is True and tree["metrics"] == ["acc"]
    # an unset optional text travels as JSON null: "" would read back as empty text
    assert tree["name"] is None and tree["api_key"] is None and tree["aug"]["kernel"] is None
    assert tree["token"] == MASK
    assert unstructure(settings, transport=True, reveal_secrets=True)["token"] == "hunter2"
    for path, field in schema.fields():
        if REGISTRY[field.kind].ui_part(field).head.get("isJson") is True and "." not in path:
            assert json.loads(tree[path]) == plain[path]


def test_transport_of_a_nested_section_uses_its_own_fields() -> None:
    settings = _instance(aug={"kernel": "box", "radius": 3})
    assert unstructure(settings.aug, transport=True) == {"kernel": "box", "radius": 3}


def test_transport_needs_a_schema_for_foreign_classes() -> None:
    @attrs.frozen
    class Plain:
        shape: tuple[int, ...] = (1, 2)

    with pytest.raises(TypeError, match="schema"):
        unstructure(Plain(), transport=True)
    schema = SchemaBuilder().list("shape", of="integer").build()
    assert unstructure(Plain(), schema=schema, transport=True) == {"shape": "[1, 2]"}


def test_unsafe_keys_get_safe_names_and_keep_their_keys() -> None:
    b = SchemaBuilder()
    for key in ("learning-rate", "class", "self", "1st", "a_b", "a-b", "int", "__x", "_p"):
        b.text(key, default=key)
    schema = b.build()
    cls = settings_class(schema)
    names = {_key(a): a.name for a in attrs.fields(cls)}
    assert names == {
        "learning-rate": "learning_rate", "class": "class_", "self": "self_", "1st": "f_1st",
        "a_b": "a_b", "a-b": "a_b_2", "int": "int_", "__x": "f__x", "_p": "_p",
    }  # fmt: skip
    data = {key: key.upper() for key in names}
    settings = structure(schema, data)
    assert settings.learning_rate == "LEARNING-RATE" and settings._p == "_P"
    assert unstructure(settings) == data


def _key(attribute: attrs.Attribute[Any]) -> str:
    return str(attribute.metadata.get(METADATA_KEY, {}).get("key", attribute.name))


def test_class_names_are_camel_case_and_unique() -> None:
    b = SchemaBuilder()
    with b.section("data_set") as d:
        d.section("opts").integer("a", default=1)
    with b.section("model") as m:
        m.section("opts").integer("b", default=1)
    b.section("secret").integer("c", default=1)
    b.section("3d").integer("d", default=1)
    names = {plan.path: plan.name for plan in plan_classes(b.build())}
    assert names == {
        "": "Settings", "data_set": "DataSet", "data_set.opts": "Opts", "model": "Model",
        "model.opts": "ModelOpts", "secret": "Secret2", "3d": "Section3d",
    }  # fmt: skip


def test_settings_objects_pickle_and_copy() -> None:
    settings = _instance(token="s3cret")
    for clone in (pickle.loads(pickle.dumps(settings)), copy.deepcopy(settings)):
        assert clone == settings and type(clone) is type(settings)
        assert clone.token.reveal() == "s3cret"
    aug = pickle.loads(pickle.dumps(settings.aug))
    assert aug == settings.aug


def test_a_settings_object_unpickles_in_a_fresh_process() -> None:
    payload = pickle.dumps(_instance(token="s3cret", epochs=7, aug={"radius": 3}))
    script = (
        "import pickle, sys; s = pickle.loads(sys.stdin.buffer.read()); "
        "print(type(s).__name__, s.epochs, s.token.reveal(), s.aug.radius, s.shape)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=payload, capture_output=True, check=True
    )
    assert done.stdout.decode().split() == ["DemoJob", "7", "s3cret", "3", "[224,", "224]"]


@given(st.data())
def test_structure_and_unstructure_round_trip(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    tree = data.draw(settings_for(schema))
    settings = structure(schema, tree)
    plain = unstructure(settings, reveal_secrets=True)
    assert plain == tree
    assert structure(schema, plain) == settings
    transport = unstructure(settings, transport=True, reveal_secrets=True)
    _check_transport(schema.children, transport, plain)


def _check_transport(nodes: tuple[Any, ...], transport: Any, plain: Any) -> None:
    for node in nodes:
        if isinstance(node, Section):
            _check_transport(node.children, transport[node.key], plain[node.key])
        elif isinstance(node, Field):
            assert transport[node.key] == encode_value(node, plain[node.key])


@given(schemas())
def test_defaults_structure_like_the_declared_defaults(schema: Schema) -> None:
    required = _required_tree(schema.children)
    settings = structure(schema, required)
    plain = unstructure(settings, reveal_secrets=True)
    gated = _under_conditions(schema)
    for path, field in schema.fields():
        if path in gated:  # None until the pipeline finds it active and fills it
            assert _at(plain, path) == _at_or_none(required, path)
        elif field.has_default:
            assert _at(plain, path) == field.default


def _under_conditions(schema: Schema) -> set[str]:
    """Paths of the fields that a condition on them or on a section above them gates."""
    gated: set[str] = set()
    for path, node in schema.walk():
        parent = path.rpartition(".")[0]
        visible_when = getattr(node, "visible_when", None)
        if path and (visible_when is not None or parent in gated):
            gated.add(path)
    return gated


def _required_tree(nodes: tuple[Any, ...]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for node in nodes:
        if isinstance(node, Section):
            tree[node.key] = _required_tree(node.children)
        elif isinstance(node, Field) and node.required and not node.has_default:
            tree[node.key] = _SAMPLES[node.kind](node)
    return tree


_SAMPLES: dict[Kind, Any] = {
    Kind.INTEGER: lambda f: int(f.minimum if f.minimum is not None else 0),
    Kind.NUMBER: lambda f: float(f.minimum if f.minimum is not None else 0),
    Kind.TEXT: lambda f: "",
    Kind.SECRET: lambda f: "",
    Kind.BOOLEAN: lambda f: False,
    Kind.CHOICE: lambda f: f.options[0].value,
    Kind.MULTI_CHOICE: lambda f: [],
    Kind.LIST: lambda f: [],
    Kind.JSON: lambda f: {},
    Kind.CLASSES: lambda f: [],
    Kind.CLASS_MAPPING: lambda f: {},
}


def _at_or_none(tree: Mapping[str, Any], path: str) -> Any:
    try:
        return _at(tree, path)
    except KeyError:
        return None


def _at(tree: Mapping[str, Any], path: str) -> Any:
    value: Any = tree
    for part in path.split("."):
        value = value[part]
    return value


# -- Secret ---------------------------------------------------------------------------------


def test_a_secret_is_masked_in_every_rendering() -> None:
    secret = Secret("hunter2")
    renderings = [repr(secret), str(secret), f"{secret}", f"{secret!s}", f"{secret!r}"]
    renderings += ["%s" % secret, "{}".format(secret), f"{secret:>12}"]  # noqa: UP031, UP032
    renderings.append(repr([secret, {"k": secret}]))
    for text in renderings:
        assert "hunter2" not in text and MASK in text
    assert f"{secret:>12}" == MASK.rjust(12)
    with pytest.raises(TypeError):
        json.dumps({"token": secret})


def test_a_secret_reveals_only_on_request_and_compares_by_value() -> None:
    secret = Secret("hunter2")
    assert secret.reveal() == "hunter2" and Secret(secret).reveal() == "hunter2"
    assert secret == Secret("hunter2") and secret != Secret("other") and secret != "hunter2"
    assert hash(secret) == hash(Secret("hunter2")) and bool(secret) and not Secret("")
    with pytest.raises(AttributeError):
        secret._value = "x"
    with pytest.raises(TypeError):
        Secret(5)  # type: ignore[arg-type]


def test_a_secret_survives_pickle_and_copy() -> None:
    secret = Secret("hunter2")
    for clone in (pickle.loads(pickle.dumps(secret)), copy.copy(secret), copy.deepcopy(secret)):
        assert isinstance(clone, Secret) and clone == secret and clone.reveal() == "hunter2"


_REFERENCES: dict[type, type] = {}


def _attrs_made(obj: Any) -> Any:
    """The same values in a class attrs makes with its own repr, eq and hash (same name,
    attributes and order; one per live class), settings objects inside it likewise."""
    cls = type(obj)
    fields = attrs.fields(cls)
    reference = _REFERENCES.get(cls)
    if reference is None:
        namespace: dict[str, Any] = {
            "__qualname__": cls.__qualname__,
            "__annotations__": {a.name: Any for a in fields},
            **{a.name: attrs.field(alias=a.alias) for a in fields},
        }
        reference = _REFERENCES[cls] = attrs.frozen(kw_only=True)(type(cls.__name__, (), namespace))
    values = {a.alias: getattr(obj, a.name) for a in fields}
    made = {k: _attrs_made(v) if attrs.has(type(v)) else v for k, v in values.items()}
    return reference(**made)


def _hash_or_error(obj: Any) -> Any:
    try:
        hash(obj)
    except TypeError:
        return TypeError
    return int


@given(st.data())
def test_repr_eq_and_hash_are_what_attrs_would_make(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    first = structure(schema, data.draw(settings_for(schema)))
    second = structure(schema, data.draw(settings_for(schema)))
    ours, theirs = (first, second), (_attrs_made(first), _attrs_made(second))
    assert [repr(o) for o in ours] == [repr(o) for o in theirs]
    assert (first == second, first != second) == (theirs[0] == theirs[1], theirs[0] != theirs[1])
    assert first == structure(schema, unstructure(first, reveal_secrets=True))
    assert first != theirs[0] and (first == object()) is False
    assert [_hash_or_error(o) for o in ours] == [_hash_or_error(o) for o in theirs]
    if _hash_or_error(first) is int and first == second:
        assert hash(first) == hash(second)
