"""The platform HTTP client against the dev server: timeouts, retries, idempotency, auth."""

from __future__ import annotations

import email.utils
import http.server
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from brevetti_job import PlatformAuthError, PlatformUnavailable
from brevetti_job._client import (
    PlatformClient,
    RetryPolicy,
    _retry_after,
    new_idempotency_key,
    settings_from_env,
)
from brevetti_job._description import JobDescription
from brevetti_job._platform import Routes
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


class Sleeps(list[float]):
    """Records the waits between attempts instead of sleeping them (tests run fast)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(job: Any, sleeps: Sleeps | None = None, **kw: Any) -> PlatformClient:
    kw.setdefault("retry", RetryPolicy(attempts=6, budget=30.0, base=0.01, cap=0.05))
    return PlatformClient(
        job.base_url, job.api_key, sleep=Sleeps() if sleeps is None else sleeps, seed=1, **kw
    )


def _path(job: Any, suffix: str = "") -> str:
    return f"/api/{'models' if job.kind == 'model' else 'reports'}/{job.id}{suffix}"


def _root_tags(client: PlatformClient, job: Any) -> Any:
    """The platform's root-tags call (``?key=`` and ``id``), as a job makes it."""
    answer = client.request(
        "GET", "/api/resources/roottags", params=[("id", job.id)], key_in_query=True
    )
    return answer.json()


def _chart(client: PlatformClient, job: Any, name: str, **kw: Any) -> Any:
    """POST a chart to the job's charts URL."""
    return client.request(
        "POST", _path(job, "/charts"), params=[("name", name)], json_body={"mark": "line"}, **kw
    )


def test_a_platform_call_is_made_with_the_key_and_the_key_stays_out_of_the_repr(
    devserver,
) -> None:
    job = devserver.create_job(preset="quick")
    client = _client(job)
    assert isinstance(_root_tags(client, job), list)
    assert _chart(client, job, "loss").status == 204
    assert devserver.state(job.id)["charts"] == {"loss": {"mark": "line"}}
    assert job.api_key not in repr(client)
    client.close()


@pytest.mark.parametrize("wrong", ["no-such-key", "other-job"])
def test_auth_failures_are_clear_and_never_retried(devserver, wrong: str) -> None:
    job = devserver.create_job()
    other = devserver.create_job()
    key = other.api_key if wrong == "other-job" else "key_WRONG_abcdef0123"
    sleeps = Sleeps()
    client = PlatformClient(job.base_url, key, sleep=sleeps, seed=1)
    with pytest.raises(PlatformAuthError) as caught:
        _chart(client, job, "c")
    assert caught.value.status == (403 if wrong == "other-job" else 401)
    assert "API key" in str(caught.value) and key not in str(caught.value)
    assert sleeps == []  # not retried
    assert devserver.state(job.id)["writes"] == {}
    client.close()


def test_503_is_retried_until_the_attempts_run_out(devserver) -> None:
    job = devserver.create_job()
    sleeps = Sleeps()
    client = _client(job, sleeps, retry=RetryPolicy(attempts=4, budget=30.0))
    with devserver.faults(1.0, modes=["503"]):
        with pytest.raises(PlatformUnavailable) as caught:
            _chart(client, job, "c")
        injected = devserver.fault_state()["injected"]["503"]
    assert "503" in str(caught.value) and "4 attempts" in str(caught.value)
    assert injected == 4
    assert sleeps == [0.0, 0.0, 0.0]  # the server's Retry-After: 0 is honoured
    client.close()


def test_connection_errors_back_off_with_full_jitter_within_the_budget() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(attempts=7, budget=60.0, base=0.1, cap=0.4)
    client = PlatformClient(
        f"http://127.0.0.1:{free_port()}", "key_x", retry=policy, sleep=sleeps, seed=3
    )
    with pytest.raises(PlatformUnavailable) as caught:
        client.request("POST", "/api/models/x/complete", json_body={})
    assert "gave up after 7 attempts" in str(caught.value)
    assert len(sleeps) == 6
    for attempt, waited in enumerate(sleeps, start=1):
        assert 0 <= waited <= min(0.4, 0.1 * 2 ** (attempt - 1))
    assert len(set(sleeps)) == len(sleeps)  # jittered, not a fixed schedule
    client.close()


