"""Starting the dev platform: a threaded werkzeug server over a store folder."""

from __future__ import annotations

import os
import re
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Final

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .._files import atomic_write_json
from ._app import MAX_ARTIFACT_BYTES, DevServerApp
from ._auth import load_admin_token
from ._faults import FaultConfig, FaultInjector
from ._store import SERVER_FILE, Store

__all__ = ["make_dev_server", "serve", "server_url"]

_KEY_QUERY: Final = re.compile(r"(?i)([?&](?:api_)?key=)[^&#]*")


class _Handler(WSGIRequestHandler):
    """Werkzeug's request handler with a log line that can never show a key."""

    quiet = False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.quiet:
            return
        path = _KEY_QUERY.sub(r"\1********", getattr(self, "path", ""))
        self.log("info", '"%s %s" %s %s', self.command, path, code, size)


class _QuietHandler(_Handler):
    quiet = True


def make_dev_server(
    root: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 8750,
    admin_token: str | None = None,
    max_artifact_bytes: int = MAX_ARTIFACT_BYTES,
    faults: FaultConfig | None = None,
    quiet: bool = False,
) -> tuple[BaseWSGIServer, DevServerApp, str]:
    """A bound, threaded server (not yet serving), its app and its admin token.

    Port 0 picks a free port (``server.server_port`` tells which). Uploads left in
    flight by an earlier server on the same root are removed.
    """
    store = Store(root)
    store.clean_temp()
    token, _ = load_admin_token(store.root, admin_token)
    app = DevServerApp(
        store,
        admin_token=token,
        max_artifact_bytes=max_artifact_bytes,
        faults=FaultInjector(faults),
    )
    handler = _QuietHandler if quiet else _Handler
    server = make_server(host, port, app, threaded=True, request_handler=handler)
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
) -> None:
    """Run the server until interrupted; prints its address (and a new admin token)."""
    saved = Path(root) / "admin-token"
    had_token = admin_token is not None or saved.is_file()
    server, _, token = make_dev_server(
        root, host=host, port=port, admin_token=admin_token,
        max_artifact_bytes=max_artifact_bytes, faults=faults,
    )  # fmt: skip
    url = server_url(server)
    atomic_write_json(Path(root) / SERVER_FILE, {"url": url, "pid": os.getpid()})
    print(f"brevetti-job dev platform on {url} (store: {Path(root).resolve()})", flush=True)
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
