"""Starting the dev platform: a threaded werkzeug server over a store folder."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

from brevetti_schema import MASK

from .._files import atomic_write_json
from ._app import MAX_ARTIFACT_BYTES, DevServerApp
from ._auth import load_admin_token
from ._credentials import DEFAULT_TTL, CredentialIssuer, Identities, Minter
from ._faults import FaultConfig, FaultInjector
from ._object_space import DEFAULT_DATA_BUCKET, ObjectSpace
from ._objectstore import ObjectStore, SeaweedStore, scoped_identities
from ._root_lock import RootLock
from ._store import SERVER_FILE, Store

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "DEFAULT_CONNECTION_TIMEOUT",
    "DEFAULT_MAX_THREADS",
    "PlatformServer",
    "make_dev_server",
    "serve",
    "server_url",
]

_KEY_QUERY: Final = re.compile(r"(?i)([?&](?:api_)?key=)[^&#]*")


class _Handler(WSGIRequestHandler):
    """Werkzeug's request handler with a log line that can never show a key."""

    quiet = False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.quiet:
            return
        path = _KEY_QUERY.sub(rf"\1{MASK}", getattr(self, "path", ""))
        self.log("info", '"%s %s" %s %s', self.command, path, code, size)


class _QuietHandler(_Handler):
    quiet = True


DEFAULT_MAX_THREADS: Final = 64
"""Handler threads at most: connections beyond them wait in the listen backlog."""

DEFAULT_CONNECTION_TIMEOUT: Final = 30.0
"""Seconds a connection may sit idle (or stall mid-request) before it is closed."""


