"""``brevetti-job platform create``: make a job on a running platform, over its HTTP API.

Two ways in, both by host (``--host``, else ``BREVETTIAI_HOST_NAME``, else the address
the dev platform on ``--root`` recorded):

* a user's login (the token saved by ``platform login``, or ``BREVETTI_AI_USER`` and
  ``BREVETTI_AI_PW``): the web API, as a user would. The model (or report) type is the
  one whose settings schema is the schema given (or ``--type``); ``--dataset`` creates a
  dataset and uploads the folder with the dataset's ``securitycredentials``; the job
  is the model (report) made, its key the model's ``apiKey``.
* an admin token (``--admin-token``, ``BREVETTI_ADMIN_TOKEN``, or the dev platform's
  ``<root>/admin-token`` when no login is at hand): the dev platform's admin API
  (``POST /api/admin/jobs``), which takes the schema itself.

Either way it prints the job's identity as ``export`` lines (or ``--json``) and never
writes into the platform's folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

__all__ = ["create_command"]


class _Refused(Exception):
    """The platform refused a call; the message says how (no token in it)."""


def _fail(message: str) -> int:
    print(f"brevetti-job: error: {message}", file=sys.stderr)
    return 1


def _host(args: argparse.Namespace) -> str:
    from ._cli import _host as client_host  # noqa: PLC0415

    return client_host(args)


def _admin_token(args: argparse.Namespace) -> str | None:
    """``--admin-token-file``, ``--admin-token`` (with a warning: it shows in ``ps``) or
    ``BREVETTI_ADMIN_TOKEN``."""
    from ..devserver._auth import ON_COMMAND_LINE, admin_token_given  # noqa: PLC0415

    if args.admin_token is not None:
        print(ON_COMMAND_LINE, file=sys.stderr)
    return admin_token_given(args.admin_token, args.admin_token_file, os.environ)


def _root_admin_token(args: argparse.Namespace) -> str | None:
    """The admin token a dev platform keeps in its root, if that root has one."""
    path = Path(args.root) / "admin-token"
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _login(args: argparse.Namespace, host: str) -> Any:
    """A logged-in `PlatformAPI`, or ``None`` when no login is at hand."""
    from . import PlatformAPI  # noqa: PLC0415 - loads requests

    api = PlatformAPI(
        args.user, host=host, token_dir=args.token_dir, organization=args.organization
    )
    return api if api.logged_in else None


def create_command(args: argparse.Namespace) -> int:
    """Run ``platform create`` (see the module docstring)."""
    from brevetti_schema import load_schema, load_settings_file  # noqa: PLC0415

    from .._errors import PlatformAuthError, PlatformError  # noqa: PLC0415
    from ..devserver._creation import job_settings  # noqa: PLC0415

    folders = [(name, Path(folder)) for name, folder in args.dataset or ()]
    for name, folder in folders:
        if not folder.is_dir():
            return _fail(f"--dataset {name}: {folder} is not a folder")
    schema = load_schema(args.schema)
    given = load_settings_file(args.settings) if args.settings else None
    schema_ui, settings = job_settings(schema, given, args.preset)
    host = _host(args)
    from ..devserver._auth import AdminTokenError  # noqa: PLC0415

    try:
        admin = _admin_token(args)
    except AdminTokenError as exc:
        return _fail(str(exc))
    try:
        api = None if admin else _login(args, host)
        if api is None:
            admin = admin or _root_admin_token(args)
        if api is not None:
            created = _by_web_api(api, args, schema_ui, settings, folders)
        elif admin is not None:
            created = _by_admin_api(host, admin, args, schema_ui, settings, folders)
        else:
            return _fail(
                f"no login for {host}: run `brevetti-job platform login` (or set "
                "BREVETTI_AI_USER and BREVETTI_AI_PW), or give the dev platform's admin token "
                "(BREVETTI_ADMIN_TOKEN or --admin-token-file)"
            )
    except _Refused as exc:
        return _fail(str(exc))
    except PlatformAuthError as exc:
        return _fail(f"{exc} (log in again: brevetti-job platform login)")
    except PlatformError as exc:
        return _fail(str(exc))
    _print(created, args.json)
    datasets = created.get("datasets") or []
    print(
        f"created {created['kind']} job {created['id']} ({created['name']}) on "
        f"{created['host']}{f' with {len(datasets)} dataset(s)' if datasets else ''}; the "
        "API key is shown only this once, the store keeps its hash",
        file=sys.stderr,
    )
    return 0


def _print(created: dict[str, Any], as_json: bool) -> None:
    if as_json:
        keys = ("id", "api_key", "kind", "name", "host", "s3_endpoint", "data_bucket", "datasets")
        print(json.dumps({key: created.get(key) for key in keys}))
        return
    exports = {
        "BREVETTI_HOST": created["host"],
        "BREVETTI_JOB_ID": created["id"],
        "BREVETTI_API_KEY": created["api_key"],
        "BREVETTIAI_DATA_BUCKET": created.get("data_bucket"),
        "AWS_ENDPOINT_URL": created.get("s3_endpoint"),
    }
    for name, value in exports.items():
        if value is not None:
            print(f"export {name}={shlex.quote(str(value))}")
    for dataset in created.get("datasets") or []:
        print(f"# dataset {shlex.quote(dataset['name'])}: {dataset['id']}")
    if created["kind"] == "report":
        print('# a test report: start the job with --test_id "$BREVETTI_JOB_ID"')


# -- as a user: the web API ---------------------------------------------------------------


def _find_type(api: Any, kind: str, wanted: str | None, schema_ui: Any) -> Any:
    """The model (report) type named by `wanted` (id or name), else the one whose settings
    schema is `schema_ui`."""
    from ._platform_api import _UUID  # noqa: PLC0415

    segment = "modeltypes" if kind == "model" else "reporttypes"
    types = api.get_modeltype() if kind == "model" else api.get_reporttype()
    if wanted is not None:
        for found in types:
            if wanted == found.id or (not _UUID.fullmatch(wanted) and wanted == found.name):
                return found
        raise _Refused(f"no {kind} type {wanted!r} on {api.host}")
    for found in types:
        if found.settings_schema_path and api.get_schema(found) == schema_ui:
            return found
    flag = " --report" if kind == "report" else ""
    known = ", ".join(repr(t.name) for t in types) or "none"
    raise _Refused(
        f"no {kind} type on {api.host} has this settings schema; an admin adds one with "
        f"`brevetti-job platform model-type add NAME --schema SRC{flag}` (or name one with "
        f"--type); {segment} there: {known}"
    )


def _by_web_api(
    api: Any,
    args: argparse.Namespace,
    schema_ui: Any,
    settings: dict[str, Any],
    folders: list[tuple[str, Path]],
) -> dict[str, Any]:
    kind = _find_type(api, args.kind, args.type, schema_ui)
    datasets = []
    for name, folder in folders:
        dataset = api.create_dataset(name)
        api.upload_dataset_files(dataset, folder)
        datasets.append(dataset)
    name = args.name or kind.name
    if args.kind == "model":
        record = api.create_model(name, kind, settings, datasets=datasets)
    else:
        record = api.create_testreport(
            name, list(args.model or ()), datasets, report_type=kind, settings=settings
        )
    if not record.has_api_key:
        raise _Refused(f"the platform gave {args.kind} {record.id} no job key")
    storage = api._dev_storage() or {}
    return {
        "id": record.id,
        "api_key": record.api_key,
        "kind": args.kind,
        "name": record.name,
        "host": api.host,
        "s3_endpoint": storage.get("s3Endpoint"),
        "data_bucket": storage.get("dataBucket"),
        "datasets": [{"id": d.id, "name": d.name} for d in datasets],
    }


# -- as the admin: the dev platform's admin API ---------------------------------------------


class _Admin:
    """Calls to the dev platform's admin API with its admin token."""

    def __init__(self, host: str, token: str) -> None:
        import requests  # noqa: PLC0415 - only for this command

        self.url = host.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **options: Any) -> Any:
        import requests  # noqa: PLC0415

        try:
            answer = self.session.request(method, self.url + path, timeout=120, **options)
        except requests.RequestException as exc:
            raise _Refused(f"cannot reach the dev platform at {self.url}: {exc}") from None
        if answer.status_code >= 300:
            try:
                message = answer.json().get("error", answer.text)
            except ValueError:
                message = answer.text
            raise _Refused(f"the dev platform refused {method} {path}: {message}")
        return answer.json()


def _by_admin_api(
    host: str,
    token: str,
    args: argparse.Namespace,
    schema_ui: Any,
    settings: dict[str, Any],
    folders: list[tuple[str, Path]],
) -> dict[str, Any]:
    from urllib.parse import quote  # noqa: PLC0415

    admin = _Admin(host, token)
    datasets = []
    for name, folder in folders:
        record = admin.call("POST", "/api/admin/datasets", json={"name": name})
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                relative = quote(path.relative_to(folder).as_posix())
                with path.open("rb") as handle:
                    admin.call(
                        "PUT", f"/api/admin/datasets/{record['id']}/files/{relative}", data=handle
                    )
        datasets.append(record)
    created: dict[str, Any] = admin.call(
        "POST", "/api/admin/jobs",
        json={"schema": schema_ui, "settings": settings, "kind": args.kind, "name": args.name,
              "datasets": [d["id"] for d in datasets], "models": list(args.model or ())},
    )  # fmt: skip
    created.setdefault("host", admin.url)
    return created
