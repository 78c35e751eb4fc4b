"""API keys and the admin token: made with `secrets`, kept only as sha256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

__all__ = [
    "ADMIN_TOKEN_ENV",
    "ADMIN_TOKEN_FILE",
    "AdminTokenError",
    "admin_token_given",
    "bearer_token",
    "key_hash",
    "key_matches",
    "load_admin_token",
    "new_key",
]

_BEARER: Final = re.compile(r"\s*[Bb][Ee][Aa][Rr][Ee][Rr] +(\S+)\s*")

ADMIN_TOKEN_FILE: Final = "admin-token"  # noqa: S105 - a file name, not a secret
"""Where the server keeps its admin token, under the store root (mode 0600)."""


ADMIN_TOKEN_ENV: Final = "BREVETTI_ADMIN_TOKEN"  # noqa: S105 - a variable name
"""The environment variable that gives the admin token without showing it in ``ps``."""

ON_COMMAND_LINE: Final = (
    "warning: --admin-token puts the token on the command line, where every user of this "
    f"machine can read it (ps); set {ADMIN_TOKEN_ENV} or use --admin-token-file instead"
)


class AdminTokenError(Exception):
    """The admin token named by ``--admin-token-file`` cannot be read."""


def admin_token_given(
    flag: str | None, file: str | os.PathLike[str] | None, env: Mapping[str, str]
) -> str | None:
    """The admin token a command was given: ``--admin-token-file``, else ``--admin-token``
    (the caller warns: it shows in ``ps``), else ``BREVETTI_ADMIN_TOKEN``; else ``None``."""
    if file is not None:
        try:
            token = Path(file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise AdminTokenError(f"cannot read the admin token file {file}: {reason}") from None
        if not token:
            raise AdminTokenError(f"the admin token file {file} is empty")
        return token
    for given in (flag, env.get(ADMIN_TOKEN_ENV)):
        if given and given.strip():
            return given.strip()
    return None


def new_key() -> str:
    """A fresh secret key (256 random bits, URL-safe text) that does not begin with '-',
    so that ``--api-key KEY`` on a command line is never read as another option."""
    return _no_leading_dash(lambda: secrets.token_urlsafe(32))


def _no_leading_dash(make: Callable[[], str]) -> str:
    while True:
        text = make()
        if not text.startswith("-"):
            return text


def key_hash(key: str) -> str:
    """The sha256 hex digest of a key: what the store keeps instead of the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    """Whether `key` hashes to `stored_hash`, compared in constant time."""
    return hmac.compare_digest(key_hash(key), stored_hash)


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or ``None``."""
    if not header:
        return None
    found = _BEARER.fullmatch(header)
    return found.group(1) if found else None


def load_admin_token(root: Path, given: str | None = None) -> tuple[str, bool]:
    """The admin token: `given`, else the one saved under `root`, else a new one.

    The token is (re)written to ``<root>/admin-token`` with mode 0600. Returns the
    token and whether it was generated now (so the caller prints it once).
    """
    path = root / ADMIN_TOKEN_FILE
    generated = False
    token = given
    if token is None and path.is_file():
        token = path.read_text(encoding="utf-8").strip() or None
    if token is None:
        token = _no_leading_dash(lambda: secrets.token_urlsafe(24))
        generated = True
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    path.chmod(0o600)
    return token, generated
