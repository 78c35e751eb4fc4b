"""Storage fixtures: the same job folder on local disk and in the real object store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from brevetti_job._storage import Cache, StaticCredentials, Storage
from brevetti_job.devserver._objectstore import folder_grants


@dataclass
class Target:
    """A job folder and a dataset folder, both local or both in S3, and a Storage."""

    kind: str
    storage: Storage
    job: str  # URL of the job folder
    dataset: str  # URL of a dataset folder the job may read
    other: str  # URL of a folder the job may not touch
    admin: Any  # writes test data around the job's credentials

    def put(self, url: str, data: bytes) -> None:
        """Place test data with admin rights (local: a plain file write)."""
        if self.kind == "local":
            path = Path(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        else:
            bucket, _, key = url[5:].partition("/")
            self.admin.put_object(Bucket=bucket, Key=key, Body=data)


def make_s3_target(object_store, tmp_path: Path, **options: Any) -> Target:
    bucket = object_store.bucket("data")
    job = object_store.identity(
        *folder_grants(bucket, "job1", write=True), *folder_grants(bucket, "ds1", write=False)
    )
    storage = Storage(
        f"s3://{bucket}/job1",
        credentials=StaticCredentials.from_keys(job.access_key, job.secret_key),
        endpoint_url=object_store.endpoint,
        progress=False,
        **options,
    )
    storage.test_identity = job  # type: ignore[attr-defined]
    return Target(
        "s3",
        storage,
        f"s3://{bucket}/job1",
        f"s3://{bucket}/ds1",
        f"s3://{bucket}/job2",
        object_store.client(),
    )


def make_local_target(tmp_path: Path, **options: Any) -> Target:
    root = tmp_path / "data"
    (root / "job1").mkdir(parents=True)
    storage = Storage(root / "job1", progress=False, **options)
    return Target("local", storage, str(root / "job1"), str(root / "ds1"), str(root / "job2"), None)


@pytest.fixture(params=["local", "s3"])
def target(request, tmp_path) -> Target:
    """The job's storage, once on local disk and once in the object store."""
    if request.param == "local":
        return make_local_target(tmp_path, cache=Cache(tmp_path / "cache"))
    object_store = request.getfixturevalue("object_store")
    return make_s3_target(object_store, tmp_path, cache=Cache(tmp_path / "cache"))


@pytest.fixture
def s3_target(object_store, tmp_path) -> Target:
    """The job's storage in the object store, with a cache."""
    return make_s3_target(object_store, tmp_path, cache=Cache(tmp_path / "cache"))
