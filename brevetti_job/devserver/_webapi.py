"""The platform's user-side web API on the dev platform (paths and shapes of the reference).

``POST /connect/token`` (OAuth2 password and refresh grants, HTTP Basic
``generic_client:``) gives a bearer token; with it: organisations, datasets, tags,
models (create, start, stop, delete), test reports, model and report types with their
settings schemas, projects, and the artifacts of models and reports (with presigned
object-store links to download them).

Models and reports are jobs of the job store: creating one makes the job (its id is
the model's id), so the job-side calls work for it as they do for any job. Settings
are validated against the type's schema here too; an invalid document creates
nothing. `respond` answers the requests that are the web API's and leaves the others
(``None``) to the job-side app (the platform's job calls, the admin API and the pages).

Organisations separate: every dataset, tag, project, model and report belongs to the
organisation it was made in (the token's, or the ``/api/orgs/<org>`` of the path), and
a user sees only those of the organisation addressed; another organisation's record is
404, an organisation the user is not a member of is 403. Model and report types
without an organisation are everyone's. A write with an ``Idempotency-Key`` is applied
once: a repeat (same method, path, query and body) replays the first answer, anything
else under that key is 422. The admin fault knob applies to these calls as to the job's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any, Final

import attrs
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from brevetti_schema import SchemaError, SettingsError, load_schema, resolve_settings

from ._auth import bearer_token, key_hash, key_matches
from ._fault_answers import drop as _drop
from ._fault_answers import unavailable as _unavailable
from ._faults import FaultInjector
from ._job_files import OUTPUT, JobFiles
from ._job_info import info_document
from ._store import Store, StoreError, valid_idempotency_key
from ._users import (
    Session,
    check_password,
    default_org,
    expire_access_tokens,
    issue_tokens,
    organizations_of,
    resolve_org,
    revoke,
    token_session,
)
from ._webapi_store import WebApiStore, now_iso

__all__ = ["NO_API_KEY", "WebApi", "add_type"]

logger = logging.getLogger("brevetti_job.devserver.webapi")

NO_API_KEY: Final = "<NO_API_KEY>"
DATA_BUCKET: Final = "s3://data"
"""Where the dev platform's datasets live (``<bucket>/<dataset id>``)."""
CLIENT_ID: Final = "generic_client"
LINK_LIFETIME: Final = 900
"""Seconds an artifact listing's presigned download links stay valid."""
_TYPES: Final = {"modeltypes": "modeltype", "reporttypes": "reporttype"}
_JOBS: Final = {"models": "model", "reports": "report"}
_OWNED: Final = frozenset({"dataset", "tag", "project", "model", "report"})
"""Record kinds that belong to one organisation (types without one are everyone's)."""

Handler = Callable[..., Response]


