"""`Job.main` and OS errors of the job folder: one line and exit 1, never a traceback
(issue 15, item 12). Running as root, a folder cannot be made read-only here, so the
folder is made impossible instead: its parent (or a folder the job writes) is a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_JOB = """
import sys
from pathlib import Path
from brevetti_job import Job

class Train(Job):
    def run(self):
        if sys.argv[-1] == "inside":
            (self.job_dir / "blocked").write_text("a file where a folder is needed")
            (self.job_dir / "blocked" / "weights.bin").write_bytes(b"0")
        else:
            Path("/nonexistent-folder-of-the-user/data.csv").read_text()

sys.exit(Train.main(schema=str(Path(__file__).with_name("schema.yaml")), argv=sys.argv[1:-1]))
"""


def _run(tmp_path: Path, job_dir: Path, where: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(_JOB))
    (tmp_path / "schema.yaml").write_text("fields:\n  epochs: {type: integer, default: 1}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    env["BREVETTI_HYPERPARAMETERS_FILE"] = str(tmp_path / "no-hyperparameters.json")
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, str(script), "--job_dir", str(job_dir), where],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_job_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    job_dir = tmp_path / "afile" / "job"
    result = _run(tmp_path, job_dir, "inside")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"error: Not a directory: {job_dir}"


def test_an_os_error_in_the_job_folder_during_the_run_is_one_line(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    result = _run(tmp_path, job_dir, "inside")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"error: Not a directory: {job_dir / 'blocked' / 'weights.bin'}" in result.stderr
    status = json.loads((job_dir / "status.json").read_text())
    assert status["status"] == "failed"  # recorded as a failure all the same


def test_an_os_error_of_user_code_elsewhere_keeps_its_traceback(tmp_path: Path) -> None:
    result = _run(tmp_path, tmp_path / "job", "outside")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "FileNotFoundError" in result.stderr
