"""Platform mode's storage space: the job folder ``<data bucket>/<job id>`` and its datasets.

The job reads ``info.json`` from its folder and writes ``artifacts/`` there, with the
credentials the platform's ``securitycredentials`` call gives for each resource (its
folder: read and write; each dataset and model under test: read). A local folder works
as the data bucket too, as on the platform. `send_to_storage` delivers one outbox record
of the ``storage`` transport: an artifact file or output.json.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._errors import JobConfigError, StorageNotFound
from ._files import json_bytes

if TYPE_CHECKING:
    from ._outbox import Record
    from ._storage import CredentialProvider, Storage

__all__ = [
    "DEFAULT_DATA_BUCKET",
    "StorageRefused",
    "data_bucket",
    "description_location",
    "job_folder",
    "platform_storage",
    "read_description",
    "s3_etag",
    "send_to_storage",
]

logger = logging.getLogger("brevetti_job.platform")

DEFAULT_DATA_BUCKET: Final = "s3://data.criterion.ai"
"""The platform's data bucket unless ``BREVETTIAI_DATA_BUCKET`` names another."""


class StorageRefused(Exception):
    """A storage record that may never be sent: it names a place outside the job's folder."""


def data_bucket(env: Mapping[str, str]) -> str:
    """``BREVETTIAI_DATA_BUCKET`` (an ``s3://`` URL or a local folder), else the default."""
    return (env.get("BREVETTIAI_DATA_BUCKET") or DEFAULT_DATA_BUCKET).rstrip("/")


def job_folder(bucket: str, job_id: str) -> str:
    """The job's storage folder: ``<data bucket>/<job id>``."""
    if not job_id or "/" in job_id or job_id in (".", ".."):
        raise JobConfigError(f"a job id cannot name a storage folder: {job_id!r}")
    return f"{bucket}/{job_id}"


def platform_storage(
    *,
    host: str,
    job_id: str,
    api_key: str,
    bucket: str,
    env: Mapping[str, str],
    cache_path: str | None = None,
    datasets: Iterable[tuple[str, str | None]] = (),
    models: Iterable[tuple[str, str]] = (),
    job_credentials: CredentialProvider | None = None,
) -> tuple[Storage, CredentialProvider]:
    """The job's `Storage` (`Storage.for_platform`) as the environment configures it: the
    endpoint from ``AWS_ENDPOINT_URL`` (else boto3's default), the region from
    ``AWS_REGION``, the cache from `cache_path` or ``BREVETTI_AI_CACHE``; the folder's
    credentials are `job_credentials` when given (kept from a first, description-only
    storage), else new ones. Returns the folder's credentials too, to reuse."""
    from ._storage import (  # noqa: PLC0415 - storage only in platform mode
        PlatformCredentials,
        Storage,
        cache_from_environment,
    )

    job_folder(bucket, job_id)  # a job id that cannot name a folder is refused here
    own = job_credentials or PlatformCredentials(host, job_id, api_key, model_id=job_id)
    storage = Storage.for_platform(
        host=host, job_id=job_id, api_key=api_key, data_bucket=bucket, datasets=datasets,
        models=models, job_credentials=own, endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        region=env.get("AWS_REGION") or None,
        cache=cache_from_environment(cache_path or env.get("BREVETTI_AI_CACHE") or None),
    )  # fmt: skip
    return storage, own


def _is_url(text: str) -> bool:
    return "://" in text


def description_location(storage: Storage, info_file: str | None, job_dir: str | None) -> str:
    """Where the job's description is: `info_file` (a path or a URL in the job's
    resources), else ``<job_dir>/info.json`` when `job_dir` is a storage URL (a local
    `job_dir` is the working copy, not the platform's folder), else ``info.json`` in the
    job's storage folder."""
    assert storage.root is not None
    if info_file:
        return info_file
    if job_dir and _is_url(job_dir):
        return f"{job_dir.rstrip('/')}/info.json"
    return f"{storage.root.url}/info.json"


def read_description(storage: Storage, where: str) -> Any:
    """The description's JSON data at `where` (`description_location`)."""
    try:
        return storage.read_json(where)
    except StorageNotFound:
        raise JobConfigError(
            f"no job description at {where} (the platform writes info.json into the job's "
            "storage folder; check BREVETTIAI_DATA_BUCKET, AWS_ENDPOINT_URL and the job id)"
        ) from None


def s3_etag(path: Path, part_size: int | None) -> str:
    """The ETag S3 gives `path` uploaded with parts of `part_size` (one part below it):
    the MD5 of the content, or the MD5 of the parts' MD5s with ``-<parts>``. With no
    `part_size`, the MD5 (what a local store reports)."""
    size = path.stat().st_size
    digests = []
    with path.open("rb") as handle:
        if part_size is None or size < part_size:
            digest = hashlib.md5(usedforsecurity=False)
            while block := handle.read(1 << 20):
                digest.update(block)
            return digest.hexdigest()
        while block := handle.read(part_size):
            digests.append(hashlib.md5(block, usedforsecurity=False).digest())
    return hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest() + f"-{len(digests)}"


def _inside(storage: Storage, url: str) -> None:
    assert storage.root is not None
    prefix = storage.root.url.rstrip("/") + "/artifacts/"
    if not url.startswith(prefix) or "/../" in url or url.endswith("/.."):
        raise StorageRefused(f"{url} is not in the job's artifacts folder {prefix}")


def send_to_storage(storage: Storage, record: Record, source: Path | None) -> str:
    """Deliver a ``storage`` record: the artifact file `source`, or output.json (its body).

    An artifact the store already holds with the same size and ETag is not sent again
    (``"skipped"``). Storage errors propagate (the caller keeps the record pending).
    """
    _inside(storage, record.path)
    if source is None:
        storage.write_bytes(record.path, json_bytes(record.body))
        return "sent"
    size = source.stat().st_size
    remote = storage.location(record.path).is_s3
    try:
        held = storage.stat(record.path, checksum=not remote)
    except StorageNotFound:
        held = None
    if held is not None and held.size == size and held.etag:
        part = storage.multipart_chunk if remote else None
        if held.etag == s3_etag(source, part):
            return "skipped"
    storage.upload(source, record.path)
    return "sent"