def test_the_total_budget_stops_retrying_before_the_attempts_do() -> None:
    policy = RetryPolicy(attempts=1000, budget=0.5, base=0.05, cap=0.1)
    client = PlatformClient(f"http://127.0.0.1:{free_port()}", "key_x", retry=policy)
    started = time.monotonic()
    with pytest.raises(PlatformUnavailable):
        client.request("GET", "/api/models/x")
    assert time.monotonic() - started < 5.0
    client.close()


def test_read_timeouts_are_retried_and_writes_apply_once(devserver) -> None:
    job = devserver.create_job()
    client = _client(job, timeout=(2.0, 0.2), retry=RetryPolicy(attempts=20, budget=60.0))
    keys = [new_idempotency_key() for _ in range(6)]
    with devserver.faults(0.5, modes=["slow"], delay=0.6, seed=1):
        answers = [
            client.request(
                "POST", _path(job, "/charts"), params=[("name", f"c{n}")],
                json_body={"mark": "line", "n": n}, idempotency_key=key,
            )
            for n, key in enumerate(keys)
        ]  # fmt: skip
        injected = devserver.fault_state()["injected"]["slow"]
    assert all(a.status == 204 for a in answers) and injected >= 1
    assert sum(a.attempts for a in answers) >= len(keys) + injected  # a retry per timeout
    state = devserver.state(job.id)
    assert state["charts"] == {f"c{n}": {"mark": "line", "n": n} for n in range(6)}
    assert state["writes"] == dict.fromkeys(keys, 1)
    client.close()


def test_applied_then_503_is_replayed_not_applied_again(devserver) -> None:
    job = devserver.create_job()
    client = _client(job, retry=RetryPolicy(attempts=30, budget=60.0, base=0.0, cap=0.0))
    keys = [new_idempotency_key() for _ in range(8)]
    with devserver.faults(0.5, modes=["applied-then-503"], seed=2):
        answers = [
            client.request("POST", _path(job, "/remotemonitor"),
                           form={"data": json.dumps({"epoch": n})}, idempotency_key=key)
            for n, key in enumerate(keys)
        ]  # fmt: skip
    state = devserver.state(job.id)
    assert [p["epoch"] for p in state["progress"]] == list(range(8))
    assert state["writes"] == dict.fromkeys(keys, 1)
    assert any(a.attempts > 1 for a in answers)
    # a repeat of a delivered write (e.g. by `sync` after a crash) is a replay
    again = client.request(
        "POST", _path(job, "/remotemonitor"), form={"data": '{"epoch": 0}'},
        idempotency_key=keys[0],
    )  # fmt: skip
    assert again.replayed and devserver.state(job.id)["writes"][keys[0]] == 1
    client.close()


def test_connections_dropped_mid_request_are_retried_and_applied_once(devserver) -> None:
    job = devserver.create_job()
    client = _client(job, retry=RetryPolicy(attempts=30, budget=60.0, base=0.0, cap=0.0))
    spec = {"mark": "point", "data": {"values": [{"x": n, "y": n * n} for n in range(20_000)]}}
    key = new_idempotency_key()
    with devserver.faults(0.6, modes=["drop"], seed=4):
        answer = client.request(
            "POST", _path(job, "/charts"), params=[("name", "big")], json_body=spec,
            idempotency_key=key,
        )  # fmt: skip
        injected = devserver.fault_state()["injected"]["drop"]
    assert answer.status == 204 and injected >= 1 and answer.attempts > 1
    state = devserver.state(job.id)
    assert state["charts"] == {"big": spec} and state["writes"] == {key: 1}
    client.close()


def test_retry_after_takes_seconds_or_an_http_date() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after("0") == 0.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (_retry_after(later) or 0) <= 31
    earlier = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert _retry_after(earlier) is None  # passed: the backoff decides
    for hostile in ("nan", "NaN", "inf", "-inf", "-1", "-0.5", "1e999", "Mon, 99 Foo 20"):
        assert _retry_after(hostile) is None, hostile


class _HostileRetryAfter(http.server.BaseHTTPRequestHandler):
    """Answers every request 503 with the Retry-After its server was given."""

    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Retry-After", self.server.retry_after)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize("header", ["nan", "-5", "inf", "Thu, 01 Jan 1970 00:00:00 GMT"], ids=str)
