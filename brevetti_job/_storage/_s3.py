"""S3 access through boto3 (imported on first use): clients per credential provider,
renewal on an expired or unknown key, and the one place where boto3 errors become
`StorageError`s with every secret masked."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from .._errors import StorageError, StorageNotFound, StoragePermissionError
from ._credentials import CredentialProvider, CredentialRoutes, Credentials
from ._urls import Location

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["S3Access", "mask"]

T = TypeVar("T")

NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NotFound", "404"}
DENIED = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "AccountProblem"}
RENEW = {"ExpiredToken", "InvalidAccessKeyId", "TokenRefreshRequired", "InvalidToken"}
"""Answers after which the credentials are renewed and the call tried once more."""


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (longer than 3 characters) replaced by ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) > 3}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _scrub(error: BaseException, secrets: tuple[str, ...]) -> None:
    """Mask secrets inside a boto3 error in place (its args and parsed response)."""
    error.args = tuple(mask(a, secrets) if isinstance(a, str) else a for a in error.args)
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        details = response.get("Error")
        if isinstance(details, dict):
            for name, value in list(details.items()):
                if isinstance(value, str):
                    details[name] = mask(value, secrets)
    kwargs = getattr(error, "kwargs", None)
    if isinstance(kwargs, dict):
        for name, value in list(kwargs.items()):
            if isinstance(value, str):
                kwargs[name] = mask(value, secrets)


class _Client:
    """One boto3 client for one provider, rebuilt when its credentials change."""

    def __init__(self, access: S3Access, provider: CredentialProvider) -> None:
        self.access = access
        self.provider = provider
        self._lock = threading.Lock()
        self._client: S3Client | None = None
        self._credentials: Credentials | None = None

    def get(self, *, renew: bool = False) -> S3Client:
        with self._lock:
            credentials = self.provider.credentials(refresh=renew)
            if self._client is None or credentials is not self._credentials:
                self._client = self.access.make_client(credentials)
                self._credentials = credentials
            return self._client


class S3Access:
    """S3 clients routed by URL prefix, with renewal and error translation."""

    def __init__(
        self,
        routes: CredentialRoutes | None,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        max_pool: int = 32,
    ) -> None:
        self.routes = routes
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        self.region = region or os.environ.get("AWS_REGION") or "eu-west-1"
        self.max_pool = max_pool
        self._clients: dict[int, _Client] = {}
        self._default: S3Client | None = None
        self._lock = threading.Lock()
        self._session: Any = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.routes.secrets if self.routes is not None else ()

    def make_client(self, credentials: Credentials | None) -> S3Client:
        """A client for these credentials (None: boto3's own credential chain)."""
        import boto3  # noqa: PLC0415 - boto3 is imported on the first S3 use only
        from botocore.config import Config  # noqa: PLC0415

        with self._lock:
            if self._session is None:
                self._session = boto3.session.Session()
            keys: dict[str, Any] = {}
            if credentials is not None:
                keys = {
                    "aws_access_key_id": credentials.access_key,
                    "aws_secret_access_key": credentials.secret_key,
                    "aws_session_token": credentials.session_token,
                }
            client: S3Client = self._session.client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                config=Config(
                    s3={"addressing_style": "path"} if self.endpoint_url else {},
                    retries={"max_attempts": 4, "mode": "standard"},
                    max_pool_connections=self.max_pool,
                    connect_timeout=5,
                    read_timeout=60,
                    tcp_keepalive=True,
                ),
                **keys,
            )
            return client

    def _client_for(self, location: Location) -> _Client | None:
        if self.routes is None:
            return None
        provider = self.routes.provider_for(location)
        if provider is None:
            allowed = ", ".join(self.routes.prefixes) or "none"
            raise StoragePermissionError(
                f"{location.url} is outside the job's resources ({allowed})", url=location.url
            )
        with self._lock:
            client = self._clients.get(id(provider))
            if client is None:
                client = self._clients[id(provider)] = _Client(self, provider)
            return client

    def client(self, location: Location, *, renew: bool = False) -> S3Client:
        """The client for `location` (raises if it lies outside the job's resources)."""
        routed = self._client_for(location)
        if routed is not None:
            return routed.get(renew=renew)
        if self._default is None:
            self._default = self.make_client(None)
        return self._default

    def call(self, location: Location, what: str, operation: Callable[[S3Client], T]) -> T:
        """Run `operation` with the client for `location`; renew once on an expired key;
        translate errors (naming `what` and the URL)."""
        from boto3.exceptions import Boto3Error  # noqa: PLC0415
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            try:
                return operation(self.client(location))
            except (ClientError, Boto3Error) as error:
                if error_code(error) not in RENEW or self.routes is None:
                    raise
            return operation(self.client(location, renew=True))
        except (ClientError, BotoCoreError, Boto3Error) as error:
            self.translate(error, location, what)

    def translate(self, error: BaseException, location: Location, what: str) -> NoReturn:
        """Raise the `StorageError` for a boto3 error, from it, with secrets masked."""
        from botocore.exceptions import (  # noqa: PLC0415
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        secrets = self.secrets
        _scrub(error, secrets)
        url = location.url
        code = error_code(error)
        if isinstance(error, ClientError) or code:
            response = getattr(error, "response", None) or {}
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            detail = f"{code or 'error'}" + (f", HTTP {status}" if status else "")
            if code in NOT_FOUND or status == 404:
                raise StorageNotFound(f"{what} {url}: not found ({detail})", url=url) from error
            if code in DENIED or code in RENEW or status == 403:
                raise StoragePermissionError(
                    f"{what} {url}: refused by the store ({detail})", url=url
                ) from error
            raise StorageError(f"{what} {url}: the store answered {detail}", url=url) from error
        if isinstance(error, NoCredentialsError):
            raise StoragePermissionError(f"{what} {url}: no S3 credentials", url=url) from error
        if isinstance(
            error,
            EndpointConnectionError
            | ConnectTimeoutError
            | ReadTimeoutError
            | ConnectionClosedError,
        ):
            raise StorageError(
                f"{what} {url}: the object store cannot be reached ({type(error).__name__})",
                url=url,
            ) from error
        raise StorageError(f"{what} {url}: {type(error).__name__}", url=url) from error


def error_code(error: Any) -> str:
    """The S3 error code of a botocore ClientError, or of the transfer manager's errors
    that only quote it in their text ("" if none)."""
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", "") or "")
    if not code and error.args and isinstance(error.args[0], str):
        match = _QUOTED_CODE.search(error.args[0])
        code = match.group(1) if match else ""
    return code


_QUOTED_CODE = re.compile(r"An error occurred \((\w+)\)")
