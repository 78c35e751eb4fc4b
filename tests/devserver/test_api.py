"""The job-side calls of the dev server (the platform's: charts, progress, completion) and
what it writes for a job (info.json in its storage folder), over loopback."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests

from brevetti_schema import emit_platform_ui, load_schema

from ..conftest import DEMO_SCHEMA


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _info(object_store: Any, job: Any) -> dict[str, Any]:
    """The job's info.json, read from its storage folder as a job reads it."""
    bucket = job.data_bucket.removeprefix("s3://")
    body = object_store.client().get_object(Bucket=bucket, Key=f"{job.id}/info.json")["Body"]
    info: dict[str, Any] = json.loads(body.read())
    return info


def test_index_and_openapi_answer_without_a_key(devserver):
    index = requests.get(devserver.base_url + "/", timeout=5)
    assert index.status_code == 200 and index.json()["openapi"] == "/openapi.json"
    document = requests.get(devserver.base_url + "/openapi.json", timeout=5)
    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.1")


def test_info_json_is_written_as_the_platform_writes_it(devserver, object_store):
    job = devserver.create_job(settings={"training": {"epochs": 7}}, name="demo")
    info = _info(object_store, job)
    assert list(info)[:5] == ["id", "name", "run_id", "api_key", "host_name"]
    assert info["id"] == job.id and info["name"] == "demo" and info["api_key"] == job.api_key
    assert info["host_name"] == devserver.base_url
    assert info["settings"]["training"]["epochs"] == 7
    assert info["settings"]["classes"] == '["good", "defect"]'  # isJson: JSON text
    key = job.api_key
    assert info["complete_url"] == f"/api/models/{job.id}/complete?key={key}&modelPath="
    assert info["charts_url"] == f"/api/models/{job.id}/charts?key={key}"
    assert info["remote_url"] == f"/api/models/{job.id}/remotemonitor?key={key}"


def test_only_the_platforms_job_calls_are_served(devserver):
    job = devserver.create_job()
    for method, path in (("GET", ""), ("GET", "/status"), ("GET", "/artifacts"),
                         ("GET", "/artifacts/a.bin"), ("PUT", "/artifacts/a.bin"),
                         ("PUT", "/output")):  # fmt: skip
        answer = requests.request(method, job.url + path, headers=job.headers, timeout=5)
        assert answer.status_code in (401, 404, 405), (method, path, answer.status_code)
    assert devserver.state(job.id)["writes"] == {}


def test_a_report_lives_under_reports(devserver, object_store):
    job = devserver.create_job(kind="report")
    done = requests.post(job.url + "/charts?name=c", json={}, headers=job.headers, timeout=5)
    assert done.status_code == 204
    other = job.url.replace("/reports/", "/models/") + "/charts?name=c"
    assert requests.post(other, json={}, headers=job.headers, timeout=5).status_code == 404
    assert _info(object_store, job)["complete_url"].startswith(f"/api/reports/{job.id}/")


def test_the_schema_is_kept_as_platform_ui_json(devserver):
    job = devserver.create_job()
    expected = emit_platform_ui(load_schema(DEMO_SCHEMA))
    assert devserver.state(job.id)["schema"] == expected


def test_a_platform_ui_document_is_accepted_as_schema(devserver, object_store):
    document = emit_platform_ui(load_schema(DEMO_SCHEMA))
    job = devserver.create_job(document, settings={"training": {"epochs": 3}})
    settings = _info(object_store, job)["settings"]
    assert settings["training"]["epochs"] == 3


def test_invalid_settings_are_refused_with_every_problem(devserver):
    body = {
        "schema": DEMO_SCHEMA.read_text(),
        "settings": {"training": {"epochs": 0, "learning_rate": -1}},
    }
    answer = requests.post(
        devserver.base_url + "/api/admin/jobs",
        json=body,
        headers=devserver.admin_headers,
        timeout=5,
    )
    assert answer.status_code == 400
    paths = {p["path"] for p in answer.json()["problems"]}
    assert {"training.epochs", "training.learning_rate"} <= paths


def test_an_unknown_preset_and_a_broken_schema_are_refused(devserver):
    url = devserver.base_url + "/api/admin/jobs"
    preset = requests.post(
        url,
        json={"schema": DEMO_SCHEMA.read_text(), "preset": "nope"},
        headers=devserver.admin_headers,
        timeout=5,
    )
    assert preset.status_code == 400 and "nope" in preset.text
    broken = requests.post(
        url,
        json={"schema": "fields: {a: {type: nonsense}}"},
        headers=devserver.admin_headers,
        timeout=5,
    )
    assert broken.status_code == 400 and broken.json()["error"] == "invalid schema"


def test_admin_calls_need_the_admin_token(devserver):
    job = devserver.create_job()
    for headers in ({}, job.headers, {"Authorization": "Bearer wrong"}):
        answer = requests.get(
            f"{devserver.base_url}/api/admin/jobs/{job.id}", headers=headers, timeout=5
        )
        assert answer.status_code == 401
    listing = requests.get(
        devserver.base_url + "/api/admin/jobs", headers=devserver.admin_headers, timeout=5
    )
    assert job.id in {j["id"] for j in listing.json()["jobs"]}


