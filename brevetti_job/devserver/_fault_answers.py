"""The answers of injected faults (`_faults.FaultInjector`), for the job API and the web API."""

from __future__ import annotations

import json
import socket
from contextlib import suppress
from typing import Final

from werkzeug.wrappers import Request, Response

__all__ = ["drop", "unavailable"]

_BODY_PART: Final = 1 << 20
"""At most this much of a body is read before a dropped connection is closed."""


def unavailable() -> Response:
    """503 with ``Retry-After: 0``: nothing applied, or an applied write's answer lost."""
    body = json.dumps({"error": "service unavailable (injected fault)"})
    return Response(body, 503, headers={"Retry-After": "0"}, mimetype="application/json")


def drop(request: Request) -> Response:
    """Read part of the body, then close the connection without an answer."""
    length = request.content_length or 0
    if length:
        with suppress(OSError, ValueError):
            request.environ["wsgi.input"].read(min(length // 2, _BODY_PART))
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return unavailable()
