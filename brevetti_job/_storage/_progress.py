"""Progress bars for long transfers: tqdm on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

__all__ = ["Progress", "progress_wanted"]

LONG_TRANSFER = 16 << 20
"""A transfer of at least this many bytes shows a bar (or of many files, see `Storage`)."""


def progress_wanted(setting: bool | None) -> bool:
    """`setting` if given, else whether standard error is a terminal."""
    if setting is not None:
        return setting
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


class Progress:
    """A thread-safe progress bar over bytes or items; does nothing when disabled."""

    def __init__(self, enabled: bool, total: int | None, description: str, unit: str = "B") -> None:
        self._bar: Any = None
        self._lock = threading.Lock()
        if enabled:
            from tqdm import tqdm  # noqa: PLC0415 - only when a bar is shown

            self._bar = tqdm(
                total=total,
                desc=description,
                unit=unit,
                unit_scale=unit == "B",
                unit_divisor=1024 if unit == "B" else 1000,
                leave=False,
                dynamic_ncols=True,
            )

    def __call__(self, amount: int) -> None:
        """Advance by `amount` (the transfer manager's callback signature)."""
        if self._bar is not None:
            with self._lock:
                self._bar.update(amount)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()
