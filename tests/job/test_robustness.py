"""Shared and reused job folders, hostile names and values, and failure paths that hold.

Issue 15's runtime items: each test here fails without its fix. Platform mode runs
against the dev server on loopback (fixtures in tests/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brevetti_job import ArtifactPathError, Job, JobStateError, MetricError
from brevetti_job._files import atomic_write_json

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
            argv=[], env=_env(tmp_path),
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
    with pytest.raises(JobStateError, match=r"chart 'c': .* lone surrogate"):
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
