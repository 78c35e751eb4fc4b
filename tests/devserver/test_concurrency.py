"""Concurrent writers: uploads from many threads to one job, and racing retries."""

from __future__ import annotations

import hashlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests


def test_concurrent_uploads_of_different_artifacts(devserver):
    job = devserver.create_job()
    blobs = {f"part-{i:02d}/data.bin": os.urandom(256 * 1024 + i) for i in range(16)}

    def upload(name: str) -> requests.Response:
        return requests.put(
            f"{job.url}/artifacts/{name}",
            data=blobs[name],
            headers={**job.headers, "Idempotency-Key": str(uuid.uuid4())},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(upload, blobs))
    assert [a.status_code for a in answers] == [201] * len(blobs)
    listing = requests.get(job.url + "/artifacts", headers=job.headers, timeout=5).json()
    expected = [
        {"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
        for n, b in sorted(blobs.items())
    ]
    assert listing == {"artifacts": expected}
    for name, blob in blobs.items():
        assert (devserver.root / "jobs" / job.id / "artifacts" / name).read_bytes() == blob
    assert len(devserver.state(job.id)["writes"]) == len(blobs)


def test_concurrent_uploads_to_one_name_leave_one_whole_version(devserver):
    job = devserver.create_job()
    versions = [bytes([i]) * (128 * 1024) for i in range(8)]

    def upload(blob: bytes) -> int:
        return requests.put(
            job.url + "/artifacts/same.bin", data=blob, headers=job.headers, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(upload, versions))
    assert set(statuses) <= {200, 201}
    stored = (devserver.root / "jobs" / job.id / "artifacts" / "same.bin").read_bytes()
    assert stored in versions
    [record] = devserver.state(job.id)["artifacts"]
    assert record["sha256"] == hashlib.sha256(stored).hexdigest()


def test_racing_requests_with_one_idempotency_key_apply_once(devserver):
    job = devserver.create_job()
    key = str(uuid.uuid4())

    def post(_: int) -> requests.Response:
        return requests.post(
            job.url + "/remotemonitor",
            json={"epoch": 1, "loss": 0.1},
            headers={**job.headers, "Idempotency-Key": key},
            timeout=30,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, range(16)))
    assert {a.status_code for a in answers} == {204}
    assert sum(a.headers.get("Idempotent-Replay") == "true" for a in answers) == 15
    state = devserver.state(job.id)
    assert state["progress"] == [{"epoch": 1, "loss": 0.1}]
    assert state["writes"] == {key: 1}


def test_concurrent_metadata_writes_lose_nothing(devserver):
    job = devserver.create_job()

    def post(epoch: int) -> int:
        return requests.post(
            job.url + "/remotemonitor",
            json={"epoch": epoch},
            headers={**job.headers, "Idempotency-Key": f"epoch-{epoch}"},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(post, range(40))) == {204}
    state = devserver.state(job.id)
    assert sorted(r["epoch"] for r in state["progress"]) == list(range(40))
    assert state["writes"] == {f"epoch-{e}": 1 for e in range(40)}
