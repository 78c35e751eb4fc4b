"""Class-first declarations: attrs classes read into the same model as the DSL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import pytest
from hypothesis import given

from brevetti_schema import Field, Kind, Option, Schema, SchemaBuilder, SchemaError, equals
from brevetti_schema._authoring.class_first import schema_from_class, setting
from brevetti_schema._emit.classes.attrs_classes import settings_class
from brevetti_schema._emit.classes.conversion import structure, unstructure
from brevetti_schema._model.secret import Secret
from tests.strategies import schemas


@attrs.frozen(kw_only=True)
class Augmentation:
    """Random changes to the training images."""

    flip: bool = True
    gamma: float = setting(1.0, min=0.1, max=10, unit="x")


@attrs.frozen(kw_only=True)
class Job:
    epochs: int = setting(10, min=1, help="Passes over the data", presets={"quick": 2})
    loss: Literal["bce", "mse"] = setting("bce", options={"bce": "Binary", "mse": "Squared"})
    ratio: float = setting(0.5, options=[0.5, 1.5])
    metrics: tuple[Literal["acc", "f1"], ...] = ("acc",)
    shape: tuple[int, ...] = setting((224, 224), min=1, min_items=2)
    classes: tuple[str, ...] = setting(("ok", "bad"), kind="classes")
    # RUF009 does not know `setting` makes an attrs field (configurable in ruff)
    class_mapping: dict[str, str | list[str]] = setting({"good": "ok"})  # noqa: RUF009
    extra: dict[str, Any] = setting({"a": [1]}, json_schema={"type": "object"})  # noqa: RUF009
    token: Secret | None
    password: str = setting(secret=True, advanced=True)
    notes: str | None = setting(rows=4)
    kernel: str = setting(visible_when={"field": "augmentation.flip", "equals": True})
    learning_rate: float = setting(0.1, key="learning-rate", exclusive_min=0)
    augmentation: Augmentation = setting(factory=Augmentation, advanced=True)  # noqa: RUF009


def _dsl() -> Schema:
    b = SchemaBuilder()
    b.integer("epochs", default=10, min=1, help="Passes over the data", presets={"quick": 2})
    b.choice("loss", options={"bce": "Binary", "mse": "Squared"}, default="bce")
    b.choice("ratio", options=[0.5, 1.5], default=0.5)
    b.multi_choice("metrics", options=["acc", "f1"], default=["acc"])
    b.list("shape", of="integer", default=[224, 224], min=1, min_items=2)
    b.classes(default=["ok", "bad"])
    b.class_mapping(default={"good": "ok"})
    b.json("extra", default={"a": [1]}, json_schema={"type": "object"})
    b.secret("token")
    b.secret("password", required=True, advanced=True)
    b.text("notes", rows=4)
    b.text("kernel", required=True, visible_when=equals("augmentation.flip", True))
    b.number("learning-rate", default=0.1, exclusive_min=0)
    with b.section(
        "augmentation", advanced=True, help="Random changes to the training images."
    ) as aug:
        aug.boolean("flip", default=True)
        aug.number("gamma", default=1.0, min=0.1, max=10, unit="x")
    return b.build()


def test_a_class_declares_the_same_model_as_the_dsl() -> None:
    schema = schema_from_class(Job)
    expected = _dsl()
    assert list(schema.walk()) == list(expected.walk())
    assert schema == expected
    assert schema.presets == {"quick": {"epochs": 2}}
    assert schema_from_class(Job, title="Job") == attrs.evolve(expected, title="Job")


def test_metadata_overrides_what_the_annotation_implies() -> None:
    schema = schema_from_class(Job)
    loss = schema.find("loss")
    assert isinstance(loss, Field) and loss.options == (
        Option("bce", "Binary"),
        Option("mse", "Squared"),
    )
    ratio = schema.find("ratio")
    assert isinstance(ratio, Field) and ratio.kind is Kind.CHOICE
    password = schema.find("password")
    assert isinstance(password, Field) and password.kind is Kind.SECRET and password.required
    assert schema.find("learning-rate") is not None and schema.find("learning_rate") is None


@attrs.frozen(kw_only=True)
class Kinds:
    a: int
    b: float
    c: str
    d: bool
    e: Secret
    f: Literal[1, 2]
    g: tuple[Literal["x", "y"], ...]
    h: list[Literal["x", "y"]]
    i: list[float]
    j: Sequence[bool]
    k: tuple[str, ...]
    m: dict[str, str]
    n: Mapping[str, str | tuple[str, ...]]
    o: dict[str, list[str] | str]
    p: dict[str, Any]
    q: list[Any]
    r: dict[str, Any] | list[Any]
    s: Any
    t: int | None
    u: dict[str, int]


def test_kinds_are_inferred_from_annotations() -> None:
    schema = schema_from_class(Kinds)
    found = {path: (f.kind, f.item_kind, f.required) for path, f in schema.fields()}
    assert found == {
        "a": (Kind.INTEGER, None, True),
        "b": (Kind.NUMBER, None, True),
        "c": (Kind.TEXT, None, True),
        "d": (Kind.BOOLEAN, None, True),
        "e": (Kind.SECRET, None, True),
        "f": (Kind.CHOICE, None, True),
        "g": (Kind.MULTI_CHOICE, None, True),
        "h": (Kind.MULTI_CHOICE, None, True),
        "i": (Kind.LIST, Kind.NUMBER, True),
        "j": (Kind.LIST, Kind.BOOLEAN, True),
        "k": (Kind.LIST, Kind.TEXT, True),
        "m": (Kind.CLASS_MAPPING, None, True),
        "n": (Kind.CLASS_MAPPING, None, True),
        "o": (Kind.CLASS_MAPPING, None, True),
        "p": (Kind.JSON, None, True),
        "q": (Kind.JSON, None, True),
        "r": (Kind.JSON, None, True),
        "s": (Kind.JSON, None, True),
        "t": (Kind.INTEGER, None, False),
        "u": (Kind.JSON, None, True),
    }
    f = schema.find("f")
    assert isinstance(f, Field) and f.option_values() == (1, 2)


@attrs.frozen
class Inner:
    fine: int = 1
    bad: complex = 1j


@attrs.frozen
class Broken:
    pairs: tuple[int, str] = (1, "a")
    inner: Inner = attrs.field(factory=Inner)
    numbers: set[int] = attrs.field(factory=set)
    renamed: bytes = setting(b"", key="raw-bytes")


def test_unsupported_annotations_name_every_attribute_path() -> None:
    with pytest.raises(SchemaError) as info:
        schema_from_class(Broken)
    paths = [p.path for p in info.value.problems]
    assert paths == ["pairs", "inner.bad", "numbers", "raw-bytes"]
    assert "Broken.renamed" in str(info.value) and "unsupported annotation" in str(info.value)


@attrs.frozen
class BadDefault:
    epochs: int = setting(0, min=1)


def test_the_declaration_checks_run() -> None:
    with pytest.raises(SchemaError, match="epochs: default 0 is below the minimum 1"):
        schema_from_class(BadDefault)


def test_not_an_attrs_class_is_an_error() -> None:
    with pytest.raises(SchemaError, match="not an attrs class"):
        schema_from_class(dict)


@attrs.frozen
class Loop:
    again: Loop


def test_a_cycle_of_classes_is_an_error() -> None:
    with pytest.raises(SchemaError, match="cycle"):
        schema_from_class(Loop)


def test_mutable_defaults_are_copied_per_instance() -> None:
    first = Job(password="p", kernel="k", token=None, notes=None)
    second = Job(password="p", kernel="k", token=None, notes=None)
    first.extra["a"].append(2)
    assert second.extra == {"a": [1]}


def test_author_classes_structure_and_unstructure() -> None:
    schema = schema_from_class(Job)
    data: dict[str, Any] = {"password": "pw", "kernel": "k", "token": "t", "notes": None}
    data.update({"learning-rate": 0.2, "shape": [1, 2]})
    job = structure(Job, data)
    assert isinstance(job, Job) and job.learning_rate == 0.2 and job.shape == (1, 2)
    assert job.token == Secret("t") and job.password == "pw"
    tree = unstructure(job, schema=schema, transport=True)
    assert (
        tree["learning-rate"] == 0.2 and tree["shape"] == "[1, 2]" and tree["token"] == "********"
    )


@given(schemas())
def test_live_classes_read_back_as_the_same_keys_and_kinds(schema: Schema) -> None:
    back = schema_from_class(settings_class(schema))
    ours = {p: f for p, f in back.fields()}
    assert list(ours) == [p for p, _ in schema.fields()]
    for path, field in schema.fields():
        kind = ours[path].kind
        if field.kind is Kind.CLASSES:
            assert (kind, ours[path].item_kind) == (Kind.LIST, Kind.TEXT)
        else:
            assert kind is field.kind
        # a live class gives a field under a condition the default None (inactive)
        gated = field.visible_when is not None or _gated_section(schema, path)
        assert ours[path].default == field.default or not field.has_default or gated


def _gated_section(schema: Schema, path: str) -> bool:
    parts = path.split(".")
    return any(
        getattr(schema.find(".".join(parts[:end])), "visible_when", None) is not None
        for end in range(1, len(parts))
    )
