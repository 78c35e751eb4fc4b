"""The HTTP client of the job-side platform API, on a `requests` session.

Every call has a (connect, read) timeout. Connection errors, timeouts, 5xx and 429 are
retried with exponential backoff and full jitter (or after the server's ``Retry-After``)
within a total budget; a write keeps the same ``Idempotency-Key`` across its retries so
the platform applies it once. 401/403 raise `PlatformAuthError` at once. The API key
travels in the ``Authorization`` header, and in the query of the platform's own job
calls (completion, charts, progress) as their URLs carry it; it is kept out of reprs,
log lines (urllib3's too) and exception messages.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs
import requests
from urllib3.exceptions import LocationParseError

from ._errors import PlatformAuthError, PlatformError, PlatformUnavailable
from ._log_mask import MASK, mask_in_logs
from ._retry import (
    DEFAULT_TIMEOUT,
    RETRY_STATUS,
    Attempts,
    RetryPolicy,
    settings_from_env,
    transient_failure,
)
from ._retry import retry_after as _retry_after

__all__ = ["Answer", "PlatformClient", "RetryPolicy", "new_idempotency_key"]

logger = logging.getLogger("brevetti_job.platform")

_WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_idempotency_key() -> str:
    """A fresh idempotency key (a random UUID)."""
    return str(uuid.uuid4())


@attrs.frozen
class Answer:
    """A successful answer: status, headers (lower-case names) and the body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    attempts: int = 1

    @property
    def replayed(self) -> bool:
        """True when the platform answered from its idempotency record (already applied)."""
        return self.headers.get("idempotent-replay", "").lower() == "true"

    def json(self) -> Any:
        """The body as JSON data (``None`` for an empty body)."""
        return json.loads(self.body) if self.body else None


def _error_text(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, Mapping) and isinstance(data.get("error"), str):
        return str(data["error"])[:500]
    return (response.reason or "").strip() or f"HTTP {response.status_code}"


class PlatformClient:
    """Calls to one platform host with one job's API key; see the module docstring."""

    def __init__(
        self,
        host: str,
        api_key: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        if not host.startswith(("http://", "https://")):
            raise ValueError(f"the platform host must be an http(s) URL, got {host!r}")
        if not api_key:
            raise PlatformAuthError("no API key for the platform")
        self._host = host.rstrip("/")
        self._key = api_key
        mask_in_logs(api_key)
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = random.Random(seed)  # noqa: S311 - backoff jitter, not cryptography
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "brevetti-job"

    @classmethod
    def from_env(cls, host: str, api_key: str, env: Mapping[str, str]) -> PlatformClient:
        """A client with timeout and retry settings from the environment (see above)."""
        timeout, policy = settings_from_env(env)
        return cls(host, api_key, timeout=timeout, retry=policy)

    @property
    def host(self) -> str:
        """The platform's base URL."""
        return self._host

    @property
    def retry(self) -> RetryPolicy:
        """The retry policy of every call."""
        return self._retry

    def __repr__(self) -> str:
        return f"<PlatformClient host={self._host!r}>"

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def scrub(self, text: str) -> str:
        """`text` with the API key masked (for messages built from foreign text)."""
        return text.replace(self._key, MASK) if self._key else text

    # -- one request, retried -----------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        accept: frozenset[int] = frozenset(),
        key_in_query: bool = False,
    ) -> Answer:
        """Send a request, retrying what may succeed later; returns a 2xx answer.

        Statuses in `accept` (e.g. 404 for a HEAD) count as answers too. Other 4xx raise
        `PlatformError` (401/403: `PlatformAuthError`); running out of attempts or budget
        raises `PlatformUnavailable`. With `key_in_query` the key also goes first in the
        query as ``key=``, as the platform's own job URLs carry it (the messages never
        show a query).
        """
        method = method.upper()
        target = f"{method} {path}"
        if key_in_query:
            params = (("key", self._key), *params)
        sent = {"Authorization": f"Bearer {self._key}", **(headers or {})}
        if method in _WRITE_METHODS:
            sent["Idempotency-Key"] = idempotency_key or new_idempotency_key()
        url = self._host + (path if path.startswith("/") else "/" + path)
        attempts = Attempts(
            self._retry, target, rng=self._rng, sleep=self._sleep, logger=logger, scrub=self.scrub
        )
        while True:
            attempt = attempts.next()
            try:
                response = self._send(method, url, params, json_body, form, sent)
            except (requests.RequestException, LocationParseError) as exc:
                failure = transient_failure(exc)
                if failure is None:  # no retry helps, but the write is kept: unavailable
                    raise PlatformUnavailable(
                        f"{target}: the request to {self._host} cannot be made "
                        f"({type(exc).__name__}: {self.scrub(str(exc))})",
                        request=target,
                    ) from (None if key_in_query else exc)  # the cause shows the URL
                attempts.retry(failure, cause=exc, chain=not key_in_query)
                continue
            status = response.status_code
            if status < 300 or status in accept:
                headers_out = {k.lower(): v for k, v in response.headers.items()}
                return Answer(status, headers_out, response.content, attempt)
            if status in (401, 403):
                raise PlatformAuthError(
                    f"{target}: the platform refused the job's API key ({status}: "
                    f"{self.scrub(_error_text(response))})",
                    status=status,
                    request=target,
                )
            if status not in RETRY_STATUS:
                raise PlatformError(
                    f"{target}: {status} {self.scrub(_error_text(response))}",
                    status=status,
                    request=target,
                )
            attempts.retry(
                f"{status} {_error_text(response)}",
                wait=_retry_after(response.headers.get("Retry-After")),
            )

    def _send(
        self,
        method: str,
        url: str,
        params: Sequence[tuple[str, str]],
        json_body: Any,
        form: Mapping[str, str] | None,
        headers: dict[str, str],
    ) -> requests.Response:
        with self._session.request(
            method,
            url,
            params=list(params),
            json=json_body,
            data=form,
            headers=headers,
            timeout=self._timeout,
            allow_redirects=False,
        ) as response:
            _ = response.content
            return response
