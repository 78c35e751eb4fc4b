"""End-to-end runs in fresh processes: the example job, CLI entries, SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "schema_examples" / "train_classifier.py"
SCHEMA = ROOT / "schema_examples" / "image_classification.yaml"
KEY = "key_E2E_SECRET_4242"


def _env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    env["BREVETTI_HYPERPARAMETERS_FILE"] = str(tmp_path / "no-hyperparameters.json")
    return env


def _run(tmp_path: Path, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env=kw.pop("env", _env(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def test_example_job_runs_end_to_end(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    result = _run(
        tmp_path, str(EXAMPLE), "--job_dir", str(job_dir), "--model_id", "demo-1",
        "--api_key", KEY, "--preset", "quick", "--training.epochs=8",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = _json(job_dir / "info.json")
    assert info["id"] == "demo-1" and info["settings"]["training"]["epochs"] == 8
    assert info["settings"]["data"]["samples"] == 200  # from the preset
    status = _json(job_dir / "status.json")
    assert status["status"] == "completed"
    assert status["model_path"] == "artifacts/classifier.tar.gz"
    with tarfile.open(job_dir / status["model_path"]) as tar:
        model = json.load(tar.extractfile("model.json"))  # type: ignore[arg-type]
    assert model["classes"] == ["good", "defect"]
    output = _json(job_dir / "artifacts" / "output.json")
    assert set(output["output"]) == {"accuracy", "f1", "epochs_trained", "final_loss"}
    assert 0.5 <= output["output"]["accuracy"] <= 1.0
    assert output["job"]["api_key"] == "********"
    assert output["job"]["settings"]["classes"] == '["good", "defect"]'
    progress = (job_dir / "progress.jsonl").read_text().splitlines()
    assert len(progress) == output["output"]["epochs_trained"]
    chart = _json(job_dir / "charts" / "learning_curve.json")
    assert chart["mark"]["type"] == "line" and chart["data"]["values"]
    assert (job_dir / "artifacts" / "history.json").is_file()
    for path in job_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_example_with_invalid_settings_exits_1_with_a_table(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    result = _run(
        tmp_path, str(EXAMPLE), "--job_dir", str(job_dir),
        "--training.epochs", "0", "--output.model_name", "bad name!",
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "2 problems with the settings" in result.stderr
    assert "training.epochs" in result.stderr and "output.model_name" in result.stderr
    assert _json(job_dir / "status.json")["status"] == "failed"


def test_example_with_unknown_argument_exits_1(tmp_path: Path) -> None:
    result = _run(tmp_path, str(EXAMPLE), "--job_dir", "j", "--training.epoch", "3")
    assert result.returncode == 1
    assert "Did you mean --training.epochs?" in result.stderr
    assert "Traceback" not in result.stderr


SLOW_JOB = textwrap.dedent(
    """
    import sys
    from brevetti_job import Job

    with Job.init(argv=sys.argv[1:]) as job:
        job.add_output_metric("started", True)
        print("ready", flush=True)
        sys.stdin.read()
    """
)


def test_sigterm_marks_the_job_failed(tmp_path: Path) -> None:
    script = tmp_path / "slow_job.py"
    script.write_text(SLOW_JOB)
    job_dir = tmp_path / "job"
    with subprocess.Popen(
        [sys.executable, str(script), "--job_dir", str(job_dir)],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 128 + signal.SIGTERM
    status = _json(job_dir / "status.json")
    assert status["status"] == "failed" and status["reason"] == "terminated (SIGTERM)"
    assert _json(job_dir / "artifacts" / "output.json")["output"] == {"started": True}


def test_exception_in_run_fails_the_job(tmp_path: Path) -> None:
    script = tmp_path / "boom.py"
    script.write_text(
        "import sys\nfrom brevetti_job import Job\n"
        "class Boom(Job):\n    def run(self):\n        raise RuntimeError('model diverged')\n"
        "sys.exit(Boom.main(argv=sys.argv[1:]))\n"
    )
    result = _run(tmp_path, str(script), "--job_dir", "j")
    assert result.returncode == 1
    assert "RuntimeError: model diverged" in result.stderr
    assert _json(tmp_path / "j" / "status.json")["reason"] == "RuntimeError: model diverged"


def test_brevetti_job_new_and_status(tmp_path: Path) -> None:
    cli = [str(Path(sys.executable).with_name("brevetti-job"))]
    made = subprocess.run(
        [*cli, "new", "--schema", str(SCHEMA), "--preset", "quick", "--job-dir", "j",
         "--job-id", "n1", "--set", "training.epochs=4"],
        cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path), check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    info = _json(tmp_path / "j" / "info.json")
    assert info["id"] == "n1" and info["settings"]["training"]["epochs"] == 4
    assert info["settings"]["data"]["samples"] == 200
    assert not (tmp_path / "j" / "status.json").exists()
    run = _run(tmp_path, str(EXAMPLE), "--job_dir", "j")
    assert run.returncode == 0, run.stderr
    shown = subprocess.run(
        [*cli, "status", "j"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert shown.returncode == 0
    assert "status:   completed (model: artifacts/classifier.tar.gz)" in shown.stdout
    assert "accuracy" in shown.stdout and "classifier.tar.gz" in shown.stdout


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["new", "--schema", "missing.yaml"], 1, "no such schema file"),
        (["new"], 2, "--schema"),
        (["status", "nowhere"], 1, "holds no job"),
        (["new", "--schema", str(SCHEMA), "--set", "training.epochs=0"], 1, "training.epochs"),
    ],
)
def test_brevetti_job_cli_errors(tmp_path: Path, args: list[str], code: int, needle: str) -> None:
    cli = str(Path(sys.executable).with_name("brevetti-job"))
    result = subprocess.run(
        [cli, *args], cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path), check=False
    )
    assert result.returncode == code
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_flags_settings_and_presets(tmp_path: Path) -> None:
    result = _run(tmp_path, str(EXAMPLE), "--help")
    assert result.returncode == 0
    assert "--job_id" in result.stdout and "--training.epochs" in result.stdout
    assert "presets (--preset NAME): quick, thorough" in result.stdout


def test_dash_h_as_a_value_is_not_a_help_request(tmp_path: Path) -> None:
    result = _run(
        tmp_path, str(EXAMPLE), "--job_dir", "j", "--output.model_name", "-h",
        "--training.epochs", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _json(tmp_path / "j" / "status.json")["model_path"] == "artifacts/-h.tar.gz"


def test_class_first_schema_gives_the_authors_class(tmp_path: Path) -> None:
    script = tmp_path / "cf.py"
    script.write_text(
        "import sys, attrs\n"
        "from brevetti_job import Job\n"
        "from brevetti_schema import setting\n"
        "@attrs.frozen\n"
        "class Config:\n"
        "    epochs: int = setting(default=3, min=1)\n"
        "with Job.init(schema=Config, argv=sys.argv[1:]) as job:\n"
        "    assert isinstance(job.settings, Config), type(job.settings)\n"
        "    print(job.settings.epochs)\n"
    )
    result = _run(tmp_path, str(script), "--job_dir", "j", "--epochs", "7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "7"


def test_output_json_records_the_git_state_of_the_jobs_code(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    script = code / "job.py"
    script.write_text(
        "import sys\nfrom brevetti_job import Job\n"
        "with Job.init(argv=sys.argv[1:]) as job:\n    job.add_output_metric('m', 1)\n"
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=code, check=True)
    subprocess.run([*git, "add", "job.py"], cwd=code, check=True)
    subprocess.run([*git, "commit", "-qm", "job"], cwd=code, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=code, capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {**_env(tmp_path), "BUILD_ID": "build-7"}
    assert _run(tmp_path, str(script), "--job_dir", "clean", env=env).returncode == 0
    environment = _json(tmp_path / "clean" / "artifacts" / "output.json")["environment"]
    assert environment["git"] == {"commit": head, "dirty": False}
    assert environment["BUILD_ID"] == "build-7"
    script.write_text(script.read_text() + "# changed\n")
    assert _run(tmp_path, str(script), "--job_dir", "dirty").returncode == 0
    environment = _json(tmp_path / "dirty" / "artifacts" / "output.json")["environment"]
    assert environment["git"] == {"commit": head, "dirty": True}
