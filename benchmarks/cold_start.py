"""Issue 4: cold start of a job, from a fresh interpreter to the return of `Job.init()`.

Each variant runs as a fresh process, in alternation, against ``python -c pass`` in
the same run: wall time (median of N runs) and peak RSS (the process's own
``ru_maxrss``, as GNU time reports it; see `spawn`). The job is a small script
calling ``Job.init(schema="segmentation.yaml")`` in local mode, with ``--job_dir``
pointing at a new temporary folder and no ``BREVETTI_*`` / ``AWS_*`` variables in
its environment. A second job variant uses the same schema without the inner JSON
Schema of its JSON field (made in a temporary file at run time), since that
declaration makes the checks import jsonschema.

    python -m benchmarks.cold_start [--quick]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ._common import EXAMPLES, ROOT, Table, load, main, median, ms, ratio, spread

SCHEMA_FILE = EXAMPLES / "segmentation.yaml"
WATCHED = ("jsonschema", "requests", "cattrs", "yaml")

_JOB = """\
from brevetti_job import Job

job = Job.init(schema={schema!r})
"""

_PYDANTIC_SETTINGS = """\
import sys

sys.path.insert(0, {root!r})
from pydantic_settings import BaseSettings

from benchmarks._pydantic_twin import segmentation

settings = segmentation(BaseSettings)()
"""
"""The contender of issue 11: the pydantic-settings twin of segmentation.yaml, made and
first instantiated (its defaults, the environment read) in a fresh process."""

_REPORT = """
import sys

print(", ".join(m for m in {watched!r} if m in sys.modules))
"""

_INNER_SCHEMA = re.compile(r"^\s*json_schema:.*\n", re.MULTILINE)


def without_inner_schema(text: str) -> str:
    """The segmentation schema text without the ``json_schema:`` line of its JSON field."""
    result, count = _INNER_SCHEMA.subn("", text)
    if count != 1:
        raise ValueError(f"expected one json_schema line in the schema, found {count}")
    return result


def clean_env() -> dict[str, str]:
    """This process's environment without platform or cloud variables.

    Bytecode caching is left on (``PYTHONDONTWRITEBYTECODE`` dropped) so that, after the
    warmup run, modules load from ``__pycache__`` as they do from an installed package;
    otherwise every run would time the compiler.
    """
    skip = ("BREVETTI", "AWS_", "PYTHONDONTWRITEBYTECODE")
    return {k: v for k, v in os.environ.items() if not k.startswith(skip)}


@dataclass
class Sample:
    """One fresh process: wall seconds, CPU seconds and peak resident memory in bytes."""

    seconds: float
    cpu: float
    peak_rss: int


GNU_TIME = Path("/usr/bin/time")


def gnu_time() -> bool:
    """Whether GNU time is there to report a child's peak RSS (``-f %M -o FILE``)."""
    if not GNU_TIME.is_file():
        return False
    with tempfile.NamedTemporaryFile("r") as out:
        probe = [str(GNU_TIME), "-f", "%M", "-o", out.name, "true"]
        done = subprocess.run(probe, capture_output=True, check=False)
        return done.returncode == 0 and out.read().strip().isdigit()


def spawn(argv: list[str], cwd: Path, env: dict[str, str], *, use_time: bool) -> Sample:
    """Run a process to its end; its wall time and its own peak RSS.

    Linux carries a forked child's memory high-water mark over `exec`, so the child's
    ``ru_maxrss`` from `os.wait4` would be at least this (large) process's RSS. With
    GNU time in between, the measured process is forked from that small program, and
    time reports its ``ru_maxrss``; the wall time then includes time's own start (about
    a millisecond, alike for every variant).
    """
    report = cwd / "maxrss.txt"
    command = [str(GNU_TIME), "-f", "%M", "-o", str(report), *argv] if use_time else argv
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited {proc.returncode}: {errors.decode(errors='replace')}")
    kib = int(report.read_text().split()[-1]) if use_time else usage.ru_maxrss
    return Sample(seconds, usage.ru_utime + usage.ru_stime, kib * 1024)


@dataclass
class Variant:
    """A command to time; `job` variants get a fresh ``--job_dir`` on every run."""

    name: str
    argv: list[str]
    job: bool = False
    env: dict[str, str] = field(default_factory=dict)
    """Set in the variant's environment, over the clean one."""


