"""The durable outbox: every platform write is on disk before it is sent.

``<job dir>/outbox/NNNNNNNN.json`` holds a pending write (numbered in order); after
delivery it is renamed into ``done/``, and a write the platform refuses for good is
moved to ``rejected/`` with the reason. A record holds the host, job id and kind and
the request (method, path, query, body or the artifact's name and sha256, idempotency
key), never the API key; a ``storage`` record names the object it writes into the job's
storage folder instead of a request. Each record is written atomically and fsynced, so a crash or
an outage loses nothing and ``brevetti-job sync`` can deliver it later, once.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import json
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from ._files import atomic_write_bytes, fsync_dir, json_bytes

__all__ = ["ArtifactRef", "Outbox", "Record"]

DONE: Final = "done"
REJECTED: Final = "rejected"
SEQ_FILE: Final = ".seq"
"""The next record number, kept so that numbering costs no scan of ``done/``."""
SEQ_LOCK: Final = ".seq.lock"
"""Held (``flock``) while a number is taken and its record written."""


@attrs.frozen
class ArtifactRef:
    """An artifact as it was when its upload was recorded."""

    name: str
    sha256: str
    size: int
    mtime_ns: int


@attrs.frozen
class Record:
    """One platform write, as recorded before it is sent."""

    seq: int
    host: str
    job_id: str
    kind: str
    op: str
    method: str
    path: str
    idempotency_key: str
    params: tuple[tuple[str, str], ...] = ()
    body: Any = None
    form: bool = False
    artifact: ArtifactRef | None = None
    created: float = 0.0
    transport: str = "http"
    """``http``: a platform API call (path and query on the host); ``storage``: an object
    written into the job's storage folder (`path` is its URL)."""

    @property
    def file_name(self) -> str:
        """The record's file name: its sequence number, zero-padded so names sort."""
        return f"{self.seq:08d}.json"

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data."""
        data = attrs.asdict(self, recurse=True)
        data["params"] = [list(pair) for pair in self.params]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        """A record from its JSON data (as `to_json` wrote it)."""
        artifact = data.get("artifact")
        return cls(
            seq=int(data["seq"]),
            host=str(data["host"]),
            job_id=str(data["job_id"]),
            kind=str(data["kind"]),
            op=str(data["op"]),
            method=str(data["method"]),
            path=str(data["path"]),
            idempotency_key=str(data["idempotency_key"]),
            params=tuple((str(k), str(v)) for k, v in data.get("params") or ()),
            body=data.get("body"),
            form=bool(data.get("form")),
            artifact=ArtifactRef(**artifact) if isinstance(artifact, Mapping) else None,
            created=float(data.get("created") or 0.0),
            transport=str(data.get("transport") or "http"),
        )


def _write_durably(path: Path, data: Mapping[str, Any]) -> None:
    """Write a record as JSON: temp file, fsync, rename, fsync of the folder."""
    atomic_write_bytes(path, json_bytes(data, indent=1), durable=True)


def _seq(name: str) -> int | None:
    stem, dot, ext = name.partition(".")
    return int(stem) if dot and ext == "json" and stem.isdigit() else None


class Outbox:
    """The pending, delivered and rejected platform writes of one job folder."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        """``<job dir>/outbox``."""
        return self._folder

    def __repr__(self) -> str:
        return f"<Outbox {str(self._folder)!r}>"

    def _numbers(self, folder: Path) -> list[int]:
        if not folder.is_dir():
            return []
        return [n for n in (_seq(p.name) for p in folder.iterdir()) if n is not None]

    def add(self, **fields: Any) -> Record:
        """Record a write (numbered after every earlier one) durably; returns the record.

        The number is taken under a lock on ``.seq`` shared by every process writing
        into this outbox (two jobs in one folder, or a job and ``brevetti-job sync``),
        and a number whose file exists (pending, done or rejected) is never reused.
        """
        with self._lock:
            self._folder.mkdir(parents=True, exist_ok=True)
            with _locked(self._folder / SEQ_LOCK):
                seq = self._next_free()
                record = Record(seq=seq, created=round(time.time(), 3), **fields)
                _write_durably(self._folder / record.file_name, record.to_json())
                atomic_write_bytes(self._folder / SEQ_FILE, b"%d\n" % (seq + 1))
            return record

    def _next_free(self) -> int:
        """The next unused number (call with the ``.seq`` lock held)."""
        try:
            seq = int((self._folder / SEQ_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            seq = 0
        if seq < 1:  # no counter yet (an outbox written before it existed): scan
            numbers = [
                *self._numbers(self._folder),
                *self._numbers(self._folder / DONE),
                *self._numbers(self._folder / REJECTED),
            ]
            seq = max(numbers, default=0) + 1
        while any(
            (folder / f"{seq:08d}.json").exists()
            for folder in (self._folder, self._folder / DONE, self._folder / REJECTED)
        ):  # the counter lags behind a record (a crash between the two writes)
            seq += 1
        return seq

    def pending(self) -> list[Record]:
        """The writes not yet delivered, oldest first."""
        records = []
        for number in sorted(self._numbers(self._folder)):
            path = self._folder / f"{number:08d}.json"
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:  # delivered meanwhile by another process
                continue
            records.append(Record.from_json(data))
        return records

    def pending_by_job(self) -> collections.Counter[str]:
        """How many pending records each job (by id) has here: a reused folder has several."""
        return collections.Counter(record.job_id for record in self.pending())

    def count(self, state: str = "pending") -> int:
        """How many records are ``pending``, ``done`` or ``rejected``."""
        folder = self._folder if state == "pending" else self._folder / state
        return len(self._numbers(folder))

    def mark_done(self, record: Record) -> None:
        """Move a delivered record into ``done/``."""
        done = self._folder / DONE
        done.mkdir(exist_ok=True)
        (self._folder / record.file_name).replace(done / record.file_name)
        fsync_dir(self._folder)

    def mark_rejected(self, record: Record, reason: str) -> None:
        """Keep a record the platform refused for good in ``rejected/``, with the reason."""
        rejected = self._folder / REJECTED
        rejected.mkdir(exist_ok=True)
        _write_durably(rejected / record.file_name, {**record.to_json(), "rejected": reason})
        (self._folder / record.file_name).unlink(missing_ok=True)
        fsync_dir(self._folder)

    @contextlib.contextmanager
    def delivering(self) -> Iterator[None]:
        """Hold the outbox's delivery lock (across processes) so writes go out in order once."""
        self._folder.mkdir(parents=True, exist_ok=True)
        with _locked(self._folder / ".lock"):
            yield


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on `path` (made if missing) for the block."""
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
