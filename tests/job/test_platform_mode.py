"""Platform mode against the dev server: the example job, faults, outages, crashes, sync.

Every test talks to a real dev server on a loopback port (fixtures in tests/conftest.py);
jobs run in subprocesses like on the platform, except where logs are captured in-process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from brevetti_job import Job, JobConfigError, PlatformAuthError, SettingsError
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "schema_examples" / "train_classifier.py"
SCHEMA = ROOT / "schema_examples" / "image_classification.yaml"


# -- helpers ------------------------------------------------------------------------------


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    env["BREVETTI_HYPERPARAMETERS_FILE"] = str(tmp_path / "no-hyperparameters.json")
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def _run(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env or _env(tmp_path),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _example(
    tmp_path: Path, job_dir: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return _run(tmp_path, str(EXAMPLE), "--job_dir", str(job_dir), *args, env=_env(tmp_path, **env))


def _sync(
    tmp_path: Path, job_dir: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return _run(
        tmp_path, "-m", "brevetti_job", "sync", str(job_dir), *args, env=_env(tmp_path, **env)
    )


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _local_artifacts(job_dir: Path) -> dict[str, str]:
    """sha256 by name of a job's artifacts, output.json aside (the admin view shows it as
    the output)."""
    folder = job_dir / "artifacts"
    return {
        p.relative_to(folder).as_posix(): _sha(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "output.json"
    }


def _stored(state: dict[str, Any]) -> dict[str, str]:
    """sha256 by name of the artifacts in the job's storage folder (the admin view)."""
    return {a["name"]: a["sha256"] for a in state["artifacts"]}


def _where(server: Any) -> dict[str, str]:
    """The storage environment of a job of `server` as it runs now (a restarted server
    with its own store has a new endpoint): from ``<root>/server.json``."""
    record = _json(server.root / "server.json")
    return {
        "BREVETTIAI_DATA_BUCKET": record["data_bucket"],
        "AWS_ENDPOINT_URL": record["s3_endpoint"],
    }


def _records(job_dir: Path, state: str = "done") -> list[dict[str, Any]]:
    folder = job_dir / "outbox" / (state if state != "pending" else "")
    return [_json(p) for p in sorted(folder.glob("*.json"))]


def _settled(server: Any, job_id: str) -> dict[str, Any]:
    """The admin view once no job request is in flight (a slow fault may still be running)."""
    deadline = time.monotonic() + 30
    while server.fault_state()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.02)  # wait for the server's own in-flight count, not for a guess
    state: dict[str, Any] = server.state(job_id)
    return state


def _assert_no_key(key: str, *texts: str, folder: Path | None = None) -> None:
    for text in texts:
        assert key not in text
    if folder is not None:
        for path in folder.rglob("*"):
            if path.is_file():
                assert key.encode() not in path.read_bytes(), path


def _assert_delivered_once(state: dict[str, Any], job_dir: Path) -> None:
    """Every recorded write reached the server, each applied exactly once."""
    assert _records(job_dir, "pending") == []
    assert not (job_dir / "outbox" / "rejected").exists()
    keys = [r["idempotency_key"] for r in _records(job_dir)]
    assert len(keys) == len(set(keys))
    calls = [r["idempotency_key"] for r in _records(job_dir) if r["transport"] == "http"]
    assert state["writes"] == dict.fromkeys(calls, 1)  # files went to storage, not the API
    assert {r["transport"] for r in _records(job_dir) if r["op"] in ("artifact", "output")} <= {
        "storage"
    }
    assert all(entry["status"] < 300 for entry in state["idempotency"].values())


def _assert_matches_local_files(state: dict[str, Any], job_dir: Path) -> None:
    """The server holds what the job wrote locally: output.json, artifacts, charts, status."""
    assert state["output"] == _json(job_dir / "artifacts" / "output.json")
    assert _stored(state) == _local_artifacts(job_dir)
    charts = {p.stem: _json(p) for p in (job_dir / "charts").glob("*.json")}
    assert state["charts"] == charts
    status = _json(job_dir / "status.json")
    assert state["status"] == status["status"] and state["completions"] == 1
    assert state["model_path"] == status["model_path"]
    sent = [r["body"] for r in _records(job_dir) if r["op"] == "progress"]
    assert state["progress"] == sent
    local = [json.loads(line) for line in (job_dir / "progress.jsonl").read_text().splitlines()]
    assert sent and sent == local  # every record, in order: delayed maybe, never dropped


