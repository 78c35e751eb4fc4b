"""Issue 2: build and emit schemas of 100, 1,000 and 10,000 fields; cost per field.

Each size is declared with the DSL (a realistic mix of kinds in sections of 20 fields,
each with a nested section, some conditions, presets and advanced fields), built (with
the declaration checks), and emitted as the platform UI JSON and the JSON Schema text.
The cost per field should stay flat as the schema grows: the ratio of the per-field
cost at the largest size to that at the smallest is the figure to watch.

    python -m benchmarks.emit_scaling [--quick]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from brevetti_schema import (
    Schema,
    SchemaBuilder,
    SectionBuilder,
    dump_json_schema,
    dump_platform_ui,
)

from ._common import CLOCK, Table, load, main, median, python_calls, ratio, spread, us

SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (20, 40)
GROUP = 20  # fields per top-level section: 15 of its own and 5 in a nested section

PHASES = ("declare", "build", "platform UI", "JSON Schema")


def _own_fields(s: SectionBuilder, i: int) -> None:
    """The 15 fields of one top-level section, a mix of kinds."""
    on = f"g{i}.enabled"
    s.boolean("enabled", default=True, help="Turns this group on.")
    s.integer("count", default=8, min=1, max=512, unit="items", presets={"quick": 2})
    s.integer(
        "size",
        default=256,
        min=32,
        max=8192,
        multiple_of=32,
        visible_when={"field": on, "equals": True},
    )
    s.number("rate", default=0.001, exclusive_min=0, max=1, presets={"quick": 0.01})
    s.number("ratio", default=0.5, min=0, max=1, step=0.05, advanced=True)
    s.choice(
        "mode", options={"fast": "Fast", "exact": "Exact", "auto": "Automatic"}, default="auto"
    )
    s.choice("level", options=[1, 2, 3], default=2, visible_when={"field": on, "equals": True})
    s.multi_choice(
        "outputs",
        options={"csv": "CSV", "json": "JSON", "png": "PNG"},
        default=["json"],
        min_items=1,
    )
    s.list("steps", of="integer", default=[10, 20], min=1)
    s.list("scale", of="number", default=[0.9, 1.1], min=0.1, max=10, min_items=2, max_items=2)
    s.text("name", default="run", max_length=64, pattern="^[A-Za-z0-9_-]+$", placeholder="run")
    s.text("notes", multiline=True, default="", help="Free text kept with the results.")
    s.boolean("verbose", default=False, advanced=True)
    s.json("extra", default={}, advanced=True, help="Passed on as is.")
    s.secret("token", required=False, default=None, advanced=True)


def _nested_fields(s: SectionBuilder, i: int) -> None:
    """The 5 fields of the nested section of top-level section `i`."""
    s.integer("retries", default=3, min=0, max=10)
    s.number("timeout", default=30.0, exclusive_min=0, unit="s")
    s.choice(
        "policy",
        options=["skip", "retry", "fail"],
        default="retry",
        visible_when={"field": f"g{i}.detail.retries", "not_equals": 0},
    )
    s.classes("labels", default=["ok", "defect"], min_items=1)
    s.class_mapping("relabel", default={"scratches": "defect"}, advanced=True)


def declare(fields: int) -> SchemaBuilder:
    """A builder holding `fields` fields (a multiple of 20) in nested sections."""
    b = SchemaBuilder(title=f"Benchmark schema of {fields} fields")
    for i in range(fields // GROUP):
        with b.section(f"g{i}", help=f"Group {i}.", advanced=i % 4 == 3) as s:
            if i % 5 == 0:
                s.heading("Basics")
            _own_fields(s, i)
            with s.section("detail", visible_when={"field": f"g{i}.enabled", "equals": True}) as d:
                _nested_fields(d, i)
    b.preset("slow", {"g0": {"count": 64, "detail": {"retries": 5}}})
    return b


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = CLOCK()
    value = fn()
    return value, CLOCK() - start


def one_pass(fields: int) -> dict[str, float]:
    """Seconds of each phase for one fresh schema of `fields` fields."""
    builder, t_declare = _timed(lambda: declare(fields))
    schema, t_build = _timed(builder.build)
    assert isinstance(schema, Schema) and schema.field_count() == fields
    ui, t_ui = _timed(lambda: dump_platform_ui(schema))
    js, t_js = _timed(lambda: dump_json_schema(schema))
    assert ui and js
    return dict(zip(PHASES, (t_declare, t_build, t_ui, t_js), strict=True))


def measure(sizes: tuple[int, ...], repeats: dict[int, int]) -> dict[int, dict[str, list[float]]]:
    """Per size and phase, the seconds of each repetition (after one warmup pass)."""
    result: dict[int, dict[str, list[float]]] = {}
    for size in sizes:
        one_pass(size)
        samples: dict[str, list[float]] = {phase: [] for phase in (*PHASES, "total")}
        for _ in range(repeats[size]):
            times = one_pass(size)
            for phase, seconds in times.items():
                samples[phase].append(seconds)
            samples["total"].append(sum(times.values()))
        result[size] = samples
    return result


def chain(fields: int) -> SchemaBuilder:
    """A stress shape: each field visible only when the field before it is on."""
    b = SchemaBuilder()
    with b.section("chain") as s:
        s.boolean("f0", default=True)
        for i in range(1, fields):
            s.boolean(
                f"f{i}", default=True, visible_when={"field": f"chain.f{i - 1}", "equals": True}
            )
    return b


def chain_table(sizes: tuple[int, ...], repeat: int) -> Table:
    """`build()` per field for chains of conditions of growing length."""
    table = Table(
        "Stress shape: a chain of conditions, build() per field",
        ["fields", "build µs/field", "vs smallest", "calls/field"],
    )
    base = 0.0
    for size in sizes:
        builder = chain(size)
        try:
            builder.build()
            seconds = median([_timed(builder.build)[1] for _ in range(repeat)]) / size
        except RecursionError:
            table.add(f"{size:,}", "RecursionError", "", "")
            continue
        base = base or seconds
        calls = python_calls(builder.build) / size
        table.add(f"{size:,}", us(seconds), ratio(seconds, base), f"{calls:,.0f}")
    table.notes.append(
        "not a realistic schema: field i has `visible_when: field i-1 equals true`; it shows "
        "how the declaration checks scale with the length of a dependency chain"
    )
    return table


_HOLD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from benchmarks.emit_scaling import declare
from brevetti_schema import resolve_settings
schema = declare(int(sys.argv[1])).build()
start = time.process_time()
result = resolve_settings(schema, {})
seconds = time.process_time() - start
print(json.dumps({"prepare": seconds, "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def prepare_table(sizes: tuple[int, ...], repeat: int) -> Table:
    """Preparing a schema for settings (classes + generated validator + first call) per
    field, and the peak memory of a fresh process holding a job's schema and settings."""
    import json
    import os
    import subprocess
    import sys

    from ._common import ROOT

    # the work itself, every time: no compile cache (docs/settings.md)
    uncached = {**os.environ, "BREVETTI_SCHEMA_CACHE": "off"}
    table = Table(
        "Preparing a schema for settings: cost per field (issue 11)",
        ["fields", "prepare µs/field", "vs smallest", "peak memory of the process"],
    )
    base = 0.0
    for size in sizes:
        samples = []
        for _ in range(repeat):
            out = subprocess.run(
                [sys.executable, "-c", _HOLD, str(size), str(ROOT)],
                capture_output=True, text=True, check=True, cwd=ROOT, env=uncached,
            ).stdout  # fmt: skip
            samples.append(json.loads(out.splitlines()[-1]))
        seconds = median([s["prepare"] for s in samples]) / size
        peak = median([s["peak"] for s in samples]) / 1024  # ru_maxrss is in KiB on Linux
        base = base or seconds
        table.add(f"{size:,}", us(seconds), ratio(seconds, base), f"{peak:,.1f} MiB")
    table.notes += [
        "prepare = the first `resolve_settings(schema, {})` in a fresh process after the "
        "schema is built: the live settings classes, the generated validator (source written "
        "and compiled, one function per section and per 200 fields) and one validation; "
        "process CPU time; the compile cache off",
        f"median of {repeat} fresh processes per size; peak memory is the process's maximum "
        "resident set (Python, the schema, its classes, its validator and the settings)",
    ]
    return table


