"""Isolation and bad requests: the right 4xx, and the store unchanged after each."""

from __future__ import annotations

import hashlib
import http.client
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from brevetti_job.devserver import Store

_DATABASE_FILES = ("platform.db", "platform.db-wal", "platform.db-shm", "server.lock")


def snapshot(root: Path) -> dict[str, Any]:
    """What the store holds: every job's full record, and every other file's sha256."""
    store = Store(root)
    try:
        records = {job_id: store.state(job_id) for job_id in store.job_ids()}
    finally:
        store.close()
    files = {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in _DATABASE_FILES
    }
    return {"records": records, "files": files}


@pytest.fixture
def two_jobs(devserver):
    job = devserver.create_job()
    other = devserver.create_job()
    kept = requests.post(job.url + "/charts", params={"name": "kept"}, json={"mark": "bar"},
                         headers=job.headers, timeout=5)  # fmt: skip
    assert kept.status_code == 204
    return job, other


def raw_request(base_url: str, method: str, path: str, headers: dict[str, str], body: bytes = b""):
    """Send a request with the path exactly as given (no client-side normalising)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


CALLS = [
    ("GET", "/securitycredentials", {}),
    ("POST", "/charts?name=c", {"json": {"mark": "bar"}}),
    ("POST", "/remotemonitor", {"json": {"epoch": 1}}),
    ("POST", "/complete", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), CALLS, ids=[f"{m} {p}" for m, p, _ in CALLS])
def test_wrong_and_missing_keys_get_401_and_change_nothing(
    devserver, two_jobs, method, path, kwargs
):
    job, _ = two_jobs
    before = snapshot(devserver.root)
    for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": job.api_key}):
        answer = requests.request(method, job.url + path, headers=headers, timeout=5, **kwargs)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert snapshot(devserver.root) == before


@pytest.mark.parametrize(("method", "path", "kwargs"), CALLS, ids=[f"{m} {p}" for m, p, _ in CALLS])
def test_another_jobs_key_gets_403_and_changes_nothing(devserver, two_jobs, method, path, kwargs):
    job, other = two_jobs
    before = snapshot(devserver.root)
    answer = requests.request(method, job.url + path, headers=other.headers, timeout=5, **kwargs)
    assert answer.status_code == 403
    assert snapshot(devserver.root) == before


def test_an_unknown_job_is_401_without_a_valid_key_and_403_with_one(devserver, two_jobs):
    job, other = two_jobs
    unknown = job.url.replace(job.id, "00000000-0000-0000-0000-000000000000") + "/complete"
    assert requests.post(unknown, timeout=5).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert requests.post(unknown, headers=bad, timeout=5).status_code == 401
    assert requests.post(unknown, headers=other.headers, timeout=5).status_code == 403


def test_the_key_is_taken_from_the_query_as_the_platform_urls_carry_it(devserver, two_jobs):
    job, other = two_jobs
    charts = job.url + "/charts"

    def status(key: str) -> int:
        answer = requests.post(charts, params={"key": key, "name": "q"}, json={}, timeout=5)
        return answer.status_code

    assert status(other.api_key) == 403
    assert status("nope") == 401
    assert status("") == 401
    assert status(job.api_key) == 204


TRAVERSALS = [
    "../../platform.db",
    "%2e%2e/%2e%2e/platform.db",
    "a/../../platform.db",
    "./x",
    "/etc/passwd",
    "a//b",
    "a/",
    "a%5c..%5cplatform.db",
    "a%00b",
    "",
]


@pytest.fixture
def dataset(devserver) -> dict[str, Any]:
    """A dataset with one file, made through the admin API."""
    return devserver.create_dataset("isolation", {"kept.txt": b"kept"})


def _dataset_files(object_store, devserver, dataset) -> dict[str, bytes]:
    """The dataset's objects in the store: key -> content."""
    bucket = devserver.create_job().data_bucket.removeprefix("s3://")
    s3 = object_store.client()
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=dataset["id"] + "/").get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


