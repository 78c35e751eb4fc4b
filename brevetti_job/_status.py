"""The job's status record (status.json) and the hosted service's failure file."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from ._files import atomic_write_json
from ._identity import Identity

__all__ = ["FAILURE_FILE", "write_failure_file", "write_status"]

logger = logging.getLogger("brevetti_job")

FAILURE_FILE: Final = "/opt/ml/output/failure"
"""Where the hosted container service reads a failure reason (first 1024 characters)."""


def write_status(folder: Path, status: str, **fields: Any) -> None:
    """Record the job's status: running, completed (model path) or failed (reason)."""
    path = folder / "status.json"
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        record = {}
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if status == "running" or "started_at" not in record:
        record = {"started_at": now}
    record["status"] = status
    if status != "running":
        record["ended_at"] = now
    record.update({k: v for k, v in fields.items() if v is not None})
    atomic_write_json(path, record)


def write_failure_file(env: Mapping[str, str], identity: Identity, reason: str) -> None:
    """On the hosted container service, also leave the reason where it looks for one."""
    target = env.get("BREVETTI_FAILURE_FILE") or (FAILURE_FILE if identity.hosted else None)
    if not target:
        return
    try:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(reason[:1024], encoding="utf-8")
    except OSError as exc:
        logger.warning("could not write the failure file %s: %s", target, exc)