def _legacy_info(server: Any, job: Any, path: Path) -> Path:
    """The job's description as the platform writes info.json: with the key, in URLs too."""
    description = server.state(job.id)["description"]
    base = f"/api/models/{job.id}"
    description.update(
        api_key=job.api_key,
        host_name=server.base_url,
        complete_url=f"{base}/complete?key={job.api_key}&modelPath=",
        charts_url=f"{base}/charts?key={job.api_key}",
        remote_url=f"{base}/remotemonitor?key={job.api_key}",
    )
    path.write_text(json.dumps(description))
    return path


# -- the example job ---------------------------------------------------------------------------


def test_example_job_in_platform_mode_matches_a_local_run(devserver, tmp_path: Path) -> None:
    job = devserver.create_job(preset="quick")
    on_platform, local = tmp_path / "platform", tmp_path / "local"
    result = _example(
        tmp_path, on_platform, "--model_id", job.id, "--api_key", job.api_key,
        "--host", devserver.base_url, "--training.epochs", "6", **job.storage_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = _json(on_platform / "info.json")  # the cached description, without the key
    assert info["id"] == job.id and "api_key" not in info
    assert info["settings"]["data"]["samples"] == 200  # the preset the job was made with
    same = _example(
        tmp_path, local, "--info_file", str(on_platform / "info.json"), "--training.epochs", "6"
    )
    assert same.returncode == 0, same.stderr

    state = _settled(devserver, job.id)
    _assert_delivered_once(state, on_platform)
    _assert_matches_local_files(state, on_platform)
    # ... and it is what a local run of the same settings makes
    ours, theirs = state["output"], _json(local / "artifacts" / "output.json")
    assert ours["output"] == theirs["output"]
    assert ours["job"]["settings"] == theirs["job"]["settings"]
    assert state["status"] == "completed" and state["completions"] == 1
    assert state["model_path"] == _json(local / "status.json")["model_path"]
    server_files = {a["name"] for a in state["artifacts"]}
    assert server_files == set(_local_artifacts(local))
    assert _local_artifacts(on_platform)["history.json"] == _local_artifacts(local)["history.json"]
    models = []
    for folder in (on_platform, local):
        with tarfile.open(folder / state["model_path"]) as tar:
            models.append(json.load(tar.extractfile("model.json")))  # type: ignore[arg-type]
    assert models[0] == models[1]  # the archive differs only in its gzip timestamp
    assert state["charts"] == {"learning_curve": _json(local / "charts" / "learning_curve.json")}
    assert [r["epoch"] for r in state["progress"]][-1] == ours["output"]["epochs_trained"]
    _assert_no_key(job.api_key, result.stdout, result.stderr, folder=on_platform)


FAULT_ENV = {"BREVETTI_RETRY_ATTEMPTS": "40", "BREVETTI_RETRY_BUDGET": "120"}


@pytest.mark.parametrize("mode", ["503", "drop", "slow", "applied-then-503"])
def test_with_30_percent_of_requests_failing_everything_arrives_once(
    devserver, tmp_path: Path, mode: str
) -> None:
    job = devserver.create_job(preset="quick")
    job_dir = tmp_path / "job"
    env = dict(FAULT_ENV)
    if mode == "slow":
        env["BREVETTI_HTTP_TIMEOUT"] = "2,0.2"  # shorter than the server's delay
    with devserver.faults(0.3, modes=[mode], delay=0.5, seed=7):
        result = _example(
            tmp_path, job_dir, "--model_id", job.id, "--api_key", job.api_key,
            "--host", devserver.base_url, "--training.epochs", "12", **env, **job.storage_env,
        )  # fmt: skip
        injected = devserver.fault_state()["injected"][mode]
    assert result.returncode == 0, result.stderr
    assert injected >= 3
    state = _settled(devserver, job.id)
    _assert_delivered_once(state, job_dir)
    _assert_matches_local_files(state, job_dir)
    assert state["status"] == "completed" and state["completions"] == 1
    assert {a["name"] for a in state["artifacts"]} == {"history.json", "classifier.tar.gz"}


# -- outages, crashes and sync ------------------------------------------------------------


def test_server_down_for_the_whole_run_then_sync_delivers_everything_once(
    devserver_process, tmp_path: Path
) -> None:
    server = devserver_process(own_store=True)
    job = server.create_job(preset="quick")
    info = _legacy_info(server, job, tmp_path / "info.json")
    server.stop()  # nothing listens on its port now, and its object store is down too
    job_dir = tmp_path / "job"
    result = _example(
        tmp_path, job_dir, "--model_id", job.id, "--api_key", job.api_key, "--host",
        server.base_url, "--info_file", str(info), "--training.epochs", "5",
        BREVETTI_RETRY_BUDGET="0.3", **job.storage_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _json(job_dir / "status.json")["status"] == "completed"
    pending = _records(job_dir, "pending")
    assert [r["op"] for r in pending][-1] == "complete" and len(pending) >= 6
    assert "platform unreachable" in result.stderr and "brevetti-job sync" in result.stderr
    for record in pending:  # legacy ?key= URLs were stripped; the key is in no record
        assert "key" not in dict(record["params"])
        if record["transport"] == "http":
            assert record["path"].startswith("/api/models/")
        else:  # a file for the job's storage folder
            assert record["path"].startswith(f"{job.data_bucket}/{job.id}/artifacts/")
    _assert_no_key(job.api_key, result.stdout, result.stderr, folder=job_dir)
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("brevetti-job")), "status", str(job_dir)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert f"0 writes delivered, {len(pending)} pending" in shown.stdout

    server.start()  # its object store has a new endpoint: sync is told it
    where = _where(server)
    no_key = _sync(tmp_path, job_dir, **where)
    assert no_key.returncode == 1 and "no API key" in no_key.stderr
    wrong = _sync(tmp_path, job_dir, "--api-key", "key_WRONG_0123456789", **where)
    assert wrong.returncode == 1 and "refused the job's" in wrong.stderr and "401" in wrong.stderr
    assert len(_records(job_dir, "pending")) == len(pending)
    assert server.state(job.id)["writes"] == {}

    synced = _sync(tmp_path, job_dir, BREVETTI_API_KEY=job.api_key, **where)
    assert synced.returncode == 0, synced.stderr
    assert f"delivered {len(pending)} (" in synced.stdout and "pending 0" in synced.stdout
    state = server.state(job.id)
    _assert_delivered_once(state, job_dir)
    _assert_matches_local_files(state, job_dir)

    again = _sync(tmp_path, job_dir, "--api-key", job.api_key, **where)
    assert again.returncode == 0 and "nothing pending" in again.stdout
    assert server.state(job.id) == state
    _assert_no_key(job.api_key, *(r.stdout + r.stderr for r in (no_key, wrong, synced, again)))


_CRASHING_JOB = """
import sys
from brevetti_job import Job

job = Job.init(schema={schema!r}, argv=sys.argv[1:])
job.add_output_metrics({{"accuracy": 0.75, "loss": 0.5}})
job.upload_job_output()
job.upload_artifact("models/weights.bin", bytes(range(256)) * 1000)
job.upload_chart("curve", {{"mark": "line", "data": {{"values": [1, 2]}}}})
job.report_progress(1, loss=0.5)
print("ready", flush=True)
sys.stdin.read()  # blocks until the test kills it
"""


def test_a_job_killed_mid_run_is_delivered_by_sync(devserver_process, tmp_path: Path) -> None:
    server = devserver_process(own_store=True)
    job = server.create_job(preset="quick")
    info = _legacy_info(server, job, tmp_path / "info.json")
    server.stop()
    job_dir = tmp_path / "job"
    script = tmp_path / "crashing_job.py"
    script.write_text(textwrap.dedent(_CRASHING_JOB.format(schema=str(SCHEMA))))
    argv = ["--model_id", job.id, "--api_key", job.api_key, "--host", server.base_url,
            "--info_file", str(info), "--job_dir", str(job_dir)]  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, str(script), *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env=_env(tmp_path, BREVETTI_RETRY_BUDGET="0.3", **job.storage_env),
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"  # the handshake: its writes are recorded
    child.kill()
    _, errors = child.communicate(timeout=30)
    recorded = _records(job_dir, "pending")
    assert [r["op"] for r in recorded] == ["output", "output", "artifact", "chart", "progress"]

    # the platform comes back on another port; sync is told where
    moved = devserver_process(server.root, own_store=True)
    synced = _sync(
        tmp_path, job_dir, "--api-key", job.api_key, "--host", moved.base_url, **_where(moved)
    )
    assert synced.returncode == 0, synced.stderr
    state = moved.state(job.id)
    _assert_delivered_once(state, job_dir)
    assert state["status"] == "running" and state["completions"] == 0
    assert state["output"]["output"] == {"accuracy": 0.75, "loss": 0.5}
    weights = hashlib.sha256(bytes(range(256)) * 1000).hexdigest()
    assert [(a["name"], a["size"], a["sha256"]) for a in state["artifacts"]] == [
        ("models/weights.bin", 256000, weights)
    ]
    assert state["charts"] == {"curve": {"mark": "line", "data": {"values": [1, 2]}}}
    assert [p["epoch"] for p in state["progress"]] == [1]
    _assert_no_key(job.api_key, errors, synced.stdout, synced.stderr, folder=job_dir)


# -- in-process: errors, logs, modes --------------------------------------------------------


def _init(tmp_path: Path, server: Any, job: Any, *argv: str, **kw: Any) -> Job:
    env = {
        "BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"),
        **job.storage_env,
        **kw.pop("env", {}),
    }
    return Job.init(
        job.id, kw.pop("api_key", job.api_key), SCHEMA, host=server.base_url,
        job_dir=kw.pop("job_dir", tmp_path / "job"), argv=list(argv), env=env, **kw,
    )  # fmt: skip