@pytest.mark.parametrize("name", TRAVERSALS)
def test_a_file_name_leading_out_of_its_dataset_is_refused(devserver, object_store, dataset, name):
    before = _dataset_files(object_store, devserver, dataset)
    route = f"/api/admin/datasets/{dataset['id']}/files/{name}"
    status, body = raw_request(devserver.base_url, "PUT", route, devserver.admin_headers, b"evil")
    assert status in (400, 404), body  # 404: no such route (an empty name)
    assert _dataset_files(object_store, devserver, dataset) == before


def test_oversized_json_is_413_and_changes_nothing(devserver, two_jobs):
    job, _ = two_jobs
    before = snapshot(devserver.root)
    body = b'{"mark": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    answer = requests.post(
        job.url + "/charts?name=big",
        data=body,
        headers={**job.headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 413
    assert snapshot(devserver.root) == before


def test_an_oversized_dataset_file_is_413_and_not_stored(start_devserver, object_store):
    server = start_devserver(max_artifact_bytes=1024)
    dataset = server.create_dataset("limits", {})
    url = f"{server.base_url}/api/admin/datasets/{dataset['id']}/files"
    big = requests.put(url + "/big.bin", data=b"x" * 4096, headers=server.admin_headers, timeout=30)
    assert big.status_code == 413
    small = requests.put(url + "/small.bin", data=b"x" * 1024, headers=server.admin_headers,
                         timeout=30)  # fmt: skip
    assert small.status_code == 201
    assert set(_dataset_files(object_store, server, dataset)) == {f"{dataset['id']}/small.bin"}


def test_a_dataset_file_without_content_length_is_411(devserver, object_store, dataset):
    before = _dataset_files(object_store, devserver, dataset)
    answer = requests.put(
        f"{devserver.base_url}/api/admin/datasets/{dataset['id']}/files/chunked.bin",
        data=iter([b"a", b"b"]),
        headers=devserver.admin_headers,
        timeout=5,
    )
    assert answer.status_code == 411
    assert _dataset_files(object_store, devserver, dataset) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/charts?name=c", b"{not json"),
        ("POST", "/charts?name=c", b"[1, 2]"),
        ("POST", "/charts?name=c", b'{"a": NaN}'),
        ("POST", "/charts?name=c", b"\xff\xfe"),
        ("POST", "/charts?name=c", b"{"),
        ("POST", "/charts", b"{}"),
        ("POST", "/charts?name=..%2Fescape", b"{}"),
        ("POST", "/remotemonitor", b'"just text"'),
        ("POST", "/remotemonitor", b'{"epoch": "one"}'),
        ("POST", "/complete", b'{"status": "done"}'),
        ("POST", "/complete", b"[]"),
        ("POST", "/complete?modelPath=..%2Fx", b""),
    ],
)
def test_malformed_bodies_are_400_and_change_nothing(devserver, two_jobs, method, path, body):
    job, _ = two_jobs
    before = snapshot(devserver.root)
    answer = requests.request(
        method,
        job.url + path,
        data=body,
        headers={**job.headers, "Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]
    assert snapshot(devserver.root) == before


def test_a_form_without_data_is_400(devserver, two_jobs):
    job, _ = two_jobs
    before = snapshot(devserver.root)
    answer = requests.post(
        job.url + "/remotemonitor", data={"other": "1"}, headers=job.headers, timeout=5
    )
    assert answer.status_code == 400
    assert snapshot(devserver.root) == before


def test_unknown_paths_and_methods_answer_json(devserver, two_jobs):
    job, _ = two_jobs
    missing = requests.get(devserver.base_url + "/api/nothing", timeout=5)
    assert missing.status_code == 404 and missing.json() == {"error": "no such endpoint"}
    method = requests.put(job.url + "/complete", headers=job.headers, timeout=5)
    assert method.status_code == 405 and "error" in method.json()
