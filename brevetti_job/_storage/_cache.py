"""The local file cache of remote objects (``--cache_path`` / ``BREVETTI_AI_CACHE``).

Objects are kept at ``<cache>/s3/<bucket>/<key>``, the layout the reference uses, with
an index ``<cache>/s3/brevetti_cache.db`` (SQLite in WAL mode: several processes, e.g. data
loader workers, read and fill the cache at once). Each file is written to a temporary
name beside it and renamed into place, so a reader sees a whole file or none.

An entry is used when its ETag equals the object's; the ETag is asked of the store at
most once per object and process (one run), and the cached file is then checked too:
its size, and its MD5 where the ETag is one (a single-part upload), so a damaged file
is fetched again. The cache stays under ``BREVETTI_AI_CACHE_MAX_USAGE`` (a share of the
disk, default 0.8): least recently used entries go first; when it cannot get there, the
object is not cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import StorageError
from ._urls import Location, local_name

if TYPE_CHECKING:
    import sqlite3

__all__ = ["Cache", "CacheEntry", "cache_from_environment", "file_md5"]

_MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")
_counter = itertools.count()
DiskUsage = Callable[[Path], tuple[int, int]]
"""(used, total) bytes of the disk that holds a path."""


def _disk_usage(path: Path) -> tuple[int, int]:
    usage = shutil.disk_usage(path)
    return usage.used, usage.total


def file_md5(path: Path) -> str:
    """The hex MD5 of a file, read in blocks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plain_etag(etag: str | None) -> str:
    """An ETag without its quotes."""
    return (etag or "").strip('"')


@dataclass(frozen=True)
class CacheEntry:
    """One cached object: its file, ETag and size."""

    path: Path
    etag: str
    size: int


def cache_from_environment(given: str | os.PathLike[str] | None = None) -> Cache | None:
    """The cache at `given` (``--cache_path``), else ``$BREVETTI_AI_CACHE``; None if neither."""
    root = given if given is not None else os.environ.get("BREVETTI_AI_CACHE")
    if not root:
        return None
    share = os.environ.get("BREVETTI_AI_CACHE_MAX_USAGE", "0.8")
    try:
        max_usage = float(share)
    except ValueError:
        raise StorageError(
            f"BREVETTI_AI_CACHE_MAX_USAGE must be a share of the disk like 0.8, got {share!r}"
        ) from None
    return Cache(Path(root), max_usage=max_usage)


