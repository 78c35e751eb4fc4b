"""Credentials for the job's resources: one provider per S3 prefix, refreshed when due.

`PlatformCredentials` asks the platform's ``securitycredentials`` call (platform-storage.md
section 3) for the job folder (``modelId``) or a dataset (``datasetId``) and parses the
STS-shaped answer; `StaticCredentials` holds fixed keys (local and dev use).
`CredentialRoutes` maps each ``s3://bucket/prefix/`` to its provider. No key, secret,
token or API key ever appears in a repr or an error message.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .._errors import PlatformAuthError, PlatformError, PlatformUnavailable
from .._log_mask import mask_in_logs
from ._urls import Location, parse_location

__all__ = [
    "CredentialProvider",
    "CredentialRoutes",
    "Credentials",
    "PlatformCredentials",
    "StaticCredentials",
    "parse_sts_answer",
]

REFRESH_MARGIN = datetime.timedelta(minutes=5)
"""Credentials are renewed this long before their expiration, or at half their life
when that is shorter (short-lived credentials are not renewed at every call)."""


@dataclass(frozen=True)
class Credentials:
    """S3 keys; `session_token` is None when there is none (an empty token is none)."""

    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    expiration: datetime.datetime | None = None
    issued: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC), compare=False
    )

    def __post_init__(self) -> None:
        if not self.session_token:
            object.__setattr__(self, "session_token", None)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must be masked wherever text leaves the process."""
        return tuple(s for s in (self.access_key, self.secret_key, self.session_token) if s)

    def due(self, now: datetime.datetime | None = None) -> bool:
        """Whether these should be renewed now (close to or past the expiration)."""
        if self.expiration is None:
            return False
        now = now or datetime.datetime.now(datetime.UTC)
        margin = min(REFRESH_MARGIN, (self.expiration - self.issued) / 2)
        return now >= self.expiration - margin


class CredentialProvider(Protocol):
    """Gives the current credentials for one resource; `refresh` forces new ones."""

    def credentials(self, *, refresh: bool = False) -> Credentials: ...

    @property
    def secrets(self) -> tuple[str, ...]:
        """Everything to mask (keys given so far, the API key)."""
        ...


