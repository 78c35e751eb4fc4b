"""Platform mode: a `Backend` that records every write in the outbox, then delivers it.

Each write is recorded durably first and then everything pending is sent in order.
When the platform stays unreachable the records are kept, a warning is logged and the
job carries on locally; delivery is tried again after a pause, at the end of the job,
and by ``brevetti-job sync``. Calls block the job while they are sent.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, quote, urlsplit

import attrs

from ._artifacts import ArtifactLedger, Change, file_sha256
from ._client import PlatformClient, new_idempotency_key
from ._description import JobDescription
from ._errors import (
    ArtifactPathError,
    JobConfigError,
    PlatformAuthError,
    PlatformError,
    PlatformUnavailable,
)
from ._files import safe_child
from ._identity import Identity
from ._outbox import ArtifactRef, Outbox, Record

if TYPE_CHECKING:
    from ._storage import Storage

__all__ = [
    "ForeignHost",
    "PlatformBackend",
    "Routes",
    "Summary",
    "connect",
    "deliver_pending",
    "file_sha256",
]

logger = logging.getLogger("brevetti_job.platform")

COOLDOWN: Final = 60.0
"""Seconds to only record writes after the platform was found unreachable."""

LEDGER: Final = ".artifacts-ledger"
"""In the outbox folder: what was last recorded of each artifact file (`ArtifactLedger`)."""

PROGRESS_INTERVAL: Final = 1.0
"""Shortest time in seconds between two deliveries started by progress records; the
records in between wait in the outbox and go out with the next delivery, in order."""

_KEY_PARAMS: Final = frozenset({"key", "api_key", "apikey"})
_KEYED_OPS: Final = frozenset({"complete", "chart", "progress"})
"""Writes to the platform's own job URLs, which carry the key as ``?key=`` (added when
sent: a record never holds it)."""
_FILE_OPS: Final = frozenset({"artifact", "output"})
"""Records of files for the job's storage folder."""


