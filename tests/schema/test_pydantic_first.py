"""Pydantic-first declarations: pydantic v2 models read into the same model as the DSL."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, SecretStr, field_validator

from brevetti_schema import (
    Kind,
    Schema,
    SchemaBuilder,
    SchemaError,
    SettingsError,
    emit_json_schema,
    emit_platform_ui,
    encode_settings,
    equals,
    load_schema,
    resolve_settings,
    schema_from_pydantic,
    settings_target,
)

ROOT = Path(__file__).resolve().parents[2]


class Loss(enum.Enum):
    BCE = "bce"
    MSE = "mse"


class Augmentation(BaseModel):
    """Random changes to the training images."""

    flip: bool = True
    gamma: float = Field(1.0, ge=0.1, le=10, json_schema_extra={"unit": "x"})


class Settings(BaseModel):
    epochs: int = Field(
        10, ge=1, description="Passes over the data", json_schema_extra={"presets": {"quick": 2}}
    )
    loss: Loss = Loss.BCE
    size: Literal[16, 32] = 32
    metrics: list[Literal["acc", "f1"]] = ["acc"]
    shape: list[Annotated[int, Field(ge=1)]] = Field([224, 224], min_length=2)
    extra: dict[str, Any] = Field({"a": [1]}, json_schema_extra={"json_schema": {"type": "object"}})
    token: SecretStr | None
    seed: int | None = None
    name: str = Field("run", pattern=r"^[a-z]+$", max_length=8, title="Run name")
    notes: str | None = Field(None, json_schema_extra={"rows": 4})
    kernel: str = Field(
        json_schema_extra={"visible_when": {"field": "augmentation.flip", "equals": True}}
    )
    learning_rate: float = Field(0.1, alias="learning-rate", gt=0, lt=1)
    augmentation: Augmentation = Field(
        default_factory=Augmentation, json_schema_extra={"advanced": True}
    )


def _dsl() -> Schema:
    b = SchemaBuilder()
    b.integer("epochs", default=10, min=1, help="Passes over the data", presets={"quick": 2})
    b.choice("loss", options=["bce", "mse"], default="bce")
    b.choice("size", options=[16, 32], default=32)
    b.multi_choice("metrics", options=["acc", "f1"], default=["acc"])
    b.list("shape", of="integer", default=[224, 224], min_items=2)
    b.json("extra", default={"a": [1]}, json_schema={"type": "object"})
    b.secret("token")
    b.integer("seed", default=None)
    b.text("name", label="Run name", default="run", pattern=r"^[a-z]+$", max_length=8)
    b.text("notes", default=None, rows=4)
    b.text("kernel", required=True, visible_when=equals("augmentation.flip", True))
    b.number("learning-rate", default=0.1, exclusive_min=0, exclusive_max=1)
    with b.section(
        "augmentation", advanced=True, help="Random changes to the training images."
    ) as aug:
        aug.boolean("flip", default=True)
        aug.number("gamma", default=1.0, min=0.1, max=10, unit="x")
    return b.build()


def test_a_pydantic_model_declares_the_same_model_as_the_dsl() -> None:
    schema = load_schema(Settings)
    expected = _dsl()
    assert list(schema.walk()) == list(expected.walk())
    assert schema == expected
    assert schema.presets == {"quick": {"epochs": 2}}
    assert schema_from_pydantic(Settings, title="T").title == "T"
    assert load_schema(Settings) is schema  # read once per class
    assert schema_from_pydantic(Settings, presets={"p": {"epochs": 3}}).presets["p"] == {
        "epochs": 3
    }
    assert "p" not in load_schema(Settings).presets


def test_it_emits_what_the_dsl_emits() -> None:
    schema = load_schema(Settings)
    assert emit_platform_ui(schema) == emit_platform_ui(_dsl())
    assert emit_json_schema(schema) == emit_json_schema(_dsl())


def _resolve(raw: dict[str, Any], **kw: Any) -> Any:
    return resolve_settings(load_schema(Settings), {"kernel": "k", **raw}, into=Settings, **kw)


def test_settings_are_an_instance_of_the_model() -> None:
    raw = {
        "epochs": "7",
        "loss": "mse",
        "size": "16",
        "shape": "[3, 4, 5]",
        "token": "s3cr3t",
        "augmentation": {"gamma": "2.5"},
    }
    settings = _resolve(raw).settings
    assert isinstance(settings, Settings)
    assert settings.epochs == 7 and settings.loss is Loss.MSE and settings.size == 16
    assert settings.shape == [3, 4, 5]
    assert settings.token is not None and settings.token.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)
    assert isinstance(settings.augmentation, Augmentation)
    assert settings.augmentation.gamma == 2.5 and settings.augmentation.flip is True
    assert settings.learning_rate == 0.1


@pytest.mark.parametrize("given_value", [None, ""])
def test_optional_is_none_never_zero(given_value: Any) -> None:
    raw = {} if given_value is None else {"seed": given_value}
    settings = _resolve(raw).settings
    assert settings.seed is None
    assert settings.notes is None and settings.token is None


def test_constraints_of_field_are_checked_with_every_problem() -> None:
    with pytest.raises(SettingsError) as info:
        _resolve(
            {
                "epochs": "0",
                "name": "Not Valid",
                "learning-rate": "1",
                "loss": "hinge",
                "shape": "[1]",
                "augmentation": {"gamma": "20"},
            }
        )
    paths = {p.path for p in info.value.problems}
    assert paths == {"epochs", "name", "learning-rate", "loss", "shape", "augmentation.gamma"}
    labels = {p.path: p.label for p in info.value.problems}
    assert labels["name"] == "Run name"


def test_nested_default_instance_gives_the_section_defaults() -> None:
    class Inner(BaseModel):
        size: int = 1
        mode: Literal["a", "b"] = "a"

    class Outer(BaseModel):
        inner: Inner = Inner(size=5, mode="b")

    schema = load_schema(Outer)
    assert schema.find("inner.size").default == 5  # type: ignore[union-attr]
    assert schema.find("inner.mode").default == "b"  # type: ignore[union-attr]
    assert resolve_settings(schema, {}, into=Outer).settings.inner == Inner(size=5, mode="b")


def test_a_model_with_a_validator_refuses_through_settings_error() -> None:
    class Checked(BaseModel):
        low: int = 1
        high: int = 2
        token: SecretStr = SecretStr("x")

        @field_validator("high")
        @classmethod
        def _even(cls, value: int) -> int:
            if value % 2:
                raise ValueError("must be even")
            return value

        @field_validator("token")
        @classmethod
        def _long(cls, value: SecretStr) -> SecretStr:
            if len(value.get_secret_value()) < 4:
                raise ValueError("too short")
            return value

    schema = load_schema(Checked)
    with pytest.raises(SettingsError) as info:
        resolve_settings(schema, {"high": "3", "token": "abc"}, into=Checked)
    problems = {p.path: p for p in info.value.problems}
    assert set(problems) == {"high", "token"}
    assert "must be even" in problems["high"].message
    assert problems["high"].value == 3 and problems["high"].label == "High"
    assert problems["high"].loc == ("high",) and problems["high"].code == "invalid_value"
    assert problems["token"].value == "********"
    assert "abc" not in str(info.value)


def test_pydantic_lists_and_json_values() -> None:
    class Point(BaseModel):
        x: int
        y: int

    class Shapes(BaseModel):
        names: tuple[str, ...] = ("a",)
        tags: set[str] = Field(default_factory=set)
        points: list[Point] = []
        anything: Any = None
        where: Point | None = None

    schema = load_schema(Shapes)
    kinds = {path: field.kind for path, field in schema.fields()}
    assert kinds == {
        "names": Kind.LIST,
        "tags": Kind.LIST,
        "points": Kind.JSON,
        "anything": Kind.JSON,
        "where": Kind.JSON,
    }
    raw = {"names": '["x", "y"]', "points": '[{"x": 1, "y": 2}]', "where": '{"x": 3, "y": 4}'}
    settings = resolve_settings(schema, raw, into=Shapes).settings
    assert settings.names == ("x", "y") and settings.points == [Point(x=1, y=2)]
    assert settings.where == Point(x=3, y=4) and settings.tags == set()


def test_declaration_mistakes_are_schema_errors_naming_the_field() -> None:
    class Bad(BaseModel):
        when: complex = 1j
        many: int | str = 1
        epochs: int = Field(0, ge=1)
        odd: int = Field(1, json_schema_extra={"colour": "red"})

    with pytest.raises(SchemaError) as info:
        load_schema(Bad)
    text = str(info.value)
    assert "when: unsupported annotation complex (field Bad.when)" in text
    assert "many: unsupported annotation" in text
    assert "odd: json_schema_extra has unknown keys ['colour']" in text


def test_a_default_breaking_its_constraint_is_a_schema_error() -> None:
    class Bad(BaseModel):
        epochs: int = Field(0, ge=1)

    with pytest.raises(SchemaError, match="epochs"):
        load_schema(Bad)


def test_excluded_fields_are_not_settings() -> None:
    class WithExtra(BaseModel):
        epochs: int = 3
        extra: dict[str, Any] = Field(default_factory=dict, json_schema_extra={"exclude": True})

    schema = load_schema(WithExtra)
    assert [path for path, _ in schema.fields()] == ["epochs"]
    assert resolve_settings(schema, {}, into=WithExtra).settings.extra == {}

    class Broken(BaseModel):
        extra: dict[str, Any] = Field(json_schema_extra={"exclude": True})

    with pytest.raises(SchemaError, match="needs a default"):
        load_schema(Broken)


def test_settings_target() -> None:
    assert settings_target(Settings) is Settings
    assert settings_target(BaseModel) is None
    assert settings_target(dict) is None
    assert settings_target("settings.yaml") is None


def test_encoded_transport_form_matches_the_platform() -> None:
    resolved = _resolve({"token": "s3cr3t"})
    encoded = encode_settings(load_schema(Settings), resolved.tree, secrets="mask")
    assert encoded["shape"] == "[224, 224]" and encoded["token"] == "********"
    assert json.loads(encoded["extra"]) == {"a": [1]}


@given(
    epochs=st.integers(min_value=-5, max_value=50),
    gamma=st.floats(min_value=0, max_value=12, allow_nan=False),
    size=st.sampled_from([16, 32, 64, "16"]),
)
def test_pydantic_and_the_dsl_agree_on_every_document(epochs: int, gamma: float, size: Any) -> None:
    raw = {"kernel": "k", "epochs": str(epochs), "size": size, "augmentation": {"gamma": gamma}}
    mine = theirs = None
    try:
        mine = resolve_settings(load_schema(Settings), raw, into=Settings).tree
    except SettingsError as exc:
        mine_paths = {p.path for p in exc.problems}
    try:
        theirs = resolve_settings(_DSL, raw).tree
    except SettingsError as exc:
        theirs_paths = {p.path for p in exc.problems}
    if theirs is None:
        assert mine is None and mine_paths == theirs_paths
    else:
        assert mine == theirs


_DSL = _dsl()


def test_pydantic_is_imported_only_when_such_a_class_is_given(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from brevetti_schema import SchemaBuilder, load_schema, resolve_settings\n"
        "from brevetti_job import Job\n"
        "b = SchemaBuilder(); b.integer('epochs', default=3)\n"
        "resolve_settings(load_schema(b), {})\n"
        f"Job.init(schema=b, argv=['--job_dir', {str(tmp_path / 'j')!r}], env={{}})\n"
        "print('pydantic' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_json_schema_extra_names_kinds_secrets_options_and_presets() -> None:
    class Form(BaseModel):
        classes: list[str] = Field(["ok", "bad"], json_schema_extra={"kind": "classes"})
        password: str = Field("", json_schema_extra={"secret": True})
        arch: str = Field("mlp", json_schema_extra={"options": {"mlp": "Perceptron", "cnn": "CNN"}})
        steps: int = Field(4, json_schema_extra={"presets": {"fast": 1}, "step": 2, "unit": "px"})

    schema = load_schema(Form)
    classes, password, arch, steps = (field for _, field in schema.fields())
    assert classes.kind is Kind.CLASSES and password.kind is Kind.SECRET
    assert arch.kind is Kind.CHOICE and [o.shown for o in arch.options] == ["Perceptron", "CNN"]
    assert (steps.step, steps.unit) == (2, "px")
    assert schema.presets == {"fast": {"steps": 1}}
    resolved = resolve_settings(schema, {"password": "hunter2"}, preset="fast", into=Form)
    assert resolved.settings.steps == 1 and resolved.settings.password == "hunter2"
    masked = encode_settings(schema, resolved.tree, secrets="mask")
    assert masked["password"] == "********"
    with pytest.raises(SettingsError):
        resolve_settings(schema, {"arch": "rnn"}, into=Form)
