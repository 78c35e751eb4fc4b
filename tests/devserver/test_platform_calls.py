"""The platform's job calls on the dev platform, against the real object store.

Credentials come from ``securitycredentials`` and are used with boto3 directly against
the SeaweedFS gateway: what a job may and may not do is decided BY THE STORE.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import pytest
import requests
from botocore.exceptions import ClientError

from brevetti_job.devserver._page_data import job_view
from brevetti_job.devserver._store import Store

BUCKET = "brevetti-data"


def _credentials(job, **resource: str) -> dict[str, str]:
    answer = requests.get(
        f"{job.base_url}/api/models/{job.id}/securitycredentials",
        params={"key": job.api_key, **resource}, timeout=60,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/xml")
    text = re.sub(r"\s", "", answer.text)  # as the reference reads it
    found = {
        tag: re.search(f"<{tag}>(.*?)</{tag}>", text)
        for tag in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
    }
    assert all(found.values()), answer.text
    return {tag: match.group(1) for tag, match in found.items() if match}


def _s3(object_store, credentials: dict[str, str]):
    return object_store.client(credentials["AccessKeyId"], credentials["SecretAccessKey"])


def _code(call) -> str:
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return ""


@pytest.fixture(scope="module")
def dataset_pair(devserver_session):
    given = devserver_session.create_dataset("given", {"good/a.png": b"A", "bad/b.png": b"B"})
    other = devserver_session.create_dataset("other", {"x.png": b"X"})
    return given, other


def test_creating_a_job_writes_info_json_into_its_folder(devserver, object_store, dataset_pair):
    given, _ = dataset_pair
    job = devserver.create_job(settings={"training": {"epochs": 4}}, datasets=[given["id"]])
    assert job.data_bucket == f"s3://{BUCKET}" and job.s3_endpoint == object_store.endpoint
    assert job.datasets == ({"id": given["id"], "name": "given"},)
    body = object_store.client().get_object(Bucket=BUCKET, Key=f"{job.id}/info.json")["Body"]
    info = json.loads(body.read())
    assert info["id"] == job.id and info["api_key"] == job.api_key
    assert info["host_name"] == devserver.base_url
    assert info["settings"]["training"]["epochs"] == 4
    assert info["complete_url"] == f"/api/models/{job.id}/complete?key={job.api_key}&modelPath="
    assert info["charts_url"] == f"/api/models/{job.id}/charts?key={job.api_key}"
    assert info["remote_url"] == f"/api/models/{job.id}/remotemonitor?key={job.api_key}"
    [entry] = info["datasets"]
    assert entry["id"] == given["id"] and entry["name"] == "given"
    assert entry["bucket"] == f"s3://{BUCKET}/{given['id']}" and entry["created"]
    assert info["models"] == [] and info["tags"] == []
    # the records keep only the key's hash
    assert job.api_key not in json.dumps(devserver.state(job.id))


def test_credentials_reach_only_the_jobs_own_resources_enforced_by_the_store(
    devserver, object_store, dataset_pair
):
    given, other = dataset_pair
    job = devserver.create_job(datasets=[given["id"]])
    neighbour = devserver.create_job()
    own = _credentials(job, modelId=job.id)
    assert own["SessionToken"] == ""
    s3 = _s3(object_store, own)
    s3.put_object(Bucket=BUCKET, Key=f"{job.id}/artifacts/x.txt", Body=b"mine")
    assert json.loads(s3.get_object(Bucket=BUCKET, Key=f"{job.id}/info.json")["Body"].read())
    data = _s3(object_store, _credentials(job, datasetId=given["id"]))
    listed = data.list_objects_v2(Bucket=BUCKET, Prefix=f"{given['id']}/")
    assert sorted(o["Key"].split("/", 1)[1] for o in listed["Contents"]) == [
        "bad/b.png", "good/a.png",
    ]  # fmt: skip
    assert data.get_object(Bucket=BUCKET, Key=f"{given['id']}/good/a.png")["Body"].read() == b"A"

    refused = {
        "write another job's folder": lambda: s3.put_object(
            Bucket=BUCKET, Key=f"{neighbour.id}/artifacts/x.txt", Body=b"x"
        ),
        "read another job's info.json": lambda: s3.get_object(
            Bucket=BUCKET, Key=f"{neighbour.id}/info.json"
        ),
        "read a dataset not given": lambda: s3.get_object(
            Bucket=BUCKET, Key=f"{other['id']}/x.png"
        ),
        "read a dataset not given (dataset keys)": lambda: data.get_object(
            Bucket=BUCKET, Key=f"{other['id']}/x.png"
        ),
        "write into the dataset": lambda: data.put_object(
            Bucket=BUCKET, Key=f"{given['id']}/new.png", Body=b"x"
        ),
        "write the job folder with dataset keys": lambda: data.put_object(
            Bucket=BUCKET, Key=f"{job.id}/artifacts/y.txt", Body=b"x"
        ),
        "list the bucket": lambda: s3.list_objects_v2(Bucket=BUCKET),
    }
    assert {name: _code(call) for name, call in refused.items()} == dict.fromkeys(
        refused, "AccessDenied"
    )


def test_the_platform_refuses_credentials_for_what_the_job_was_not_given(devserver, dataset_pair):
    given, other = dataset_pair
    job = devserver.create_job(datasets=[given["id"]])
    neighbour = devserver.create_job()
    url = f"{devserver.base_url}/api/models/{job.id}/securitycredentials"
    for params, status in (
        ({"key": job.api_key, "datasetId": other["id"]}, 403),
        ({"key": job.api_key, "modelId": neighbour.id}, 403),
        ({"key": job.api_key}, 400),
        ({"key": job.api_key, "modelId": job.id, "datasetId": given["id"]}, 400),
        ({"key": neighbour.api_key, "modelId": job.id}, 403),
        ({"key": "wrong", "modelId": job.id}, 401),
        ({"modelId": job.id}, 401),
    ):
        answer = requests.get(url, params=params, timeout=30)
        assert answer.status_code == status, (params, answer.text)
        assert answer.json()["error"]
    assert Store(devserver.root).credentials(job_id=job.id) == []


def test_a_report_reads_its_models_under_test_and_writes_only_its_own_folder(
    devserver, object_store
):
    model = devserver.create_job()
    s3_model = _s3(object_store, _credentials(model, modelId=model.id))
    s3_model.put_object(Bucket=BUCKET, Key=f"{model.id}/artifacts/model.bin", Body=b"weights")
    report = devserver.create_job(kind="report", models=[model.id])
    answer = requests.get(
        f"{devserver.base_url}/api/models/{report.id}/securitycredentials",
        headers=report.headers,
        params={"modelId": model.id},
        timeout=60,
    )  # the key as a bearer works too; the path says /api/models/ for reports as well
    assert answer.status_code == 200
    reader = _s3(object_store, _credentials(report, modelId=model.id))
    key = f"{model.id}/artifacts/model.bin"
    assert reader.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"weights"
    assert _code(lambda: reader.put_object(Bucket=BUCKET, Key=key, Body=b"x")) == "AccessDenied"
    # only the model's artifacts: its info.json holds that model job's own API key
    info_key = f"{model.id}/info.json"
    assert _code(lambda: reader.get_object(Bucket=BUCKET, Key=info_key)) == "AccessDenied"
    own = _s3(object_store, _credentials(report, modelId=report.id))
    own.put_object(Bucket=BUCKET, Key=f"{report.id}/artifacts/report.html", Body=b"<p>ok</p>")
    info = json.loads(own.get_object(Bucket=BUCKET, Key=f"{report.id}/info.json")["Body"].read())
    assert info["models"] == [{"id": model.id, "bucket": f"s3://{BUCKET}/{model.id}"}]
    assert info["complete_url"].startswith(f"/api/reports/{report.id}/complete?key=")


def test_expired_credentials_are_removed_from_the_store_and_fetched_again(
    start_devserver, object_store
):
    server = start_devserver(credential_ttl=2)
    job = server.create_job()
    first = _credentials(job, modelId=job.id)
    expiry = time.mktime(time.strptime(first["Expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 0 < expiry - time.time() <= 3
    s3 = _s3(object_store, first)
    s3.put_object(Bucket=BUCKET, Key=f"{job.id}/artifacts/a.txt", Body=b"a")
    deadline = time.monotonic() + 60
    while _code(lambda: s3.head_object(Bucket=BUCKET, Key=f"{job.id}/artifacts/a.txt")) == "":
        assert time.monotonic() < deadline, "the expired identity was never removed"
        time.sleep(0.1)  # polling interval; the store's answer decides
    assert _code(lambda: s3.head_object(Bucket=BUCKET, Key=f"{job.id}/info.json")) in (
        "InvalidAccessKeyId", "403",
    )  # fmt: skip
    again = _s3(object_store, _credentials(job, modelId=job.id))  # the refresh
    assert again.get_object(Bucket=BUCKET, Key=f"{job.id}/artifacts/a.txt")["Body"].read() == b"a"


def test_the_platform_urls_of_info_json_complete_chart_and_report_progress(devserver, object_store):
    job = devserver.create_job()
    s3 = _s3(object_store, _credentials(job, modelId=job.id))
    info = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{job.id}/info.json")["Body"].read())
    host = info["host_name"]
    monitor = requests.post(
        host + info["remote_url"], data={"data": json.dumps({"epoch": 1, "loss": 0.5})},
        timeout=10,
    )  # fmt: skip
    assert monitor.status_code == 204
    chart = requests.post(
        host + info["charts_url"] + "&name=loss curve", json={"mark": "line"}, timeout=10
    )
    assert chart.status_code == 204
    tags = requests.get(
        f"{host}/api/resources/roottags", params={"key": job.api_key, "id": job.id}, timeout=10
    )
    assert tags.status_code == 200 and tags.json() == []
    s3.put_object(Bucket=BUCKET, Key=f"{job.id}/artifacts/saved model.tar.gz", Body=b"model")
    done = requests.post(
        host + info["complete_url"] + quote("artifacts/saved model.tar.gz"), timeout=10
    )
    assert done.status_code == 200
    state = devserver.state(job.id)
    assert state["status"] == "completed"
    assert state["model_path"] == "artifacts/saved model.tar.gz"
    assert state["progress"] == [{"epoch": 1, "loss": 0.5}]
    assert state["charts"] == {"loss curve": {"mark": "line"}}
    # completion ends the job's storage access, at the store
    code = _code(lambda: s3.put_object(Bucket=BUCKET, Key=f"{job.id}/artifacts/late", Body=b"x"))
    assert code in ("InvalidAccessKeyId", "AccessDenied")
    late = requests.get(
        f"{host}/api/models/{job.id}/securitycredentials",
        params={"key": job.api_key, "modelId": job.id}, timeout=10,
    )  # fmt: skip
    assert late.status_code == 409


def test_the_model_page_reads_output_and_artifacts_from_the_storage_folder(devserver, object_store):
    job = devserver.create_job()
    s3 = _s3(object_store, _credentials(job, modelId=job.id))
    output = {"output": {"accuracy": 0.93}, "environment": {}, "job": {"id": job.id}}
    s3.put_object(Bucket=BUCKET, Key=f"{job.id}/artifacts/output.json",
                  Body=json.dumps(output).encode())  # fmt: skip
    s3.put_object(Bucket=BUCKET, Key=f"{job.id}/artifacts/plots/report.html", Body=b"<p>hi</p>")
    store = Store(devserver.root)
    try:
        view = job_view(store, job.id, devserver.app.space)
    finally:
        store.close()
    assert view is not None
    assert view.summary.metrics == {"accuracy": 0.93}
    assert [(a["name"], a["size"]) for a in view.artifacts] == [("plots/report.html", 9)]
    page = requests.get(f"{devserver.base_url}/jobs/{job.id}", headers=devserver.admin_headers,
                        timeout=10)  # fmt: skip
    assert page.status_code == 200 and "plots/report.html" in page.text and "0.93" in page.text
    download = requests.get(
        f"{devserver.base_url}/jobs/{job.id}/artifacts/plots/report.html",
        headers=devserver.admin_headers, timeout=10,
    )  # fmt: skip
    assert download.status_code == 200 and download.content == b"<p>hi</p>"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_a_dataset_is_stored_under_its_id_in_the_data_bucket(devserver, object_store):
    record = devserver.create_dataset("parts", {"ok/1.png": b"1", "nok/deep/2.png": b"22"})
    assert record["bucket"] == f"s3://{BUCKET}/{record['id']}"
    listed = object_store.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{record['id']}/")
    sizes = {o["Key"].split("/", 1)[1]: o["Size"] for o in listed["Contents"]}
    assert sizes == {"ok/1.png": 1, "nok/deep/2.png": 2}
    listing = requests.get(
        devserver.base_url + "/api/admin/datasets", headers=devserver.admin_headers, timeout=10
    ).json()
    assert record in listing["datasets"]
    missing = requests.post(
        devserver.base_url + "/api/admin/jobs", json={"datasets": ["no-such-dataset"]},
        headers=devserver.admin_headers, timeout=10,
    )  # fmt: skip
    assert missing.status_code == 400 and "no-such-dataset" in missing.json()["error"]
