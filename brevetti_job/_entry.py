"""The command-line entry of a job script (`Job.main`): help, errors, exit status."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from brevetti_schema import BrevettiSchemaError, SettingsError

from ._errors import BrevettiJobError
from ._identity import SWITCHES

__all__ = ["asks_for_help", "run_main"]


class _StartedJob(Protocol):
    """What the entry uses of a job it made: warnings, its folder, start, scrub."""

    @property
    def settings_warnings(self) -> tuple[Any, ...]: ...

    @property
    def job_dir(self) -> Path: ...

    def start(self) -> Any: ...

    def scrub(self, text: str) -> str: ...


def asks_for_help(args: Sequence[str]) -> bool:
    """``-h``/``--help`` in a flag position (not as the value of another flag)."""
    expecting_value = False
    for token in args:
        if expecting_value:
            expecting_value = False
        elif token in ("-h", "--help"):
            return True
        elif token.startswith("--") and "=" not in token and token[2:] not in SWITCHES:
            expecting_value = True
    return False


def run_main(
    job_class: type,
    init: Callable[..., _StartedJob],
    schema: Any,
    argv: Sequence[str] | None,
    kwargs: dict[str, Any],
) -> int:
    """Init from argv with `init` (`job_class`'s), `start()`, and the exit status (0 done,
    1 invalid or failed)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if schema is None:
        from ._declared import declared_settings  # noqa: PLC0415

        try:
            schema = declared_settings(job_class)
        except BrevettiJobError as exc:  # two settings types, an unresolvable annotation
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if asks_for_help(args):
        from ._help import help_text  # noqa: PLC0415 - only when asked

        try:
            print(help_text(job_class, schema))
            sys.stdout.flush()
        except BrokenPipeError:  # `train.py --help | head`: the reader went away
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        return 0
    try:
        job = init(schema=schema, argv=args, **kwargs)
    except SettingsError as exc:
        print(exc.table(), file=sys.stderr)
        return 1
    except (BrevettiJobError, BrevettiSchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the job folder cannot be made or written: read-only, full
        print(f"error: {os_error_text(exc)}", file=sys.stderr)
        return 1
    for warning in job.settings_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        job.start()
    except OSError as exc:
        if not _in_folder(exc, job.job_dir):
            print(job.scrub(traceback.format_exc()), end="", file=sys.stderr)
        else:  # the job's own folder failed it (read-only, full): one line, no traceback
            print(job.scrub(f"error: {os_error_text(exc)}"), file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 - report any failure of user code, already recorded
        print(job.scrub(traceback.format_exc()), end="", file=sys.stderr)
        return 1
    return 0


def os_error_text(exc: OSError) -> str:
    """An OS error as one line: what failed and on which path."""
    where = f": {exc.filename}" if exc.filename is not None else ""
    return f"{exc.strerror or exc}{where}"


def _in_folder(exc: OSError, folder: Path) -> bool:
    """Whether an OS error is about a path inside the job's folder."""
    if exc.filename is None:
        return False
    try:
        return Path(os.fsdecode(exc.filename)).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError, TypeError):
        return False
