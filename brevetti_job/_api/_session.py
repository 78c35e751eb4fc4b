"""The HTTP session of the web API client: bearer tokens, refresh, retries, errors.

Every call has a (connect, read) timeout; connection failures, timeouts, 429 and 5xx
are retried with backoff and jitter within a budget (writes carry one
``Idempotency-Key`` across their attempts). An answer of 401 to a call made with an
access token refreshes the token once and repeats the call. Tokens and passwords only
travel in headers and form bodies: never in a URL, a log line or an exception.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import LocationParseError

from brevetti_schema import MASK

from .._errors import PlatformAuthError, PlatformError, PlatformUnavailable
from .._retry import (
    DEFAULT_TIMEOUT,
    RETRY_STATUS,
    Attempts,
    RetryPolicy,
    retry_after,
    transient_failure,
)

__all__ = ["CLIENT_ID", "SCOPE", "Answer", "WebSession"]

logger = logging.getLogger("brevetti_job.api")

CLIENT_ID: Final = "generic_client"
SCOPE: Final = "api offline_access"
POOL_SIZE: Final = 32
"""Connections kept per host: more than the 16 threads of `download_artifacts`."""
_WRITES: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Answer:
    """A 2xx answer: status, headers and either the body or the open streaming response."""

    def __init__(self, response: requests.Response, *, streamed: bool) -> None:
        self.status = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.response = response if streamed else None
        self.body = b"" if streamed else response.content

    def json(self) -> Any:
        """The body as JSON (``None`` for an empty body)."""
        import json  # noqa: PLC0415 - tiny, and only here

        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise PlatformError("the platform answered with something that is not JSON") from None


def _message(response: requests.Response) -> tuple[str, Any]:
    """The error text of an answer and its JSON body (``None`` if not JSON)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        for key in ("error_description", "error", "message", "title"):
            if isinstance(data.get(key), str):
                return str(data[key])[:500], data
    return (response.reason or "").strip() or f"HTTP {response.status_code}", data


class WebSession:
    """Requests to one platform host with a user's bearer token (see the module docstring)."""

    def __init__(
        self,
        host: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not host.startswith(("http://", "https://")):
            raise ValueError(f"the platform host must be an http(s) URL, got {host!r}")
        self.host = host.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = random.Random()  # noqa: S311 - backoff jitter, not cryptography
        self._session = requests.Session()
        # enough pooled connections for parallel downloads (requests keeps 10 per host)
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=POOL_SIZE)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["User-Agent"] = "brevetti-job-api"
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.on_refresh: Callable[[], None] | None = None
        self._secrets: list[str] = []

    def __repr__(self) -> str:
        return f"<WebSession host={self.host!r}>"

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def keep_secret(self, *values: str | None) -> None:
        """Mask these values (password, tokens) in every message built from foreign text."""
        self._secrets.extend(v for v in values if v)

    def scrub(self, text: str) -> str:
        """`text` with every known secret masked."""
        for secret in (*self._secrets, self.access_token, self.refresh_token):
            if secret:
                text = text.replace(secret, MASK)
        return text

    def url(self, path: str) -> str:
        """An absolute URL: paths are joined to the host, absolute URLs kept."""
        if path.startswith(("http://", "https://")):
            return path
        return self.host + (path if path.startswith("/") else "/" + path)

    def same_host(self, url: str) -> bool:
        """True if `url` is on the platform's own host (the bearer may go there)."""
        mine, other = urlsplit(self.host), urlsplit(url)
        return (mine.scheme, mine.netloc) == (other.scheme, other.netloc)

    # -- tokens ---------------------------------------------------------------------

    def token_grant(self, form: Mapping[str, str], *, basic: bool) -> dict[str, Any]:
        """POST /connect/token with a grant; returns the token JSON (with ``expires_at``)."""
        headers = {}
        if basic:
            pair = base64.b64encode(f"{CLIENT_ID}:".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        answer = self.request(
            "POST", "/connect/token", form=form, headers=headers, bearer=False, retry_auth=False
        )
        token = answer.json()
        if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
            raise PlatformAuthError("the platform's token answer has no access token")
        token["expires_at"] = time.time() + float(token.get("expires_in") or 3600)
        return token

    def refresh(self) -> dict[str, Any]:
        """Trade the refresh token for a new access token (the reference's refresh form)."""
        if not self.refresh_token:
            raise PlatformAuthError("the session expired and there is no refresh token: log in")
        token = self.token_grant(
            {
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "scope": SCOPE,
                "refresh_token": self.refresh_token,
            },
            basic=False,
        )
        self.use_token(token)
        if self.on_refresh is not None:
            self.on_refresh()
        return token

    def use_token(self, token: Mapping[str, Any]) -> None:
        """Send this token from now on."""
        self.access_token = str(token["access_token"])
        refresh = token.get("refresh_token")
        self.refresh_token = str(refresh) if refresh else self.refresh_token

    # -- requests -------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        bearer: bool = True,
        retry_auth: bool = True,
        stream: bool = False,
    ) -> Answer:
        """Send a request, retrying what may succeed later; returns a 2xx answer."""
        method = method.upper()
        url = self.url(path)
        target = f"{method} {urlsplit(url).path}"
        sent = dict(headers or {})
        if method in _WRITES and path != "/connect/token":
            import uuid  # noqa: PLC0415 - only for writes

            sent["Idempotency-Key"] = str(uuid.uuid4())
        attempts = Attempts(
            self.retry, target, rng=self._rng, sleep=self._sleep, logger=logger, scrub=self.scrub
        )
        refreshed = False
        while True:
            attempts.next()
            if bearer and self.same_host(url):
                if not self.access_token:
                    raise PlatformAuthError(f"{target}: not logged in (call login first)")
                sent["Authorization"] = f"Bearer {self.access_token}"
            try:
                response = self._session.request(
                    method, url, params=list(params), json=json_body, data=form, headers=sent,
                    timeout=self.timeout, allow_redirects=False, stream=stream,
                )  # fmt: skip
                if not stream:
                    _ = response.content
            except (requests.RequestException, LocationParseError) as exc:
                failure = transient_failure(exc)
                if failure is None:  # no retry helps
                    raise PlatformUnavailable(
                        f"{target}: the request to {self.host} cannot be made "
                        f"({type(exc).__name__}: {self.scrub(str(exc))})",
                        request=target,
                    ) from exc
                attempts.retry(failure, cause=exc)
                continue
            status = response.status_code
            if status < 300:
                return Answer(response, streamed=stream)
            if stream:
                _ = response.content
                response.close()
            text, data = _message(response)
            text = self.scrub(text)
            if status == 401 and bearer and retry_auth and not refreshed and self.refresh_token:
                refreshed = True
                logger.info("%s: the access token was refused (%s); refreshing", target, text)
                self.refresh()
                attempts.uncount()
                continue
            if status in (401, 403):
                raise PlatformAuthError(f"{target}: {status} {text}", status=status, request=target)
            if status not in RETRY_STATUS:
                raise PlatformError(
                    f"{target}: {status} {text}", status=status, request=target, detail=data
                )
            attempts.retry(
                f"{status} {text}", wait=retry_after(response.headers.get("Retry-After"))
            )

    def get_json(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        """GET a JSON document."""
        return self.request("GET", path, params=params).json()
