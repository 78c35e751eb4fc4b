"""One server per store root: an exclusive lock held for the server's whole life."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Final

from .._errors import BrevettiJobError

__all__ = ["LOCK_FILE", "RootLock", "RootLocked"]

LOCK_FILE: Final = "server.lock"
"""The lock file under the store root; it holds the pid of the server holding it."""


class RootLocked(BrevettiJobError):
    """Another live server holds the store root."""

    def __init__(self, root: Path, pid: str) -> None:
        who = f" (pid {pid})" if pid else ""
        super().__init__(
            f"another dev server is already running on {root}{who}; "
            "stop it first or start this one with another --root"
        )
        self.root = root
        self.pid = pid


class RootLock:
    """An ``flock`` on ``<root>/server.lock``: released by `release` or when the process
    ends (also by SIGKILL), so a dead server never blocks the next one."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.path = self.root / LOCK_FILE
        self._fd: int | None = None
        self._guard = threading.Lock()

    def acquire(self) -> RootLock:
        """Take the lock or raise `RootLocked` naming the holder."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise RootLocked(self.root, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock up (idempotent, from any thread)."""
        with self._guard:
            fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None
