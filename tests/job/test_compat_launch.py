"""Real launches of brevettiai-era jobs through the main API: the launcher's extra flags,
metric values of any JSON shape, charts as JSON text, and the package list in output.json."""

from __future__ import annotations

import json
import logging
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from brevetti_job import Job, JobArgumentError, JobArgumentTypeError, JobConfigError, MetricError
from brevetti_job._identity import LAUNCHER_FLAGS, parse_argv, resolve_identity
from brevetti_schema import SchemaBuilder

PATHS = ["training.epochs", "name"]
RAYGUN_KEY = "rg_SECRETRAYGUNKEY_42"


def _builder() -> SchemaBuilder:
    b = SchemaBuilder()
    with b.section("training") as t:
        t.integer("epochs", default=10, min=1)
    return b


def _env(tmp_path: Path, hyper: dict[str, Any] | None = None) -> dict[str, str]:
    path = tmp_path / "hyperparameters.json"
    if hyper is not None:
        path.write_text(json.dumps(hyper))
    return {"BREVETTI_HYPERPARAMETERS_FILE": str(path)}


def _init(tmp_path: Path, *argv: str, **kw: Any) -> Job:
    kw.setdefault("job_dir", tmp_path / "job")
    kw.setdefault("env", _env(tmp_path))
    return Job.init(schema=_builder(), argv=list(argv), **kw)


def test_brevettiai_launcher_flags_are_known() -> None:
    # every flag brevettiai's job argument parser defines is either used or ignored
    brevettiai_flags = {
        "host", "data_bucket", "job_dir", "model_id", "test_id", "api_key", "info_file",
        "cache_path", "raygun_api_key", "run_locally",
    }  # fmt: skip
    flags, overrides, _ = parse_argv([f"--{f}=v" for f in sorted(brevettiai_flags)], PATHS)
    assert overrides == []
    assert set(flags) == {"host", "job_dir", "job_id", "api_key", "info_file", "cache_path"}
    assert {"data_bucket", "raygun_api_key", "run_locally"} == LAUNCHER_FLAGS


def test_launcher_flags_are_ignored_with_a_debug_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="brevetti_job")
    argv = [
        "--data_bucket", "s3://data", "--raygun_api_key", RAYGUN_KEY, "--run_locally", "True",
        "--training.epochs", "3",
    ]  # fmt: skip
    job = _init(tmp_path, *argv)
    assert job.settings.training.epochs == 3
    ignored = [
        r.getMessage() for r in caplog.records if "ignoring the launcher's" in r.getMessage()
    ]
    assert len(ignored) == 3
    assert all(
        r.levelno == logging.DEBUG
        for r in caplog.records
        if "ignoring the launcher's" in r.getMessage()
    )
    assert any("--raygun_api_key" in line for line in ignored)
    assert RAYGUN_KEY not in caplog.text
    for path in job.job_dir.rglob("*"):
        if path.is_file():
            assert RAYGUN_KEY.encode() not in path.read_bytes(), path


def test_a_launcher_flag_without_value_is_skipped_alone() -> None:
    flags, overrides, _ = parse_argv(["--run_locally", "--model_id", "m1"], PATHS)
    assert flags == {"job_id": "m1"} and overrides == []
    flags, overrides, _ = parse_argv(["--model_id", "m1", "--run_locally"], PATHS)
    assert flags == {"job_id": "m1"} and overrides == []


def test_launcher_flags_never_become_settings_without_a_schema() -> None:
    _, overrides, _ = parse_argv(["--data_bucket", "s3://b", "--a.b", "1"], None)
    assert overrides == [("a.b", "1")]


def test_a_setting_named_like_a_launcher_flag_stays_a_setting() -> None:
    _, overrides, _ = parse_argv(["--data_bucket", "s3://b"], ["data_bucket"])
    assert overrides == [("data_bucket", "s3://b")]


def test_mistyped_override_is_still_an_error_with_did_you_mean(tmp_path: Path) -> None:
    with pytest.raises(JobConfigError, match=r"Did you mean --training\.epochs\?"):
        _init(tmp_path, "--data_bucket", "s3://data", "--trainng.epochs", "3")


def test_hyperparameter_file_launcher_keys_are_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="brevetti_job")
    hyper = {
        "model_id": "m1",
        "data_bucket": "s3://data",
        "raygun_api_key": RAYGUN_KEY,
        "run_locally": "False",
        "sagemaker_program": "train.py",
        "training.epochs": "4",
    }
    identity = resolve_identity({}, [], _env(tmp_path, hyper), PATHS)
    assert identity.job_id == "m1"
    assert identity.overrides == (("training.epochs", "4"),)
    assert sum("ignoring the launcher's" in r.getMessage() for r in caplog.records) == 4
    assert RAYGUN_KEY not in caplog.text
    none = resolve_identity({}, [], _env(tmp_path, hyper), None)
    assert none.overrides == (("training.epochs", "4"),)


