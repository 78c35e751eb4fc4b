"""The server as a subprocess: restarts (SIGTERM or SIGKILL) keep the store; CLI flags."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from brevetti_job.devserver._objectstore import ObjectStore

from ..conftest import REPO, DevServer, DevServerProcess, PlatformJob


def _fill(server: DevServer) -> PlatformJob:
    job = server.create_job(settings={"training": {"epochs": 3}})
    key = {"Idempotency-Key": "chart-1"}
    chart = requests.post(job.url + "/charts?name=loss", json={"mark": "line"},
                          headers={**job.headers, **key}, timeout=10)  # fmt: skip
    assert chart.status_code == 204
    requests.post(job.url + "/remotemonitor", json={"epoch": 1}, headers=job.headers, timeout=5)
    return job


def _check(server: DevServer, job: PlatformJob) -> None:
    replay = requests.post(job.url + "/charts?name=loss", json={"mark": "line"},
                           headers={**job.headers, "Idempotency-Key": "chart-1"}, timeout=10)  # fmt: skip
    assert replay.status_code == 204 and replay.headers["Idempotent-Replay"] == "true"
    state = server.state(job.id)
    assert state["description"]["settings"]["training"]["epochs"] == 3
    assert state["charts"] == {"loss": {"mark": "line"}}
    assert state["progress"] == [{"epoch": 1}]
    assert state["writes"] == {"chart-1": 1}
    assert state["status"] == "running"


def test_a_restart_keeps_the_store(devserver_process):
    server = devserver_process()
    job = _fill(server)
    server.stop()
    assert not server.running
    server.start()
    _check(server, job)


def test_a_killed_server_keeps_the_store(devserver_process):
    server = devserver_process()
    job = _fill(server)
    server.kill()
    server.start()
    _check(server, job)
    assert (server.root / "admin-token").read_text().strip() == server.admin_token
    assert oct((server.root / "admin-token").stat().st_mode & 0o777) == "0o600"


def test_a_prepared_server_answers_only_once_started(devserver_process):
    server = devserver_process(start=False)
    try:
        requests.get(server.base_url + "/openapi.json", timeout=1)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("nothing should listen before start()")
    server.start()
    assert requests.get(server.base_url + "/openapi.json", timeout=5).status_code == 200


def test_fault_flags_switch_injection_on(devserver_process):
    server = devserver_process(None, None, "--fail-rate", "1", "--fail-modes", "503")
    job = server.create_job()
    charts = job.url + "/charts?name=c"
    answer = requests.post(charts, json={}, headers=job.headers, timeout=5)
    assert answer.status_code == 503
    state = server.fault_state()
    assert state["rate"] == 1.0 and state["modes"] == ["503"]
    server.set_faults(0.0)
    assert requests.post(charts, json={}, headers=job.headers, timeout=5).status_code == 204


def test_the_log_shows_no_key(devserver_process):
    server = devserver_process()
    job = server.create_job()
    charts = job.url + "/charts"
    requests.post(charts, params={"name": "a"}, json={}, headers=job.headers, timeout=5)
    requests.post(charts, params={"key": job.api_key, "name": "b"}, json={}, timeout=5)
    server.stop()
    log = server.log.read_text()
    assert f"/api/models/{job.id}" in log
    assert job.api_key not in log


def _endpoint_answers(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return False
    return True


def test_serve_runs_its_own_object_store_and_stops_it_with_itself(devserver_process):
    import json
    import time

    server = devserver_process(own_store=True)
    job = server.create_job()
    record = json.loads((server.root / "server.json").read_text())
    endpoint = record["s3_endpoint"]
    assert (
        endpoint.startswith("http://127.0.0.1:") and record["data_bucket"] == "s3://brevetti-data"
    )
    answer = requests.get(
        f"{server.base_url}/api/models/{job.id}/securitycredentials",
        params={"key": job.api_key, "modelId": job.id}, timeout=60,
    )  # fmt: skip
    assert answer.status_code == 200 and "<AccessKeyId>" in answer.text
    assert (server.root / "objectstore").is_dir()  # its data lives under --root
    assert _endpoint_answers(endpoint)
    for stop in (server.stop, server.kill):  # SIGTERM, then (after a restart) SIGKILL
        stop()
        deadline = time.monotonic() + 60
        while _endpoint_answers(endpoint):
            assert time.monotonic() < deadline, f"the object store outlived the server ({stop})"
            time.sleep(0.1)  # polling interval; the refused connection decides
        if stop == server.stop:
            server.start()  # the same root: the store comes back with the job's folder
            assert json.loads((server.root / "server.json").read_text())["s3_endpoint"]
            again = requests.get(
                f"{server.base_url}/api/models/{job.id}/securitycredentials",
                params={"key": job.api_key, "modelId": job.id}, timeout=60,
            )  # fmt: skip
            assert again.status_code == 200
            endpoint = json.loads((server.root / "server.json").read_text())["s3_endpoint"]
            keys = json.loads((server.root / "objectstore" / "s3-admin.json").read_text())
            store = ObjectStore(endpoint, keys["access_key"], keys["secret_key"])
            info = store.client().get_object(Bucket="brevetti-data", Key=f"{job.id}/info.json")
            assert json.loads(info["Body"].read())["id"] == job.id  # kept across the restart


def test_the_admin_token_from_the_environment_is_not_on_the_command_line(devserver_process):
    server = devserver_process()  # the fixture gives it BREVETTI_ADMIN_TOKEN
    assert server.process is not None
    argv = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
    assert server.admin_token.encode() not in argv
    assert server.fault_state()["rate"] == 0.0  # an admin call with that token works


def test_the_admin_token_is_read_from_a_file(devserver_process, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("token-from-a-file\n")
    server = devserver_process(None, None, "--admin-token-file", str(token_file), start=False)
    server.admin_token = "token-from-a-file"
    server.env["BREVETTI_ADMIN_TOKEN"] = "not-this-one"  # the file comes first
    server.start()
    assert server.fault_state()["rate"] == 0.0
    wrong = requests.get(
        server.base_url + "/api/admin/faults",
        headers={"Authorization": "Bearer not-this-one"}, timeout=5,
    )  # fmt: skip
    assert wrong.status_code == 401


@pytest.mark.parametrize("content", [None, ""])
def test_an_unreadable_or_empty_token_file_is_a_clear_error(tmp_path, content):
    token_file = tmp_path / "token"
    if content is not None:
        token_file.write_text(content)
    result = subprocess.run(
        [sys.executable, "-m", "brevetti_job", "serve", "--root", str(tmp_path / "store"),
         "--port", "0", "--admin-token-file", str(token_file)],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    expected = "is empty" if content is not None else "cannot read the admin token file"
    assert expected in result.stderr and str(token_file) in result.stderr


def test_a_token_on_the_command_line_works_with_a_warning(devserver_process):
    server = devserver_process(None, None, "--admin-token", DevServerProcess.TOKEN)
    assert server.fault_state()["rate"] == 0.0
    server.stop()
    assert "--admin-token puts the token on the command line" in server.log.read_text()
