"""`brevetti-job platform create` as a client of a running platform (by host), over loopback."""

from __future__ import annotations

import json
import shlex
import uuid
from pathlib import Path

import pytest
import requests

from brevetti_job._cli import main


def _exports(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            values[name] = shlex.split(value)[0]
    return values


def _schema(tmp_path: Path) -> Path:
    """A schema no other test registers a type for (its field name is unique)."""
    field = f"epochs_{uuid.uuid4().hex[:8]}"
    path = tmp_path / "schema.yaml"
    path.write_text(
        f"title: Unique\nfields:\n  {field}: {{type: integer, default: 2, min: 1}}\n"
        "  rate: {type: number, default: 0.1}\n"
    )
    return path


def _images(tmp_path: Path) -> Path:
    folder = tmp_path / "parts"
    for relative, content in {"ok/1.png": b"one", "nok/sub/2.png": b"two", "x y.png": b"3"}.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    return folder


def test_a_logged_in_user_creates_a_model_job_through_the_web_api(
    webapi_user, tmp_path, capsys, object_store
) -> None:
    server = webapi_user.server
    api = webapi_user.api()  # saves the login in webapi_user.token_dir
    schema = _schema(tmp_path)
    type_id = webapi_user.add_type(f"unique {uuid.uuid4().hex[:6]}", schema.read_text())
    argv = [
        "platform", "create", "--schema", str(schema), "--host", server.base_url,
        "--token-dir", str(webapi_user.token_dir), "--name", "from the cli",
        "--dataset", f"parts={_images(tmp_path)}",
    ]  # fmt: skip
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
    assert out.count(key) == 1 and key not in err and "# dataset parts:" in out

    # a model of the web API: the user sees it, of the type with that schema, with its dataset
    model = api.get_model(values["BREVETTI_JOB_ID"])
    assert model.name == "from the cli" and model.model_type_id == type_id
    [dataset_id] = model.datasets
    assert api.get_dataset(dataset_id).name == "parts"
    # the dataset's files went up with its own credentials
    listed = object_store.client().list_objects_v2(Bucket="brevetti-data", Prefix=f"{dataset_id}/")
    found = {o["Key"].split("/", 1)[1]: o["Size"] for o in listed["Contents"]}
    assert found == {"ok/1.png": 3, "nok/sub/2.png": 3, "x y.png": 1}
    # and the key printed is the job's: the job's info.json holds it, and its calls take it
    info = object_store.client().get_object(Bucket="brevetti-data", Key=f"{model.id}/info.json")
    described = json.loads(info["Body"].read())
    assert described["api_key"] == key and described["datasets"][0]["id"] == dataset_id
    answer = requests.post(
        f"{server.base_url}/api/models/{model.id}/charts", params={"name": "c"}, json={},
        headers={"Authorization": f"Bearer {key}"}, timeout=10,
    )  # fmt: skip
    assert answer.status_code == 204
    for path in Path(server.root).rglob("*"):
        if path.is_file() and path.name != "objectstore":
            assert key.encode() not in path.read_bytes(), path


def test_a_report_job_names_its_type_and_model(webapi_user, tmp_path, capsys) -> None:
    api = webapi_user.api()
    schema = _schema(tmp_path)
    model = api.create_model("under test", webapi_user.add_type("model of cli report"), {})
    report_type = f"report {uuid.uuid4().hex[:6]}"
    webapi_user.add_type(report_type, schema.read_text(), kind="report")
    argv = [
        "platform", "create", "--schema", str(schema), "--host", webapi_user.server.base_url,
        "--token-dir", str(webapi_user.token_dir), "--kind", "report", "--type", report_type,
        "--model", model.id, "--json",
    ]  # fmt: skip
    assert main(argv) == 0
    created = json.loads(capsys.readouterr().out)
    report = api.get_report(created["id"])
    assert created["kind"] == "report" and report.models == (model.id,)
    assert report.api_key == created["api_key"] and created["datasets"] == []


def test_without_a_fitting_type_or_a_login_it_says_what_to_do(webapi_user, tmp_path, capsys):
    webapi_user.api()
    schema = _schema(tmp_path)
    host = webapi_user.server.base_url
    argv = ["platform", "create", "--schema", str(schema), "--host", host]
    assert main([*argv, "--token-dir", str(webapi_user.token_dir)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "no model type on" in err and "model-type add" in err
    assert "Traceback" not in err
    assert main([*argv, "--token-dir", str(tmp_path / "nobody")]) == 1
    err = capsys.readouterr().err
    assert "no login for" in err and "platform login" in err and "--admin-token" in err


def test_an_admin_token_creates_by_host_without_the_store_folder(devserver, tmp_path, capsys):
    argv = [
        "platform", "create", "--schema", str(_schema(tmp_path)), "--host", devserver.base_url,
        "--admin-token", devserver.admin_token, "--root", str(tmp_path / "not-a-store"),
        "--token-dir", str(tmp_path / "nobody"), "--json",
    ]  # fmt: skip
    assert main(argv) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["host"] == devserver.base_url and created["kind"] == "model"
    assert devserver.state(created["id"])["status"] == "created"
    assert not (tmp_path / "not-a-store").exists()
    wrong = argv.index(devserver.admin_token)
    assert main([*argv[:wrong], "wrong", *argv[wrong + 1 :]]) == 1
    assert "refused" in capsys.readouterr().err


@pytest.mark.parametrize("source", ["file", "env", "flag"])
def test_the_admin_token_comes_from_a_file_the_environment_or_the_flag(
    devserver, tmp_path, capsys, monkeypatch, source
):
    token_file = tmp_path / "admin-token"
    token_file.write_text(devserver.admin_token + "\n")
    argv = [
        "platform", "create", "--schema", str(_schema(tmp_path)), "--host", devserver.base_url,
        "--token-dir", str(tmp_path / "nobody"), "--json",
    ]  # fmt: skip
    monkeypatch.delenv("BREVETTI_ADMIN_TOKEN", raising=False)
    if source == "file":
        argv += ["--admin-token-file", str(token_file)]
    elif source == "env":
        monkeypatch.setenv("BREVETTI_ADMIN_TOKEN", devserver.admin_token)
    else:
        argv += ["--admin-token", devserver.admin_token]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert devserver.state(json.loads(out)["id"])["status"] == "created"
    warned = "--admin-token puts the token on the command line" in err
    assert warned == (source == "flag") and devserver.admin_token not in err
    if source == "file":
        token_file.unlink()
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "cannot read the admin token file" in err and "Traceback" not in err
