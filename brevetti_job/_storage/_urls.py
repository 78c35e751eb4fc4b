"""Storage locations: ``s3://bucket/key`` or a local path, resolved against the job folder."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from .._errors import StorageError, StoragePermissionError

__all__ = ["Location", "local_name", "parse_location"]


@dataclass(frozen=True)
class Location:
    """Where an object lives: an S3 `bucket` and `key`, or a local `path`."""

    url: str
    bucket: str = ""
    key: str = ""
    path: Path | None = None

    @property
    def is_s3(self) -> bool:
        return self.path is None

    @property
    def local(self) -> Path:
        """The local path (only for local locations)."""
        if self.path is None:
            raise StorageError(f"{self.url} is not a local path", url=self.url)
        return self.path

    def child(self, name: str) -> Location:
        """The location of `name` (a relative key) under this one, as a folder."""
        if self.path is not None:
            return Location(str(self.path / name), path=self.path / name)
        key = f"{self.key.rstrip('/')}/{name}" if self.key.strip("/") else name
        return s3_location(self.bucket, key)

    def folder_key(self) -> str:
        """The key as a folder prefix: ``""`` or ending in ``/``."""
        key = self.key.strip("/")
        return f"{key}/" if key else ""

    def contains(self, other: Location) -> bool:
        """Whether `other` lies inside this folder (or is it)."""
        if self.path is not None:
            if other.path is None or not other.path.is_relative_to(self.path):
                return False
            # where it really is: a link inside the folder may lead out of it
            return other.path.resolve().is_relative_to(self.path.resolve())
        if other.path is not None or other.bucket != self.bucket:
            return False
        prefix = self.folder_key()
        return not prefix or other.key == prefix.rstrip("/") or other.key.startswith(prefix)


def s3_location(bucket: str, key: str) -> Location:
    return Location(f"s3://{bucket}/{key}", bucket=bucket, key=key)


def _check_key(url: str, key: str) -> None:
    if any(part in (".", "..") for part in key.split("/")):
        raise StoragePermissionError(f"{url}: '.' and '..' are not allowed in a key", url=url)


def local_name(url: str, key: str) -> str:
    """`key` as a relative local path (a file in the cache or a download folder); a key
    whose segments are empty, ``.`` or ``..`` (``a//b``, ``/etc/x``) is refused, as it
    would name a file outside that folder or the file of another key."""
    parts = key.removesuffix("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise StoragePermissionError(
            f"{url}: a key with an empty, '.' or '..' segment cannot be a local file", url=url
        )
    return "/".join(parts)


def parse_location(url: str | os.PathLike[str], root: Location | None = None) -> Location:
    """Parse `url`; a relative path is taken inside `root` and must not escape it."""
    text = os.fspath(url)
    if text.startswith("s3://"):
        bucket, _, key = text[5:].partition("/")
        if not bucket or bucket in (".", ".."):
            raise StorageError(f"{text}: an S3 URL needs a bucket (s3://bucket/key)", url=text)
        _check_key(text, key)
        return s3_location(bucket, key)
    if "://" in text and not text.startswith("file://"):
        scheme = text.split("://", 1)[0]
        raise StorageError(f"{text}: unsupported scheme {scheme!r} (s3:// or a path)", url=text)
    if text.startswith("file://"):
        text = text[7:]
    path = Path(text)
    if path.is_absolute() or root is None:
        resolved = Path(os.path.normpath(path.absolute()))  # no '..' left to climb out with
        return Location(str(resolved), path=resolved)
    return _inside(root, text)


def _inside(root: Location, relative: str) -> Location:
    """`relative` under `root`; a path that escapes it is refused."""
    if root.path is not None:
        target = Path(os.path.normpath(root.path / relative))
        if not target.is_relative_to(root.path):
            raise StoragePermissionError(
                f"{relative}: the path escapes the job folder {root.url}", url=relative
            )
        # a symlink inside the folder that points out of it escapes too
        real_root, real = root.path.resolve(), target.resolve()
        if not real.is_relative_to(real_root):
            raise StoragePermissionError(
                f"{relative}: the path links out of the job folder {root.url}", url=relative
            )
        return Location(str(target), path=target)
    joined = posixpath.normpath(posixpath.join(root.folder_key(), relative))
    prefix = root.folder_key()
    if (prefix and not (joined + "/").startswith(prefix)) or joined.startswith(".."):
        raise StoragePermissionError(
            f"{relative}: the path escapes the job folder {root.url}", url=relative
        )
    return s3_location(root.bucket, joined)