def run(quick: bool = False) -> list[Table]:
    """Measure every size and report µs per field per phase, and the scaling ratio."""
    sizes = QUICK_SIZES if quick else SIZES
    repeats = {size: 1 for size in sizes} if quick else {100: 41, 1_000: 15, 10_000: 7}
    before = load()
    prepared = prepare_table(sizes, 1 if quick else 5)
    data = measure(sizes, repeats)
    columns = ["fields", *(f"{p} µs/field" for p in PHASES), "total µs/field", "total", "spread"]
    columns.append("calls/field")
    calls = {size: python_calls(functools.partial(one_pass, size)) / size for size in sizes}
    table = Table("Build and emit: cost per field (issue 2)", columns)
    for size in sizes:
        row = [f"{size:,}"]
        row += [us(median(data[size][p]) / size) for p in PHASES]
        total = median(data[size]["total"])
        row += [us(total / size), f"{total * 1e3:,.1f} ms", spread(data[size]["total"])]
        row.append(f"{calls[size]:,.0f}")
        table.add(*row)
    small, large = sizes[0], sizes[-1]
    cells = [f"{large:,} vs {small:,}"]
    for phase in (*PHASES, "total"):
        per_small = median(data[small][phase]) / small
        per_large = median(data[large][phase]) / large
        cells.append(ratio(per_large, per_small))
    table.add(*cells, "", "", ratio(calls[large], calls[small]))
    table.notes += [
        "phases: declare = the SchemaBuilder calls; build = `build()` (freeze + declaration "
        "checks); platform UI = `dump_platform_ui` (emit + JSON text); JSON Schema = "
        "`dump_json_schema` (emit + JSON text)",
        "each top-level section holds 20 fields: 15 of its own and a nested section of 5 "
        "(every field kind, 4 conditions, presets, advanced fields, a heading in every 5th "
        "section, every 4th section advanced)",
        "median of " + ", ".join(f"{repeats[s]} passes at {s:,}" for s in sizes) + "; "
        "the last row is the per-field cost at the largest size over the smallest (1.00x is "
        "linear); spread is half the interquartile range over the median",
        "calls/field: Python and built-in function calls per field in one pass, counted by "
        "cProfile; a count, not a time, so it shows linear work free of timing noise",
        f"load average before/after: {before}/{load()}",
    ]
    chains = (10, 20) if quick else (100, 200, 400, 800, 2_000)
    return [table, prepared, chain_table(chains, 1 if quick else 5)]


if __name__ == "__main__":
    main(run, __doc__ or "")
