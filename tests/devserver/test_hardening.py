"""The server answers like a server: clear 4xx for hostile input, bounded resources, one
server per root, and a used idempotency key never hides a different write."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from brevetti_job.devserver import make_dev_server
from brevetti_job.devserver._root_lock import RootLocked

from ..conftest import REPO
from .test_isolation import raw_request, snapshot


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


# -- a used idempotency key with another body ---------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "first", "second"),
    [
        (
            "POST",
            "/complete",
            {"json": {"status": "failed", "reason": "a"}},
            {"json": {"status": "failed", "reason": "b"}},
        ),
        ("POST", "/remotemonitor", {"json": {"epoch": 1}}, {"json": {"epoch": 2}}),
        ("POST", "/charts?name=c", {"json": {"mark": "bar"}}, {"json": {"mark": "line"}}),
        ("POST", "/charts?name=c", {"json": {"mark": "bar"}}, {"json": {"mark": "bar", "x": 1}}),
        ("POST", "/remotemonitor", {"data": {"data": '{"epoch": 1}'}}, {"data": {"data": "{}"}}),
    ],
)
def test_another_body_under_a_used_key_is_422_and_not_applied(
    devserver, method, path, first, second
):
    job = devserver.create_job()
    headers = {**job.headers, **_key()}
    url = job.url + path
    assert requests.request(method, url, headers=headers, timeout=5, **first).ok
    before = devserver.state(job.id)
    answer = requests.request(method, url, headers=headers, timeout=5, **second)
    assert answer.status_code == 422
    assert "Idempotency-Key was already used for a different request" in answer.json()["error"]
    assert "Idempotent-Replay" not in answer.headers
    assert devserver.state(job.id) == before
    again = requests.request(method, url, headers=headers, timeout=5, **first)
    assert again.ok and again.headers["Idempotent-Replay"] == "true"


# -- hostile JSON -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/charts?name=c", b'{"x": 1e999}'),
        ("/charts?name=c", b'{"x": -1e400}'),
        ("/charts?name=c", b'{"\\ud800": 1}'),
        ("/charts?name=c", b'{"x": "a\\udfffb"}'),
        ("/charts?name=c", b'{"title": "\\udc80"}'),
        ("/remotemonitor", b'{"epoch": 1e999}'),
        ("/remotemonitor", b'{"epoch": 1, "loss": "\\ud83d"}'),
        ("/charts?name=c", b'{"x": ' + b"1" * 5000 + b"}"),
    ],
)
def test_unstorable_json_is_400_not_500(devserver, path, body):
    job = devserver.create_job()
    before = snapshot(devserver.root)
    answer = requests.request(
        "POST",
        job.url + path,
        data=body,
        headers={**job.headers, **_key(), "Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]
    assert snapshot(devserver.root) == before


def test_a_surrogate_pair_is_text_and_accepted(devserver):
    job = devserver.create_job()
    answer = requests.post(
        job.url + "/charts?name=c",
        data=b'{"smile": "\\ud83d\\ude00"}',
        headers={**job.headers, "Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 204
    assert devserver.state(job.id)["charts"] == {"c": {"smile": "\U0001f600"}}


def test_a_lone_surrogate_in_a_progress_form_is_400(devserver):
    job = devserver.create_job()
    answer = requests.post(
        job.url + "/remotemonitor", data={"data": '{"epoch": 1, "x": "\\ud800"}'},
        headers=job.headers, timeout=5,
    )  # fmt: skip
    assert answer.status_code == 400
    assert devserver.state(job.id)["progress"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"kind": []},
        {"kind": {}},
        {"kind": None},
        {"name": ["x"]},
        {"preset": 3},
        {"settings": []},
        {"name": "\ud800"},
    ],
)
def test_admin_create_refuses_wrong_types_with_400(devserver, body):
    data = requests.models.complexjson.dumps(body).encode()  # escapes the lone surrogate
    answer = requests.post(
        devserver.base_url + "/api/admin/jobs",
        data=data,
        headers={**devserver.admin_headers, "Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]


# -- Content-Length -----------------------------------------------------------------------


@pytest.mark.parametrize("length", ["-1", "abc", "1.5", "+3", " ", "0x10", "9" * 30])
@pytest.mark.parametrize("path", ["/charts?name=c", "/complete"])
def test_a_malformed_or_negative_content_length_is_400(devserver, length, path):
    job = devserver.create_job()
    before = snapshot(devserver.root)
    parts = urlsplit(job.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        request = (
            f"POST {parts.path}{path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {job.api_key}\r\nContent-Length: {length}\r\n"
            "Connection: close\r\n\r\n"
        )
        sock.sendall(request.encode() + b"{}")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b"Content-Length must be a non-negative integer" in reply
    assert snapshot(devserver.root) == before


# -- 405 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/complete", {"POST"}),
        ("GET", "/remotemonitor", {"POST"}),
        ("PATCH", "/charts", {"POST"}),
    ],
)
def test_405_says_which_methods_are_allowed(devserver, method, path, allowed):
    job = devserver.create_job()
    answer = requests.request(method, job.url + path, headers=job.headers, timeout=5)
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} == allowed
    assert answer.json()["error"] == "method not allowed"


def test_405_on_admin_routes_and_pages(devserver):
    admin = requests.delete(
        devserver.base_url + "/api/admin/jobs", headers=devserver.admin_headers, timeout=5
    )
    assert admin.status_code == 405
    assert {m.strip() for m in admin.headers["Allow"].split(",")} == {"GET", "HEAD", "POST"}
    page = requests.put(devserver.base_url + "/jobs", timeout=5)
    assert page.status_code == 405
    assert {m.strip() for m in page.headers["Allow"].split(",")} == {"GET", "HEAD"}


# -- connections: a timeout and a bounded number of threads ------------------------------


def test_an_idle_connection_is_closed_after_the_timeout(start_devserver):
    server = start_devserver(connection_timeout=0.5)
    parts = urlsplit(server.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as idle:
        assert idle.recv(1) == b""  # the server hung up; without a timeout this blocks
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as stalled:
        stalled.sendall(
            b"POST /api/models/x/charts?name=c HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"
        )
        reply = b""
        while chunk := stalled.recv(65536):
            reply += chunk
    assert b"HTTP/1.1 2" not in reply  # the half-sent request was never applied
    assert requests.get(server.base_url + "/openapi.json", timeout=5).status_code == 200


def test_idle_connections_hold_at_most_max_threads(start_devserver):
    server = start_devserver(max_threads=4, connection_timeout=1.0)
    parts = urlsplit(server.base_url)
    baseline = threading.active_count()
    idle = [socket.create_connection((parts.hostname, parts.port), timeout=10) for _ in range(12)]
    try:
        # served once idle connections time out and free their threads
        answer = requests.get(server.base_url + "/openapi.json", timeout=30)
        assert answer.status_code == 200
        assert threading.active_count() - baseline <= 4
    finally:
        for sock in idle:
            sock.close()


def test_keep_alive_still_works_under_the_bound(start_devserver):
    server = start_devserver(max_threads=2)
    job = server.create_job()
    with requests.Session() as session:
        for epoch in range(20):
            answer = session.post(
                job.url + "/remotemonitor", json={"epoch": epoch}, headers=job.headers, timeout=5
            )
            assert answer.status_code == 204
    assert [r["epoch"] for r in server.state(job.id)["progress"]] == list(range(20))


# -- one server per root ------------------------------------------------------------------


def test_a_second_server_on_the_same_root_is_refused(start_devserver):
    server = start_devserver()
    with pytest.raises(RootLocked, match="another dev server is already running"):
        make_dev_server(server.root, port=0, quiet=True, start_object_store=False)
    assert requests.get(server.base_url + "/openapi.json", timeout=5).status_code == 200


def test_serve_refuses_a_root_in_use_with_a_clear_error(devserver_process):
    server = devserver_process()
    result = subprocess.run(
        [sys.executable, "-m", "brevetti_job", "serve", "--root", str(server.root), "--port", "0"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "another dev server is already running on" in result.stderr
    assert f"pid {server.process.pid}" in result.stderr
    assert "Traceback" not in result.stderr
    server.kill()  # a killed server's lock goes with it
    server.start()
    assert requests.get(server.base_url + "/openapi.json", timeout=5).status_code == 200


def test_raw_request_helper_still_reaches_the_server(devserver):
    job = devserver.create_job()
    path = urlsplit(job.url).path + "/charts?name=c"
    status, _ = raw_request(devserver.base_url, "POST", path, job.headers, b"{}")
    assert status == 204