class Cache:
    """Remote objects kept on local disk by URL and ETag; safe across processes."""

    def __init__(
        self, root: Path, *, max_usage: float = 0.8, disk_usage: DiskUsage = _disk_usage
    ) -> None:
        if not 0.0 < max_usage <= 1.0:
            raise StorageError(f"the cache's max usage is a share in (0, 1], got {max_usage}")
        self.root = Path(root).absolute()
        self.max_usage = max_usage
        self._disk_usage = disk_usage
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._db_pid = 0
        self._checked: dict[str, tuple[CacheEntry, tuple[int, int, int]]] = {}
        """Entries checked this run, with their file's (inode, size, mtime) then."""
        self._pending_lock = threading.Lock()
        self._pending: list[tuple[str, str, int, str, float]] = []  # rows not yet indexed
        self._pending_touch: list[str] = []  # entries used, their time not yet indexed
        self._room_until = 0.0  # disk usage known to be fine until then ...
        self._budget = 0  # ... while fewer bytes than this were written since

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r}, max_usage={self.max_usage})"

    # -- index ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _index(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db is None or self._db_pid != os.getpid():  # a forked worker reopens
                import sqlite3  # noqa: PLC0415 - only when a cache is used

                folder = self.root / "s3"
                folder.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(
                    folder / "brevetti_cache.db",
                    timeout=30,
                    isolation_level=None,
                    check_same_thread=False,
                )
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS objects (url TEXT PRIMARY KEY, etag TEXT NOT NULL,"
                    " size INTEGER NOT NULL, path TEXT NOT NULL, used REAL NOT NULL)"
                )
                self._db, self._db_pid = db, os.getpid()
                self._checked.clear()
            yield self._db

    def path_for(self, location: Location) -> Path:
        """Where the object's file lives in the cache."""
        return self.root / "s3" / location.bucket / local_name(location.url, location.key)

    def lookup(self, url: str) -> CacheEntry | None:
        """The index entry of `url` (whether or not its file is still right)."""
        with self._index() as db:
            row = db.execute(
                "SELECT path, etag, size FROM objects WHERE url = ?", (url,)
            ).fetchone()
        return CacheEntry(Path(row[0]), str(row[1]), int(row[2])) if row else None

    def lookup_many(self, urls: Iterable[str]) -> dict[str, CacheEntry]:
        """The index entries of those of `urls` that have one (a query per 500 URLs)."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, CacheEntry] = {}
        with self._index() as db:
            for start in range(0, len(wanted), 500):
                batch = wanted[start : start + 500]
                marks = ",".join("?" * len(batch))
                rows = db.execute(
                    f"SELECT url, path, etag, size FROM objects WHERE url IN ({marks})",  # noqa: S608 - placeholders only
                    batch,
                ).fetchall()
                for url, path, etag, size in rows:
                    found[str(url)] = CacheEntry(Path(path), str(etag), int(size))
        return found

    def checked(self, url: str) -> CacheEntry | None:
        """The entry of `url` if it was already checked against the store in this process
        and its file is unchanged since (same inode, size and modification time: a file
        written into in place, e.g. through a hard link, is checked again)."""
        item = self._checked.get(url)
        if item is None:
            return None
        entry, signature = item
        try:
            info = os.stat(entry.path)  # noqa: PTH116 - the cheapest stat, on a hot path
        except OSError:
            self._checked.pop(url, None)
            return None
        if (info.st_ino, info.st_size, info.st_mtime_ns) != signature:
            self._checked.pop(url, None)
            return None
        return entry

    def _remember(self, url: str, entry: CacheEntry) -> None:
        info = os.stat(entry.path)  # noqa: PTH116
        self._checked[url] = (entry, (info.st_ino, info.st_size, info.st_mtime_ns))

    def verify(
        self, url: str, etag: str, entry: CacheEntry | None = None, *, defer: bool = False
    ) -> CacheEntry | None:
        """The entry of `url` (looked up unless given) if it holds ETag `etag` and its file
        is intact; marks it checked. `defer`: its use is indexed at the next `flush`."""
        etag = plain_etag(etag)
        entry = entry if entry is not None else self.lookup(url)
        if entry is None or entry.etag != etag:
            return None
        try:
            if entry.path.stat().st_size != entry.size:
                return None
            if _MD5_ETAG.match(etag) and file_md5(entry.path) != etag:
                return None
        except OSError:
            return None
        if defer:
            with self._pending_lock:
                self._pending_touch.append(url)
        else:
            self._touch(url)
        try:
            self._remember(url, entry)
        except OSError:
            return None
        return entry

    def _touch(self, url: str) -> None:
        with self._index() as db:
            db.execute("UPDATE objects SET used = ? WHERE url = ?", (time.time(), url))

    # -- filling -------------------------------------------------------------------------------

    def has_room(self) -> bool:
        """Whether the disk is below the max usage, after evicting old entries if needed.

        A fine answer holds for a second while less than a quarter of the room left was
        written since, so a burst of small objects does not ask the file system each time
        (and several processes sharing the cache cannot overshoot it)."""
        if self._budget > 0 and time.monotonic() < self._room_until:
            return True
        self.root.mkdir(parents=True, exist_ok=True)
        used, total = self._disk_usage(self.root)
        if not (total and used / total < self.max_usage):
            self.evict()
            used, total = self._disk_usage(self.root)
        fine = bool(total) and used / total < self.max_usage
        if fine:
            self._room_until = time.monotonic() + 1.0
            self._budget = int((self.max_usage * total - used) / 4)
        return fine

    def evict(self, batch: int = 64) -> int:
        """Remove least recently used entries until the disk is below the max usage."""
        removed = 0
        while True:
            with self._index() as db:
                rows = db.execute(
                    "SELECT url, path FROM objects ORDER BY used LIMIT ?", (batch,)
                ).fetchall()
            if not rows:
                return removed
            for url, path in rows:
                used, total = self._disk_usage(self.root)
                if total and used / total < self.max_usage:
                    return removed
                with contextlib.suppress(FileNotFoundError):
                    Path(path).unlink()
                with self._index() as db:
                    db.execute("DELETE FROM objects WHERE url = ?", (url,))
                self._checked.pop(url, None)
                removed += 1

    def temporary(self, location: Location) -> Path:
        """A fresh temporary name beside the object's cache file (its folder made)."""
        final = self.path_for(location)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(f"{final.name}.{os.getpid()}.{next(_counter)}.part")

    def commit(
        self,
        location: Location,
        temporary: Path,
        etag: str,
        *,
        size: int | None = None,
        defer: bool = False,
    ) -> CacheEntry:
        """Rename a fully written temporary file into place and index it (`defer`: at the
        next `flush`, so a burst of objects is indexed in one transaction)."""
        final = self.path_for(location)
        if size is None:
            size = temporary.stat().st_size
        temporary.replace(final)
        entry = CacheEntry(final, plain_etag(etag), size)
        row = (location.url, entry.etag, size, str(final), time.time())
        if defer:
            with self._pending_lock:
                self._pending.append(row)
        else:
            with self._index() as db:
                db.execute(
                    "INSERT OR REPLACE INTO objects (url, etag, size, path, used)"
                    " VALUES (?, ?, ?, ?, ?)",
                    row,
                )
        self._remember(location.url, entry)
        self._budget -= size
        return entry

    def flush(self) -> None:
        """Index the entries committed or used with `defer` (one transaction)."""
        with self._pending_lock:
            rows, self._pending = self._pending, []
            touched, self._pending_touch = self._pending_touch, []
        if not rows and not touched:
            return
        now = time.time()
        with self._index() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT OR REPLACE INTO objects (url, etag, size, path, used)"
                    " VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                db.executemany(
                    "UPDATE objects SET used = ? WHERE url = ?", [(now, u) for u in touched]
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def forget(self, url: str) -> None:
        """Drop `url` from the index and from this run's checked set."""
        self._checked.pop(url, None)
        with self._index() as db:
            db.execute("DELETE FROM objects WHERE url = ?", (url,))

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None and self._db_pid == os.getpid():
                self._db.close()
            self._db = None