class StaticCredentials:
    """Fixed keys (a dev store's admin keys, the AWS environment)."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        mask_in_logs(*credentials.secrets)

    @classmethod
    def from_keys(
        cls, access_key: str, secret_key: str, session_token: str | None = None
    ) -> StaticCredentials:
        return cls(Credentials(access_key, secret_key, session_token))

    def credentials(self, *, refresh: bool = False) -> Credentials:
        return self._credentials

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._credentials.secrets

    def __repr__(self) -> str:
        return "StaticCredentials(...)"


_ELEMENT = {
    name: re.compile(rf"<{name}>(.*?)</{name}>", re.DOTALL)
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
}
_EMPTY = {name: re.compile(rf"<{name}\s*/>") for name in ("SessionToken",)}


def parse_sts_answer(body: str) -> Credentials:
    """Credentials from an STS AssumeRole-shaped XML answer.

    As the reference does: the texts of ``AccessKeyId``, ``SecretAccessKey`` and
    ``SessionToken`` are taken by pattern (an empty ``<SessionToken/>`` means none);
    ``Expiration`` (ISO 8601) is used when present. A missing key is an error.
    """
    values: dict[str, str | None] = {}
    for name, pattern in _ELEMENT.items():
        match = pattern.search(body)
        values[name] = match.group(1).strip() if match else None
    if values["SessionToken"] is None and _EMPTY["SessionToken"].search(body):
        values["SessionToken"] = ""
    missing = [n for n in ("AccessKeyId", "SecretAccessKey", "SessionToken") if values[n] is None]
    if missing or not values["AccessKeyId"] or not values["SecretAccessKey"]:
        raise PlatformError(
            "the securitycredentials answer lacks " + ", ".join(missing or ["a key"])
        )
    expiration = None
    if values["Expiration"]:
        try:
            expiration = datetime.datetime.fromisoformat(
                values["Expiration"].replace("Z", "+00:00")
            )
        except ValueError:
            raise PlatformError(
                "the securitycredentials answer has an unreadable Expiration"
            ) from None
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=datetime.UTC)
    return Credentials(
        str(values["AccessKeyId"]),
        str(values["SecretAccessKey"]),
        values["SessionToken"] or None,
        expiration,
    )


class PlatformCredentials:
    """Credentials for one resource from the platform's ``securitycredentials`` call.

    ``GET {host}/api/models/{job id}/securitycredentials?key={api key}&modelId={id}`` (or
    ``&datasetId={id}``), the key also sent as ``Authorization: Bearer``; 5 s timeout,
    a few retries with backoff on connection errors and 5xx answers. The answer is kept
    until it is due (see `Credentials.due`) or `refresh` is asked for.
    """

    def __init__(
        self,
        host: str,
        job_id: str,
        api_key: str,
        *,
        model_id: str | None = None,
        dataset_id: str | None = None,
        timeout: float = 5.0,
        attempts: int = 4,
    ) -> None:
        if (model_id is None) == (dataset_id is None):
            raise ValueError("give exactly one of model_id and dataset_id")
        self.host = host.rstrip("/")
        self.job_id = job_id
        self._api_key = api_key
        mask_in_logs(api_key)  # the call's URL carries it, and urllib3 logs that URL
        self.resource = f"modelId={model_id}" if model_id is not None else f"datasetId={dataset_id}"
        self.what = (
            f"dataset {dataset_id}"
            if dataset_id is not None
            else "the job's own folder" if model_id == job_id else f"model {model_id}"
        )  # fmt: skip
        self.timeout = timeout
        self.attempts = attempts
        self._lock = threading.Lock()
        self._current: Credentials | None = None
        self._given: list[str] = []
        self.fetches = 0  # how many answers were fetched (tests and diagnostics)

    def __repr__(self) -> str:
        return f"PlatformCredentials({self.host!r}, {self.job_id!r}, {self.resource!r})"

    @property
    def url(self) -> str:
        """The call's URL with the key masked (for messages)."""
        return self._url("***")

    def _url(self, key: str) -> str:
        # exactly as the platform's own client sends it: query values not URL-encoded
        return f"{self.host}/api/models/{self.job_id}/securitycredentials?key={key}&{self.resource}"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._api_key, *self._given)

    def credentials(self, *, refresh: bool = False) -> Credentials:
        with self._lock:
            current = self._current
            if current is None or refresh or current.due():
                current = self._fetch()
                self._current = current
                mask_in_logs(*current.secrets)  # botocore logs the headers it signs
                self._given.extend(current.secrets)
                del self._given[:-30]  # keep the most recent ones to mask
            return current

    def _fetch(self) -> Credentials:
        import requests  # noqa: PLC0415 - only in platform mode

        last = ""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(min(0.2 * 2**attempt, 3.0))  # backoff between attempts
            try:
                answer = requests.get(
                    self._url(self._api_key),
                    headers={"Authorization": f"Bearer {self._api_key}"},
                    timeout=self.timeout,
                )
            except requests.RequestException as error:
                last = type(error).__name__
                continue
            status = answer.status_code
            if status in (401, 403):
                whose = "the job's key for " if status == 401 else ""
                raise PlatformAuthError(
                    f"the platform refused {whose}credentials for {self.what} "
                    f"({status}: {self._reason(answer)})",
                    status=status,
                    request=f"GET {self.url}",
                )
            if status >= 500 or status == 429:
                last = f"HTTP {status}"
                continue
            if status >= 400:
                raise PlatformError(
                    f"the platform answered {status} to the credentials request for "
                    f"{self.what} ({self._reason(answer)})",
                    status=status,
                    request=f"GET {self.url}",
                )
            self.fetches += 1
            return parse_sts_answer(re.sub(r"\s+", "", answer.text))
        raise PlatformUnavailable(
            f"no credentials from the platform after {self.attempts} attempts ({last})",
            request=f"GET {self.url}",
        )

    def _reason(self, answer: Any) -> str:
        """The platform's reason for a refusal (its JSON ``error``), key masked."""
        try:
            data = answer.json()
        except ValueError:
            data = None
        reason = data.get("error") if isinstance(data, dict) else None
        text = str(reason)[:300] if isinstance(reason, str) else (answer.reason or "no reason")
        return text.replace(self._api_key, "***") if self._api_key else text


class CredentialRoutes:
    """Which provider serves which ``s3://bucket/prefix/``: the longest matching prefix.

    A `default` provider (if any) serves every URL no prefix matches; without one such a
    URL lies outside the job's resources.
    """

    def __init__(
        self,
        routes: Mapping[str, CredentialProvider] | Iterable[tuple[str, CredentialProvider]] = (),
        *,
        default: CredentialProvider | None = None,
        writable: Iterable[str] = (),
    ) -> None:
        items = routes.items() if isinstance(routes, Mapping) else routes
        self._routes: list[tuple[Location, CredentialProvider]] = sorted(
            ((parse_location(prefix), provider) for prefix, provider in items),
            key=lambda item: -len(item[0].url),
        )
        self.default = default
        self.writable = tuple(parse_location(prefix) for prefix in writable)

    def provider_for(self, location: Location) -> CredentialProvider | None:
        for prefix, provider in self._routes:
            if prefix.contains(location):
                return provider
        return self.default

    @property
    def prefixes(self) -> list[str]:
        return [prefix.url for prefix, _ in self._routes]

    @property
    def secrets(self) -> tuple[str, ...]:
        found: list[str] = []
        for _, provider in self._routes:
            found.extend(provider.secrets)
        if self.default is not None:
            found.extend(self.default.secrets)
        return tuple(found)

    def __repr__(self) -> str:
        return f"CredentialRoutes({self.prefixes!r}, default={self.default is not None})"