def test_charts_progress_and_status(devserver):
    job = devserver.create_job()
    state = devserver.state(job.id)
    assert (state["status"], state["model_path"], state["reason"]) == ("created", None, None)
    assert state["metrics"] == {} and state["output"] is None
    chart = {"mark": "line", "data": {"values": [{"x": 1, "y": 2}]}}
    posted = requests.post(
        job.url + "/charts",
        params={"name": "loss curve"},
        json=chart,
        headers=job.headers,
        timeout=5,
    )
    assert posted.status_code == 204 and posted.content == b""
    form = requests.post(
        job.url + "/remotemonitor",
        data={"data": json.dumps({"epoch": 1, "loss": 0.5})},
        headers=job.headers,
        timeout=5,
    )
    as_json = requests.post(
        job.url + "/remotemonitor", json={"epoch": 2, "loss": 0.4}, headers=job.headers, timeout=5
    )
    assert form.status_code == 204 and as_json.status_code == 204
    state = devserver.state(job.id)
    assert state["status"] == "running"
    assert state["charts"] == {"loss curve": chart}
    assert state["progress"] == [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.4}]


def test_complete_ends_write_access(devserver):
    job = devserver.create_job()
    done = requests.post(
        job.url + "/complete",
        params={"modelPath": "artifacts/saved_model.tar.gz"},
        headers=job.headers,
        timeout=5,
    )
    assert done.status_code == 200
    assert done.json() == {
        "status": "completed",
        "model_path": "artifacts/saved_model.tar.gz",
        "reason": None,
    }
    again = requests.post(job.url + "/complete", headers=job.headers, timeout=5)
    assert again.status_code == 409 and again.json() == {"error": "already completed"}
    for method, path, kwargs in (
        ("POST", "/charts?name=c", {"json": {}}),
        ("POST", "/remotemonitor", {"json": {"epoch": 1}}),
    ):
        answer = requests.request(method, job.url + path, headers=job.headers, timeout=5, **kwargs)
        assert answer.status_code == 409, (method, path)
    state = devserver.state(job.id)
    assert state["status"] == "completed" and state["completions"] == 1
    assert state["output"] is None and state["artifacts"] == [] and state["progress"] == []


def test_a_failure_is_a_completion_with_a_reason(devserver):
    job = devserver.create_job()
    failed = requests.post(
        job.url + "/complete",
        json={"status": "failed", "reason": "out of memory"},
        headers=job.headers,
        timeout=5,
    )
    assert failed.status_code == 200
    status = devserver.state(job.id)
    assert status["status"] == "failed" and status["reason"] == "out of memory"
    assert status["model_path"] == ""


def test_idempotent_replay_applies_once(devserver):
    job = devserver.create_job()
    key = _key()
    first = requests.post(
        job.url + "/remotemonitor", json={"epoch": 1}, headers={**job.headers, **key}, timeout=5
    )
    second = requests.post(
        job.url + "/remotemonitor", json={"epoch": 1}, headers={**job.headers, **key}, timeout=5
    )
    assert first.status_code == second.status_code == 204
    assert "Idempotent-Replay" not in first.headers
    assert second.headers["Idempotent-Replay"] == "true"
    state = devserver.state(job.id)
    assert state["progress"] == [{"epoch": 1}]
    assert state["writes"] == {key["Idempotency-Key"]: 1}


def test_a_completion_replayed_after_the_end_is_not_a_conflict(devserver):
    job = devserver.create_job()
    key = _key()
    url = job.url + "/complete?modelPath=artifacts%2Fm.tar.gz"
    first = requests.post(url, headers={**job.headers, **key}, timeout=5)
    replay = requests.post(url, headers={**job.headers, **key}, timeout=5)
    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json() and replay.headers["Idempotent-Replay"] == "true"
    assert devserver.state(job.id)["completions"] == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(devserver):
    job = devserver.create_job()
    key = _key()
    headers = {**job.headers, **key}
    chart = requests.post(job.url + "/charts?name=c", json={}, headers=headers, timeout=5)
    assert chart.ok
    other = requests.post(job.url + "/remotemonitor", json={"epoch": 1}, headers=headers, timeout=5)
    assert other.status_code == 422
    assert devserver.state(job.id)["progress"] == []


def test_writes_without_an_idempotency_key_are_applied_each_time(devserver):
    job = devserver.create_job()
    for _ in range(2):
        answer = requests.post(
            job.url + "/remotemonitor", json={"epoch": 1}, headers=job.headers, timeout=5
        )
        assert answer.status_code == 204
    assert devserver.state(job.id)["progress"] == [{"epoch": 1}, {"epoch": 1}]


def test_a_bad_idempotency_key_is_refused(devserver):
    job = devserver.create_job()
    answer = requests.post(
        job.url + "/charts?name=c",
        json={},
        headers={**job.headers, "Idempotency-Key": "../../etc"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert devserver.state(job.id)["charts"] == {}


def test_the_store_keeps_no_key(devserver):
    job = devserver.create_job()
    requests.post(job.url + "/charts?name=c", json={"a": 1}, headers={**job.headers, **_key()},
                  timeout=5)  # fmt: skip
    for path in devserver.root.rglob("*"):
        if path.is_file():
            assert job.api_key.encode() not in path.read_bytes(), path
