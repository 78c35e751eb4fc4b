"""The web API's rules over loopback: organisations, projects, idempotency, faults, keys."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests

from brevetti_job import PlatformAPI, PlatformError
from brevetti_job._retry import RetryPolicy
from tests.conftest import WebApiUser


def _member_of(server, tmp_path: Path, organization: str) -> WebApiUser:
    """A new user who is also a member of `organization` (made if new)."""
    from brevetti_job.devserver._users import add_user

    name = f"user-{uuid.uuid4().hex[:12]}@example.com"
    password = f"pw-{uuid.uuid4().hex}"
    add_user(server.app.webapi.records, name, password, (organization,))
    return WebApiUser(server, name, password, tmp_path / name)


def _bearer(api: PlatformAPI) -> dict[str, str]:
    return {"Authorization": f"Bearer {api._session.access_token}"}


# -- organisations ------------------------------------------------------------------------


def test_a_user_sees_only_the_organisations_records(devserver, tmp_path) -> None:
    org = f"acme-{uuid.uuid4().hex[:8]}"
    alice = _member_of(devserver, tmp_path, org)
    in_acme = alice.api(organization=org)
    assert [o.name for o in in_acme.get_organizations() if o.is_current] == [org]
    type_id = alice.add_type(f"type-{org}")  # a type without an organisation: everyone's
    dataset = in_acme.create_dataset("acme images")
    tag = in_acme.create_tag("acme line")
    project = in_acme.create_project("acme project", "inspection")
    model = in_acme.create_model("acme model", type_id, {}, datasets=[dataset], tags=[tag])

    outsider = _member_of(devserver, tmp_path, f"other-{uuid.uuid4().hex[:8]}")
    other = outsider.api()  # logged in to the default organisation only
    assert dataset.id not in [d.id for d in other.get_dataset()]
    assert model.id not in [m.id for m in other.get_model()]
    assert tag.id not in [t.id for t in other.get_tag()]
    assert project.id not in [p.id for p in other.get_project()]
    for call in (
        lambda: other.get_dataset(dataset.id),
        lambda: other.get_model(model.id),
        lambda: other.get_tag(tag.id),
        lambda: other.get_project(project.id),
        lambda: other.get_artifacts(model),
        lambda: other.delete_model(model),
        lambda: other.update_dataset(dataset, name="stolen"),
    ):
        with pytest.raises(PlatformError) as caught:
            call()
        assert caught.value.status == 404
    # the outsider cannot build on another organisation's records either
    with pytest.raises(PlatformError, match="unknown datasets") as caught:
        other.create_model("mine", type_id, {}, datasets=[dataset])
    assert caught.value.status == 404
    assert type_id in [t.id for t in other.get_modeltype()]

    # the same user in their default organisation does not see acme's records ...
    in_default = alice.api()
    assert dataset.id not in [d.id for d in in_default.get_dataset()]
    # ... but can address acme by the v1 prefix; a non-member cannot
    acme_id = next(o.id for o in in_acme.get_organizations() if o.name == org)
    in_default.use(acme_id)
    assert [d.id for d in in_default.get_dataset()] == [dataset.id]
    assert [p.id for p in in_default.get_project()] == [project.id]
    answer = requests.get(
        f"{devserver.base_url}/api/orgs/{acme_id}/data", headers=_bearer(other), timeout=10
    )
    assert answer.status_code == 403 and "not a member" in answer.json()["error"]


def test_projects_are_created_changed_and_deleted(webapi_user) -> None:
    api = webapi_user.api()
    project = api.create_project("bottle line", "cameras 1-4", thumbnail="https://x/t.png")
    assert project.name == "bottle line" and project.description == "cameras 1-4"
    assert project.thumbnail == "https://x/t.png" and project.applications == ()
    assert project.created
    assert api.get_project(project.id) == project
    assert project.id in [p.id for p in api.get_project()]
    changed = api.update_project(project, name="bottle line 2")
    assert changed.name == "bottle line 2" and changed.description == ""
    with pytest.raises(PlatformError, match="'name' is required") as caught:
        api.create_project("  ")
    assert caught.value.status == 400
    api.delete_project(project)
    with pytest.raises(PlatformError) as caught:
        api.get_project(project.id)
    assert caught.value.status == 404


# -- idempotency --------------------------------------------------------------------------


def test_a_used_idempotency_key_replays_the_same_write_and_refuses_another(webapi_user) -> None:
    api = webapi_user.api()
    url = f"{webapi_user.server.base_url}/api/data/"
    headers = {**_bearer(api), "Idempotency-Key": f"key-{uuid.uuid4().hex}"}
    first = requests.post(url, json={"name": "once"}, headers=headers, timeout=10)
    again = requests.post(url, json={"name": "once"}, headers=headers, timeout=10)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replay"] == "true"
    other = requests.post(url, json={"name": "twice"}, headers=headers, timeout=10)
    assert other.status_code == 422 and "different request" in other.json()["error"]
    assert [d.name for d in api.get_dataset() if d.name in ("once", "twice")] == ["once"]


# -- fault injection ----------------------------------------------------------------------


def test_the_clients_retries_get_through_injected_faults_applying_each_write_once(
    webapi_user, tmp_path
) -> None:
    server = webapi_user.server
    api = webapi_user.api(retry=RetryPolicy(attempts=40, budget=60.0, base=0.0, cap=0.0))
    type_id = webapi_user.add_type("faulty")
    name = f"through faults {uuid.uuid4().hex[:6]}"
    with server.faults(0.5, modes=("503", "drop", "applied-then-503"), seed=7):
        dataset = api.create_dataset(name)
        models = [
            api.create_model(f"{name} {i}", type_id, {}, datasets=[dataset]) for i in range(4)
        ]
        listed = api.get_model()
        injected = server.fault_state()["injected"]
    assert sum(injected.values()) >= 4 and injected["applied-then-503"] >= 1
    mine = sorted(m.name for m in listed if m.name.startswith(name))
    assert mine == sorted(m.name for m in models)  # four models: none made twice
    assert [d.name for d in api.get_dataset()].count(name) == 1
    server.wait_idle()


# -- keys ---------------------------------------------------------------------------------


def test_the_job_key_is_not_kept_in_plain_text_by_the_web_api(webapi_user) -> None:
    api = webapi_user.api()
    model = api.create_model("keyed", webapi_user.add_type("keyed"), {})
    assert model.has_api_key
    database = Path(webapi_user.server.root) / "platform.db"
    with sqlite3.connect(database) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert "webapi_secrets" not in tables
        for table in tables:
            for row in db.execute(f"SELECT * FROM {table}"):
                assert model.api_key not in json.dumps(row, default=str), table
    # the key reaches its owner and the job: from the job's info.json in the object store
    assert api.get_model(model.id).api_key == model.api_key
    info = webapi_user.server.app.space.read_json(f"{model.id}/info.json")
    assert info["api_key"] == model.api_key


def test_a_replayed_model_creation_answers_the_key_without_having_stored_it(webapi_user) -> None:
    api = webapi_user.api()
    body = {"name": "replayed", "modelTypeId": webapi_user.add_type("replayed"), "settings": "{}"}
    headers = {**_bearer(api), "Idempotency-Key": f"key-{uuid.uuid4().hex}"}
    url = f"{webapi_user.server.base_url}/api/models"
    first = requests.post(url, json=body, headers=headers, timeout=10).json()
    again = requests.post(url, json=body, headers=headers, timeout=10)
    assert again.headers["Idempotent-Replay"] == "true"
    assert again.json() == first and first["apiKey"] not in ("", "<NO_API_KEY>")


def test_a_training_initialized_from_the_dev_platform_finds_its_storage(
    webapi_user, tmp_path, monkeypatch
) -> None:
    """No BREVETTIAI_DATA_BUCKET in the environment: the dev platform says where it is."""
    monkeypatch.delenv("BREVETTIAI_DATA_BUCKET", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    api = webapi_user.api()
    kind = api.get_model_type(webapi_user.add_type("storage found"))
    model = api.create_model("storage found", kind, {})
    job = api.initialize_training(model, schema=kind.schema, job_dir=tmp_path / "job")
    job.upload_artifact("note.txt", "stored")
    job.complete_job()
    assert [a.path for a in api.get_artifacts(model)] == ["note.txt"]
    assert webapi_user.server.app.space.read_json(f"{model.id}/info.json")["id"] == model.id
