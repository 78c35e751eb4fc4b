"""`brevetti-job platform create` and `serve` on the command line."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest
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


def test_create_prints_env_lines_with_the_key_once(start_devserver, object_store, capsys):
    server = start_devserver()
    argv = ["platform", "create", "--schema", str(DEMO_SCHEMA), "--root", str(server.root)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    values = _exports(out)
    assert values == {
        "BREVETTI_HOST": server.base_url,
        "BREVETTI_JOB_ID": values["BREVETTI_JOB_ID"],
        "BREVETTI_API_KEY": values["BREVETTI_API_KEY"],
        "BREVETTIAI_DATA_BUCKET": "s3://brevetti-data",
        "AWS_ENDPOINT_URL": object_store.endpoint,
    }
    key = values["BREVETTI_API_KEY"]
    assert out.count(key) == 1 and key not in err
    assert "shown only this once" in err
    for path in server.root.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes()
    meta = Store(server.root).meta(values["BREVETTI_JOB_ID"])
    assert meta is not None and meta["status"] == "created" and meta["kind"] == "model"


def test_create_uploads_datasets_and_gives_them_to_the_job(
    tmp_path, start_devserver, object_store, capsys
):
    server = start_devserver()
    folder = tmp_path / "parts"
    for relative, content in {"ok/1.png": b"one", "nok/sub/2.png": b"two", "x y.png": b"3"}.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    argv = [
        "platform", "create", "--schema", str(DEMO_SCHEMA), "--root", str(server.root),
        "--dataset", f"parts={folder}", "--json",
    ]  # fmt: skip
    assert main(argv) == 0
    created = json.loads(capsys.readouterr().out)
    assert set(created) == {
        "id", "api_key", "kind", "name", "host", "s3_endpoint", "data_bucket", "datasets",
    }  # fmt: skip
    [dataset] = created["datasets"]
    assert dataset["name"] == "parts"
    credentials = requests.get(
        f"{server.base_url}/api/models/{created['id']}/securitycredentials",
        params={"key": created["api_key"], "datasetId": dataset["id"]}, timeout=60,
    )  # fmt: skip
    assert credentials.status_code == 200
    text = credentials.text
    access = text.split("<AccessKeyId>")[1].split("<")[0]
    secret = text.split("<SecretAccessKey>")[1].split("<")[0]
    s3 = object_store.client(access, secret)
    listed = s3.list_objects_v2(Bucket="brevetti-data", Prefix=f"{dataset['id']}/")
    found = {o["Key"].split("/", 1)[1]: o["Size"] for o in listed["Contents"]}
    assert found == {"ok/1.png": 3, "nok/sub/2.png": 3, "x y.png": 1}


def test_create_needs_a_running_server(tmp_path, capsys):
    root = tmp_path / "store"
    assert main(["platform", "create", "--schema", str(DEMO_SCHEMA), "--root", str(root)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "no dev server is running on" in err and "brevetti-job serve" in err


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
    url = f"{server.base_url}/api/reports/{created['id']}/charts?name=c"
    answer = requests.post(url, json={}, timeout=5,
                           headers={"Authorization": f"Bearer {created['api_key']}"})  # fmt: skip
    assert answer.status_code == 204  # the key works for the report's calls
    state = server.state(created["id"])
    assert state["kind"] == "report" and state["charts"] == {"c": {}}
    assert state["description"]["settings"]["training"]["epochs"] == 9


def test_create_with_a_preset_and_a_report_comment(start_devserver, capsys):
    server = start_devserver()
    argv = ["platform", "create", "--schema", str(DEMO_SCHEMA), "--root", str(server.root)]
    assert main([*argv, "--kind", "report"]) == 0
    assert "--test_id" in capsys.readouterr().out
    assert main([*argv, "--preset", "no-such-preset"]) == 1
    assert "no-such-preset" in capsys.readouterr().err


def test_create_refuses_invalid_settings_and_bad_datasets(tmp_path, start_devserver, capsys):
    server = start_devserver()
    settings = tmp_path / "settings.yaml"
    settings.write_text("training:\n  epochs: 0\n")
    argv = ["platform", "create", "--schema", str(DEMO_SCHEMA), "--root", str(server.root)]
    assert main([*argv, "--settings", str(settings)]) == 1
    out, err = capsys.readouterr()
    assert "training.epochs" in err and out == ""
    assert main([*argv, "--dataset", f"missing={tmp_path / 'nothing'}"]) == 1
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main([*argv, "--dataset", "no-equals-sign"])
    assert usage.value.code == 2
    assert "NAME=FOLDER" in capsys.readouterr().err
    assert Store(server.root).job_ids() == []


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


_JOB_FROM_THE_SHELL = """
import json, sys
from brevetti_job import Job

with Job.init(schema=sys.argv[1], argv=["--job_dir", sys.argv[2]]) as job:
    (parts,) = job.datasets
    found = sorted((s.path.rsplit("/", 1)[1], s.category) for s in parts.samples())
    job.add_output_metric("images", len(found))
    print(json.dumps({"id": job.id, "mode": job.mode, "samples": found}))
"""


def test_a_job_started_from_the_exported_shell_finds_everything(tmp_path, start_devserver, capsys):
    server = start_devserver()
    folder = tmp_path / "parts"
    for relative in ("ok/1.png", "nok/2.png"):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(relative.encode())
    argv = [
        "platform", "create", "--schema", str(DEMO_SCHEMA), "--root", str(server.root),
        "--dataset", f"parts={folder}",
    ]  # fmt: skip
    assert main(argv) == 0
    exported = _exports(capsys.readouterr().out)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BREVETTI", "AWS_"))}
    env = {
        **base, **exported, "PYTHONPATH": str(REPO),
        "BREVETTI_HYPERPARAMETERS_FILE": str(tmp_path / "none.json"),
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", _JOB_FROM_THE_SHELL, str(DEMO_SCHEMA), str(tmp_path / "job")],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    ran = json.loads(done.stdout.splitlines()[-1])
    assert ran["id"] == exported["BREVETTI_JOB_ID"] and ran["mode"] == "platform"
    assert ran["samples"] == [["1.png", ["ok"]], ["2.png", ["nok"]]]
    state = server.state(ran["id"])
    assert state["status"] == "completed" and state["output"]["output"] == {"images": 2}
    assert exported["BREVETTI_API_KEY"] not in done.stdout + done.stderr
