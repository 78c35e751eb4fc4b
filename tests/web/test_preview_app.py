"""The preview's WSGI app and the `brevetti-schema preview` command (no browser needed)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from brevetti_schema import (
    defaults,
    dump_json_schema,
    dump_platform_ui,
    encode_settings,
    load_schema,
)
from brevetti_schema._cli import main as cli_main

from .conftest import EXAMPLES, _server_problem, require

SEGMENTATION = EXAMPLES / "segmentation.yaml"


@pytest.fixture(scope="module")
def client() -> Any:
    require(_server_problem())
    from werkzeug.test import Client

    from brevetti_schema.preview import PreviewApp

    return Client(PreviewApp(load_schema(SEGMENTATION)))


def test_serves_the_page_and_its_files(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for name in ("vendor/vue.min.js", "vendor/vfg.js", "vendor/ajv2020.min.js", "form.js"):
        assert f'src="{name}"' in html
        response = client.get("/" + name)
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        assert len(response.data) > 1000
    assert client.get("/form.css").mimetype == "text/css"
    assert client.get("/vendor/vfg.css").status_code == 200
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        assert client.get(f"/vendor/{name}").status_code == 404  # the dev platform's, not ours
    versions = json.loads(client.get("/vendor/versions.json").data)
    assert versions["vue-form-generator"] == "2.3.4" and versions["vue"].startswith("2.7.")


def test_serves_the_schema_documents(client: Any) -> None:
    schema = load_schema(SEGMENTATION)
    assert client.get("/ui.json").get_data(as_text=True) == dump_platform_ui(schema)
    assert client.get("/schema.json").get_data(as_text=True) == dump_json_schema(schema)


@pytest.mark.parametrize(
    "path", ["/vendor/../_preview.py", "/vendor/vendor.json", "/_preview.py", "/nope", "/vendor/"]
)
def test_serves_nothing_else(client: Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_methods(client: Any) -> None:
    assert client.get("/check").status_code == 405
    assert client.post("/ui.json").status_code == 405
    assert client.get("/favicon.ico").status_code == 204


def test_check_of_valid_transport_settings(client: Any) -> None:
    schema = load_schema(SEGMENTATION)
    sent = encode_settings(schema, defaults(schema))
    assert isinstance(sent["classes"], str)  # the transport form: JSON text for isJson
    report = client.post("/check", json=sent).get_json()
    assert report["valid"] is True
    assert report["settings"]["classes"] == ["background", "scratch", "dent", "stain"]
    assert report["typed"].startswith("SegmentationTraining(classes=['background', ")
    assert "epochs=50" in report["typed"]
    # every default was sent, so the values of fields hidden by their condition are ignored
    inactive = {"model.output_stride", "training.momentum", "training.step_epochs"}
    assert {w["path"] for w in report["warnings"]} == {*inactive, "loss.focal_gamma"}


def test_check_reports_what_the_cli_reports(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sent = {
        "training": {"epochs": 0, "optimizer": "sgd", "momentum": 2, "typo_key": 1},
        "classes": "[oops",
        "dataset": {"channels": "5"},
    }
    report = client.post("/check", json=sent).get_json()
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(sent))
    capsys.readouterr()
    assert cli_main(["validate", str(SEGMENTATION), str(settings), "--format", "json"]) == 1
    assert report == json.loads(capsys.readouterr().out)
    paths = [p["path"] for p in report["problems"]]
    assert {"training.epochs", "training.momentum", "classes", "dataset.channels"} <= set(paths)


@pytest.mark.parametrize(
    ("body", "message"), [(b"{not json", "not JSON"), (b"[1, 2]", "must be a JSON object")]
)
def test_check_refuses_a_body_that_is_no_settings(client: Any, body: bytes, message: str) -> None:
    response = client.post("/check", data=body, content_type="application/json")
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_mounted_under_a_prefix() -> None:
    require(_server_problem())
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from brevetti_schema.preview import PreviewApp

    app = DispatcherMiddleware(
        Response("root", status=404),
        {"/job-types/segmentation/form": PreviewApp(load_schema(SEGMENTATION))},
    )
    client = Client(app)
    bare = client.get("/job-types/segmentation/form")
    assert bare.status_code == 308
    assert bare.headers["Location"].endswith("/job-types/segmentation/form/")
    assert client.get("/job-types/segmentation/form/").mimetype == "text/html"
    assert client.get("/job-types/segmentation/form/ui.json").status_code == 200
    assert client.get("/job-types/segmentation/form/vendor/vfg.js").status_code == 200


def test_the_preview_command_serves_the_form(tmp_path: Path) -> None:
    require(_server_problem())
    command = [sys.executable, "-m", "brevetti_schema._cli", "preview", str(SEGMENTATION)]
    process = subprocess.Popen(
        [*command, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"Previewing {SEGMENTATION} at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "ui.json", timeout=10) as response:
            served = response.read().decode()
        assert served == dump_platform_ui(load_schema(SEGMENTATION))
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_preview_command_reports_a_broken_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("fields:\n  epochs: {type: integer, default: 500, max: 100}\n")
    assert cli_main(["preview", str(broken), "--port", "0"]) == 1
    assert "default 500 is above the maximum 100" in capsys.readouterr().err