def test_auth_failure_at_start_is_a_clear_error_and_never_retried(
    devserver, tmp_path: Path
) -> None:
    job = devserver.create_job()
    started = time.monotonic()
    with pytest.raises(PlatformAuthError) as caught:
        _init(
            tmp_path,
            devserver,
            job,
            api_key="key_WRONG_0123456789",
            env={"BREVETTI_RETRY_BUDGET": "30"},
        )
    assert time.monotonic() - started < 5
    assert caught.value.status == 401 and "API key" in str(caught.value)
    assert "key_WRONG_0123456789" not in str(caught.value)
    result = _example(
        tmp_path, tmp_path / "j2", "--model_id", job.id, "--api_key", "key_WRONG_0123456789",
        "--host", devserver.base_url, **job.storage_env,
    )  # fmt: skip
    assert result.returncode == 1 and "error:" in result.stderr and "401" in result.stderr
    _assert_no_key("key_WRONG_0123456789", result.stderr, result.stdout)


def test_the_key_is_in_no_log_file_repr_or_error(devserver, tmp_path: Path, caplog) -> None:
    job = devserver.create_job(preset="quick")
    caplog.set_level(logging.DEBUG)  # requests/urllib3 debug lines included
    with pytest.raises(RuntimeError) as caught, _init(tmp_path, devserver, job) as running:
        running.add_output_metric("note", f"not a {job.api_key} leak")
        running.upload_artifact("a.txt", "hello")
        running.report_progress(1, text=f"x{job.api_key}x")
        texts = [repr(running), repr(running.description), repr(running._backend)]
        raise RuntimeError(f"boom with {job.api_key}")
    state = _settled(devserver, job.id)
    assert state["status"] == "failed" and "boom with ********" in state["reason"]
    assert state["output"]["output"] == {"note": "not a ******** leak"}
    assert state["progress"][0]["text"] == "x********x"
    other = devserver.create_job()
    with pytest.raises(PlatformAuthError) as refused:
        _init(tmp_path, devserver, other, api_key=job.api_key, job_dir=tmp_path / "other")
    assert refused.value.status == 403
    _assert_no_key(
        job.api_key, caplog.text, str(refused.value), *texts,
        folder=tmp_path,
    )  # fmt: skip
    assert "boom" in str(caught.value)


