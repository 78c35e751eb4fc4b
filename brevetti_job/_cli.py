"""`brevetti-job`: create local jobs and inspect them.

User errors print one clear message and exit 1; usage errors exit 2; no tracebacks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

PROG = "brevetti-job"


def _new(args: argparse.Namespace) -> int:
    from ._job import Job  # noqa: PLC0415

    folder = Job.create_local(
        args.schema,
        settings=args.settings,
        preset=args.preset,
        job_dir=args.job_dir,
        job_id=args.job_id,
        overrides=args.set or (),
    )
    print(folder)
    return 0


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"{PROG}: error: {path} is not valid JSON: {exc.msg}") from None


def _status(args: argparse.Namespace) -> int:
    folder = Path(args.job_dir)
    info = _read_json(folder / "info.json")
    status = _read_json(folder / "status.json")
    output = _read_json(folder / "artifacts" / "output.json") or {}
    if info is None:  # a job started with --info_file elsewhere: output.json has the description
        info = (output.get("job") or output.get("config")) if status is not None else None
    if info is None:
        print(f"{PROG}: error: {folder} holds no job (no info.json)", file=sys.stderr)
        return 1
    status = status or {"status": "not started"}
    metrics = output.get("output") or {}
    if args.json:  # only JSON, so that it can be piped into a JSON tool
        print(json.dumps({"status": status, "output": metrics}, indent=2))
        return 0
    print(f"job:      {info.get('name') or info.get('id')} ({info.get('id')})")
    line = f"status:   {status.get('status')}"
    if status.get("model_path"):
        line += f" (model: {status['model_path']})"
    print(line)
    if status.get("reason"):
        print("reason:   " + str(status["reason"]).replace("\n", "\n          "))
    if metrics:
        print("metrics:")
        width = max(len(k) for k in metrics)
        for name, value in metrics.items():
            print(f"  {name.ljust(width)}  {value}")
    artifacts = folder / "artifacts"
    files = sorted(p for p in artifacts.rglob("*") if p.is_file()) if artifacts.is_dir() else []
    if files:
        print("artifacts:")
        names = [path.relative_to(artifacts).as_posix() for path in files]
        width = max(len(name) for name in names)
        for name, path in zip(names, files, strict=True):
            print(f"  {name.ljust(width)}  {_size(path.stat().st_size):>9}")
    outbox = folder / "outbox"
    if outbox.is_dir():
        from ._outbox import Outbox  # noqa: PLC0415 - only for platform-mode folders

        box = Outbox(outbox)
        pending, delivered, rejected = (box.count(s) for s in ("pending", "done", "rejected"))
        line = f"platform: {delivered} writes delivered, {pending} pending, {rejected} rejected"
        print(line + (" (run `brevetti-job sync` to deliver)" if pending else ""))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Run and inspect Brevetti AI jobs.")
    from . import __version__  # noqa: PLC0415 - the package is loaded by now

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    new = sub.add_parser("new", help="create a local job description (info.json)")
    new.add_argument("--schema", required=True, help="schema file or package.module:attr")
    new.add_argument("--settings", help="settings YAML/JSON file")
    new.add_argument("--preset", help="named preset to apply")
    new.add_argument("--job-dir", help="job folder (default ./jobs/<job id>)")
    new.add_argument("--job-id", help="job id (default: generated)")
    new.add_argument("--set", action="append", metavar="PATH=VALUE", help="override a setting")
    new.set_defaults(handler=_new)
    status = sub.add_parser("status", help="print a job's status, metrics and artifacts")
    status.add_argument("job_dir", metavar="JOB_DIR")
    status.add_argument(
        "--json", action="store_true", help="print only the status and metrics, as JSON"
    )
    status.set_defaults(handler=_status)
    from ._sync import add_sync_command  # noqa: PLC0415 - the command lives with its code

    add_sync_command(sub)
    from .devserver._commands import add_commands  # noqa: PLC0415 - dev platform commands

    add_commands(sub)
    return parser


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``| head``): stop without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what a tool killed by the signal returns


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 invalid input, 2 usage)."""
    try:
        status = _main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except SystemExit as exit_:  # --help, --version and usage errors
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return _quiet_broken_pipe()
        raise exit_ from None
    return status


def _main(argv: Sequence[str] | None) -> int:
    from brevetti_schema import BrevettiSchemaError, SchemaError, SettingsError  # noqa: PLC0415

    from ._errors import BrevettiJobError  # noqa: PLC0415

    args = _parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except SettingsError as exc:
        print(exc.table(), file=sys.stderr)
        return 1
    except SchemaError as exc:
        for problem in exc.problems:
            print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 1
    except (BrevettiJobError, BrevettiSchemaError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # the reader went away: `main` ends quietly
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
