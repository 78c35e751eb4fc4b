"""The one retry policy of the platform's HTTP clients (the job client and `PlatformAPI`).

What may succeed later is retried: a connection that failed or was cut off, a timeout,
429 and 5xx (`RETRY_STATUS`). The wait is the server's ``Retry-After`` when usable,
else exponential backoff with full jitter, all within an attempt count and a total
time budget; then `PlatformUnavailable`. Each client keeps its own ``Idempotency-Key``
across the attempts of a write, so a retried write is applied once.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs
import requests

from ._errors import PlatformUnavailable

__all__ = [
    "DEFAULT_TIMEOUT",
    "RETRY_STATUS",
    "Attempts",
    "RetryPolicy",
    "failure_text",
    "retry_after",
    "settings_from_env",
    "transient_failure",
]

DEFAULT_TIMEOUT: Final = (5.0, 60.0)
"""Seconds to connect and to wait for each read of an answer."""

RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})
"""Answers worth another attempt: too many requests, and the server's own failures."""


@attrs.frozen
class RetryPolicy:
    """How long one request keeps trying: attempts, a total time budget, and backoff."""

    attempts: int = 8
    budget: float = 60.0
    base: float = 0.25
    cap: float = 10.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: a uniform wait up to ``min(cap, base * 2**(attempt - 1))``."""
        return rng.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))


def _seconds(text: str, variable: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{variable} must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{variable} must be a non-negative number of seconds, got {text!r}")
    return value


def settings_from_env(env: Mapping[str, str]) -> tuple[tuple[float, float], RetryPolicy]:
    """Timeout and retry policy from ``BREVETTI_HTTP_TIMEOUT`` (``read`` or
    ``connect,read``), ``BREVETTI_RETRY_BUDGET`` (seconds) and ``BREVETTI_RETRY_ATTEMPTS``.
    """
    timeout = DEFAULT_TIMEOUT
    policy = RetryPolicy()
    text = env.get("BREVETTI_HTTP_TIMEOUT", "").strip()
    if text:
        parts = [_seconds(p.strip(), "BREVETTI_HTTP_TIMEOUT") for p in text.split(",")]
        connect = parts[0] if len(parts) > 1 else min(DEFAULT_TIMEOUT[0], parts[0])
        timeout = (connect, parts[-1])
    budget = env.get("BREVETTI_RETRY_BUDGET", "").strip()
    if budget:
        policy = attrs.evolve(policy, budget=_seconds(budget, "BREVETTI_RETRY_BUDGET"))
    attempts = env.get("BREVETTI_RETRY_ATTEMPTS", "").strip()
    if attempts:
        if not attempts.isdigit() or int(attempts) < 1:
            raise ValueError(f"BREVETTI_RETRY_ATTEMPTS must be a whole number >= 1: {attempts!r}")
        policy = attrs.evolve(policy, attempts=int(attempts))
    return timeout, policy


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date).

    ``None`` (use the backoff) for anything that is no usable wait: not a number or a
    date, not finite (``nan``, ``inf``), negative, or a date that has passed; otherwise
    a server could make the client retry at once, again and again.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    wait = when.timestamp() - time.time()
    return wait if wait > 0 else None


def failure_text(exc: requests.RequestException) -> str:
    """A short account of a transport failure (no URL: it may carry a key)."""
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.ReadTimeout):
        return "timed out waiting for the answer"
    reason: Any = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    text = str(reason)
    return text if len(text) <= 200 else text[:200] + "..."


def transient_failure(exc: BaseException) -> str | None:
    """What went wrong if `exc` is a transport failure a retry may cure, else ``None``."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut off"
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return failure_text(exc)
    return None


class Attempts:
    """The attempts of one request under a `RetryPolicy`: count, wait, or give up.

    ``retry(failure, ...)`` after a failed attempt either sleeps (then the caller tries
    again) or raises `PlatformUnavailable` naming the request, the last failure and the
    attempts made; `scrub` masks secrets in that text.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        target: str,
        *,
        rng: random.Random,
        sleep: Callable[[float], None],
        logger: logging.Logger,
        scrub: Callable[[str], str] = str,
    ) -> None:
        self.policy = policy
        self.target = target
        self.count = 0
        self._rng = rng
        self._sleep = sleep
        self._logger = logger
        self._scrub = scrub
        self._started = time.monotonic()

    def next(self) -> int:
        """Begin an attempt; its number (1 for the first)."""
        self.count += 1
        return self.count

    def uncount(self) -> None:
        """Do not count the attempt just made (it is repeated with new credentials)."""
        self.count -= 1

    def retry(
        self,
        failure: str,
        *,
        cause: BaseException | None = None,
        wait: float | None = None,
        chain: bool = True,
    ) -> None:
        """Wait before the next attempt, or raise `PlatformUnavailable` when out of tries.

        `wait` is the server's ``Retry-After`` (``None``: the backoff); `chain` False
        leaves `cause` out of the exception (its text may show a URL with a key).
        """
        if wait is None:
            wait = self.policy.backoff(self.count, self._rng)
        elapsed = time.monotonic() - self._started
        failure = self._scrub(failure)
        if self.count >= self.policy.attempts or elapsed + wait > self.policy.budget:
            plural = "s" if self.count > 1 else ""
            raise PlatformUnavailable(
                f"{self.target}: {failure} (gave up after {self.count} attempt{plural} in "
                f"{elapsed:.1f}s)",
                request=self.target,
            ) from (cause if chain else None)
        self._logger.info("%s: %s; retrying in %.2fs", self.target, failure, wait)
        self._sleep(wait)
