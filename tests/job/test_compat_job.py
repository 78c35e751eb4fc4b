"""brevettiai's job API (`brevetti_job.compat.Job`): brevettiai-era job scripts run
unchanged but for the import, in local mode and against the dev platform."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import runpy
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brevetti_job import (
    JobArgumentError,
    JobConfigError,
    JobStateError,
    MetricError,
    SettingsError,
    Storage,
    StorageError,
)
from brevetti_job.compat import Job, SettingsView
from brevetti_schema import emit_platform_ui, load_schema

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).with_name("brevettiai_scripts")
SCHEMA = SCRIPTS / "settings-schema.json"
RAYGUN = "rg_RAYGUNSECRET_1"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    env["BREVETTI_HYPERPARAMETERS_FILE"] = str(tmp_path / "no-hyperparameters.json")
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def _run(tmp_path: Path, script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args], cwd=tmp_path, env=_env(tmp_path, **env),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _last_json_line(text: str) -> Any:
    return json.loads([line for line in text.splitlines() if line.startswith("{")][-1])


def _assert_reached_the_platform(object_store: Any, devserver: Any, job: Any, job_dir: Path) -> Any:
    """What the job left in its storage folder on the object store is what it made
    locally: output.json (read from the store itself, with the platform's ``job`` key,
    the key masked, the package list) and every artifact, byte for byte. Returns the
    stored output.json."""
    bucket = job.data_bucket.removeprefix("s3://")
    client = object_store.client()
    body = client.get_object(Bucket=bucket, Key=f"{job.id}/artifacts/output.json")["Body"].read()
    assert job.api_key.encode() not in body
    stored = json.loads(body)
    assert stored == _json(job_dir / "artifacts" / "output.json")
    assert stored["job"]["id"] == job.id and "config" not in stored
    assert stored["environment"]["packages"]["brevetti-toolkit"]
    state = devserver.state(job.id)
    assert state["output"] == stored
    folder = job_dir / "artifacts"
    local = {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "output.json"
    }
    assert {a["name"]: a["sha256"] for a in state["artifacts"]} == local
    return stored


@pytest.fixture(autouse=True)
def _root_logger() -> Iterator[None]:
    """compat's init configures the root logger as brevettiai did; put it back after."""
    root, urllib3 = logging.getLogger(), logging.getLogger("urllib3")
    level, handlers, urllib3_level = root.level, list(root.handlers), urllib3.level
    yield
    root.setLevel(level)
    root.handlers[:] = handlers
    urllib3.setLevel(urllib3_level)


# -- the 0.5-era script -----------------------------------------------------------------


