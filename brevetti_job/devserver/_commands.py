"""`brevetti-job serve` and `brevetti-job platform create`: the dev platform's CLI.

Werkzeug loads only when ``serve`` runs, so the rest of the CLI works without it.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any, Final

__all__ = ["DEFAULT_ROOT", "add_commands"]

DEFAULT_ROOT: Final = "platform-data"
"""The store folder when ``--root`` is not given (relative to the working folder)."""

_MISSING_SERVER = "the dev platform needs werkzeug: pip install 'brevetti-toolkit[server]'"


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the size must not be negative")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _bucket(text: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", text):
        raise argparse.ArgumentTypeError(
            f"not an S3 bucket name: {text!r} (3-63 of a-z, 0-9, '.', '-')"
        )
    return text


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _serve(args: argparse.Namespace) -> int:
    from ._faults import parse_fault_config  # noqa: PLC0415 - no werkzeug needed

    try:
        faults = parse_fault_config(
            {
                "rate": args.fail_rate,
                "modes": args.fail_modes,
                "delay": args.fail_delay,
                "seed": args.fail_seed,
            }
        )
    except ValueError as exc:
        print(f"brevetti-job: error: fault injection: {exc}", file=sys.stderr)
        return 2
    try:
        from ._serve import serve  # noqa: PLC0415 - werkzeug loads only to serve
    except ImportError as exc:
        if exc.name != "werkzeug":
            raise
        print(f"brevetti-job: error: {_MISSING_SERVER}", file=sys.stderr)
        return 1
    from ._objectstore import ObjectStore, ObjectStoreError  # noqa: PLC0415
    from ._root_lock import RootLocked  # noqa: PLC0415

    try:
        object_store = None
        if args.s3_endpoint is not None:
            object_store = ObjectStore.from_environment(args.s3_endpoint)
        serve(
            args.root, host=args.host, port=args.port, admin_token=args.admin_token,
            max_artifact_bytes=args.max_artifact_bytes, faults=faults,
            max_threads=args.max_threads, connection_timeout=args.connection_timeout,
            object_store=object_store, data_bucket=args.data_bucket,
            credential_ttl=args.credential_ttl,
        )  # fmt: skip
    except (RootLocked, ObjectStoreError) as exc:
        print(f"brevetti-job: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the port is taken, the root is not writable, ...
        print(f"brevetti-job: error: cannot start the dev platform: {exc}", file=sys.stderr)
        return 1
    return 0


def _read_settings(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    from brevetti_schema import load_settings_file  # noqa: PLC0415 - YAML only when given

    return load_settings_file(path)


def _dataset_spec(text: str) -> tuple[str, str]:
    name, sep, folder = text.partition("=")
    if not sep or not name.strip() or not folder:
        raise argparse.ArgumentTypeError(f"expected NAME=FOLDER, got {text!r}")
    return name.strip(), folder


class _AdminCall(Exception):
    """An admin API call failed; the message says how (no token in it)."""


class _Admin:
    """The running server's admin API (address from server.json, token from the root)."""

    def __init__(self, root: Path) -> None:
        import requests  # noqa: PLC0415 - only for this command

        from ._store import read_server_url  # noqa: PLC0415

        self.url = read_server_url(root)
        token = (root / "admin-token").read_text(encoding="utf-8").strip()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **options: Any) -> Any:
        import requests  # noqa: PLC0415

        try:
            answer = self.session.request(method, self.url + path, timeout=120, **options)
        except requests.RequestException as exc:
            raise _AdminCall(f"cannot reach the dev server at {self.url}: {exc}") from None
        if answer.status_code >= 300:
            try:
                message = answer.json().get("error", answer.text)
            except ValueError:
                message = answer.text
            raise _AdminCall(f"the dev server refused {method} {path}: {message}")
        return answer.json()


def _server_running(root: Path) -> bool:
    from ._root_lock import RootLock, RootLocked  # noqa: PLC0415

    probe = RootLock(root)
    if not root.is_dir():
        return False
    try:
        probe.acquire()
    except RootLocked:
        return True
    probe.release()
    return False


def _upload_dataset(admin: _Admin, name: str, folder: Path) -> dict[str, Any]:
    from urllib.parse import quote  # noqa: PLC0415

    record: dict[str, Any] = admin.call("POST", "/api/admin/datasets", json={"name": name})
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            relative = quote(path.relative_to(folder).as_posix())
            with path.open("rb") as handle:
                admin.call(
                    "PUT", f"/api/admin/datasets/{record['id']}/files/{relative}", data=handle
                )
    return record


