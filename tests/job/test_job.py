"""The job object in local mode: settings, artifacts, metrics, output and the lifecycle."""

from __future__ import annotations

import json
import logging
import platform
from pathlib import Path
from typing import Any

import pytest

from brevetti_job import (
    ArtifactPathError,
    Job,
    JobArgumentError,
    JobConfigError,
    JobStateError,
    MetricError,
    SettingsError,
)
from brevetti_schema import SchemaBuilder

SECRET = "tok_SUPERSECRETVALUE_123"
API_KEY = "key_APIKEYVALUE_987"


def _builder() -> SchemaBuilder:
    b = SchemaBuilder()
    with b.section("training") as t:
        t.integer("epochs", default=10, min=1, max=100, presets={"quick": 2})
        t.number("lr", default=0.1, exclusive_min=0)
    b.list("sizes", of="integer", default=[32, 32])
    b.secret("token")
    return b


def _init(tmp_path: Path, *argv: str, **kw: Any) -> Job:
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **kw.pop("env", {})}
    kw.setdefault("job_dir", tmp_path / "job")
    return Job.init(schema=kw.pop("schema", _builder()), argv=list(argv), env=env, **kw)


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def test_init_types_settings_and_writes_the_description(tmp_path: Path) -> None:
    job = _init(tmp_path, "--training.epochs", "5", job_id="j1")
    assert job.settings.training.epochs == 5
    assert job.settings.training.lr == 0.1
    assert job.settings.sizes == [32, 32]
    with pytest.raises(AttributeError):
        job.settings.training.epochs = 3
    info = _json(tmp_path / "job" / "info.json")
    assert info["id"] == "j1"
    assert info["settings"]["training"]["epochs"] == 5
    assert info["settings"]["sizes"] == "[32, 32]"  # the platform's transport form
    assert "api_key" not in info
    status = _json(tmp_path / "job" / "status.json")
    assert status["status"] == "running"
    assert (tmp_path / "job" / "artifacts" / "output.json").is_file()
    assert job.mode == "local" and job.kind == "model"


def test_existing_description_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "info.json").write_text(
        json.dumps(
            {
                "id": "abc",
                "name": "My model",
                "settings": {"training": {"epochs": 7}, "sizes": "[1, 2]"},
                "datasets": [{"id": "d1", "name": "Screws", "bucket": "s3://b"}],
                "tags": ["t"],
                "future_key": {"x": 1},
            }
        )
    )
    job = _init(tmp_path)
    assert (job.id, job.name) == ("abc", "My model")
    assert job.settings.training.epochs == 7 and job.settings.sizes == [1, 2]
    assert job.datasets[0].name == "Screws" and job.tags == ("t",)
    assert job.description.extra == {"future_key": {"x": 1}}


def test_info_file_and_settings_file_and_preset(tmp_path: Path) -> None:
    info = tmp_path / "given.json"
    info.write_text(json.dumps({"id": "x1", "settings": {"training": {"lr": 0.5}}}))
    settings = tmp_path / "settings.yaml"
    settings.write_text("training:\n  lr: 0.25\n")
    job = _init(
        tmp_path, "--info_file", str(info), "--settings", str(settings), "--preset", "quick"
    )
    assert job.id == "x1"
    assert job.settings.training.lr == 0.25
    assert job.settings.training.epochs == 2


def test_untyped_settings_without_schema(tmp_path: Path) -> None:
    job = _init(tmp_path, "--a.b", "3", schema=None, settings={"c": [1]})
    assert job.settings["a"]["b"] == "3"
    assert job.settings["c"] == [1] and isinstance(job.settings["c"], list)
    with pytest.raises(TypeError):
        job.settings["a"]["b"] = "4"
    with pytest.raises(TypeError):
        job.settings["c"].append(2)
    # read-only, yet a dict that JSON and YAML take as it is
    assert isinstance(job.settings, dict)
    assert json.loads(json.dumps(job.settings)) == {"a": {"b": "3"}, "c": [1]}
    import yaml

    assert yaml.safe_load(yaml.safe_dump(job.settings)) == {"a": {"b": "3"}, "c": [1]}


