"""The progress benchmark keeps working (quick mode); only counts are checked, no timing."""

from __future__ import annotations

import subprocess
import sys

from ..conftest import REPO


def test_progress_benchmark_runs_in_quick_mode():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.devserver_progress", "--quick"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title in (
        "### Progress writes: server CPU per write over 2,000 writes",
        "### Progress writes: throughput, dev platform vs bare werkzeug",
        "### Progress writes: SIGKILLs of the dev platform mid-traffic",
    ):
        assert title in out
    kills = out.split("SIGKILLs of the dev platform mid-traffic")[1]
    row = next(line for line in kills.splitlines() if line.startswith("| 2 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells == ["2", "40", "40", "0", "0", "0"]  # every write stored once, nothing left
    assert "nan" not in out.lower()
