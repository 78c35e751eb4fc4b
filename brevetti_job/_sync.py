"""`brevetti-job sync JOB_DIR`: deliver a job's pending platform writes, in order, once.

The outbox records hold everything but the key, which comes from ``--api-key`` or
``BREVETTI_API_KEY``. Each write keeps its idempotency key, so running sync again (or
after a partial delivery) never applies a write twice.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._outbox import Outbox
    from ._storage import Storage

__all__ = ["add_sync_command", "sync"]

PROG = "brevetti-job"

_NAMES = {
    "output": ("output.json", "output.json"),
    "artifact": ("artifact", "artifacts"),
    "chart": ("chart", "charts"),
    "progress": ("progress record", "progress records"),
    "complete": ("completion", "completions"),
}


def add_sync_command(sub: Any) -> None:
    """Add ``sync`` to the CLI's subcommands."""
    sync_parser = sub.add_parser("sync", help="deliver a job's pending platform writes (outbox)")
    sync_parser.add_argument("job_dir", metavar="JOB_DIR")
    sync_parser.add_argument("--api-key", help="the job's API key (default: $BREVETTI_API_KEY)")
    sync_parser.add_argument(
        "--host", help="platform URL (default: $BREVETTI_HOST, else the job description's)"
    )
    sync_parser.add_argument(
        "--job-id",
        help="whose writes to deliver when the folder holds several jobs' (default: the job "
        "of its info.json)",
    )
    sync_parser.set_defaults(handler=_handler)


def _handler(args: argparse.Namespace) -> int:
    return sync(Path(args.job_dir), api_key=args.api_key, host=args.host, job_id=args.job_id)


def _counted(counts: Mapping[str, int]) -> str:
    parts = []
    for op, n in counts.items():
        one, many = _NAMES.get(op, (op, op + "s"))
        parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def _normal(url: str) -> str:
    return url.rstrip("/").lower()


