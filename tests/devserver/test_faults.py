"""Fault injection: each mode behaves as the API contract says; decisions are seeded."""

from __future__ import annotations

import uuid

import pytest
import requests


def _chart(job, key: str | None = None, timeout: float = 5):
    """POST the chart ``m`` (a write)."""
    headers = dict(job.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return requests.post(
        job.url + "/charts", params={"name": "m"}, json={"m": 1}, headers=headers, timeout=timeout
    )


def _root_tags(job, timeout: float = 5):
    """The platform's root-tags call (a read)."""
    params = {"key": job.api_key, "id": job.id}
    return requests.get(job.base_url + "/api/resources/roottags", params=params, timeout=timeout)


def test_503_answers_before_applying_anything(devserver):
    job = devserver.create_job()
    with devserver.faults(1.0, modes=["503"]):
        answer = _chart(job, "k-503")
        read = _root_tags(job)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "0"
    assert read.status_code == 503
    state = devserver.state(job.id)  # admin calls are never faulted
    assert state["charts"] == {} and state["writes"] == {} and state["status"] == "created"
    assert _chart(job, "k-503").status_code == 204  # not a replay: nothing was stored
    assert devserver.state(job.id)["writes"] == {"k-503": 1}


def test_drop_closes_the_connection_without_an_answer(devserver):
    job = devserver.create_job()
    with devserver.faults(1.0, modes=["drop"]):
        with pytest.raises(requests.ConnectionError):
            _chart(job, "k-drop")
        with pytest.raises(requests.ConnectionError):
            _root_tags(job)
        assert devserver.fault_state()["injected"]["drop"] == 2
    assert devserver.state(job.id)["charts"] == {}


def test_slow_answers_late_and_a_retry_applies_once(devserver):
    job = devserver.create_job()
    key = str(uuid.uuid4())
    devserver.set_faults(1.0, modes=["slow"], delay=0.8)
    with pytest.raises(requests.Timeout):
        _chart(job, key, timeout=0.2)
    devserver.set_faults(0.0)
    retry = _chart(job, key)
    assert retry.status_code == 204
    devserver.wait_idle()  # the slow first attempt finishes too
    assert devserver.state(job.id)["writes"] == {key: 1}


def test_slow_without_a_timeout_is_just_late(devserver):
    job = devserver.create_job()
    with devserver.faults(1.0, modes=["slow"], delay=0.3):
        answer = _root_tags(job)
    assert answer.status_code == 200
    assert answer.elapsed.total_seconds() >= 0.3


def test_applied_then_503_applies_and_the_retry_replays(devserver):
    job = devserver.create_job()
    key = str(uuid.uuid4())
    with devserver.faults(1.0, modes=["applied-then-503"]):
        answer = _chart(job, key)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "0"
    state = devserver.state(job.id)
    assert state["charts"] == {"m": {"m": 1}} and state["writes"] == {key: 1}
    retry = _chart(job, key)
    assert retry.status_code == 204 and retry.headers["Idempotent-Replay"] == "true"
    assert devserver.state(job.id)["writes"] == {key: 1}


def test_errors_pass_through_applied_then_503(devserver):
    job = devserver.create_job()
    with devserver.faults(1.0, modes=["applied-then-503"]):
        answer = requests.get(job.base_url + "/api/resources/roottags", timeout=5,
                              params={"key": job.api_key})  # fmt: skip  # no ?id=
    assert answer.status_code == 400


def _outcomes(devserver, job, n: int) -> list[int]:
    seen = []
    for _ in range(n):
        try:
            seen.append(_root_tags(job).status_code)
        except requests.ConnectionError:
            seen.append(0)
    return seen


def test_faults_follow_the_seed_and_the_rate(devserver):
    job = devserver.create_job()
    with devserver.faults(0.5, modes=["503", "drop"], seed=7):
        first = _outcomes(devserver, job, 40)
        counted = devserver.fault_state()["injected"]
    with devserver.faults(0.5, modes=["503", "drop"], seed=7):
        second = _outcomes(devserver, job, 40)
    assert first == second
    assert counted["503"] == first.count(503) and counted["drop"] == first.count(0)
    assert 5 < first.count(200) < 35


def test_a_bad_fault_configuration_is_refused(devserver):
    for body in ({"rate": 2}, {"modes": ["explode"]}, {"rate": 0.5, "extra": 1}, [1]):
        answer = requests.put(
            devserver.base_url + "/api/admin/faults",
            json=body,
            headers=devserver.admin_headers,
            timeout=5,
        )
        assert answer.status_code == 400, body
    assert devserver.fault_state()["rate"] == 0.0
