"""The dev platform's records in SQLite (stdlib ``sqlite3``, WAL).

::

    <root>/platform.db    jobs, key hashes, idempotency records, charts, progress,
                          datasets, credentials issued, artifact digests

What a job writes (its artifacts and ``artifacts/output.json``) is in its storage
folder in the object store, as on the platform (`JobFiles` reads it from there).

Every write is one transaction together with its idempotency record, so a write is
applied exactly once even when the server dies at any moment: a retry after a crash
either finds the record (and replays the answer) or finds nothing applied. WAL with
``synchronous=NORMAL`` keeps every committed transaction through a killed process; a
power cut may lose the last few. The store holds key hashes only. Any number of
processes may open a store (``brevetti-job platform create`` does while a server runs);
`RootLock` keeps a second *server* off the same root.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Any, Final

import attrs

from .._errors import BrevettiJobError
from ._auth import key_hash, new_key

__all__ = [
    "CHUNK",
    "DEFAULT_URL",
    "KINDS",
    "SERVER_FILE",
    "CreatedJob",
    "Idempotency",
    "Store",
    "StoreError",
    "Write",
    "check_artifact_name",
    "check_chart_name",
    "read_server_url",
    "valid_idempotency_key",
]

SERVER_FILE: Final = "server.json"
"""Where a running server records its address, under the store root."""

DATABASE_FILE: Final = "platform.db"
"""The SQLite database, under the store root."""

DEFAULT_URL: Final = "http://127.0.0.1:8750"
"""The dev server's address when none is recorded."""

CHUNK: Final = 1024 * 1024
"""Bytes read and written at a time when streaming artifacts."""

KINDS: Final = {"model": "models", "report": "reports"}
"""Job kind -> the path segment the API uses for it."""

