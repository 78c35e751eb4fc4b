"""Model packages: a gzip tar of asset files with a ``metadata.json`` manifest.

The layout is brevettiai's ModelArchive: every asset at its archive name, then
``metadata.json`` with ``type``, ``version``, ``id``, ``name``, ``created``,
``producer``, ``environment`` and ``assets`` (``{name: {"file", "hash": "sha256:<hex>"}}``);
so brevettiai archives open here and ours open there. We add ``settings``, ``classes``
and ``input_shape`` beside them. Reading checks every hash and accepts only regular
files at safe names; it extracts into a hidden folder renamed into place at the end, so
a corrupt, truncated or tampered package leaves nothing behind.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import IO, Any, Final

import attrs

from ._errors import PackageError

__all__ = ["MANIFEST_NAME", "ModelPackage", "OpenedPackage", "package_file_name"]

MANIFEST_NAME: Final = "metadata.json"
METADATA_TYPE: Final = "ModelArchiveMetadata"
METADATA_VERSION: Final = "2.0"
_CHUNK: Final = 1 << 20
_UNSAFE_NAME: Final = re.compile(r"[^-a-zA-Z0-9_.()]+")
_HASH: Final = re.compile(r"sha256:([0-9a-f]{64})")
_RESERVED: Final = frozenset(
    {"type", "version", "id", "name", "created", "producer", "environment", "assets"}
    | {"settings", "classes", "input_shape"}
)


def package_file_name(name: str) -> str:
    """The archive's base file name for a package name, as brevettiai makes it.

    Runs of characters outside ``[-a-zA-Z0-9_.()]`` become ``_``, all lower-cased:
    ``My Job.v1`` gives ``my_job.v1.tar.gz``.
    """
    return _UNSAFE_NAME.sub("_", name).lower() + ".tar.gz"


def content_version(md5_digest: bytes) -> int:
    """brevettiai's version number: the first 4 md5 bytes as a little-endian integer."""
    return int.from_bytes(md5_digest[:4], "little")


_VERSIONED: Final = re.compile(r".+\.([0-9]+)\.tar\.gz")


def check_version(path: Path) -> None:
    """A ``<name>.<version>.tar.gz`` file must hash to its version (the md5 rule)."""
    match = _VERSIONED.fullmatch(path.name)
    if match is None:
        return
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    if content_version(digest.digest()) != int(match.group(1)):
        raise PackageError(
            f"{path.name} does not match the version in its name (changed or truncated)"
        )


def check_member_name(name: str) -> str:
    """A normalised archive name, refusing absolute names, ``..`` and odd characters."""
    text = name[2:] if name.startswith("./") else name
    if not text or "\\" in text or "\x00" in text:
        raise PackageError(f"archive name {name!r} is not a plain relative path")
    path = PurePosixPath(text)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", text):
        raise PackageError(f"archive name {name!r} is absolute")
    if any(part in ("..", "") for part in text.rstrip("/").split("/")):
        raise PackageError(f"archive name {name!r} leads out of the package")
    return path.as_posix()


@attrs.frozen
class _Entry:
    """An asset to write: its name, archive name and where its bytes come from."""

    name: str
    file: str
    source: Path | None
    data: bytes | None


class _HashingWriter(io.RawIOBase):
    """A write-only file that md5-hashes what passes through to `target`."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self.md5 = hashlib.md5(usedforsecurity=False)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self._target.write(view)
        self.md5.update(view)
        return len(view)


class _HashingReader(io.RawIOBase):
    """A reader that sha256-hashes what is read from `source`, at most `size` bytes."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        block = self._source.read(size)
        self.sha256.update(block)
        return block


