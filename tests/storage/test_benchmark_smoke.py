"""The storage benchmark still runs (smoke mode, tiny sizes); no timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_storage_benchmark_runs_in_quick_mode():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.storage_transfer", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for title in ("listing 300 objects", "downloading 60 objects of 64 KiB", "uploading 24 MiB"):
        assert f"### Storage: {title}" in result.stdout
    tables = result.stdout.split("### ")[1:]
    assert len(tables) == 3
    for table in tables:
        rows = [line for line in table.splitlines() if line.startswith("|")]
        assert len(rows) >= 4, table
        assert "nan" not in table.lower()
