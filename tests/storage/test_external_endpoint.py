"""`brevetti-job serve --s3-endpoint`: job-scoped credentials minted on an existing store
(a separately started SeaweedFS with its IAM API), enforced by that store; a store that
cannot mint them stops the server at start."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from brevetti_job import StoragePermissionError
from brevetti_job._storage import (
    CredentialRoutes,
    PlatformCredentials,
    StaticCredentials,
    Storage,
)
from brevetti_job.devserver import make_dev_server
from brevetti_job.devserver._objectstore import (
    ObjectStore,
    ObjectStoreError,
    SeaweedStore,
    folder_grants,
    grants_policy,
    scoped_identities,
)
from tests.conftest import DevServer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def external_store(tmp_path_factory) -> Iterator[SeaweedStore]:
    """A SeaweedFS gateway with its IAM API, started apart from any dev server."""
    seaweed = SeaweedStore(tmp_path_factory.mktemp("external") / "store", iam=True).start()
    yield seaweed
    seaweed.stop()


@pytest.fixture
def external_devserver(external_store, tmp_path) -> Iterator[DevServer]:
    """A dev server given only the store's endpoint and admin keys (as --s3-endpoint)."""
    store = ObjectStore(
        external_store.endpoint, external_store.store.access_key, external_store.store.secret_key
    )
    server, app, token = make_dev_server(tmp_path / "root", port=0, quiet=True, object_store=store)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    dev = DevServer(f"http://127.0.0.1:{server.server_port}", token, tmp_path / "root")
    dev.app = app  # type: ignore[attr-defined]
    yield dev
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def iam_users(seaweed: SeaweedStore) -> set[str]:
    iam = boto3.client(
        "iam",
        endpoint_url=seaweed.endpoint,
        region_name="us-east-1",
        aws_access_key_id=seaweed.store.access_key,
        aws_secret_access_key=seaweed.store.secret_key,
    )
    return {user["UserName"] for user in iam.list_users()["Users"]}


def test_the_external_store_mints_and_enforces_job_scoped_credentials(
    external_devserver, external_store
):
    given = external_devserver.create_dataset("given", {"a/1.png": b"one"})
    other = external_devserver.create_dataset("other", {"b/2.png": b"two"})
    job = external_devserver.create_job(datasets=[given["id"]])
    neighbour = external_devserver.create_job()
    bucket = job.data_bucket
    assert job.s3_endpoint == external_store.endpoint

    own = PlatformCredentials(job.base_url, job.id, job.api_key, model_id=job.id)
    dataset = PlatformCredentials(job.base_url, job.id, job.api_key, dataset_id=given["id"])
    # routed wrongly on purpose: only the store stands between these keys and the others
    routes = CredentialRoutes(
        {
            f"{bucket}/{job.id}": own,
            f"{bucket}/{neighbour.id}": own,
            f"{bucket}/{given['id']}": dataset,
            f"{bucket}/{other['id']}": dataset,
        }
    )
    storage = Storage(
        f"{bucket}/{job.id}", credentials=routes, endpoint_url=job.s3_endpoint, progress=False
    )
    assert storage.read_json("info.json")["id"] == job.id
    storage.write_bytes("artifacts/mine.txt", b"mine")
    assert storage.read_bytes("artifacts/mine.txt") == b"mine"
    assert [o.relative for o in storage.list(f"{bucket}/{given['id']}")] == ["a/1.png"]
    assert storage.read_bytes(f"{bucket}/{given['id']}/a/1.png") == b"one"
    minted = {name for name in iam_users(external_store) if name.startswith("job-")}
    assert len(minted) == 2  # one IAM user per resource asked for

    refused = {
        "a write into another job's folder": lambda: storage.write_bytes(
            f"{bucket}/{neighbour.id}/artifacts/x", b"x"
        ),
        "a read of another job's folder": lambda: storage.read_bytes(
            f"{bucket}/{neighbour.id}/info.json"
        ),
        "a read of a dataset not given": lambda: storage.read_bytes(
            f"{bucket}/{other['id']}/b/2.png"
        ),
        "a listing of a dataset not given": lambda: list(storage.list(f"{bucket}/{other['id']}")),
        "a write into the dataset given": lambda: storage.write_bytes(
            f"{bucket}/{given['id']}/new.png", b"x"
        ),
    }
    for what, attempt in refused.items():
        with pytest.raises(StoragePermissionError, match="AccessDenied"):
            attempt()
        assert job.api_key not in what

    # completion ends the job's access: its users are removed from the store
    assert external_devserver.app.issuer.revoke_job(job.id) == 2
    assert not minted & iam_users(external_store)
    revoked = Storage(  # the keys the job was given, no renewal
        f"{bucket}/{job.id}",
        credentials=StaticCredentials(own.credentials()),
        endpoint_url=job.s3_endpoint,
        progress=False,
    )
    with pytest.raises(StoragePermissionError):
        revoked.read_bytes("artifacts/mine.txt")


