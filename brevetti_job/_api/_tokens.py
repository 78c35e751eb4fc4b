"""Where a user's OAuth2 tokens are kept between sessions: ``~/.brevetti`` (0600 files).

The layout is the reference client's: ``<dir>/webapi.<host without scheme>/<user>/<org>``,
one JSON file per host, user and organisation, written atomically with mode 0600 in
folders of mode 0700. The file is never printed; its tokens never enter a message.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlsplit

__all__ = ["DEFAULT_DIR", "TokenStore"]

DEFAULT_DIR: Final = "~/.brevetti"


def _segment(text: str) -> str:
    """A file name for a user or organisation name (no separators, no dots-only names)."""
    name = quote(text, safe="@+-_.:")
    return name if name.strip(".") else quote(text, safe="").replace(".", "%2E")


class TokenStore:
    """Saved tokens under one folder (default ``~/.brevetti``)."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = Path(folder if folder is not None else DEFAULT_DIR).expanduser()

    def __repr__(self) -> str:
        return f"<TokenStore {str(self.folder)!r}>"

    def host_dir(self, host: str) -> Path:
        """The folder of one host: ``webapi.<host:port>``."""
        netloc = urlsplit(host).netloc or host
        return self.folder / f"webapi.{_segment(netloc)}"

    def path(self, host: str, username: str, organization: str) -> Path:
        """The token file of a host, user and organisation."""
        return self.host_dir(host) / _segment(username) / _segment(organization or "default")

    def save(self, host: str, username: str, organization: str, token: Mapping[str, Any]) -> Path:
        """Write a token atomically, readable by its owner only."""
        path = self.path(host, username, organization)
        for folder in (self.folder, self.host_dir(host), path.parent):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)
        fd, temp = tempfile.mkstemp(prefix=".token.", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({**token, "username": username, "organization": organization}, handle)
            Path(temp).replace(path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path

    def load(self, host: str, username: str | None, organization: str) -> dict[str, Any] | None:
        """The saved token for `username` (``None`` or ``*``: any user), or ``None``."""
        if username and username != "*":
            candidates = [self.path(host, username, organization)]
        else:
            base = self.host_dir(host)
            org = _segment(organization or "default")
            candidates = sorted(base.glob(f"*/{org}")) if base.is_dir() else []
        for path in candidates:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and isinstance(data.get("access_token"), str):
                return data
        return None

    def forget(self, host: str, username: str, organization: str) -> bool:
        """Delete a saved token; True if there was one."""
        path = self.path(host, username, organization)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True
