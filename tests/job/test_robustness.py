"""Shared and reused job folders, hostile names and values, and failure paths that hold.

Issue 15's runtime items: each test here fails without its fix. Platform mode runs
against the dev server on loopback (fixtures in tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brevetti_job import ArtifactPathError, Job, JobArgumentError, MetricError, SettingsError
from brevetti_job._files import atomic_write_json
from brevetti_job._outbox import Outbox
from brevetti_schema import SchemaBuilder
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema_examples" / "image_classification.yaml"
LONE = "loss\udcff"  # what os.fsdecode makes of the byte 0xff


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"), **extra}


@pytest.fixture(params=["local", "platform"])
def any_mode_job(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Job]:
    """The same job in local mode and against the dev server."""
    if request.param == "local":
        job = Job.init(schema=SCHEMA, job_dir=tmp_path / "job", argv=[], env=_env(tmp_path))
    else:
        server = request.getfixturevalue("devserver")
        made = server.create_job(preset="quick")
        job = Job.init(
            made.id, made.api_key, SCHEMA, host=server.base_url, job_dir=tmp_path / "job",
            argv=[], env=_env(tmp_path, **made.storage_env),
        )  # fmt: skip
    yield job
    if job.ended is None:
        job.complete_job()


# -- 10: lone surrogates ------------------------------------------------------------------


def test_lone_surrogates_in_names_are_refused_at_the_call_in_both_modes(
    any_mode_job: Job,
) -> None:
    job = any_mode_job
    calls = [
        (MetricError, lambda: job.add_output_metric(LONE, 1.0)),
        (MetricError, lambda: job.add_output_metrics({"ok": 1, LONE: 2})),
        (MetricError, lambda: job.add_output_metric("nested", {LONE: 1})),
        (MetricError, lambda: job.report_progress(1, **{LONE: 0.5})),
        (ArtifactPathError, lambda: job.upload_chart(LONE, {"mark": "line"})),
        (ArtifactPathError, lambda: job.upload_artifact(f"dir/{LONE}.txt", b"x")),
        (ArtifactPathError, lambda: job.artifact_path(LONE)),
    ]
    for error, call in calls:
        with pytest.raises(error, match=r"lone surrogate \(U\+DCFF"):
            call()
    assert job.metrics == {}  # nothing half-recorded
    assert not list(job.artifacts_dir.rglob("*\udcff*"))


def test_lone_surrogates_in_reported_text_are_refused_at_the_call_in_both_modes(
    any_mode_job: Job,
) -> None:
    """Text values too: the platform could not store them, so they never get that far."""
    job = any_mode_job
    with pytest.raises(MetricError, match=r"metric 'file': the text .* lone surrogate"):
        job.add_output_metric("file", LONE)
    with pytest.raises(MetricError, match="lone surrogate"):
        job.report_progress(1, note=LONE)
    with pytest.raises(JobArgumentError, match=r"chart 'c': .* lone surrogate"):
        job.upload_chart("c", {"title": LONE})
    job.add_output_metric("file", "fine.png")
    job.report_progress(1, note="fine")
    job.complete_job()
    assert _json(job.artifacts_dir / "output.json")["output"] == {"file": "fine.png"}
    assert not (job.job_dir / "charts").exists()
    lines = (job.job_dir / "progress.jsonl").read_text().splitlines()
    assert [json.loads(line)["note"] for line in lines] == ["fine"]
    if job.mode == "platform":  # everything that was recorded was delivered
        outbox = job.job_dir / "outbox"
        assert not list(outbox.glob("*.json")) and not (outbox / "rejected").exists()


def test_json_files_hold_any_text_escaped(tmp_path: Path) -> None:
    """A value that reaches a file another way (a setting from argv) is written escaped."""
    path = tmp_path / "x.json"
    atomic_write_json(path, {"name": LONE, "plain": "é"})
    assert _json(path) == {"name": LONE, "plain": "é"}
    assert b"\\udcff" in path.read_bytes()


def test_atomic_writes_make_private_files_beside_other_writers_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each write goes through a new exclusive temporary file: the result is private
    (mode 0600, as `tempfile.mkstemp` makes it), nothing is left over, and another
    writer's temporary file of the same pattern is neither reused nor removed."""
    stray = tmp_path / ".out.json.0123456789.tmp"
    stray.write_text("another writer's", encoding="utf-8")
    real = os.urandom
    taken = iter([bytes.fromhex("0123456789")])  # the first name drawn is the stray's

    def draw(count: int) -> bytes:
        return next(taken, None) or real(count)

    monkeypatch.setattr(os, "urandom", draw)
    for count in range(20):
        atomic_write_json(tmp_path / "out.json", {"count": count})
    assert _json(tmp_path / "out.json") == {"count": 19}
    assert (tmp_path / "out.json").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [stray.name, "out.json"]
    assert stray.read_text(encoding="utf-8") == "another writer's"


