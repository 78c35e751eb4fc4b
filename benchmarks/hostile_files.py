"""Issue 15, item 11: oversized settings and schema files refused quickly, in bounded memory.

Fresh processes of ``brevetti-schema``, in alternation: validating a small valid
settings file (the baseline), then refusing a 100 MB flat JSON list and a 100 MB YAML
list as settings, a 100 MB JSON file as a schema (``check``), and a 3.5 MB JSON list
(0.5 MB in quick mode):
under the byte limit but over the node limit, so the composer stops at the 200,001st
node. Wall time (median) and peak RSS (the process's own, through GNU time), each also
as a ratio to the baseline. The files hold real content (written once), not holes.

    python -m benchmarks.hostile_files [--quick]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._common import Table, main, median, ms, ratio
from .cold_start import GNU_TIME, Sample, clean_env, gnu_time

SCHEMA = "fields:\n  n: {type: integer, default: 3}\n  extra: {type: json, default: {}}\n"
CLI = [sys.executable, "-m", "brevetti_schema._cli"]


def _write_list(path: Path, size: int, yaml: bool) -> Path:
    """A flat list of small integers of about `size` bytes, written in chunks."""
    chunk = ("- 1\n" * 16_384) if yaml else ("1," * 32_768)
    with path.open("w", encoding="utf-8") as out:
        out.write("" if yaml else "[")
        written = 0
        while written < size:
            out.write(chunk)
            written += len(chunk)
        out.write("- 1\n" if yaml else "1]")
    return path


def _spawn(argv: list[str], cwd: Path, env: dict[str, str], *, use_time: bool) -> Sample:
    """One fresh process (exit 0 or 1 expected, no traceback); wall seconds and its own
    peak RSS (through GNU time, as `cold_start.spawn` explains; CPU time not taken)."""
    report = cwd / "maxrss.txt"
    command = [str(GNU_TIME), "-f", "%M", "-o", str(report), *argv] if use_time else argv
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1) or b"Traceback" in err:
        raise RuntimeError(f"{argv} exited {proc.returncode}: {err.decode(errors='replace')}")
    kib = int(report.read_text().split()[-1]) if use_time else 0
    return Sample(seconds, 0.0, kib * 1024)


def run(quick: bool = False) -> list[Table]:
    """The table of refusals against the baseline."""
    big = 5 * 1024 * 1024 if quick else 100 * 1024 * 1024
    rounds = 1 if quick else 5
    nodes = 500_000 if quick else 3_500_000  # over 200,000 nodes either way
    env = clean_env()
    use_time = gnu_time()
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as temp:
        folder = Path(temp)
        schema = folder / "schema.yaml"
        schema.write_text(SCHEMA)
        (folder / "small.json").write_text('{"n": 5, "extra": {"a": [1, 2]}}')
        variants = {
            "baseline: validate a small valid file": ["validate", str(schema), "small.json"],
            f"validate a {big // 2**20} MB JSON list": [
                "validate", str(schema), str(_write_list(folder / "big.json", big, yaml=False))],
            f"validate a {big // 2**20} MB YAML list": [
                "validate", str(schema), str(_write_list(folder / "big.yaml", big, yaml=True))],
            f"check a {big // 2**20} MB JSON schema file": ["check", str(folder / "big.json")],
            f"validate a {nodes / 1e6:.1f} MB JSON list (node limit)": [
                "validate", str(schema),
                str(_write_list(folder / "nodes.json", nodes, yaml=False))],
        }  # fmt: skip
        samples: dict[str, list[Sample]] = {name: [] for name in variants}
        for args in variants.values():  # warmup: bytecode caches
            _spawn([*CLI, *args], folder, env, use_time=use_time)
        for _ in range(rounds):
            for name, args in variants.items():
                samples[name].append(_spawn([*CLI, *args], folder, env, use_time=use_time))
    base = samples["baseline: validate a small valid file"]
    base_wall = median([s.seconds for s in base])
    base_rss = median([s.peak_rss for s in base])
    table = Table(
        "Hostile files: oversized documents refused before parsing (issue 15, item 11)",
        ["variant", "wall ms (median)", "vs baseline", "peak RSS MiB", "vs baseline"],
    )
    for name, runs in samples.items():
        wall = median([s.seconds for s in runs])
        rss = median([s.peak_rss for s in runs])
        table.add(name, ms(wall), ratio(wall, base_wall),
                  f"{rss / 2**20:.1f}" if use_time else "-",
                  ratio(rss, base_rss) if use_time else "-")  # fmt: skip
    table.notes.append(
        f"{rounds} fresh processes per variant, in alternation, after one warmup each; goal: "
        "a 100 MB file refused in under 2 s with under 100 MB of memory"
    )
    return [table]


if __name__ == "__main__":
    main(run, __doc__ or "")
