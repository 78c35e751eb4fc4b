"""Every job-side endpoint of the dev server, over loopback with plain `requests`."""

from __future__ import annotations

import hashlib
import json
import uuid

import requests

from brevetti_schema import emit_platform_ui, load_schema

from ..conftest import DEMO_SCHEMA


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_index_and_openapi_answer_without_a_key(devserver):
    index = requests.get(devserver.base_url + "/", timeout=5)
    assert index.status_code == 200 and index.json()["openapi"] == "/openapi.json"
    document = requests.get(devserver.base_url + "/openapi.json", timeout=5)
    assert document.status_code == 200
    assert document.json()["openapi"].startswith("3.1")


def test_description_has_settings_in_transport_form_and_no_key(devserver):
    job = devserver.create_job(settings={"training": {"epochs": 7}}, name="demo")
    answer = requests.get(job.url, headers=job.headers, timeout=5)
    assert answer.status_code == 200
    description = answer.json()
    assert "api_key" not in description
    assert job.api_key not in answer.text
    assert description["id"] == job.id and description["name"] == "demo"
    assert description["host_name"] == devserver.base_url
    assert description["settings"]["training"]["epochs"] == 7
    assert description["settings"]["classes"] == '["good", "defect"]'  # isJson: JSON text
    assert description["complete_url"] == f"/api/models/{job.id}/complete?modelPath="
    assert description["charts_url"] == f"/api/models/{job.id}/charts"
    assert description["remote_url"] == f"/api/models/{job.id}/remotemonitor"
    assert "key" not in description["complete_url"]


def test_a_report_lives_under_reports(devserver):
    job = devserver.create_job(kind="report")
    assert requests.get(job.url, headers=job.headers, timeout=5).status_code == 200
    other = job.url.replace("/reports/", "/models/")
    assert requests.get(other, headers=job.headers, timeout=5).status_code == 404
    description = requests.get(job.url, headers=job.headers, timeout=5).json()
    assert description["complete_url"].startswith(f"/api/reports/{job.id}/")


def test_the_schema_is_kept_as_platform_ui_json(devserver):
    job = devserver.create_job()
    expected = emit_platform_ui(load_schema(DEMO_SCHEMA))
    assert devserver.state(job.id)["schema"] == expected


def test_a_platform_ui_document_is_accepted_as_schema(devserver):
    document = emit_platform_ui(load_schema(DEMO_SCHEMA))
    job = devserver.create_job(document, settings={"training": {"epochs": 3}})
    settings = requests.get(job.url, headers=job.headers, timeout=5).json()["settings"]
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


def test_artifact_upload_list_head_download(devserver):
    job = devserver.create_job()
    data = bytes(range(256)) * 1000
    digest = hashlib.sha256(data).hexdigest()
    put = requests.put(
        job.url + "/artifacts/model/weights.bin",
        data=data,
        headers={**job.headers, **_key(), "X-Content-SHA256": digest},
        timeout=10,
    )
    assert put.status_code == 201
    assert put.json() == {"name": "model/weights.bin", "size": len(data), "sha256": digest}
    listing = requests.get(job.url + "/artifacts", headers=job.headers, timeout=5).json()
    assert listing == {"artifacts": [put.json()]}
    head = requests.head(job.url + "/artifacts/model/weights.bin", headers=job.headers, timeout=5)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(data))
    assert head.headers["X-Content-SHA256"] == digest
    assert head.content == b""
    got = requests.get(job.url + "/artifacts/model/weights.bin", headers=job.headers, timeout=5)
    assert got.status_code == 200 and got.content == data
    assert got.headers["X-Content-SHA256"] == digest
    missing = requests.head(job.url + "/artifacts/other.bin", headers=job.headers, timeout=5)
    assert missing.status_code == 404


def test_same_content_again_is_200_and_new_content_replaces(devserver):
    job = devserver.create_job()
    url = job.url + "/artifacts/a.txt"
    assert requests.put(url, data=b"one", headers=job.headers, timeout=5).status_code == 201
    again = requests.put(url, data=b"one", headers=job.headers, timeout=5)
    assert again.status_code == 200
    assert again.json()["sha256"] == hashlib.sha256(b"one").hexdigest()
    changed = requests.put(url, data=b"two", headers=job.headers, timeout=5)
    assert changed.status_code == 201
    assert requests.get(url, headers=job.headers, timeout=5).content == b"two"


def test_sha256_mismatch_stores_nothing(devserver):
    job = devserver.create_job()
    answer = requests.put(
        job.url + "/artifacts/a.txt",
        data=b"content",
        headers={**job.headers, "X-Content-SHA256": "0" * 64},
        timeout=5,
    )
    assert answer.status_code == 400
    assert requests.get(job.url + "/artifacts", headers=job.headers, timeout=5).json() == {
        "artifacts": []
    }
    assert not list((devserver.root / "jobs" / job.id / "artifacts").rglob("*"))
    assert not list((devserver.root / "tmp").glob("*"))


def test_output_charts_progress_and_status(devserver):
    job = devserver.create_job()
    status = requests.get(job.url + "/status", headers=job.headers, timeout=5).json()
    assert status == {"status": "created", "model_path": None, "reason": None, "metrics": {}}
    output = {"output": {"accuracy": 0.9}, "environment": {}, "config": {}}
    put = requests.put(job.url + "/output", json=output, headers=job.headers, timeout=5)
    assert put.status_code == 200 and put.json() == {"ok": True}
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
    status = requests.get(job.url + "/status", headers=job.headers, timeout=5).json()
    assert status["status"] == "running" and status["metrics"] == {"accuracy": 0.9}
    state = devserver.state(job.id)
    assert state["output"] == output
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
        ("PUT", "/output", {"json": {}}),
        ("PUT", "/artifacts/x.bin", {"data": b"x"}),
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
    status = requests.get(job.url + "/status", headers=job.headers, timeout=5).json()
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
    assert requests.put(job.url + "/output", json={}, headers=headers, timeout=5).ok
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
    answer = requests.put(
        job.url + "/output",
        json={},
        headers={**job.headers, "Idempotency-Key": "../../etc"},
        timeout=5,
    )
    assert answer.status_code == 400
    assert devserver.state(job.id)["output"] is None


def test_the_store_keeps_no_key(devserver):
    job = devserver.create_job()
    requests.put(job.url + "/output", json={"a": 1}, headers={**job.headers, **_key()}, timeout=5)
    for path in devserver.root.rglob("*"):
        if path.is_file():
            assert job.api_key.encode() not in path.read_bytes(), path
