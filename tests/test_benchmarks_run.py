"""The benchmarks keep working: each runs in smoke mode; no timing is asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pydantic")

from benchmarks import cold_start, run, settings_validation
from brevetti_schema import Field, load_schema, load_schema_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("module", "title"),
    [
        ("emit_scaling", "Build and emit: cost per field"),
        ("settings_validation", "Settings: validate and structure one document"),
        ("cold_start", "Cold start: fresh process"),
        ("hostile_files", "Hostile files: oversized documents refused"),
        ("artifact_download", "Downloading a model's 20 artifacts"),
    ],
)
def test_each_benchmark_runs_alone_in_quick_mode(module, title):
    result = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"### {title}" in result.stdout
    assert "nan" not in result.stdout.lower()
    for table in result.stdout.split("### ")[1:]:
        rows = [line for line in table.splitlines() if line.startswith("|")]
        assert len(rows) >= 3, table
        assert {row.count("|") for row in rows} == {rows[0].count("|")}, table


def test_run_writes_only_between_the_markers(tmp_path):
    target = tmp_path / "BENCHMARKS.md"
    target.write_text(f"# Title\n\nintro\n\n{run.START}\nold figures\n{run.END}\n\nreading\n")
    assert run.main(["--quick", "--write", "--output", str(target), "--only", "emit_scaling"]) == 0
    text = target.read_text()
    assert text.startswith("# Title\n\nintro\n\n")
    assert text.endswith(f"{run.END}\n\nreading\n")
    assert "old figures" not in text
    assert "quick smoke mode" in text
    assert "* CPU: " in text and "* Python: " in text
    assert "### Build and emit: cost per field" in text
    assert "### Stress shape: a chain of conditions" in text


def test_run_refuses_a_file_without_markers(tmp_path):
    target = tmp_path / "BENCHMARKS.md"
    target.write_text("no markers here\n")
    with pytest.raises(SystemExit):
        run.write_results(target, "figures")
    assert target.read_text() == "no markers here\n"


def test_pydantic_twin_agrees_with_the_pipeline_and_reports_as_many_problems():
    schema = load_schema(settings_validation.SCHEMA_FILE)
    assert settings_validation.check_equivalent(schema) == 8
    assert settings_validation.count_leaves(settings_validation.DOCUMENT, schema) == 57


def test_cold_start_variant_drops_only_the_inner_json_schema():
    text = cold_start.SCHEMA_FILE.read_text(encoding="utf-8")
    stripped = load_schema_text(cold_start.without_inner_schema(text))
    original = load_schema(cold_start.SCHEMA_FILE)
    assert [p for p, _ in stripped.fields()] == [p for p, _ in original.fields()]
    inner = [f for _, f in stripped.fields() if isinstance(f, Field) and f.json_schema is not None]
    assert inner == []
    with pytest.raises(ValueError, match="expected one json_schema line"):
        cold_start.without_inner_schema("fields: {}\n")


def test_cold_start_environment_has_no_platform_or_cloud_variables(monkeypatch):
    monkeypatch.setenv("BREVETTI_JOB_ID", "x")
    monkeypatch.setenv("BREVETTIAI_HOST_NAME", "h")
    monkeypatch.setenv("AWS_REGION", "eu")
    env = cold_start.clean_env()
    assert not [k for k in env if k.startswith(("BREVETTI", "AWS_"))]
    assert env.get("PATH") == os.environ.get("PATH")


@pytest.mark.parametrize("use_time", [False, True])
def test_cold_start_spawn_reports_wall_time_and_peak_memory(tmp_path, use_time):
    if use_time and not cold_start.gnu_time():
        pytest.skip("GNU time is not installed")
    sample = cold_start.spawn(
        [sys.executable, "-c", "pass"], tmp_path, cold_start.clean_env(), use_time=use_time
    )
    assert sample.seconds > 0
    assert sample.peak_rss > 1024 * 1024
    with pytest.raises(RuntimeError, match="exited 3"):
        cold_start.spawn(
            [sys.executable, "-c", "raise SystemExit(3)"],
            tmp_path,
            cold_start.clean_env(),
            use_time=use_time,
        )
