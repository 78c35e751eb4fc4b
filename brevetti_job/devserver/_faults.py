"""Fault injection for tests: a share of job-side requests fails in a chosen way.

Modes (see the API contract): ``503`` answers 503 before applying anything; ``drop``
reads part of the body and closes the connection without an answer; ``slow`` answers
late; ``applied-then-503`` applies the request, then answers 503. A seeded RNG decides.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

import attrs

__all__ = ["MODES", "FaultConfig", "FaultInjector", "parse_fault_config"]

MODES: Final = ("503", "drop", "slow", "applied-then-503")
MAX_DELAY: Final = 60.0


@attrs.frozen
class FaultConfig:
    """How often requests fail (`rate`, 0 is off), in which modes, the delay of ``slow``."""

    rate: float = 0.0
    modes: tuple[str, ...] = MODES
    delay: float = 1.0
    seed: int | None = 0

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON data (the admin endpoint's answer)."""
        return {
            "rate": self.rate,
            "modes": list(self.modes),
            "delay": self.delay,
            "seed": self.seed,
        }


def _number(data: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{key!r} must be a number from {low:g} to {high:g}")
    return float(value)


def parse_fault_config(data: Any) -> FaultConfig:
    """A `FaultConfig` from JSON data; `ValueError` names what is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError("expected a JSON object")
    unknown = sorted(set(data) - {"rate", "modes", "delay", "seed"})
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(unknown)}")
    rate = _number(data, "rate", 0.0, 0.0, 1.0)
    delay = _number(data, "delay", 1.0, 0.0, MAX_DELAY)
    modes = data.get("modes", list(MODES))
    if isinstance(modes, str):
        modes = [m.strip() for m in modes.split(",") if m.strip()]
    if not isinstance(modes, list) or not modes or not all(m in MODES for m in modes):
        raise ValueError(f"'modes' must be a non-empty list of {', '.join(MODES)}")
    seed = data.get("seed", 0)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError("'seed' must be an integer or null")
    return FaultConfig(rate, tuple(dict.fromkeys(modes)), delay, seed)


class FaultInjector:
    """Decides, per request, whether and how it fails; switchable at run time."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = FaultConfig()
        self._rng = random.Random(0)  # noqa: S311 - test faults, not security
        self._injected: dict[str, int] = dict.fromkeys(MODES, 0)
        self._in_flight = 0
        self.configure(config or FaultConfig())

    @property
    def config(self) -> FaultConfig:
        """The configuration in force."""
        return self._config

    def configure(self, config: FaultConfig) -> None:
        """Switch to `config`; the RNG restarts from its seed and the counts from zero."""
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)  # noqa: S311 - test faults, not security
            self._injected = dict.fromkeys(MODES, 0)

    def draw(self) -> str | None:
        """The fault for the next request (a mode), or ``None`` to answer normally."""
        with self._lock:
            config = self._config
            if config.rate <= 0 or self._rng.random() >= config.rate:
                return None
            mode = self._rng.choice(config.modes)
            self._injected[mode] += 1
            return mode

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Count a job request as in flight while the block runs (tests wait for 0)."""
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def to_json(self) -> dict[str, Any]:
        """The configuration, faults injected per mode since, and job requests in flight."""
        with self._lock:
            return {
                **self._config.to_json(),
                "injected": dict(self._injected),
                "in_flight": self._in_flight,
            }
