"""Shared benchmark helpers: repeated timing with warmup, the machine, result tables."""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CLOCK = time.process_time
"""The clock of in-process samples: this process's CPU time (user + system).

The machine is shared: with other work on both cores, wall time also counts the time
this process waits for a core. For single-threaded CPU-bound code, CPU time equals
wall time on an idle machine, and it stays steady on a busy one.
"""
EXAMPLES = ROOT / "schema_examples"


@dataclass
class Table:
    """One result table: a title, column names, rows of rendered cells, and notes."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        """Append a row (cells rendered with `str`)."""
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        """The table as GitHub markdown, notes as a list below it."""
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"* {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def per_call(fn: Callable[[], object], *, number: int, repeat: int, warmup: int = 1) -> list[float]:
    """Seconds per call of `fn`: `repeat` samples of `number` calls each, after warmup.

    Like `timeit`, the garbage collector is paused while a sample runs.
    """
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        samples.append(_sample(fn, number))
    return samples


def _sample(fn: Callable[[], object], number: int) -> float:
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = CLOCK()
        for _ in range(number):
            fn()
        return (CLOCK() - start) / number
    finally:
        if enabled:
            gc.enable()


def calls_for(fn: Callable[[], object], budget: float) -> int:
    """How many calls of `fn` fill about `budget` seconds (at least one)."""
    start = CLOCK()
    fn()
    once = max(CLOCK() - start, 1e-7)
    return max(1, int(budget / once))


def interleaved(
    contenders: dict[str, Callable[[], object]], *, budget: float, repeat: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Seconds per call of each contender, sampled in alternation so drift hits all alike.

    Each round takes one sample of every contender (about `budget` seconds each).
    """
    numbers = {}
    for name, fn in contenders.items():
        for _ in range(warmup):
            fn()
        numbers[name] = calls_for(fn, budget)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            samples[name].append(_sample(fn, numbers[name]))
    return samples


def median(samples: Sequence[float]) -> float:
    """The median of the samples."""
    return statistics.median(samples)


def spread(samples: Sequence[float]) -> str:
    """Half the interquartile range over the median, as a percentage (robust to outliers)."""
    mid = statistics.median(samples)
    if len(samples) < 4 or mid == 0:
        return "-"
    low, _, high = statistics.quantiles(samples, n=4)
    return f"±{(high - low) / mid / 2 * 100:.0f}%"


def python_calls(fn: Callable[[], object]) -> int:
    """How many Python and built-in function calls one run of `fn` makes (by cProfile).

    A count, not a time: immune to noise, it shows whether the work grows linearly.
    """
    profile = cProfile.Profile()
    profile.enable()
    try:
        fn()
    finally:
        profile.disable()
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined, no-any-return]


def us(seconds: float) -> str:
    """Microseconds, rendered."""
    value = seconds * 1e6
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def ms(seconds: float) -> str:
    """Milliseconds, rendered."""
    return f"{seconds * 1e3:,.1f}"


def ratio(value: float, base: float) -> str:
    """``value / base`` rendered as a factor."""
    return f"{value / base:.2f}x" if base else "-"


def load() -> str:
    """The 1-minute load average, to judge how busy the machine was."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def _cpuinfo() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    facts: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        facts.setdefault(key.strip(), value.strip())
    name = facts.get("model name", platform.processor() or "unknown CPU")
    detail = [f"{k} {facts[k]}" for k in ("cpu family", "model") if k in facts]
    if "cpu MHz" in facts:
        detail.append(f"{float(facts['cpu MHz']) / 1000:.1f} GHz")
    return f"{name} ({', '.join(detail)})" if detail else name


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine() -> list[str]:
    """A description of this machine and interpreter, one fact per line."""
    try:
        import pydantic

        pydantic_version = pydantic.VERSION
    except ImportError:
        pydantic_version = "not installed"
    return [
        f"CPU: {_cpuinfo()}, {os.cpu_count()} logical cores",
        f"RAM: {_memory()}",
        f"Python: {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})",
        f"OS: {platform.platform()}",
        f"pydantic: {pydantic_version}",
    ]


def parser(description: str) -> argparse.ArgumentParser:
    """The command line every benchmark shares."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument(
        "--quick", action="store_true", help="smoke mode: tiny sizes, one round (no real figures)"
    )
    return result


def main(run: Callable[[bool], list[Table]], description: str) -> None:
    """Run one benchmark from the command line and print its tables."""
    args = parser(description).parse_args()
    print(f"load average before: {load()}")
    for table in run(args.quick):
        print(table.markdown())
    print(f"load average after: {load()}")