class ApiError(Exception):
    """Answer with an error status and a JSON body."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, allow_nan=False)
    return Response(text, status, headers=dict(headers or {}), mimetype="application/json")


def _body(request: Request) -> dict[str, Any]:
    try:
        value = json.loads(request.get_data(cache=True) or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, "the body must be a JSON object")
    return value


def _pick(body: Mapping[str, Any], camel: str, default: Any = None) -> Any:
    """A body value by its camelCase key or its snake_case alias (both accepted)."""
    if camel in body:
        return body[camel]
    snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)
    return body.get(snake, default)


def _id_list(body: Mapping[str, Any], camel: str) -> list[str]:
    value = _pick(body, camel, []) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"'{camel}' must be a list of ids")
    return list(dict.fromkeys(value))


def _text(body: Mapping[str, Any], camel: str, *, required: bool = False) -> str:
    value = _pick(body, camel, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApiError(400, f"'{camel}' must be text")
    if required and not value.strip():
        raise ApiError(400, f"'{camel}' is required")
    return value


class WebApi:
    """The web API over the job `Store` and the `WebApiStore`; see the module docstring."""

    def __init__(
        self,
        store: Store,
        records: WebApiStore,
        *,
        admin_token: str,
        space: Any = None,
        faults: FaultInjector | None = None,
        issuer: Any = None,
    ) -> None:
        self.store = store
        self.records = records
        self.space = space  # the data bucket in the object store (an ObjectSpace), if any
        self.issuer = issuer  # mints scoped identities on the object store (CredentialIssuer)
        self.faults = faults or FaultInjector()
        self.files = JobFiles(store, space)  # what jobs wrote into their storage folders
        self._admin_hash = key_hash(admin_token)
        self._default_org = default_org(records)
        kinds = "<any(models, reports):segment>"
        types = "<any(modeltypes, reporttypes):segment>"
        rules = [
            ("/connect/token", "token", "POST"),
            ("/api/account/organizations", "organizations", "GET"),
            ("/api/manage/index", "user_info", "GET"),
            ("/api/admin/webapi/expire-tokens", "expire_tokens", "POST"),
            ("/api/data", "datasets", "GET"),
            ("/api/data/", "create_dataset", "POST"),
            ("/api/data/<ident>", "dataset", "GET"),
            ("/api/data/<ident>", "update_dataset", "POST"),
            ("/api/data/<ident>", "delete_dataset", "DELETE"),
            ("/api/data/<ident>/securitycredentials", "dataset_credentials", "GET"),
            ("/api/devplatform/storage", "storage", "GET"),
            ("/api/orgs/<org>/data", "datasets", "GET"),
            ("/api/orgs/<org>/data/<ident>", "dataset", "GET"),
            ("/api/resources/tags", "tags", "GET"),
            ("/api/resources/tags/", "create_tag", "POST"),
            ("/api/resources/tags/<ident>", "tag", "GET"),
            ("/api/resources/tags/<ident>", "update_tag", "POST"),
            ("/api/resources/tags/<ident>", "delete_tag", "DELETE"),
            ("/api/resources/projects", "projects", "GET"),
            ("/api/resources/projects/", "create_project", "POST"),
            ("/api/resources/projects/<ident>", "update_project", "POST"),
            ("/api/resources/projects/<ident>", "delete_project", "DELETE"),
            ("/api/resources/projects/<ident>", "project", "GET"),
            ("/api/orgs/<org>/resources/projects", "projects", "GET"),
            ("/api/orgs/<org>/resources/projects/<ident>", "project", "GET"),
            ("/api/orgs/<org>/resources/projects/", "create_project", "POST"),
            (f"/api/resources/{types}/", "types", "GET"),
            (f"/api/resources/{types}/<ident>", "type", "GET"),
            (f"/api/resources/{types}/<ident>", "delete_type", "DELETE"),
            (f"/api/resources/{types}/<ident>/settings-schema.json", "type_schema", "GET"),
            (f"/api/master/{types}/", "types", "GET"),
            (f"/api/master/{types}/<ident>", "type", "GET"),
            (f"/api/master/{types}/update", "update_type", "POST"),
            ("/api/models/availabletypes", "available_types", "GET"),
            ("/api/models", "models", "GET"),
            ("/api/models", "create_model", "POST"),
            ("/api/reports", "reports", "GET"),
            ("/api/reports", "create_report", "POST"),
            (f"/api/{kinds}/<ident>", "job_record", "GET"),
            (f"/api/{kinds}/<ident>", "delete_job", "DELETE"),
            ("/api/models/<ident>/start", "start_model", "POST"),
            ("/api/models/<ident>/stop", "stop_model", "POST"),
            (f"/api/{kinds}/<ident>/artifacts", "artifacts", "GET"),
        ]
        self.url_map = Map(
            [Rule(path, endpoint=name, methods=[method]) for path, name, method in rules],
            strict_slashes=False,
            merge_slashes=False,
        )

    # -- dispatch -------------------------------------------------------------------------

    def respond(self, request: Request) -> Response | None:
        """The web API's answer to `request`, or ``None`` when it is not a web API call."""
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException:
            return None
        token = bearer_token(request.headers.get("Authorization"))
        if endpoint == "expire_tokens":
            return self._answer(request, token, endpoint, dict(args))
        with self.faults.watch():
            fault = self.faults.draw()
            if fault == "503":
                return _unavailable()
            if fault == "drop":
                return _drop(request)
            if fault == "slow":
                time.sleep(self.faults.config.delay)
            response = self._answer(request, token, endpoint, dict(args))
            if fault == "applied-then-503" and response.status_code < 400:
                response.close()
                return _unavailable()
            return response

    def _answer(
        self, request: Request, token: str | None, endpoint: str, args: dict[str, Any]
    ) -> Response:
        try:
            if endpoint == "token":
                return self._token(request)
            if endpoint == "expire_tokens":
                self._check_admin(token)
                return self._expire_tokens(request)
            session = self._session(token)
            org = args.pop("org", None)
            if org is not None:
                session = self._in_org(session, org)
            return self._call(request, session, endpoint, args)
        except ApiError as exc:
            headers = {}
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return _json(exc.status, exc.body, headers)
        except StoreError as exc:
            return _json(exc.status, {"error": exc.message})

    def _call(
        self, request: Request, session: Session, endpoint: str, args: dict[str, Any]
    ) -> Response:
        handler: Handler = getattr(self, f"_{endpoint}")
        if request.method == "GET":
            return handler(request, session, **args)
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(request, session, **args)
        if not valid_idempotency_key(key):
            raise ApiError(400, "Idempotency-Key must be 1-128 letters, digits, '-' or '_'")
        signature = _signature(request)
        replay = self.records.replay(session.user_id, key)
        if replay is not None:
            if replay[0] != signature:
                raise ApiError(
                    422,
                    "this Idempotency-Key was already used for a different request (another "
                    "method, path, query or body); use a new key for a new write",
                )
            body = replay[2]
            if isinstance(body, dict) and "apiKey" in body:  # kept without the job's key
                body["apiKey"] = self._job_key(str(body.get("id"))) or NO_API_KEY
            return _json(replay[1], body, {"Idempotent-Replay": "true"})
        response = handler(request, session, **args)
        if response.status_code < 400:
            body = json.loads(response.get_data() or b"null")
            if isinstance(body, dict) and "apiKey" in body:
                body["apiKey"] = NO_API_KEY  # never stored in the clear; filled in on replay
            self.records.remember(session.user_id, key, signature, response.status_code, body)
        return response

    def _check_admin(self, token: str | None) -> None:
        if token is None or not key_matches(token, self._admin_hash):
            raise ApiError(401, "admin calls need 'Authorization: Bearer <admin token>'")

    def _in_org(self, session: Session, org: str) -> Session:
        """The session addressed to organisation `org` (its id) of the ``/api/orgs`` path."""
        if not any(o["id"] == org for o in organizations_of(self.records, session.user_id)):
            raise ApiError(403, f"you are not a member of organization {org!r}")
        return attrs.evolve(session, org_id=org)

    def _owner(self, record: Mapping[str, Any]) -> str:
        """The organisation a record belongs to (records from before: the default one)."""
        return str(record.get("organizationId") or self._default_org)

    def _visible(self, kind: str, record: Mapping[str, Any], session: Session) -> bool:
        if kind in _OWNED:
            return self._owner(record) == session.org_id
        owner = record.get("organizationId")
        return owner is None or owner == session.org_id

    def _session(self, token: str | None) -> Session:
        if token is None:
            raise ApiError(401, "log in first: send 'Authorization: Bearer <access token>'")
        session = token_session(self.records, token)
        if session is None:
            raise ApiError(401, "the access token is not valid")
        if session.expired:
            raise ApiError(401, "the access token expired")
        return session

    # -- login ----------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = request.form
        grant = form.get("grant_type", "")
        if grant == "password":
            if not _basic_client(request.headers.get("Authorization")):
                return _oauth_error(401, "invalid_client", "unknown client")
            user_id = check_password(
                self.records, form.get("username", ""), form.get("password", "")
            )
            if user_id is None:
                return _oauth_error(400, "invalid_grant", "wrong user name or password")
            org_id = resolve_org(self.records, user_id, form.get("organization_id"))
            if org_id is None:
                return _oauth_error(400, "invalid_grant", "not a member of that organization")
            return _json(200, issue_tokens(self.records, user_id, org_id), _NO_STORE)
        if grant == "refresh_token":
            if form.get("client_id") != CLIENT_ID and not _basic_client(
                request.headers.get("Authorization")
            ):
                return _oauth_error(401, "invalid_client", "unknown client")
            refresh = form.get("refresh_token", "")
            session = token_session(self.records, refresh, kind="refresh")
            if session is None or session.expired:
                return _oauth_error(400, "invalid_grant", "the refresh token is not valid")
            revoke(self.records, refresh)
            return _json(
                200, issue_tokens(self.records, session.user_id, session.org_id), _NO_STORE
            )
        return _oauth_error(400, "unsupported_grant_type", "use the password or refresh grant")

    def _expire_tokens(self, request: Request) -> Response:
        body = _body(request)
        username = body.get("username")
        count = expire_access_tokens(self.records, username if isinstance(username, str) else None)
        return _json(200, {"expired": count})

    def _organizations(self, request: Request, session: Session) -> Response:
        orgs = organizations_of(self.records, session.user_id)
        for org in orgs:
            org["isCurrent"] = org["id"] == session.org_id
        return _json(200, orgs)

    def _user_info(self, request: Request, session: Session) -> Response:
        return _json(
            200,
            {
                "id": session.user_id,
                "username": session.username,
                "email": "",
                "firstName": "",
                "lastName": "",
                "isAdmin": False,
                "permissions": {"datasets": [], "models": [], "devices": [], "projects": []},
            },
        )

    # -- generic resources -------------------------------------------------------------

    def _one(self, kind: str, ident: str, session: Session) -> dict[str, Any]:
        record = self.records.get(kind, ident)
        if record is None or not self._visible(kind, record, session):
            raise ApiError(404, f"no {kind} with id {ident!r}")
        return record

    def _all(self, kind: str, session: Session) -> list[dict[str, Any]]:
        return [r for r in self.records.all(kind) if self._visible(kind, r, session)]

    def _known(self, kind: str, ids: list[str], what: str, session: Session) -> None:
        def found(ident: str) -> bool:
            record = self.records.get(kind, ident)
            return record is not None and self._visible(kind, record, session)

        missing = [i for i in ids if not found(i)]
        if missing:
            raise ApiError(404, f"unknown {what}: {', '.join(missing)}", unknown=missing)

    # -- datasets: the job store's datasets, with the web API's fields kept beside them ----

    def _bucket(self, dataset_id: str) -> str:
        if self.space is not None:
            return str(self.space.folder_url(dataset_id))
        return f"{DATA_BUCKET}/{dataset_id}"

    def _dataset_record(self, dataset_id: str, session: Session) -> dict[str, Any] | None:
        """A dataset of the job store with its web API fields, or ``None`` (also when it
        belongs to another organisation; one made by the admin API is the default's)."""
        base = self.store.dataset(dataset_id)
        if base is None:
            return None
        extra = self.records.get("dataset", dataset_id) or {}
        if extra.get("deleted") or self._owner(extra) != session.org_id:
            return None
        return {
            "id": base["id"],
            "name": extra.get("name", base["name"]),
            "created": base["created"],
            "bucket": self._bucket(base["id"]),
            "locked": bool(extra.get("locked", False)),
            "reference": str(extra.get("reference", "")),
            "notes": str(extra.get("notes", "")),
            "tagIds": list(extra.get("tagIds", [])),
            "organizationId": self._owner(extra),
        }

    def _dataset_or_404(self, ident: str, session: Session) -> dict[str, Any]:
        record = self._dataset_record(ident, session)
        if record is None:
            raise ApiError(404, f"no dataset with id {ident!r}")
        return record

    def _known_datasets(self, ids: list[str], session: Session) -> None:
        missing = [i for i in ids if self._dataset_record(i, session) is None]
        if missing:
            raise ApiError(404, f"unknown datasets: {', '.join(missing)}", unknown=missing)

    def _dataset_body(self, body: Mapping[str, Any], session: Session) -> dict[str, Any]:
        tag_ids = _id_list(body, "tagIds")
        self._known("tag", tag_ids, "tags", session)
        locked = _pick(body, "locked", False)
        if not isinstance(locked, bool):
            raise ApiError(400, "'locked' must be true or false")
        return {
            "name": _text(body, "name", required=True),
            "reference": _text(body, "reference"),
            "notes": _text(body, "notes"),
            "locked": locked,
            "tagIds": tag_ids,
        }

    def _datasets(self, request: Request, session: Session) -> Response:
        records = (self._dataset_record(d["id"], session) for d in self.store.datasets())
        return _json(200, [self._dataset_out(r) for r in records if r is not None])

    def _dataset(self, request: Request, session: Session, ident: str) -> Response:
        return _json(200, self._dataset_out(self._dataset_or_404(ident, session)))

    def _dataset_out(self, record: dict[str, Any]) -> dict[str, Any]:
        tags = [t for t in (self.records.get("tag", i) for i in record["tagIds"]) if t]
        return {**record, "tags": tags}

    def _dataset_entry(self, dataset_id: str, session: Session) -> dict[str, Any]:
        """A dataset as a job description lists it (platform-storage.md section 6)."""
        record = self._dataset_out(self._dataset_or_404(dataset_id, session))
        keys = ("id", "name", "bucket", "created", "locked", "reference", "notes", "tags")
        return {k: record[k] for k in keys}

    def _create_dataset(self, request: Request, session: Session) -> Response:
        data = self._dataset_body(_body(request), session)
        base = self.store.create_dataset(data["name"])
        self.records.put(
            "dataset",
            {
                **data,
                "id": base["id"],
                "created": base["created"],
                "organizationId": session.org_id,
            },
        )
        return _json(200, {"datasetId": base["id"]})

    def _update_dataset(self, request: Request, session: Session, ident: str) -> Response:
        record = self._dataset_or_404(ident, session)
        changed = {**record, **self._dataset_body(_body(request), session)}
        self.records.put("dataset", changed)
        return _json(200, self._dataset_out(self._dataset_or_404(ident, session)))

    def _dataset_credentials(self, request: Request, session: Session, ident: str) -> Response:
        """STS AssumeRole XML: an identity that reads, lists and writes the dataset's folder
        (``get_dataset(write_access=True)``; how files reach a dataset)."""
        self._dataset_or_404(ident, session)
        if self.issuer is None:
            raise ApiError(501, "this dev platform has no object store to mint credentials on")
        from ._credentials import assume_role_xml  # noqa: PLC0415 - only for this call

        # a folder named by its own id gets read, list and write: the dataset's folder
        credentials = self.issuer.issue({"id": ident}, ident, None)
        response = Response(assume_role_xml(credentials), 200, mimetype="application/xml")
        response.headers["Cache-Control"] = "no-store"
        return response

    def _storage(self, request: Request, session: Session) -> Response:
        """Where the dev platform's object store is (the public platform's is AWS S3)."""
        if self.space is None:
            raise ApiError(501, "this dev platform has no object store")
        return _json(200, {"s3Endpoint": self.space.store.endpoint, "dataBucket": self.space.url})

    def _delete_dataset(self, request: Request, session: Session, ident: str) -> Response:
        record = self._dataset_or_404(ident, session)
        self.records.put("dataset", {**record, "deleted": True})
        return _json(200, {"id": ident})

    # -- tags -----------------------------------------------------------------------------

    def _tag_tree(self, tag: dict[str, Any], tags: list[dict[str, Any]]) -> dict[str, Any]:
        children = [self._tag_tree(t, tags) for t in tags if t.get("parentId") == tag["id"]]
        return {**tag, "children": children}

    def _tags(self, request: Request, session: Session) -> Response:
        tags = self._all("tag", session)
        return _json(200, [self._tag_tree(t, tags) for t in tags if not t.get("parentId")])

    def _tag(self, request: Request, session: Session, ident: str) -> Response:
        tag = self._one("tag", ident, session)
        return _json(200, self._tag_tree(tag, self._all("tag", session)))

    def _tag_body(
        self, body: Mapping[str, Any], session: Session, ident: str | None = None
    ) -> dict[str, Any]:
        parent = _pick(body, "parentId")
        if parent is not None:
            if not isinstance(parent, str):
                raise ApiError(400, "'parentId' must be a tag id")
            self._known("tag", [parent], "parent tag", session)
            if parent == ident:
                raise ApiError(400, "a tag cannot be its own parent")
        return {"name": _text(body, "name", required=True), "parentId": parent}

    def _create_tag(self, request: Request, session: Session) -> Response:
        body = self._tag_body(_body(request), session)
        record = self.records.put("tag", {**body, "organizationId": session.org_id})
        return _json(200, self._tag_tree(record, []))

    def _update_tag(self, request: Request, session: Session, ident: str) -> Response:
        record = self._one("tag", ident, session)
        record.update(self._tag_body(_body(request), session, ident))
        return _json(200, self._tag_tree(self.records.put("tag", record), []))

    def _delete_tag(self, request: Request, session: Session, ident: str) -> Response:
        self._one("tag", ident, session)
        self.records.delete("tag", ident)
        return _json(200, {"id": ident})

    # -- projects -------------------------------------------------------------------------

    def _projects(self, request: Request, session: Session) -> Response:
        return _json(200, self._all("project", session))

    def _project(self, request: Request, session: Session, ident: str) -> Response:
        return _json(200, self._one("project", ident, session))

    def _project_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        thumbnail = _pick(body, "thumbnail")
        if thumbnail is not None and not isinstance(thumbnail, str):
            raise ApiError(400, "'thumbnail' must be text (a URL) or null")
        return {
            "name": _text(body, "name", required=True),
            "description": _text(body, "description"),
            "thumbnail": thumbnail,
        }

    def _create_project(self, request: Request, session: Session) -> Response:
        record = {
            **self._project_body(_body(request)),
            "applications": [],
            "organizationId": session.org_id,
        }
        return _json(200, self.records.put("project", record))

    def _update_project(self, request: Request, session: Session, ident: str) -> Response:
        record = self._one("project", ident, session)
        record.update(self._project_body(_body(request)))
        return _json(200, self.records.put("project", record))

    def _delete_project(self, request: Request, session: Session, ident: str) -> Response:
        self._one("project", ident, session)
        self.records.delete("project", ident)
        return _json(200, {"id": ident})

    # -- model and report types ----------------------------------------------------------

    def _type_out(self, request: Request, record: dict[str, Any]) -> dict[str, Any]:
        segment = "modeltypes" if record["kind"] == "model" else "reporttypes"
        out = {k: v for k, v in record.items() if k not in ("kind", "schema")}
        out["settingsSchemaPath"] = (
            f"{request.host_url.rstrip('/')}/api/resources/{segment}/{record['id']}"
            "/settings-schema.json"
        )
        return out

    def _types(self, request: Request, session: Session, segment: str) -> Response:
        kind = _TYPES[segment]
        return _json(200, [self._type_out(request, t) for t in self._all(kind, session)])

    def _type(self, request: Request, session: Session, segment: str, ident: str) -> Response:
        return _json(200, self._type_out(request, self._one(_TYPES[segment], ident, session)))

    def _type_schema(
        self, request: Request, session: Session, segment: str, ident: str
    ) -> Response:
        return _json(200, self._one(_TYPES[segment], ident, session)["schema"])

    def _update_type(self, request: Request, session: Session, segment: str) -> Response:
        """Master mode's update: the whole type object; its id, organisation and schema
        stay as they are (a new schema is a new type)."""
        body = _body(request)
        ident = _pick(body, "id")
        if not isinstance(ident, str) or not ident:
            raise ApiError(400, "'id' is required: the type to update")
        record = self._one(_TYPES[segment], ident, session)
        changes = _type_changes(body, record["kind"])
        links, other = (
            ("reportTypeIds", "reporttype") if record["kind"] == "model" else
            ("modelTypeIds", "modeltype")
        )  # fmt: skip
        if links in changes:  # each linked type must exist; its summary is kept beside
            linked = [self.records.get(other, i) for i in changes[links]]
            missing = [i for i, found in zip(changes[links], linked, strict=True) if not found]
            if missing:
                raise ApiError(400, f"'{links}' names no such type: {', '.join(missing)}")
            summaries = [{"id": t["id"], "name": t["name"]} for t in linked if t is not None]
            changes[links.replace("Ids", "s")] = summaries
        record.update(changes)
        return _json(200, self._type_out(request, self.records.put(_TYPES[segment], record)))

    def _delete_type(
        self, request: Request, session: Session, segment: str, ident: str
    ) -> Response:
        self._one(_TYPES[segment], ident, session)
        self.records.delete(_TYPES[segment], ident)
        return _json(200, {"id": ident})

    def _available_types(self, request: Request, session: Session) -> Response:
        types = [t for t in self._all("modeltype", session) if t.get("status", 0) == 0]
        return _json(200, [self._type_out(request, t) for t in types])

    # -- models and reports --------------------------------------------------------------

    def _checked_settings(self, type_record: dict[str, Any], text: Any) -> dict[str, Any]:
        """The settings document of a create call, checked against the type's schema."""
        if text is None or text == "":
            settings: Any = {}
        elif isinstance(text, str):
            try:
                settings = json.loads(text)
            except ValueError:
                raise ApiError(400, "'settings' must be a JSON-encoded object") from None
        else:
            settings = text
        if not isinstance(settings, dict):
            raise ApiError(400, "'settings' must be a JSON-encoded object")
        settings.pop("extra", None)
        try:
            schema = load_schema(type_record["schema"])
            resolve_settings(schema, settings, structure=False)
        except SettingsError as exc:
            raise ApiError(
                400, "the settings do not fit the type's schema", **exc.to_json()
            ) from None
        except SchemaError as exc:
            raise ApiError(500, f"the type's settings schema is broken: {exc}") from None
        return settings

    def _job_key(self, job_id: str) -> str | None:
        """The job's key, read from its ``info.json`` in the object store (the only place
        it is kept in the clear; the job store has its hash)."""
        if self.space is None:
            return None
        info = self.space.read_json(f"{job_id}/info.json")
        key = info.get("api_key") if isinstance(info, dict) else None
        return key if isinstance(key, str) and key else None

    def _job_out(
        self, kind: str, record: dict[str, Any], api_key: str | None = None
    ) -> dict[str, Any]:
        meta = self.store.meta(record["id"]) or {}
        status = meta.get("status")
        out = dict(record)
        out["started"] = out.get("started") or meta.get("started_at")
        out["completed"] = meta.get("ended_at") if status == "completed" else None
        out["apiKey"] = api_key or self._job_key(record["id"]) or NO_API_KEY
        out["jobStatus"] = status
        if kind == "model":
            model_path = meta.get("model_path") if status == "completed" else None
            out["modelUrl"] = model_path or None
        return out

    def _models(self, request: Request, session: Session) -> Response:
        return _json(200, [self._job_out("model", m) for m in self._all("model", session)])

    def _reports(self, request: Request, session: Session) -> Response:
        return _json(200, [self._job_out("report", r) for r in self._all("report", session)])

    def _job_record(self, request: Request, session: Session, segment: str, ident: str) -> Response:
        kind = _JOBS[segment]
        return _json(200, self._job_out(kind, self._one(kind, ident, session)))

    def _new_job(
        self,
        kind: str,
        name: str,
        type_record: dict[str, Any],
        settings: dict[str, Any],
        record: dict[str, Any],
        models: list[dict[str, Any]] | None = None,
        *,
        session: Session,
        datasets: Sequence[str] = (),
        host: str = "",
    ) -> tuple[dict[str, Any], str]:
        """Make the job of a new model or report; its record and the job's key."""
        created = self.store.create_job(
            kind=kind, name=name, settings=settings, schema_ui=type_record["schema"],
            models=models or [], datasets=[self._dataset_entry(d, session) for d in datasets],
        )  # fmt: skip
        if self.space is not None:  # info.json in the job's folder, as the platform writes it
            meta = self.store.meta(created.id)
            if meta is None:
                raise ApiError(500, f"the job {created.id} vanished as it was made")
            self.space.put_info(created.id, info_document(meta, created.api_key, host))
        record.update(
            id=created.id, jobId=created.id, name=name, created=now_iso(),
            organizationId=session.org_id,
        )  # fmt: skip
        self.records.put(kind, record)
        return record, created.api_key

    def _create_model(self, request: Request, session: Session) -> Response:
        body = _body(request)
        name = _text(body, "name", required=True)
        type_id = _text(body, "modelTypeId", required=True)
        type_record = self._one("modeltype", type_id, session)
        datasets = _id_list(body, "datasetIds")
        tags = _id_list(body, "tagIds")
        self._known_datasets(datasets, session)
        self._known("tag", tags, "tags", session)
        settings = self._checked_settings(type_record, _pick(body, "settings"))
        record = {
            "modelTypeId": type_id,
            "modelTypeStatus": int(type_record.get("status", 0)),
            "settings": _settings_text(_pick(body, "settings"), settings),
            "datasets": datasets,
            "tagIds": tags,
            "reportTypeIds": list(type_record.get("reportTypeIds", [])),
            "version": 1,
            "hasDeployments": False,
            "applicationId": _pick(body, "applicationId"),
            "releaseMetadata": _pick(body, "releaseMetadata"),
            "baseModel": _pick(body, "baseModel"),
            "started": None,
        }
        record, key = self._new_job(
            "model", name, type_record, settings, record, session=session, datasets=datasets,
            host=_host(request),
        )  # fmt: skip
        return _json(200, self._job_out("model", record, key))

    def _create_report(self, request: Request, session: Session) -> Response:
        body = _body(request)
        name = _text(body, "name", required=True)
        type_id = _text(body, "reportTypeId", required=True)
        type_record = self._one("reporttype", type_id, session)
        datasets = _id_list(body, "datasetIds")
        models = _id_list(body, "modelIds")
        tags = _id_list(body, "tagIds")
        parent = _text(body, "parentId")
        parent_type = _text(body, "parentType") or "model"
        self._known_datasets(datasets, session)
        self._known(
            "model", models + ([parent] if parent and parent_type == "model" else []), "models",
            session,
        )  # fmt: skip
        self._known("tag", tags, "tags", session)
        settings = self._checked_settings(type_record, _pick(body, "settings"))
        submit = bool(_pick(body, "submitToCloud", False))
        parent_record = self.records.get("model", parent) if parent else None
        record = {
            "parentId": parent or None,
            "parentType": parent_type,
            "parentName": parent_record["name"] if parent_record else None,
            "parentVersion": parent_record.get("version") if parent_record else None,
            "projectId": _pick(body, "projectId"),
            "reportTypeId": type_id,
            "reportTypeName": type_record["name"],
            "reportTypeStatus": int(type_record.get("status", 0)),
            "reportTypeVersion": type_record.get("version", 1),
            "settings": _settings_text(_pick(body, "settings"), settings),
            "datasets": datasets,
            "models": models,
            "tagIds": tags,
            "started": now_iso() if submit else None,
            "configUrl": None,
        }
        entries = [self._model_entry(m, session) for m in models]
        record, _ = self._new_job(
            "report", name, type_record, settings, record, entries, session=session,
            datasets=datasets, host=_host(request),
        )  # fmt: skip
        return _json(200, {"id": record["id"]})

    def _model_entry(self, model_id: str, session: Session) -> dict[str, Any]:
        """A model under test as a report's description lists it: id, name, its folder,
        and its archive with the archive's sha256 once the model completed."""
        record = self._one("model", model_id, session)
        meta = self.store.meta(model_id) or {}
        if self.space is None:
            raise ApiError(501, "this dev platform has no object store for models' folders")
        entry: dict[str, Any] = {
            "id": model_id,
            "name": record["name"],
            "bucket": self.space.folder_url(model_id),  # where the job wrote its artifacts
        }
        model_path = meta.get("model_path") if meta.get("status") == "completed" else None
        if model_path:
            entry["model_path"] = model_path
            name = str(model_path).removeprefix("artifacts/")
            found = self.files.artifact(model_id, name)
            if found is not None and found.get("sha256"):
                entry["sha256"] = found["sha256"]
        return entry

    def _delete_job(self, request: Request, session: Session, segment: str, ident: str) -> Response:
        kind = _JOBS[segment]
        self._one(kind, ident, session)
        self.records.delete(kind, ident)
        return _json(200, {"id": ident})

    def _start_model(self, request: Request, session: Session, ident: str) -> Response:
        record = self._one("model", ident, session)
        if not record.get("started"):
            record["started"] = now_iso()
            self.records.put("model", record)
        return _json(200, f"{request.host_url.rstrip('/')}/api/models/{ident}")

    def _stop_model(self, request: Request, session: Session, ident: str) -> Response:
        record = self._one("model", ident, session)
        meta = self.store.meta(ident) or {}
        if meta.get("ended_at") is None:
            with suppress(StoreError):  # it ended meanwhile: nothing to stop
                self.store.write(
                    ident, None, lambda tx: (200, tx.complete("failed", "", "stopped by the user"))
                )
        return _json(200, self._job_out("model", record))

    # -- artifacts ------------------------------------------------------------------------

    def _artifacts(self, request: Request, session: Session, segment: str, ident: str) -> Response:
        kind = _JOBS[segment]
        self._one(kind, ident, session)
        prefix = request.args.get("prefix", "")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        entries: dict[str, dict[str, Any]] = {}
        files, folders = (
            ([], []) if self.space is None else self.space.artifact_level(ident, prefix)
        )
        for head in folders:
            entries[head] = {
                "name": head,
                "isPrefix": True,
                "mimeType": "folder",
                "size": 0,
                "link": None,
                "lastModified": None,
                "tileSource": None,
            }
        files = [f for f in files if f["name"] != OUTPUT]
        digests = self.files.digests(ident, files)  # the sha256 only of this level's files
        for artifact in files:
            name = str(artifact["name"])
            if name not in digests:  # removed while it was listed
                continue
            rest = name[len(prefix) :]
            entries[rest] = {
                "name": rest,
                "isPrefix": False,
                "mimeType": _mime(rest),
                "size": artifact["size"],
                "sha256": digests[name],
                "link": self._link(ident, name),
                "lastModified": artifact["modified"],
                "tileSource": None,
            }
        return _json(200, [entries[k] for k in sorted(entries)])

    def _link(self, job_id: str, name: str) -> str:
        """Where an artifact is fetched: a presigned GET of the object store (fetched
        without the bearer, as the platform's storage links are; valid for a while)."""
        assert self.space is not None  # listed files come from the object store
        return str(
            self.space.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.space.bucket, "Key": f"{job_id}/artifacts/{name}"},
                ExpiresIn=LINK_LIFETIME,
            )
        )