def test_default_job_dir_is_under_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    job = Job.init(
        schema=_builder(), argv=[], env={"BREVETTI_HYPERPARAMETERS_FILE": "/nonexistent"}
    )
    assert job.job_dir == tmp_path / "jobs" / job.id
    assert job.id.startswith("local-")


def test_invalid_settings_fail_the_job_with_a_report(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        _init(tmp_path, "--training.epochs", "500", "--training.lr=-1")
    assert {p.path for p in info.value.problems} == {"training.epochs", "training.lr"}
    status = _json(tmp_path / "job" / "status.json")
    assert status["status"] == "failed"
    assert "training.epochs" in status["reason"]
    problems = _json(tmp_path / "job" / "problems.json")["problems"]
    assert [p["pointer"] for p in problems] == ["/training/epochs", "/training/lr"]


def test_invalid_settings_write_the_hosted_failure_file(tmp_path: Path) -> None:
    failure = tmp_path / "failure"
    with pytest.raises(SettingsError):
        _init(tmp_path, "--training.epochs", "0", env={"BREVETTI_FAILURE_FILE": str(failure)})
    assert "training.epochs" in failure.read_text()


def test_unknown_argument_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(JobConfigError, match="neither a known flag nor a setting"):
        _init(tmp_path, "--trainig.epochs", "3")


def test_a_host_without_job_id_and_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(JobConfigError, match="platform mode"):
        _init(tmp_path, env={"BREVETTI_HOST": "http://127.0.0.1:9"})


def test_hyperparameter_file_mode(tmp_path: Path) -> None:
    hyper = tmp_path / "hyperparameters.json"
    hyper.write_text(json.dumps({"model_id": "sm-1", "training.epochs": "4", "sizes": "[8, 8]"}))
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(hyper)}
    job = Job.init(schema=_builder(), argv=[], env=env, job_dir=tmp_path / "job")
    assert job.id == "sm-1"
    assert job.settings.training.epochs == 4 and job.settings.sizes == [8, 8]


def test_artifact_paths_stay_inside(tmp_path: Path) -> None:
    job = _init(tmp_path)
    path = job.artifact_path("models", "best", "weights.bin")
    assert path.parent.is_dir() and path.is_relative_to(job.artifacts_dir)
    for bad in (("..", "x"), ("/etc/passwd",), ("a/../../x",), ("",)):
        with pytest.raises(ArtifactPathError):
            job.artifact_path(*bad)
    outside = tmp_path / "outside"
    outside.mkdir()
    (job.artifacts_dir / "link").symlink_to(outside)
    with pytest.raises(ArtifactPathError, match="leads out"):
        job.artifact_path("link", "x.txt")
    with pytest.raises(ArtifactPathError):
        job.upload_artifact("../escape.txt", "x")
    assert not (job.job_dir / "escape.txt").exists()


def test_upload_artifact_bytes_text_and_file(tmp_path: Path) -> None:
    job = _init(tmp_path)
    job.upload_artifact("a.bin", b"\x00\x01")
    job.upload_artifact("notes/b.txt", "héllo")
    source = tmp_path / "c.dat"
    source.write_bytes(b"x" * 1000)
    job.upload_artifact("c.dat", source)
    assert (job.artifacts_dir / "a.bin").read_bytes() == b"\x00\x01"
    assert (job.artifacts_dir / "notes" / "b.txt").read_text() == "héllo"
    assert (job.artifacts_dir / "c.dat").stat().st_size == 1000
    assert not list(job.artifacts_dir.rglob("*.tmp"))


@pytest.mark.parametrize(
    "bad",
    [
        float("nan"),
        float("inf"),
        object(),
        [1, float("nan")],
        {"a": {1: 2}},
        {"cm": [[1, float("inf")]]},
    ],
)
def test_bad_metrics_raise_when_added(tmp_path: Path, bad: Any) -> None:
    job = _init(tmp_path)
    with pytest.raises(MetricError):
        job.add_output_metric("m", bad)
    with pytest.raises(MetricError):
        job.add_output_metrics({"ok": 1, "bad": bad})
    assert dict(job.metrics) == {}


