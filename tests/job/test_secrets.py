"""The key and secret settings go nowhere they do not belong (issue 15, items 3 to 5).

Against the real dev server on loopback; the "other host" is a plain HTTP listener
that records whatever reaches it, standing in for whoever forged an outbox record.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from brevetti_job import Job
from brevetti_job._outbox import Outbox

ROOT = Path(__file__).resolve().parents[2]

SCHEMA = textwrap.dedent(
    """
    fields:
      epochs: {type: integer, default: 2, min: 1}
      token: {type: secret, help: never shown}
    """
)
SECRET = "s3cr3t-VALUE-9f8e7d"


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        self.seen.append({"path": self.path, "headers": str(self.headers), "body": body})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = do_HEAD = _record

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def other_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A listener on loopback that records every request it gets."""
    seen: ClassVar[list[dict[str, str]]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    env["BREVETTI_HYPERPARAMETERS_FILE"] = str(tmp_path / "no-hyperparameters.json")
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def _sync(
    tmp_path: Path, job_dir: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "brevetti_job", "sync", str(job_dir), *args],
        cwd=tmp_path, env=_env(tmp_path, **env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _forge(job_dir: Path, host: str, job_id: str) -> None:
    """Append a record naming `host`, as anyone able to write into the folder could."""
    Outbox(job_dir / "outbox").add(
        host=host, job_id=job_id, kind="models", op="chart", method="POST",
        path=f"/api/models/{job_id}/charts", params=(("name", "forged"),),
        body={"mark": "bar"}, idempotency_key="forged-0001",
    )  # fmt: skip


def test_sync_never_sends_the_key_to_a_host_an_outbox_record_names(
    devserver, other_host, tmp_path: Path
) -> None:
    target, seen = other_host
    job = devserver.create_job()
    job_dir = tmp_path / "job"
    with Job.init(
        job.id, job.api_key, host=devserver.base_url, job_dir=job_dir, argv=[],
        env={"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **job.storage_env},
    ) as running:  # fmt: skip
        running.add_output_metric("accuracy", 0.5)
    assert json.loads((job_dir / "info.json").read_text())["host_name"] == devserver.base_url
    _forge(job_dir, target, job.id)

    result = _sync(tmp_path, job_dir, "--api-key", job.api_key)
    assert result.returncode == 1
    assert "name another host" in result.stderr and "forged" not in result.stdout
    assert seen == []  # nothing, not even a connection with the key, reached the other host
    assert [r.idempotency_key for r in Outbox(job_dir / "outbox").pending()] == ["forged-0001"]
    assert job.api_key not in result.stdout + result.stderr

    # from the environment's host the same: the record never chooses where the key goes
    by_env = _sync(
        tmp_path, job_dir, BREVETTI_API_KEY=job.api_key, BREVETTI_HOST=devserver.base_url
    )
    assert by_env.returncode == 1 and seen == []


def test_sync_with_no_configured_host_refuses_to_guess(other_host, tmp_path: Path) -> None:
    target, seen = other_host
    job_dir = tmp_path / "job"
    _forge(job_dir, target, "job-1")
    result = _sync(tmp_path, job_dir, "--api-key", "key_abcdefghijklmnop")
    assert result.returncode == 1 and "no platform host known" in result.stderr
    assert seen == []


def test_platform_mode_caches_info_json_without_secret_settings(devserver, tmp_path: Path) -> None:
    job = devserver.create_job(SCHEMA, settings={"epochs": 3, "token": SECRET})
    schema = tmp_path / "schema.yaml"
    schema.write_text(SCHEMA)
    job_dir = tmp_path / "job"
    with Job.init(
        job.id, job.api_key, schema, host=devserver.base_url, job_dir=job_dir, argv=[],
        env={"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **job.storage_env},
    ) as running:  # fmt: skip
        assert running.settings.token.reveal() == SECRET  # the job itself gets the value
        running.add_output_metric("accuracy", 0.5)
    info = json.loads((job_dir / "info.json").read_text())
    assert info["settings"] == {"epochs": 3} and info["id"] == job.id
    for path in job_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data, path
            assert job.api_key.encode() not in data, path


_FAILING_JOB = """
import sys
from brevetti_job import Job

class Train(Job):
    def run(self):
        token = self.settings.token.reveal()
        raise RuntimeError(f"login with {{self.description.api_key}} and {{token}} refused")

sys.exit(Train.main(schema={schema!r}))
"""


def test_job_main_masks_the_key_and_secrets_in_its_traceback_and_reason(
    devserver, tmp_path: Path
) -> None:
    job = devserver.create_job(SCHEMA, settings={"epochs": 3, "token": SECRET})
    schema = tmp_path / "schema.yaml"
    schema.write_text(SCHEMA)
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(_FAILING_JOB.format(schema=str(schema))))
    job_dir = tmp_path / "job"
    result = subprocess.run(
        [sys.executable, str(script), "--model_id", job.id, "--api_key", job.api_key,
         "--host", devserver.base_url, "--job_dir", str(job_dir)],
        cwd=tmp_path, env=_env(tmp_path, **job.storage_env), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "RuntimeError: login with ******** and ********" in (
        result.stderr
    )
    assert job.api_key not in result.stderr + result.stdout
    assert SECRET not in result.stderr + result.stdout
    status = json.loads((job_dir / "status.json").read_text())
    assert status["status"] == "failed"
    assert status["reason"] == "RuntimeError: login with ******** and ******** refused"
    state = devserver.state(job.id)
    assert state["status"] == "failed"
    assert state["reason"] == status["reason"]  # the platform got the masked reason too


def test_sync_never_lets_a_record_choose_the_data_bucket(
    devserver, other_host, tmp_path: Path
) -> None:
    """A planted storage record naming a bucket of its choice is not followed: the
    job's scoped credentials and files go only to the configured data bucket."""
    job = devserver.create_job()
    job_dir = tmp_path / "job"
    (job_dir / "artifacts").mkdir(parents=True)
    (job_dir / "artifacts" / "weights.bin").write_bytes(b"w")
    (job_dir / "info.json").write_text(json.dumps({"id": job.id, "host_name": devserver.base_url}))
    Outbox(job_dir / "outbox").add(
        host=devserver.base_url, job_id=job.id, kind="models", op="artifact", method="PUT",
        path=f"s3://attacker-bucket/{job.id}/artifacts/weights.bin", transport="storage",
        idempotency_key="planted-0001",
    )  # fmt: skip
    result = _sync(tmp_path, job_dir, "--api-key", job.api_key)
    assert result.returncode == 1
    assert "set BREVETTIAI_DATA_BUCKET" in result.stderr
    assert [r.idempotency_key for r in Outbox(job_dir / "outbox").pending()] == ["planted-0001"]
    assert job.api_key not in result.stdout + result.stderr