# -- 20: every progress record reaches the platform ----------------------------------------


def test_every_progress_record_reaches_the_platform_in_order(devserver, tmp_path: Path) -> None:
    made = devserver.create_job(preset="quick")
    with Job.init(
        made.id, made.api_key, SCHEMA, host=devserver.base_url, job_dir=tmp_path / "job",
        argv=[], env=_env(tmp_path, **made.storage_env),
    ) as job:  # fmt: skip
        for epoch in range(1, 6):  # a quick run: five epochs well within a second
            job.report_progress(epoch, loss=1.0 / epoch)
    state = devserver.state(made.id)
    assert [p["epoch"] for p in state["progress"]] == [1, 2, 3, 4, 5]
    assert [p["loss"] for p in state["progress"]] == [1.0 / e for e in range(1, 6)]
    sent = [
        _json(p)["body"]["epoch"]
        for p in sorted((tmp_path / "job" / "outbox" / "done").glob("*.json"))
        if _json(p)["op"] == "progress"
    ]
    assert sent == [1, 2, 3, 4, 5]


# -- 9: a job that cannot complete is recorded as failed --------------------------------------


def test_an_exception_in_complete_job_at_the_end_of_the_block_fails_the_job(
    tmp_path: Path,
) -> None:
    job_dir = tmp_path / "job"
    with (
        pytest.raises(IsADirectoryError),
        Job.init(schema=SCHEMA, job_dir=job_dir, argv=[], env=_env(tmp_path)) as job,
    ):
        job.add_output_metric("accuracy", 0.5)
        output = job.artifacts_dir / "output.json"
        output.unlink()
        output.mkdir()  # completion cannot write output.json any more
    status = _json(job_dir / "status.json")
    assert status["status"] == "failed" and job.ended == "failed"
    assert status["reason"].startswith("could not complete: IsADirectoryError")


_FULL_DISK_JOB = """
import resource, signal, sys
from brevetti_job import Job

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
with Job.init(schema={schema!r}, argv=sys.argv[1:]) as job:
    job.add_output_metric("accuracy", 0.5)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))  # the disk is full
    job.upload_artifact("weights.bin", b"x" * 4096)
"""


