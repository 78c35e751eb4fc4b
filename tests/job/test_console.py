"""A job shows what it is doing: on a real pseudo-terminal a live progress line, through
a pipe plain lines; `--quiet` and ``console=False`` turn it off; no logging configured."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

JOB = textwrap.dedent(
    """
    import logging, sys
    from brevetti_job import Job
    from brevetti_schema import SchemaBuilder

    b = SchemaBuilder()
    b.integer("epochs", default=3, min=1)
    b.boolean("boom", default=False)
    console = "--no-console" not in sys.argv
    argv = [a for a in sys.argv[1:] if a != "--no-console"]
    with Job.init(schema=b, argv=argv, console=console) as job:
        for epoch in range(1, job.settings.epochs + 1):
            job.report_progress(epoch, total=job.settings.epochs, loss=1 / epoch, acc=0.5)
        if job.settings.boom:
            raise ValueError("boom in epoch 3")
    # the library configured no logging of any kind
    assert logging.getLogger().handlers == [], logging.getLogger().handlers
    assert logging.getLogger("brevetti_job").handlers == []
    """
)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREVETTI")}
    env["BREVETTI_HYPERPARAMETERS_FILE"] = str(tmp_path / "none.json")
    env["PYTHONPATH"] = str(ROOT)
    return env


def _script(tmp_path: Path) -> Path:
    path = tmp_path / "job.py"
    path.write_text(JOB)
    return path


def _in_a_terminal(tmp_path: Path, *args: str) -> tuple[int, str]:
    """Run the job with stdin, stdout and stderr on a 120x30 pseudo-terminal."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    process = subprocess.Popen(
        [sys.executable, str(_script(tmp_path)), *args],
        stdin=child, stdout=child, stderr=child, cwd=tmp_path, env=_env(tmp_path),
    )  # fmt: skip
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the job has ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(timeout=120), b"".join(chunks).decode()


def _through_a_pipe(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(_script(tmp_path)), *args], cwd=tmp_path, env=_env(tmp_path),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_terminal_shows_a_start_line_a_live_progress_line_and_the_end(tmp_path: Path) -> None:
    code, screen = _in_a_terminal(tmp_path, "--job_dir", "jobs/t1", "--job_id", "t1")
    assert code == 0, screen
    lines = screen.split("\r\n")
    assert lines[0] == "job t1 started (local mode); job folder jobs/t1"
    live = [line for line in screen.replace("\r\n", "\r").split("\r") if "epoch" in line]
    assert any(line.startswith("epoch 1/3 |") and "loss=1.0 acc=0.5" in line for line in live)
    last = live[-1]  # redrawn in place (\r), the bar full, elapsed and remaining time
    assert last.startswith("epoch 3/3 |" + "█" * 20 + "|") and "<00:00" in last
    assert "loss=0.333" in last and "epoch/s" in last
    assert lines[-2].startswith("job t1 completed in 0:00:") and lines[-2].endswith(
        "; no model archive"
    )


def test_a_terminal_shows_a_failure_with_its_reason_and_report(tmp_path: Path) -> None:
    code, screen = _in_a_terminal(
        tmp_path, "--job_dir", "jobs/t2", "--job_id", "t2", "--boom", "true"
    )
    assert code == 1
    assert "job t2 failed after 0:00:" in screen
    assert f": ValueError: boom in epoch 3 (see {Path('jobs/t2/status.json')})" in screen


def test_a_pipe_gets_plain_lines(tmp_path: Path) -> None:
    result = _through_a_pipe(tmp_path, "--job_dir", "jobs/p1", "--job_id", "p1")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and "█" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "job p1 started (local mode); job folder jobs/p1"
    assert lines[1].startswith("job p1: epoch 1/3 loss=1.0 acc=0.5 (elapsed 0:00:00, eta ")
    assert any(
        line.startswith("job p1: epoch 3/3 loss=0.3333333333333333 acc=0.5") for line in lines
    )
    assert lines[-1].startswith("job p1 completed in 0:00:")
    assert result.stdout == ""


def test_a_pipe_gets_the_failure_line(tmp_path: Path) -> None:
    result = _through_a_pipe(tmp_path, "--job_dir", "jobs/p2", "--boom", "true")
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if " failed after " in line]
    assert len(failed) == 1
    assert failed[0].endswith(f"ValueError: boom in epoch 3 (see {Path('jobs/p2/status.json')})")


def test_quiet_and_console_false_show_nothing(tmp_path: Path) -> None:
    for args in (["--quiet"], ["--no-console"]):
        code, screen = _in_a_terminal(tmp_path, "--job_dir", "jobs/q", *args)
        assert code == 0
        assert screen == "", screen
        piped = _through_a_pipe(tmp_path, "--job_dir", "jobs/q", *args)
        assert piped.returncode == 0 and piped.stderr == ""
