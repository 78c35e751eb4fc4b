"""Pydantic settings classes in jobs: as `schema=` and as a `Job` subclass's annotation."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest
from pydantic import BaseModel, Field, SecretStr

from brevetti_job import Job, JobConfigError, SettingsError

SECRET = "tok_PYDANTICSECRET_77"


class Arch(enum.Enum):
    MLP = "mlp"
    LOGREG = "logreg"


class Training(BaseModel):
    """How the model is trained."""

    epochs: int = Field(10, ge=1, le=100)
    learning_rate: float = Field(0.5, gt=0)
    seed: int | None = None


class Settings(BaseModel):
    training: Training = Training()
    architecture: Arch = Arch.LOGREG
    size: Literal[16, 32] = 32
    classes: list[str] = ["good", "bad"]
    token: SecretStr | None = None


class Train(Job):
    settings: Settings

    def run(self) -> Path:
        s = self.settings
        self.add_output_metric("epochs", s.training.epochs)
        self.add_output_metric("architecture", s.architecture.value)
        archive = self.artifact_path("model.bin")
        archive.write_bytes(b"w")
        return archive


@attrs.frozen
class AttrsSettings:
    epochs: int = 3


class AttrsTrain(Job):
    settings: AttrsSettings


def _env(tmp_path: Path) -> dict[str, str]:
    return {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json")}


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def test_the_annotation_declares_the_settings(tmp_path: Path) -> None:
    argv = ["--training.epochs", "4", "--architecture", "mlp", "--size", "16"]
    job = Train.init(argv=[*argv, "--token", SECRET], env=_env(tmp_path), job_dir=tmp_path / "j")
    assert isinstance(job.settings, Settings)
    assert job.settings.training.epochs == 4 and job.settings.training.seed is None
    assert job.settings.architecture is Arch.MLP and job.settings.size == 16
    assert job.settings.token is not None and job.settings.token.get_secret_value() == SECRET
    assert job.start() == "artifacts/model.bin"
    output = _json(tmp_path / "j" / "artifacts" / "output.json")
    assert output["output"] == {"epochs": 4, "architecture": "mlp"}
    assert output["job"]["settings"]["token"] == "********"
    for path in (tmp_path / "j").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_schema_argument_takes_a_pydantic_class(tmp_path: Path) -> None:
    with Job.init(schema=Settings, argv=[], env=_env(tmp_path), job_dir=tmp_path / "j") as job:
        assert isinstance(job.settings, Settings)
        assert job.settings.classes == ["good", "bad"]


def test_an_explicit_schema_wins_over_the_annotation(tmp_path: Path) -> None:
    job = Train.init(schema=AttrsSettings, argv=[], env=_env(tmp_path), job_dir=tmp_path / "j")
    assert isinstance(job.settings, AttrsSettings)


def test_an_attrs_annotation_works_the_same(tmp_path: Path) -> None:
    job = AttrsTrain.init(argv=["--epochs", "5"], env=_env(tmp_path), job_dir=tmp_path / "j")
    assert job.settings == AttrsSettings(epochs=5)


def test_invalid_settings_fail_the_job_with_every_problem(tmp_path: Path) -> None:
    argv = ["--training.epochs", "0", "--architecture", "cnn"]
    with pytest.raises(SettingsError) as info:
        Train.init(argv=argv, env=_env(tmp_path), job_dir=tmp_path / "j")
    assert {p.path for p in info.value.problems} == {"training.epochs", "architecture"}
    assert _json(tmp_path / "j" / "status.json")["status"] == "failed"


def test_mistyped_override_names_the_pydantic_fields(tmp_path: Path) -> None:
    with pytest.raises(JobConfigError, match=r"Did you mean --training\.epochs\?"):
        Train.init(argv=["--trainng.epochs", "3"], env=_env(tmp_path), job_dir=tmp_path / "j")


def test_main_and_help_see_the_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Train.main(argv=["--help"]) == 0
    assert "--training.epochs" in capsys.readouterr().out
    argv = ["--job_dir", str(tmp_path / "j"), "--training.epochs", "2"]
    assert Train.main(argv=argv, env=_env(tmp_path)) == 0
    assert _json(tmp_path / "j" / "artifacts" / "output.json")["output"]["epochs"] == 2


def test_an_annotation_that_cannot_be_resolved_is_a_clear_error(tmp_path: Path) -> None:
    class Local(BaseModel):
        n: int = 1

    class Broken(Job):
        settings: Local  # a string annotation naming a class local to this function

    with pytest.raises(JobConfigError, match="cannot resolve the annotation 'settings: Local'"):
        Broken.init(argv=[], env=_env(tmp_path), job_dir=tmp_path / "j")


def test_other_annotations_are_not_a_schema(tmp_path: Path) -> None:
    class Untyped(Job):
        settings: dict[str, Any]

    job = Untyped.init(argv=["--a.b", "1"], env=_env(tmp_path), job_dir=tmp_path / "j")
    assert job.settings["a"]["b"] == "1"
