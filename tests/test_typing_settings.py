"""At run time `Job[S]` finds its settings type from the generic base (attrs and
pydantic, main API and compat), and `into=` makes the settings an instance of a class
that is checked against the schema first."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import attrs
import pytest
from pydantic import BaseModel, SecretStr

from brevetti_job import (
    Job,
    JobArgumentTypeError,
    JobConfigError,
    SchemaError,
    SettingsError,
    compat,
)
from brevetti_schema import Secret, generate_source, load_schema, load_schema_text, setting

SCHEMA_YAML = """\
title: Demo
fields:
  classes: {type: classes, default: [good, defect]}
  token: {type: secret}
  training:
    type: section
    fields:
      epochs: {type: integer, default: 30, min: 1}
      rate: {type: number, default: 0.5}
      arch: {type: choice, options: [mlp, cnn], default: mlp}
"""


@attrs.frozen
class Settings:
    epochs: int = setting(3, min=1)


class PSettings(BaseModel):
    epochs: int = 3


class Train(Job[Settings]):
    pass


class PTrain(Job[PSettings]):
    pass


class CompatTrain(compat.Job[PSettings]):
    pass


class CompatAttrsTrain(compat.Job[Settings]):
    pass


S = TypeVar("S")


class Base(Job[S], Generic[S]):
    """A job base of the user's, generic itself."""


class FromBase(Base[Settings]):
    pass


class Forward(Job["Settings"]):
    pass


def _argv(tmp_path: Path, name: str, *more: str) -> dict[str, Any]:
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json")}
    return {"argv": ["--job_dir", str(tmp_path / name), *more], "env": env}


@pytest.fixture
def generated(tmp_path: Path) -> types.ModuleType:
    """The schema's classes as `brevetti-schema codegen` writes them, imported."""
    (tmp_path / "settings.yaml").write_text(SCHEMA_YAML)
    source = generate_source(load_schema_text(SCHEMA_YAML))
    module = types.ModuleType("demo_generated")
    sys.modules["demo_generated"] = module
    try:
        exec(compile(source, "demo_generated.py", "exec"), module.__dict__)
        yield module
    finally:
        del sys.modules["demo_generated"]


@pytest.mark.parametrize(
    ("job_class", "settings_class"),
    [
        (Train, Settings), (PTrain, PSettings), (FromBase, Settings), (Forward, Settings),
    ],
)  # fmt: skip
def test_the_generic_base_is_the_schema(
    tmp_path: Path, job_class: type[Job[Any]], settings_class: type
) -> None:
    job = job_class.init(**_argv(tmp_path, "j", "--epochs", "7"), console=False)
    assert type(job.settings) is settings_class and job.settings.epochs == 7
    job.complete_job()


@pytest.mark.parametrize("job_class", [CompatTrain, CompatAttrsTrain])
def test_the_generic_base_of_a_compat_job_is_the_schema(
    tmp_path: Path, job_class: type[compat.Job[Any]]
) -> None:
    job = job_class.init(**_argv(tmp_path, "j", "--epochs", "5", "--other", "x"), console=False)
    assert isinstance(job.settings, PSettings | Settings) and job.settings.epochs == 5
    assert job.main.settings.epochs == 5
    job.complete()


def test_a_class_declaring_two_settings_types_is_an_error(tmp_path: Path) -> None:
    class Both(Job[Settings]):
        settings: PSettings  # type: ignore[assignment]

    with pytest.raises(JobConfigError, match=r"declares two settings types: Settings .* PSettings"):
        Both.init(**_argv(tmp_path, "j"), console=False)
    assert not (tmp_path / "j").exists()


def test_an_unresolvable_forward_reference_names_the_class(tmp_path: Path) -> None:
    class Lost(Job["NoSuchSettings"]):  # type: ignore[name-defined]
        pass

    with pytest.raises(JobConfigError, match=r"Lost\(Job\['NoSuchSettings'\]\)"):
        Lost.init(**_argv(tmp_path, "j"), console=False)


