"""Small file helpers: atomic writes and paths that cannot escape their folder."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._errors import ArtifactPathError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "check_name",
    "finite_json",
    "fsync_dir",
    "json_bytes",
    "non_finite_paths",
    "safe_child",
]


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write a file so readers see the old or the new content, never a part.

    With `durable`, the folder is synced too, so the new name survives a power loss.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = _new_temp_file(path)
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


_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_TEMP_FLAGS |= getattr(os, "O_BINARY", 0)


def _new_temp_file(path: Path) -> tuple[int, str]:
    """A new file ``.<name>.<random>.tmp`` beside `path`, only for this process (mode
    0600, made exclusively, as `tempfile.mkstemp` makes one): its descriptor and name.

    Written here because importing `tempfile` (with `random` and `shutil`) costs a
    job's start a few milliseconds.
    """
    for _ in range(100):
        temp = str(path.parent / f".{path.name}.{os.urandom(5).hex()}.tmp")
        try:
            return os.open(temp, _TEMP_FLAGS, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


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


def json_bytes(data: Any, *, indent: int | None = 2) -> bytes:
    """JSON as UTF-8 bytes with a trailing newline; never fails on text that UTF-8 cannot hold.

    Text is written as it is, except when it holds a lone surrogate (a file name from
    `os.fsdecode`, say): then the document is written with ``\\u`` escapes, which is
    still valid JSON and reads back to the same strings.
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return (json.dumps(data, indent=indent, allow_nan=False) + "\n").encode("ascii")


def finite_json(data: Any) -> Any:
    """`data` with every NaN or infinity replaced by its JSON-ish name (``"NaN"``,
    ``"Infinity"``, ``"-Infinity"``), for records that must be written whatever they hold
    (a failure's problems)."""
    if isinstance(data, float) and not math.isfinite(data):
        return "NaN" if math.isnan(data) else "Infinity" if data > 0 else "-Infinity"
    if isinstance(data, Mapping):
        return {k: finite_json(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite_json(v) for v in data]
    return data


def non_finite_paths(data: Any, at: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], float]]:
    """Where (the keys and indexes leading there) every NaN or infinity in nested data is."""
    if isinstance(data, float) and not math.isfinite(data):
        return [(at, data)]
    found: list[tuple[tuple[str, ...], float]] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            found += non_finite_paths(value, (*at, str(key)))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found += non_finite_paths(value, (*at, str(index)))
    return found


def atomic_write_json(path: Path, data: Any, *, durable: bool = False) -> None:
    """Atomically write JSON text (indent 2, trailing newline)."""
    atomic_write_bytes(path, json_bytes(data), durable=durable)


def check_name(name: str, what: str, error: type[Exception] = ArtifactPathError) -> str:
    """`name` if UTF-8 can hold it, else `error` naming `what` (a lone surrogate, say).

    Names become file names, object keys and URL parts; a lone surrogate (from
    `os.fsdecode` of bytes that are not UTF-8) has no form in any of them.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = ", ".join(f"U+{ord(c):04X}" for c in name[exc.start : exc.end])
        raise error(
            f"{what} {name!r} is not valid text: it holds a lone surrogate ({bad}, e.g. "
            "from os.fsdecode of bytes that are not UTF-8); pass a name that is valid UTF-8"
        ) from None
    return name


def safe_child(root: Path, *parts: str) -> Path:
    """``root/parts...``, refusing absolute parts, ``..``, links that lead out, and
    names that are not valid text."""
    if not parts or not any(parts):
        raise ArtifactPathError("an artifact needs a name")
    relative = Path()
    for part in parts:
        check_name(str(part), "artifact name")
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
