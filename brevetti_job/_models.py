"""The models a test report was given (`job.models`), and reading their archives.

Each entry of the description's ``models`` list is ``{"id", "bucket"}`` (the model's
storage folder), optionally with ``name``, ``model_path`` (the archive, relative to the
bucket; default: the model path the model's job completed with, from its
``status.json``) and ``sha256`` (of the whole archive). Reading checks that sha256,
the md5 version in a versioned file name and every asset's hash; nothing half-written
is left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import JobConfigError, PackageError
from ._package import ModelPackage, OpenedPackage

if TYPE_CHECKING:
    from ._storage import Storage

__all__ = ["ModelUnderTest", "models_of"]

_CHUNK = 1 << 20


def _relative(text: str) -> PurePosixPath:
    path = PurePosixPath(text.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise JobConfigError(f"model path {text!r} must be a relative path inside the model folder")
    return path


@attrs.frozen
class ModelUnderTest:
    """A model a test report evaluates: its id, name and storage folder."""

    id: str
    name: str
    bucket: str
    model_path: str | None = None
    sha256: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    storage: Storage | None = attrs.field(default=None, repr=False, eq=False)
    """The job's storage, with read access to the model's folder (for ``s3://`` buckets)."""

    @property
    def remote(self) -> bool:
        """True when the model's folder is in object storage."""
        return self.bucket.startswith("s3://")

    def _folder(self) -> Path:
        if self.remote or self.bucket.startswith(("http://", "https://")):
            raise JobConfigError(
                f"model {self.id}: {self.bucket} is not a local folder"
                + ("" if self.remote else " (only local folders and s3:// are read)")
            )
        folder = Path(self.bucket.removeprefix("file://"))
        if not folder.is_dir():
            raise JobConfigError(f"model {self.id}: its folder {folder} does not exist")
        return folder

    def archive_path(self) -> str:
        """The archive's path inside the model's folder."""
        if self.model_path:
            return _relative(self.model_path).as_posix()
        status = self._folder() / "status.json"
        try:
            recorded = json.loads(status.read_text(encoding="utf-8")).get("model_path")
        except (OSError, ValueError, AttributeError):
            recorded = None
        if not recorded:
            raise JobConfigError(f"model {self.id} ({self.name}) has no model archive")
        return _relative(str(recorded)).as_posix()

    def download(self, dest: str | os.PathLike[str]) -> Path:
        """Copy the model's archive to `dest` (a folder, or a file path ending .tar.gz).

        Models in object storage are read through the job's storage (with the job's
        credentials for the model's folder). The copy is checked (the entry's sha256 if
        given, then the package itself) and appears only when whole; returns its path.
        """
        if self.remote and self.storage is None:
            raise JobConfigError(
                f"model {self.id}: reading {self.bucket} needs the job's storage (platform mode)"
            )
        if self.remote and not self.model_path:
            raise JobConfigError(f"model {self.id} ({self.name}) has no model archive")
        relative = self.archive_path()
        target = Path(dest)
        if target.is_dir() or not target.name.endswith(".tar.gz"):
            target = target / PurePosixPath(relative).name
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        staged = work / target.name  # the real name: a versioned name is checked too
        try:
            if self.remote:
                if self.storage is None:
                    raise JobConfigError(f"model {self.id}: no storage to read its archive from")
                self.storage.download(f"{self.bucket.rstrip('/')}/{relative}", staged)
            else:
                source = self._folder().joinpath(*PurePosixPath(relative).parts)
                if not source.is_file():
                    raise JobConfigError(f"model {self.id}: its archive {relative} is missing")
                shutil.copyfile(source, staged)
            digest = hashlib.sha256()
            with staged.open("rb") as handle:
                while block := handle.read(_CHUNK):
                    digest.update(block)
            if self.sha256 and digest.hexdigest() != self.sha256.lower():
                raise PackageError(f"model {self.id}: {relative} does not match its sha256")
            ModelPackage.verify(staged)
            staged.replace(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return target

    def open_package(self, dest: str | os.PathLike[str] | None = None) -> OpenedPackage:
        """Download, check and extract the model's package (into `dest` or a temp folder)."""
        scratch = Path(tempfile.mkdtemp(prefix="brevetti-model-"))
        try:
            archive = self.download(scratch)
            return ModelPackage.open(archive, dest)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def models_of(entries: Any, storage: Storage | None = None) -> tuple[ModelUnderTest, ...]:
    """The description's ``models`` entries as records (entries without id are refused);
    `storage` (the job's) reads models kept in object storage."""
    found = []
    for index, entry in enumerate(entries or ()):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            raise JobConfigError(f"models[{index}] needs an 'id'")
        bucket = entry.get("bucket")
        if not isinstance(bucket, str) or not bucket:
            raise JobConfigError(f"models[{index}] ({entry['id']}) needs a 'bucket'")
        known = {"id", "name", "bucket", "model_path", "sha256"}
        found.append(
            ModelUnderTest(
                id=entry["id"],
                name=str(entry.get("name") or entry["id"]),
                bucket=bucket,
                model_path=entry.get("model_path") or None,
                sha256=entry.get("sha256") or None,
                extra={k: v for k, v in entry.items() if k not in known},
                storage=storage,
            )
        )
    return tuple(found)