def test_into_makes_the_settings_a_generated_class(
    tmp_path: Path, generated: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = _argv(tmp_path, "g", "--training.epochs", "12", "--token", "s3cr3t")
    job = Job.init(schema="settings.yaml", into=generated.Demo, **argv, console=False)
    assert type(job.settings) is generated.Demo
    assert job.settings.training == generated.Training(epochs=12, rate=0.5, arch="mlp")
    assert job.settings.token == Secret("s3cr3t")
    job.complete_job()

    class Generated(Job[generated.Demo]):  # type: ignore[name-defined]
        pass

    job = Generated.init(schema="settings.yaml", **_argv(tmp_path, "h"), console=False)
    assert type(job.settings) is generated.Demo and job.settings.training.epochs == 30
    job.complete_job()
    job = compat.Job.init(schema="settings.yaml", into=generated.Demo, **_argv(tmp_path, "c"))
    assert type(job.settings) is generated.Demo


@attrs.frozen(kw_only=True)
class BadTraining:
    epochs: str = ""
    rate: int = 0
    arch: Literal["mlp", "rnn"] = "mlp"
    needed: float


@attrs.frozen(kw_only=True)
class BadSettings:
    classes: int = 0
    training: BadTraining
    token: str | None = None


class PydanticTraining(BaseModel):
    epochs: int = 1
    rate: float = 0.5
    arch: Literal["mlp", "cnn"] = "mlp"


class PydanticSettings(BaseModel):
    classes: list[str] = []
    token: SecretStr | None = None
    training: PydanticTraining = PydanticTraining()


def test_a_class_that_does_not_fit_the_schema_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(SCHEMA_YAML)
    with pytest.raises(SchemaError) as info:
        Job.init(schema=str(tmp_path / "settings.yaml"), into=BadSettings, **_argv(tmp_path, "bad"))
    problems = {p.path: p.message for p in info.value.problems}
    assert problems == {
        "classes": "BadSettings.classes is int, but this is a classes setting: expected a "
        "list of str",
        "token": "BadSettings.token is str | None, but this is a secret setting: expected Secret",
        "training.epochs": "BadTraining.epochs is str, but this is an integer setting: "
        "expected int",
        "training.rate": "BadTraining.rate is int, but this is a number setting: expected float",
        "training.arch": "BadTraining.arch is Literal['mlp', 'rnn'], but the choice's option "
        "'cnn' is not one of its values",
        "training.needed": "BadTraining.needed has no default and the schema has no such "
        "setting to fill it",
    }
    assert not (tmp_path / "bad").exists()  # refused before the job exists


def test_job_of_a_generated_class_alone_keeps_the_schemas_constraints(
    tmp_path: Path, generated: types.ModuleType
) -> None:
    """``class Train(Job[Generated])`` with no schema: the generated module carries its
    schema, so a value below a minimum is refused and the choice keeps its options."""

    class Train(Job[generated.Demo]):  # type: ignore[name-defined]
        pass

    assert load_schema(generated.Demo) == load_schema_text(SCHEMA_YAML)
    with pytest.raises(SettingsError) as info:
        Train.init(**_argv(tmp_path, "low", "--training.epochs", "0"), console=False)
    assert [(p.loc, p.code) for p in info.value.problems] == [
        (("training", "epochs"), "below_minimum")
    ]
    with pytest.raises(SettingsError, match="not one of the options"):
        Train.init(**_argv(tmp_path, "arch", "--training.arch", "rnn"), console=False)
    job = Train.init(**_argv(tmp_path, "ok", "--training.epochs", "1"), console=False)
    assert type(job.settings) is generated.Demo and job.settings.training.epochs == 1
    job.complete_job()


def test_a_generated_class_of_a_changed_schema_is_refused_by_setting(
    tmp_path: Path, generated: types.ModuleType
) -> None:
    """`Job.init(schema=..., into=Generated)` with a schema that changed since the module
    was generated: a `SchemaError` naming each setting, before the job exists."""
    changed = SCHEMA_YAML.replace("rate: {type: number, default: 0.5}", "rate: {type: text}")
    (tmp_path / "changed.yaml").write_text(changed + "  seed: {type: integer, default: 1}\n")
    with pytest.raises(SchemaError) as info:
        Job.init(schema=str(tmp_path / "changed.yaml"), into=generated.Demo, **_argv(tmp_path, "c"))
    assert [str(p) for p in info.value.problems] == [
        "training.rate: Training.rate is float, but this is a text setting: expected str",
        "seed: Demo has no attribute for this integer setting",
    ]
    assert not (tmp_path / "c").exists()


def test_a_pydantic_class_fits_and_a_missing_attribute_is_named(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(SCHEMA_YAML)
    schema = str(tmp_path / "settings.yaml")
    job = Job.init(schema=schema, into=PydanticSettings, **_argv(tmp_path, "p"), console=False)
    assert type(job.settings) is PydanticSettings
    assert job.settings.training.rate == 0.5 and job.settings.classes == ["good", "defect"]
    job.complete_job()

    class Partial(BaseModel):
        classes: list[str] = []
        training: dict[str, Any] = {}  # not a settings class for a section

    with pytest.raises(SchemaError) as info:
        Job.init(schema=schema, into=Partial, **_argv(tmp_path, "q"))
    assert [str(p) for p in info.value.problems] == [
        "token: Partial has no attribute for this secret setting",
        "training: Partial.training is dict[str, Any], but this is a section: give it a "
        "settings class",
    ]


def test_into_must_be_a_settings_class_and_needs_a_schema(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(SCHEMA_YAML)
    schema = str(tmp_path / "settings.yaml")
    for wrong in (dict, int, object()):
        with pytest.raises(JobArgumentTypeError, match="into= must be an attrs or pydantic"):
            Job.init(schema=schema, into=wrong, **_argv(tmp_path, "x"))  # type: ignore[call-overload]
    with pytest.raises(JobConfigError, match="needs a schema"):
        Job.init(into=Settings, **_argv(tmp_path, "x"))
    assert isinstance(JobArgumentTypeError("x"), TypeError)
    assert not (tmp_path / "x").exists()


def test_into_its_own_class_first_schema_needs_no_check(tmp_path: Path) -> None:
    job = Job.init(schema=Settings, into=Settings, **_argv(tmp_path, "s"), console=False)
    assert job.settings == Settings(epochs=3)


def test_main_reports_a_bad_declaration_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    class Both(Job[Settings]):
        settings: PSettings  # type: ignore[assignment]

    assert Both.main(argv=["--job_dir", str(tmp_path / "j")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Both declares two settings types") and "Traceback" not in err

    class Run(Job[Settings]):
        def run(self) -> None:
            self.add_output_metric("epochs", self.settings.epochs)

    assert Run.main(argv=["--job_dir", str(tmp_path / "k"), "--epochs", "9", "--quiet"]) == 0
    output = (tmp_path / "k" / "artifacts" / "output.json").read_text()
    assert '"epochs": 9' in output