def test_a_0_5_era_script_runs_locally(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    args = [
        "--job_dir", str(job_dir), "--model_id", "m-05", "--training.epochs", "3",
        "--data_bucket", "s3://data", "--raygun_api_key", RAYGUN, "--note", "kept",
    ]  # fmt: skip
    result = _run(tmp_path, "train_0_5.py", *args)
    assert result.returncode == 0, result.stderr
    printed = _last_json_line(result.stdout)
    assert printed["extra"] == {"note": "kept"} and printed["augment"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d{6}", printed["run_id"])
    assert "INFO" in result.stderr  # logging configured at INFO, as brevettiai did
    assert "argument --note is no setting: kept in settings.extra" in result.stderr
    status = _json(job_dir / "status.json")
    assert status["status"] == "completed"
    assert status["model_path"] == "artifacts/saved_model.tar.gz"
    output = _json(job_dir / "artifacts" / "output.json")
    assert output["output"] == {
        "epochs": 3,
        "accuracy": 0.875,
        "per_class": {"ok": 0.9, "bad": 0.85},
        "confusion": [[40, 2], [3, 35]],
    }
    assert "packages" in output["environment"]
    artifacts = job_dir / "artifacts"
    assert len(_json(artifacts / "history.json")) == 3
    assert (artifacts / "reports" / "summary.txt").read_text() == "epochs: 3\n"
    assert (artifacts / "plots" / "loss.csv").read_text().startswith("epoch,loss\n1,1.0\n")
    assert _json(job_dir / "charts" / "loss.json")["mark"] == "line"
    with tarfile.open(artifacts / "saved_model.tar.gz") as tar:
        member = tar.extractfile("model.json")
        assert member is not None and json.load(member) == {"image_size": [32, 32]}
    for path in job_dir.rglob("*"):
        if path.is_file():
            assert RAYGUN.encode() not in path.read_bytes(), path
    assert RAYGUN not in result.stdout + result.stderr


def test_a_0_5_era_script_with_bad_settings_fails_clearly(tmp_path: Path) -> None:
    result = _run(
        tmp_path, "train_0_5.py", "--job_dir", str(tmp_path / "j"), "--training.epochs", "0"
    )
    assert result.returncode == 1
    assert "training.epochs" in result.stderr and "below the minimum" in result.stderr
    assert _json(tmp_path / "j" / "status.json")["status"] == "failed"


def _run_on_the_dev_platform(
    tmp_path: Path, script: str, devserver: Any, job: Any, *extra: str
) -> tuple[Any, Path, dict[str, Any]]:
    """Run a brevettiai-era script as the platform's launcher does (the job's id, key and
    host as flags, its storage space in the environment); it must complete once. The run,
    the job folder and the dev platform's record of the job."""
    job_dir = tmp_path / "job"
    result = _run(
        tmp_path, script, "--model_id", job.id, "--api_key", job.api_key,
        "--host", devserver.base_url, "--job_dir", str(job_dir), *extra, **job.storage_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    state = devserver.state(job.id)
    assert state["status"] == "completed" and state["completions"] == 1
    return result, job_dir, state


def test_a_0_5_era_script_against_the_dev_platform(
    devserver: Any, object_store: Any, tmp_path: Path
) -> None:
    job = devserver.create_job(json.loads(SCHEMA.read_text()), settings={"training": {"epochs": 4}})
    result, job_dir, state = _run_on_the_dev_platform(
        tmp_path, "train_0_5.py", devserver, job, "--run_locally", "False"
    )
    assert state["model_path"] == "artifacts/saved_model.tar.gz"
    assert state["output"]["output"]["epochs"] == 4
    assert state["output"] == _json(job_dir / "artifacts" / "output.json")
    names = {a["name"] for a in state["artifacts"]}
    assert {"history.json", "reports/summary.txt", "saved_model.tar.gz"} <= names
    assert state["charts"]["loss"]["mark"] == "line"
    assert job.api_key not in result.stdout + result.stderr
    stored = _assert_reached_the_platform(object_store, devserver, job, job_dir)
    assert stored["output"]["confusion"] == [[40, 2], [3, 35]]
    assert stored["job"]["settings"]["training"]["epochs"] == 4


# -- the 2.0-era script -----------------------------------------------------------------


def test_a_2_0_era_subclass_with_pydantic_settings_runs_locally(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    args = ["--job_dir", str(job_dir), "--training.epochs", "5", "--training.optimizer", "sgd"]
    result = _run(tmp_path, "train_2_0.py", *args, "--unknown.flag", "1")
    assert result.returncode == 0, result.stderr
    printed = _last_json_line(result.stdout)
    assert printed["type"] == "Settings" and printed["extra"] == {"unknown": {"flag": "1"}}
    output = _json(job_dir / "artifacts" / "output.json")
    assert output["output"] == {
        "epochs": 5,
        "optimizer": "sgd",
        "seed": None,
        "classes": ["good", "bad"],
    }
    status = _json(job_dir / "status.json")
    assert status["status"] == "completed"
    assert status["model_path"] == "artifacts/model/saved_model.bin"
    assert (job_dir / "artifacts" / "notes.txt").read_text() == "trained on good, bad\n"
    assert _json(job_dir / "charts" / "sizes.json")["data"]["values"] == [{"s": 64}]


def test_a_2_0_era_subclass_refuses_bad_settings(tmp_path: Path) -> None:
    args = ["--job_dir", str(tmp_path / "j"), "--training.optimizer", "rmsprop"]
    result = _run(tmp_path, "train_2_0.py", *args)
    assert result.returncode == 1
    assert "training.optimizer" in result.stderr
    assert _json(tmp_path / "j" / "status.json")["status"] == "failed"


def test_a_2_0_era_subclass_against_the_dev_platform(
    devserver: Any, object_store: Any, tmp_path: Path
) -> None:
    namespace = runpy.run_path(str(SCRIPTS / "train_2_0.py"), run_name="train_2_0")
    ui = emit_platform_ui(load_schema(namespace["Settings"]))
    job = devserver.create_job(ui, settings={"training": {"epochs": 7}, "classes": '["x"]'})
    result, job_dir, state = _run_on_the_dev_platform(tmp_path, "train_2_0.py", devserver, job)
    assert state["model_path"] == "artifacts/model/saved_model.bin"
    assert state["output"]["output"]["epochs"] == 7
    assert state["output"]["output"]["classes"] == ["x"]
    assert {"notes.txt", "model/saved_model.bin"} <= {a["name"] for a in state["artifacts"]}
    assert state["charts"]["sizes"]["mark"] == "bar"
    assert job.api_key not in result.stdout + result.stderr
    stored = _assert_reached_the_platform(object_store, devserver, job, job_dir)
    assert stored["output"] == {"epochs": 7, "optimizer": "adam", "seed": None, "classes": ["x"]}
    printed = _last_json_line(result.stdout)
    assert printed["type"] == "Settings" and printed["extra"] == {}


# -- the 0.5 way of declaring settings: a nested Settings class ---------------------------


def test_a_0_5_era_job_with_a_nested_settings_class_runs_locally(tmp_path: Path) -> None:
    """brevettiai 0.5 took a Job subclass's nested ``Settings`` (a VueSettingsModule) as
    its schema and made `job.settings` an instance of it; so do we (not raw text: the
    checkbox's ``false`` is False, the JSON list a list)."""
    job_dir = tmp_path / "job"
    args = ["--job_dir", str(job_dir), "--epochs", "4", "--augmentation.flip", "false",
            "--classes", '["a", "b"]', "--note", "x"]  # fmt: skip
    result = _run(tmp_path, "train_0_5_nested.py", *args)
    assert result.returncode == 0, result.stderr
    assert _last_json_line(result.stdout) == {"type": "Settings", "augmentation": "Augmentation"}
    output = _json(job_dir / "artifacts" / "output.json")
    assert output["output"] == {"epochs": 4, "classes": ["a", "b"], "flip": False, "gamma": 1.0}
    assert _json(job_dir / "artifacts" / "config.json") == {
        "augmentation": {"flip": False, "gamma": 1.0}, "classes": ["a", "b"], "epochs": 4,
    }  # fmt: skip
    assert _json(job_dir / "status.json")["status"] == "completed"
    bad = _run(tmp_path, "train_0_5_nested.py", "--job_dir", str(tmp_path / "b"), "--epochs", "x")
    assert bad.returncode == 1 and "epochs" in bad.stderr


def test_a_0_5_era_job_with_a_nested_settings_class_against_the_dev_platform(
    devserver: Any, object_store: Any, tmp_path: Path
) -> None:
    namespace = runpy.run_path(str(SCRIPTS / "train_0_5_nested.py"), run_name="nested")
    form = namespace["TrainJob"].Settings.get_schema().schema  # the form 0.5 generated
    settings = {"epochs": 6, "classes": '["ok"]', "augmentation": {"flip": False}}
    job = devserver.create_job(form, settings=settings)
    result, job_dir, _ = _run_on_the_dev_platform(tmp_path, "train_0_5_nested.py", devserver, job)
    stored = _assert_reached_the_platform(object_store, devserver, job, job_dir)
    assert stored["output"] == {"epochs": 6, "classes": ["ok"], "flip": False, "gamma": 1.0}
    assert job.api_key not in result.stdout + result.stderr


def test_a_nested_settings_class_in_process(tmp_path: Path) -> None:
    from brevetti_schema.compat import VueSettingsModule

    class Legacy(Job):
        class Settings(VueSettingsModule):
            def __init__(self, epochs: int = 3, extra: dict[str, Any] | None = None) -> None:
                self.epochs, self.extra = epochs, extra or {}

    job = Legacy.init(argv=["--epochs", "5", "--other", "1"], env={}, job_dir=tmp_path / "j")
    assert isinstance(job.settings, Legacy.Settings) and job.settings.epochs == 5
    assert job.settings.extra == {}  # a setting of that name stays the setting
    given = Legacy.init(schema=SCHEMA, argv=[], env={}, job_dir=tmp_path / "k")
    assert not isinstance(given.settings, VueSettingsModule)  # a schema given wins
    assert given.settings.training.epochs == 2


# -- the API, in-process ----------------------------------------------------------------


def _init(tmp_path: Path, *argv: str, **kw: Any) -> Job:
    kw.setdefault("job_dir", tmp_path / "job")
    kw.setdefault("env", {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json")})
    kw.setdefault("schema", SCHEMA)
    return Job.init(argv=list(argv), **kw)


def test_init_configures_logging_as_brevettiai_did(tmp_path: Path) -> None:
    logging.getLogger().setLevel(logging.WARNING)
    _init(tmp_path)
    assert logging.getLogger().level == logging.INFO
    _init(tmp_path, log_level=logging.DEBUG, job_dir=tmp_path / "j2")
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("urllib3").level == logging.WARNING


def test_paths(tmp_path: Path) -> None:
    job = _init(tmp_path)
    artifacts = tmp_path / "job" / "artifacts"
    assert job.artifacts_path == str(artifacts)
    assert job.job_dir == str(tmp_path / "job")
    assert job.artifact_path("a", "b.txt") == str(artifacts / "a" / "b.txt")
    assert (artifacts / "a").is_dir() and not (artifacts / "a" / "b.txt").exists()
    assert Path(job.artifact_path("pivot", dir=True)).is_dir()
    temp = Path(job.temp_path("cache", dir=True))
    assert temp.is_dir() and temp.parent == job.temp_root
    assert Path(job.temp_path("x", "y.bin")).parent.is_dir()
    with pytest.raises(Exception, match=r"\.\."):
        job.artifact_path("..", "escape.txt")
    job.complete()
    assert not temp.exists()  # the temporary folder goes with the job


def test_cache_path_is_the_temporary_folder_and_stays(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    job = _init(tmp_path, cache_path=str(cache))
    assert job.temp_path("f.bin") == str(cache / "f.bin")
    job.complete()
    assert cache.is_dir()
    assert _init(tmp_path, "--cache_path", str(cache), job_dir=tmp_path / "j2").temp_root == cache


def test_upload_artifact_forms(tmp_path: Path) -> None:
    job = _init(tmp_path)
    assert job.upload_artifact("t.txt", "text") == "artifacts/t.txt"
    assert job.upload_artifact(("deep", "b.bin"), b"\x00\x01") == "artifacts/deep/b.bin"
    source = tmp_path / "source.dat"
    source.write_bytes(b"file")
    assert job.upload_artifact("copy.dat", str(source), is_file=True) == "artifacts/copy.dat"
    artifacts = tmp_path / "job" / "artifacts"
    assert (artifacts / "deep" / "b.bin").read_bytes() == b"\x00\x01"
    assert (artifacts / "copy.dat").read_bytes() == b"file"
    with pytest.raises(JobArgumentError, match="not a file"):
        job.upload_artifact("missing.dat", str(tmp_path / "nope"), is_file=True)


def test_io_reads_and_writes_inside_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _init(tmp_path)
    path = job.artifact_path("info.txt")
    job.io.write_file(path, "Valuable information")
    assert job.io.read_file(path) == b"Valuable information"
    scratch = job.temp_path("s.bin")
    job.io.write_file(scratch, b"\x01")
    job.io.copy(scratch, job.artifact_path("s-copy.bin"))
    assert Path(job.artifact_path("s-copy.bin")).read_bytes() == b"\x01"
    assert job.io.path.join("a", "b") == str(Path("a") / "b")
    with pytest.raises(JobArgumentError, match="inside its folder"):
        job.io.write_file(tmp_path / "outside.txt", "x")
    with pytest.raises(JobStateError, match="no remote storage"):
        job.io.read_file("s3://bucket/key")
    with pytest.raises(StorageError, match=r"missing\.txt"):
        job.io.read_file(tmp_path / "missing.txt")
    relative = tmp_path / "rel.txt"
    relative.write_text("from the working folder")
    monkeypatch.chdir(tmp_path)
    assert job.io.read_file("rel.txt") == b"from the working folder"


def test_io_uses_the_jobs_own_storage_when_it_has_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _init(tmp_path)
    data = tmp_path / "dataset"
    data.mkdir()
    (data / "a.txt").write_text("sample")
    own = Storage(root=data)
    monkeypatch.setattr(type(job.main), "storage", property(lambda self: own))
    assert job.io._files.storage() is own
    assert job.io.read_file(data / "a.txt") == b"sample"
    job.io.write_file(job.artifact_path("b.txt"), "via upload")
    assert (tmp_path / "job" / "artifacts" / "b.txt").read_text() == "via upload"


def test_io_reads_s3_urls_of_the_job_and_its_datasets_on_the_dev_platform(
    devserver: Any, tmp_path: Path
) -> None:
    """Issue 12: `io.read_file` / `io.write_file` on top of `job.storage`: against the dev
    platform a dataset file and the job's own artifact are read by their ``s3://`` URL,
    with the job's scoped credentials (another job's folder is refused by the store)."""
    dataset = devserver.create_dataset("io", {"ok/a.txt": b"sample-bytes"})
    job = devserver.create_job(json.loads(SCHEMA.read_text()), datasets=[dataset["id"]])
    other = devserver.create_job(json.loads(SCHEMA.read_text()))
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **job.storage_env}
    compat = Job.init(
        job.id, job.api_key, job_dir=str(tmp_path / "j"), host=devserver.base_url, argv=[],
        env=env, schema=SCHEMA,
    )  # fmt: skip
    assert compat.mode == "platform"
    assert compat.io.read_file(f"{job.data_bucket}/{dataset['id']}/ok/a.txt") == b"sample-bytes"
    compat.io.write_file(compat.artifact_path("n.txt"), "hello")
    assert compat.io.read_file(f"{job.data_bucket}/{job.id}/artifacts/n.txt") == b"hello"
    with pytest.raises(StorageError):
        compat.io.read_file(f"{job.data_bucket}/{other.id}/info.json")
    with pytest.raises(JobArgumentError, match="by path"):
        compat.io.write_file(f"{job.data_bucket}/{job.id}/artifacts/x.txt", "x")
    compat.complete_job()
    assert {"n.txt"} <= {a["name"] for a in devserver.state(job.id)["artifacts"]}


def test_metrics_output_and_job_output(tmp_path: Path) -> None:
    job = _init(tmp_path)
    job.add_output_metric("accuracy", 0.5)
    job.add_output_metrics({"f1": [0.1, 0.2]})
    with pytest.raises(MetricError):
        job.add_output_metric("bad", float("nan"))
    assert job.job_output["output"] == {"accuracy": 0.5, "f1": [0.1, 0.2]}
    assert job.upload_job_output() == "artifacts/output.json"
    assert _json(tmp_path / "job" / "artifacts" / "output.json")["output"]["f1"] == [0.1, 0.2]
    assert job.upload_job_output("copy.json") == "artifacts/copy.json"
    assert _json(tmp_path / "job" / "artifacts" / "copy.json")["output"]["accuracy"] == 0.5


def test_settings_extra_from_the_description_and_arguments(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    info = {
        "id": "d1",
        "name": "n",
        "settings": {"training": {"epochs": 4, "old": 1}, "legacy": "x"},
    }
    (folder / "info.json").write_text(json.dumps(info))
    job = _init(tmp_path, "--new.arg", "v", "--flag=1")
    assert isinstance(job.settings, SettingsView)
    assert job.settings.training.epochs == 4
    assert job.settings.extra == {
        "training": {"old": 1},
        "legacy": "x",
        "new": {"arg": "v"},
        "flag": "1",
    }
    assert job.main.settings.training.epochs == 4


def test_without_a_schema_settings_read_like_attributes(tmp_path: Path) -> None:
    job = _init(tmp_path, "--a.b", "1", schema=None)
    assert job.settings.a.b == "1" and job.settings["a"]["b"] == "1"
    assert job.settings.extra == {}
    with pytest.raises(AttributeError):
        job.settings.missing  # noqa: B018


def test_run_id_comes_from_the_description(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "info.json").write_text(json.dumps({"id": "d1", "name": "n", "run_id": "r-7"}))
    assert _init(tmp_path).run_id == "r-7"


def test_complete_forms(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"archive")
    job = _init(tmp_path, job_dir=tmp_path / "a")
    assert job.complete(tmp_package_path=str(archive)) == "artifacts/saved_model.tar.gz"
    assert (tmp_path / "a" / "artifacts" / "saved_model.tar.gz").read_bytes() == b"archive"

    job = _init(tmp_path, job_dir=tmp_path / "b")
    inside = Path(job.artifact_path("m.bin"))
    inside.write_bytes(b"m")
    assert job.complete_job(package_path=str(inside)) == "artifacts/m.bin"
    assert _json(tmp_path / "b" / "status.json")["model_path"] == "artifacts/m.bin"

    job = _init(tmp_path, job_dir=tmp_path / "c")
    with pytest.raises(JobArgumentError, match="must lie in the job folder"):
        job.complete(package_path=str(archive))
    assert job.complete(output_args="&x=1") == ""
    assert _json(tmp_path / "c" / "status.json")["status"] == "completed"


class _Subclass(Job):
    result: Any = None

    def run(self) -> Any:
        self.add_output_metric("ran", True)
        return self.result


def test_start_completes_fails_or_leaves_running(tmp_path: Path) -> None:
    job = _Subclass.init(schema=SCHEMA, argv=[], env={}, job_dir=tmp_path / "ok")
    assert job.start(resolve_access_rights=False, cache_remote_files=False) is None
    assert _json(tmp_path / "ok" / "status.json")["status"] == "completed"

    job = _Subclass.init(schema=SCHEMA, argv=[], env={}, job_dir=tmp_path / "open")
    job.start(complete_job=False)
    assert _json(tmp_path / "open" / "status.json")["status"] == "running"
    assert job.ended is None
    job.complete()

    class Boom(_Subclass):
        def run(self) -> Any:
            raise RuntimeError("diverged")

    job = Boom.init(schema=SCHEMA, argv=[], env={}, job_dir=tmp_path / "boom")
    with pytest.raises(RuntimeError):
        job.start()
    status = _json(tmp_path / "boom" / "status.json")
    assert status["status"] == "failed" and status["reason"] == "RuntimeError: diverged"


def test_job_config_is_a_description_given_as_data(tmp_path: Path) -> None:
    config = {"id": "cfg-1", "name": "From config", "api_key": "k-CONFIGKEY", "settings": {}}
    job = Job.init(job_config=config, schema=SCHEMA, argv=[], env={}, job_dir=tmp_path / "j")
    assert (job.id, job.name, job.api_key) == ("cfg-1", "From config", "k-CONFIGKEY")
    assert job.settings.training.epochs == 2
    for path in (tmp_path / "j").rglob("*"):
        assert b"k-CONFIGKEY" not in path.read_bytes() if path.is_file() else True
    with pytest.raises(JobConfigError, match="not both"):
        Job.init(job_config=config, info_file="x.json", schema=SCHEMA, argv=[], env={})


def test_job_config_is_the_description_in_platform_mode_too(devserver, tmp_path: Path) -> None:
    """brevettiai took a passed config as the job: against the dev platform the job
    connects with the config's key and reports there, with the config's settings."""
    job = devserver.create_job(json.loads(SCHEMA.read_text()), settings={"training": {"epochs": 4}})
    config = {
        "id": job.id, "name": "From config", "api_key": job.api_key,
        "host_name": devserver.base_url, "settings": {"training": {"epochs": 9}},
    }  # fmt: skip
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **job.storage_env}
    job_dir = tmp_path / "job"
    compat = Job.init(
        job_config=config, host=devserver.base_url, schema=SCHEMA, argv=[], env=env,
        job_dir=job_dir,
    )  # fmt: skip
    assert compat.mode == "platform" and compat.id == job.id and compat.name == "From config"
    assert compat.settings.training.epochs == 9  # the config's, not the platform's 4
    compat.add_output_metric("epochs", compat.settings.training.epochs)
    compat.complete_job()
    state = devserver.state(job.id)
    assert state["status"] == "completed" and state["output"]["output"] == {"epochs": 9}
    assert state["output"]["job"]["settings"]["training"]["epochs"] == 9
    info = _json(job_dir / "info.json")
    assert info["name"] == "From config" and "api_key" not in info
    for path in job_dir.rglob("*"):
        assert job.api_key.encode() not in path.read_bytes() if path.is_file() else True

    other = dict(config, id="another-job")
    with pytest.raises(JobConfigError, match="is of job another-job, not of job"):
        Job.init(
            job.id, job_config=other, host=devserver.base_url, schema=SCHEMA, argv=[],
            env=env, job_dir=tmp_path / "other",
        )  # fmt: skip


class _Small(Job):
    pass


class _Large(Job):
    pass


def test_type_selector_picks_the_job_class(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "info.json").write_text(json.dumps({"id": "t1", "name": "big", "settings": {}}))

    def by_name(description: dict[str, Any]) -> type[Job]:
        return _Large if description["name"] == "big" else _Small

    job = Job.init(type_selector=by_name, schema=SCHEMA, argv=[], env={}, job_dir=folder)
    assert type(job) is _Large
    job = Job.init(type_selector=[_Small, _Large], schema=SCHEMA, argv=[], env={}, job_dir=folder)
    assert type(job) is _Small
    with pytest.raises(JobConfigError, match="needs the job description"):
        Job.init(type_selector=[_Small], schema=SCHEMA, argv=[], env={}, job_dir=tmp_path / "new")
    config = {"id": "t2", "name": "big", "settings": {}}
    job = Job.init(
        type_selector=by_name, job_config=config, schema=SCHEMA, argv=[], env={},
        job_dir=tmp_path / "from-config",
    )  # fmt: skip
    assert type(job) is _Large and job.id == "t2"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("init", ["job_id", "api_key", "cache_path", "info_file", "type_selector", "job_config",
                  "log_level", "kwargs"]),
        ("artifact_path", ["paths", "dir"]),
        ("temp_path", ["paths", "dir"]),
        ("upload_artifact", ["artifact_name", "payload", "is_file"]),
        ("upload_chart", ["name", "vegalite_json"]),
        ("add_output_metric", ["key", "metric"]),
        ("add_output_metrics", ["metrics"]),
        ("upload_job_output", ["path"]),
        ("complete", ["tmp_package_path", "package_path", "output_args"]),
        ("complete_job", ["tmp_package_path", "package_path", "output_args"]),
        ("start", ["resolve_access_rights", "cache_remote_files", "set_credentials",
                   "complete_job"]),
    ],
)  # fmt: skip
def test_the_methods_take_brevettiais_arguments_in_brevettiais_order(
    method: str, expected: list[str]
) -> None:
    """Issue 12: "Cover, with brevettiai's argument names and order" (2.0's `Job.init`)."""
    import inspect

    parameters = list(inspect.signature(getattr(Job, method)).parameters)
    assert [p for p in parameters if p not in ("self", "cls")] == expected


def test_init_keywords(tmp_path: Path) -> None:
    job = _init(tmp_path, io=object(), backend=object())  # brevettiai's own machinery
    assert job.id
    with pytest.raises(TypeError, match="no_such"):
        _init(tmp_path, no_such=1)
    with pytest.raises(SettingsError):
        _init(tmp_path, "--training.epochs", "0", job_dir=tmp_path / "bad")


@pytest.mark.parametrize("form", ["relative text", "Path", "yaml"])
def test_a_0_5_call_with_the_schema_path_first_runs_locally_with_that_schema(
    form: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """brevettiai 0.5's `Job.init` took `schema_path` first (`Job.init("settings-schema.json")`);
    2.0's order puts `job_id` there. An existing schema file there is the schema, with a
    warning at the caller's line, and the job is a local one of a fresh id."""
    monkeypatch.chdir(tmp_path)
    if form == "yaml":
        name = "settings.yaml"
        (tmp_path / name).write_text(
            "fields:\n  training:\n    type: section\n    fields:\n"
            "      epochs: {type: integer, default: 2, min: 1, max: 50}\n"
            "  image_size: {type: json, default: [32, 32]}\n"
        )
    else:
        name = "settings-schema.json"
        (tmp_path / name).write_text(SCHEMA.read_text())
    first: Any = tmp_path / name if form == "Path" else name
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json")}
    with pytest.warns(DeprecationWarning, match="pass it as schema_path= by keyword") as caught:
        job = Job.init(first, argv=["--training.epochs", "7"], env=env)
    assert [w.filename for w in caught] == [__file__]  # points at the script's call
    assert job.mode == "local" and job.id != name and job.id.startswith("local-")
    assert Path(job.job_dir) == tmp_path / "jobs" / job.id
    assert (job.settings.training.epochs, job.settings.image_size) == (7, [32, 32])
    assert job.settings.extra == {}
    with pytest.warns(DeprecationWarning), pytest.raises(SettingsError, match=r"training\.epochs"):
        Job.init(first, argv=["--training.epochs", "0"], env=env)  # that schema's minimum
    with pytest.raises(TypeError, match="schema_path= or schema= keyword as well"):
        Job.init(first, schema=SCHEMA, argv=[], env=env)


def test_a_compat_schema_builder_first_is_the_schema_too(tmp_path: Path) -> None:
    """0.5's `schema_path` could also be a `SchemaBuilder`; that is never a job id."""
    from brevetti_schema.compat import SchemaBuilder, number_input

    builder = SchemaBuilder(advanced=False).add_field(number_input("Epochs", "epochs", 4))
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json")}
    with pytest.warns(DeprecationWarning, match="schema_path="):
        job = Job.init(builder, argv=[], job_dir=tmp_path / "job", env=env)  # type: ignore[arg-type]
    assert job.settings.epochs == 4 and job.id.startswith("local-")


def test_a_job_id_first_stays_a_job_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Only an existing schema file is read as 0.5's `schema_path`: an id (a GUID, an
    existing file of another kind, a .json name that names no file) stays the job id,
    without a warning (warnings are errors in this suite)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a schema")
    (tmp_path / "folder.json").mkdir()
    ids = ["5c1e0d7a-8f31-4b6e-9a0c-2d4f6b8e1a3c", "notes.txt", "folder.json", "run.json"]
    for job_id in ids:
        job = Job.init(
            job_id, schema=SCHEMA, argv=[], job_dir=tmp_path / "j" / job_id,
            env={"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json")},
        )  # fmt: skip
        assert job.id == job_id
        assert job.settings.training.epochs == 2
    assert "job id 'run.json' names no file: a schema path goes in schema_path=" in caplog.text
    assert "'notes.txt' names no file" not in caplog.text


def test_a_float_gt_bound_the_form_shows_inclusive_is_still_refused_by_the_job(
    tmp_path: Path,
) -> None:
    """`from_pydantic_model` gives a float's ``gt=0`` as the form's inclusive ``min: 0``
    (the form has no exclusive key), and the form's own schema admits 0; a job whose
    settings are the pydantic class refuses 0 at `Job.init`, from the command line and
    from the platform's description alike, naming the field."""
    pydantic = pytest.importorskip("pydantic")
    from brevetti_schema import resolve_settings
    from brevetti_schema.compat import from_pydantic_model

    class Settings(pydantic.BaseModel):
        rate: float = pydantic.Field(0.1, gt=0)

    class Train(Job[Settings]):
        pass

    (record,) = from_pydantic_model(Settings).schema["fields"]
    assert record["min"] == 0 and "exclusiveMinimum" not in record
    assert resolve_settings(load_schema(from_pydantic_model(Settings)), {"rate": 0}).tree == {
        "rate": 0
    }
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json")}
    with pytest.raises(SettingsError, match=r"rate.*greater than 0") as from_argv:
        Train.init(argv=["--rate", "0"], job_dir=tmp_path / "a", env=env)
    assert [p.path for p in from_argv.value.problems] == ["rate"]
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "info.json").write_text(
        json.dumps({"id": "d1", "name": "n", "settings": {"rate": 0}})
    )
    with pytest.raises(SettingsError, match=r"rate.*greater than 0"):
        Train.init(argv=[], job_dir=folder, env=env)
    job = Train.init(argv=["--rate", "0.001"], job_dir=tmp_path / "c", env=env)
    assert isinstance(job.settings, Settings) and job.settings.rate == 0.001


def test_a_mistyped_setting_is_kept_with_a_did_you_mean(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    job = _init(tmp_path, "--trainng.epochs", "3")
    assert job.settings.extra == {"trainng": {"epochs": "3"}}
    assert job.settings.training.epochs == 2
    assert "did you mean --training.epochs?" in caplog.text


def test_unknown_hyperparameters_are_kept_in_extra_as_brevettiai_did(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On the hosted service brevettiai read the hyperparameter file as arguments, so a
    key that is no setting went to `settings.extra` like an unknown argument (the
    main API refuses it); the launcher's own keys are still ignored, and an argument
    of the same name wins over the file."""
    hyper = tmp_path / "hyperparameters.json"
    hyper.write_text(json.dumps({
        "model_id": "hp-1", "data_bucket": "s3://d", "raygun_api_key": RAYGUN,
        "sagemaker_program": "train.py", "training.epochs": "3", "note": "from-file",
        "trainng.epochs": "4", "both": "file",
    }))  # fmt: skip
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(hyper)}
    job = _init(tmp_path, "--both", "argv", env=env)
    assert job.id == "hp-1" and job.settings.training.epochs == 3
    assert job.settings.extra == {"note": "from-file", "trainng": {"epochs": "4"}, "both": "argv"}
    assert "hyperparameter trainng.epochs is no setting" in caplog.text
    assert "did you mean --training.epochs?" in caplog.text
    assert RAYGUN not in caplog.text
    with pytest.raises(JobConfigError, match="note"):  # the main API: still an error
        from brevetti_job import Job as MainJob

        MainJob.init(schema=SCHEMA, argv=[], env=env, job_dir=tmp_path / "main")


def test_importing_compat_does_not_import_pydantic(tmp_path: Path) -> None:
    code = "import sys, brevetti_job.compat\nprint('pydantic' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path,
        env=_env(tmp_path),
    ).stdout  # fmt: skip
    assert out.strip() == "False"
    import brevetti_job.compat as compat

    assert set(compat.__all__) == {"Job", "JobSettings"}
    assert "extra" in compat.JobSettings.model_fields


def test_the_main_api_is_reachable(tmp_path: Path) -> None:
    job = _init(tmp_path)
    job.report_progress(1, loss=0.5)  # not brevettiai's, forwarded to the main job
    assert job.mode == "local" and job.main.mode == "local"
    assert "KEY" not in repr(job)


def test_a_settings_class_of_your_own_is_kept_as_it_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from pydantic import BaseModel

    import brevetti_job.compat as compat

    class Plain(BaseModel):
        epochs: int = 2

    job = _init(tmp_path, "--epochs", "4", "--other", "x", schema=Plain)
    assert type(job.settings) is Plain and job.settings.epochs == 4
    assert "settings.extra is not kept: Plain has no 'extra' field" in caplog.text

    class WithExtra(compat.JobSettings):
        epochs: int = 2

    job = _init(tmp_path, "--other", "x", schema=WithExtra, job_dir=tmp_path / "j2")
    assert type(job.settings) is WithExtra and job.settings.extra == {"other": "x"}


def test_output_args_reach_the_completion_call_as_query_parameters(
    devserver, tmp_path: Path
) -> None:
    """brevettiai appended `output_args` to the completion URL: the same parameters go
    with our completion call (never a key, never a second modelPath)."""
    job = devserver.create_job(json.loads(SCHEMA.read_text()))
    job_dir = tmp_path / "job"
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **job.storage_env}
    compat = Job.init(
        job.id, job.api_key, job_dir=str(job_dir), host=devserver.base_url, argv=[], env=env
    )
    compat.complete(output_args="&score=0.9&key=stolen&modelPath=elsewhere&note=")
    assert devserver.state(job.id)["status"] == "completed"
    (complete,) = [
        r for r in map(_json, sorted((job_dir / "outbox" / "done").glob("*.json")))
        if r["op"] == "complete"
    ]  # fmt: skip
    params = [tuple(pair) for pair in complete["params"]]
    assert ("score", "0.9") in params and ("note", "") in params
    assert [k for k, _ in params].count("modelPath") == 1 and ("modelPath", "") in params
    assert "stolen" not in json.dumps(complete)