def test_invalid_settings_fail_the_job_on_the_platform_too(devserver, tmp_path: Path) -> None:
    job = devserver.create_job(preset="quick")
    with pytest.raises(SettingsError):
        _init(tmp_path, devserver, job, "--training.epochs", "0")
    state = _settled(devserver, job.id)
    assert state["status"] == "failed" and "training.epochs" in state["reason"]
    assert state["completions"] == 1


def test_a_test_report_uses_the_reports_api(devserver, tmp_path: Path) -> None:
    job = devserver.create_job(kind="report", preset="quick")
    argv = ["--test_id", job.id, "--api_key", job.api_key, "--host", devserver.base_url]
    env = {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **job.storage_env}
    with Job.init(schema=SCHEMA, argv=argv, env=env, job_dir=tmp_path / "r") as report:
        assert report.mode == "platform" and report.kind == "report"
        report.add_output_metric("accuracy", 0.9)
    state = _settled(devserver, job.id)
    assert state["status"] == "completed" and state["output"]["output"] == {"accuracy": 0.9}


def test_unreachable_platform_without_a_description_is_a_clear_error(tmp_path: Path) -> None:
    host = f"http://127.0.0.1:{free_port()}"
    env = {
        "BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"),
        "BREVETTI_RETRY_BUDGET": "0.2",
    }
    with pytest.raises(JobConfigError, match=r"unreachable .* no local job description"):
        Job.init("m1", "key_x", SCHEMA, host=host, job_dir=tmp_path / "job", argv=[], env=env)
    with pytest.raises(JobConfigError, match=r"platform mode .* needs a job id .* API key"):
        Job.init(schema=SCHEMA, host=host, job_dir=tmp_path / "job", argv=[], env=env)


