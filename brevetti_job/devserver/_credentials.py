"""Job-scoped credentials: identities minted on the object store, which enforces them.

The platform's ``securitycredentials`` call names one resource of the job: its own
folder (``modelId`` = the job's id: read, list and write), one of its datasets
(``datasetId``: read and list) or, for a test report, one of the models under test
(``modelId`` of such a model: read and list). Each answer is a fresh identity on the
store with only those grants and an ``Expiration``; the store knows no expiry, so a
reaper thread removes each identity when it has expired (the job's client then asks
again), and completion removes every identity of the job at once.

On the dev platform's own SeaweedFS gateway the identities are written into its
configuration (`Identities`); on an existing endpoint (``--s3-endpoint``) they are made by
the store itself (`Minter`: its IAM API, or STS AssumeRole with a session policy), which
`scoped_identities` picks when the server starts.

The answer is the STS AssumeRole XML the platform sends. Its ``<SessionToken>`` is
present, and empty unless the store issued one (STS): SeaweedFS refuses any request
carrying a session token it did not issue, and the reference client reads the element's
text by pattern (an absent element is a login failure).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any, Final, Protocol, cast
from xml.sax.saxutils import escape

import attrs

from ._objectstore import Grant, MintedKeys, ObjectStoreError, folder_grants
from ._store import Store, StoreError

__all__ = ["DEFAULT_TTL", "CredentialIssuer", "Credentials", "Identities", "assume_role_xml"]

logger = logging.getLogger("brevetti_job.devserver")

DEFAULT_TTL: Final = 3600.0
"""Seconds a minted identity lives (``--credential-ttl``)."""


class Identities(Protocol):
    """What can add and remove identities on the store (`SeaweedStore` can)."""

    def add_identity(
        self, name: str, access_key: str, secret_key: str, grants: Iterable[Grant]
    ) -> None: ...

    def remove_identity(self, name: str, access_key: str | None = None) -> None: ...


class Minter(Protocol):
    """A store that makes the keys of an identity itself (IAM API, STS)."""

    def mint(self, name: str, grants: Iterable[Grant], ttl: float) -> MintedKeys: ...

    def remove_identity(self, name: str, access_key: str | None = None) -> None: ...


PENDING: Final = "pending:"
"""The access-key column of an identity recorded before the store made it (its name)."""


@attrs.frozen
class Credentials:
    """An access key, its secret and session token (never in a repr) and when it expires
    (epoch seconds)."""

    access_key: str
    secret_key: str = attrs.field(repr=False)
    expires_at: float
    resource: str
    session_token: str | None = attrs.field(default=None, repr=False)


def assume_role_xml(credentials: Credentials) -> str:
    """The STS AssumeRole answer carrying `credentials`."""
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(credentials.expires_at))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<AssumeRoleResult><Credentials>"
        f"<AccessKeyId>{escape(credentials.access_key)}</AccessKeyId>"
        f"<SecretAccessKey>{escape(credentials.secret_key)}</SecretAccessKey>"
        f"<SessionToken>{escape(credentials.session_token or '')}</SessionToken>"
        f"<Expiration>{expiration}</Expiration>"
        "</Credentials></AssumeRoleResult></AssumeRoleResponse>\n"
    )


def _ids(entries: Any) -> list[str]:
    if not isinstance(entries, list):
        return []
    return [str(e["id"]) for e in entries if isinstance(e, dict) and "id" in e]


class CredentialIssuer:
    """Mints, records and removes the identities of jobs (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        identities: Identities | Minter | None,
        bucket: str,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self.store = store
        self.identities = identities
        self.bucket = bucket
        self.ttl = ttl
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def grants_for(
        self, description: dict[str, Any], model_id: str | None, dataset_id: str | None
    ) -> tuple[str, Sequence[Grant]]:
        """The resource a call names and its grants; 403 if it is not the job's, 400 if the
        call names none or both."""
        job_id = str(description["id"])
        if (model_id is None) == (dataset_id is None):
            raise StoreError(400, "name exactly one resource: modelId=<id> or datasetId=<id>")
        if model_id == job_id:
            return f"job {job_id}", folder_grants(self.bucket, job_id, write=True)
        if model_id is not None:
            if model_id not in _ids(description.get("models")):
                raise StoreError(403, "this job may read its own models under test only")
            # only its artifacts: the folder's info.json holds that job's own key
            grants = folder_grants(self.bucket, f"{model_id}/artifacts", write=False)
            return f"model {model_id}", grants
        assert dataset_id is not None
        if dataset_id not in _ids(description.get("datasets")):
            raise StoreError(403, "this job was not given that dataset")
        return f"dataset {dataset_id}", folder_grants(self.bucket, dataset_id, write=False)

    def issue(
        self, description: dict[str, Any], model_id: str | None, dataset_id: str | None
    ) -> Credentials:
        """A new identity for one resource of the job (see `grants_for`)."""
        resource, grants = self.grants_for(description, model_id, dataset_id)
        if self.identities is None:
            raise StoreError(501, "this dev platform has no object store to mint credentials on")
        name = f"job-{secrets.token_hex(8)}"
        if hasattr(self.identities, "mint"):
            return self._mint(cast(Minter, self.identities), name, description, resource, grants)
        identities = self.identities
        credentials = Credentials(
            access_key="BRV" + secrets.token_hex(10).upper(),
            secret_key=secrets.token_urlsafe(30),
            expires_at=time.time() + self.ttl,
            resource=resource,
        )
        job_id = str(description["id"])
        # recorded first: an identity the store got is always one the reaper knows of
        self.store.add_credential(
            credentials.access_key, name, job_id, resource, credentials.expires_at
        )
        try:
            identities.add_identity(name, credentials.access_key, credentials.secret_key, grants)
        except (ObjectStoreError, ValueError) as exc:
            self.store.forget_credential(credentials.access_key)
            raise StoreError(503, f"the object store did not take the credentials: {exc}") from None
        self._wake.set()
        return credentials

    def _mint(
        self,
        minter: Minter,
        name: str,
        description: dict[str, Any],
        resource: str,
        grants: Sequence[Grant],
    ) -> Credentials:
        """Keys made by the store itself. The identity's name is recorded before it is
        made, so one made just before a crash is removed when a server starts again."""
        expires_at = time.time() + self.ttl
        placeholder = PENDING + name
        self.store.add_credential(
            placeholder, name, str(description["id"]), resource, expires_at, issued=False
        )
        try:
            keys = minter.mint(name, grants, self.ttl)
        except (ObjectStoreError, ValueError) as exc:
            self.store.forget_credential(placeholder)
            raise StoreError(503, f"the object store did not make the credentials: {exc}") from None
        try:
            self.store.settle_credential(placeholder, keys.access_key)
        except BaseException:
            with contextlib.suppress(ObjectStoreError):
                minter.remove_identity(name)
            self.store.forget_credential(placeholder)
            raise
        self._wake.set()
        return Credentials(
            access_key=keys.access_key,
            secret_key=keys.secret_key,
            expires_at=expires_at,
            resource=resource,
            session_token=keys.session_token,
        )

    def revoke_job(self, job_id: str) -> int:
        """Remove every identity of the job (at completion); how many were removed."""
        records = self.store.credentials(job_id=job_id)
        for record in records:
            self._remove(record)
        return len(records)

    def reap(self, now: float | None = None) -> int:
        """Remove the identities expired by `now`; how many."""
        records = self.store.credentials(expired_at=time.time() if now is None else now)
        for record in records:
            self._remove(record)
        return len(records)

    def reap_unsettled(self) -> int:
        """Remove the identities a previous run recorded but never finished making (it
        stopped mid-mint); how many. Call before this server mints any."""
        records = [r for r in self.store.credentials() if r["access_key"].startswith(PENDING)]
        for record in records:
            self._remove(record)
        return len(records)

    def _remove(self, record: dict[str, Any]) -> None:
        if self.identities is not None:
            access_key = record["access_key"]
            known = None if access_key.startswith(PENDING) else access_key
            try:
                self.identities.remove_identity(record["identity"], known)
            except ObjectStoreError:
                logger.warning("could not remove identity %s from the store", record["identity"])
                return  # kept: tried again on the next round
        self.store.forget_credential(record["access_key"])

    # -- the reaper thread ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the reaper (removes expired identities, also those of a previous run, and
        at once those a previous run left half made)."""
        if self._thread is None:
            try:
                self.reap_unsettled()
            except Exception:  # the reaper's rounds try again
                logger.exception("removing half-made credentials failed")
            self._thread = threading.Thread(target=self._run, name="credential-reaper", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the reaper."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before reaping: a credential minted meanwhile wakes us again
            try:
                self.reap()
            except Exception:  # the reaper outlives a store outage; tried again next round
                logger.exception("removing expired credentials failed")
            upcoming = self.store.next_expiry()
            wait = 30.0 if upcoming is None else max(0.0, min(30.0, upcoming - time.time()))
            self._wake.wait(wait)
