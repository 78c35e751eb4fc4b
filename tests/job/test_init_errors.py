"""One error tree: `Job.init` raises only errors `brevetti_job` exports, and a bad
argument to a job call is a `JobArgumentError` (a ValueError; of the wrong type also a
TypeError), not a `JobStateError`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import brevetti_job
from brevetti_job import (
    BrevettiError,
    Job,
    JobArgumentError,
    JobArgumentTypeError,
    JobConfigError,
    JobStateError,
    SchemaError,
    SettingsError,
)

OK_SCHEMA = "fields:\n  a: {type: integer, default: 1}\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.yaml").write_text(OK_SCHEMA)
    (tmp_path / "broken.yaml").write_text("fields:\n  a: {type: integer\n")
    (tmp_path / "bad.json").write_text("{bad json")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "escaping.json").write_text('{"id": "../../up", "settings": {}}')
    return tmp_path


CASES: dict[str, tuple[dict[str, Any], type[BrevettiError]]] = {
    "missing schema file": ({"schema": "nope.yaml"}, SchemaError),
    "broken schema file": ({"schema": "broken.yaml"}, SchemaError),
    "no schema source": ({"schema": 42}, SchemaError),
    "unimportable schema": ({"schema": "nosuch.module:Thing"}, SchemaError),
    "missing info file": ({"info_file": "nope.json"}, JobConfigError),
    "info file not JSON": ({"info_file": "bad.json"}, JobConfigError),
    "info file not an object": ({"info_file": "list.json"}, JobConfigError),
    "settings file missing": ({"settings": "nope.yaml"}, SettingsError),
    "settings file not JSON": ({"settings": "bad.json"}, SettingsError),
    "job folder is a file": ({"job_dir": "afile"}, JobConfigError),
    "job folder under a file": ({"job_dir": "afile/x"}, JobConfigError),
    "bad kind": ({"kind": "x"}, JobConfigError),
    "unknown preset": ({"preset": "x"}, SettingsError),
    "flag without a value": ({"argv": ["--a"]}, JobConfigError),
    "invalid setting": ({"argv": ["--a", "x"]}, SettingsError),
    "host not http": ({"host": "ftp://x", "job_id": "j", "api_key": "k"}, JobConfigError),
    "hyperparameter file": (
        {"env": {"BREVETTI_HYPERPARAMETERS_FILE": "bad.json"}}, JobConfigError
    ),
    "job id with a slash": ({"job_id": "../../escaped", "job_dir": None}, JobConfigError),
    "job id ..": ({"job_id": ".."}, JobConfigError),
    "job id with a newline": ({"job_id": "a\nb"}, JobConfigError),
    "info file id escapes": ({"info_file": "escaping.json"}, JobConfigError),
    "settings of the wrong type": ({"settings": 5}, JobArgumentTypeError),
    "argv as one string": ({"argv": "--a 3"}, JobArgumentTypeError),
    "argv of numbers": ({"argv": [1, 2]}, JobArgumentTypeError),
    "job folder of the wrong type": ({"job_dir": 5}, JobArgumentTypeError),
    "job id of the wrong type": ({"job_id": 5}, JobArgumentTypeError),
    "env of the wrong type": ({"env": ["A=1"]}, JobArgumentTypeError),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_init_raises_only_exported_errors(folder: Path, case: str) -> None:
    arguments, expected = CASES[case]
    arguments = {
        "schema": "ok.yaml", "argv": [], "job_dir": f"jobs/{case.replace(' ', '_')}",
        "env": {"BREVETTI_HYPERPARAMETERS_FILE": "none.json"}, "console": False, **arguments,
    }  # fmt: skip
    with pytest.raises(BrevettiError) as info:
        Job.init(**arguments)
    error = type(info.value)
    assert error is expected, info.value
    assert getattr(brevetti_job, error.__name__) is error  # exported by brevetti_job
    assert "Traceback" not in str(info.value)
    assert not (folder.parent / "escaped").exists() and not (folder.parent / "up").exists()


def test_bad_arguments_are_argument_errors_not_state_errors(folder: Path) -> None:
    job = Job.init(schema="ok.yaml", argv=[], job_dir="jobs/args", env={}, console=False)
    with pytest.raises(JobArgumentError, match="not a file") as info:
        job.upload_artifact("x.bin", folder / "missing.bin")
    assert isinstance(info.value, ValueError) and not isinstance(info.value, JobStateError)
    with pytest.raises(JobArgumentTypeError, match="must be a mapping") as type_info:
        job.upload_chart("c", [1, 2])  # type: ignore[arg-type]
    assert isinstance(type_info.value, TypeError) and isinstance(type_info.value, ValueError)
    with pytest.raises(JobArgumentError, match="not valid JSON text"):
        job.upload_chart("c", "{mark")
    with pytest.raises(JobArgumentError, match="not JSON data"):
        job.upload_chart("c", {"x": float("nan")})
    with pytest.raises(JobArgumentError, match="does not exist"):
        job.complete_job(folder / "missing.tar.gz")
    assert job.ended is None  # a bad argument ends nothing: the job can still complete
    assert job.complete_job() == ""
    with pytest.raises(JobStateError, match="has completed"):
        job.upload_chart("c", {"mark": "bar"})