def test_local_mode_and_import_never_load_requests(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import brevetti_job\n"
        "assert 'requests' not in sys.modules\n"
        "job = brevetti_job.Job.init(schema=sys.argv[1], argv=['--job_dir', sys.argv[2]], env={})\n"
        "job.complete_job()\n"
        "assert job.mode == 'local' and 'requests' not in sys.modules, job.mode\n"
    )
    result = _run(tmp_path, "-c", code, str(SCHEMA), str(tmp_path / "job"))
    assert result.returncode == 0, result.stderr


def test_an_artifact_the_platform_already_has_is_not_sent_again(
    devserver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="brevetti_job.platform")
    job = devserver.create_job(preset="quick")
    with _init(tmp_path, devserver, job) as running:
        running.upload_artifact("a.txt", "same")
        running.upload_artifact("a.txt", "same")  # the store holds the same ETag: no PUT
        running.upload_artifact("a.txt", "changed")
    state = _settled(devserver, job.id)
    uploads = [r for r in _records(tmp_path / "job") if r["op"] == "artifact"]
    assert len(uploads) == 3
    outcomes = [
        m.split(": ")[-1]
        for m in caplog.messages
        if m.startswith("platform write") and "(artifact)" in m
    ]
    assert outcomes == ["sent", "skipped", "sent"]
    changed = hashlib.sha256(b"changed").hexdigest()
    assert [(a["name"], a["size"], a["sha256"]) for a in state["artifacts"]] == [
        ("a.txt", 7, changed)
    ]


