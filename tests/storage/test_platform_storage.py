"""A platform job's storage end to end: the dev platform's securitycredentials call, the
credentials it mints on the real object store, routing, renewal, secrets kept out."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from brevetti_job import PlatformAuthError, StoragePermissionError
from brevetti_job._datasets import Dataset
from brevetti_job._storage import CredentialRoutes, PlatformCredentials, Storage


def platform_storage(job, **options) -> Storage:
    """The storage a job builds from what the platform tells it."""
    return Storage.for_platform(
        host=job.base_url,
        job_id=job.id,
        api_key=job.api_key,
        data_bucket=job.data_bucket,
        datasets=[(entry["id"], None) for entry in job.datasets],
        endpoint_url=job.s3_endpoint,
        progress=False,
        **options,
    )


def test_a_platform_job_reaches_exactly_its_own_resources(devserver):
    given = devserver.create_dataset(
        "given", {"good/a.png": b"A", "bad/b.png": b"B", ".annotations/good/a.png/x.json": b"{}"}
    )
    other = devserver.create_dataset("other", {"x.png": b"X"})
    job = devserver.create_job(datasets=[given["id"]])
    neighbour = devserver.create_job()
    storage = platform_storage(job)
    bucket = job.data_bucket

    info = storage.read_json("info.json")  # written by the platform into the job folder
    assert info["id"] == job.id
    storage.write_json("artifacts/output.json", {"output": {"accuracy": 0.5}})
    assert storage.read_json(f"{bucket}/{job.id}/artifacts/output.json")["output"] == {
        "accuracy": 0.5
    }
    dataset = Dataset.from_json(info["datasets"][0], data_bucket=bucket).bind(
        storage, host=job.base_url
    )
    samples = sorted(dataset.samples(), key=lambda s: s.path)
    assert [(s.path, s.category) for s in samples] == [
        (f"{bucket}/{given['id']}/bad/b.png", ("bad",)),
        (f"{bucket}/{given['id']}/good/a.png", ("good",)),
    ]
    assert storage.cached(samples[1].path).read_bytes() == b"A"

    outside = {
        "another job's folder": lambda: storage.write_bytes(f"{bucket}/{neighbour.id}/x", b"x"),
        "a dataset not given": lambda: storage.read_bytes(f"{bucket}/{other['id']}/x.png"),
    }
    for what, attempt in outside.items():
        with pytest.raises(StoragePermissionError, match="outside the job's resources") as caught:
            attempt()
        assert job.api_key not in str(caught.value), what
    with pytest.raises(StoragePermissionError, match="refused by the store") as caught:
        storage.write_bytes(f"{bucket}/{given['id']}/new.png", b"x")  # datasets are read-only
    assert job.api_key not in f"{caught.value} {caught.value.__cause__} {storage!r}"


def test_the_store_itself_refuses_what_the_job_credentials_do_not_cover(devserver):
    """A client routed wrongly (the job's own keys for a neighbour's folder) is stopped
    by the object store, not by a check of ours."""
    job = devserver.create_job()
    neighbour = devserver.create_job()
    own = PlatformCredentials(job.base_url, job.id, job.api_key, model_id=job.id)
    routes = CredentialRoutes(
        {f"{job.data_bucket}/{job.id}": own, f"{job.data_bucket}/{neighbour.id}": own}
    )
    storage = Storage(
        f"{job.data_bucket}/{job.id}", credentials=routes, endpoint_url=job.s3_endpoint
    )
    storage.write_bytes("artifacts/mine.txt", b"mine")
    for attempt in (
        lambda: storage.write_bytes(f"{job.data_bucket}/{neighbour.id}/artifacts/x", b"x"),
        lambda: storage.read_bytes(f"{job.data_bucket}/{neighbour.id}/info.json"),
    ):
        with pytest.raises(StoragePermissionError, match="AccessDenied"):
            attempt()


def test_credentials_expiring_mid_run_are_renewed_unnoticed(start_devserver):
    server = start_devserver(credential_ttl=2)
    job = server.create_job()
    storage = platform_storage(job)
    storage.write_bytes("artifacts/1.txt", b"one")
    provider = storage._s3.routes.provider_for(storage.location("artifacts/1.txt"))
    first = provider.credentials()
    old = boto3.client(
        "s3",
        endpoint_url=job.s3_endpoint,
        aws_access_key_id=first.access_key,
        aws_secret_access_key=first.secret_key,
        region_name="eu-west-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    bucket = job.data_bucket[5:]
    deadline = time.monotonic() + 60
    while True:  # until the platform has revoked the first keys (they expire after 2 s)
        try:
            old.head_object(Bucket=bucket, Key=f"{job.id}/artifacts/1.txt")
        except ClientError:
            break
        assert time.monotonic() < deadline, "the expired keys were never revoked"
        time.sleep(0.1)  # polling interval; the store's answer decides
    storage.write_bytes("artifacts/2.txt", b"two")
    assert storage.read_bytes("artifacts/1.txt") == b"one"
    assert provider.fetches >= 2
    assert provider.credentials().access_key != first.access_key


def test_credentials_are_renewed_before_they_expire_without_a_refusal(start_devserver):
    """Due credentials (half of a short life gone) are fetched again before the next call:
    the store never refuses the old ones first."""
    server = start_devserver(credential_ttl=12)
    job = server.create_job()
    storage = platform_storage(job)
    storage.write_bytes("artifacts/1.txt", b"one")
    location = storage.location("artifacts/1.txt")
    provider = storage._s3.routes.provider_for(location)
    first = provider.credentials()
    # one fetch, or two when the store refused the new identity's first call (minting
    # reaches the gateway a moment later; a refusal fetches again): the start is not timed
    fetched = provider.fetches
    assert fetched in (1, 2)
    statuses: list[int] = []

    def seen(http_response, **_):
        statuses.append(http_response.status_code)

    storage.client(location).meta.events.register("after-call.s3", seen)
    storage._s3._session.events.register("after-call.s3", seen)  # clients made from now on
    deadline = time.monotonic() + 60
    while not first.due():  # six of its twelve seconds
        assert time.monotonic() < deadline, "the credentials never came due"
        time.sleep(0.05)  # polling interval; the credentials' own clock decides
    storage.write_bytes("artifacts/2.txt", b"two")
    assert storage.read_bytes("artifacts/1.txt") == b"one"
    assert provider.fetches == fetched + 1
    assert provider.credentials().access_key != first.access_key
    assert statuses and all(status < 300 for status in statuses), statuses


def test_a_wrong_key_is_a_clear_error_that_does_not_show_it(devserver):
    job = devserver.create_job()
    provider = PlatformCredentials(job.base_url, job.id, "not-the-key-0123", model_id=job.id)
    with pytest.raises(PlatformAuthError) as caught:
        provider.credentials()
    assert "not-the-key-0123" not in f"{caught.value} {caught.value.request} {caught.value!r}"
    assert "key=***" in caught.value.request
