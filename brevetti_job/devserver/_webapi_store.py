"""The web API's records in SQLite: users, organisations, tokens and platform resources.

::

    <root>/platform.db       the dev platform's SQLite store (WAL), in tables of our own:
      users(id, username, password, created)        password = scrypt record, never the text
      organizations(id, name, created)
      members(user_id, org_id, is_primary)
      tokens(hash, kind, user_id, org_id, expires_at)  access/refresh tokens by sha256 only
      records(kind, id, data, created)               datasets, tags, models, reports,
                                                     model and report types, projects (JSON)
      idempotency(user_id, key, request, status, body)  the first answer to a repeated write;
                                                     request = method, path, query and the
                                                     body's sha256 (a different body is 422)

Each table's name starts with ``webapi_``. Resource records are JSON documents in the
platform's camelCase shape, so what is stored is what the API answers. A model's or
report's job key is not kept here: the job store holds its hash, and the job's
``info.json`` in the object store holds the key itself, as on the platform (an older
store's ``webapi_secrets`` table of plain keys is dropped when the store opens).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from ._store import DATABASE_FILE

__all__ = ["DB_NAME", "RESOURCE_KINDS", "WebApiStore", "now_iso"]

DB_NAME: Final = DATABASE_FILE
RESOURCE_KINDS: Final = frozenset(
    {"dataset", "tag", "model", "report", "modeltype", "reporttype", "project"}
)

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS webapi_users (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webapi_organizations (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webapi_members (
    user_id TEXT NOT NULL, org_id TEXT NOT NULL, is_primary INTEGER NOT NULL,
    PRIMARY KEY (user_id, org_id));
CREATE TABLE IF NOT EXISTS webapi_tokens (
    hash TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id TEXT NOT NULL, org_id TEXT NOT NULL,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS webapi_records (
    kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, created TEXT NOT NULL,
    PRIMARY KEY (kind, id));
DROP TABLE IF EXISTS webapi_secrets;
CREATE TABLE IF NOT EXISTS webapi_idempotency (
    user_id TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (user_id, key));
"""


def now_iso() -> str:
    """The current UTC time as the platform writes it (ISO 8601, seconds)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class WebApiStore:
    """The SQLite file of the web API; safe for the threads of one server."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / DB_NAME
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        self.path.chmod(0o600)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows of a read query."""
        with self._lock:
            return list(self._db.execute(sql, args))

    # -- resources ----------------------------------------------------------------------

    def put(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """Insert or replace a resource record (``data["id"]`` is set when missing)."""
        if kind not in RESOURCE_KINDS:
            raise ValueError(f"unknown resource kind {kind!r}")
        data.setdefault("id", str(uuid.uuid4()))
        data.setdefault("created", now_iso())
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO webapi_records (kind, id, data, created)"
                " VALUES (?, ?, ?, ?)",
                (kind, data["id"], json.dumps(data), data["created"]),
            )
        return data

    def get(self, kind: str, record_id: str) -> dict[str, Any] | None:
        """A resource record, or ``None``."""
        rows = self.query(
            "SELECT data FROM webapi_records WHERE kind = ? AND id = ?", kind, record_id
        )
        return json.loads(rows[0][0]) if rows else None

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every record of a kind, oldest first."""
        rows = self.query(
            "SELECT data FROM webapi_records WHERE kind = ? ORDER BY created, id", kind
        )
        return [json.loads(row[0]) for row in rows]

    def delete(self, kind: str, record_id: str) -> bool:
        """Delete a record; True if there was one."""
        with self.transaction() as db:
            cursor = db.execute(
                "DELETE FROM webapi_records WHERE kind = ? AND id = ?", (kind, record_id)
            )
            return cursor.rowcount > 0

    # -- idempotency ------------------------------------------------------------------

    def replay(self, user_id: str, key: str) -> tuple[str, int, Any] | None:
        """The first answer to a write with this idempotency key: request, status, body."""
        rows = self.query(
            "SELECT request, status, body FROM webapi_idempotency WHERE user_id = ? AND key = ?",
            user_id,
            key,
        )
        if not rows:
            return None
        request, status, body = rows[0]
        return str(request), int(status), json.loads(body)

    def remember(self, user_id: str, key: str, request: str, status: int, body: Any) -> None:
        """Record the answer to an idempotent write."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO webapi_idempotency VALUES (?, ?, ?, ?, ?)",
                (user_id, key, request, status, json.dumps(body)),
            )
