"""`brevetti-job` and `Job.init` rough edges a new user meets: JSON-only status, a broken
settings file, failed jobs that leave folders behind, ``--help | head``."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from brevetti_job import Job, SettingsError
from brevetti_job._cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema_examples" / "image_classification.yaml"
NO_HOSTED = {"BREVETTI_HYPERPARAMETERS_FILE": "/nonexistent/hyperparameters.json"}


def test_status_json_prints_only_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Job.init(schema=SCHEMA, argv=["--job_dir", str(tmp_path / "j")], env=NO_HOSTED) as job:
        job.add_output_metric("accuracy", 0.5)
    assert main(["status", str(tmp_path / "j"), "--json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)  # the whole output is one JSON document
    assert document["status"]["status"] == "completed"
    assert document["output"] == {"accuracy": 0.5}


def test_a_broken_settings_file_on_a_platform_sends_nothing(devserver, tmp_path: Path) -> None:
    job = devserver.create_job(preset="quick")
    broken = tmp_path / "s.yaml"
    broken.write_text("training:\n  epochs: [1\n")
    argv = ["--settings", str(broken), "--job_dir", str(tmp_path / "job")]
    with pytest.raises(SettingsError, match=r"s\.yaml:\d+:"):
        Job.init(job.id, job.api_key, SCHEMA, host=devserver.base_url, argv=argv, env=NO_HOSTED)
    state = devserver.state(job.id)
    assert state["status"] != "failed" and state["completions"] == 0
    assert state["writes"] == {}
    assert not (tmp_path / "job").exists()


def test_a_failed_init_without_job_dir_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        with pytest.raises(SettingsError):
            Job.init(schema=SCHEMA, argv=["--training.epochs", "0"], env=NO_HOSTED)
    assert list(tmp_path.iterdir()) == []  # not even jobs/
    (tmp_path / "jobs").mkdir()
    with pytest.raises(SettingsError):
        Job.init(schema=SCHEMA, argv=["--training.epochs", "0"], env=NO_HOSTED)
    assert list((tmp_path / "jobs").iterdir()) == []


def test_the_problem_report_is_named_with_its_folder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "bad"
    with caplog.at_level(logging.ERROR, "brevetti_job"), pytest.raises(SettingsError):
        Job.init(schema=SCHEMA, argv=["--job_dir", str(folder), "--training.epochs", "0"],
                 env=NO_HOSTED)  # fmt: skip
    assert f"see {folder / 'problems.json'})" in caplog.text
    assert (folder / "problems.json").is_file()


def test_new_with_invalid_settings_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "jobs" / "n1"
    args = ["new", "--schema", str(SCHEMA), "--job-dir", str(folder), "--set", "training.epochs=0"]
    assert main(args) == 1
    assert "training.epochs" in capsys.readouterr().err
    assert not (tmp_path / "jobs").exists()
    assert main(args[:-2]) == 0 and (folder / "info.json").is_file()


@pytest.mark.parametrize(
    "command",
    [["-m", "brevetti_job", "--help"], ["-m", "brevetti_job", "status", "--help"],
     [str(ROOT / "schema_examples" / "train_classifier.py"), "--help"]],
)  # fmt: skip
def test_help_into_a_closed_pipe_exits_quietly(tmp_path: Path, command: list[str]) -> None:
    """``brevetti-job --help | head -1``: the reader is gone before (all) is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, *command], stdout=write_end, stderr=subprocess.PIPE, text=True,
            cwd=tmp_path, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode in (0, 141)  # argparse's own --help ends 0 when it cannot write