_JOB_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_IDEMPOTENCY_KEY: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
_CHART_NAME: Final = re.compile(r"[^/\\\x00-\x1f\x7f.][^/\\\x00-\x1f\x7f]{0,199}")
_MAX_NAME: Final = 1024
_ENDED: Final = ("completed", "failed")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    key_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    status TEXT NOT NULL,
    model_path TEXT,
    reason TEXT,
    completions INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL,
    schema TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    key TEXT NOT NULL,
    request TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (job_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charts (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    PRIMARY KEY (job_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS progress (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS progress_by_job ON progress (job_id, seq);
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    access_key TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    job_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS credentials_by_expiry ON credentials (expires_at);
CREATE TABLE IF NOT EXISTS credential_counts (
    job_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    issued INTEGER NOT NULL,
    PRIMARY KEY (job_id, resource)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file_digests (
    job_id TEXT NOT NULL,
    name TEXT NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (job_id, name)
) WITHOUT ROWID;
"""

_JOB_COLUMNS: Final = (
    "id, kind, name, key_sha256, created_at, started_at, ended_at, status, model_path, "
    "reason, completions, description"
)

Result = tuple[int, Any]
"""A write's answer: HTTP status and JSON body (``None`` for no body)."""

Write = Callable[["Transaction"], Result]
"""A write applied inside a transaction (validated before, so it only stores)."""


class StoreError(BrevettiJobError):
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


@attrs.frozen
class Idempotency:
    """An ``Idempotency-Key`` and the fingerprint of the request it came with.

    `request` is "METHOD path?query" (for the admin view); `fingerprint` also covers the
    body, so a different body under a used key is told apart from a retry.
    """

    key: str
    request: str
    fingerprint: str

    @classmethod
    def of(cls, key: str, request: str, body_sha256: str) -> Idempotency:
        """The record for `key` given the request line and the body's sha256."""
        digest = hashlib.sha256(f"{request}\n{body_sha256}".encode()).hexdigest()
        return cls(key, request, digest)


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
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise StoreError(400, "an artifact name must be valid Unicode (no lone surrogates)")
    if any(len(part.encode("utf-8")) > 255 for part in parts):
        raise StoreError(400, "an artifact name segment may have at most 255 bytes")
    return str(PurePosixPath(name))


def check_chart_name(name: str | None) -> str:
    """`name` if it can name a chart; else `StoreError` 400."""
    if not name:
        raise StoreError(400, "a chart needs a name (query parameter 'name')")
    if not _CHART_NAME.fullmatch(name) or any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise StoreError(
            400,
            "a chart name has 1-200 characters, no '/', backslash or control characters, "
            "and does not start with '.'",
        )
    return name


def valid_idempotency_key(key: str) -> bool:
    """Whether an ``Idempotency-Key`` can be stored (letters, digits, '-', '_'; 1-128)."""
    return _IDEMPOTENCY_KEY.fullmatch(key) is not None


def read_server_url(root: Path | str) -> str:
    """The address of the server last started on `root` (else the default address)."""
    data = None
    with suppress(OSError, ValueError):
        data = json.loads((Path(root) / SERVER_FILE).read_text(encoding="utf-8"))
    url = data.get("url") if isinstance(data, dict) else None
    return url if isinstance(url, str) and url else DEFAULT_URL


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _job_record(row: sqlite3.Row) -> dict[str, Any]:
    record = dict(row)
    record["description"] = json.loads(record["description"])
    return record


def _count_issued(db: sqlite3.Connection, job_id: str, resource: str) -> None:
    db.execute(
        "INSERT INTO credential_counts (job_id, resource, issued) VALUES (?, ?, 1) "
        "ON CONFLICT (job_id, resource) DO UPDATE SET issued = issued + 1",
        (job_id, resource),
    )


class Transaction:
    """One write transaction on the store (see `Store.write`); the job is locked in."""

    def __init__(self, db: sqlite3.Connection, job: dict[str, Any]) -> None:
        self.db = db
        self.job = job

    @property
    def job_id(self) -> str:
        """The id of the job being written."""
        return str(self.job["id"])

    def put_chart(self, name: str, spec: Mapping[str, Any]) -> None:
        """Store (or replace) the chart `name`."""
        self.db.execute(
            "INSERT INTO charts (job_id, name, spec) VALUES (?, ?, ?) "
            "ON CONFLICT (job_id, name) DO UPDATE SET spec = excluded.spec",
            (self.job_id, name, _dump(dict(spec))),
        )

    def add_progress(self, record: Mapping[str, Any]) -> None:
        """Append one progress record (one row: the cost does not grow with the log)."""
        self.db.execute(
            "INSERT INTO progress (job_id, record) VALUES (?, ?)",
            (self.job_id, _dump(dict(record))),
        )

    def complete(self, status: str, model_path: str, reason: str | None) -> dict[str, Any]:
        """End the job as completed or failed."""
        self.db.execute(
            "UPDATE jobs SET status = ?, model_path = ?, reason = ?, ended_at = ?, "
            "completions = completions + 1 WHERE id = ?",
            (status, model_path, reason, _now(), self.job_id),
        )
        self.job["status"] = status
        return {"status": status, "model_path": model_path, "reason": reason}


class _Connections:
    """A pool of SQLite connections to one database, shared by the server's threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._all: list[sqlite3.Connection] = []

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = self._open()
            with self._lock:
                self._all.append(db)
        try:
            yield db
        finally:
            if db.in_transaction:  # a failure mid-transaction: never hand one on open
                db.rollback()
            with self._lock:
                self._idle.append(db)

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
            self._idle.clear()


class Store:
    """The records under `root` (see the module docstring); safe for many threads."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.database = self.root / DATABASE_FILE
        self._pool = _Connections(self.database)
        self._writer = threading.Lock()  # one writer at a time: SQLite's busy wait sleeps
        self._logins: dict[str, dict[str, Any]] = {}
        with self._pool.connection() as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the store's database connections."""
        self._pool.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back on an error.

        The threads of this process take turns (a lock) rather than meet in SQLite's busy
        handler, which polls with sleeps; another process is waited for by SQLite.
        """
        with self._writer, self._pool.connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- jobs -----------------------------------------------------------------------

    def create_job(
        self,
        *,
        kind: str = "model",
        name: str | None = None,
        settings: Mapping[str, Any] | None = None,
        schema_ui: Mapping[str, Any] | None = None,
        datasets: Sequence[Mapping[str, Any]] = (),
        models: Sequence[Mapping[str, Any]] = (),
    ) -> CreatedJob:
        """Make a job with a fresh id and key; the key is returned, only its hash kept.

        `datasets` and `models` are the description's entries (``{"id", "name",
        "bucket", ...}``; ``{"id", "bucket"}``: a test report's models under test).
        """
        if kind not in KINDS:
            raise StoreError(400, f"kind must be 'model' or 'report', got {kind!r}")
        job_id = str(uuid.uuid4())
        key = new_key()
        name = name or job_id
        base = f"/api/{KINDS[kind]}/{job_id}"
        description: dict[str, Any] = {
            "id": job_id,
            "name": name,
            "run_id": None,
            "settings": dict(settings or {}),
            "datasets": [dict(d) for d in datasets],
            "models": [dict(m) for m in models],
            "tags": [],
            "parent": None,
            "complete_url": f"{base}/complete?modelPath=",
            "charts_url": f"{base}/charts",
            "remote_url": f"{base}/remotemonitor",
        }
        schema = None if schema_ui is None else _dump(dict(schema_ui))
        with self._transaction() as db:
            db.execute(
                "INSERT INTO jobs (id, kind, name, key_sha256, created_at, status, "
                "description, schema) VALUES (?, ?, ?, ?, ?, 'created', ?, ?)",
                (job_id, kind, name, key_hash(key), _now(), _dump(description), schema),
            )
        return CreatedJob(job_id, key, kind, name)

    def meta(self, job_id: str) -> dict[str, Any] | None:
        """The job's record (status, key hash, description...), or ``None``."""
        if not _JOB_ID.fullmatch(job_id):
            return None
        with self._pool.connection() as db:
            query = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?"  # noqa: S608 - constant
            row = db.execute(query, (job_id,)).fetchone()
        return None if row is None else _job_record(row)

    def login(self, job_id: str) -> dict[str, Any] | None:
        """What authenticating a job call needs: id, kind and key hash (or None).

        These never change once a job exists, so they are kept in memory after the first
        look-up (jobs made by another process are found on their first call).
        """
        known = self._logins.get(job_id)
        if known is not None:
            return dict(known)
        if not _JOB_ID.fullmatch(job_id):
            return None
        with self._pool.connection() as db:
            row = db.execute(
                "SELECT id, kind, key_sha256 FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        if row is None:
            return None
        self._logins[job_id] = dict(row)
        return dict(row)

    def schema(self, job_id: str) -> Any:
        """The platform UI JSON the job was made with, or ``None``."""
        if not _JOB_ID.fullmatch(job_id):
            return None
        with self._pool.connection() as db:
            row = db.execute("SELECT schema FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _load(row["schema"])

    def job_ids(self) -> list[str]:
        """Every job id in the store, sorted."""
        with self._pool.connection() as db:
            return [row["id"] for row in db.execute("SELECT id FROM jobs ORDER BY id")]

    def job_of_key(self, key: str) -> str | None:
        """The id of the job `key` belongs to, or ``None`` (looked up by hash)."""
        with self._pool.connection() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE key_sha256 = ?", (key_hash(key),)
            ).fetchone()
        return None if row is None else str(row["id"])

    # -- datasets ---------------------------------------------------------------------------

    def create_dataset(self, name: str) -> dict[str, Any]:
        """Record a new dataset (its files go to the object store); ``{id, name, created}``."""
        record = {"id": str(uuid.uuid4()), "name": name, "created": _iso_now()}
        with self._transaction() as db:
            db.execute(
                "INSERT INTO datasets (id, name, created) VALUES (?, ?, ?)",
                (record["id"], name, record["created"]),
            )
        return record

    def dataset(self, dataset_id: str) -> dict[str, Any] | None:
        """The dataset record ``{id, name, created}``, or ``None``."""
        with self._pool.connection() as db:
            row = db.execute(
                "SELECT id, name, created FROM datasets WHERE id = ?", (dataset_id,)
            ).fetchone()
        return None if row is None else dict(row)

    def datasets(self) -> list[dict[str, Any]]:
        """Every dataset, oldest first."""
        with self._pool.connection() as db:
            rows = db.execute("SELECT id, name, created FROM datasets ORDER BY created, id")
            return [dict(row) for row in rows]

    # -- credentials (identities minted on the object store) ---------------------------

    def add_credential(
        self,
        access_key: str,
        identity: str,
        job_id: str,
        resource: str,
        expires_at: float,
        *,
        issued: bool = True,
    ) -> None:
        """Record an identity made for `job_id` (removed from the store when it expires);
        `issued` False: one about to be made, counted once `settle_credential` names it."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO credentials (access_key, identity, job_id, resource, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (access_key, identity, job_id, resource, expires_at),
            )
            if issued:
                _count_issued(db, job_id, resource)

    def settle_credential(self, placeholder: str, access_key: str) -> None:
        """Give the record made with `placeholder` the access key the store made, and count
        it as issued."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT job_id, resource FROM credentials WHERE access_key = ?", (placeholder,)
            ).fetchone()
            if row is None:
                raise StoreError(500, "no pending credential record to settle")
            db.execute(
                "UPDATE credentials SET access_key = ? WHERE access_key = ?",
                (access_key, placeholder),
            )
            _count_issued(db, row["job_id"], row["resource"])

    def credentials_issued(self, job_id: str) -> dict[str, int]:
        """How many credentials each resource of the job was given (``securitycredentials``
        answers), by resource (``job <id>``, ``dataset <id>``, ``model <id>``)."""
        with self._pool.connection() as db:
            rows = db.execute(
                "SELECT resource, issued FROM credential_counts WHERE job_id = ? ORDER BY resource",
                (job_id,),
            ).fetchall()
        return {str(row["resource"]): int(row["issued"]) for row in rows}

    def credentials(
        self, *, job_id: str | None = None, expired_at: float | None = None
    ) -> list[dict[str, Any]]:
        """Recorded identities, of one job or those expired at `expired_at` (or all)."""
        query = "SELECT access_key, identity, job_id, resource, expires_at FROM credentials"
        rows_of: tuple[str, tuple[Any, ...]]
        if job_id is not None:
            rows_of = (query + " WHERE job_id = ?", (job_id,))
        elif expired_at is not None:
            rows_of = (query + " WHERE expires_at <= ?", (expired_at,))
        else:
            rows_of = (query, ())
        with self._pool.connection() as db:
            return [dict(row) for row in db.execute(*rows_of)]

    def next_expiry(self) -> float | None:
        """When the next recorded identity expires (epoch seconds), or ``None``."""
        with self._pool.connection() as db:
            row = db.execute("SELECT MIN(expires_at) AS at FROM credentials").fetchone()
        return None if row is None or row["at"] is None else float(row["at"])

    def forget_credential(self, access_key: str) -> None:
        """Drop the record of an identity removed from the store."""
        with self._transaction() as db:
            db.execute("DELETE FROM credentials WHERE access_key = ?", (access_key,))

    # -- checksums of the files in job folders (object store) ---------------------------

    def file_digest(self, job_id: str, name: str, etag: str, size: int) -> str | None:
        """The sha256 noted for this version (ETag and size) of a job's file, or ``None``."""
        with self._pool.connection() as db:
            row = db.execute(
                "SELECT sha256 FROM file_digests WHERE job_id = ? AND name = ? AND etag = ? "
                "AND size = ?",
                (job_id, name, etag, size),
            ).fetchone()
        return None if row is None else str(row["sha256"])

    def file_digests(self, job_id: str) -> dict[str, tuple[str, int, str]]:
        """Every sha256 noted for the job's files: name -> (etag, size, sha256)."""
        with self._pool.connection() as db:
            rows = db.execute(
                "SELECT name, etag, size, sha256 FROM file_digests WHERE job_id = ?", (job_id,)
            ).fetchall()
        return {row["name"]: (row["etag"], row["size"], row["sha256"]) for row in rows}

    def note_file_digest(self, job_id: str, name: str, etag: str, size: int, sha256: str) -> None:
        """Keep the sha256 of a version of a job's file (replacing an older version's)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO file_digests (job_id, name, etag, size, sha256) "
                "VALUES (?, ?, ?, ?, ?)",
                (job_id, name, etag, size, sha256),
            )

    # -- writes -------------------------------------------------------------------------

    def write(
        self,
        job_id: str,
        idempotency: Idempotency | None,
        apply: Write,
        *,
        ended_message: str | None = None,
    ) -> tuple[Result, bool]:
        """Apply a write and store its idempotency record in ONE transaction.

        Returns the answer and whether it is a replay. A stored answer under the same key
        is replayed when the request is the same (fingerprint) and refused with 422 when
        it is not. A write to an ended job is refused (409); the first write moves a job
        to running. Only 2xx answers are remembered.
        """
        key = None if idempotency is None else idempotency.key
        with self._transaction() as db:
            row = db.execute(
                "SELECT jobs.status AS job_status, idempotency.fingerprint, "
                "idempotency.status, idempotency.body FROM jobs LEFT JOIN idempotency "
                "ON idempotency.job_id = jobs.id AND idempotency.key = ? WHERE jobs.id = ?",
                (key, job_id),
            ).fetchone()
            if row is None:
                raise StoreError(404, "no such job")
            if idempotency is not None and row["fingerprint"] is not None:
                if row["fingerprint"] != idempotency.fingerprint:
                    raise StoreError(
                        422,
                        "this Idempotency-Key was already used for a different request "
                        "(another method, path, query or body); use a new key for a new write",
                    )
                return (row["status"], _load(row["body"])), True
            job = {"id": job_id, "status": row["job_status"]}
            if job["status"] in _ENDED:
                raise StoreError(
                    409, ended_message or f"the job has ended ({job['status']}); no more writes"
                )
            status, body = apply(Transaction(db, job))
            if job["status"] == "created":
                db.execute(
                    "UPDATE jobs SET status = 'running', started_at = ? WHERE id = ?",
                    (_now(), job_id),
                )
            if idempotency is not None and 200 <= status < 300:
                db.execute(
                    "INSERT INTO idempotency (job_id, key, request, fingerprint, status, body, "
                    "at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        job_id,
                        idempotency.key,
                        idempotency.request,
                        idempotency.fingerprint,
                        status,
                        None if body is None else _dump(body),
                        _now(),
                    ),
                )
        return (status, body), False

    # -- reads --------------------------------------------------------------------------

    def status(self, job_id: str) -> dict[str, Any]:
        """Status, model path and failure reason."""
        meta = self.meta(job_id) or {}
        return {
            "status": meta.get("status"),
            "model_path": meta.get("model_path"),
            "reason": meta.get("reason"),
        }

    def charts(self, job_id: str) -> dict[str, Any]:
        """Every chart of the job by name."""
        with self._pool.connection() as db:
            rows = db.execute(
                "SELECT name, spec FROM charts WHERE job_id = ? ORDER BY name", (job_id,)
            ).fetchall()
        return {row["name"]: _load(row["spec"]) for row in rows}

    def progress(self, job_id: str) -> list[Any]:
        """The job's progress records in the order they arrived."""
        with self._pool.connection() as db:
            rows = db.execute(
                "SELECT record FROM progress WHERE job_id = ? ORDER BY seq", (job_id,)
            ).fetchall()
        return [_load(row["record"]) for row in rows]

    def state(self, job_id: str) -> dict[str, Any] | None:
        """Everything stored about a job except its key hash (the admin view)."""
        meta = self.meta(job_id)
        if meta is None:
            return None
        with self._pool.connection() as db:
            rows = db.execute(
                "SELECT key, request, status FROM idempotency WHERE job_id = ? ORDER BY key",
                (job_id,),
            ).fetchall()
        replays = {row["key"]: {"request": row["request"], "status": row["status"]} for row in rows}
        return {
            "id": meta["id"],
            "kind": meta["kind"],
            "name": meta["name"],
            "created_at": meta["created_at"],
            "started_at": meta["started_at"],
            "ended_at": meta["ended_at"],
            "description": meta["description"],
            **self.status(job_id),
            "charts": self.charts(job_id),
            "progress": self.progress(job_id),
            "completions": meta["completions"],
            "writes": dict.fromkeys(replays, 1),
            "idempotency": replays,
            "schema": self.schema(job_id),
        }
