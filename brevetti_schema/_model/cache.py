"""The compile cache: what a fresh process would otherwise work out again from a schema.

Three things are kept, as Python keeps bytecode in ``__pycache__``: the compiled code
of a schema's generated validator (`compiled`); the verdict that a JSON field's
default satisfies its inner JSON Schema (`known` / `remember`), which would otherwise
import jsonschema in every job that starts with the default; and the model read from
an authoring file (`loaded` / `keep`), which would otherwise import PyYAML and read the
file again. The folder is
``$BREVETTI_SCHEMA_CACHE`` (``off`` turns the cache off), else
``$XDG_CACHE_HOME/brevetti-schema``, else ``~/.cache/brevetti-schema``.

An entry is found by a checksum of what it was made from (with the toolkit's version
and the interpreter's cache tag) and holds that material whole: it is used only when
the material is the same, so a changed schema, toolkit or Python never meets a stale
entry; the material of a model or a verdict also names the toolkit's own source files
by size and modification time (`sources`), as a ``.pyc`` names its source, so an edited
checkout does not read what its old code made. The checksum (zlib's CRC-32) only finds the
entry; hashlib would cost a fresh process more than the cache saves. Entries are
written whole (a temporary file renamed into place) and hold no setting values: the
generated code takes its constants from a namespace, a verdict names only an inner
schema and a declared default, and a model whose secrets have defaults is not kept. A
folder that cannot be read or written (a read-only home, a full disk) is passed over:
the value is computed as before. Entries are code and pickles, so a folder that another
user owns or may write is passed over too.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import sys
import types
import zlib
from pathlib import Path
from typing import Any, Final

__all__ = ["cache_folder", "compiled", "keep", "known", "loaded", "remember", "sources"]

VERSION: Final = "0.1.0"
"""The toolkit version in every entry (brevetti_schema's ``__version__``; a test says so)."""

_TAG: Final = f"{VERSION}\0{sys.implementation.cache_tag}\0{sys.version}"
_OFF: Final = frozenset({"off", "0", "false", "no", "none"})
_CREATE: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def cache_folder() -> Path | None:
    """The cache's folder from the environment, or None when the cache is off."""
    given = os.environ.get("BREVETTI_SCHEMA_CACHE")
    if given is not None and given.strip().lower() in _OFF:
        return None
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no HOME and no passwd entry (a container's arbitrary uid)
            return None
    return Path(base) / "brevetti-schema"


def _private(folder: Path) -> bool:
    """Whether `folder` is missing (it will be made 0700) or is this user's own and
    writable by no one else: entries are code and pickles, run as they are read."""
    try:
        stat = folder.stat()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    owner = os.getuid() if hasattr(os, "getuid") else stat.st_uid
    return stat.st_uid == owner and not stat.st_mode & 0o022


def _entry(kind: str, material: str) -> tuple[Path, bytes] | None:
    """Where the entry of `kind` made from `material` lives, and the material as stored;
    None when the cache is off or its folder is not private. Only compiled code, a pure
    function of its source, leaves the toolkit's own `sources` out of its material."""
    folder = cache_folder()
    if folder is None or not _private(folder / kind):
        return None
    if kind != "code":
        material = f"{sources()}\0{material}"
    stored = f"{kind}\0{_TAG}\0{material}".encode("utf-8", "surrogatepass")
    name = f"{zlib.crc32(stored):08x}{len(stored):x}"
    return folder / kind / name, stored


def _found(value: Any, stored: bytes) -> Any:
    """The value of an entry read as ``(material, value)``, None unless its material is
    `stored`."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == stored:
        return value[1]
    return None


def _read(path: Path) -> Any:
    """The value marshalled at `path`, or None (missing, unreadable or damaged)."""
    try:
        return marshal.loads(path.read_bytes())  # noqa: S302 - our own entries, as __pycache__
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _write(path: Path, value: Any) -> None:
    """`value` marshalled at `path`, whole or not at all; failures are ignored."""
    try:
        data = marshal.dumps(value)
    except ValueError:
        return
    _store(path, data)


def _store(path: Path, data: bytes) -> None:
    """`data` at `path`, whole or not at all; failures are ignored."""
    temporary = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(temporary, _CREATE, 0o600)  # this writer's own, never shared
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        temporary.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def known(material: str) -> bool:
    """Whether the verdict made from `material` is in the cache."""
    entry = _entry("verdict", material)
    if entry is None:
        return False
    path, stored = entry
    return bool(_read(path) == stored)


def remember(material: str) -> None:
    """Record the verdict made from `material`."""
    entry = _entry("verdict", material)
    if entry is not None:
        _write(*entry)


def compiled(source: str) -> types.CodeType:
    """``compile(source, "<cached>", "exec")``, from the cache when it holds it.

    The file name is a placeholder: the caller names the code where it places it.
    """
    entry = _entry("code", source)
    if entry is not None:
        found = _found(_read(entry[0]), entry[1])
        if isinstance(found, types.CodeType):
            return found
    code = compile(source, "<cached>", "exec")
    if entry is not None:
        _write(entry[0], (entry[1], code))
    return code


_PACKAGE: Final = Path(__file__).resolve().parents[1]


@functools.cache
def sources() -> str:
    """The toolkit's own source files by name, size and modification time (one line each)."""
    lines = []
    for folder, _, names in sorted(os.walk(_PACKAGE)):
        for name in sorted(n for n in names if n.endswith(".py")):
            try:
                stat = os.stat(os.path.join(folder, name))  # noqa: PTH116, PTH118 - cheaper
            except OSError:
                continue
            lines.append(
                f"{os.path.relpath(folder, _PACKAGE)}/{name} {stat.st_size} {stat.st_mtime_ns}"
            )
    return "\n".join(lines)


def loaded(kind: str, material: str) -> Any:
    """The value of `kind` made from `material` that `keep` stored, or None."""
    entry = _entry(kind, material)
    if entry is None:
        return None
    import pickle  # noqa: PLC0415 - only when the cache holds a model

    try:
        found = pickle.loads(entry[0].read_bytes())  # noqa: S301 - our own entries
    except Exception:  # noqa: BLE001 - a damaged or outdated entry is a miss
        return None
    return _found(found, entry[1])


def keep(kind: str, material: str, value: Any) -> None:
    """Store `value` (picklable) as the value of `kind` made from `material`."""
    entry = _entry(kind, material)
    if entry is None:
        return
    import pickle  # noqa: PLC0415

    path, stored = entry
    try:
        data = pickle.dumps((stored, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - not picklable: not kept
        return
    _store(path, data)