def test_a_hostile_retry_after_falls_back_to_the_backoff(header: str) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostileRetryAfter)
    server.retry_after = header  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sleeps = Sleeps()
    policy = RetryPolicy(attempts=6, budget=60.0, base=0.1, cap=0.4)
    client = PlatformClient(
        f"http://127.0.0.1:{server.server_port}", "key_x", retry=policy, sleep=sleeps, seed=3
    )
    try:
        with pytest.raises(PlatformUnavailable, match="gave up after 6 attempts"):
            client.request("GET", "/api/models/x")
    finally:
        client.close()
        server.shutdown()
        server.server_close()
    assert len(sleeps) == 5
    assert all(0 < waited <= min(0.4, 0.1 * 2 ** (n - 1)) for n, waited in enumerate(sleeps, 1))
    assert len(set(sleeps)) == len(sleeps)  # jittered backoff, not a zero-wait storm


def test_a_retry_that_would_overrun_the_budget_is_not_made(devserver) -> None:
    job = devserver.create_job()
    sleeps = Sleeps()
    client = PlatformClient(
        job.base_url, job.api_key, retry=RetryPolicy(attempts=5, budget=0.0), sleep=sleeps
    )
    with devserver.faults(1.0, modes=["503"]):
        with pytest.raises(PlatformUnavailable, match="after 1 attempt "):
            _chart(client, job, "c")
        assert devserver.fault_state()["injected"]["503"] == 1
    assert sleeps == []
    client.close()


def test_settings_from_the_environment() -> None:
    timeout, policy = settings_from_env(
        {
            "BREVETTI_HTTP_TIMEOUT": "3,0.25",
            "BREVETTI_RETRY_BUDGET": "7",
            "BREVETTI_RETRY_ATTEMPTS": "4",
        }
    )
    assert timeout == (3.0, 0.25) and policy.budget == 7.0 and policy.attempts == 4
    assert settings_from_env({"BREVETTI_HTTP_TIMEOUT": "2"})[0] == (2.0, 2.0)
    assert settings_from_env({})[1] == RetryPolicy()
    for bad in ({"BREVETTI_HTTP_TIMEOUT": "x"}, {"BREVETTI_RETRY_ATTEMPTS": "0"}):
        with pytest.raises(ValueError, match="BREVETTI_"):
            settings_from_env(bad)


def test_description_urls_are_honoured_without_their_key() -> None:
    description = JobDescription(
        id="m1",
        complete_url="/api/models/m1/complete?key=SECRET&modelPath=",
        charts_url="https://elsewhere.example/api/models/m1/charts?key=SECRET",
        remote_url="/api/models/m1/remotemonitor?api_key=SECRET&x=1",
    )
    routes = Routes.for_job("models", "m1", description)
    assert routes.complete("artifacts/m.tar.gz") == (
        "/api/models/m1/complete",
        (("modelPath", "artifacts/m.tar.gz"),),
    )
    assert routes.chart("c") == ("/api/models/m1/charts", (("name", "c"),))
    assert routes.progress() == ("/api/models/m1/remotemonitor", (("x", "1"),))
    plain = Routes.for_job("reports", "r/1")
    assert plain.progress() == ("/api/reports/r%2F1/remotemonitor", ())


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Keeps the request line and headers of every request; answers 204."""

    def do_POST(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))  # type: ignore[attr-defined]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_platforms_job_urls_get_the_key_in_the_query_and_no_log_shows_it(caplog) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs every request line at DEBUG
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    key = "key_QUERYKEY_0123456789"
    client = PlatformClient(f"http://127.0.0.1:{server.server_port}", key)
    try:
        client.request(
            "POST", "/api/models/m1/complete", params=[("modelPath", "artifacts/m.tar.gz")],
            key_in_query=True,
        )  # fmt: skip
        client.request("POST", "/api/models/m1/other")
    finally:
        client.close()
        server.shutdown()
        server.server_close()
    (complete, complete_headers), (other, other_headers) = server.seen  # type: ignore[attr-defined]
    assert complete == f"/api/models/m1/complete?key={key}&modelPath=artifacts%2Fm.tar.gz"
    assert complete_headers["Authorization"] == f"Bearer {key}"
    assert other == "/api/models/m1/other" and other_headers["Authorization"] == f"Bearer {key}"
    assert "/api/models/m1/complete?key=********&modelPath=" in caplog.text  # masked, not gone
    assert key not in caplog.text