def _description(job_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((job_dir / "info.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _configured_host(job_dir: Path, env: Mapping[str, str]) -> str | None:
    """The job's host: the environment's, else the description's (never an outbox record's)."""
    for variable in ("BREVETTI_HOST", "BREVETTIAI_HOST_NAME"):
        if env.get(variable):
            return env[variable]
    found = _description(job_dir).get("host_name")
    return found if isinstance(found, str) and found else None


def _whose(job_dir: Path, held: Mapping[str, int], asked: str | None) -> str | None:
    """The job whose writes are delivered: asked for, else the folder's description's,
    else the only job with pending writes; ``None`` when that cannot be told."""
    if asked:
        return asked
    described = _description(job_dir).get("id")
    if isinstance(described, str) and described:
        return described
    return next(iter(held)) if len(held) == 1 else None


def _storage_for(
    outbox: Outbox, job_id: str, host: str, key: str, env: Mapping[str, str]
) -> Storage | None:
    """The job's storage when its pending writes include files for its storage folder:
    ``<data bucket>/<job id>`` with the data bucket of ``BREVETTIAI_DATA_BUCKET`` (else the
    platform's default), credentials from the configured host. Records that name another
    folder are not sent (`_ElsewhereFiles`): the records never choose where files go."""
    from ._job_storage import data_bucket, job_folder, platform_storage  # noqa: PLC0415

    records = [r for r in outbox.pending() if r.job_id == job_id and r.op in _FILE_OPS]
    if not records:
        return None
    bucket = data_bucket(env)
    prefix = job_folder(bucket, job_id) + "/artifacts/"
    elsewhere = [
        r.path for r in records if r.transport == "storage" and not r.path.startswith(prefix)
    ]
    if elsewhere:
        raise _ElsewhereFiles(len(elsewhere), bucket, elsewhere[0])
    storage, _ = platform_storage(host=host, job_id=job_id, api_key=key, bucket=bucket, env=env)
    return storage


_FILE_OPS = frozenset({"artifact", "output"})


class _ElsewhereFiles(Exception):
    """Files pending for a storage folder other than the configured data bucket's."""

    def __init__(self, count: int, bucket: str, example: str) -> None:
        super().__init__(count)
        self.count = count
        self.bucket = bucket
        self.example = example


def _held_note(held: Mapping[str, int], job_id: str) -> str | None:
    others = [(job, n) for job, n in held.items() if job != job_id]
    if not others:
        return None
    listed = ", ".join(f"{n} of job {job}" for job, n in others)
    return (
        f"also held: {listed} (another job used this folder; not sent with this key: run "
        "sync with --job-id ID and that job's key)"
    )


def sync(
    job_dir: Path,
    *,
    api_key: str | None,
    host: str | None,
    env: Mapping[str, str] | None = None,
    job_id: str | None = None,
) -> int:
    """Deliver what is pending in ``job_dir/outbox``; prints a summary, returns the exit code."""
    env = os.environ if env is None else env
    key = api_key or env.get("BREVETTI_API_KEY")
    if not key:
        print(
            f"{PROG}: error: no API key: pass --api-key or set BREVETTI_API_KEY",
            file=sys.stderr,
        )
        return 1
    if not (job_dir / "outbox").is_dir() and not (job_dir / "info.json").is_file():
        print(f"{PROG}: error: {job_dir} holds no job (no info.json, no outbox)", file=sys.stderr)
        return 1
    from ._client import PlatformClient  # noqa: PLC0415 - requests only when syncing
    from ._outbox import Outbox  # noqa: PLC0415
    from ._platform import ForeignHost, deliver_pending  # noqa: PLC0415

    target = host or _configured_host(job_dir, env)
    if not target:
        print(
            f"{PROG}: error: no platform host known for {job_dir}: pass --host or set "
            "BREVETTI_HOST (the outbox's records never choose where the key is sent)",
            file=sys.stderr,
        )
        return 1
    outbox = Outbox(job_dir / "outbox")
    held = outbox.pending_by_job()
    if not held:
        print(f"nothing pending in {outbox.folder}")
        return 0
    whose = _whose(job_dir, held, job_id)
    if whose is None:
        listed = ", ".join(f"{n} of job {job}" for job, n in held.items())
        print(
            f"{PROG}: error: {outbox.folder} holds pending writes of several jobs ({listed}) "
            "and no info.json says whose this folder is: pass --job-id ID with that job's key",
            file=sys.stderr,
        )
        return 1
    note = _held_note(held, whose)
    if not held.get(whose):
        print(f"nothing pending for job {whose} in {outbox.folder}")
        if note:
            print(note)
        return 0
    try:
        client = PlatformClient.from_env(target, key, env)
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1

    def client_for(recorded: str) -> PlatformClient:
        if host is None and _normal(recorded) != _normal(target):
            raise ForeignHost(recorded, target)
        return client  # an explicit --host takes every record there: the job moved

    print(f"sync {job_dir}: {held[whose]} pending write(s) for job {whose} at {target}")
    if note:
        print(note)
    try:
        storage = _storage_for(outbox, whose, target, key, env)
    except _ElsewhereFiles as exc:
        client.close()
        print(
            f"{PROG}: error: {exc.count} file(s) pending for the job's storage folder are "
            f"recorded for another place than {exc.bucket}/{whose} (e.g. {exc.example}): set "
            "BREVETTIAI_DATA_BUCKET to the job's data bucket (the outbox's records never "
            "choose where the job's files go)",
            file=sys.stderr,
        )
        return 1
    try:
        summary = deliver_pending(outbox, client_for, job_dir / "artifacts", whose, storage)
    finally:
        client.close()
    line = f"delivered {summary.delivered}"
    if summary.delivered:
        line += f" ({_counted(summary.sent)})"
    notes = []
    if summary.skipped:
        notes.append(f"{summary.skipped} artifact(s) already on the platform")
    if summary.replayed:
        notes.append(f"{summary.replayed} already applied before")
    if notes:
        line += "; " + ", ".join(notes)
    print(line)
    for rejected in summary.rejected:
        print(f"rejected {rejected}")
    print(f"pending {summary.pending}")
    if summary.foreign:
        print(
            f"{PROG}: error: {len(summary.foreign)} write(s) name another host than "
            f"{target} and were not sent: {', '.join(summary.foreign)} (the key goes only "
            "to the job's configured host; pass --host to deliver them there)",
            file=sys.stderr,
        )
        return 1
    if summary.auth_error:
        print(
            f"{PROG}: error: {summary.auth_error}; {summary.pending} write(s) still pending",
            file=sys.stderr,
        )
        return 1
    if summary.unavailable:
        print(
            f"{PROG}: error: the platform is unreachable ({summary.unavailable}); "
            f"{summary.pending} write(s) still pending, run sync again later",
            file=sys.stderr,
        )
        return 1
    return 1 if summary.rejected else 0