def variants(folder: Path) -> list[Variant]:
    """The baseline, a bare import, and the two job variants (scripts written in `folder`)."""
    stripped = folder / "segmentation-no-inner-schema.yaml"
    stripped.write_text(without_inner_schema(SCHEMA_FILE.read_text(encoding="utf-8")))
    full_job = folder / "job_full.py"
    full_job.write_text(_JOB.format(schema=str(SCHEMA_FILE)))
    lean_job = folder / "job_lean.py"
    lean_job.write_text(_JOB.format(schema=str(stripped)))
    twin = folder / "pydantic_settings_twin.py"
    twin.write_text(_PYDANTIC_SETTINGS.format(root=str(ROOT)))
    python = sys.executable
    return [
        Variant("`python -c pass`", [python, "-c", "pass"]),
        Variant("`import brevetti_job`", [python, "-c", "import brevetti_job"]),
        Variant("`Job.init()`, segmentation.yaml", [python, str(full_job)], job=True),
        Variant("`Job.init()`, same without inner JSON Schema", [python, str(lean_job)], job=True),
        Variant(PYDANTIC_SETTINGS, [python, str(twin)]),
        Variant(UNCACHED, [python, str(full_job)], job=True, env={CACHE_VARIABLE: "off"}),
    ]


PYDANTIC_SETTINGS = "pydantic-settings twin: first `BaseSettings()`"
UNCACHED = "`Job.init()`, segmentation.yaml, compile cache off"
CACHE_VARIABLE = "BREVETTI_SCHEMA_CACHE"


def _env(variant: Variant, env: dict[str, str]) -> dict[str, str]:
    return {**env, **variant.env}


def _argv(variant: Variant, job_dir: Path) -> list[str]:
    return [*variant.argv, "--job_dir", str(job_dir)] if variant.job else variant.argv


def imported(variant: Variant, index: int, folder: Path, env: dict[str, str]) -> str:
    """Which watched modules the variant's process had imported when it finished."""
    script = folder / f"report-{index}.py"
    if variant.job:
        script.write_text(Path(variant.argv[-1]).read_text() + _REPORT.format(watched=WATCHED))
        argv = [sys.executable, str(script), "--job_dir", str(folder / "jobs-report")]
    else:
        last = variant.argv[-1]
        code = Path(last).read_text() if last.endswith(".py") else last if last != "pass" else ""
        script.write_text(code + "\n" + _REPORT.format(watched=WATCHED))
        argv = [sys.executable, str(script)]
    out = subprocess.run(
        argv, cwd=folder, env=_env(variant, env), check=True, capture_output=True, text=True
    )
    return out.stdout.strip() or "none"


PROFILED = ("brevetti_job", "brevetti_schema", "attrs", "yaml", "cattrs", "jsonschema", "requests")


def import_profile(variant: Variant, folder: Path, env: dict[str, str]) -> str:
    """Cumulative import time of the main packages, by ``python -X importtime``.

    Each package's figure includes what it imports, so they overlap (brevetti_job
    includes brevetti_schema, which includes attrs); lazily imported packages count
    where they are first imported.
    """
    argv = [sys.executable, "-X", "importtime", variant.argv[-1], "--job_dir"]
    argv.append(str(folder / "jobs-importtime"))
    err = subprocess.run(
        argv, cwd=folder, env=_env(variant, env), check=True, capture_output=True, text=True
    )
    cumulative: dict[str, int] = {}
    total = 0
    for line in err.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        if not name.startswith("  "):  # a top-level import
            total += int(parts[1])
        if name.strip() in PROFILED:
            cumulative.setdefault(name.strip(), int(parts[1]))
    shown = [f"{name} {cumulative[name] / 1e3:.0f}" for name in PROFILED if name in cumulative]
    return f"all imports {total / 1e3:.0f} ms, of which " + ", ".join(shown)


