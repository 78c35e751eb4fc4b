"""Run every benchmark, print the tables, and with ``--write`` record them in BENCHMARKS.md.

    python -m benchmarks.run [--quick] [--write] [--output PATH] [--only NAME ...]

``--write`` replaces the text between the results markers of the output file (default
``BENCHMARKS.md`` at the repository root) with this run's machine and tables.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from . import (
    artifact_download,
    cold_start,
    devserver_progress,
    emit_scaling,
    hostile_files,
    settings_validation,
    storage_transfer,
)
from ._common import ROOT, Table, load, machine, parser

BENCHMARKS: dict[str, Callable[[bool], list[Table]]] = {
    "emit_scaling": emit_scaling.run,
    "settings_validation": settings_validation.run,
    "cold_start": cold_start.run,
    "devserver_progress": devserver_progress.run,
    "hostile_files": hostile_files.run,
    "artifact_download": artifact_download.run,
    "storage_transfer": storage_transfer.run,
}

START = "<!-- results:start (written by `python -m benchmarks.run --write`) -->"
END = "<!-- results:end -->"


def code_version() -> str:
    """Which code was measured: the checkout, its commit, and whether the packages differ."""
    import brevetti_schema

    where = Path(brevetti_schema.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            [
                "git",
                "-C",
                str(where),
                "status",
                "--porcelain",
                "--",
                "brevetti_schema",
                "brevetti_job",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"{where} (not a git checkout)"
    state = "with uncommitted changes in the packages" if status else "packages clean"
    return f"commit {commit} ({state})"


def results_section(tables: list[Table], quick: bool, loads: tuple[str, str]) -> str:
    """The markdown written between the markers: when, where, and every table."""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Run of {today}" + (" (**quick smoke mode: not real figures**)" if quick else "")]
    lines += ["", "Machine:", ""]
    lines += [f"* {fact}" for fact in machine()]
    lines.append(f"* code: {code_version()}")
    lines.append(f"* load average (1 min) before/after the whole run: {loads[0]}/{loads[1]}")
    lines.append("")
    return "\n".join(lines) + "\n" + "\n".join(t.markdown() for t in tables)


def write_results(path: Path, section: str) -> None:
    """Replace the results section of `path` (markers included) with `section`."""
    text = path.read_text(encoding="utf-8")
    begin, end = text.find(START), text.find(END)
    if begin < 0 or end < begin:
        raise SystemExit(f"{path}: results markers not found ({START!r} ... {END!r})")
    updated = text[: begin + len(START)] + "\n\n" + section + "\n" + text[end:]
    path.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks (all by default); print, and maybe write, the results."""
    cli = parser(__doc__ or "")
    cli.add_argument("--write", action="store_true", help="update the results in the output file")
    cli.add_argument(
        "--output", type=Path, default=ROOT / "BENCHMARKS.md", help="file to write the results to"
    )
    cli.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    args = cli.parse_args(argv)
    before = load()
    tables: list[Table] = []
    for name, bench in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name}...", file=sys.stderr, flush=True)
        for table in bench(args.quick):
            print(table.markdown(), flush=True)
            tables.append(table)
    section = results_section(tables, args.quick, (before, load()))
    if args.write:
        write_results(args.output, section)
        print(f"results written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
