"""`brevetti-job platform create` and `serve` on the command line."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import requests

from brevetti_job._cli import main
from brevetti_job.devserver import Store

from ..conftest import DEMO_SCHEMA, REPO


def _exports(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            values[name] = shlex.split(value)[0]
    return values


def test_create_prints_env_lines_with_the_key_once(tmp_path, capsys):
    root = tmp_path / "store"
    assert main(["platform", "create", "--schema", str(DEMO_SCHEMA), "--root", str(root)]) == 0
    out, err = capsys.readouterr()
    values = _exports(out)
    assert set(values) == {"BREVETTI_HOST", "BREVETTI_JOB_ID", "BREVETTI_API_KEY"}
    assert values["BREVETTI_HOST"] == "http://127.0.0.1:8750"
    key = values["BREVETTI_API_KEY"]
    assert out.count(key) == 1 and key not in err
    assert "shown only this once" in err
    for path in root.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes()
    meta = Store(root).meta(values["BREVETTI_JOB_ID"])
    assert meta is not None and meta["status"] == "created" and meta["kind"] == "model"


def test_a_created_job_works_against_a_server_on_that_root(tmp_path, capsys, devserver_process):
    server = devserver_process(tmp_path / "store")
    settings = tmp_path / "settings.yaml"
    settings.write_text("training:\n  epochs: 9\n")
    argv = [
        "platform", "create", "--schema", str(DEMO_SCHEMA), "--settings", str(settings),
        "--kind", "report", "--name", "nightly", "--root", str(server.root), "--json",
    ]  # fmt: skip
    assert main(argv) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["kind"] == "report" and created["name"] == "nightly"
    assert created["host"] == server.base_url  # read from the running server's server.json
    url = f"{server.base_url}/api/reports/{created['id']}"
    answer = requests.get(url, headers={"Authorization": f"Bearer {created['api_key']}"}, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["settings"]["training"]["epochs"] == 9


def test_create_with_a_preset_and_a_report_comment(tmp_path, capsys):
    root = tmp_path / "store"
    argv = ["platform", "create", "--schema", str(DEMO_SCHEMA), "--root", str(root)]
    assert main([*argv, "--kind", "report"]) == 0
    assert "--test_id" in capsys.readouterr().out
    assert main([*argv, "--preset", "no-such-preset"]) == 1
    assert "no-such-preset" in capsys.readouterr().err


def test_create_refuses_invalid_settings(tmp_path, capsys):
    settings = tmp_path / "settings.yaml"
    settings.write_text("training:\n  epochs: 0\n")
    argv = [
        "platform", "create", "--schema", str(DEMO_SCHEMA), "--settings", str(settings),
        "--root", str(tmp_path / "store"),
    ]  # fmt: skip
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert "training.epochs" in err and out == ""
    assert not (tmp_path / "store").exists() or Store(tmp_path / "store").job_ids() == []


def test_python_dash_m_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "brevetti_job", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert "serve" in result.stdout and "platform" in result.stdout


def test_serve_refuses_a_bad_fault_mode(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "brevetti_job", "serve", "--root", str(tmp_path), "--port", "0",
         "--fail-rate", "0.5", "--fail-modes", "explode"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
    )  # fmt: skip
    assert result.returncode == 2 and "modes" in result.stderr