def test_hyperparameter_file_typo_is_still_an_error(tmp_path: Path) -> None:
    env = _env(tmp_path, {"data_bucket": "s3://d", "trainng.epochs": "3"})
    with pytest.raises(JobConfigError, match=r"Did you mean --training\.epochs\?"):
        resolve_identity({}, [], env, PATHS)


class _Array:
    """A NumPy-like array: `tolist()` gives nested lists, `shape` is not empty."""

    shape = (2, 2)

    def __init__(self, rows: list[list[Any]]) -> None:
        self.rows = rows

    def tolist(self) -> list[list[Any]]:
        return self.rows


class _Scalar:
    shape = ()

    def __init__(self, value: float) -> None:
        self.value = value

    def item(self) -> float:
        return self.value


def test_metrics_take_any_json_value(tmp_path: Path) -> None:
    job = _init(tmp_path)
    values: dict[str, Any] = {
        "accuracy": 0.93,
        "epochs": 3,
        "best": "resnet",
        "converged": True,
        "per_class": [0.9, 0.8, 1.0],
        "confusion": [[5, 1], [0, 7]],
        "report": {"ok": {"precision": [1, 0.5]}, "classes": ["a", "b"], "note": None},
        "matrix": _Array([[1, 2], [3, 4]]),
        "scalar": _Scalar(0.25),
        "tuple": (1, 2),
    }
    for name, value in values.items():
        job.add_output_metric(name, value)
    job.upload_job_output()
    output = json.loads((job.artifacts_dir / "output.json").read_text())["output"]
    assert output["per_class"] == [0.9, 0.8, 1.0]
    assert output["confusion"] == [[5, 1], [0, 7]]
    assert output["report"] == {"ok": {"precision": [1, 0.5]}, "classes": ["a", "b"], "note": None}
    assert output["matrix"] == [[1, 2], [3, 4]]
    assert output["scalar"] == 0.25
    assert output["tuple"] == [1, 2]
    assert output["best"] == "resnet" and output["converged"] is True


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ([0.5, float("nan")], "m[1]"),
        ([[1, 2], [3, float("inf")]], "m[1][1]"),
        ({"a": [float("-inf")]}, "m.a[0]"),
        (_Array([[1, float("nan")], [0, 0]]), "m[0][1]"),
        ([object()], "m[0]"),
    ],
)
def test_bad_values_deep_inside_are_refused_at_the_call(
    tmp_path: Path, value: Any, where: str
) -> None:
    job = _init(tmp_path)
    with pytest.raises(MetricError) as info:
        job.add_output_metric("m", value)
    assert repr(where) in str(info.value)
    assert dict(job.metrics) == {}


def test_metrics_nested_too_deep_are_refused(tmp_path: Path) -> None:
    deep: Any = 1
    for _ in range(10):
        deep = [deep]
    with pytest.raises(MetricError, match="nested deeper"):
        _init(tmp_path).add_output_metric("m", deep)


def test_chart_spec_as_json_text(tmp_path: Path) -> None:
    job = _init(tmp_path)
    spec = {"mark": "bar", "data": {"values": [{"a": "x", "b": 3}]}}
    path = job.upload_chart("bars", json.dumps(spec))
    assert json.loads(path.read_text()) == spec
    with pytest.raises(JobArgumentError, match="not valid JSON text"):
        job.upload_chart("broken", "{mark: bar")
    with pytest.raises(JobArgumentTypeError, match="must be a mapping"):
        job.upload_chart("list", "[1, 2]")
    with pytest.raises(JobArgumentError, match="not JSON data"):
        job.upload_chart("nan", '{"x": NaN}')


def test_output_json_lists_the_installed_packages(tmp_path: Path) -> None:
    with _init(tmp_path) as job:
        job.add_output_metric("m", 1)
    document = json.loads((job.artifacts_dir / "output.json").read_text())
    packages = document["environment"]["packages"]
    assert packages["brevetti-toolkit"] == metadata.version("brevetti-toolkit")
    assert packages["attrs"] == metadata.version("attrs")
    assert list(packages) == sorted(packages, key=str.lower)
    assert len(packages) == len({d.metadata["Name"].lower() for d in metadata.distributions()})
