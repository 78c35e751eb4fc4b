"""The upload benchmark keeps working: it runs in quick mode; no timing is asserted here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_upload_benchmark_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.upload_throughput", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "### Upload: one artifact over loopback to the dev server" in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("| 32 MiB |")]
    assert len(rows) == 3
    for row in rows:
        rate = row.split("|")[3].strip().replace(",", "")
        assert float(rate) > 0
        assert re.search(r"\| \d+ MiB \|", row)  # the client's peak memory is measured
    assert "nan" not in result.stdout.lower()
