"""PlatformAPI against the dev platform over loopback: login, resources, models, reports."""

from __future__ import annotations

import hashlib
import json
import logging
import stat
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
import requests

from brevetti_job import (
    Job,
    ModelPackage,
    ModelType,
    PlatformAPI,
    PlatformAuthError,
    PlatformError,
    SettingsError,
)
from brevetti_schema import Schema

REPORT_SCHEMA = Path(__file__).resolve().parents[2] / "schema_examples" / "test_report.yaml"


def _expire_tokens(user) -> None:
    server = user.server
    answer = requests.post(
        f"{server.base_url}/api/admin/webapi/expire-tokens",
        json={"username": user.username},
        headers=server.admin_headers,
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["expired"] >= 1


# -- login and tokens ------------------------------------------------------------------


def test_login_keeps_the_token_private_and_reuses_it(webapi_user, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        api = webapi_user.api()
        assert api.logged_in and webapi_user.username in repr(api)
        orgs = api.get_organizations()
    assert [o.name for o in orgs] == ["default"] and orgs[0].is_current and orgs[0].is_primary
    host_dir = next(webapi_user.token_dir.glob("webapi.127.0.0.1:*"))
    files = [p for p in host_dir.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].name == "default"
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    token = json.loads(files[0].read_text())["access_token"]
    assert token not in repr(api) and token not in caplog.text
    assert webapi_user.password not in caplog.text

    again = PlatformAPI(host=webapi_user.server.base_url, token_dir=webapi_user.token_dir, env={})
    assert again.logged_in and again.username == webapi_user.username
    assert again.get_organizations()[0].name == "default"
    again.logout()
    assert not files[0].exists()
    with pytest.raises(PlatformAuthError, match="not logged in"):
        again.get_model()


def test_the_login_sends_what_the_reference_sends(webapi_user) -> None:
    url = f"{webapi_user.server.base_url}/connect/token"
    form = {
        "grant_type": "password",
        "username": webapi_user.username,
        "password": webapi_user.password,
        "scope": "api offline_access",
    }
    answer = requests.post(url, data=form, auth=("generic_client", ""), timeout=10)
    assert answer.status_code == 200, answer.text
    token = answer.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    assert requests.post(url, data=form, timeout=10).status_code == 401  # no client
    refreshed = requests.post(
        url,
        data={
            "grant_type": "refresh_token",
            "client_id": "generic_client",
            "scope": "api offline_access",
            "refresh_token": token["refresh_token"],
        },
        timeout=10,
    )
    assert (
        refreshed.status_code == 200 and refreshed.json()["access_token"] != token["access_token"]
    )
    reused = requests.post(
        url,
        data={"grant_type": "refresh_token", "client_id": "generic_client",
              "refresh_token": token["refresh_token"]},
        timeout=10,
    )  # fmt: skip
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_a_wrong_password_is_refused_without_echoing_it(webapi_user) -> None:
    with pytest.raises(PlatformAuthError) as caught:
        PlatformAPI(
            webapi_user.username, "not-the-password", host=webapi_user.server.base_url,
            token_dir=webapi_user.token_dir, env={},
        )  # fmt: skip
    assert "wrong user name or password" in str(caught.value)
    assert "not-the-password" not in str(caught.value)
    assert not webapi_user.token_dir.exists() or not list(webapi_user.token_dir.rglob("default"))


def test_an_expired_token_is_refreshed_and_saved(webapi_user) -> None:
    api = webapi_user.api()
    token_file = next(webapi_user.token_dir.rglob("default"))
    before = json.loads(token_file.read_text())["access_token"]
    _expire_tokens(webapi_user)
    assert isinstance(api.get_model(), list)  # refused once, refreshed, answered
    after = json.loads(token_file.read_text())["access_token"]
    assert after != before
    _expire_tokens(webapi_user)
    loaded = PlatformAPI(host=webapi_user.server.base_url, token_dir=webapi_user.token_dir, env={})
    assert loaded.get_dataset() is not None


def test_calls_without_a_valid_token_are_refused(webapi_user) -> None:
    base = webapi_user.server.base_url
    assert requests.get(f"{base}/api/models", timeout=10).status_code == 401
    bad = {"Authorization": "Bearer bat_forged"}
    assert requests.get(f"{base}/api/data", headers=bad, timeout=10).status_code == 401
    assert (
        requests.get(f"{base}/api/models/availabletypes", headers=bad, timeout=10).status_code
        == 401
    )


# -- datasets and tags -------------------------------------------------------------------


def test_datasets_and_tags(webapi_user) -> None:
    api = webapi_user.api()
    root = api.create_tag("line 1")
    child = api.create_tag("camera A", parent_id=root)
    assert child.parent_id == root.id
    assert [c.name for c in api.get_tag(root.id).children] == ["camera A"]
    dataset = api.create_dataset("bottles", reference="batch 7", notes="n", tag_ids=[child])
    assert dataset.name == "bottles" and dataset.bucket and dataset.bucket.endswith(dataset.id)
    assert dataset.tag_ids == (child.id,) and dataset.tags[0].name == "camera A"
    assert api.get_dataset(name="bottles") == [dataset]
    changed = api.update_dataset(dataset, name="bottles v2", locked=True)
    assert changed.name == "bottles v2" and changed.locked and changed.tag_ids == ()
    renamed = api.update_tag(child, "camera B", parent_id=root)
    assert renamed.name == "camera B"
    api.delete_dataset(dataset)
    with pytest.raises(PlatformError) as caught:
        api.get_dataset(dataset.id)
    assert caught.value.status == 404
    api.delete_tag(child)
    assert api.get_tag(root.id).children == ()


def test_an_unknown_tag_or_dataset_is_a_clear_error(webapi_user) -> None:
    api = webapi_user.api()
    with pytest.raises(PlatformError, match="unknown tags: nope") as caught:
        api.create_dataset("x", tag_ids=["nope"])
    assert caught.value.status == 404
    kind = api.get_modeltype(webapi_user.add_type("demo"))
    with pytest.raises(PlatformError, match="unknown datasets: 00000000"):
        api.create_model("m", kind.id, {}, datasets=["00000000-0000-0000-0000-000000000000"])
    assert api.get_model(name="m") == []


# -- model types and their schemas ------------------------------------------------------------


def test_model_types_come_with_their_settings_schema(webapi_user) -> None:
    api = webapi_user.api()
    type_id = webapi_user.add_type("classifier")
    listed = api.get_modeltype()
    assert type_id in [t.id for t in listed]
    assert type_id in [t.id for t in api.get_available_model_types()]
    plain = api.get_modeltype(type_id)
    assert plain.schema is None and plain.settings_schema_path.startswith("http://127.0.0.1")
    kind = api.get_model_type(type_id)
    assert isinstance(kind, ModelType) and isinstance(kind.schema, Schema)
    assert kind.schema.find("training.epochs") is not None
    assert api.get_model_type(name="classifier").id == type_id
    with pytest.raises(PlatformError, match="no modeltype named"):
        api.get_model_type(name="no such type")
    document = api.get_schema(plain)
    assert isinstance(document["fields"], list)


def test_a_type_is_updated_in_master_mode_and_keeps_its_schema(webapi_user) -> None:
    api = webapi_user.api()
    model_type = api.get_modeltype(webapi_user.add_type("to update"))
    report_type = api.get_reporttype(webapi_user.add_type("its report", kind="report"))
    changed = api.update_modeltype(
        attrs.evolve(model_type, name="updated", short_description="now with a text", status=1,
                     report_type_ids=(report_type.id,))
    )  # fmt: skip
    assert (changed.id, changed.name, changed.status) == (model_type.id, "updated", 1)
    assert changed.short_description == "now with a text"
    assert changed.report_type_ids == (report_type.id,)
    assert changed.raw["reportTypes"] == [{"id": report_type.id, "name": "its report"}]
    again = api.get_modeltype(model_type.id, master=True)
    assert again == changed and model_type.id in [t.id for t in api.get_modeltype(master=True)]
    assert model_type.id not in [t.id for t in api.get_available_model_types()]  # status 1
    schema = api.get_model_type(model_type.id).schema
    assert schema is not None and schema.find("training.epochs") is not None
    flags = api.update_reporttype({"id": report_type.id, "canRunOnProjects": True})
    assert flags.raw["canRunOnProjects"] is True and flags.name == "its report"
    for body, status in (
        ({"name": "no id"}, 400),
        ({"id": model_type.id, "status": "one"}, 400),
        ({"id": model_type.id, "name": ""}, 400),
        ({"id": model_type.id, "instanceCount": -1}, 400),
        ({"id": model_type.id, "version": {"not": "a version"}}, 400),
        ({"id": model_type.id, "reportTypeIds": ["no-such-report-type"]}, 400),
        ({"id": "no-such-type"}, 404),
    ):
        with pytest.raises(PlatformError) as caught:
            api.update_modeltype(body)
        assert caught.value.status == status, body
    assert api.get_modeltype(model_type.id) == changed  # nothing refused was applied


# -- models ------------------------------------------------------------------------------------


def test_invalid_settings_create_nothing_and_list_every_problem(webapi_user) -> None:
    api = webapi_user.api()
    kind = api.get_model_type(webapi_user.add_type("strict"))
    before = len(api.get_model())
    bad = {"training": {"epochs": 0, "learning_rate": -1}, "data": {"samples": 5}}
    with pytest.raises(SettingsError) as caught:
        api.create_model("bad", kind, bad)
    paths = {p.path for p in caught.value.problems}
    assert {"training.epochs", "training.learning_rate", "data.samples"} <= paths
    assert len(api.get_model()) == before

    # the platform checks too: a client that skips the check gets every problem back
    answer = requests.post(
        f"{webapi_user.server.base_url}/api/models",
        json={"name": "raw", "modelTypeId": kind.id, "settings": json.dumps(bad)},
        headers={"Authorization": f"Bearer {api._session.access_token}"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert {p["path"] for p in answer.json()["problems"]} >= paths
    assert len(api.get_model()) == before


def test_create_train_complete_and_download_artifacts(webapi_user, tmp_path) -> None:
    api = webapi_user.api()
    kind = api.get_model_type(webapi_user.add_type("trainable"))
    dataset = api.create_dataset("images")
    model = api.create_model("first model", kind, {"training": {"epochs": 3}}, datasets=[dataset])
    assert model.name == "first model" and model.model_type_id == kind.id
    assert model.datasets == (dataset.id,)
    assert json.loads(model.settings)["training"]["epochs"] == 3
    assert json.loads(model.settings)["extra"] == {}
    assert api.get_model(model.id).id == model.id
    assert "api_key" not in repr(model) and model.api_key not in repr(model)

    job = api.initialize_training(model, schema=kind.schema, job_dir=tmp_path / "job")
    assert isinstance(job, Job) and job.id == model.id and job.mode == "platform"
    assert job.settings.training.epochs == 3
    assert [d.id for d in job.datasets] == [dataset.id]
    assert job.datasets[0].name == "images" and job.datasets[0].bucket == dataset.bucket
    space = webapi_user.server.app.space
    if space is not None:  # the platform's info.json in the model's storage folder
        info = space.read_json(f"{model.id}/info.json")
        assert info["id"] == model.id and info["datasets"][0]["id"] == dataset.id
    assert api.get_model(model.id).started is not None
    job.upload_artifact("report.html", "<p>hi</p>")
    job.upload_artifact("plots/loss.json", '{"loss": [1, 0.5]}')
    package = ModelPackage(classes=["good", "defect"]).add_bytes("weights.bin", b"w" * 1000)
    model_path = job.complete_job(package)
    assert model_path

    done = api.get_model(model.id)
    assert done.completed is not None and done.model_url == model_path
    top = {a.name: a for a in api.get_artifacts(done)}
    assert top["plots"].is_prefix and not top["report.html"].is_prefix
    assert top["plots"].last_modified is None  # a folder has no time of its own
    modified = datetime.fromisoformat(str(top["report.html"].last_modified))
    assert abs((datetime.now(UTC) - modified).total_seconds()) < 3600
    names = {a.path for a in api.get_artifacts(done, recursive=True)}
    assert {"report.html", "plots/loss.json", model_path[len("artifacts/") :]} <= names
    assert [a.path for a in api.get_artifacts(done, prefix="plots/")] == ["plots/loss.json"]

    paths = api.download_artifacts(done, tmp_path / "down")
    assert (tmp_path / "down" / "plots" / "loss.json").read_text() == '{"loss": [1, 0.5]}'
    assert len(paths) == len(names)
    listed = [a.path for a in api.get_artifacts(done, recursive=True)]  # level by level
    assert [p.relative_to(tmp_path / "down").as_posix() for p in paths] == listed
    opened = ModelPackage.open(tmp_path / "down" / model_path[len("artifacts/") :], tmp_path / "p")
    assert opened.classes == ["good", "defect"]


def test_a_changed_artifact_fails_its_checksum(webapi_user, tmp_path) -> None:
    api = webapi_user.api()
    kind = api.get_model_type(webapi_user.add_type("checksum"))
    model = api.create_model("cs", kind, {})
    job = api.initialize_training(model, schema=kind.schema, job_dir=tmp_path / "job")
    job.upload_artifact("weights.bin", b"original")
    job.complete_job()
    files = webapi_user.server.app.webapi.files  # the sha256 the platform keeps for it
    (held,) = [a for a in files.artifacts(model.id) if a["name"] == "weights.bin"]
    wrong = hashlib.sha256(b"tampered").hexdigest()  # as if the bytes changed on the way
    files.store.note_file_digest(model.id, "weights.bin", held["etag"], held["size"], wrong)
    listed = next(a for a in api.get_artifacts(model) if a.name == "weights.bin")
    assert listed.sha256 == wrong and listed.link
    with pytest.raises(PlatformError, match="checksum"):
        api.download_url(listed.link, tmp_path / "d" / "weights.bin", sha256=listed.sha256)
    assert not (tmp_path / "d" / "weights.bin").exists()
    assert list((tmp_path / "d").iterdir()) == []


def test_stop_and_delete_a_model(webapi_user) -> None:
    api = webapi_user.api()
    kind = api.get_model_type(webapi_user.add_type("stoppable"))
    model = api.create_model("to stop", kind, {})
    url = api.start_training(model)
    assert url.endswith(f"/api/models/{model.id}")
    stopped = api.stop_training(model)
    assert stopped.raw["jobStatus"] == "failed"
    api.delete_model(model)
    with pytest.raises(PlatformError) as caught:
        api.get_model(model.id)
    assert caught.value.status == 404


# -- test reports ----------------------------------------------------------------------------


def test_test_reports_are_checked_created_and_initialized(webapi_user, tmp_path) -> None:
    api = webapi_user.api()
    model_kind = api.get_model_type(webapi_user.add_type("for reports"))
    report_kind = api.get_report_type(
        webapi_user.add_type("evaluation", REPORT_SCHEMA.read_text(), kind="report")
    )
    assert isinstance(report_kind.schema, Schema)
    model = api.create_model("under test", model_kind, {})
    dataset = api.create_dataset("test images")
    before = len(api.get_report())
    with pytest.raises(SettingsError):
        api.create_test_report(model, [dataset], report_kind, _bad_report())
    assert len(api.get_report()) == before
    report = api.create_test_report(model, [dataset], report_kind, {}, name="eval 1")
    assert report.name == "eval 1" and report.models == (model.id,)
    assert report.parent_id == model.id and report.datasets == (dataset.id,)
    assert report.report_type_id == report_kind.id and report.started is None
    started = api.start_report(model, [dataset], report_kind, {})
    assert started.started is not None
    job = api.initialize_report(report, schema=report_kind.schema, job_dir=tmp_path / "r")
    assert job.kind == "report" and job.id == report.id
    job.complete_job()
    assert api.get_report(report.id).completed is not None
    api.delete_report(report)
    assert report.id not in [r.id for r in api.get_report()]


def _bad_report() -> dict:
    """Settings the example report schema refuses in two places."""
    return {"model_threshold": 2, "report": {"max_images": 0}}


def test_an_unreachable_platform_is_retried_then_a_clear_error(tmp_path) -> None:
    import socket

    from brevetti_job import PlatformUnavailable
    from brevetti_job._client import RetryPolicy

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(PlatformUnavailable) as caught:
        PlatformAPI(
            "someone@example.com", "pw-secret-123", host=f"http://127.0.0.1:{port}",
            token_dir=tmp_path, retry=RetryPolicy(attempts=3, budget=5, base=0.01), env={},
        )  # fmt: skip
    assert "gave up after 3 attempts" in str(caught.value)
    assert "pw-secret-123" not in str(caught.value) and "/connect/token" in str(caught.value)


def test_no_secret_reaches_a_log_line(webapi_user, tmp_path, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        api = webapi_user.api()
        kind = api.get_model_type(webapi_user.add_type("logged"))
        model = api.create_model("logged model", kind, {})
        _expire_tokens(webapi_user)
        job = api.initialize_training(model, schema=kind.schema, job_dir=tmp_path / "j")
        job.complete_job()
        api.get_artifacts(model)
    saved = json.loads(next(webapi_user.token_dir.rglob("default")).read_text())
    secrets = [webapi_user.password, saved["access_token"], saved["refresh_token"], model.api_key]
    assert "refreshing" in caplog.text  # the refresh happened, and was logged
    for secret in secrets:
        assert secret and secret not in caplog.text


def test_a_brevettiai_notebook_runs_as_written(webapi_user, tmp_path, monkeypatch) -> None:
    """brevettiai's names, argument order and spellings (``submitToCloud``), its
    environment defaults and its token folder under the home directory."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    host = webapi_user.server.base_url
    web = PlatformAPI(
        env={
            "BREVETTI_AI_USER": webapi_user.username,
            "BREVETTI_AI_PW": webapi_user.password,
            "BREVETTIAI_HOST_NAME": host,
        }
    )
    assert web.logged_in and web.host == host and web.username == webapi_user.username
    netloc = host.removeprefix("http://")
    saved = home / ".brevetti" / f"webapi.{netloc}" / webapi_user.username / "default"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert webapi_user.password not in saved.read_text()
    fresh = PlatformAPI(host=host, token_dir=tmp_path / "empty", env={})
    assert not fresh.logged_in
    fresh.login(webapi_user.username, webapi_user.password)
    assert fresh.logged_in and fresh.get_organizations()[0].name == "default"

    model_type = web.get_modeltype(webapi_user.add_type("notebook model"))
    report_type = web.get_reporttype(
        webapi_user.add_type("notebook report", REPORT_SCHEMA.read_text(), kind="report")
    )
    assert model_type.id in [t.id for t in web.get_available_model_types()]
    dataset = web.create_dataset("notebook images")
    model = web.create_model("notebook model", model_type, {}, [dataset])
    assert web.initialize_training(model, submitToCloud=True) is None  # started, not here
    assert web.get_model(model.id).started is not None
    started = web.create_testreport(
        "in the cloud", model, [dataset], report_type, {}, None, submitToCloud=True
    )
    assert started.models == (model.id,) and started.started is not None
    queued = web.create_testreport("queued", [model], [dataset], report_type, {}, [], False)
    assert queued.started is None and queued.datasets == (dataset.id,)

    web.delete_reporttype(report_type)
    web.delete_modeltype(model_type)
    for get, ident in ((web.get_modeltype, model_type.id), (web.get_reporttype, report_type.id)):
        with pytest.raises(PlatformError) as caught:
            get(ident)
        assert caught.value.status == 404
    assert model_type.id not in [t.id for t in web.get_modeltype()]
