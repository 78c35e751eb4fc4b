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
    requests.put(job.url + "/output", json={"output": {"a": 1}}, headers=job.headers, timeout=5)
    requests.put(job.url + "/artifacts/keep.txt", data=b"keep", headers=job.headers, timeout=5)
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
    ("GET", "", {}),
    ("GET", "/status", {}),
    ("GET", "/artifacts", {}),
    ("GET", "/artifacts/keep.txt", {}),
    ("HEAD", "/artifacts/keep.txt", {}),
    ("PUT", "/artifacts/new.txt", {"data": b"new"}),
    ("PUT", "/output", {"json": {"output": {"b": 2}}}),
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
    unknown = job.url.replace(job.id, "00000000-0000-0000-0000-000000000000")
    assert requests.get(unknown, timeout=5).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert requests.get(unknown, headers=bad, timeout=5).status_code == 401
    assert requests.get(unknown, headers=other.headers, timeout=5).status_code == 403


def test_the_key_is_taken_from_the_query_as_the_platform_urls_carry_it(devserver, two_jobs):
    job, other = two_jobs
    assert requests.get(job.url, params={"key": job.api_key}, timeout=5).status_code == 200
    assert requests.get(job.url, params={"key": other.api_key}, timeout=5).status_code == 403
    assert requests.get(job.url, params={"key": "nope"}, timeout=5).status_code == 401
    assert requests.get(job.url, params={"key": ""}, timeout=5).status_code == 401


TRAVERSALS = [
    "/artifacts/../../job.json",
    "/artifacts/%2e%2e/%2e%2e/job.json",
    "/artifacts/a/../../job.json",
    "/artifacts/./x",
    "/artifacts//etc/passwd",
    "/artifacts/a//b",
    "/artifacts/a/",
    "/artifacts/a%5c..%5cjob.json",
    "/artifacts/a%00b",
    "/artifacts/",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_400_and_changes_nothing(devserver, two_jobs, path):
    job, _ = two_jobs
    before = snapshot(devserver.root)
    route = urlsplit(job.url).path + path
    status, body = raw_request(devserver.base_url, "PUT", route, job.headers, b"evil")
    assert status == 400, body
    status, _ = raw_request(devserver.base_url, "GET", route, job.headers)
    assert status == 400
    assert snapshot(devserver.root) == before


def test_an_artifact_path_cannot_clash_with_a_stored_one(devserver, two_jobs):
    job, _ = two_jobs
    before = snapshot(devserver.root)
    answer = requests.put(
        job.url + "/artifacts/keep.txt/inner", data=b"x", headers=job.headers, timeout=5
    )
    assert answer.status_code == 409
    assert snapshot(devserver.root) == before


def test_oversized_json_is_413_and_changes_nothing(devserver, two_jobs):
    job, _ = two_jobs
    before = snapshot(devserver.root)
    body = b'{"output": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    answer = requests.put(
        job.url + "/output",
        data=body,
        headers={**job.headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 413
    assert snapshot(devserver.root) == before


def test_oversized_artifact_is_413_without_storing(start_devserver):
    server = start_devserver(max_artifact_bytes=1024)
    job = server.create_job()
    before = snapshot(server.root)
    answer = requests.put(
        job.url + "/artifacts/big.bin", data=b"x" * 4096, headers=job.headers, timeout=30
    )
    assert answer.status_code == 413
    ok = requests.put(
        job.url + "/artifacts/small.bin", data=b"x" * 1024, headers=job.headers, timeout=5
    )
    assert ok.status_code == 201
    after = snapshot(server.root)
    assert after["files"].keys() - before["files"].keys() == {f"jobs/{job.id}/artifacts/small.bin"}
    assert [a["name"] for a in after["records"][job.id]["artifacts"]] == ["small.bin"]


def test_an_upload_without_content_length_is_411(devserver, two_jobs):
    job, _ = two_jobs
    before = snapshot(devserver.root)
    answer = requests.put(
        job.url + "/artifacts/chunked.bin",
        data=iter([b"a", b"b"]),
        headers=job.headers,
        timeout=5,
    )
    assert answer.status_code == 411
    assert snapshot(devserver.root) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/output", b"{not json"),
        ("PUT", "/output", b"[1, 2]"),
        ("PUT", "/output", b'{"a": NaN}'),
        ("PUT", "/output", b"\xff\xfe"),
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
    method = requests.delete(job.url, headers=job.headers, timeout=5)
    assert method.status_code == 405 and "error" in method.json()
