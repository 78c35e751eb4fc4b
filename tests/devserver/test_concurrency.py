"""Concurrent writers to one job: many threads, and racing retries of one write."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests


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
