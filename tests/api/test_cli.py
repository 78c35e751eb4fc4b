"""`brevetti-job platform` web API commands against the dev platform over loopback."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest

from brevetti_job import PlatformAPI
from brevetti_job._cli import main

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "schema_examples" / "image_classification.yaml"


def _run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_admin_and_client_commands(devserver, tmp_path, capsys, monkeypatch) -> None:
    root = str(devserver.root)
    name = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    password = f"secret-{uuid.uuid4().hex}"
    client = ["--host", devserver.base_url, "--token-dir", str(tmp_path / "tokens")]

    code, _, err = _run(capsys, monkeypatch, "platform", "user", "add", name, "--password-stdin",
                        "--root", root, stdin=password + "\n")  # fmt: skip
    assert code == 0, err
    code, _, err = _run(capsys, monkeypatch, "platform", "user", "add", name, "--password-stdin",
                        "--root", root, stdin=password + "\n")  # fmt: skip
    assert code == 1 and "exists already" in err and "Traceback" not in err
    type_name = f"classifier {uuid.uuid4().hex[:6]}"
    code, out, err = _run(capsys, monkeypatch, "platform", "model-type", "add", type_name,
                          "--schema", str(SCHEMA), "--root", root)  # fmt: skip
    assert code == 0, err
    type_id = out.strip()

    code, out, err = _run(capsys, monkeypatch, "platform", "login", "--user", name,
                          "--password-stdin", *client, stdin="wrong password\n")  # fmt: skip
    assert code == 1 and "wrong user name or password" in err and "Traceback" not in err
    code, out, err = _run(capsys, monkeypatch, "platform", "login", "--user", name,
                          "--password-stdin", *client, stdin=password + "\n")  # fmt: skip
    assert code == 0 and f"logged in as {name}" in out
    token_file = next((tmp_path / "tokens").rglob("default"))
    token = json.loads(token_file.read_text())["access_token"]
    assert token not in out + err and password not in out + err

    code, out, _ = _run(capsys, monkeypatch, "platform", "model-types", *client)
    assert code == 0 and type_name in out and type_id in out

    bad = tmp_path / "bad.yaml"
    bad.write_text("training:\n  epochs: 0\n  learning_rate: -2\n")
    code, out, err = _run(capsys, monkeypatch, "platform", "create-model", "m1", "--type",
                          type_name, "--settings", str(bad), *client)  # fmt: skip
    assert code == 1 and "training.epochs" in err and "training.learning_rate" in err
    code, out, _ = _run(capsys, monkeypatch, "platform", "models", "--json", *client)
    assert [m for m in json.loads(out) if m["name"] == "m1"] == []

    good = tmp_path / "good.yaml"
    good.write_text("training:\n  epochs: 2\n")
    code, out, err = _run(capsys, monkeypatch, "platform", "create-model", "m1", "--type",
                          type_id, "--settings", str(good), *client)  # fmt: skip
    assert code == 0, err
    model_id = out.strip()
    code, out, _ = _run(capsys, monkeypatch, "platform", "models", "--json", *client)
    listed = [m for m in json.loads(out) if m["id"] == model_id]
    assert listed and "apiKey" not in listed[0]
    code, out, _ = _run(capsys, monkeypatch, "platform", "models", *client)
    assert model_id in out and "m1" in out

    api = PlatformAPI(host=devserver.base_url, token_dir=tmp_path / "tokens", env={})
    api.create_dataset("cli images")
    code, out, _ = _run(capsys, monkeypatch, "platform", "datasets", *client)
    assert code == 0 and "cli images" in out

    kind = api.get_model_type(type_id)
    space = devserver.app.space  # where the job's storage folder is, as `serve` prints it
    monkeypatch.setenv("BREVETTIAI_DATA_BUCKET", space.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", space.store.endpoint)
    job = api.initialize_training(model_id, schema=kind.schema, job_dir=tmp_path / "job")
    job.upload_artifact("nested/a.txt", "alpha")
    job.complete_job()
    code, out, _ = _run(capsys, monkeypatch, "platform", "artifacts", model_id, *client)
    assert code == 0 and "nested/a.txt" in out
    down = tmp_path / "down"
    code, out, err = _run(capsys, monkeypatch, "platform", "artifacts", model_id, "--download",
                          str(down), *client)  # fmt: skip
    assert code == 0 and "checksum verified" in err
    assert (down / "nested" / "a.txt").read_text() == "alpha"


def test_user_add_needs_a_password_on_stdin(tmp_path, capsys, monkeypatch) -> None:
    code, _, err = _run(capsys, monkeypatch, "platform", "user", "add", "x@example.com",
                        "--root", str(tmp_path))  # fmt: skip
    assert code == 2 and "--password-stdin" in err
    code, _, err = _run(capsys, monkeypatch, "platform", "user", "add", "x@example.com",
                        "--password-stdin", "--root", str(tmp_path), stdin="short\n")  # fmt: skip
    assert code == 1 and "at least 8 characters" in err


def test_a_broken_schema_is_refused_by_model_type_add(tmp_path, capsys, monkeypatch) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("fields:\n  a: {type: integer, default: 5, min: 10}\n")
    code, _, err = _run(capsys, monkeypatch, "platform", "model-type", "add", "broken",
                        "--schema", str(broken), "--root", str(tmp_path))  # fmt: skip
    assert code == 1 and "Traceback" not in err and err.strip()
    with pytest.raises(SystemExit) as caught:
        main(["platform", "model-type", "add", "x", "--root", str(tmp_path)])
    assert caught.value.code == 2