def run(quick: bool = False) -> list[Table]:
    """Time every variant in alternation; report medians, ratios and imported modules."""
    rounds = 1 if quick else 21
    env = clean_env()
    use_time = gnu_time()
    before = load()
    with tempfile.TemporaryDirectory(prefix="brevetti-cold-") as tmp:
        folder = Path(tmp)
        env[CACHE_VARIABLE] = str(folder / "schema-cache")  # the run's own, filled by warmup
        chosen = variants(folder)
        for n, variant in enumerate(chosen):  # warm the file cache and the bytecode caches
            warmup = _argv(variant, folder / "jobs" / f"warmup-{n}")
            spawn(warmup, folder, _env(variant, env), use_time=use_time)
        samples: dict[str, list[Sample]] = {v.name: [] for v in chosen}
        for index in range(rounds):
            for n, variant in enumerate(chosen):
                job_dir = folder / "jobs" / f"{index}-{n}"
                argv, variant_env = _argv(variant, job_dir), _env(variant, env)
                sample = spawn(argv, folder, variant_env, use_time=use_time)
                samples[variant.name].append(sample)
        modules = {v.name: imported(v, n, folder, env) for n, v in enumerate(chosen)}
        profiles = {v.name: import_profile(v, folder, env) for v in chosen if v.job}
    table = Table(
        "Cold start: fresh process to the return of `Job.init()`, local mode (issue 4)",
        [
            "process",
            "wall ms",
            "vs bare",
            "over bare",
            "spread",
            "CPU ms",
            "vs bare",
            "peak RSS MiB",
            "vs bare",
            "imported",
        ],
    )
    base = chosen[0].name
    base_time = median([s.seconds for s in samples[base]])
    base_rss = median([s.peak_rss for s in samples[base]])
    base_cpu = median([s.cpu for s in samples[base]])
    for variant in chosen:
        times = [s.seconds for s in samples[variant.name]]
        rss = median([s.peak_rss for s in samples[variant.name]])
        cpu = median([s.cpu for s in samples[variant.name]])
        table.add(
            variant.name,
            ms(median(times)),
            ratio(median(times), base_time),
            f"+{ms(median(times) - base_time)} ms",
            spread(times),
            ms(cpu),
            ratio(cpu, base_cpu),
            f"{rss / 2**20:.1f}",
            ratio(rss, base_rss),
            modules[variant.name],
        )
    job_names = [v.name for v in chosen if v.job]
    verdicts = []
    for name in job_names:
        wall = median([s.seconds for s in samples[name]])
        cpu = median([s.cpu for s in samples[name]])
        rss = median([s.peak_rss for s in samples[name]]) / 2**20
        verdicts.append(
            f"{name}: {'under' if wall < 0.25 else 'OVER'} 0.25 s wall "
            f"({'under' if cpu < 0.25 else 'OVER'} in CPU time), "
            f"{'under' if rss < 40 else 'OVER'} 40 MiB"
        )
    job = chosen[2].name
    versus = {
        "wall": median([s.seconds for s in samples[job]])
        / median([s.seconds for s in samples[PYDANTIC_SETTINGS]]),
        "CPU": median([s.cpu for s in samples[job]])
        / median([s.cpu for s in samples[PYDANTIC_SETTINGS]]),
    }
    verdicts.append(
        f"{job} against the {PYDANTIC_SETTINGS} (issue 11, at most 0.6x): "
        + ", ".join(
            f"{value:.2f}x in {what} time ({'met' if value <= 0.6 else 'NOT met'})"
            for what, value in versus.items()
        )
    )
    table.notes += [
        f"median of {rounds} runs per process, in alternation, after one warmup run each; "
        "wall time from spawn to exit (interpreter shutdown included, as for the baseline); "
        + (
            "peak RSS is the process's ru_maxrss as GNU time reports it"
            if use_time
            else "peak RSS is the child's ru_maxrss from os.wait4, which on Linux includes "
            "this benchmark process's own RSS (no GNU time here): an upper bound"
        ),
        "imported: which of " + ", ".join(WATCHED) + " were in sys.modules at the end "
        "(a separate run)",
        "compile cache (docs/settings.md): the run's own folder, filled by the warmup runs, "
        "as bytecode is; the last row turns it off (the schema file read by PyYAML, the "
        "validator compiled, the JSON field's default checked by jsonschema, every run)",
        "CPU ms: user + system time of the process (and of GNU time, about 1 ms), less "
        "sensitive than wall time to other work on the machine",
        f"{PYDANTIC_SETTINGS}: the pydantic v2 twin of segmentation.yaml "
        "(benchmarks/_pydantic_twin.py, the model the settings benchmark compares with) "
        "on a pydantic-settings `BaseSettings` root, defined and instantiated once (its "
        "defaults; the environment read), as `Job.init()` loads the schema and makes its "
        "settings",
        *[f"import time in ms (-X importtime, which adds overhead) for {n}: {p}"
          for n, p in profiles.items()],
        "targets: " + "; ".join(verdicts),
        f"load average before/after: {before}/{load()}",
    ]  # fmt: skip
    return [table]


if __name__ == "__main__":
    main(run, __doc__ or "")