class ModelPackage:
    """Builds a model package: asset files plus metadata, written as one tar.gz.

    ::

        package = ModelPackage("classifier", classes=["ok", "defect"], input_shape=[64, 64])
        package.add_file("model.onnx")
        path = package.write(job.artifacts_dir)   # artifacts/classifier.<version>.tar.gz

    The file name carries a version derived from the archive's bytes (brevettiai's
    rule), and the archive is deterministic: the same assets and metadata give the
    same bytes and the same name.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        id: str | None = None,
        producer: str | None = None,
        settings: Mapping[str, Any] | None = None,
        classes: Sequence[str] | None = None,
        input_shape: Sequence[int] | None = None,
        environment: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        created: _dt.datetime | None = None,
    ) -> None:
        extra = dict(metadata or {})
        clash = sorted(set(extra) & _RESERVED)
        if clash:
            raise PackageError(f"metadata keys {clash} are set by the package itself")
        self.name = name
        self.id = id
        self.producer = producer
        self.settings = dict(settings) if settings is not None else None
        self.classes = [str(c) for c in classes] if classes is not None else None
        self.input_shape = [int(n) for n in input_shape] if input_shape is not None else None
        self.environment = dict(environment) if environment is not None else None
        self.metadata = extra
        self.created = created
        self._entries: dict[str, _Entry] = {}
        self._files: set[str] = set()

    def __repr__(self) -> str:
        return f"<ModelPackage {self.name!r} with {len(self._entries)} assets>"

    @property
    def asset_names(self) -> tuple[str, ...]:
        """The names of the assets added so far, in order."""
        return tuple(self._entries)

    def _add(self, entry: _Entry) -> ModelPackage:
        if entry.name in self._entries:
            raise PackageError(f"the package already has an asset named {entry.name!r}")
        if entry.file in self._files or entry.file == MANIFEST_NAME:
            raise PackageError(f"the package already has a file {entry.file!r}")
        self._entries[entry.name] = entry
        self._files.add(entry.file)
        return self

    def add_file(
        self, source: str | os.PathLike[str], arcname: str | None = None, *, name: str | None = None
    ) -> ModelPackage:
        """Add a file at `arcname` (default: its file name), as asset `name` (default: arcname)."""
        path = Path(source)
        if not path.is_file():
            raise PackageError(f"{path} is not a file")
        file = check_member_name(arcname if arcname is not None else path.name)
        return self._add(_Entry(name if name is not None else file, file, path, None))

    def add_bytes(self, arcname: str, data: bytes, *, name: str | None = None) -> ModelPackage:
        """Add bytes as a file at `arcname`, as asset `name` (default: arcname)."""
        file = check_member_name(arcname)
        return self._add(_Entry(name if name is not None else file, file, None, bytes(data)))

    def add_folder(self, folder: str | os.PathLike[str], prefix: str = "") -> ModelPackage:
        """Add every file under `folder` (links not followed), at ``prefix/<relative path>``."""
        root = Path(folder)
        if not root.is_dir():
            raise PackageError(f"{root} is not a folder")
        for path in sorted(_walk_files(root)):
            relative = path.relative_to(root).as_posix()
            self.add_file(path, f"{prefix.rstrip('/')}/{relative}" if prefix else relative)
        return self

    def manifest(self, hashes: Mapping[str, str]) -> dict[str, Any]:
        """The ``metadata.json`` document for the given ``{asset name: sha256 hex}``."""
        created = self.created or _dt.datetime.now(_dt.UTC)
        document: dict[str, Any] = {
            "type": METADATA_TYPE,
            "version": METADATA_VERSION,
            "id": self.id or "",
            "name": self.name,
            "created": created.strftime("%Y-%m-%dT%H%M%S"),
            "producer": self.producer or "brevetti_job",
            "environment": self.environment if self.environment is not None else _environment(),
            "assets": {
                name: {"file": entry.file, "hash": f"sha256:{hashes[name]}"}
                for name, entry in self._entries.items()
            },
        }
        for key in ("settings", "classes", "input_shape"):
            value = getattr(self, key)
            if value is not None:
                document[key] = value
        document.update(self.metadata)
        return document

    def write(
        self,
        folder: str | os.PathLike[str],
        *,
        id: str | None = None,
        name: str | None = None,
        producer: str | None = None,
    ) -> Path:
        """Write the archive into `folder` as ``<name>.<version>.tar.gz``; returns its path.

        `id`, `name` and `producer` fill in what the package was not given (a job passes
        its own). The file appears under its final name only when complete.
        """
        base = self._fill(id, name, producer)[: -len(".tar.gz")]
        target_dir = Path(folder)
        temp, md5 = self._write_temp(target_dir, base)
        final = target_dir / f"{base}.{content_version(md5)}.tar.gz"
        temp.replace(final)
        return final

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        id: str | None = None,
        name: str | None = None,
        producer: str | None = None,
    ) -> Path:
        """Write the archive to exactly `path` (no version in the name); returns it."""
        target = Path(path)
        self._fill(id, name or target.name.removesuffix(".tar.gz"), producer)
        temp, _ = self._write_temp(target.parent, target.name)
        temp.replace(target)
        return target

    def _fill(self, id: str | None, name: str | None, producer: str | None) -> str:
        self.id = self.id or id
        self.name = self.name or name
        self.producer = self.producer or producer
        if not self.name:
            raise PackageError("a model package needs a name")
        if self.created is None:
            self.created = _dt.datetime.now(_dt.UTC)
        return package_file_name(self.name)

    def _write_temp(self, folder: Path, stem: str) -> tuple[Path, bytes]:
        """The archive in a hidden temporary file in `folder`, and its md5."""
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".part", dir=folder)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as raw:
                hashing = _HashingWriter(raw)
                self._write_tar(hashing)
                raw.flush()
                os.fsync(raw.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, hashing.md5.digest()

    def _write_tar(self, out: _HashingWriter) -> None:
        mtime = int((self.created or _dt.datetime.now(_dt.UTC)).timestamp())
        hashes: dict[str, str] = {}
        with (
            gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as zipped,
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            for entry in sorted(self._entries.values(), key=lambda e: e.file):
                info = _member(entry.file, mtime)
                if entry.data is not None:
                    info.size = len(entry.data)
                    hashes[entry.name] = hashlib.sha256(entry.data).hexdigest()
                    tar.addfile(info, io.BytesIO(entry.data))
                    continue
                if entry.source is None:
                    raise PackageError(f"asset {entry.name!r} has neither bytes nor a file")
                with entry.source.open("rb") as handle:
                    info.size = os.fstat(handle.fileno()).st_size
                    reader = _HashingReader(handle)
                    tar.addfile(info, reader)
                    hashes[entry.name] = reader.sha256.hexdigest()
            manifest = json.dumps(self.manifest(hashes), indent=2, sort_keys=True).encode()
            info = _member(MANIFEST_NAME, mtime)
            info.size = len(manifest)
            tar.addfile(info, io.BytesIO(manifest))

    @staticmethod
    def open(
        path: str | os.PathLike[str], dest: str | os.PathLike[str] | None = None
    ) -> OpenedPackage:
        """Extract and check a package (ours or brevettiai's ModelArchive) into `dest`.

        `dest` must not exist yet (default: a fresh temporary folder). Every asset's hash
        is checked; a corrupt, truncated or tampered archive raises `PackageError` and
        leaves no folder behind.
        """
        return open_package(Path(path), None if dest is None else Path(dest))

    @staticmethod
    def verify(path: str | os.PathLike[str]) -> dict[str, Any]:
        """Check a package without extracting it; returns its manifest."""
        return _read(Path(path), None)


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@attrs.frozen
class OpenedPackage:
    """An extracted, checked package: its folder, manifest and asset files."""

    folder: Path
    metadata: Mapping[str, Any] = attrs.field(converter=_frozen)

    @property
    def name(self) -> str | None:
        """The package's name from its manifest."""
        value = self.metadata.get("name")
        return None if value is None else str(value)

    @property
    def id(self) -> str | None:
        """The id of the job that made it."""
        value = self.metadata.get("id")
        return None if value is None else str(value)

    @property
    def classes(self) -> list[str] | None:
        """The class names it predicts, if recorded."""
        value = self.metadata.get("classes")
        return None if value is None else [str(c) for c in value]

    @property
    def settings(self) -> Mapping[str, Any] | None:
        """The settings it was trained with, if recorded."""
        return self.metadata.get("settings")

    @property
    def input_shape(self) -> list[int] | None:
        """Its input shape, if recorded."""
        value = self.metadata.get("input_shape")
        return None if value is None else list(value)

    @property
    def assets(self) -> Mapping[str, Path]:
        """Each asset's name and extracted file."""
        return {name: self.folder / entry["file"] for name, entry in self._entries().items()}

    def _entries(self) -> Mapping[str, Mapping[str, str]]:
        entries: Mapping[str, Mapping[str, str]] = self.metadata.get("assets") or {}
        return entries

    def path(self, name: str) -> Path:
        """The extracted file of asset `name`."""
        entry = self._entries().get(name)
        if entry is None:
            raise PackageError(
                f"the package has no asset {name!r} (it has {sorted(self._entries())})"
            )
        return self.folder / entry["file"]

    def read_bytes(self, name: str) -> bytes:
        """The bytes of asset `name`."""
        return self.path(name).read_bytes()


def _environment() -> dict[str, str]:
    from . import __version__  # noqa: PLC0415 - the package imports this module

    return {"brevetti_toolkit": __version__, "python": sys.version}


def _member(name: str, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = mtime
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _walk_files(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for file in files:
            path = Path(folder) / file
            if path.is_file() and not path.is_symlink():
                yield path


def open_package(path: Path, dest: Path | None) -> OpenedPackage:
    """See `ModelPackage.open`."""
    if dest is None:
        dest = Path(tempfile.mkdtemp(prefix="brevetti-package-")) / "package"
    if dest.exists():
        raise PackageError(f"{dest} already exists; open a package into a new folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    try:
        manifest = _read(path, staging)
        staging.replace(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return OpenedPackage(dest, manifest)


def _read(path: Path, into: Path | None) -> dict[str, Any]:
    """Stream the archive, hashing (and, with `into`, extracting) each file; then check."""
    if not path.is_file():
        raise PackageError(f"model package {path} does not exist")
    check_version(path)
    digests: dict[str, str] = {}
    manifest_bytes: bytes | None = None
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                manifest_bytes = _take(tar, member, digests, into, manifest_bytes)
    except PackageError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise PackageError(
            f"{path.name} is not a readable model package (corrupt or truncated: {exc})"
        ) from exc
    if manifest_bytes is None:
        raise PackageError(f"{path.name} has no {MANIFEST_NAME}")
    manifest = _parse_manifest(path.name, manifest_bytes)
    _check(path.name, manifest, digests)
    return manifest


def _take(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    digests: dict[str, str],
    into: Path | None,
    manifest: bytes | None,
) -> bytes | None:
    name = check_member_name(member.name)
    if member.isdir():
        if into is not None:
            (into / name).mkdir(parents=True, exist_ok=True)
        return manifest
    if not member.isreg():
        kind = "a link" if member.issym() or member.islnk() else "not a regular file"
        raise PackageError(f"archive member {member.name!r} is {kind}; refused")
    if name in digests or (name == MANIFEST_NAME and manifest is not None):
        raise PackageError(f"archive member {member.name!r} appears twice")
    source = tar.extractfile(member)
    if source is None:  # tarfile gives no body: the member cannot be read as a file
        raise PackageError(f"archive member {member.name!r} has no readable content; refused")
    if name == MANIFEST_NAME:
        return source.read(64 << 20)
    digest = hashlib.sha256()
    sink: IO[bytes] | None = None
    if into is not None:
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        sink = target.open("xb")
    try:
        while block := source.read(_CHUNK):
            digest.update(block)
            if sink is not None:
                sink.write(block)
    finally:
        if sink is not None:
            sink.close()
    digests[name] = digest.hexdigest()
    return manifest


def _parse_manifest(label: str, data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise PackageError(f"{label}: {MANIFEST_NAME} is not valid JSON") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("assets", {}), dict):
        raise PackageError(f"{label}: {MANIFEST_NAME} must be an object with an 'assets' object")
    manifest.setdefault("type", METADATA_TYPE)
    manifest.setdefault("assets", {})
    return manifest


def _check(label: str, manifest: Mapping[str, Any], digests: Mapping[str, str]) -> None:
    problems: list[str] = []
    listed: set[str] = set()
    for asset, entry in sorted(manifest["assets"].items()):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            problems.append(f"asset {asset!r} has no 'file'")
            continue
        file = check_member_name(entry["file"].replace("\\", "/"))
        listed.add(file)
        match = _HASH.fullmatch(str(entry.get("hash", "")).lower())
        if match is None:
            problems.append(f"asset {asset!r} has no 'sha256:<hex>' hash")
        elif file not in digests:
            problems.append(f"asset {asset!r}: file {file!r} is missing from the archive")
        elif digests[file] != match.group(1):
            problems.append(f"asset {asset!r}: file {file!r} does not match its sha256")
    extra = sorted(set(digests) - listed)
    if extra:
        problems.append(f"files not in the manifest: {extra}")
    if problems:
        raise PackageError(f"{label} failed its integrity check: " + "; ".join(problems))


for _public in (ModelPackage, OpenedPackage):  # brevetti_job.X however it was loaded (lazily)
    _public.__module__ = "brevetti_job"
del _public
