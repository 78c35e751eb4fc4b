"""`Storage`: one interface over local folders and ``s3://bucket/key``.

Relative paths are taken inside the job folder (`root`) and may not escape it; deletes
are allowed only inside it. S3 goes through boto3 (imported on first use) with the
credentials routed per prefix (`CredentialRoutes`); remote reads can go through the
local `Cache`.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import datetime
import hashlib
import io
import json
import os
import posixpath
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypeVar

from .._errors import StorageError, StorageNotFound, StoragePermissionError
from ._cache import _MD5_ETAG, Cache, CacheEntry, file_md5, plain_etag
from ._credentials import (
    CredentialProvider,
    CredentialRoutes,
    PlatformCredentials,
)
from ._progress import LONG_TRANSFER, Progress, progress_wanted
from ._s3 import S3Access
from ._urls import Location, local_name, parse_location, s3_location

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["Storage", "StorageObject"]

T = TypeVar("T")
PathOrUrl = str | os.PathLike[str]
MANY_FILES = 100
"""`download_many` of at least this many objects shows a bar (on a terminal)."""
CHUNK = 1 << 20
SMALL_OBJECT = 8 << 20
"""Objects up to this size are read whole in one call (fewer, larger reads)."""
LIST_INSTEAD_OF_HEAD = 16
"""`download_many` checks cached objects by listing their folder when it holds at least
this many of them (one request per 1,000 objects instead of a HEAD each)."""


@dataclass(frozen=True)
class StorageObject:
    """An object (or, in a non-recursive listing, a folder) and what is known about it.

    `relative` is its path below the listed prefix (``/``-separated); `etag` is the
    store's ETag without quotes (for local files: None in listings; `Storage.stat` gives
    the MD5 of the content, which is what S3 reports for a single-part upload).
    """

    url: str
    relative: str
    size: int
    etag: str | None
    modified: datetime.datetime | None
    is_folder: bool = False


@contextlib.contextmanager
def _local_errors(location: Location, what: str) -> Iterator[None]:
    """Turn OS errors of a local operation into `StorageError`s naming the path."""
    try:
        yield
    except StorageError:
        raise
    except FileNotFoundError as error:
        raise StorageNotFound(f"{what} {location.url}: no such file", url=location.url) from error
    except (PermissionError, IsADirectoryError) as error:
        kind = StoragePermissionError if isinstance(error, PermissionError) else StorageError
        raise kind(f"{what} {location.url}: {error.strerror}", url=location.url) from error
    except OSError as error:
        raise StorageError(
            f"{what} {location.url}: {error.strerror or type(error).__name__}", url=location.url
        ) from error


def _atomic_local_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through a temporary file beside `path`, flushed, then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


def _write_all(handle: BinaryIO, data: bytes) -> None:
    handle.write(data)


class _S3Reader(io.RawIOBase):
    """A readable stream over a GetObject body; errors become `StorageError`s."""

    def __init__(self, body: Any, on_error: Callable[[BaseException], None]) -> None:
        self._body = body
        self._on_error = on_error

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._body.read(len(view))
        except Exception as error:
            self._on_error(error)
            raise  # pragma: no cover - _on_error raises
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):
                self._body.close()
        super().close()


class Storage:
    """Read, write, list, copy and move objects on local disk and S3, by URL.

    ``Storage(root="s3://bucket/<job id>", credentials=routes)`` in platform mode (see
    `Storage.for_platform`), ``Storage(root=job_dir)`` in local mode. `progress`: show
    bars for long transfers (None: only on a terminal).
    """

    def __init__(
        self,
        root: PathOrUrl | None = None,
        *,
        credentials: CredentialRoutes | CredentialProvider | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        cache: Cache | None = None,
        progress: bool | None = None,
        max_workers: int = 16,
        multipart_chunk: int = 16 << 20,
    ) -> None:
        self.root = parse_location(root) if root is not None else None
        routes: CredentialRoutes | None
        if credentials is None or isinstance(credentials, CredentialRoutes):
            routes = credentials
        else:
            routes = CredentialRoutes(default=credentials)
        self.max_workers = max_workers
        self.multipart_chunk = multipart_chunk
        self._s3 = S3Access(
            routes, endpoint_url=endpoint_url, region=region, max_pool=max(32, max_workers * 2)
        )
        self._cache = cache
        self._progress = progress
        self._own_cache: Path | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_platform(
        cls,
        *,
        host: str,
        job_id: str,
        api_key: str,
        data_bucket: str,
        datasets: Iterable[tuple[str, str | None]] = (),
        models: Iterable[tuple[str, str]] = (),
        job_credentials: CredentialProvider | None = None,
        **options: Any,
    ) -> Storage:
        """The storage of a platform job: its folder ``<data bucket>/<job id>`` (read and
        write, credentials with ``modelId=<job id>``, or `job_credentials` already had),
        each dataset ``(id, bucket)`` (read, ``datasetId=<id>``; no bucket: ``<data
        bucket>/<id>``) and each model ``(id, bucket)`` of a test report (read,
        ``modelId=<id>``)."""
        bucket = data_bucket.rstrip("/")
        root = f"{bucket}/{job_id}"
        own = job_credentials or PlatformCredentials(host, job_id, api_key, model_id=job_id)
        routes: list[tuple[str, CredentialProvider]] = [(root, own)]
        for dataset_id, dataset_bucket in datasets:
            provider = PlatformCredentials(host, job_id, api_key, dataset_id=dataset_id)
            routes.append((dataset_bucket or f"{bucket}/{dataset_id}", provider))
        for model_id, model_bucket in models:
            routes.append(
                (model_bucket, PlatformCredentials(host, job_id, api_key, model_id=model_id))
            )
        return cls(root, credentials=CredentialRoutes(routes), **options)

    def __repr__(self) -> str:
        root = self.root.url if self.root is not None else None
        return f"Storage(root={root!r}, routes={self._s3.routes!r})"

    # -- locations ---------------------------------------------------------------------------

    def location(self, url: PathOrUrl) -> Location:
        """Parse `url`; relative paths lie inside the job folder."""
        return parse_location(url, self.root)

    def url(self, url: PathOrUrl) -> str:
        """The full URL (or absolute path) that `url` names."""
        return self.location(url).url

    def _call(self, location: Location, what: str, operation: Callable[[S3Client], T]) -> T:
        return self._s3.call(location, what, operation)

    @property
    def cache(self) -> Cache:
        """The cache in use (a temporary one for this process if none was given)."""
        with self._lock:
            if self._cache is None:
                folder = Path(tempfile.mkdtemp(prefix="brevetti-cache-"))
                atexit.register(shutil.rmtree, folder, ignore_errors=True)
                self._own_cache = folder
                self._cache = Cache(folder)
            return self._cache

    # -- whole objects -------------------------------------------------------------------------

    def read_bytes(self, url: PathOrUrl) -> bytes:
        """The whole object."""
        location = self.location(url)
        if not location.is_s3:
            with _local_errors(location, "read"):
                return location.local.read_bytes()

        def read(client: S3Client) -> bytes:
            return client.get_object(Bucket=location.bucket, Key=location.key)["Body"].read()

        return self._call(location, "read", read)

    def read_text(self, url: PathOrUrl, encoding: str = "utf-8") -> str:
        data = self.read_bytes(url)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            raise StorageError(
                f"read {self.url(url)}: not {encoding} text", url=self.url(url)
            ) from error

    def read_json(self, url: PathOrUrl) -> Any:
        text = self.read_text(url)
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            where = self.url(url)
            raise StorageError(
                f"read {where}: not JSON (line {error.lineno}, column {error.colno})", url=where
            ) from error

    def write_bytes(self, url: PathOrUrl, data: bytes) -> str:
        """Write the whole object (atomically on local disk); returns its URL."""
        location = self.location(url)
        if not location.is_s3:
            with _local_errors(location, "write"):
                _atomic_local_write(location.local, lambda handle: _write_all(handle, data))
            return location.url
        self._call(
            location,
            "write",
            lambda client: client.put_object(Bucket=location.bucket, Key=location.key, Body=data),
        )
        return location.url

    def write_text(self, url: PathOrUrl, text: str, encoding: str = "utf-8") -> str:
        return self.write_bytes(url, text.encode(encoding))

    def write_json(self, url: PathOrUrl, value: Any, *, indent: int | None = 2) -> str:
        return self.write_text(url, json.dumps(value, indent=indent, ensure_ascii=False) + "\n")

    def open(self, url: PathOrUrl, mode: Literal["rb"] = "rb") -> BinaryIO:
        """A binary stream of the object, read as it is consumed."""
        if mode != "rb":
            raise ValueError("Storage.open reads only (mode 'rb'); use write_bytes or upload")
        location = self.location(url)
        if not location.is_s3:
            with _local_errors(location, "open"):
                return location.local.open("rb")
        body = self._call(
            location,
            "open",
            lambda client: client.get_object(Bucket=location.bucket, Key=location.key)["Body"],
        )

        def failed(error: BaseException) -> None:
            self._s3.translate(error, location, "read")

        return io.BufferedReader(_S3Reader(body, failed), buffer_size=CHUNK)

    # -- metadata ------------------------------------------------------------------------------

    def exists(self, url: PathOrUrl) -> bool:
        """Whether the object (or a local file or folder) exists."""
        try:
            self.stat(url, checksum=False)
        except StorageNotFound:
            return False
        return True

    def stat(self, url: PathOrUrl, *, checksum: bool = True) -> StorageObject:
        """Size, ETag and modification time of one object (local: ETag = MD5 of the file,
        unless `checksum` is false)."""
        location = self.location(url)
        if not location.is_s3:
            with _local_errors(location, "stat"):
                info = location.local.stat()
                is_dir = location.local.is_dir()
                etag = file_md5(location.local) if checksum and not is_dir else None
            modified = datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC)
            return StorageObject(
                location.url, location.local.name, info.st_size, etag, modified, is_dir
            )
        head = self._call(
            location,
            "stat",
            lambda client: client.head_object(Bucket=location.bucket, Key=location.key),
        )
        return StorageObject(
            location.url,
            posixpath.basename(location.key),
            int(head.get("ContentLength", 0)),
            plain_etag(head.get("ETag")),
            head.get("LastModified"),
        )

    def list(
        self,
        prefix: PathOrUrl,
        recursive: bool = True,
        *,
        page_size: int = 1000,
        start_after: str | None = None,
    ) -> Iterator[StorageObject]:
        """The objects under folder `prefix`, page by page as they are consumed (keys in
        the store's order; local folders sorted by name). Non-recursive: the entries
        directly inside, folders included (`is_folder`). `start_after` (a path relative
        to `prefix`): only what sorts after it (S3 order: UTF-8 bytes)."""
        location = self.location(prefix)
        if not location.is_s3:
            listing = self._list_local(location, recursive)
            if start_after is None:
                return listing
            after = start_after.encode()
            return (item for item in listing if item.relative.encode() > after)
        return self._list_s3(location, recursive, page_size, start_after)

    def _list_s3(
        self, location: Location, recursive: bool, page_size: int, start_after: str | None
    ) -> Iterator[StorageObject]:
        folder = location.folder_key()
        base = f"s3://{location.bucket}/"
        token: str | None = None
        while True:
            arguments: dict[str, Any] = {
                "Bucket": location.bucket,
                "Prefix": folder,
                "MaxKeys": page_size,
            }
            if not recursive:
                arguments["Delimiter"] = "/"
            if token:
                arguments["ContinuationToken"] = token
            elif start_after is not None:
                arguments["StartAfter"] = folder + start_after

            def page(client: S3Client, arguments: dict[str, Any] = arguments) -> Any:
                return client.list_objects_v2(**arguments)

            answer = self._call(location, "list", page)
            for common in answer.get("CommonPrefixes", ()):
                name = common.get("Prefix", "")
                yield StorageObject(
                    base + name, name[len(folder) :].rstrip("/"), 0, None, None, True
                )
            for item in answer.get("Contents", ()):
                key = item["Key"]
                if key.endswith("/"):
                    continue  # a folder marker object
                yield StorageObject(
                    base + key,
                    key[len(folder) :],
                    int(item.get("Size", 0)),
                    plain_etag(item.get("ETag")),
                    item.get("LastModified"),
                )
            token = answer.get("NextContinuationToken")
            if not answer.get("IsTruncated") or not token:
                return

    def _list_local(self, location: Location, recursive: bool) -> Iterator[StorageObject]:
        top = location.local
        with _local_errors(location, "list"):
            if not top.is_dir():
                raise StorageNotFound(f"list {location.url}: no such folder", url=location.url)

        def walk(folder: Path, relative: str) -> Iterator[StorageObject]:
            with _local_errors(location, "list"):
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            for entry in entries:
                name = f"{relative}{entry.name}"
                if entry.is_dir(follow_symlinks=True):
                    if recursive:
                        yield from walk(Path(entry.path), name + "/")
                    else:
                        yield StorageObject(entry.path, name, 0, None, None, True)
                    continue
                if name.endswith(".part") and entry.name.startswith("."):
                    continue  # another writer's temporary file
                info = entry.stat()
                modified = datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC)
                yield StorageObject(entry.path, name, info.st_size, None, modified)

        return walk(top, "")

    # -- copies and deletes --------------------------------------------------------------------

    def copy(self, source: PathOrUrl, target: PathOrUrl) -> str:
        """Copy one object: server-side within one set of credentials, else through a
        temporary local file. Returns the target URL."""
        src, dst = self.location(source), self.location(target)
        if not src.is_s3 and not dst.is_s3:
            with _local_errors(src, "copy"), src.local.open("rb") as handle:
                _atomic_local_write(dst.local, lambda out: shutil.copyfileobj(handle, out, CHUNK))
            return dst.url
        if not src.is_s3:
            return self.upload(src.local, dst.url)
        if not dst.is_s3:
            self.download(src.url, dst.local)
            return dst.url
        if self._s3.routes is None or (
            self._s3.routes.provider_for(src) is self._s3.routes.provider_for(dst)
        ):
            from boto3.s3.transfer import TransferConfig  # noqa: PLC0415

            config = TransferConfig(multipart_chunksize=self.multipart_chunk, max_concurrency=8)
            self.client(src)  # a source outside the job's resources is refused here
            self._call(
                dst,
                "copy to",
                lambda client: client.copy(
                    {"Bucket": src.bucket, "Key": src.key}, dst.bucket, dst.key, Config=config
                ),
            )
            return dst.url
        with tempfile.TemporaryDirectory(prefix="brevetti-copy-") as folder:
            local = self.download(src.url, Path(folder) / "object")
            return self.upload(local, dst.url)

    def delete(self, url: PathOrUrl, *, recursive: bool = False) -> None:
        """Delete one object (or, with `recursive`, a folder); only inside the job folder.
        Deleting what does not exist is not an error."""
        location = self.location(url)
        if self.root is None or not self.root.contains(location):
            raise StoragePermissionError(
                f"delete {location.url}: only objects in the job's own folder can be deleted",
                url=location.url,
            )
        if not location.is_s3:
            with _local_errors(location, "delete"):
                path = location.local
                if path.is_dir() and not path.is_symlink():
                    if not recursive:
                        raise StorageError(
                            f"delete {location.url}: a folder (use recursive=True)",
                            url=location.url,
                        )
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
            return
        if not recursive:
            self._call(
                location,
                "delete",
                lambda client: client.delete_object(Bucket=location.bucket, Key=location.key),
            )
            return
        batch: list[str] = []
        for item in self.list(location.url):
            batch.append(item.url[len(f"s3://{location.bucket}/") :])
            if len(batch) == 1000:
                self._delete_batch(location, batch)
                batch = []
        if batch:
            self._delete_batch(location, batch)

    def _delete_batch(self, location: Location, keys: Sequence[str]) -> None:
        answer = self._call(
            location,
            "delete",
            lambda client: client.delete_objects(
                Bucket=location.bucket,
                Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
            ),
        )
        errors = answer.get("Errors") or []
        if errors:
            first = errors[0]
            where = f"s3://{location.bucket}/{first.get('Key', '')}"
            raise StoragePermissionError(
                f"delete {where}: refused by the store ({first.get('Code', 'error')})", url=where
            )

    def client(self, location: Location) -> S3Client:
        """The S3 client for `location` (refuses a URL outside the job's resources)."""
        return self._s3.client(location)

    # -- transfers -----------------------------------------------------------------------------

    def _transfer_config(self) -> Any:
        from boto3.s3.transfer import TransferConfig  # noqa: PLC0415

        return TransferConfig(
            multipart_threshold=self.multipart_chunk,
            multipart_chunksize=self.multipart_chunk,
            max_concurrency=8,
            max_io_queue=64,
            use_threads=True,
        )

    def upload(self, source: PathOrUrl, url: PathOrUrl) -> str:
        """Upload a local file (multipart and parallel when large); returns the URL."""
        path = Path(source)
        location = self.location(url)
        if not location.is_s3:
            with _local_errors(location, "upload"), path.open("rb") as handle:
                _atomic_local_write(
                    location.local, lambda out: shutil.copyfileobj(handle, out, CHUNK)
                )
            return location.url
        with _local_errors(Location(str(path), path=path), "upload"):
            size = path.stat().st_size
        config = self._transfer_config()
        bar = progress_wanted(self._progress) and size >= LONG_TRANSFER
        with Progress(bar, size, f"upload {path.name}") as progress:
            self._call(
                location,
                "upload to",
                lambda client: client.upload_file(
                    str(path), location.bucket, location.key, Config=config, Callback=progress
                ),
            )
        return location.url

    def download(self, url: PathOrUrl, dest: PathOrUrl) -> Path:
        """Download one object to `dest` (a file path, or an existing folder to put it in)."""
        location = self.location(url)
        target = Path(dest)
        name = location.local.name if not location.is_s3 else posixpath.basename(location.key)
        if target.is_dir():
            target = target / name
        if not location.is_s3:
            with _local_errors(location, "download"), location.local.open("rb") as handle:
                _atomic_local_write(target, lambda out: shutil.copyfileobj(handle, out, CHUNK))
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
        os.close(fd)
        try:
            self._fetch_large(location, Path(temporary))
            Path(temporary).replace(target)
        finally:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
        return target

    def _fetch_large(self, location: Location, target: Path) -> str:
        """The transfer manager's parallel ranged download into `target`; returns the ETag."""
        head = self.stat(location.url)
        config = self._transfer_config()
        bar = progress_wanted(self._progress) and head.size >= LONG_TRANSFER
        with Progress(bar, head.size, f"download {posixpath.basename(location.key)}") as progress:
            self._call(
                location,
                "download",
                lambda client: client.download_file(
                    location.bucket, location.key, str(target), Config=config, Callback=progress
                ),
            )
        return head.etag or ""

    def _fetch_small(self, location: Location, target: Path, also: Path | None = None) -> str:
        """One GET into `target` (and `also`, when given); an object up to `SMALL_OBJECT`
        is read whole in one call, a larger one streamed, a very large one handed to the
        transfer manager. A single-part ETag is checked against the MD5 of what arrived.
        Returns the ETag."""
        answer = self._call(
            location,
            "download",
            lambda client: client.get_object(Bucket=location.bucket, Key=location.key),
        )
        etag = plain_etag(answer.get("ETag"))
        length = int(answer.get("ContentLength", 0))
        body = answer["Body"]
        if length > 4 * self.multipart_chunk:
            body.close()
            etag = self._fetch_large(location, target)
            if also is not None:
                shutil.copyfile(target, also)
            return etag
        digest = hashlib.md5(usedforsecurity=False)
        try:
            if length <= SMALL_OBJECT:
                data = body.read()
                digest.update(data)
                _write_new(target, data)
                if also is not None:
                    _write_new(also, data)
            else:
                with target.open("wb") as out, contextlib.ExitStack() as stack:
                    second = stack.enter_context(also.open("wb")) if also is not None else None
                    for block in iter(lambda: body.read(CHUNK), b""):
                        digest.update(block)
                        out.write(block)
                        if second is not None:
                            second.write(block)
        except StorageError:
            raise
        except OSError as error:
            raise StorageError(
                f"download {location.url}: {error.strerror}", url=location.url
            ) from error
        except Exception as error:  # noqa: BLE001 - a transport error while streaming
            self._s3.translate(error, location, "download")
        finally:
            body.close()
        if len(etag) == 32 and "-" not in etag and digest.hexdigest() != etag:
            raise StorageError(
                f"download {location.url}: the content does not match its ETag", url=location.url
            )
        return etag

    def cached(self, url: PathOrUrl) -> Path:
        """A local file with the object's content: the cache's copy (fetched if missing,
        changed or damaged; the ETag asked at most once per object and process). A local
        path is returned as it is."""
        location = self.location(url)
        if not location.is_s3:
            if not location.local.is_file():
                raise StorageNotFound(f"read {location.url}: no such file", url=location.url)
            return location.local
        return self._cached_entry(location).path

    def _cached_entry(
        self,
        location: Location,
        also: Path | None = None,
        *,
        indexed: CacheEntry | Literal[False] | None = False,
        etag: str | None = None,
        link: bool = False,
    ) -> CacheEntry:
        """The object's cache entry, fetched if needed; when `also` is given, the content
        is placed there too (`link`: as a hard link to the cache's file where that can be
        made and checked, see `_place`; else a copy, written from the download itself
        when fetched).

        `download_many` passes what it already knows: the index entry (`indexed`; None:
        not in the index) and the object's current `etag` (from a listing); it indexes
        in batches (`Cache.flush`)."""
        cache = self.cache
        batch = indexed is not False
        entry = cache.checked(location.url)
        if entry is not None:
            if also is None or _place(entry, also, link=link):
                return entry
            entry = None  # removed since: checked again below
        known = cache.lookup(location.url) if indexed is False else indexed
        if known is not None:
            if etag is None:
                etag = self.stat(location.url).etag or ""
            entry = cache.verify(location.url, etag, known, defer=batch)
            if entry is not None and (also is None or _place(entry, also, link=link)):
                return entry
            cache.forget(location.url)
        if not cache.has_room():
            raise _CacheFull(
                f"read {location.url}: the cache at {cache.root} is full (disk use above "
                f"{cache.max_usage:.0%}, BREVETTI_AI_CACHE_MAX_USAGE)",
                url=location.url,
            )
        try:
            temporary = cache.temporary(location)
        except OSError as error:
            raise StorageError(
                f"read {location.url}: cannot cache it at {cache.path_for(location)}"
                f" ({error.strerror})",
                url=location.url,
            ) from error
        try:
            fetched = self._fetch_small(location, temporary, None if link else also)
            entry = cache.commit(location, temporary, fetched, defer=batch)
        finally:
            with contextlib.suppress(OSError):
                temporary.unlink()
        if link and also is not None and not _place(entry, also, link=True):
            raise StorageNotFound(
                f"read {location.url}: its cached file vanished at once", url=location.url
            )
        return entry

    def _listed_etags(self, locations: Sequence[Location]) -> dict[str, str]:
        """Current ETags of `locations` from listings of their folders: one request per
        1,000 objects instead of a HEAD each. Folders holding few of them, or many more
        objects than asked for, are left out (their objects get a HEAD each); so is a
        folder the credentials may not list."""
        folders: dict[tuple[str, str], set[str]] = {}
        for location in locations:
            folder = location.key.rpartition("/")[0]
            folders.setdefault((location.bucket, folder), set()).add(location.url)
        etags: dict[str, str] = {}
        for (bucket, folder), wanted in folders.items():
            if len(wanted) < LIST_INSTEAD_OF_HEAD:
                continue
            budget = 2 * len(wanted) + 1000
            try:
                for item in self.list(f"s3://{bucket}/{folder}", recursive=False):
                    if item.url in wanted and item.etag:
                        etags[item.url] = item.etag
                    budget -= 1
                    if budget <= 0:
                        break
            except StorageError:
                continue
        return etags

    def download_many(
        self,
        urls: Iterable[PathOrUrl],
        dest_dir: PathOrUrl,
        *,
        relative_to: PathOrUrl | None = None,
        use_cache: bool | None = None,
        link: bool = True,
    ) -> builtins.list[Path]:
        """Download objects in parallel into `dest_dir`, each at its path below
        `relative_to` (default: the folder all of them share); returns the paths in order.

        With a cache (given to the Storage; `use_cache` None) objects come from and go to
        the cache and are placed from there: as hard links to the cache's files (`link`,
        on one file system, for objects whose ETag is their MD5), else as copies. Replace
        such a file rather than write into it: a file changed in place is noticed and its
        object fetched again, but it changed the cache's copy too. Objects already checked
        in this run are placed without a question to the store; cached objects not yet
        checked are checked against one listing of their folder (a HEAD each when that
        does not pay).
        """
        locations = [self.location(u) for u in urls]
        if not locations:
            return []
        base = self.location(relative_to) if relative_to is not None else _common_folder(locations)
        destination = Path(dest_dir)
        targets = [destination / _relative(location, base) for location in locations]
        through_cache = self._cache is not None if use_cache is None else use_cache
        cache = self.cache if through_cache else None

        folders: set[Path] = set()

        def folder_for(target: Path) -> Path:
            folder = target.parent
            if folder not in folders:
                folder.mkdir(parents=True, exist_ok=True)
                folders.add(folder)
            return folder

        indexed: dict[str, CacheEntry] = {}
        etags: dict[str, str] = {}

        def fetch(index: int) -> Path:
            location, target = locations[index], targets[index]
            folder = folder_for(target)
            if not location.is_s3:
                return self.download(location.url, target)
            temporary = folder / f".{target.name}.{threading.get_ident()}.get.part"
            try:
                if cache is not None:
                    try:
                        self._cached_entry(  # with `link`, placed atomically by _place
                            location,
                            also=target if link else temporary,
                            indexed=indexed.get(location.url),
                            etag=etags.get(location.url),
                            link=link,
                        )
                        if not link:
                            temporary.replace(target)
                        return target
                    except _CacheFull:
                        pass  # a full cache: a plain download below
                self._fetch_small(location, temporary)
                temporary.replace(target)
            finally:
                with contextlib.suppress(OSError):
                    temporary.unlink()
            return target

        bar = progress_wanted(self._progress) and len(locations) >= MANY_FILES
        with Progress(bar, len(locations), "download", unit="file") as progress:
            pending: builtins.list[int] = []
            for index, (location, target) in enumerate(zip(locations, targets, strict=True)):
                entry = (
                    cache.checked(location.url) if cache is not None and location.is_s3 else None
                )
                if entry is None:
                    pending.append(index)
                    continue
                # checked in this run already: placed from the cache, no thread needed
                folder_for(target)
                if not _place(entry, target, link=link):  # removed since: fetched below
                    pending.append(index)
                    continue
                progress(1)
            if not pending:
                return targets
            if cache is not None:
                remote = [locations[i] for i in pending if locations[i].is_s3]
                indexed = cache.lookup_many(location.url for location in remote)
                if indexed:
                    etags = self._listed_etags([loc for loc in remote if loc.url in indexed])
            from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - on use

            try:
                with ThreadPoolExecutor(self.max_workers, thread_name_prefix="storage") as pool:
                    for done, _ in enumerate(pool.map(fetch, pending), 1):
                        progress(1)
                        if cache is not None and done % 500 == 0:
                            cache.flush()
            finally:
                if cache is not None:
                    cache.flush()
        return targets


def _place(entry: CacheEntry, target: Path, *, link: bool) -> bool:
    """Put the cached file of `entry` at `target` (replacing what is there): a hard link
    when `link` and its ETag is an MD5 (so a change made through the link is found by
    the cache's check), else a copy; False if the cached file is gone."""
    linkable = link and bool(_MD5_ETAG.match(entry.etag))
    if linkable:
        try:
            os.link(entry.path, target)  # the usual case: nothing there yet, one call
            return True
        except FileExistsError:
            pass  # replaced through a temporary name below
        except FileNotFoundError:
            if not entry.path.exists():
                return False
            raise
        except OSError:
            linkable = False  # another file system, or no links there: a copy
    temporary = target.with_name(f".{target.name}.{threading.get_ident()}.part")
    try:
        linked = False
        if linkable:
            try:
                os.link(entry.path, temporary)
                linked = True
            except OSError:
                pass  # a leftover temporary name: a copy
        if not linked:
            _copy_file(entry.path, temporary)
        temporary.replace(target)
        return True
    except FileNotFoundError:
        if not entry.path.exists():
            return False
        raise
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _write_new(path: Path, data: bytes) -> None:
    """Write `data` as the whole content of file `path` (created or truncated)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _copy_file(source: Path, target: Path) -> None:
    """Copy a file's content with the kernel's copy (``sendfile``), falling back to reads
    and writes where that is not supported."""
    fd_in = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd_in).st_size
        fd_out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            offset = 0
            try:
                while offset < size:
                    sent = os.sendfile(fd_out, fd_in, offset, size - offset)
                    if sent == 0:
                        break
                    offset += sent
            except OSError:
                if offset:
                    raise
                with os.fdopen(fd_in, "rb", closefd=False) as handle:
                    for block in iter(lambda: handle.read(CHUNK), b""):
                        view = memoryview(block)
                        while view:
                            view = view[os.write(fd_out, view) :]
        finally:
            os.close(fd_out)
    finally:
        os.close(fd_in)


class _CacheFull(StorageError):
    """The cache's disk is fuller than its max usage (and nothing could be evicted)."""


def _common_folder(locations: Sequence[Location]) -> Location:
    """The deepest folder that holds all `locations`."""
    first = locations[0]
    if first.is_s3:
        keys = [loc.key for loc in locations]
        common = posixpath.dirname(keys[0]) if len(keys) == 1 else posixpath.commonpath(keys)
        if len(keys) > 1 and common in keys:
            common = posixpath.dirname(common)
        return s3_location(first.bucket, common)
    paths = [str(loc.local) for loc in locations]
    common_path = Path(os.path.commonpath(paths)) if len(paths) > 1 else first.local.parent
    if str(common_path) in paths:
        common_path = common_path.parent
    return Location(str(common_path), path=common_path)


def _relative(location: Location, base: Location) -> str:
    if location.is_s3:
        if base.is_s3 and base.bucket == location.bucket and base.contains(location):
            return local_name(location.url, location.key[len(base.folder_key()) :])
        return f"{location.bucket}/{local_name(location.url, location.key)}"
    if base.path is not None and location.local.is_relative_to(base.path):
        return str(location.local.relative_to(base.path))
    return location.local.name