@pytest.mark.parametrize("mode", ["local", "platform"])
def test_a_full_disk_mid_run_still_fails_the_job_and_exits_non_zero(
    devserver, tmp_path: Path, mode: str
) -> None:
    script = tmp_path / "full_disk_job.py"
    script.write_text(_FULL_DISK_JOB.format(schema=str(SCHEMA)))
    job_dir = tmp_path / "job"
    argv = ["--job_dir", str(job_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    if mode == "platform":
        made = devserver.create_job(preset="quick")
        argv += ["--model_id", made.id, "--api_key", made.api_key, "--host", devserver.base_url]
        env.update(made.storage_env)
    result = subprocess.run(
        [sys.executable, str(script), *argv], capture_output=True, text=True, timeout=120,
        env={**env, **_env(tmp_path), "PYTHONPATH": str(ROOT)}, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "File too large" in result.stderr  # the job's own error is what the user sees
    assert "could not record the failure in status.json" in result.stderr
    assert _json(job_dir / "status.json")["status"] == "running"  # the disk took nothing
    if mode == "platform":
        state = devserver.state(made.id)
        assert state["status"] == "failed" and "File too large" in state["reason"]
        assert state["output"]["output"] == {}  # the start's output.json; nothing lost after
        assert made.api_key not in result.stderr


# -- 8: NaN and infinity in settings are a settings problem -------------------------------------


def _number_schema() -> SchemaBuilder:
    b = SchemaBuilder()
    b.number("lr", default=0.1, min=0, max=1)
    b.number("decay", default=0.5)
    return b


@pytest.mark.parametrize("given", ["nan", "inf", "-inf", "1e999"])
def test_non_finite_settings_from_argv_fail_the_job_with_problems_json(
    tmp_path: Path, given: str
) -> None:
    job_dir = tmp_path / "job"
    with pytest.raises(SettingsError) as caught:
        Job.init(
            schema=_number_schema(), argv=["--decay", given], job_dir=job_dir, env=_env(tmp_path)
        )
    assert [p.path for p in caught.value.problems] == ["decay"]
    status = _json(job_dir / "status.json")
    assert status["status"] == "failed" and "decay" in status["reason"]
    (problem,) = _json(job_dir / "problems.json")["problems"]
    assert problem["path"] == "decay" and problem["value"] in ("NaN", "Infinity", "-Infinity")
    assert "api_key" not in _json(job_dir / "info.json")  # the job stays inspectable


def test_non_finite_settings_fail_the_job_on_the_platform_too(devserver, tmp_path: Path) -> None:
    made = devserver.create_job(preset="quick")
    job_dir = tmp_path / "job"
    with pytest.raises(SettingsError, match=r"training\.learning_rate"):
        Job.init(
            made.id, made.api_key, SCHEMA, host=devserver.base_url, job_dir=job_dir,
            argv=["--training.learning_rate", "nan"], env=_env(tmp_path, **made.storage_env),
        )  # fmt: skip
    state = devserver.state(made.id)
    assert state["status"] == "failed" and "training.learning_rate" in state["reason"]
    (problem,) = _json(job_dir / "problems.json")["problems"]
    assert problem["value"] == "NaN"


def test_non_finite_settings_without_a_schema_are_a_settings_problem(tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    (job_dir / "info.json").write_text('{"id": "j1", "settings": {"a": {"b": [1, NaN]}}}')
    with pytest.raises(SettingsError, match=r"a\.b\.1") as caught:
        Job.init(job_dir=job_dir, argv=[], env=_env(tmp_path))
    (problem,) = caught.value.problems
    assert problem.pointer == "/a/b/1" and problem.code == "not_a_number"
    assert _json(job_dir / "status.json")["status"] == "failed"
    assert _json(job_dir / "problems.json")["problems"][0]["value"] == "NaN"


# -- 7: a job folder reused by another platform job -------------------------------------------


def _sync(tmp_path: Path, job_dir: Path, *args: str, **env: str) -> Any:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "brevetti_job", "sync", str(job_dir), *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**base, **_env(tmp_path), "PYTHONPATH": str(ROOT), **env},
    )  # fmt: skip


def test_a_reused_job_folder_keeps_each_jobs_writes_to_that_job(
    devserver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = devserver.create_job(preset="quick"), devserver.create_job(preset="quick")
    job_dir = tmp_path / "job"
    info = tmp_path / "first-info.json"
    info.write_text(json.dumps(devserver.state(first.id)["description"]))
    down = f"http://127.0.0.1:{free_port()}"  # the first job runs while its platform is down
    with Job.init(
        first.id, first.api_key, SCHEMA, host=down, job_dir=job_dir, info_file=info, argv=[],
        env=_env(tmp_path, BREVETTI_RETRY_BUDGET="0.2", **first.storage_env),
    ) as job:  # fmt: skip
        job.add_output_metric("accuracy", 0.25)
    held = [r.job_id for r in Outbox(job_dir / "outbox").pending()]
    assert held and set(held) == {first.id}

    with Job.init(
        second.id, second.api_key, SCHEMA, host=devserver.base_url, job_dir=job_dir, argv=[],
        env=_env(tmp_path, **second.storage_env),
    ) as job:  # fmt: skip
        job.add_output_metric("accuracy", 0.75)
        job.report_progress(1, loss=0.5)
    state = devserver.state(second.id)  # the new job delivered everything of its own
    assert state["status"] == "completed" and state["output"]["output"] == {"accuracy": 0.75}
    assert [p["epoch"] for p in state["progress"]] == [1]
    assert devserver.state(first.id)["writes"] == {}  # never sent with the second job's key
    assert Outbox(job_dir / "outbox").pending_by_job() == {first.id: len(held)}
    assert f"pending write(s) of another job ({first.id})" in caplog.text
    assert not (job_dir / "outbox" / "rejected").exists()

    mine = _sync(tmp_path, job_dir, BREVETTI_API_KEY=second.api_key, **second.storage_env)
    assert mine.returncode == 0, mine.stderr
    assert f"nothing pending for job {second.id}" in mine.stdout
    assert f"also held: {len(held)} of job {first.id}" in mine.stdout
    theirs = _sync(
        tmp_path, job_dir, "--job-id", first.id, "--host", devserver.base_url,
        BREVETTI_API_KEY=first.api_key, **first.storage_env,
    )  # fmt: skip
    assert theirs.returncode == 0, theirs.stderr
    assert f"{len(held)} pending write(s) for job {first.id}" in theirs.stdout
    old = devserver.state(first.id)
    assert old["status"] == "completed" and old["output"]["output"] == {"accuracy": 0.25}
    assert Outbox(job_dir / "outbox").pending() == []
