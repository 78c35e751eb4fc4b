"""What a running job shows on stderr: a start line, its progress, and how it ended.

On a terminal the progress is one live line (tqdm) with the epoch, the metrics given,
the elapsed time and a rate, or an ETA when `report_progress` was given a total.
Elsewhere (a pipe, a log file) it is plain lines: the first epoch, then at most one
every `LOG_INTERVAL` seconds, and always the last one before the final line. Written
straight to the stream, never through `logging` (the library configures no logging).
Imported only when a job shows a console; tqdm only when that is a terminal.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TextIO

__all__ = ["LOG_INTERVAL", "Console"]

LOG_INTERVAL: Final = 10.0
"""Shortest time in seconds between two plain progress lines."""


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _metrics_text(metrics: Mapping[str, Any]) -> str:
    return " ".join(f"{name}={value}" for name, value in metrics.items())


class Console:
    """The lines of one job; `live` for a terminal (a tqdm line), plain lines otherwise."""

    def __init__(self, stream: TextIO, job_id: str, *, live: bool) -> None:
        self._stream = stream
        self._id = job_id
        self._live = live
        self._started = time.monotonic()
        self._bar: Any = None
        self._last_line: float | None = None
        self._unshown: str | None = None

    def _print(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()

    def started(self, mode: str, job_dir: Path, host: str | None) -> None:
        where = f"platform mode, {host}" if mode == "platform" and host else f"{mode} mode"
        self._print(f"job {self._id} started ({where}); job folder {job_dir}")

    def progress(self, epoch: int, metrics: Mapping[str, Any], total: int | None) -> None:
        if self._live:
            self._live_progress(epoch, metrics, total)
            return
        elapsed = time.monotonic() - self._started
        timing = f"elapsed {_duration(elapsed)}"
        if total and 0 < epoch < total:
            timing += f", eta {_duration(elapsed / epoch * (total - epoch))}"
        elif not total and epoch > 0 and elapsed > 0:
            timing += f", {epoch / elapsed:.2f} epochs/s"
        shown = f"epoch {epoch}/{total}" if total else f"epoch {epoch}"
        text = f"job {self._id}: {shown} {_metrics_text(metrics)} ({timing})".replace("  ", " ")
        now = time.monotonic()
        due = self._last_line is None or now - self._last_line >= LOG_INTERVAL
        if due or (total is not None and epoch >= total):
            self._last_line = now
            self._unshown = None
            self._print(text)
        else:
            self._unshown = text

    def _live_progress(self, epoch: int, metrics: Mapping[str, Any], total: int | None) -> None:
        if self._bar is None:
            from tqdm import tqdm  # noqa: PLC0415 - only for a terminal

            try:  # a terminal that reports no size (a bare pseudo-terminal) gets 100x24
                sized = os.get_terminal_size(self._stream.fileno()).columns > 0
            except (OSError, ValueError, AttributeError):
                sized = False
            self._bar = tqdm(
                total=total, unit="epoch", file=self._stream, leave=True,
                dynamic_ncols=sized, ncols=None if sized else 100, nrows=None if sized else 24,
                mininterval=0.1,
                bar_format=(
                    "epoch {n_fmt}/{total_fmt} |{bar:20}| "
                    "[{elapsed}<{remaining}, {rate_fmt}{postfix}]"
                    if total
                    else "epoch {n_fmt} [{elapsed}, {rate_fmt}{postfix}]"
                ),
            )  # fmt: skip
        bar = self._bar
        if total is not None and bar.total != total:
            bar.total = total
        bar.set_postfix_str(_metrics_text(metrics), refresh=False)
        bar.update(max(epoch - bar.n, 0))
        bar.refresh()

    def _end_progress(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._unshown is not None:
            self._print(self._unshown)
            self._unshown = None

    def completed(self, model_path: str) -> None:
        self._end_progress()
        took = _duration(time.monotonic() - self._started)
        model = f"; model {model_path}" if model_path else "; no model archive"
        self._print(f"job {self._id} completed in {took}{model}")

    def failed(self, reason: str, report: Path) -> None:
        self._end_progress()
        took = _duration(time.monotonic() - self._started)
        first = reason.strip().splitlines()[0] if reason.strip() else "failed"
        more = " ..." if "\n" in reason.strip() else ""
        self._print(f"job {self._id} failed after {took}: {first}{more} (see {report})")