class PlatformServer(BaseWSGIServer):
    """Werkzeug's server with a bounded number of handler threads and a timeout on every
    connection; `on_close` runs once at `server_close` (the dev platform releases its
    store and the root's lock there). Any WSGI app can run on it (the benchmarks' bare
    baseline does)."""

    multithread = True
    daemon_threads = True

    def __init__(
        self,
        host: str,
        port: int,
        app: WSGIApplication,
        *,
        handler: type[WSGIRequestHandler] = WSGIRequestHandler,
        max_threads: int = DEFAULT_MAX_THREADS,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(host, port, app, handler=handler)
        self.max_threads = max_threads
        self._slots = threading.BoundedSemaphore(max_threads)
        self._stopping = threading.Event()
        self._on_close = on_close
        self._closed = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the connection to a new thread once one of `max_threads` slots is free."""
        while not self._slots.acquire(timeout=0.1):
            if self._stopping.is_set():
                self.shutdown_request(request)
                return
        thread = threading.Thread(
            target=self._handle,
            args=(request, client_address),
            name="devserver-handler",
            daemon=True,
        )
        try:
            thread.start()
        except BaseException:
            self._slots.release()
            raise

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - socketserver's own reporting, as ThreadingMixIn
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def shutdown(self) -> None:
        self._stopping.set()
        super().shutdown()

    def server_close(self) -> None:
        super().server_close()
        with self._closed:
            on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()


def make_dev_server(
    root: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 8750,
    admin_token: str | None = None,
    max_artifact_bytes: int = MAX_ARTIFACT_BYTES,
    faults: FaultConfig | None = None,
    quiet: bool = False,
    max_threads: int = DEFAULT_MAX_THREADS,
    connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
    object_store: ObjectStore | None = None,
    identities: Identities | Minter | None = None,
    start_object_store: bool = True,
    data_bucket: str = DEFAULT_DATA_BUCKET,
    credential_ttl: float = DEFAULT_TTL,
) -> tuple[PlatformServer, DevServerApp, str]:
    """A bound server (not yet serving), its app and its admin token.

    Port 0 picks a free port (``server.server_port`` tells which). The root's lock is
    taken first (`RootLocked` if another server holds it); uploads left in flight by an
    earlier server on the same root are removed; ``<root>/server.json`` records the
    address (and the object store's) for ``platform create``.

    The object store: `object_store` (an existing endpoint; `identities` mints scoped
    credentials on it, if it can), else with `start_object_store` a SeaweedFS gateway
    under ``<root>/objectstore`` that stops with the server, else none (the job calls
    that need storage answer 501). On an existing endpoint without `identities`, the
    store must make scoped keys itself (`scoped_identities`: its IAM API, or STS with
    ``BREVETTI_S3_ROLE_ARN``); `ObjectStoreError` here, at start, if it cannot.
    """
    lock = RootLock(root).acquire()
    seaweed: SeaweedStore | None = None
    issuer: CredentialIssuer | None = None
    try:
        store = Store(root)
        token, _ = load_admin_token(store.root, admin_token)
        if object_store is None and start_object_store:
            seaweed = SeaweedStore(Path(root) / "objectstore").start()
            object_store, identities = seaweed.store, seaweed
        space = None
        if object_store is not None:
            space = ObjectSpace(object_store, data_bucket)
            space.prepare()
            if identities is None:  # an existing endpoint: the store must mint them itself
                identities = scoped_identities(object_store)
            issuer = CredentialIssuer(store, identities, data_bucket, credential_ttl)
            issuer.start()
        app = DevServerApp(
            store,
            admin_token=token,
            max_artifact_bytes=max_artifact_bytes,
            faults=FaultInjector(faults),
            space=space,
            issuer=issuer,
        )
        base = _QuietHandler if quiet else _Handler
        handler = type(base.__name__, (base,), {"timeout": connection_timeout})

        def close() -> None:
            if issuer is not None:
                issuer.stop()
            if seaweed is not None:
                seaweed.stop()
            store.close()
            lock.release()

        server = PlatformServer(
            host, port, app, handler=handler, max_threads=max_threads, on_close=close
        )
        record: dict[str, object] = {"url": server_url(server), "pid": os.getpid()}
        if space is not None:
            record.update(s3_endpoint=space.store.endpoint, data_bucket=space.url)
        atomic_write_json(Path(root) / SERVER_FILE, record)
    except BaseException:
        if issuer is not None:
            issuer.stop()
        if seaweed is not None:
            seaweed.stop()
        lock.release()
        raise
    return server, app, token


def server_url(server: BaseWSGIServer) -> str:
    """The base URL a server answers on."""
    host = server.host if server.host not in ("", "0.0.0.0", "::") else "127.0.0.1"  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{server.server_port}"


def serve(
    root: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 8750,
    admin_token: str | None = None,
    max_artifact_bytes: int = MAX_ARTIFACT_BYTES,
    faults: FaultConfig | None = None,
    max_threads: int = DEFAULT_MAX_THREADS,
    connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
    object_store: ObjectStore | None = None,
    data_bucket: str = DEFAULT_DATA_BUCKET,
    credential_ttl: float = DEFAULT_TTL,
) -> None:
    """Run the server until interrupted; prints its address (and a new admin token).

    `RootLocked` is raised when another server runs on `root`. Without `object_store`
    it starts its own SeaweedFS gateway (and stops it when it stops).
    """
    saved = Path(root) / "admin-token"
    had_token = admin_token is not None or saved.is_file()
    server, app, token = make_dev_server(
        root, host=host, port=port, admin_token=admin_token,
        max_artifact_bytes=max_artifact_bytes, faults=faults, max_threads=max_threads,
        connection_timeout=connection_timeout, object_store=object_store,
        data_bucket=data_bucket, credential_ttl=credential_ttl,
    )  # fmt: skip
    url = server_url(server)
    print(f"brevetti-job dev platform on {url} (store: {Path(root).resolve()})", flush=True)
    if app.space is not None:
        own = "its own SeaweedFS gateway" if object_store is None else "an existing endpoint"
        print(
            f"object store: {app.space.store.endpoint} ({own}), data bucket {app.space.url}",
            flush=True,
        )
    print(f"web pages: {url}/jobs (sign in with the admin token at {url}/login)", flush=True)
    if not had_token:
        print(f"admin token: {token} (saved in {saved})", flush=True)
    else:
        print(f"admin token: in {saved}", flush=True)
    if faults is not None and faults.rate > 0:
        print(f"fault injection: {faults.to_json()}", flush=True)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _terminated(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the server like Ctrl-C does (the store is always consistent)."""
    raise KeyboardInterrupt
