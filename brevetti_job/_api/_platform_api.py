"""`PlatformAPI`: the user side of the platform's web API, named as brevettiai names it.

::

    api = PlatformAPI("me@example.com", password, host="http://127.0.0.1:8750")
    kind = api.get_model_type(name="Image classification")
    model = api.create_model("first", kind, settings={"training": {"epochs": 5}})
    job = api.initialize_training(model)        # our Job, ready to run here

Settings are checked against the type's schema before anything is sent: invalid
settings raise `SettingsError` listing every problem, and nothing is created.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import urlsplit

from .._errors import PlatformAuthError, PlatformError
from .._retry import DEFAULT_TIMEOUT, RetryPolicy, settings_from_env
from ._records import (
    Artifact,
    DatasetRecord,
    Model,
    ModelType,
    Organization,
    Project,
    Tag,
    TestReport,
    from_json,
    is_folder,
)
from ._session import SCOPE, WebSession
from ._tokens import TokenStore

if TYPE_CHECKING:
    from brevetti_schema import Schema

    from .._job import Job

__all__ = ["DEFAULT_HOST", "PlatformAPI"]

logger = logging.getLogger("brevetti_job.api")

DEFAULT_HOST: Final = "https://platform.brevetti.ai"
_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_CHUNK: Final = 1 << 20
_LISTING_WORKERS: Final = 8
R = TypeVar("R")


def _ident(value: Any) -> str:
    """The id of a record or an id given as text."""
    ident = getattr(value, "id", value)
    if not isinstance(ident, str) or not ident:
        raise ValueError(f"expected a record or an id, got {value!r}")
    return ident


def _ids(values: Iterable[Any] | Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or hasattr(values, "id"):
        values = [values]
    return [_ident(v) for v in values]


def _filtered(records: list[R], filters: Mapping[str, Any]) -> list[R]:
    """Records whose attributes equal every filter (applied client-side, as the reference)."""
    return [r for r in records if all(getattr(r, k, None) == v for k, v in filters.items())]


class PlatformAPI:
    """A logged-in session with the platform's web API (see the module docstring).

    Log in with a user name and password (arguments, or ``BREVETTI_AI_USER`` and
    ``BREVETTI_AI_PW``), or reuse the token saved by an earlier login under
    `token_dir` (default ``BREVETTI_TOKEN_DIR``, else ``~/.brevetti``). The host comes
    from `host`, else ``BREVETTIAI_HOST_NAME``, else the public platform.
    """

    def __init__(
        self,
        username: str | None = None,
        password: str | None = None,
        host: str | None = None,
        remember_me: bool = True,
        *,
        organization: str | None = None,
        token_dir: str | os.PathLike[str] | None = None,
        timeout: tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self._env = env
        env_timeout, env_retry = settings_from_env(env)
        self.host = (host or env.get("BREVETTIAI_HOST_NAME") or DEFAULT_HOST).rstrip("/")
        self.remember_me = remember_me
        self.tokens = TokenStore(
            token_dir if token_dir is not None else env.get("BREVETTI_TOKEN_DIR")
        )
        self.username: str | None = username or env.get("BREVETTI_AI_USER") or None
        self.organization = organization or "default"
        self._org_id: str | None = None
        self._session = WebSession(
            self.host, timeout=timeout or env_timeout or DEFAULT_TIMEOUT, retry=retry or env_retry
        )
        self._session.on_refresh = self._save_token
        self._token: dict[str, Any] = {}
        password = password or env.get("BREVETTI_AI_PW") or None
        if password and self.username:
            self.login(self.username, password, remember_me=remember_me, organization=organization)
        else:
            self._load_token()

    def __repr__(self) -> str:
        user = self.username or "not logged in"
        return f"<PlatformAPI host={self.host!r} user={user!r} organization={self.organization!r}>"

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def __enter__(self) -> PlatformAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- login -----------------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        """True once a token is held (it may still need a refresh)."""
        return self._session.access_token is not None

    def login(
        self,
        username: str,
        password: str,
        remember_me: bool | None = None,
        organization: str | None = None,
    ) -> None:
        """Log in with the platform's OAuth2 password grant; saves the token if remembered."""
        self._session.keep_secret(password)
        form = {
            "grant_type": "password",
            "username": username,
            "password": password,
            "scope": SCOPE,
        }
        org = organization or self.organization
        if org and org != "default":
            form["organization_id"] = org
        try:
            token = self._session.token_grant(form, basic=True)
        except PlatformError as exc:
            if exc.status in (400, 401):
                raise PlatformAuthError(
                    f"login as {username!r} failed: {self._session.scrub(str(exc))}",
                    status=exc.status,
                    request="POST /connect/token",
                ) from None
            raise
        self.username = username
        self.organization = org or "default"
        self._session.use_token(token)
        self._token = token
        if remember_me if remember_me is not None else self.remember_me:
            self._save_token()

    def _save_token(self) -> None:
        if not self.remember_me or not self.username:
            return
        token = {
            "access_token": self._session.access_token,
            "refresh_token": self._session.refresh_token,
            "expires_at": self._token.get("expires_at"),
            "token_type": "Bearer",
        }
        self.tokens.save(self.host, self.username, self.organization, token)

    def _load_token(self) -> None:
        import time  # noqa: PLC0415 - only on this path

        token = self.tokens.load(self.host, self.username, self.organization)
        if token is None:
            return
        self.username = str(token.get("username") or self.username or "")
        self._session.use_token(token)
        self._token = dict(token)
        expires = token.get("expires_at")
        if isinstance(expires, int | float) and expires <= time.time():
            self._token.update(self._session.refresh())

    def logout(self) -> None:
        """Forget the session and its saved token."""
        if self.username:
            self.tokens.forget(self.host, self.username, self.organization)
        self._session.access_token = self._session.refresh_token = None

    def get_organizations(self) -> list[Organization]:
        """The organisations of the logged-in user."""
        data = self._session.get_json("/api/account/organizations")
        return [from_json(Organization, o) for o in data or []]

    def use(self, organization: str | None) -> None:
        """Address organisation-scoped ("v1") calls to `organization` (name or id)."""
        if organization is None:
            self._org_id = None
            return
        if _UUID.fullmatch(organization):
            self._org_id = organization
            return
        for org in self.get_organizations():
            if org.name == organization:
                self._org_id = org.id
                return
        raise PlatformError(f"no organization named {organization!r}")

    def _v1(self) -> str:
        return f"/api/orgs/{self._org_id}" if self._org_id else "/api"

    def get_userinfo(self) -> dict[str, Any]:
        """The logged-in user's record."""
        data: dict[str, Any] = self._session.get_json("/api/manage/index")
        return data

    # -- datasets and tags -------------------------------------------------------------

    def get_dataset(self, id: str | None = None, **filters: Any) -> Any:
        """A dataset by id, or the list of datasets (filtered by attributes, e.g. name=)."""
        if id is not None:
            return from_json(DatasetRecord, self._session.get_json(f"{self._v1()}/data/{id}"))
        data = self._session.get_json(f"{self._v1()}/data")
        return _filtered([from_json(DatasetRecord, d) for d in data or []], filters)

    def create_dataset(
        self,
        name: str,
        reference: str = "",
        notes: str = "",
        tag_ids: Sequence[Any] = (),
        locked: bool = False,
    ) -> DatasetRecord:
        """Create a dataset and return it."""
        body = {
            "name": name,
            "locked": locked,
            "reference": reference,
            "notes": notes,
            "tagIds": _ids(tag_ids),
        }
        answer = self._session.request("POST", "/api/data/", json_body=body).json()
        return self.get_dataset(str(answer["datasetId"]))  # type: ignore[no-any-return]

    def update_dataset(
        self,
        id: Any,
        *,
        name: str,
        reference: str = "",
        notes: str = "",
        tag_ids: Sequence[Any] = (),
        locked: bool = False,
    ) -> DatasetRecord:
        """Change a dataset's name, reference, notes, tags or lock."""
        ident = _ident(id)
        body = {
            "name": name,
            "locked": locked,
            "reference": reference,
            "notes": notes,
            "tagIds": _ids(tag_ids),
        }
        self._session.request("POST", f"/api/data/{ident}", json_body=body)
        return self.get_dataset(ident)  # type: ignore[no-any-return]

    def delete_dataset(self, id: Any) -> None:
        """Delete a dataset."""
        self._session.request("DELETE", f"/api/data/{_ident(id)}")

    def get_dataset_credentials(self, dataset: Any) -> Any:
        """S3 credentials that read and write the dataset's folder (the platform's STS
        answer to ``securitycredentials``), as `brevetti_job` storage credentials."""
        from .._storage import parse_sts_answer  # noqa: PLC0415 - only when uploading

        answer = self._session.request("GET", f"/api/data/{_ident(dataset)}/securitycredentials")
        return parse_sts_answer(answer.body.decode("utf-8", "replace"))

    def storage_endpoint(self) -> str | None:
        """The S3 endpoint of the platform's storage: ``AWS_ENDPOINT_URL`` if set, else the
        dev platform's object store (``/api/devplatform/storage``), else ``None`` (AWS)."""
        if self._env.get("AWS_ENDPOINT_URL"):
            return self._env["AWS_ENDPOINT_URL"]
        endpoint = (self._dev_storage() or {}).get("s3Endpoint")
        return endpoint if isinstance(endpoint, str) and endpoint else None

    def _dev_storage(self) -> dict[str, Any] | None:
        """The dev platform's object store (``s3Endpoint``, ``dataBucket``), or ``None``
        on a platform that has no such call (there, storage is AWS S3)."""
        try:
            data = self._session.get_json("/api/devplatform/storage")
        except PlatformError as exc:
            if exc.status in (404, 501):
                return None
            raise
        return data if isinstance(data, dict) else None

    def upload_dataset_files(
        self, dataset: Any, folder: str | os.PathLike[str], *, workers: int = 8
    ) -> list[str]:
        """Copy every file under `folder` into the dataset's folder (same relative paths),
        with credentials from ``securitycredentials``; the URLs written, sorted."""
        from .._storage import StaticCredentials, Storage  # noqa: PLC0415 - boto3 on use

        record = (
            dataset if isinstance(dataset, DatasetRecord) else self.get_dataset(_ident(dataset))
        )
        if not record.bucket:
            raise PlatformError(f"dataset {record.id} has no storage folder")
        source = Path(folder)
        if not source.is_dir():
            raise PlatformError(f"{source} is not a folder")
        files = sorted(p for p in source.rglob("*") if p.is_file())
        if not files:
            return []
        storage = Storage(
            record.bucket.rstrip("/"),
            credentials=StaticCredentials(self.get_dataset_credentials(record)),
            endpoint_url=self.storage_endpoint(),
        )
        base = record.bucket.rstrip("/")

        def put(path: Path) -> str:
            return storage.upload(path, f"{base}/{path.relative_to(source).as_posix()}")

        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(files)))) as pool:
            return sorted(pool.map(put, files))

    def get_tag(self, id: str | None = None) -> Any:
        """A tag (with its children) by id, or the root tags."""
        if id is not None:
            return from_json(Tag, self._session.get_json(f"/api/resources/tags/{id}"))
        return [from_json(Tag, t) for t in self._session.get_json("/api/resources/tags") or []]

    def create_tag(self, name: str, parent_id: Any = None) -> Tag:
        """Create a tag (under `parent_id`, if given)."""
        body: dict[str, Any] = {"name": name}
        if parent_id is not None:
            body["parentId"] = _ident(parent_id)
        data = self._session.request("POST", "/api/resources/tags/", json_body=body).json()
        return from_json(Tag, data)

    def update_tag(self, id: Any, name: str, parent_id: Any = None) -> Tag:
        """Rename or move a tag."""
        body = {"name": name, "parentId": None if parent_id is None else _ident(parent_id)}
        ident = _ident(id)
        self._session.request("POST", f"/api/resources/tags/{ident}", json_body=body)
        return self.get_tag(ident)  # type: ignore[no-any-return]

    def delete_tag(self, id: Any) -> None:
        """Delete a tag."""
        self._session.request("DELETE", f"/api/resources/tags/{_ident(id)}")

    def get_project(self, id: str | None = None) -> Any:
        """A project by id, or every project."""
        base = f"{self._v1()}/resources/projects"
        if id is not None:
            return from_json(Project, self._session.get_json(f"{base}/{id}"))
        return [from_json(Project, p) for p in self._session.get_json(base) or []]

    def create_project(
        self, name: str, description: str = "", thumbnail: str | None = None
    ) -> Project:
        """Create a project (in the organisation in use) and return it."""
        body = {"name": name, "description": description, "thumbnail": thumbnail}
        data = self._session.request(
            "POST", f"{self._v1()}/resources/projects/", json_body=body
        ).json()
        return from_json(Project, data)

    def update_project(
        self, id: Any, *, name: str, description: str = "", thumbnail: str | None = None
    ) -> Project:
        """Change a project's name, description or thumbnail."""
        body = {"name": name, "description": description, "thumbnail": thumbnail}
        path = f"/api/resources/projects/{_ident(id)}"
        return from_json(Project, self._session.request("POST", path, json_body=body).json())

    def delete_project(self, id: Any) -> None:
        """Delete a project."""
        self._session.request("DELETE", f"/api/resources/projects/{_ident(id)}")

    # -- model and report types -------------------------------------------------------

    def get_modeltype(self, id: str | None = None, master: bool = False) -> Any:
        """A model type by id, or every model type (``master``: the admin listing)."""
        return self._types("modeltypes", id, master)

    def get_reporttype(self, id: str | None = None, master: bool = False) -> Any:
        """A report type by id, or every report type."""
        return self._types("reporttypes", id, master)

    def _types(self, segment: str, ident: str | None, master: bool) -> Any:
        base = f"/api/master/{segment}" if master else f"/api/resources/{segment}"
        if ident is not None:
            return from_json(ModelType, self._session.get_json(f"{base}/{ident}"))
        return [from_json(ModelType, t) for t in self._session.get_json(f"{base}/") or []]

    def update_modeltype(self, model_type: ModelType | Mapping[str, Any]) -> ModelType:
        """Update a model type (master mode: the whole object is sent); its name, status,
        texts, run settings and report types. Returns the type as stored."""
        return self._update_type("modeltypes", model_type)

    def update_reporttype(self, report_type: ModelType | Mapping[str, Any]) -> ModelType:
        """Update a report type (master mode), as `update_modeltype`."""
        return self._update_type("reporttypes", report_type)

    def _update_type(self, segment: str, value: ModelType | Mapping[str, Any]) -> ModelType:
        body = _type_body(value) if isinstance(value, ModelType) else dict(value)
        answer = self._session.request("POST", f"/api/master/{segment}/update", json_body=body)
        return from_json(ModelType, answer.json())

    def delete_modeltype(self, id: Any) -> None:
        """Delete a model type."""
        self._session.request("DELETE", f"/api/resources/modeltypes/{_ident(id)}")

    def delete_reporttype(self, id: Any) -> None:
        """Delete a report type."""
        self._session.request("DELETE", f"/api/resources/reporttypes/{_ident(id)}")

    def get_available_model_types(self) -> list[ModelType]:
        """The model types the user may train."""
        data = self._session.get_json("/api/models/availabletypes")
        return [from_json(ModelType, t) for t in data or []]

    def get_schema(self, type_: Any) -> dict[str, Any]:
        """A model or report type's settings schema document (platform UI JSON)."""
        path = type_.settings_schema_path if isinstance(type_, ModelType) else None
        if not path:
            raise PlatformError(
                f"model type {getattr(type_, 'name', type_)!r} has no settings schema"
            )
        data = (
            self._session.get_json(path)
            if self._session.same_host(self._session.url(path))
            else (self._session.request("GET", path, bearer=False).json())
        )
        if not isinstance(data, dict):
            raise PlatformError("the settings schema is not a JSON object")
        return data

    def get_model_type(self, id: str | None = None, *, name: str | None = None) -> ModelType:
        """A model type with its settings schema loaded (`ModelType.schema`)."""
        return self._typed("modeltypes", id, name)

    def get_report_type(self, id: str | None = None, *, name: str | None = None) -> ModelType:
        """A report type with its settings schema loaded (`ModelType.schema`)."""
        return self._typed("reporttypes", id, name)

    def _typed(self, segment: str, ident: str | None, name: str | None) -> ModelType:
        import attrs  # noqa: PLC0415 - cheap; keeps the record frozen

        from brevetti_schema import load_schema  # noqa: PLC0415 - only when a schema is needed

        if ident is None:
            if name is None:
                raise ValueError("give the type's id or name")
            matches = [t for t in self._types(segment, None, False) if t.name == name]
            if not matches:
                raise PlatformError(f"no {segment[:-1]} named {name!r}", status=404)
            found: ModelType = matches[0]
        else:
            found = self._types(segment, ident, False)
        schema = load_schema(self.get_schema(found)) if found.settings_schema_path else None
        return attrs.evolve(found, schema=schema)

    # -- settings ---------------------------------------------------------------------

    def _type_of(self, segment: str, value: Any) -> ModelType:
        if isinstance(value, ModelType) and value.schema is not None:
            return value
        return self._typed(segment, _ident(value), None)

    @staticmethod
    def _settings_text(schema: Schema | None, settings: Any) -> str:
        """Check settings against the schema (every problem at once) and encode them."""
        from brevetti_schema import encode_settings, resolve_settings  # noqa: PLC0415

        if settings is not None and not isinstance(settings, Mapping):
            raise TypeError("settings must be a mapping (a settings document)")
        raw = dict(settings or {})
        raw.pop("extra", None)
        if schema is None:
            return json.dumps({**raw, "extra": {}})
        resolved = resolve_settings(schema, raw, structure=False)
        encoded = encode_settings(schema, resolved.tree, secrets="keep")
        return json.dumps({**encoded, "extra": {}})

    # -- models ---------------------------------------------------------------------------

    def get_model(self, id: str | None = None, **filters: Any) -> Any:
        """A model by id, or the list of models (filtered by attributes, e.g. name=)."""
        if id is not None:
            return from_json(Model, self._session.get_json(f"/api/models/{id}"))
        data = self._session.get_json("/api/models")
        return _filtered([from_json(Model, m) for m in data or []], filters)

    def create_model(
        self,
        name: str,
        model_type: Any,
        settings: Mapping[str, Any] | None = None,
        datasets: Iterable[Any] = (),
        tags: Iterable[Any] = (),
        *,
        application: Any = None,
        release_metadata: Mapping[str, Any] | None = None,
        base_model: Mapping[str, Any] | None = None,
    ) -> Model:
        """Create a model of a type; the settings are checked first (`SettingsError`)."""
        kind = self._type_of("modeltypes", model_type)
        text = self._settings_text(kind.schema, settings)
        body: dict[str, Any] = {
            "name": name,
            "modelTypeId": kind.id,
            "settings": text,
            "tagIds": _ids(tags),
            "datasetIds": _ids(datasets),
        }
        if application is not None:
            body["applicationId"] = _ident(application)
        if release_metadata is not None:
            body["releaseMetadata"] = dict(release_metadata)
        if base_model is not None:
            body["baseModel"] = dict(base_model)
        data = self._session.request("POST", "/api/models", json_body=body).json()
        return from_json(Model, data)

    def delete_model(self, id: Any) -> None:
        """Delete a model."""
        self._session.request("DELETE", f"/api/models/{_ident(id)}")

    def start_training(
        self, model: Any, submit_to_cloud: bool = False, *, submitToCloud: bool | None = None
    ) -> str:
        """Start a model's training; returns the URL of its job description.

        ``submitToCloud`` is brevettiai's spelling of `submit_to_cloud`."""
        submit_to_cloud = submit_to_cloud if submitToCloud is None else submitToCloud
        answer = self._session.request(
            "POST",
            f"/api/models/{_ident(model)}/start",
            params=[("submitToCloud", "true" if submit_to_cloud else "false")],
        ).json()
        return str(answer)

    def stop_training(self, model: Any) -> Model:
        """Stop a model's training."""
        data = self._session.request("POST", f"/api/models/{_ident(model)}/stop").json()
        return from_json(Model, data)

    def initialize_training(
        self,
        model: Any,
        job_type: Any = None,
        submit_to_cloud: bool = False,
        *,
        submitToCloud: bool | None = None,
        **kwargs: Any,
    ) -> Job | None:
        """Start a training and return our `Job` for it, to run here (``None`` in the cloud).

        `job_type` is a `Job` subclass (default `Job`); `kwargs` go to its ``init``
        (``schema=``, ``job_dir=``, ...); ``submitToCloud`` is brevettiai's spelling.
        """
        submit_to_cloud = submit_to_cloud if submitToCloud is None else submitToCloud
        record = model if isinstance(model, Model) else self.get_model(_ident(model))
        self.start_training(record, submit_to_cloud=submit_to_cloud)
        if submit_to_cloud:
            return None
        return self._job_for(record, job_type, kwargs)

    def _job_for(self, record: Model | TestReport, job_type: Any, kwargs: dict[str, Any]) -> Job:
        from .._job import Job  # noqa: PLC0415 - the runtime, only when a job is made

        if not record.has_api_key:
            record = (
                self.get_model(record.id)
                if isinstance(record, Model)
                else self.get_report(record.id)
            )
        if not record.has_api_key:
            raise PlatformError(f"the platform gave {record.name!r} no job key")
        cls = job_type or Job
        kwargs.setdefault("argv", [])
        if "env" not in kwargs and not self._env.get("BREVETTIAI_DATA_BUCKET"):
            storage = self._dev_storage()  # the dev platform says where its storage is
            if storage and storage.get("dataBucket") and storage.get("s3Endpoint"):
                kwargs["env"] = {
                    **self._env,
                    "BREVETTIAI_DATA_BUCKET": str(storage["dataBucket"]),
                    "AWS_ENDPOINT_URL": self._env.get("AWS_ENDPOINT_URL")
                    or str(storage["s3Endpoint"]),
                }
        result: Job = cls.init(record.id, record.api_key, host=self.host, **kwargs)
        return result

    # -- test reports ---------------------------------------------------------------------

    def get_report(self, id: str | None = None, **filters: Any) -> Any:
        """A test report by id, or the list of reports (filtered by attributes)."""
        if id is not None:
            return from_json(TestReport, self._session.get_json(f"/api/reports/{id}"))
        data = self._session.get_json("/api/reports")
        return _filtered([from_json(TestReport, r) for r in data or []], filters)

    def create_testreport(
        self,
        name: str,
        models: Iterable[Any] | Any,
        datasets: Iterable[Any] = (),
        report_type: Any = None,
        settings: Mapping[str, Any] | None = None,
        tags: Iterable[Any] = (),
        submitCloudJob: bool = False,
        *,
        submitToCloud: bool | None = None,
    ) -> TestReport:
        """Create (and with `submitCloudJob`, start) a test report of models on datasets.

        The settings are checked against the report type's schema first (`SettingsError`).
        ``submitToCloud`` is the other spelling brevettiai versions use.
        """
        submitCloudJob = submitCloudJob if submitToCloud is None else submitToCloud
        if report_type is None:
            raise ValueError("a test report needs a report type")
        kind = self._type_of("reporttypes", report_type)
        text = self._settings_text(kind.schema, settings)
        model_ids = _ids(models)
        body = {
            "name": name,
            "parentId": model_ids[0] if model_ids else None,
            "parentType": "model",
            "reportTypeId": kind.id,
            "settings": text,
            "tagIds": _ids(tags),
            "datasetIds": _ids(datasets),
            "modelIds": model_ids,
            "submitToCloud": submitCloudJob,
        }
        answer = self._session.request("POST", "/api/reports", json_body=body).json()
        return self.get_report(str(answer["id"]))  # type: ignore[no-any-return]

    def create_test_report(
        self,
        model: Any,
        datasets: Iterable[Any],
        report_type: Any,
        settings: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        tags: Iterable[Any] = (),
    ) -> TestReport:
        """Create a test report of one model (see `create_testreport`); not started."""
        model_ids = _ids(model)
        return self.create_testreport(
            name or f"report of {model_ids[0]}", model_ids, datasets, report_type, settings, tags
        )

    def start_report(
        self,
        model: Any,
        datasets: Iterable[Any],
        report_type: Any,
        settings: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        tags: Iterable[Any] = (),
    ) -> TestReport:
        """Create a test report and start it on the platform (``submitToCloud``)."""
        model_ids = _ids(model)
        return self.create_testreport(
            name or f"report of {model_ids[0]}", model_ids, datasets, report_type, settings, tags,
            submitCloudJob=True,
        )  # fmt: skip

    def initialize_report(self, report: Any, job_type: Any = None, **kwargs: Any) -> Job:
        """Our `Job` for a test report, to run here."""
        record = report if isinstance(report, TestReport) else self.get_report(_ident(report))
        kwargs.setdefault("kind", "report")
        return self._job_for(record, job_type, kwargs)

    def delete_report(self, id: Any) -> None:
        """Delete a test report."""
        self._session.request("DELETE", f"/api/reports/{_ident(id)}")

    # -- artifacts --------------------------------------------------------------------------

    def get_artifacts(
        self, obj: Any, prefix: str = "", recursive: bool = False, type: str | None = None
    ) -> list[Artifact]:
        """The artifacts of a model or report under `prefix` (all levels with `recursive`)."""
        segment, ident = _artifact_owner(obj, type)
        found: list[Artifact] = []
        pending = [prefix]
        with ThreadPoolExecutor(max_workers=_LISTING_WORKERS) as pool:
            while pending:  # one level at a time, its folders listed side by side
                folders: list[str] = []
                listed = pool.map(lambda at: self._artifact_level(segment, ident, at), pending)
                for entries in listed:
                    for artifact, folder in entries:
                        if folder and recursive:
                            folders.append(artifact.path + "/")
                        else:
                            found.append(artifact)
                pending = folders
        return found

    def _artifact_level(self, segment: str, ident: str, at: str) -> list[tuple[Artifact, bool]]:
        """One level of a job's artifacts: each entry and whether it is a folder."""
        data = self._session.get_json(f"/api/{segment}/{ident}/artifacts", params=[("prefix", at)])
        return [(_with_path(from_json(Artifact, e), at), is_folder(e)) for e in data or []]

    def download_url(
        self, url: str, dst: str | os.PathLike[str] | None = None, *, sha256: str | None = None
    ) -> Any:
        """Fetch a URL: ``/api/...`` from the platform with the session, others without it.

        With `dst` the bytes stream to that file (written whole or not at all) and its
        path is returned; else the bytes are. A given `sha256` is checked.
        """
        bearer = url.startswith("/api/") or self._session.same_host(self._session.url(url))
        answer = self._session.request("GET", url, bearer=bearer, stream=dst is not None)
        expected = sha256 or answer.headers.get("x-content-sha256")
        if dst is None:
            if expected and hashlib.sha256(answer.body).hexdigest() != expected:
                raise PlatformError(f"the download of {urlsplit(url).path} failed its checksum")
            return answer.body
        assert answer.response is not None
        target = Path(dst)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        digest = hashlib.sha256()
        length = answer.headers.get("content-length", "")
        try:
            with os.fdopen(fd, "wb") as handle, answer.response as response:
                if length.isdigit() and int(length) <= _CHUNK:  # small: one read, one write
                    body = response.content
                    digest.update(body)
                    handle.write(body)
                else:
                    for block in response.iter_content(_CHUNK):
                        digest.update(block)
                        handle.write(block)
            if expected and digest.hexdigest() != expected:
                raise PlatformError(
                    f"the download of {target.name} failed its checksum (sha256 differs)"
                )
            Path(temp).replace(target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return target

    def download_artifacts(
        self,
        obj: Any,
        dest: str | os.PathLike[str],
        prefix: str = "",
        *,
        type: str | None = None,
        workers: int = 16,
    ) -> list[Path]:
        """Download every artifact (under `prefix`) into `dest`, each checksum verified.

        Files are fetched as soon as their level is listed, while deeper levels are still
        being listed; the paths come back in listing order (level by level)."""
        folder = Path(dest)
        segment, ident = _artifact_owner(obj, type)

        def target_of(artifact: Artifact) -> Path:
            relative = PurePosixPath(artifact.path)
            if relative.is_absolute() or ".." in relative.parts:
                raise PlatformError(f"artifact name {artifact.path!r} leads out of {folder}")
            return folder.joinpath(*relative.parts)

        def fetch(artifact: Artifact, target: Path) -> Path:
            assert artifact.link is not None
            result: Path = self.download_url(artifact.link, target, sha256=artifact.sha256)
            return result

        fetches: list[Future[Path]] = []
        with (
            ThreadPoolExecutor(max_workers=_LISTING_WORKERS) as lister,
            ThreadPoolExecutor(max_workers=max(1, workers)) as fetcher,
        ):
            try:
                pending = [lister.submit(self._artifact_level, segment, ident, prefix)]
                while pending:
                    deeper: list[Future[list[tuple[Artifact, bool]]]] = []
                    for listing in pending:
                        for artifact, is_folder_entry in listing.result():
                            if is_folder_entry:
                                at = artifact.path + "/"
                                deeper.append(
                                    lister.submit(self._artifact_level, segment, ident, at)
                                )
                            elif artifact.link:
                                target = target_of(artifact)
                                fetches.append(fetcher.submit(fetch, artifact, target))
                    pending = deeper
                return [done.result() for done in fetches]
            except BaseException:
                for waiting in fetches:
                    waiting.cancel()
                raise


def _type_body(kind: ModelType) -> dict[str, Any]:
    """The whole object of a type as the platform takes it: what was read, with the typed
    fields (perhaps changed with ``attrs.evolve``) over it."""
    body = dict(kind.raw)
    body.update(
        id=kind.id, name=kind.name, status=kind.status, version=kind.version,
        shortDescription=kind.short_description, longDescription=kind.long_description,
        settingsSchemaName=kind.settings_schema_name,
        settingsSchemaPath=kind.settings_schema_path, dockerImage=kind.docker_image,
    )  # fmt: skip
    if "modelTypeIds" in body or kind.model_type_ids:
        body["modelTypeIds"] = list(kind.model_type_ids)
    if "reportTypeIds" in body or kind.report_type_ids:
        body["reportTypeIds"] = list(kind.report_type_ids)
    return body


def _artifact_owner(obj: Any, type: str | None) -> tuple[str, str]:
    """The path segment (``models`` or ``reports``) and id of a model or report."""
    segment = type or ("reports" if isinstance(obj, TestReport) else "models")
    if segment not in ("models", "reports"):
        raise ValueError("type must be 'models' or 'reports'")
    return segment, _ident(obj)


def _with_path(artifact: Artifact, prefix: str) -> Artifact:
    import attrs  # noqa: PLC0415 - cheap

    return attrs.evolve(artifact, path=f"{prefix}{artifact.name}")