def test_output_json_content(tmp_path: Path) -> None:
    job = _init(tmp_path, "--token", SECRET, api_key=API_KEY, env={"BUILD_ID": "b-42"})
    quick = _json(tmp_path / "job" / "artifacts" / "output.json")["environment"]  # written at start
    assert "platform" not in quick and "packages" not in quick and quick["BUILD_ID"] == "b-42"
    job.add_output_metric("accuracy", 0.9)
    job.add_output_metrics({"per_class": {"good": 0.95, "bad": 0.85}, "note": "ok", "done": True})
    document = _json(job.upload_job_output())
    assert document["output"] == {
        "accuracy": 0.9, "per_class": {"good": 0.95, "bad": 0.85}, "note": "ok", "done": True,
    }  # fmt: skip
    assert document["environment"]["BUILD_ID"] == "b-42"
    assert document["environment"]["python"].startswith("3.")
    assert document["environment"]["platform"].startswith(platform.system())
    assert list(document) == ["output", "environment", "job"]  # the platform's keys
    config = document["job"]
    assert config["api_key"] == "********"
    assert config["settings"]["token"] == "********"
    assert config["settings"]["training"] == {"epochs": 10, "lr": 0.1}
    assert config["settings"]["sizes"] == "[32, 32]"


def test_complete_once_with_outside_archive(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    job = _init(tmp_path)
    archive = tmp_path / "elsewhere" / "model.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(b"model")
    scratch = job.temp_dir
    (scratch / "x").write_text("tmp")
    assert job.complete_job(archive) == "artifacts/model.tar.gz"
    assert (job.artifacts_dir / "model.tar.gz").read_bytes() == b"model"
    status = _json(job.job_dir / "status.json")
    assert status["status"] == "completed" and status["model_path"] == "artifacts/model.tar.gz"
    assert not scratch.exists()
    with caplog.at_level(logging.INFO, logger="brevetti_job"):
        assert job.complete_job(archive) is None
        job.fail("late")
    assert "already completed" in caplog.text
    assert _json(job.job_dir / "status.json")["status"] == "completed"


def test_archive_inside_the_job_dir_is_not_copied(tmp_path: Path) -> None:
    job = _init(tmp_path)
    archive = job.artifact_path("saved_model.tar.gz")
    archive.write_bytes(b"m")
    assert job.complete_job(archive) == "artifacts/saved_model.tar.gz"
    with pytest.raises(JobArgumentError, match="does not exist"):
        _init(tmp_path, job_dir=tmp_path / "j2").complete_job(tmp_path / "missing.tar.gz")


def test_with_block_completes_or_fails(tmp_path: Path) -> None:
    with _init(tmp_path, job_dir=tmp_path / "ok") as job:
        job.add_output_metric("m", 1)
    assert _json(tmp_path / "ok" / "status.json")["status"] == "completed"
    with pytest.raises(ZeroDivisionError), _init(tmp_path, job_dir=tmp_path / "bad"):
        1 / 0  # noqa: B018
    status = _json(tmp_path / "bad" / "status.json")
    assert status["status"] == "failed"
    assert status["reason"] == "ZeroDivisionError: division by zero"


def test_fail_reason_is_bounded_and_masks_the_key(tmp_path: Path) -> None:
    job = _init(tmp_path, api_key=API_KEY)
    job.fail(f"bad {API_KEY} " + "x" * 10000)
    reason = _json(job.job_dir / "status.json")["reason"]
    assert len(reason) <= 4096 and API_KEY not in reason


def test_subclass_run_and_start(tmp_path: Path) -> None:
    class Train(Job):
        def run(self) -> Path:
            self.add_output_metric("epochs", self.settings.training.epochs)
            path = self.artifact_path("model.bin")
            path.write_bytes(b"w")
            return path

    job = Train.init(
        schema=_builder(), argv=["--training.epochs=3"], env={}, job_dir=tmp_path / "j"
    )
    assert job.start() == "artifacts/model.bin"
    assert _json(tmp_path / "j" / "artifacts" / "output.json")["output"] == {"epochs": 3}


def test_progress_log_and_charts(tmp_path: Path) -> None:
    job = _init(tmp_path)
    for epoch in range(3):
        job.report_progress(epoch, loss=1.0 / (epoch + 1))
    lines = (job.job_dir / "progress.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [0, 1, 2]
    spec = {"mark": "line", "data": {"values": [{"x": 1}]}}
    assert _json(job.upload_chart("curve", spec)) == spec
    with pytest.raises(ArtifactPathError):
        job.upload_chart("../x", spec)
    with pytest.raises(MetricError):
        job.report_progress(3, loss=float("nan"))


def test_secrets_and_key_absent_from_every_file(tmp_path: Path) -> None:
    with _init(tmp_path, "--token", SECRET, "--api_key", API_KEY) as job:
        job.add_output_metric("m", 1)
        assert SECRET not in repr(job.settings) and SECRET not in str(job.settings.token)
        assert job.settings.token.reveal() == SECRET
        assert API_KEY not in repr(job.description)
    for path in (tmp_path / "job").rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            assert SECRET.encode() not in text, path
            assert API_KEY.encode() not in text, path


def test_init_does_not_touch_process_globals(tmp_path: Path) -> None:
    import sys

    root_handlers = list(logging.getLogger().handlers)
    hook = sys.excepthook
    argv = list(sys.argv)
    _init(tmp_path)
    assert logging.getLogger().handlers == root_handlers
    assert sys.excepthook is hook and sys.argv == argv


def test_writes_after_the_end_are_refused(tmp_path: Path) -> None:
    job = _init(tmp_path)
    job.complete_job()
    for write in (
        lambda: job.add_output_metric("m", 1),
        lambda: job.add_output_metrics({"m": 1}),
        lambda: job.upload_artifact("a.txt", "x"),
        lambda: job.upload_chart("c", {"mark": "line"}),
        lambda: job.report_progress(1, loss=0.1),
        lambda: job.upload_job_output(),
    ):
        with pytest.raises(JobStateError, match="has completed"):
            write()


def test_sys_exit_zero_inside_the_block_completes(tmp_path: Path) -> None:
    with pytest.raises(SystemExit), _init(tmp_path):
        raise SystemExit(0)
    assert _json(tmp_path / "job" / "status.json")["status"] == "completed"
    with pytest.raises(SystemExit), _init(tmp_path, job_dir=tmp_path / "j2"):
        raise SystemExit(3)
    assert _json(tmp_path / "j2" / "status.json")["reason"] == "SystemExit: 3"


def test_preset_without_schema_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(JobConfigError, match="needs a schema"):
        _init(tmp_path, "--preset", "quick", schema=None)


def test_invalid_settings_job_stays_inspectable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError):
        _init(tmp_path, "--training.epochs", "0", job_id="bad-1")
    info = _json(tmp_path / "job" / "info.json")
    assert info["id"] == "bad-1" and "api_key" not in info


def test_kind_argument_makes_a_report(tmp_path: Path) -> None:
    assert _init(tmp_path, kind="report").kind == "report"
    with pytest.raises(JobConfigError, match="kind"):
        _init(tmp_path, kind="training")


def test_description_repr_hides_the_key_in_urls() -> None:
    from brevetti_job import JobDescription

    description = JobDescription.from_json(
        {
            "id": "m1",
            "api_key": API_KEY,
            "complete_url": f"/api/models/m1/complete?key={API_KEY}&modelPath=",
        }
    )
    assert API_KEY not in repr(description)
    assert description.complete_url is not None and API_KEY in description.complete_url


def test_a_broken_settings_file_stops_the_job_before_it_starts(tmp_path: Path) -> None:
    broken = tmp_path / "s.yaml"
    broken.write_text("training:\n  epochs: [1\n")
    with pytest.raises(SettingsError) as info:
        _init(tmp_path, "--settings", str(broken))
    assert "s.yaml:" in info.value.problems[0].message
    assert not (tmp_path / "job").exists()  # no folder, no status.json


def test_settings_warnings_are_kept(tmp_path: Path) -> None:
    job = _init(tmp_path, settings={"trainin": {"epochs": 3}})
    assert [w.path for w in job.settings_warnings] == ["trainin"]
    assert "did you mean 'training'" in job.settings_warnings[0].message
