"""The dev platform's data bucket in the object store: job folders and datasets.

::

    s3://<data bucket>/<job id>/info.json              the job description (written at
                                                        creation, as the platform does)
    s3://<data bucket>/<job id>/artifacts/...          what the job writes
    s3://<data bucket>/<dataset id>/<files>            a dataset's files

The server reaches the bucket with the object store's admin keys; jobs reach it only
with the scoped credentials of `securitycredentials`. boto3 is imported on first use.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Final

from ._objectstore import ObjectStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["DEFAULT_DATA_BUCKET", "ObjectSpace"]

DEFAULT_DATA_BUCKET: Final = "brevetti-data"
"""The data bucket's name unless ``--data-bucket`` says otherwise."""

_MAX_JSON: Final = 8 * 1024 * 1024


class ObjectSpace:
    """The data bucket of one object store (thread-safe; one boto3 client, made lazily)."""

    def __init__(self, store: ObjectStore, bucket: str = DEFAULT_DATA_BUCKET) -> None:
        self.store = store
        self.bucket = bucket
        self._client: S3Client | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """``s3://<bucket>``: what a job gets as ``BREVETTIAI_DATA_BUCKET``."""
        return f"s3://{self.bucket}"

    @property
    def client(self) -> S3Client:
        """A boto3 S3 client with the admin keys (made on first use)."""
        with self._lock:
            if self._client is None:
                self._client = self.store.client()
            return self._client

    def prepare(self) -> None:
        """Create the data bucket unless it exists."""
        self.store.create_bucket(self.bucket)

    def folder_url(self, resource_id: str) -> str:
        """``s3://<bucket>/<id>``: a job's or dataset's folder."""
        return f"s3://{self.bucket}/{resource_id}"

    # -- job folders ---------------------------------------------------------------------------

    def put_json(self, key: str, document: Mapping[str, Any]) -> None:
        """Write a JSON document (UTF-8) at `key` of the data bucket."""
        body = json.dumps(dict(document), ensure_ascii=False, indent=2).encode("utf-8")
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType="application/json"
        )

    def put_info(self, job_id: str, description: Mapping[str, Any]) -> None:
        """Write the job's ``info.json`` into its folder."""
        self.put_json(f"{job_id}/info.json", description)

    def read_json(self, key: str) -> Any:
        """The JSON document at `key`, or ``None`` when missing, too large or not JSON."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError:
            return None
        if answer.get("ContentLength", 0) > _MAX_JSON:
            answer["Body"].close()
            return None
        try:
            return json.loads(answer["Body"].read())
        except ValueError:
            return None

    def objects(self, prefix: str) -> Iterator[dict[str, Any]]:
        """Every object under `prefix` (a folder, ending in '/'): key, size, etag, modified."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield {
                    "key": item["Key"],
                    "size": item["Size"],
                    "etag": item.get("ETag", "").strip('"'),
                    "modified": item["LastModified"].isoformat(),
                }

    def artifacts(self, job_id: str) -> list[dict[str, Any]]:
        """The objects under the job's ``artifacts/``: name (relative), size, etag."""
        prefix = f"{job_id}/artifacts/"
        return [
            {"name": item["key"][len(prefix) :], "size": item["size"], "etag": item["etag"]}
            for item in self.objects(prefix)
            if item["key"] != prefix
        ]

    def artifact_level(
        self, job_id: str, prefix: str = ""
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """One level of the job's ``artifacts/`` under `prefix` (empty or ending in '/'):
        its files (name relative to ``artifacts/``, size, etag, modified) and the names of
        its sub-folders; one delimited listing, not the whole folder."""
        base = f"{job_id}/artifacts/"
        files: list[dict[str, Any]] = []
        folders: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base + prefix, Delimiter="/"
        )
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                name = common["Prefix"][len(base) + len(prefix) :].rstrip("/")
                if name:
                    folders.append(name)
            for item in page.get("Contents", []):
                name = item["Key"][len(base) :]
                if name and not name.endswith("/"):
                    files.append(
                        {
                            "name": name,
                            "size": item["Size"],
                            "etag": item.get("ETag", "").strip('"'),
                            "modified": item["LastModified"].isoformat(),
                        }
                    )
        return files, folders

    def open(self, key: str, etag: str | None = None) -> tuple[IO[bytes], int] | None:
        """A streaming body and the size of the object at `key`, or ``None`` if missing
        (or, with `etag`, if the object there is no longer that version)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            if etag is None:
                answer = self.client.get_object(Bucket=self.bucket, Key=key)
            else:
                answer = self.client.get_object(Bucket=self.bucket, Key=key, IfMatch=etag)
        except ClientError:
            return None
        body: IO[bytes] = answer["Body"]  # type: ignore[assignment]
        return body, int(answer["ContentLength"])

    # -- datasets --------------------------------------------------------------------------------

    def put_file(self, key: str, stream: IO[bytes], length: int) -> None:
        """Store `length` bytes from `stream` at `key` (multipart for large files)."""
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        self.client.upload_fileobj(
            _Bounded(stream, length),  # type: ignore[arg-type] # read() is all boto3 needs
            self.bucket,
            key,
            ExtraArgs={"ContentType": content_type},
        )


class _Bounded:
    """A read-only stream of at most `length` bytes of another (a request body)."""

    def __init__(self, stream: IO[bytes], length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._stream.read(size)
        self._left -= len(data)
        return data
