"""Platform mode on the object store: info.json from the job's storage folder, artifacts
and output.json written there with job-scoped credentials, datasets read the same way;
the store stopped mid-run, credentials expiring, faults on the API server.

The dev platform (in a thread, or a subprocess) and a real SeaweedFS S3 gateway, both on
loopback (fixtures in tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from brevetti_job import Job, PlatformAuthError, StoragePermissionError
from brevetti_job._datasets import read_samples_csv

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema_examples" / "image_classification.yaml"
EXAMPLE = ROOT / "schema_examples" / "train_classifier.py"


def _env(tmp_path: Path, job: Any, **extra: str) -> dict[str, str]:
    return {
        "BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"),
        "BREVETTIAI_DATA_BUCKET": job.data_bucket,
        "AWS_ENDPOINT_URL": job.s3_endpoint,
        **extra,
    }


def _init(tmp_path: Path, server: Any, job: Any, **kw: Any) -> Job:
    env = _env(tmp_path, job, **kw.pop("env", {}))
    return Job.init(
        job.id, job.api_key, SCHEMA, host=server.base_url,
        job_dir=kw.pop("job_dir", tmp_path / "job"), argv=kw.pop("argv", []), env=env, **kw,
    )  # fmt: skip


def _objects(object_store: Any, job: Any) -> dict[str, bytes]:
    """Everything under the job's storage folder, read with the store's admin keys."""
    bucket = job.data_bucket.removeprefix("s3://")
    client = object_store.client()
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{job.id}/"
    ):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"].removeprefix(f"{job.id}/")] = body
    return found


def _records(job_dir: Path, state: str = "done") -> list[dict[str, Any]]:
    folder = job_dir / "outbox" / (state if state != "pending" else "")
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def _no_key(key: str, *texts: str, folder: Path) -> None:
    for text in texts:
        assert key not in text
    for path in folder.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


def test_the_job_lives_in_its_storage_folder_and_reads_its_datasets(
    devserver, object_store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")  # boto3, urllib3 and requests lines too
    dataset = devserver.create_dataset(
        "screws", {"good/a.png": b"a", "good/b.png": b"bb", "bad/c.png": b"ccc", "x.txt": b"t"}
    )
    job = devserver.create_job(preset="quick", datasets=[dataset["id"]])
    with _init(tmp_path, devserver, job) as running:
        assert running.storage.url("info.json") == f"{job.data_bucket}/{job.id}/info.json"
        assert running.settings.data.samples == 200  # from info.json in the storage folder
        (screws,) = running.datasets
        assert (screws.id, screws.name) == (dataset["id"], "screws")
        samples = screws.samples()
        assert sorted(s.category for s in samples) == [("bad",), ("good",), ("good",)]
        assert all(s.path.startswith(screws.bucket + "/") for s in samples)
        assert running.storage.read_bytes(samples[0].path) in (b"a", b"bb", b"ccc")
        running.save_samples(samples)
        running.add_output_metric("accuracy", 0.5)
        running.upload_artifact("weights.bin", b"w" * 5000)
        (running.artifacts_dir / "report.html").write_text("<p>report</p>")  # a plain write
        running.report_progress(1, loss=0.5)
        running.upload_chart("curve", {"mark": "line"})
        with pytest.raises(StoragePermissionError):  # another folder: not the job's
            running.storage.write_bytes(f"{job.data_bucket}/someone-else/x.bin", b"x")
    stored = _objects(object_store, job)
    assert set(stored) >= {
        "info.json", "artifacts/output.json", "artifacts/samples.csv",
        "artifacts/weights.bin", "artifacts/report.html",
    }  # fmt: skip
    assert stored["artifacts/weights.bin"] == b"w" * 5000
    local = tmp_path / "job" / "artifacts"
    assert json.loads(stored["artifacts/output.json"]) == json.loads(
        (local / "output.json").read_text()
    )
    assert json.loads(stored["artifacts/output.json"])["output"] == {"accuracy": 0.5}
    assert len(read_samples_csv(stored["artifacts/samples.csv"].decode())) == 3
    state = devserver.state(job.id)
    assert state["status"] == "completed" and state["completions"] == 1
    assert [p["epoch"] for p in state["progress"]] == [1]
    assert state["charts"] == {"curve": {"mark": "line"}}
    done = _records(tmp_path / "job")
    assert {r["transport"] for r in done if r["op"] in ("artifact", "output")} == {"storage"}
    assert _records(tmp_path / "job", "pending") == []
    _no_key(job.api_key, caplog.text, folder=tmp_path / "job")
    written = {name: data for name, data in stored.items() if name != "info.json"}
    assert all(job.api_key.encode() not in data for data in written.values())  # the job's own


def test_the_object_store_stopped_mid_run_then_sync_delivers_everything_once(
    devserver, object_store, tmp_path: Path
) -> None:
    job = devserver.create_job(preset="quick")
    job_dir = tmp_path / "job"
    env = {"BREVETTI_RETRY_BUDGET": "0.5"}
    with _init(tmp_path, devserver, job, env=env) as running:
        running.upload_artifact("before.bin", b"b" * 100)
        object_store.seaweed.stop()  # the store goes away mid-run
        try:
            running.upload_artifact("during.bin", b"d" * 100)
            (running.artifacts_dir / "plain.txt").write_text("written while it was down")
            running.add_output_metric("accuracy", 0.75)
            running.report_progress(1, loss=0.25)
        finally:
            object_store.seaweed.start()
        pending = [r["op"] for r in _records(job_dir, "pending")]
        assert pending[:1] == ["artifact"]  # kept, in order, behind the outage
    # the store is back; what the end of the job did not deliver, sync does
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    synced = subprocess.run(
        [sys.executable, "-m", "brevetti_job", "sync", str(job_dir), "--host",
         devserver.base_url],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**base, **_env(tmp_path, job), "PYTHONPATH": str(ROOT),
             "BREVETTI_API_KEY": job.api_key},
    )  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    assert _records(job_dir, "pending") == [] and not (job_dir / "outbox" / "rejected").exists()
    stored = _objects(object_store, job)
    for name in ("before.bin", "during.bin", "plain.txt", "output.json"):
        assert stored[f"artifacts/{name}"] == (job_dir / "artifacts" / name).read_bytes()
    state = devserver.state(job.id)
    assert state["status"] == "completed" and state["completions"] == 1
    assert set(state["writes"].values()) == {1}  # nothing applied twice
    assert [p["epoch"] for p in state["progress"]] == [1]
    keys = [r["idempotency_key"] for r in _records(job_dir)]
    assert len(keys) == len(set(keys))
    _no_key(job.api_key, synced.stdout, synced.stderr, folder=job_dir)


def test_credentials_that_expire_mid_run_are_renewed(
    devserver, object_store, tmp_path: Path
) -> None:
    dataset = devserver.create_dataset("renewed", {"a/1.png": b"one"})
    job = devserver.create_job(preset="quick", datasets=[dataset["id"]])
    folder = f"job {job.id}"
    with _init(tmp_path, devserver, job) as running:
        running.upload_artifact("first.bin", b"1")
        (sample,) = running.datasets[0].samples()
        assert devserver.state(job.id)["credentials_issued"] == {
            folder: 1, f"dataset {dataset['id']}": 1,
        }  # fmt: skip
        revoked = requests.delete(
            f"{devserver.base_url}/api/admin/jobs/{job.id}/credentials",
            headers=devserver.admin_headers, timeout=30,
        )  # fmt: skip
        assert revoked.status_code == 200 and revoked.json()["revoked"] == 2
        # the store refuses the job's keys now, as it does once they expired
        assert running.storage.read_bytes("artifacts/first.bin") == b"1"  # renewed, then read
        running.upload_artifact("second.bin", b"2")
        assert running.storage.read_bytes(sample.path) == b"one"
        issued = devserver.state(job.id)["credentials_issued"]
        assert issued == {folder: 2, f"dataset {dataset['id']}": 2}  # one renewal each
    stored = _objects(object_store, job)
    assert stored["artifacts/first.bin"] == b"1" and stored["artifacts/second.bin"] == b"2"
    assert _records(tmp_path / "job", "pending") == []
    assert devserver.state(job.id)["status"] == "completed"


FAULT_ENV = {"BREVETTI_RETRY_ATTEMPTS": "40", "BREVETTI_RETRY_BUDGET": "120"}


@pytest.mark.parametrize("mode", ["503", "applied-then-503"])
def test_with_30_percent_of_api_requests_failing_everything_arrives_once(
    devserver, object_store, tmp_path: Path, mode: str
) -> None:
    job = devserver.create_job(preset="quick")
    job_dir = tmp_path / "job"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    with devserver.faults(0.3, modes=[mode], seed=11):
        result = subprocess.run(
            [sys.executable, str(EXAMPLE), "--job_dir", str(job_dir), "--model_id", job.id,
             "--api_key", job.api_key, "--host", devserver.base_url, "--training.epochs", "8"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
            env={**base, **_env(tmp_path, job, **FAULT_ENV), "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        injected = devserver.fault_state()["injected"][mode]
    assert result.returncode == 0, result.stderr
    assert injected >= 3
    devserver.wait_idle()
    state = devserver.state(job.id)
    assert state["status"] == "completed" and state["completions"] == 1
    assert _records(job_dir, "pending") == [] and not (job_dir / "outbox" / "rejected").exists()
    http = [r["idempotency_key"] for r in _records(job_dir) if r["transport"] == "http"]
    assert state["writes"] == dict.fromkeys(http, 1)  # each platform call applied once
    stored = _objects(object_store, job)
    for path in (job_dir / "artifacts").rglob("*"):
        if path.is_file():
            name = path.relative_to(job_dir).as_posix()
            assert stored[name] == path.read_bytes(), name
    local = [json.loads(line) for line in (job_dir / "progress.jsonl").read_text().splitlines()]
    assert state["progress"] == local  # every record, in order
    _no_key(job.api_key, result.stdout, result.stderr, folder=job_dir)


def test_the_cache_path_caches_dataset_reads(devserver, tmp_path: Path) -> None:
    dataset = devserver.create_dataset("one", {"a/1.png": b"png bytes"})
    job = devserver.create_job(preset="quick", datasets=[dataset["id"]])
    cache = tmp_path / "cache"
    with _init(tmp_path, devserver, job, argv=["--cache_path", str(cache)]) as running:
        (sample,) = running.datasets[0].samples()
        local = running.storage.cached(sample.path)
        assert local.read_bytes() == b"png bytes"
        assert cache in local.parents  # --cache_path is the job's cache
    again = tmp_path / "cache2"
    second = devserver.create_job(preset="quick", datasets=[dataset["id"]])  # one ended
    with _init(
        tmp_path, devserver, second, job_dir=tmp_path / "j2",
        env={"BREVETTI_AI_CACHE": str(again)},
    ) as running:  # fmt: skip
        (sample,) = running.datasets[0].samples()
        assert again in running.storage.cached(sample.path).parents  # or BREVETTI_AI_CACHE


def test_a_dataset_the_platform_does_not_know_or_in_a_wrong_bucket_is_a_clear_error(
    devserver, object_store, tmp_path: Path
) -> None:
    """The description lists a dataset the platform has no record of (deleted, say), and
    datasets whose bucket is wrong: each is a clear error naming it when the job reads it;
    the store, not our client, refuses the wrong buckets; the good dataset still reads."""
    good = devserver.create_dataset("good", {"a/1.png": b"one"})
    other = devserver.create_dataset("other", {"b/2.png": b"two"})
    job = devserver.create_job(preset="quick", datasets=[good["id"]])
    ghost = "00000000-0000-4000-8000-00000000dead"
    bucket = job.data_bucket.removeprefix("s3://")
    admin = object_store.client()
    info = json.loads(admin.get_object(Bucket=bucket, Key=f"{job.id}/info.json")["Body"].read())
    info["datasets"] += [
        {"id": ghost, "name": "ghost"},
        {"id": good["id"], "name": "no such bucket", "bucket": f"s3://gone-{os.getpid()}/x"},
        {
            "id": good["id"],
            "name": "another's folder",
            "bucket": f"{job.data_bucket}/{other['id']}",
        },
    ]
    admin.put_object(Bucket=bucket, Key=f"{job.id}/info.json", Body=json.dumps(info).encode())
    with _init(tmp_path, devserver, job) as running:
        found, unknown, nowhere, elsewhere = running.datasets
        assert [s.category for s in found.samples()] == [("a",)]
        with pytest.raises(PlatformAuthError) as refused:
            unknown.samples()
        assert refused.value.status == 403
        assert f"dataset {ghost}" in str(refused.value) and "not given" in str(refused.value)
        for dataset in (nowhere, elsewhere):
            with pytest.raises(StoragePermissionError, match="refused by the store") as caught:
                dataset.samples()
            assert dataset.bucket in str(caught.value) and "AccessDenied" in str(caught.value)
        for error in (refused.value, caught.value):
            assert job.api_key not in f"{error} {error!r} {error.__cause__}"
        running.add_output_metric("read", 1)
    state = devserver.state(job.id)
    assert state["status"] == "completed" and state["output"]["output"] == {"read": 1}
    _no_key(job.api_key, folder=tmp_path / "job")


def test_links_out_of_the_artifacts_folder_never_reach_the_store(
    devserver, object_store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file link or a folder link under artifacts/ that leads out of it is not sent
    (a job must not publish what lies beside it); a link inside the folder is."""
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("not an artifact")
    (outside / "deep" / "more.txt").write_text("nor this")
    job = devserver.create_job(preset="quick")
    with _init(tmp_path, devserver, job) as running:
        artifacts = running.artifacts_dir
        (artifacts / "report.html").write_text("<p>report</p>")
        (artifacts / "leak.txt").symlink_to(outside / "secret.txt")
        (artifacts / "folder").symlink_to(outside, target_is_directory=True)
        (artifacts / "same.html").symlink_to(artifacts / "report.html")
        running.sync_artifacts()
    stored = _objects(object_store, job)
    names = {name for name in stored if name.startswith("artifacts/")}
    assert names == {"artifacts/output.json", "artifacts/report.html", "artifacts/same.html"}
    assert all(
        b"not an artifact" not in data and b"nor this" not in data for data in stored.values()
    )
    assert "not sent to the platform" in caplog.text and "leak.txt" in caplog.text
    assert devserver.state(job.id)["status"] == "completed"
