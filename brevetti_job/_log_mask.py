"""Secrets kept out of the HTTP libraries' log lines.

The platform's job URLs carry the API key in their query (``?key=``) and urllib3 logs
each request line at DEBUG; botocore logs every request's headers and the string it
signs, session token included. A filter on the loggers that do masks every value
registered with `mask_in_logs`. Logger filters run only for records that pass the level
check, so a process that does not log at DEBUG pays nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Final

__all__ = ["MASK", "mask_in_logs"]

from brevetti_schema import MASK

_LOGGERS: Final = (
    "urllib3.connectionpool",
    "urllib3.util.retry",
    "requests",
    "botocore.endpoint",
    "botocore.auth",
)
"""The loggers whose records can quote a request line or a request's headers."""


class _SecretMask(logging.Filter):
    """Replaces every registered value by the mask in the records it sees."""

    def __init__(self) -> None:
        super().__init__("brevetti_job.key_mask")
        self.values: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, values: tuple[str, ...]) -> None:
        with self._lock:
            if not self.values:
                for name in _LOGGERS:
                    logging.getLogger(name).addFilter(self)
            self.values = self.values | {v for v in values if v}

    def filter(self, record: logging.LogRecord) -> bool:
        values = self.values
        if not values:
            return True
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a record that cannot be formatted: leave it be
            return True
        masked = text
        for value in sorted(values, key=len, reverse=True):  # longest first: no partial masks
            masked = masked.replace(value, MASK)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


_MASK: Final = _SecretMask()


def mask_in_logs(*values: str) -> None:
    """From now on, mask each of `values` in the log records of urllib3, requests and
    botocore."""
    _MASK.add(values)