def test_a_write_refused_for_good_is_set_aside_and_the_job_goes_on(
    devserver, tmp_path: Path, caplog
) -> None:
    job = devserver.create_job(preset="quick")
    with _init(tmp_path, devserver, job) as running:
        running.upload_chart("x" * 220, {"mark": "line"})  # a name the platform refuses
        running.add_output_metric("after", 1)
    state = _settled(devserver, job.id)
    assert state["status"] == "completed" and state["output"]["output"] == {"after": 1}
    assert state["charts"] == {}
    (rejected,) = _records(tmp_path / "job", "rejected")
    assert rejected["op"] == "chart" and "400" in rejected["rejected"]
    assert "rejected" in caplog.text and _records(tmp_path / "job", "pending") == []


# -- everything under artifacts/ reaches the platform ------------------------------------------


def _artifact_records(job_dir: Path) -> list[str]:
    return [r["artifact"]["name"] for r in _records(job_dir) if r["op"] == "artifact"]


def test_files_written_any_way_under_artifacts_reach_the_platform_once(
    devserver, tmp_path: Path
) -> None:
    job = devserver.create_job(preset="quick")
    job_dir = tmp_path / "job"
    with _init(tmp_path, devserver, job) as running:
        (running.artifacts_dir / "report.html").write_text("<h1>report</h1>")  # a plain write
        running.artifact_path("pivot", "summary.json").write_text('{"n": 1}')
        running.upload_job_output()
        assert sorted(_artifact_records(job_dir)) == ["pivot/summary.json", "report.html"]
        running.upload_job_output()  # nothing changed: nothing recorded again
        assert running.sync_artifacts() == 0
        summary = running.artifacts_dir / "pivot" / "summary.json"
        os.utime(summary, ns=(1, 1))  # touched, same content: not sent again
        assert running.sync_artifacts() == 0
        summary.write_text('{"n": 2}')  # changed: sent again
        assert running.sync_artifacts() == 1
        (running.artifacts_dir / "late.txt").write_text("written just before the end")
    assert _artifact_records(job_dir) == [
        "report.html", "pivot/summary.json", "pivot/summary.json", "late.txt",
    ]  # fmt: skip
    state = _settled(devserver, job.id)
    _assert_delivered_once(state, job_dir)
    assert _stored(state) == _local_artifacts(job_dir)
    assert state["status"] == "completed"


def test_a_failing_job_still_sends_its_artifacts(devserver, tmp_path: Path) -> None:
    job = devserver.create_job(preset="quick")
    with pytest.raises(RuntimeError), _init(tmp_path, devserver, job) as running:
        (running.artifacts_dir / "debug.log").write_text("what went wrong")
        raise RuntimeError("boom")
    state = _settled(devserver, job.id)
    assert state["status"] == "failed"
    assert [a["name"] for a in state["artifacts"]] == ["debug.log"]


def test_artifacts_written_during_an_outage_are_delivered_by_sync_once(
    devserver_process, tmp_path: Path
) -> None:
    server = devserver_process(own_store=True)
    job = server.create_job(preset="quick")
    info = _legacy_info(server, job, tmp_path / "info.json")
    server.stop()
    job_dir = tmp_path / "job"
    env = {"BREVETTI_RETRY_BUDGET": "0.2"}
    with _init(tmp_path, server, job, info_file=info, env=env) as running:
        (running.artifacts_dir / "a.bin").write_bytes(b"a" * 1000)
        running.artifact_path("deep", "b.txt").write_text("b")
        running.upload_job_output()
        (running.artifacts_dir / "a.bin").write_bytes(b"A" * 1000)  # changed while down
    pending = [r["artifact"]["name"] for r in _records(job_dir, "pending") if r["artifact"]]
    assert sorted(pending) == ["a.bin", "a.bin", "deep/b.txt"]
    server.start()
    synced = _sync(
        tmp_path, job_dir, "--host", server.base_url, BREVETTI_API_KEY=job.api_key,
        **_where(server),
    )  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    assert "1 artifact(s) already on the platform" in synced.stdout  # a.bin's second record
    state = server.state(job.id)
    assert _records(job_dir, "pending") == [] and not (job_dir / "outbox" / "rejected").exists()
    assert set(state["writes"].values()) == {1}  # nothing applied twice
    assert _stored(state) == _local_artifacts(job_dir)
    assert state["status"] == "completed"


