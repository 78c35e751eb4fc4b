"""The dev platform's WSGI application (werkzeug): routing, auth, idempotency, faults.

Job calls authenticate with ``Authorization: Bearer <job key>``; admin calls with the
server's admin token. Writes carrying an ``Idempotency-Key`` are applied once: the
first successful answer is stored and replayed for repeats. The API contract is the
OpenAPI document served at ``/openapi.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response

from brevetti_schema import SchemaError, SettingsError

from ._auth import bearer_token, key_hash, key_matches
from ._creation import job_settings, schema_from_data
from ._credentials import CredentialIssuer, assume_role_xml
from ._fault_answers import drop as _drop
from ._fault_answers import unavailable as _unavailable
from ._faults import FaultInjector, parse_fault_config
from ._job_files import JobFiles, output_metrics
from ._job_info import info_document
from ._object_space import ObjectSpace
from ._openapi import openapi_text
from ._pages import PageSite
from ._store import (
    KINDS,
    Idempotency,
    Result,
    Store,
    StoreError,
    Transaction,
    Write,
    check_artifact_name,
    check_chart_name,
    valid_idempotency_key,
)
from ._webapi import WebApi
from ._webapi_store import WebApiStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["MAX_ARTIFACT_BYTES", "MAX_JSON_BYTES", "DevServerApp"]

logger = logging.getLogger("brevetti_job.devserver")

MAX_JSON_BYTES: Final = 8 * 1024 * 1024
"""Largest JSON (or form) body accepted."""

MAX_ARTIFACT_BYTES: Final = 4 * 1024**3
"""Default largest file accepted by the admin dataset upload (``--max-artifact-bytes``)."""

_FORMS: Final = ("application/x-www-form-urlencoded", "multipart/form-data")

_CONTENT_LENGTH: Final = re.compile(r"[0-9]{1,19}")
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
_JOB_WRITE: Final = re.compile(
    r"/api/(models|reports)/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})/(remotemonitor|charts|complete)"
)
_JOB_WRITES: Final = {
    ("remotemonitor", "POST"): "post_progress",
    ("charts", "POST"): "post_chart",
    ("complete", "POST"): "post_complete",
}
"""The job's frequent writes, routed without the URL maps (same rules as the map's)."""
_SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F]")


class _Fail(Exception):
    """Raised inside the app to answer with an error status and message."""

    def __init__(
        self, status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = dict(headers or {})
        self.body = {"error": message, **extra}


class _AnyPath(BaseConverter):
    """Matches the rest of the path, even empty or with a leading slash (checked later)."""

    regex = ".*"
    weight = 200
    part_isolating = False


class _Request(Request):
    max_content_length = MAX_JSON_BYTES
    max_form_memory_size = MAX_JSON_BYTES


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    if body is None:
        response = Response(status=status, headers=dict(headers or {}))
        response.headers.remove("Content-Type")
        return response
    text = _ENCODE(body)
    return Response(text, status, headers=dict(headers or {}), mimetype="application/json")


def _error(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return _json(status, dict(body), headers)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number")
    return value


def _parse_json(data: bytes | str, what: str = "the body") -> Any:
    """JSON text as data; 400 for broken JSON, numbers that overflow to infinity, NaN and
    lone surrogates (none of them can be stored or answered as JSON)."""
    try:
        value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _Fail(400, f"{what} is not valid JSON (or holds a number too large)") from None
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _SURROGATE_ESCAPE.search(raw):  # escapes of surrogates: only pairs make text
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise _Fail(400, f"{what} holds a lone surrogate (not valid Unicode text)") from None
    return value


def _json_body(request: Request, *, optional: bool = False) -> Any:
    data = request.get_data(cache=True)
    if not data.strip() and optional:
        return None
    return _parse_json(data)


def _json_object(request: Request) -> dict[str, Any]:
    value = _json_body(request)
    if not isinstance(value, dict):
        raise _Fail(400, "the body must be a JSON object")
    return value


class DevServerApp:
    """The WSGI application over a `Store`; see the module docstring."""

    def __init__(
        self,
        store: Store,
        *,
        admin_token: str,
        max_artifact_bytes: int = MAX_ARTIFACT_BYTES,
        faults: FaultInjector | None = None,
        space: ObjectSpace | None = None,
        issuer: CredentialIssuer | None = None,
    ) -> None:
        self.store = store
        self.max_artifact_bytes = max_artifact_bytes
        self.faults = faults or FaultInjector()
        self.space = space
        self.issuer = issuer
        self._admin_hash = key_hash(admin_token)
        self.files = JobFiles(store, space)
        self.pages = PageSite(store, admin_token, space)
        self.webapi = WebApi(
            store, WebApiStore(store.root), admin_token=admin_token, space=space,
            faults=self.faults, issuer=issuer,
        )  # fmt: skip
        job = "/api/<any(models, reports):segment>/<job_id>"
        self.url_map = Map(
            [
                Rule("/", endpoint="index", methods=["GET"]),
                Rule("/openapi.json", endpoint="openapi", methods=["GET"]),
                Rule("/api/admin/jobs", endpoint="admin_jobs", methods=["GET"]),
                Rule("/api/admin/jobs", endpoint="admin_create", methods=["POST"]),
                Rule("/api/admin/jobs/<job_id>", endpoint="admin_job", methods=["GET"]),
                Rule(
                    "/api/admin/jobs/<job_id>/credentials",
                    endpoint="admin_revoke_credentials",
                    methods=["DELETE"],
                ),
                Rule("/api/admin/faults", endpoint="admin_faults", methods=["GET"]),
                Rule("/api/admin/faults", endpoint="admin_set_faults", methods=["PUT"]),
                Rule("/api/admin/datasets", endpoint="admin_datasets", methods=["GET"]),
                Rule("/api/admin/datasets", endpoint="admin_create_dataset", methods=["POST"]),
                Rule(
                    "/api/admin/datasets/<dataset_id>/files/<anypath:name>",
                    endpoint="admin_put_dataset_file",
                    methods=["PUT"],
                ),
                Rule(
                    "/api/models/<job_id>/securitycredentials",
                    endpoint="credentials",
                    methods=["GET"],
                ),
                Rule("/api/resources/roottags", endpoint="root_tags", methods=["GET"]),
                Rule(f"{job}/charts", endpoint="post_chart", methods=["POST"]),
                Rule(f"{job}/remotemonitor", endpoint="post_progress", methods=["POST"]),
                Rule(f"{job}/complete", endpoint="post_complete", methods=["POST"]),
            ],
            converters={"anypath": _AnyPath},
            merge_slashes=False,
        )
        self._plain: dict[str, Callable[..., Response]] = {
            "index": self._index,
            "openapi": self._openapi,
            "admin_jobs": self._admin_jobs,
            "admin_create": self._admin_create,
            "admin_job": self._admin_job,
            "admin_revoke_credentials": self._admin_revoke_credentials,
            "admin_faults": self._admin_faults,
            "admin_set_faults": self._admin_set_faults,
            "admin_datasets": self._admin_datasets,
            "admin_create_dataset": self._admin_create_dataset,
            "admin_put_dataset_file": self._admin_put_dataset_file,
        }
        self._reads: dict[str, Callable[..., Response]] = {
            "credentials": self._credentials,
        }
        self._writes: dict[str, Callable[..., Write]] = {
            "post_chart": self._post_chart,
            "post_progress": self._post_progress,
            "post_complete": self._post_complete,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = _Request(environ)
        try:
            response = self._dispatch(request)
        except _Fail as exc:
            response = _error(exc.status, exc.body, exc.headers)
        except StoreError as exc:
            response = _error(exc.status, {"error": exc.message})
        except HTTPException as exc:
            response = _error(exc.code or 500, {"error": exc.name.lower()})
        except Exception:  # any bug answers 500 JSON; logged with its traceback
            logger.exception("error on %s %s", request.method, request.path)
            response = _error(500, {"error": "internal server error"})
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        length = request.environ.get("CONTENT_LENGTH")
        if length is not None and not _CONTENT_LENGTH.fullmatch(length):
            raise _Fail(400, "Content-Length must be a non-negative integer")
        write = _JOB_WRITE.fullmatch(request.path)
        endpoint = None if write is None else _JOB_WRITES.get((write[3], request.method))
        if write is not None and endpoint is not None:
            with self.faults.watch():
                return self._job_call(request, endpoint, {"segment": write[1], "job_id": write[2]})
        if not request.path.startswith("/api/"):  # the web pages (HTML); else the API
            page = self.pages.respond(request)
            if page is not None:
                return page
        answer = self.webapi.respond(request)  # the user-side web API (_webapi.py)
        if answer is not None:
            return answer
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, matched = adapter.match()
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or ()))
            raise _Fail(405, "method not allowed", {"Allow": allowed}) from None
        except HTTPException as exc:
            message = "no such endpoint" if exc.code == 404 else exc.name.lower()
            raise _Fail(exc.code or 404, message) from None
        if endpoint in self._plain:
            if endpoint.startswith("admin_"):
                self._check_admin(request)
            return self._plain[endpoint](request, **matched)
        if endpoint == "root_tags":
            with self.faults.watch():
                return self._with_faults(request, lambda: self._root_tags(request))
        with self.faults.watch():
            return self._job_call(request, endpoint, dict(matched))

    # -- job calls: faults, auth, idempotency ------------------------------------------

    def _job_call(self, request: Request, endpoint: str, args: dict[str, Any]) -> Response:
        def answer() -> Response:
            segment, job_id = args.pop("segment", None), args.pop("job_id")
            meta = self._authenticate(request, segment, job_id)
            if endpoint in self._reads:
                return self._reads[endpoint](request, meta, **args)
            return self._idempotent(request, meta, endpoint, args)

        return self._with_faults(request, answer)

    def _with_faults(self, request: Request, answer: Callable[[], Response]) -> Response:
        """`answer()`, or the fault drawn for this call instead of it (or after it)."""
        fault = self.faults.draw()
        if fault == "503":
            return _unavailable()
        if fault == "drop":
            return _drop(request)
        if fault == "slow":
            time.sleep(self.faults.config.delay)
        response = answer()
        if fault == "applied-then-503" and response.status_code < 400:
            response.close()
            return _unavailable()
        return response

    def _authenticate(self, request: Request, segment: str | None, job_id: str) -> dict[str, Any]:
        """The job of `job_id` if the request carries its key (``Authorization: Bearer`` or
        the platform's ``?key=``); `segment` None: either kind (``securitycredentials``)."""
        token = bearer_token(request.headers.get("Authorization")) or request.args.get("key")
        if not token:
            raise _Fail(401, "missing API key: send 'Authorization: Bearer <job api key>' or ?key=")
        meta = self.store.login(job_id)
        if meta is not None and key_matches(token, meta["key_sha256"]):
            if segment is not None and KINDS[meta["kind"]] != segment:
                raise _Fail(404, f"job {job_id} is a {meta['kind']}, not under /api/{segment}")
            return meta
        if self.store.job_of_key(token) is not None:
            raise _Fail(403, "this API key gives access to another job only")
        raise _Fail(401, "invalid API key")

    def _idempotent(
        self,
        request: Request,
        meta: dict[str, Any],
        endpoint: str,
        args: dict[str, Any],
    ) -> Response:
        """Validate the write, then apply it and store its idempotency record at once."""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not valid_idempotency_key(key):
            raise _Fail(400, "Idempotency-Key must be 1-128 letters, digits, '-' or '_'")
        body = request.get_data(cache=True)
        write = self._writes[endpoint](request, meta, **args)
        idempotency = None
        if key is not None:
            idempotency = Idempotency.of(key, _request_line(request), _sha256(body))
        ended = "already completed" if endpoint == "post_complete" else None
        (status, answer), replay = self.store.write(
            meta["id"], idempotency, write, ended_message=ended
        )
        if endpoint == "post_complete" and self.issuer is not None:
            self.issuer.revoke_job(meta["id"])  # completion ends the job's storage access
        return _json(status, answer, {"Idempotent-Replay": "true"} if replay else None)

    # -- job writes (return status and body; the store applies them) ----------------------

    def _post_chart(self, request: Request, meta: dict[str, Any]) -> Write:
        name = check_chart_name(request.args.get("name"))
        spec = _json_object(request)

        def write(tx: Transaction) -> Result:
            tx.put_chart(name, spec)
            return 204, None

        return write

    def _post_progress(self, request: Request, meta: dict[str, Any]) -> Write:
        if request.mimetype in _FORMS:
            data = request.form.get("data")
            if data is None:
                raise _Fail(400, "the form needs a field 'data' holding a JSON object")
            record = _parse_json(data, "the form field 'data'")
        else:
            record = _json_body(request)
        if not isinstance(record, dict):
            raise _Fail(400, "a progress record must be a JSON object")
        epoch = record.get("epoch")
        if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int | float)):
            raise _Fail(400, "'epoch' must be a number")

        def write(tx: Transaction) -> Result:
            tx.add_progress(record)
            return 204, None

        return write

    def _post_complete(self, request: Request, meta: dict[str, Any]) -> Write:
        model_path = request.args.get("modelPath", "")
        if model_path:
            check_artifact_name(model_path)
        body = _json_body(request, optional=True)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise _Fail(400, "the body must be a JSON object (or empty)")
        status = body.get("status", "completed")
        if status not in ("completed", "failed"):
            raise _Fail(400, "'status' must be 'completed' or 'failed'")
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise _Fail(400, "'reason' must be text")

        def write(tx: Transaction) -> Result:
            return 200, tx.complete(status, model_path, reason)

        return write

    # -- the platform's other job calls ---------------------------------------------------

    def _credentials(self, request: Request, meta: dict[str, Any]) -> Response:
        """``securitycredentials``: a store identity for one of the job's resources."""
        if self.issuer is None:
            raise _Fail(501, "this dev platform has no object store")
        record = self.store.meta(meta["id"])
        if record is None:
            raise _Fail(404, "no such job")
        if record["status"] in ("completed", "failed"):
            raise _Fail(409, f"the job has ended ({record['status']}); no more credentials")
        credentials = self.issuer.issue(
            record["description"], request.args.get("modelId"), request.args.get("datasetId")
        )
        response = Response(assume_role_xml(credentials), 200, mimetype="application/xml")
        response.headers["Cache-Control"] = "no-store"
        return response

    def _root_tags(self, request: Request) -> Response:
        """``roottags``: the tags of the job's description (the dev platform keeps no tree)."""
        job_id = request.args.get("id")
        if not job_id:
            raise _Fail(400, "name the job: ?id=<job id>")
        meta = self._authenticate(request, None, job_id)
        record = self.store.meta(meta["id"])
        tags = record["description"].get("tags", []) if record is not None else []
        return _json(200, tags if isinstance(tags, list) else [])

    # -- plain and admin calls ------------------------------------------------------------

    def _index(self, request: Request) -> Response:
        from .. import __version__  # noqa: PLC0415 - the package is loaded already

        return _json(
            200,
            {
                "service": "brevetti-job dev platform",
                "version": __version__,
                "openapi": "/openapi.json",
                "jobs": "/api/{models|reports}/{id}/{complete|charts|remotemonitor}",
            },
        )

    def _openapi(self, request: Request) -> Response:
        return Response(openapi_text(), 200, mimetype="application/json")

    def _check_admin(self, request: Request) -> None:
        token = bearer_token(request.headers.get("Authorization"))
        if token is None or not key_matches(token, self._admin_hash):
            raise _Fail(401, "admin calls need 'Authorization: Bearer <admin token>'")

    def _admin_jobs(self, request: Request) -> Response:
        jobs = []
        for job_id in self.store.job_ids():
            meta = self.store.meta(job_id)
            if meta is not None:
                jobs.append({k: meta[k] for k in ("id", "kind", "name", "status", "created_at")})
        return _json(200, {"jobs": jobs})

    def _admin_create(self, request: Request) -> Response:
        body = _json_object(request)
        kind = body.get("kind", "model")
        if not isinstance(kind, str) or kind not in KINDS:
            raise _Fail(400, "'kind' must be 'model' or 'report'")
        name, preset, settings = body.get("name"), body.get("preset"), body.get("settings")
        if name is not None and not isinstance(name, str):
            raise _Fail(400, "'name' must be text")
        if preset is not None and not isinstance(preset, str):
            raise _Fail(400, "'preset' must be text")
        if settings is not None and not isinstance(settings, dict):
            raise _Fail(400, "'settings' must be a JSON object")
        try:
            source = body.get("schema")
            schema = schema_from_data(source) if source is not None else None
            schema_ui, transport = job_settings(schema, settings, preset)
        except SettingsError as exc:
            raise _Fail(400, "invalid settings", **exc.to_json()) from None
        except SchemaError as exc:
            problems = [str(p) for p in exc.problems]
            raise _Fail(400, "invalid schema", problems=problems) from None
        datasets = [self._dataset_entry(i) for i in _id_list(body.get("datasets"), "datasets")]
        models = [self._model_entry(i) for i in _id_list(body.get("models"), "models")]
        created = self.store.create_job(
            kind=kind, name=name, settings=transport, schema_ui=schema_ui,
            datasets=datasets, models=models,
        )  # fmt: skip
        host = request.host_url.rstrip("/")
        answer: dict[str, Any] = {**created.to_json(), "host": host}
        if self.space is not None:
            record = self.store.meta(created.id)
            assert record is not None
            self.space.put_info(created.id, info_document(record, created.api_key, host))
            answer["s3_endpoint"] = self.space.store.endpoint
            answer["data_bucket"] = self.space.url
        answer["datasets"] = [{"id": d["id"], "name": d["name"]} for d in datasets]
        return _json(201, answer)

    def _dataset_entry(self, dataset_id: str) -> dict[str, Any]:
        """A dataset as a job description lists it (platform-storage.md section 6)."""
        record = self.store.dataset(dataset_id)
        if record is None:
            raise _Fail(400, f"no dataset {dataset_id}")
        bucket = self.space.folder_url(dataset_id) if self.space is not None else None
        return {
            "id": record["id"], "name": record["name"], "bucket": bucket,
            "created": record["created"], "locked": False, "reference": "", "notes": "",
            "tags": [],
        }  # fmt: skip

    def _model_entry(self, model_id: str) -> dict[str, Any]:
        """A model under test as a report's description lists it (``{id, bucket}``)."""
        record = self.store.login(model_id)
        if record is None or record["kind"] != "model":
            raise _Fail(400, f"no model job {model_id}")
        bucket = self.space.folder_url(model_id) if self.space is not None else None
        return {"id": model_id, "bucket": bucket}

    def _admin_datasets(self, request: Request) -> Response:
        return _json(200, {"datasets": [self._dataset_json(d) for d in self.store.datasets()]})

    def _dataset_json(self, record: Mapping[str, Any]) -> dict[str, Any]:
        bucket = self.space.folder_url(record["id"]) if self.space is not None else None
        return {**record, "bucket": bucket}

    def _admin_create_dataset(self, request: Request) -> Response:
        body = _json_object(request)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _Fail(400, "a dataset needs a 'name' (text)")
        if self.space is None:
            raise _Fail(501, "this dev platform has no object store for datasets")
        return _json(201, self._dataset_json(self.store.create_dataset(name)))

    def _admin_put_dataset_file(self, request: Request, dataset_id: str, name: str) -> Response:
        name = check_artifact_name(name)
        if self.store.dataset(dataset_id) is None:
            raise _Fail(404, "no such dataset")
        if self.space is None:
            raise _Fail(501, "this dev platform has no object store for datasets")
        length = request.content_length
        if length is None or "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            raise _Fail(411, "a file upload needs a Content-Length header")
        if length > self.max_artifact_bytes:
            raise _Fail(413, f"the file is larger than {self.max_artifact_bytes} bytes")
        request.max_content_length = self.max_artifact_bytes
        self.space.put_file(f"{dataset_id}/{name}", request.stream, length)
        return _json(201, {"name": name, "size": length})

    def _admin_job(self, request: Request, job_id: str) -> Response:
        state = self.store.state(job_id)
        if state is None:
            raise _Fail(404, "no such job")
        output = self.files.output(job_id)  # what the job wrote into its storage folder
        state["metrics"] = output_metrics(output)
        state["output"] = output
        state["artifacts"] = self.files.artifacts(job_id)
        state["credentials_issued"] = self.store.credentials_issued(job_id)
        return _json(200, state)

    def _admin_revoke_credentials(self, request: Request, job_id: str) -> Response:
        """Remove every store identity of the job now, as if they had all expired: the
        store refuses them from here on and the job must ask for new ones."""
        if self.store.meta(job_id) is None:
            raise _Fail(404, "no such job")
        if self.issuer is None:
            raise _Fail(501, "this dev platform has no object store")
        return _json(200, {"revoked": self.issuer.revoke_job(job_id)})

    def _admin_faults(self, request: Request) -> Response:
        return _json(200, self.faults.to_json())

    def _admin_set_faults(self, request: Request) -> Response:
        try:
            config = parse_fault_config(_json_body(request))
        except ValueError as exc:
            raise _Fail(400, f"invalid fault configuration: {exc}") from None
        self.faults.configure(config)
        return _json(200, self.faults.to_json())


def _id_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _Fail(400, f"'{what}' must be a list of ids")
    return list(dict.fromkeys(value))


def _request_line(request: Request) -> str:
    """``METHOD path[?query]``: what an idempotency record says it answered."""
    query = request.query_string.decode("latin-1")
    return f"{request.method} {request.path}" + (f"?{query}" if query else "")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