_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _signature(request: Request) -> str:
    """What an idempotent write is known by: method, path, query and the body's sha256."""
    query = request.query_string.decode("latin-1")
    body = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    return f"{request.method} {request.path}{'?' + query if query else ''} {body}"


def _host(request: Request) -> str:
    return request.host_url.rstrip("/")


def _settings_text(given: Any, settings: Mapping[str, Any]) -> str:
    """The settings as stored and answered: the JSON string sent, or the object encoded."""
    return (
        given if isinstance(given, str) and given.strip() else json.dumps({**settings, "extra": {}})
    )


def _oauth_error(status: int, code: str, description: str) -> Response:
    return _json(status, {"error": code, "error_description": description}, _NO_STORE)


def _basic_client(header: str | None) -> bool:
    """True for HTTP Basic with the platform's public client (``generic_client:``)."""
    if not header or not header.lower().startswith("basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    client, _, _ = decoded.partition(":")
    return hmac.compare_digest(client, CLIENT_ID)


def _mime(name: str) -> str:
    suffix = name.rpartition(".")[2].lower()
    return {
        "json": "application/json",
        "html": "text/html",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "csv": "text/csv",
        "txt": "text/plain",
        "gz": "application/gzip",
    }.get(suffix, "application/octet-stream")


_ABSENT: Final = object()
_TYPE_TEXTS: Final = ("shortDescription", "longDescription")
_TYPE_OPTIONAL_TEXTS: Final = ("dockerImage", "instanceType")
_TYPE_COUNTS: Final = ("maxRuntimeInSeconds", "instanceCount", "volumeSizeInGB")
_REPORT_FLAGS: Final = ("canRunOnProjects", "canRunOnApplications", "canRunOnModels")


def _type_changes(body: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """What an update of a type may change, checked: name, status, version, the texts,
    the run settings and the linked types; other keys of the object are ignored."""
    changes: dict[str, Any] = {}
    if _pick(body, "name") is not None:
        changes["name"] = _text(body, "name", required=True)
    for key in _TYPE_TEXTS:
        if _pick(body, key) is not None:
            changes[key] = _text(body, key)
    for key in _TYPE_OPTIONAL_TEXTS:
        value = _pick(body, key, _ABSENT)
        if value is not _ABSENT:
            if value is not None and not isinstance(value, str):
                raise ApiError(400, f"'{key}' must be text or null")
            changes[key] = value
    status = _pick(body, "status")
    if status is not None:
        if isinstance(status, bool) or not isinstance(status, int):
            raise ApiError(400, "'status' must be an integer")
        changes["status"] = status
    version = _pick(body, "version")
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int | str):
            raise ApiError(400, "'version' must be a number or text")
        changes["version"] = version
    for key in _TYPE_COUNTS:
        value = _pick(body, key, _ABSENT)
        if value is not _ABSENT:
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ApiError(400, f"'{key}' must be a non-negative integer or null")
            changes[key] = value
    links = "reportTypeIds" if kind == "model" else "modelTypeIds"
    if _pick(body, links) is not None:
        changes[links] = _id_list(body, links)
    if kind == "report":
        for key in _REPORT_FLAGS:
            value = _pick(body, key)
            if value is not None:
                if not isinstance(value, bool):
                    raise ApiError(400, f"'{key}' must be true or false")
                changes[key] = value
    return changes


def add_type(
    records: WebApiStore,
    name: str,
    schema_ui: Mapping[str, Any],
    *,
    kind: str = "model",
    description: str = "",
    docker_image: str | None = None,
) -> dict[str, Any]:
    """Register a model or report type with its settings schema (platform UI JSON)."""
    if kind not in ("model", "report"):
        raise ValueError(f"kind must be 'model' or 'report', got {kind!r}")
    load_schema(schema_ui)  # a broken schema is refused here, not when a model is made
    record: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "status": 0,
        "version": 1,
        "shortDescription": description,
        "longDescription": description,
        "settingsSchemaName": "settings-schema.json",
        "dockerImage": docker_image,
        "maxRuntimeInSeconds": None,
        "instanceCount": 1,
        "instanceType": None,
        "volumeSizeInGB": None,
        "duplicateOf": None,
        "organizationId": None,
        "organization": None,
        "schema": dict(schema_ui),
    }
    if kind == "model":
        record.update(reportTypeIds=[], reportTypes=[])
    else:
        record.update(
            canRunOnProjects=False, canRunOnApplications=False, canRunOnModels=True,
            modelTypeIds=[], modelTypes=[],
        )  # fmt: skip
    return records.put(_TYPES["modeltypes" if kind == "model" else "reporttypes"], record)
