"""Small file helpers: atomic writes and paths that cannot escape their folder."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ._errors import ArtifactPathError

__all__ = ["atomic_write_bytes", "atomic_write_json", "fsync_dir", "safe_child"]


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write a file so readers see the old or the new content, never a part.

    With `durable`, the folder is synced too, so the new name survives a power loss.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Sync a folder's entries (a rename in it) to disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_json(path: Path, data: Any) -> None:
    """Atomically write JSON text (indent 2, trailing newline)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def safe_child(root: Path, *parts: str) -> Path:
    """``root/parts...``, refusing absolute parts, ``..`` and links that lead out."""
    if not parts or not any(parts):
        raise ArtifactPathError("an artifact needs a name")
    relative = Path()
    for part in parts:
        piece = Path(str(part).replace("\\", "/"))
        if piece.is_absolute() or piece.drive:
            raise ArtifactPathError(f"artifact name {str(part)!r} must be relative")
        if any(p == ".." for p in piece.parts):
            raise ArtifactPathError(f"artifact name {str(part)!r} must not contain '..'")
        relative = relative / piece
    target = root / relative
    base = root.resolve()
    resolved = target.resolve()
    if resolved != base and base not in resolved.parents:
        raise ArtifactPathError(f"artifact name {str(relative)!r} leads out of {root}")
    if resolved == base:
        raise ArtifactPathError("an artifact needs a name inside the artifacts folder")
    return target
