"""The dev platform's file-backed store: one folder per job, every write atomic.

::

    <root>/jobs/<id>/job.json            description, status, key hash, artifact manifest
                    schema.json          the platform UI JSON the job was made with
                    artifacts/<name>     uploaded artifacts
                    output.json          the job's output document
                    charts/<name>.json   Vega-Lite charts
                    progress.jsonl       progress records, one per line
                    idempotency/<k>.json the first answer to each idempotent write
                    tmp/                 uploads in flight
    <root>/keys/<sha256 of key>.json     which job a key belongs to

The store holds key hashes only. A per-job lock serialises metadata writes; uploads
stream into ``tmp/`` outside the lock and are renamed into place under it.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import IO, Any, Final

import attrs

from .._files import atomic_write_json
from ._auth import key_hash, new_key

__all__ = [
    "CHUNK",
    "DEFAULT_URL",
    "KINDS",
    "SERVER_FILE",
    "CreatedJob",
    "Store",
    "StoreError",
    "check_artifact_name",
    "check_chart_name",
    "is_sha256",
    "read_server_url",
    "valid_idempotency_key",
]

SERVER_FILE: Final = "server.json"
"""Where a running server records its address, under the store root."""

DEFAULT_URL: Final = "http://127.0.0.1:8750"
"""The dev server's address when none is recorded."""

CHUNK: Final = 1024 * 1024
"""Bytes read and written at a time when streaming artifacts."""

KINDS: Final = {"model": "models", "report": "reports"}
"""Job kind -> the path segment the API uses for it."""

_JOB_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_IDEMPOTENCY_KEY: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
_CHART_NAME: Final = re.compile(r"[^/\\\x00-\x1f\x7f.][^/\\\x00-\x1f\x7f]{0,199}")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_MAX_NAME: Final = 1024


@attrs.define
class _KeyLock:
    """A lock for one idempotency key and how many requests hold or wait for it."""

    lock: threading.Lock = attrs.field(factory=threading.Lock)
    users: int = 0


class StoreError(Exception):
    """Raised when the store refuses a request; carries the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@attrs.frozen
class CreatedJob:
    """A job just made: its id, its API key (shown once), kind and name."""

    id: str
    api_key: str = attrs.field(repr=False)
    kind: str
    name: str

    def to_json(self) -> dict[str, Any]:
        """The admin API's answer to creating a job."""
        return {"id": self.id, "api_key": self.api_key, "kind": self.kind, "name": self.name}


def check_artifact_name(name: str) -> str:
    """`name` if it is a safe relative POSIX path; else `StoreError` 400 saying why."""
    if not name:
        raise StoreError(400, "an artifact needs a name")
    if len(name) > _MAX_NAME:
        raise StoreError(400, f"an artifact name may have at most {_MAX_NAME} characters")
    if "\x00" in name or "\\" in name:
        raise StoreError(400, "an artifact name must not contain NUL or backslashes")
    if name.startswith("/"):
        raise StoreError(400, "an artifact name must be a relative path")
    parts = name.split("/")
    if any(part == "" for part in parts):
        raise StoreError(400, "an artifact name must not have empty path segments")
    if any(part in (".", "..") for part in parts):
        raise StoreError(400, "an artifact name must not contain '.' or '..' segments")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise StoreError(400, "an artifact name must not contain control characters")
    if any(len(part.encode("utf-8")) > 255 for part in parts):
        raise StoreError(400, "an artifact name segment may have at most 255 bytes")
    return str(PurePosixPath(name))


def check_chart_name(name: str | None) -> str:
    """`name` if it can name a chart file; else `StoreError` 400."""
    if not name:
        raise StoreError(400, "a chart needs a name (query parameter 'name')")
    if not _CHART_NAME.fullmatch(name):
        raise StoreError(
            400,
            "a chart name has 1-200 characters, no '/', backslash or control characters, "
            "and does not start with '.'",
        )
    return name


def is_sha256(text: str) -> bool:
    """Whether `text` is a sha256 hex digest (either case)."""
    return _SHA256.fullmatch(text.lower()) is not None


def valid_idempotency_key(key: str) -> bool:
    """Whether an ``Idempotency-Key`` can be stored (letters, digits, '-', '_'; 1-128)."""
    return _IDEMPOTENCY_KEY.fullmatch(key) is not None