def test_a_policy_allows_exactly_the_grants():
    policy = grants_policy(folder_grants("data", "job1", write=True))
    by_action = {tuple(s["Action"]): s for s in policy["Statement"]}
    assert by_action[("s3:GetObject",)]["Resource"] == ["arn:aws:s3:::data/job1/*"]
    assert by_action[("s3:PutObject",)]["Resource"] == ["arn:aws:s3:::data/job1/*"]
    listing = by_action[("s3:ListBucket",)]
    assert listing["Resource"] == ["arn:aws:s3:::data"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["job1/", "job1/*"]}}
    read_only = grants_policy(folder_grants("data", "ds1", write=False))
    actions = {a for s in read_only["Statement"] for a in s["Action"]}
    assert actions == {"s3:GetObject", "s3:ListBucket"}


def test_a_store_that_cannot_mint_stops_the_server_at_start(object_store, tmp_path):
    wrong = ObjectStore(object_store.endpoint, "NOSUCHKEY0000", "no-such-secret-0000")
    with pytest.raises(ObjectStoreError, match="cannot mint job-scoped credentials"):
        scoped_identities(wrong, {})
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": object_store.access_key,
        "AWS_SECRET_ACCESS_KEY": object_store.secret_key,
        "BREVETTI_S3_ROLE_ARN": "arn:aws:iam::000000000000:role/none",  # no STS there
    }
    done = subprocess.run(
        [sys.executable, "-m", "brevetti_job", "serve", "--root", str(tmp_path / "root"),
         "--port", "0", "--s3-endpoint", object_store.endpoint],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "cannot mint job-scoped credentials" in done.stderr
    assert "BREVETTI_S3_ROLE_ARN" in done.stderr
    assert "Traceback" not in done.stderr
    assert object_store.secret_key not in done.stderr + done.stdout


def test_an_identity_made_just_before_a_crash_is_removed_at_the_next_start(
    external_store, tmp_path
):
    from brevetti_job.devserver import Store
    from brevetti_job.devserver._credentials import PENDING, CredentialIssuer
    from brevetti_job.devserver._objectstore import IamIdentities

    store = Store(tmp_path / "root")
    minter = IamIdentities(
        ObjectStore(
            external_store.endpoint, external_store.store.access_key,
            external_store.store.secret_key,
        )
    )  # fmt: skip
    # what a server killed inside a mint leaves: the name recorded, the user made, no key kept
    minter.mint("job-crashed0001", folder_grants("brevetti-data", "j1", write=True), 3600)
    store.add_credential(
        PENDING + "job-crashed0001", "job-crashed0001", "j1", "job j1", 9e9, issued=False
    )
    settled = minter.mint(
        "job-settled0001", folder_grants("brevetti-data", "j2", write=False), 3600
    )
    store.add_credential(settled.access_key, "job-settled0001", "j2", "job j2", 9e9)
    assert {"job-crashed0001", "job-settled0001"} <= iam_users(external_store)

    issuer = CredentialIssuer(store, minter, "s3://brevetti-data")
    issuer.start()  # as a server starting again on that root does
    try:
        users = iam_users(external_store)
        assert "job-crashed0001" not in users and "job-settled0001" in users
        assert [r["identity"] for r in store.credentials()] == ["job-settled0001"]
        assert store.credentials_issued("j1") == {} and store.credentials_issued("j2") == {
            "job j2": 1
        }
    finally:
        issuer.stop()
        minter.remove_identity("job-settled0001")
        store.close()


def test_a_mint_is_recorded_under_its_real_key_and_counted_once(external_devserver):
    job = external_devserver.create_job()
    own = PlatformCredentials(job.base_url, job.id, job.api_key, model_id=job.id).credentials()
    records = external_devserver.app.store.credentials(job_id=job.id)
    assert [r["access_key"] for r in records] == [own.access_key]
    assert external_devserver.state(job.id)["credentials_issued"] == {f"job {job.id}": 1}


def test_an_identity_is_recorded_by_name_before_the_store_makes_it(external_store, tmp_path):
    """What the store holds while the IAM user is being made: a pending record naming it
    (so a crash inside the mint leaves a name to remove); once made, its real key."""
    from brevetti_job.devserver import Store
    from brevetti_job.devserver._credentials import PENDING, CredentialIssuer
    from brevetti_job.devserver._objectstore import IamIdentities

    store = Store(tmp_path / "root")
    seen: list[list[tuple[str, str]]] = []

    class Watched(IamIdentities):
        def mint(self, name, grants, ttl):  # type: ignore[no-untyped-def]
            seen.append([(r["access_key"], r["identity"]) for r in store.credentials()])
            return super().mint(name, grants, ttl)

    minter = Watched(
        ObjectStore(
            external_store.endpoint, external_store.store.access_key,
            external_store.store.secret_key,
        )
    )  # fmt: skip
    issuer = CredentialIssuer(store, minter, "brevetti-data")
    try:
        made = issuer.issue({"id": "j3"}, "j3", None)
        ((record,),) = seen
        assert record[0] == PENDING + record[1] and record[1] in iam_users(external_store)
        assert [(r["access_key"], r["identity"]) for r in store.credentials()] == [
            (made.access_key, record[1])
        ]
        assert store.credentials_issued("j3") == {"job j3": 1}
    finally:
        issuer.revoke_job("j3")
        store.close()
