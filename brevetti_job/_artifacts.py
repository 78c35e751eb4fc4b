"""Which files under ``artifacts/`` changed since they were last recorded for upload.

Platform mode sends every file the job leaves under ``artifacts/``, however it was
written (`Job.artifact_path`, `Job.upload_artifact`, a plain write into
`Job.artifacts_dir`). `ArtifactLedger` remembers, per job, the size, modification time
and sha256 of each file when it was last recorded in the outbox, so a scan hashes only
files whose size or time changed and records only those whose content changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import attrs

from ._errors import ArtifactPathError
from ._files import atomic_write_json, check_name, safe_child

__all__ = ["ArtifactLedger", "Change", "artifact_files", "file_sha256"]

logger = logging.getLogger("brevetti_job.platform")

SKIPPED: Final = frozenset({"output.json"})
"""Sent by its own write (the output document), not as an artifact file."""


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks (constant memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _temporary(name: str) -> bool:
    """A file of an atomic write still in progress (``.<name>.<...>.tmp``)."""
    return name.startswith(".") and name.endswith((".tmp", ".part"))


def artifact_files(root: Path) -> Iterator[tuple[str, Path]]:
    """``(name, path)`` of every file under `root`, names relative with ``/``, sorted.

    Left out: output.json, temporary files of atomic writes, links that lead out of
    `root`, and names that are not valid text (each logged once per scan).
    """
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for file_name in sorted(files):
            if _temporary(file_name):
                continue
            path = Path(folder) / file_name
            name = path.relative_to(root).as_posix()
            if name in SKIPPED:
                continue
            try:
                check_name(name, "artifact file")
                safe_child(root, name)
            except ArtifactPathError as exc:
                logger.error("not sent to the platform: %s", exc)
                continue
            if path.is_file():
                yield name, path


@attrs.frozen
class Change:
    """A file to record for upload: its name, path, sha256, size and modification time."""

    name: str
    path: Path
    sha256: str
    size: int
    mtime_ns: int


class ArtifactLedger:
    """What was last recorded for upload, per artifact name, for one job (a JSON file)."""

    def __init__(self, path: Path, job_id: str) -> None:
        self._path = path
        self._job_id = job_id
        self._lock = threading.Lock()
        self._files: dict[str, dict[str, Any]] | None = None

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._files is None:
            try:
                data = json.loads(self._path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            files = data.get("files") if isinstance(data, dict) else None
            same_job = isinstance(data, dict) and data.get("job_id") == self._job_id
            # another job's ledger (a reused folder): its uploads went to its own storage
            self._files = dict(files) if same_job and isinstance(files, dict) else {}
        return self._files

    def _save(self) -> None:
        atomic_write_json(self._path, {"job_id": self._job_id, "files": self._load()})

    def note(self, change: Change) -> None:
        """Remember that `change` was recorded."""
        with self._lock:
            self._load()[change.name] = {
                "size": change.size, "mtime_ns": change.mtime_ns, "sha256": change.sha256,
            }  # fmt: skip
            self._save()

    def changed(self, root: Path) -> list[Change]:
        """The files under `root` whose content differs from what was last recorded."""
        changes = []
        with self._lock:
            files = self._load()
            touched = False
            for name, path in artifact_files(root):
                try:
                    stat = path.stat()
                except FileNotFoundError:  # removed while we looked
                    continue
                known = files.get(name)
                if known and (known.get("size"), known.get("mtime_ns")) == (
                    stat.st_size, stat.st_mtime_ns,
                ):  # fmt: skip
                    continue
                sha = file_sha256(path)
                if known and (known.get("size"), known.get("sha256")) == (stat.st_size, sha):
                    known["mtime_ns"] = stat.st_mtime_ns  # touched, not changed
                    touched = True
                    continue
                changes.append(Change(name, path, sha, stat.st_size, stat.st_mtime_ns))
            if touched:
                self._save()
        return changes