# -- the job's storage space (a local folder as the data bucket, as the platform allows) -------


def test_a_local_data_bucket_holds_the_description_and_receives_the_artifacts(
    devserver, tmp_path: Path
) -> None:
    job = devserver.create_job(preset="quick")
    bucket = tmp_path / "bucket"
    folder = bucket / job.id
    folder.mkdir(parents=True)
    info = json.loads(_legacy_info(devserver, job, folder / "info.json").read_text())
    info["settings"]["data"]["samples"] = 321  # only this file says so
    (folder / "info.json").write_text(json.dumps(info))
    env = {"BREVETTIAI_DATA_BUCKET": str(bucket)}
    with _init(tmp_path, devserver, job, env=env) as running:
        assert running.storage.url("artifacts/x") == str(folder / "artifacts" / "x")
        assert running.settings.data.samples == 321  # read from the storage folder's info.json
        running.add_output_metric("accuracy", 0.5)
        running.artifact_path("pivot", "summary.json").write_text('{"n": 1}')
        running.upload_artifact("weights.bin", b"w" * 1000)
        running.report_progress(1, loss=0.5)
    stored = folder / "artifacts"
    assert json.loads((stored / "output.json").read_text())["output"] == {"accuracy": 0.5}
    assert (stored / "pivot" / "summary.json").read_text() == '{"n": 1}'
    assert (stored / "weights.bin").read_bytes() == b"w" * 1000
    state = _settled(devserver, job.id)
    assert state["status"] == "completed" and state["completions"] == 1
    assert [p["epoch"] for p in state["progress"]] == [1]
    assert state["artifacts"] == []  # nothing went through the dev server's own file calls
    done = _records(tmp_path / "job")
    assert {r["transport"] for r in done if r["op"] in ("artifact", "output")} == {"storage"}
    assert _records(tmp_path / "job", "pending") == []
    _assert_no_key(job.api_key, folder=tmp_path / "job")
    _assert_no_key(job.api_key, folder=stored)


def test_with_the_platform_down_the_storage_writes_land_and_sync_completes(
    devserver_process, tmp_path: Path
) -> None:
    server = devserver_process()
    job = server.create_job(preset="quick")
    bucket = tmp_path / "bucket"
    (bucket / job.id).mkdir(parents=True)
    info = _legacy_info(server, job, bucket / job.id / "info.json")
    server.stop()  # the credentials (and the job calls) cannot be had now
    job_dir = tmp_path / "job"
    env = {"BREVETTIAI_DATA_BUCKET": str(bucket), "BREVETTI_RETRY_BUDGET": "0.2"}
    with _init(tmp_path, server, job, info_file=info, env=env) as running:
        running.upload_artifact("weights.bin", b"w" * 100)
        (running.artifacts_dir / "report.html").write_text("<p>report</p>")
    # a local bucket needs no credentials: the files are there; the completion waits
    assert [r["op"] for r in _records(job_dir, "pending")] == ["complete"]
    assert {r["transport"] for r in _records(job_dir) if r["op"] != "complete"} == {"storage"}
    server.start()
    synced = _sync(
        tmp_path, job_dir, "--host", server.base_url, BREVETTI_API_KEY=job.api_key,
        BREVETTIAI_DATA_BUCKET=str(bucket),
    )  # fmt: skip
    assert synced.returncode == 0, synced.stderr
    assert "pending 0" in synced.stdout
    stored = bucket / job.id / "artifacts"
    assert (stored / "weights.bin").read_bytes() == b"w" * 100
    assert (stored / "report.html").read_text() == "<p>report</p>"
    assert json.loads((stored / "output.json").read_text()) == _json(
        job_dir / "artifacts" / "output.json"
    )
    state = server.state(job.id)
    assert state["status"] == "completed" and state["completions"] == 1
    assert set(state["writes"].values()) == {1}
    again = _sync(tmp_path, job_dir, "--host", server.base_url, BREVETTI_API_KEY=job.api_key)
    assert again.returncode == 0 and "nothing pending" in again.stdout
