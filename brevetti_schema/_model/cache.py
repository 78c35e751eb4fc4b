"""The compile cache: what a fresh process would otherwise work out again from a schema.

Two things are kept, as Python keeps bytecode in ``__pycache__``: the compiled code of
a schema's generated validator (`compiled`), and the verdict that a JSON field's
default satisfies its inner JSON Schema (`known` / `remember`), which would otherwise
import jsonschema in every job that starts with the default. The folder is
``$BREVETTI_SCHEMA_CACHE`` (``off`` turns the cache off), else
``$XDG_CACHE_HOME/brevetti-schema``, else ``~/.cache/brevetti-schema``.

An entry is found by a checksum of what it was made from (with the toolkit's version
and the interpreter's cache tag) and holds that material whole: it is used only when
the material is the same, so a changed schema, toolkit or Python never meets a stale
entry. The checksum (zlib's CRC-32) only finds the entry; hashlib would cost a fresh
process more than the cache saves. Entries are written whole (a temporary file renamed
into place) and hold no setting values: the generated code takes its constants from a
namespace, and a verdict names only an inner schema and a declared default. A folder
that cannot be read or written (a read-only home, a full disk) is passed over: the
value is computed as before.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import types
import zlib
from pathlib import Path
from typing import Any, Final

__all__ = ["cache_folder", "compiled", "known", "remember"]

VERSION: Final = "0.1.0"
"""The toolkit version in every entry (brevetti_schema's ``__version__``; a test says so)."""

_TAG: Final = f"{VERSION}\0{sys.implementation.cache_tag}\0{sys.version}"
_OFF: Final = frozenset({"off", "0", "false", "no", "none"})


def cache_folder() -> Path | None:
    """The cache's folder from the environment, or None when the cache is off."""
    given = os.environ.get("BREVETTI_SCHEMA_CACHE")
    if given is not None and given.strip().lower() in _OFF:
        return None
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "brevetti-schema"


def _entry(kind: str, material: str) -> tuple[Path, bytes] | None:
    """Where the entry of `kind` made from `material` lives, and the material as stored."""
    folder = cache_folder()
    if folder is None:
        return None
    stored = f"{kind}\0{_TAG}\0{material}".encode("utf-8", "surrogatepass")
    name = f"{zlib.crc32(stored):08x}{len(stored):x}"
    return folder / kind / name, stored


def _read(path: Path) -> Any:
    """The value marshalled at `path`, or None (missing, unreadable or damaged)."""
    try:
        return marshal.loads(path.read_bytes())  # noqa: S302 - our own entries, as __pycache__
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _write(path: Path, value: Any) -> None:
    """`value` marshalled at `path`, whole or not at all; failures are ignored."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary.write_bytes(marshal.dumps(value))
        temporary.replace(path)
    except (OSError, ValueError):
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
        found = _read(entry[0])
        if (
            isinstance(found, tuple)
            and len(found) == 2
            and found[0] == entry[1]
            and isinstance(found[1], types.CodeType)
        ):
            return found[1]
    code = compile(source, "<cached>", "exec")
    if entry is not None:
        _write(entry[0], (entry[1], code))
    return code