def _url_parts(url: str, drop: Sequence[str] = ()) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The path and query of a description URL without any key (and without `drop`).

    Only the path is honoured: the request always goes to the configured host, so the
    key in the header can never be sent to another one.
    """
    parts = urlsplit(url)
    skip = _KEY_PARAMS | {d.lower() for d in drop}
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return parts.path or "/", tuple((k, v) for k, v in pairs if k.lower() not in skip)


@attrs.frozen
class Routes:
    """Where each kind of write goes for one job: path and query parameters."""

    kind: str
    job_id: str
    complete_url: str | None = None
    charts_url: str | None = None
    remote_url: str | None = None

    @classmethod
    def for_job(cls, kind: str, job_id: str, description: JobDescription | None = None) -> Routes:
        """Routes of a job, honouring the description's URLs where it has them."""
        if description is None:
            return cls(kind, job_id)
        return cls(
            kind, job_id, description.complete_url, description.charts_url, description.remote_url
        )

    @property
    def base(self) -> str:
        """``/api/{kind}/{id}``."""
        return f"/api/{self.kind}/{quote(self.job_id, safe='')}"

    def chart(self, name: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """A named chart."""
        if self.charts_url:
            path, params = _url_parts(self.charts_url, drop=("name",))
        else:
            path, params = f"{self.base}/charts", ()
        return path, (*params, ("name", name))

    def progress(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The remote monitor (progress per epoch)."""
        if self.remote_url:
            return _url_parts(self.remote_url)
        return f"{self.base}/remotemonitor", ()

    def complete(self, model_path: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Completion (or failure) with the model archive path."""
        if self.complete_url:
            path, params = _url_parts(self.complete_url, drop=("modelPath",))
        else:
            path, params = f"{self.base}/complete", ()
        return path, (*params, ("modelPath", model_path))


@attrs.define
class Summary:
    """What one delivery run did."""

    sent: collections.Counter[str] = attrs.field(factory=collections.Counter)
    replayed: int = 0
    skipped: int = 0
    rejected: list[str] = attrs.field(factory=list)
    pending: int = 0
    unavailable: str | None = None
    auth_error: str | None = None
    foreign: list[str] = attrs.field(factory=list)
    others: collections.Counter[str] = attrs.field(factory=collections.Counter)
    """Pending records of other jobs (a reused folder), by job id: not sent, not waited for."""

    @property
    def delivered(self) -> int:
        """Records marked done in this run (sent, replayed or already there)."""
        return sum(self.sent.values())


class ForeignHost(Exception):
    """A record names another host than the one the key may be sent to; not delivered."""

    def __init__(self, recorded: str, configured: str) -> None:
        super().__init__(f"recorded for {recorded}, not {configured}")
        self.recorded = recorded


class _LocalFileGone(Exception):
    """An artifact recorded for upload is no longer in the job folder."""


def _local_source(record: Record, artifacts_dir: Path) -> tuple[Path, os.stat_result]:
    ref = record.artifact
    assert ref is not None
    try:
        source = safe_child(artifacts_dir, ref.name)
        return source, source.stat()
    except (ArtifactPathError, FileNotFoundError) as exc:
        raise _LocalFileGone(f"artifact {ref.name!r} is not in {artifacts_dir}: {exc}") from None


def _send_to_storage(storage: Storage | None, record: Record, artifacts_dir: Path) -> str:
    """A ``storage`` record: the file (as it is now) or output.json into the job's folder."""
    from ._errors import StorageError, StoragePermissionError  # noqa: PLC0415
    from ._job_storage import StorageRefused, send_to_storage  # noqa: PLC0415

    if storage is None:
        raise PlatformUnavailable(f"{record.path}: no storage to write it with", request=record.op)
    source = _local_source(record, artifacts_dir)[0] if record.artifact is not None else None
    try:
        return send_to_storage(storage, record, source)
    except StorageRefused as exc:
        raise PlatformError(str(exc), request=record.op) from None
    except (PlatformAuthError, PlatformUnavailable):
        raise
    except PlatformError as exc:  # no credentials to be had now: the file was not refused
        raise PlatformUnavailable(
            f"{record.path}: no credentials for the job's storage ({exc})", request=record.op
        ) from None
    except StoragePermissionError as exc:  # revoked or expired and not renewed: keep it
        raise PlatformAuthError(str(exc), request=record.op) from None
    except StorageError as exc:  # the store is down, or answers errors: keep it
        raise PlatformUnavailable(str(exc), request=record.op) from None


def _send(
    client: PlatformClient, record: Record, artifacts_dir: Path, storage: Storage | None = None
) -> str:
    if record.transport == "storage":
        return _send_to_storage(storage, record, artifacts_dir)
    if record.op in _FILE_OPS:  # an HTTP file record of an earlier version: to storage now
        return _send_to_storage(storage, _into_storage(record, storage), artifacts_dir)
    form = None
    body = record.body
    if record.form:
        form, body = {"data": json.dumps(record.body, allow_nan=False)}, None
    answer = client.request(
        record.method,
        record.path,
        params=record.params,
        json_body=body,
        form=form,
        idempotency_key=record.idempotency_key,
        key_in_query=record.op in _KEYED_OPS,
    )
    return "replayed" if answer.replayed else "sent"


def _into_storage(record: Record, storage: Storage | None) -> Record:
    """An output.json or artifact record that named the dev server's retired file calls
    (``PUT /api/<kind>/<id>/output``, ``.../artifacts/<name>``), aimed at the same file in
    the job's storage folder instead (never elsewhere: the folder is the job's own)."""
    if storage is None or storage.root is None:
        raise PlatformUnavailable(f"{record.path}: no storage to write it with", request=record.op)
    name = record.artifact.name if record.artifact is not None else "output.json"
    url = f"{storage.root.url}/artifacts/{name}"
    return attrs.evolve(record, path=url, params=(), transport="storage")


def deliver_pending(
    outbox: Outbox,
    client_for: Callable[[str], PlatformClient],
    artifacts_dir: Path,
    job_id: str | None = None,
    storage: Storage | None = None,
) -> Summary:
    """Send every pending record in order, each once; stop at the first outage or auth error.

    With `job_id`, only that job's records are sent: a record another job left in a
    reused folder is neither sent with this job's key nor waited for (it is counted in
    `Summary.others`). A record the platform refuses for good (another 4xx), or whose
    artifact is gone, is moved to ``rejected/`` and logged, and delivery goes on.
    """
    summary = Summary()
    with outbox.delivering():
        records = outbox.pending()
        if job_id is not None:
            for record in records:
                if record.job_id != job_id:
                    summary.others[record.job_id] += 1
            records = [record for record in records if record.job_id == job_id]
        for index, record in enumerate(records):
            try:
                client = client_for(record.host)
            except ForeignHost as exc:
                logger.error("platform write %s (%s) not sent: %s", record.seq, record.op, exc)
                summary.foreign.append(f"{record.file_name} ({record.op}, {exc})")
                summary.pending += 1
                continue
            try:
                outcome = _send(client, record, artifacts_dir, storage)
            except PlatformAuthError as exc:
                summary.auth_error = str(exc)
                summary.pending += len(records) - index
                break
            except PlatformUnavailable as exc:
                summary.unavailable = str(exc)
                summary.pending += len(records) - index
                break
            except (PlatformError, _LocalFileGone) as exc:
                logger.error("platform write %s (%s) rejected: %s", record.seq, record.op, exc)
                outbox.mark_rejected(record, str(exc))
                summary.rejected.append(f"{record.file_name} ({record.op}): {exc}")
                continue
            outbox.mark_done(record)
            logger.debug("platform write %s (%s): %s", record.seq, record.op, outcome)
            summary.sent[record.op] += 1
            summary.replayed += outcome == "replayed"
            summary.skipped += outcome == "skipped"
    return summary


class PlatformBackend:
    """Forwards a job's records to the platform through the durable outbox."""

    mode = "platform"

    def __init__(
        self,
        client: PlatformClient,
        outbox: Outbox,
        routes: Routes,
        artifacts_dir: Path,
        storage: Storage,
        *,
        offline: bool = False,
        cooldown: float = COOLDOWN,
        progress_interval: float = PROGRESS_INTERVAL,
    ) -> None:
        self._client = client
        self._storage = storage
        self._outbox = outbox
        self._routes = routes
        self._artifacts_dir = artifacts_dir
        self._cooldown = cooldown
        self._lock = threading.RLock()
        self._offline_until = time.monotonic() + cooldown if offline else 0.0
        self._auth_failed = False
        self._warned = offline
        self._tried_all = False  # the last attempt failed and nothing was recorded since
        self._last_delivery = -progress_interval
        self._progress_interval = progress_interval
        self._ledger = ArtifactLedger(outbox.folder / LEDGER, routes.job_id)

    def __repr__(self) -> str:
        return f"<PlatformBackend host={self._client.host!r} job={self._routes.job_id!r}>"

    @property
    def outbox(self) -> Outbox:
        """The job's outbox."""
        return self._outbox

    # -- recording ----------------------------------------------------------------------

    def _record(
        self,
        op: str,
        method: str,
        route: tuple[str, tuple[tuple[str, str], ...]],
        *,
        body: Any = None,
        form: bool = False,
        artifact: ArtifactRef | None = None,
        deliver: bool = True,
        transport: str = "http",
    ) -> None:
        path, params = route
        fields: dict[str, Any] = {
            "host": self._client.host,
            "job_id": self._routes.job_id,
            "kind": self._routes.kind,
            "op": op,
            "method": method,
            "path": path,
            "params": params,
            "body": self._plain(body),
            "form": form,
            "artifact": artifact,
            "idempotency_key": new_idempotency_key(),
            "transport": transport,
        }
        with self._lock:
            try:
                self._outbox.add(**fields)
            except OSError as exc:
                if op != "complete":
                    raise
                self._send_unrecorded(Record(seq=0, **fields), exc)
                return
            self._tried_all = False
            if deliver:
                self._deliver()

    def _plain(self, data: Any) -> Any:
        """Plain JSON data (dicts and lists) with the key masked wherever user data holds it."""
        if isinstance(data, str):
            return self._client.scrub(data)
        if isinstance(data, Mapping):
            return {self._client.scrub(str(k)): self._plain(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self._plain(v) for v in data]
        return data

    def _deliver(self, *, final: bool = False) -> Summary | None:
        now = time.monotonic()
        if self._auth_failed or (not final and now < self._offline_until):
            return None
        self._last_delivery = now
        summary = deliver_pending(
            self._outbox, self._client_for, self._artifacts_dir, self._routes.job_id,
            self._storage,
        )  # fmt: skip
        self._tried_all = bool(summary.auth_error or summary.unavailable)
        if summary.auth_error:
            self._auth_failed = True
            logger.error(
                "%s; %d platform write(s) kept in %s (deliver them with `brevetti-job sync "
                "%s --api-key ...`)",
                summary.auth_error, summary.pending, self._outbox.folder,
                self._outbox.folder.parent,
            )  # fmt: skip
        elif summary.unavailable:
            self._offline_until = time.monotonic() + self._cooldown
            if not self._warned or final:
                logger.warning(
                    "platform unreachable (%s); %d write(s) kept in %s, sent later or by "
                    "`brevetti-job sync %s`",
                    summary.unavailable, summary.pending, self._outbox.folder,
                    self._outbox.folder.parent,
                )  # fmt: skip
            self._warned = True
        elif self._warned:
            logger.info("platform reachable again; pending writes delivered")
            self._warned = False
        return summary

    def _send_unrecorded(self, record: Record, problem: OSError) -> None:
        """The end of a job whose outbox cannot be written (a full disk): send it directly.

        What is pending goes first, so the order holds; if the platform cannot be
        reached either, the problem is raised (the job cannot record its end anywhere).
        """
        logger.error(
            "could not record the %s in %s (%s); sending it to the platform directly",
            "failure" if (record.body or {}).get("status") == "failed" else "completion",
            self._outbox.folder, problem,
        )  # fmt: skip
        if not self._auth_failed:
            self._deliver(final=True)
        try:
            _send(self._client, record, self._artifacts_dir, self._storage)
        except (PlatformError, _LocalFileGone) as exc:
            logger.error("the platform did not take it either: %s", exc)
            raise problem from None

    def _client_for(self, host: str) -> PlatformClient:
        return self._client

    # -- the Backend protocol ---------------------------------------------------------------

    @property
    def storage(self) -> Storage:
        """The job's storage space: its folder ``<data bucket>/<job id>`` and datasets."""
        return self._storage

    def _object(self, name: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        assert self._storage.root is not None
        return f"{self._storage.root.url}/artifacts/{name}", ()

    def put_output(self, document: Mapping[str, Any]) -> None:
        """Record and send the current output.json (into the job's storage folder)."""
        self._record(
            "output", "PUT", self._object("output.json"), body=document, transport="storage"
        )

    def put_artifact(self, name: str, path: Path) -> None:
        """Record the artifact's name and sha256, then stream it."""
        stat = path.stat()
        self._put_change(Change(name, path, file_sha256(path), stat.st_size, stat.st_mtime_ns))

    def _put_change(self, change: Change, *, deliver: bool = True) -> None:
        ref = ArtifactRef(change.name, change.sha256, change.size, change.mtime_ns)
        with self._lock:
            self._record(
                "artifact", "PUT", self._object(change.name), artifact=ref, deliver=deliver,
                transport="storage",
            )  # fmt: skip
            self._ledger.note(change)

    def sync_artifacts(self) -> int:
        """Record every file under artifacts/ changed since it was last recorded; send them.

        Files written any way (`artifact_path`, plain writes) are found; unchanged ones
        (same size and time, or same size and sha256) are skipped. Returns how many
        were recorded.
        """
        with self._lock:
            changes = self._ledger.changed(self._artifacts_dir)
            for change in changes:
                self._put_change(change, deliver=False)
            if changes:
                self._deliver()
        return len(changes)

    def post_chart(self, name: str, spec: Mapping[str, Any]) -> None:
        """Record and send a Vega-Lite chart."""
        self._record("chart", "POST", self._routes.chart(name), body=spec)

    def post_progress(self, record: Mapping[str, Any]) -> None:
        """Record one progress record (form field ``data``, as the platform takes it).

        Every record is kept and sent, in order; a delivery is started at most once per
        `PROGRESS_INTERVAL` by progress alone (any other write, and the end, send the
        records waiting by then).
        """
        with self._lock:
            due = time.monotonic() - self._last_delivery >= self._progress_interval
            self._record(
                "progress", "POST", self._routes.progress(), body=record, form=True, deliver=due
            )

    def complete(self, model_path: str, params: Sequence[tuple[str, str]] = ()) -> None:
        """Record and send the completion (with extra query `params`, never a key)."""
        body = {"status": "completed"}
        path, route_params = self._routes.complete(model_path)
        taken = {k.lower() for k, _ in route_params} | _KEY_PARAMS
        extra = tuple((k, v) for k, v in params if k.lower() not in taken)
        self._record("complete", "POST", (path, (*route_params, *extra)), body=body)

    def fail(self, reason: str) -> None:
        """Record and send the failure with its reason."""
        body = {"status": "failed", "reason": reason}
        self._record("complete", "POST", self._routes.complete(""), body=body)

    def close(self) -> None:
        """A last delivery attempt; what stays pending is left for ``brevetti-job sync``."""
        with self._lock:
            try:
                summary = None if self._tried_all else self._deliver(final=True)
                pending = self._outbox.pending_by_job().get(self._routes.job_id, 0)
                if pending and summary is None:
                    logger.warning(
                        "%d platform write(s) pending in %s; deliver them with "
                        "`brevetti-job sync %s`",
                        pending, self._outbox.folder, self._outbox.folder.parent,
                    )  # fmt: skip
            finally:
                self._client.close()


def connect(
    identity: Identity, folder: Path, env: Mapping[str, str]
) -> tuple[PlatformBackend, JobDescription]:
    """Platform mode, as the platform runs a job: the description from ``info.json`` in
    the job's storage folder (or `--info_file`), else, with the platform or its store
    unreachable, a local one (`_fallback`); the backend writes files into that folder."""
    host = identity.host or ""
    if not identity.job_id or not identity.api_key:
        raise JobConfigError(
            f"platform mode (host {host}) needs a job id (--model_id, --test_id or --job_id) "
            "and the job's API key (--api_key or BREVETTI_API_KEY)"
        )
    kind = "reports" if identity.kind == "report" else "models"
    try:
        client = PlatformClient.from_env(host, identity.api_key, env)
    except ValueError as exc:
        raise JobConfigError(str(exc)) from None
    try:
        description, offline, storage = _from_storage(identity, folder, env, client)
    except BaseException:
        client.close()
        raise
    description = attrs.evolve(description, api_key=identity.api_key)
    backend = PlatformBackend(
        client,
        Outbox(folder / "outbox"),
        Routes.for_job(kind, identity.job_id, description),
        folder / "artifacts",
        storage,
        offline=offline,
    )
    _note_other_jobs(backend.outbox, identity.job_id)
    return backend, description


def _note_other_jobs(outbox: Outbox, job_id: str) -> None:
    """A reused job folder: say that another job's writes wait there, kept and not sent."""
    others = {job: n for job, n in outbox.pending_by_job().items() if job != job_id}
    for other, count in others.items():
        logger.warning(
            "%s holds %d pending write(s) of another job (%s); this job neither sends nor "
            "waits for them: deliver them with `brevetti-job sync %s --job-id %s` and that "
            "job's key",
            outbox.folder, count, other, outbox.folder.parent, other,
        )  # fmt: skip


def _from_storage(
    identity: Identity, folder: Path, env: Mapping[str, str], client: PlatformClient
) -> tuple[JobDescription, bool, Storage]:
    """The description and the job's `Storage` with its datasets; whether the platform or
    its store was unreachable (a local description is used then).

    The description is read with the job's credentials from `--info_file`, else
    ``<--job_dir>/info.json`` when that names a storage URL, else ``info.json`` in the
    job's storage folder ``<data bucket>/<job id>`` (platform-storage.md section 1).
    """
    from ._errors import StorageError, StoragePermissionError  # noqa: PLC0415
    from ._job_storage import (  # noqa: PLC0415
        data_bucket,
        description_location,
        platform_storage,
        read_description,
    )

    assert identity.job_id is not None and identity.api_key is not None
    bucket = data_bucket(env)
    common: dict[str, Any] = {
        "host": client.host, "job_id": identity.job_id, "api_key": identity.api_key,
        "bucket": bucket, "env": env, "cache_path": identity.cache_path,
    }  # fmt: skip
    first, own = platform_storage(**common)
    where = description_location(first, identity.info_file, identity.job_dir)
    offline = False
    try:
        data = read_description(first, where)
    except PlatformAuthError as exc:
        raise PlatformAuthError(
            f"the platform refused the job's API key ({exc.status}) for the credentials of "
            f"its storage folder {first.root.url if first.root else bucket}",
            status=exc.status,
            request=exc.request,
        ) from None
    except StoragePermissionError as exc:
        raise PlatformAuthError(f"the job's storage refused its credentials: {exc}") from None
    except (PlatformUnavailable, StorageError) as exc:
        description = _fallback(identity, folder, client.host, str(exc))
        offline = True
    except PlatformError as exc:  # the platform would not give credentials now
        description = _fallback(identity, folder, client.host, str(exc))
        offline = True
    else:
        description = JobDescription.from_json(data, source=where)
    datasets = [(d.id, d.bucket or None) for d in description.datasets]
    models = [
        (str(m["id"]), str(m.get("bucket") or f"{bucket}/{m['id']}"))
        for m in description.models
        if m.get("id")
    ]
    storage, _ = platform_storage(**common, datasets=datasets, models=models, job_credentials=own)
    return description, offline, storage


def _fallback(identity: Identity, folder: Path, host: str, problem: str) -> JobDescription:
    candidates = [Path(identity.info_file)] if identity.info_file else []
    candidates.append(folder / "info.json")
    for path in candidates:
        if path.is_file():
            logger.warning(
                "platform unreachable at start (%s); using the job description in %s",
                problem, path,
            )  # fmt: skip
            return JobDescription.from_file(path)
    raise JobConfigError(
        f"the platform at {host} is unreachable ({problem}) and there is no local job "
        f"description to fall back to (no {folder / 'info.json'} and no --info_file)"
    )