def read_server_url(root: Path | str) -> str:
    """The address of the server last started on `root` (else the default address)."""
    data = None
    with suppress(OSError, json.JSONDecodeError):
        data = _read_json(Path(root) / SERVER_FILE)
    url = data.get("url") if isinstance(data, dict) else None
    return url if isinstance(url, str) and url else DEFAULT_URL


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


class Store:
    """Jobs on disk under `root`; safe for many threads of one process."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.jobs_dir = self.root / "jobs"
        self.keys_dir = self.root / "keys"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._key_locks: dict[tuple[str, str], _KeyLock] = {}

    # -- jobs -----------------------------------------------------------------------

    def create_job(
        self,
        *,
        kind: str = "model",
        name: str | None = None,
        settings: Mapping[str, Any] | None = None,
        schema_ui: Mapping[str, Any] | None = None,
    ) -> CreatedJob:
        """Make a job with a fresh id and key; the key is returned, only its hash kept."""
        if kind not in KINDS:
            raise StoreError(400, f"kind must be 'model' or 'report', got {kind!r}")
        job_id = str(uuid.uuid4())
        key = new_key()
        name = name or job_id
        segment = KINDS[kind]
        base = f"/api/{segment}/{job_id}"
        description: dict[str, Any] = {
            "id": job_id,
            "name": name,
            "run_id": None,
            "settings": dict(settings or {}),
            "datasets": [],
            "models": [],
            "tags": [],
            "parent": None,
            "complete_url": f"{base}/complete?modelPath=",
            "charts_url": f"{base}/charts",
            "remote_url": f"{base}/remotemonitor",
        }
        meta = {
            "id": job_id,
            "kind": kind,
            "name": name,
            "key_sha256": key_hash(key),
            "created_at": _now(),
            "status": "created",
            "model_path": None,
            "reason": None,
            "ended_at": None,
            "completions": 0,
            "writes": {},
            "artifacts": {},
            "description": description,
        }
        folder = self.jobs_dir / job_id
        (folder / "artifacts").mkdir(parents=True)
        if schema_ui is not None:
            atomic_write_json(folder / "schema.json", dict(schema_ui))
        atomic_write_json(folder / "job.json", meta)
        atomic_write_json(self.keys_dir / f"{meta['key_sha256']}.json", {"job": job_id})
        return CreatedJob(job_id, key, kind, name)

    def folder(self, job_id: str) -> Path:
        """The job's folder (whether or not it exists)."""
        return self.jobs_dir / job_id

    def meta(self, job_id: str) -> dict[str, Any] | None:
        """The job's metadata record (job.json), or ``None`` for an unknown job."""
        if not _JOB_ID.fullmatch(job_id):
            return None
        data = _read_json(self.jobs_dir / job_id / "job.json")
        return data if isinstance(data, dict) else None

    def job_ids(self) -> list[str]:
        """Every job id in the store, sorted."""
        return sorted(p.parent.name for p in self.jobs_dir.glob("*/job.json"))

    def job_of_key(self, key: str) -> str | None:
        """The id of the job `key` belongs to, or ``None`` (looked up by hash)."""
        data = _read_json(self.keys_dir / f"{key_hash(key)}.json")
        return str(data["job"]) if isinstance(data, dict) and "job" in data else None

    def clean_temp(self) -> None:
        """Remove uploads left in flight by a server that stopped (call at start only)."""
        for part in self.jobs_dir.glob("*/tmp/*.part"):
            part.unlink(missing_ok=True)

    # -- locks ------------------------------------------------------------------------

    @contextmanager
    def job_lock(self, job_id: str) -> Iterator[None]:
        """Hold the job's metadata lock."""
        with self._guard:
            lock = self._locks.setdefault(job_id, threading.Lock())
        with lock:
            yield

    @contextmanager
    def idempotency_lock(self, job_id: str, key: str) -> Iterator[None]:
        """Serialise requests that share an idempotency key (taken before the job lock)."""
        name = (job_id, key)
        with self._guard:
            entry = self._key_locks.setdefault(name, _KeyLock())
            entry.users += 1
        try:
            with entry.lock:
                yield
        finally:
            with self._guard:
                entry.users -= 1
                if not entry.users:
                    del self._key_locks[name]

    # -- idempotency ------------------------------------------------------------------

    def replay(self, job_id: str, key: str) -> dict[str, Any] | None:
        """The stored first answer to the write with idempotency key `key`, if any."""
        data = _read_json(self.folder(job_id) / "idempotency" / f"{key}.json")
        return data if isinstance(data, dict) else None

    def remember(self, job_id: str, key: str, request: str, status: int, body: Any) -> None:
        """Store the first answer to an idempotent write (`request` is "METHOD path")."""
        record = {"key": key, "request": request, "status": status, "body": body, "at": _now()}
        atomic_write_json(self.folder(job_id) / "idempotency" / f"{key}.json", record)

    # -- writes -------------------------------------------------------------------------

    def _apply(
        self,
        job_id: str,
        key: str | None,
        change: Callable[[dict[str, Any], Path], Any],
        *,
        ended_message: str | None = None,
    ) -> Any:
        """Apply a write under the job lock: refuse it once the job has ended, move the
        job to running, count it against its idempotency key, save job.json."""
        with self.job_lock(job_id):
            meta = self.meta(job_id)
            if meta is None:
                raise StoreError(404, "no such job")
            if meta["status"] in ("completed", "failed"):
                raise StoreError(
                    409, ended_message or f"the job has ended ({meta['status']}); no more writes"
                )
            result = change(meta, self.folder(job_id))
            if meta["status"] == "created":
                meta["status"] = "running"
                meta["started_at"] = _now()
            if key is not None:
                meta["writes"][key] = meta["writes"].get(key, 0) + 1
            atomic_write_json(self.folder(job_id) / "job.json", meta)
            return result

    def put_output(self, job_id: str, key: str | None, document: Mapping[str, Any]) -> None:
        """Replace the job's output.json."""

        def change(meta: dict[str, Any], folder: Path) -> None:
            atomic_write_json(folder / "output.json", dict(document))

        self._apply(job_id, key, change)

    def put_chart(self, job_id: str, key: str | None, name: str, spec: Mapping[str, Any]) -> None:
        """Store (or replace) the chart `name`."""

        def change(meta: dict[str, Any], folder: Path) -> None:
            atomic_write_json(folder / "charts" / f"{name}.json", dict(spec))

        self._apply(job_id, key, change)

    def add_progress(self, job_id: str, key: str | None, record: Mapping[str, Any]) -> None:
        """Append one progress record (the whole log is rewritten atomically)."""

        def change(meta: dict[str, Any], folder: Path) -> None:
            path = folder / "progress.jsonl"
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                text = ""
            line = json.dumps(dict(record), ensure_ascii=False, allow_nan=False)
            temp = path.with_name(f".progress.{uuid.uuid4().hex}.tmp")
            temp.write_text(text + line + "\n", encoding="utf-8")
            temp.replace(path)

        self._apply(job_id, key, change)

    def complete(
        self, job_id: str, key: str | None, status: str, model_path: str, reason: str | None
    ) -> dict[str, Any]:
        """End the job as completed or failed; a second time is refused (409)."""

        def change(meta: dict[str, Any], folder: Path) -> dict[str, Any]:
            meta.update(status=status, model_path=model_path, reason=reason, ended_at=_now())
            meta["completions"] += 1
            return {"status": status, "model_path": model_path, "reason": reason}

        result: dict[str, Any] = self._apply(job_id, key, change, ended_message="already completed")
        return result

    def receive_artifact(
        self,
        job_id: str,
        key: str | None,
        name: str,
        stream: IO[bytes],
        length: int,
        expected_sha256: str | None,
    ) -> tuple[bool, dict[str, Any]]:
        """Stream `length` bytes into the artifact `name`, hashing as they arrive.

        Returns whether it was new content (False: the same bytes were already stored)
        and the record ``{name, size, sha256}``. A hash that does not match
        `expected_sha256` stores nothing (400).
        """
        folder = self.folder(job_id)
        target = self._artifact_path(folder, name)
        temp_dir = folder / "tmp"
        temp_dir.mkdir(exist_ok=True)
        temp = temp_dir / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        received = 0
        try:
            with temp.open("wb") as handle:
                while received < length:
                    chunk = stream.read(min(CHUNK, length - received))
                    if not chunk:
                        break
                    digest.update(chunk)
                    handle.write(chunk)
                    received += len(chunk)
            if received != length:
                raise StoreError(400, f"the body ended after {received} of {length} bytes")
            sha256 = digest.hexdigest()
            if expected_sha256 is not None and sha256 != expected_sha256.lower():
                raise StoreError(400, "the X-Content-SHA256 header does not match the content")
            record = {"name": name, "size": received, "sha256": sha256}

            def change(meta: dict[str, Any], folder: Path) -> bool:
                known = meta["artifacts"].get(name)
                if known == {"size": received, "sha256": sha256} and target.is_file():
                    return False
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    temp.replace(target)
                except (NotADirectoryError, FileExistsError, IsADirectoryError):
                    raise StoreError(
                        409, f"artifact {name!r} conflicts with an artifact path already stored"
                    ) from None
                meta["artifacts"][name] = {"size": received, "sha256": sha256}
                return True

            created: bool = self._apply(job_id, key, change)
            return created, record
        finally:
            temp.unlink(missing_ok=True)

    @staticmethod
    def _artifact_path(folder: Path, name: str) -> Path:
        base = (folder / "artifacts").resolve()
        target = base / check_artifact_name(name)
        resolved = target.resolve()
        if base not in resolved.parents:
            raise StoreError(400, "the artifact name leads out of the artifacts folder")
        return target

    # -- reads --------------------------------------------------------------------------

    def artifacts(self, job_id: str) -> list[dict[str, Any]]:
        """The stored artifacts, sorted by name: ``{name, size, sha256}``."""
        meta = self.meta(job_id) or {"artifacts": {}}
        return [{"name": n, **meta["artifacts"][n]} for n in sorted(meta["artifacts"])]

    def artifact(self, job_id: str, name: str) -> tuple[Path, dict[str, Any]] | None:
        """The stored artifact's file and record, or ``None``."""
        meta = self.meta(job_id)
        if meta is None:
            return None
        record = meta["artifacts"].get(name)
        path = self._artifact_path(self.folder(job_id), name)
        if record is None or not path.is_file():
            return None
        return path, {"name": name, **record}

    def output(self, job_id: str) -> Any:
        """The job's output.json document, or ``None``."""
        return _read_json(self.folder(job_id) / "output.json")

    def status(self, job_id: str) -> dict[str, Any]:
        """Status, model path, failure reason and the output metrics."""
        meta = self.meta(job_id) or {}
        output = self.output(job_id)
        metrics = output.get("output") if isinstance(output, dict) else None
        return {
            "status": meta.get("status"),
            "model_path": meta.get("model_path"),
            "reason": meta.get("reason"),
            "metrics": metrics if isinstance(metrics, dict) else {},
        }

    def charts(self, job_id: str) -> dict[str, Any]:
        """Every chart of the job by name."""
        folder = self.folder(job_id) / "charts"
        return {p.name[: -len(".json")]: _read_json(p) for p in sorted(folder.glob("*.json"))}

    def progress(self, job_id: str) -> list[Any]:
        """The job's progress records in the order they arrived."""
        path = self.folder(job_id) / "progress.jsonl"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        records = []
        for line in lines:
            with suppress(json.JSONDecodeError):
                records.append(json.loads(line))
        return records

    def state(self, job_id: str) -> dict[str, Any] | None:
        """Everything stored about a job except its key hash (the admin view)."""
        meta = self.meta(job_id)
        if meta is None:
            return None
        folder = self.folder(job_id)
        replays = {}
        for path in sorted((folder / "idempotency").glob("*.json")):
            record = _read_json(path)
            if isinstance(record, dict):
                replays[path.stem] = {
                    "request": record.get("request"),
                    "status": record.get("status"),
                }
        return {
            "id": meta["id"],
            "kind": meta["kind"],
            "name": meta["name"],
            "created_at": meta["created_at"],
            "started_at": meta.get("started_at"),
            "ended_at": meta["ended_at"],
            "description": meta["description"],
            **self.status(job_id),
            "output": self.output(job_id),
            "charts": self.charts(job_id),
            "progress": self.progress(job_id),
            "artifacts": self.artifacts(job_id),
            "completions": meta["completions"],
            "writes": dict(meta["writes"]),
            "idempotency": replays,
            "schema": _read_json(folder / "schema.json"),
        }