def _create(args: argparse.Namespace) -> int:
    from brevetti_schema import load_schema  # noqa: PLC0415

    from ._creation import job_settings  # noqa: PLC0415

    root = Path(args.root)
    folders = [(name, Path(folder)) for name, folder in args.dataset or ()]
    for name, folder in folders:
        if not folder.is_dir():
            print(
                f"brevetti-job: error: --dataset {name}: {folder} is not a folder", file=sys.stderr
            )
            return 1
    schema = load_schema(args.schema)
    schema_ui, settings = job_settings(schema, _read_settings(args.settings), args.preset)
    if not _server_running(root):
        print(
            f"brevetti-job: error: no dev server is running on {root}; start one first "
            f"(`brevetti-job serve --root {shlex.quote(str(root))}`): the job's storage "
            "folder and its datasets live in its object store",
            file=sys.stderr,
        )
        return 1
    try:
        admin = _Admin(root)
        datasets = [_upload_dataset(admin, name, folder) for name, folder in folders]
        created = admin.call(
            "POST", "/api/admin/jobs",
            json={"schema": schema_ui, "settings": settings, "kind": args.kind,
                  "name": args.name, "datasets": [d["id"] for d in datasets]},
        )  # fmt: skip
    except _AdminCall as exc:
        print(f"brevetti-job: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        keys = ("id", "api_key", "kind", "name", "host", "s3_endpoint", "data_bucket", "datasets")
        print(json.dumps({key: created.get(key) for key in keys}))
    else:
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
        for dataset in created.get("datasets", []):
            print(f"# dataset {shlex.quote(dataset['name'])}: {dataset['id']}")
        if created["kind"] == "report":
            print('# a test report: start the job with --test_id "$BREVETTI_JOB_ID"')
    print(
        f"created {created['kind']} job {created['id']} ({created['name']}) on {admin.url}"
        f"{f' with {len(datasets)} dataset(s)' if datasets else ''}; the API key is shown "
        "only this once, the store keeps its hash",
        file=sys.stderr,
    )
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``serve`` and ``platform create`` to the `brevetti-job` parser."""
    serve = sub.add_parser("serve", help="run the dev platform server")
    serve.add_argument(
        "--root", default=DEFAULT_ROOT, help=f"store folder (default ./{DEFAULT_ROOT})"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8750, help="port (default 8750; 0 picks one)")
    serve.add_argument("--admin-token", help="admin token (default: saved one, or a new one)")
    serve.add_argument(
        "--max-artifact-bytes", type=_size, default=4 * 1024**3, metavar="N",
        help="largest artifact accepted (default 4 GiB)",
    )  # fmt: skip
    serve.add_argument(
        "--max-threads", type=_positive_int, default=64, metavar="N",
        help="handler threads at most; more connections wait (default 64)",
    )  # fmt: skip
    serve.add_argument(
        "--connection-timeout", type=_positive_float, default=30.0, metavar="S",
        help="close a connection idle or stalled for S seconds (default 30)",
    )  # fmt: skip
    storage = serve.add_argument_group("object store")
    storage.add_argument(
        "--s3-endpoint", metavar="URL",
        help="use this S3 endpoint (keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) instead "
        "of starting a SeaweedFS gateway under --root",
    )  # fmt: skip
    storage.add_argument(
        "--data-bucket", default="brevetti-data", type=_bucket, metavar="NAME",
        help="the bucket of job folders and datasets (default brevetti-data)",
    )  # fmt: skip
    storage.add_argument(
        "--credential-ttl", type=_positive_float, default=3600.0, metavar="S",
        help="seconds the job-scoped credentials live (default 3600)",
    )  # fmt: skip
    faults = serve.add_argument_group("fault injection (for tests)")
    faults.add_argument(
        "--fail-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="share of job requests that fail (0-1)",
    )
    faults.add_argument(
        "--fail-modes", default="503,drop,slow,applied-then-503", metavar="MODES",
        help="comma-separated: 503, drop, slow, applied-then-503",
    )  # fmt: skip
    faults.add_argument(
        "--fail-delay", type=float, default=1.0, metavar="S", help="delay of 'slow' in seconds"
    )
    faults.add_argument(
        "--fail-seed", type=int, default=0, metavar="N", help="seed of the fault RNG"
    )
    serve.set_defaults(handler=_serve)

    platform = sub.add_parser("platform", help="manage the dev platform's store")
    actions = platform.add_subparsers(dest="platform_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        help="create a job on the running dev server; prints its id and API key (once)",
    )
    create.add_argument("--schema", required=True, help="schema file or package.module:attr")
    create.add_argument("--settings", help="settings YAML/JSON file")
    create.add_argument("--preset", help="named preset to apply")
    create.add_argument("--kind", choices=("model", "report"), default="model", help="job kind")
    create.add_argument("--name", help="job name (default: its id)")
    create.add_argument(
        "--root", default=DEFAULT_ROOT, help=f"store folder (default ./{DEFAULT_ROOT})"
    )
    create.add_argument(
        "--dataset", action="append", type=_dataset_spec, metavar="NAME=FOLDER",
        help="upload a local folder as a dataset and give it to the job (repeatable)",
    )  # fmt: skip
    create.add_argument(
        "--json", action="store_true",
        help="print id, api_key, kind, name, host, s3_endpoint, data_bucket, datasets as JSON",
    )  # fmt: skip
    create.set_defaults(handler=_create)
    from .._api._cli import add_client_commands  # noqa: PLC0415 - web API client commands
    from ._webapi_commands import add_admin_commands  # noqa: PLC0415 - web API admin commands

    add_admin_commands(actions, DEFAULT_ROOT)
    add_client_commands(actions, DEFAULT_ROOT)
