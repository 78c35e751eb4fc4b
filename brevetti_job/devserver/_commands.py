"""`brevetti-job serve` and `brevetti-job platform create`: the dev platform's CLI.

``platform create`` is a client of a running platform's HTTP API (`_api._create_cli`).

Werkzeug loads only when ``serve`` runs, so the rest of the CLI works without it.
"""

from __future__ import annotations

import argparse
import os
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
    from ._auth import ON_COMMAND_LINE, AdminTokenError, admin_token_given  # noqa: PLC0415
    from ._objectstore import ObjectStore, ObjectStoreError  # noqa: PLC0415
    from ._root_lock import RootLocked  # noqa: PLC0415

    if args.admin_token is not None:
        print(ON_COMMAND_LINE, file=sys.stderr)
    try:
        admin_token = admin_token_given(args.admin_token, args.admin_token_file, os.environ)
    except AdminTokenError as exc:
        print(f"brevetti-job: error: {exc}", file=sys.stderr)
        return 1
    try:
        object_store = None
        if args.s3_endpoint is not None:
            object_store = ObjectStore.from_environment(args.s3_endpoint)
        serve(
            args.root, host=args.host, port=args.port, admin_token=admin_token,
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


def _create(args: argparse.Namespace) -> int:
    import os  # noqa: PLC0415

    root = Path(args.root)
    by_root = not args.host and not os.environ.get("BREVETTIAI_HOST_NAME")
    if by_root and not _server_running(root):
        print(
            f"brevetti-job: error: no dev server is running on {root}; start one first "
            f"(`brevetti-job serve --root {shlex.quote(str(root))}`), or name a running "
            "platform with --host URL",
            file=sys.stderr,
        )
        return 1
    from .._api._create_cli import create_command  # noqa: PLC0415 - an HTTP client

    return create_command(args)


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
    _admin_token_options(
        serve, "read the admin token from this file (default: BREVETTI_ADMIN_TOKEN, else the "
        "saved one, else a new one)",
    )  # fmt: skip
    serve.add_argument(
        "--max-artifact-bytes", type=_size, default=4 * 1024**3, metavar="N",
        help="largest dataset file the admin upload accepts (default 4 GiB)",
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
    create.add_argument("--name", help="job name (default: the type's name, or the job's id)")
    create.add_argument(
        "--host", help="platform URL (default: BREVETTIAI_HOST_NAME, or the dev platform on --root)"
    )
    create.add_argument(
        "--root", default=DEFAULT_ROOT,
        help=f"a dev platform's store, to find its address (default ./{DEFAULT_ROOT})",
    )  # fmt: skip
    login = create.add_argument_group("as a user (the web API; default: the saved login)")
    login.add_argument("--user", help="user name (default: the saved login)")
    login.add_argument("--organization", help="organization name or id")
    login.add_argument("--token-dir", help="where tokens are kept (default ~/.brevetti)")
    login.add_argument(
        "--type", metavar="TYPE",
        help="model (report) type id or name (default: the type whose schema is --schema)",
    )  # fmt: skip
    create.add_argument(
        "--model", action="append", metavar="ID", help="a test report's model under test"
    )
    _admin_token_options(
        create, "use the dev platform's admin API with the token in this file (default "
        "BREVETTI_ADMIN_TOKEN; without a login, the one saved in --root)",
    )  # fmt: skip
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


def _admin_token_options(parser: argparse.ArgumentParser, file_help: str) -> None:
    """``--admin-token-file`` (what `file_help` says) or ``--admin-token`` (shows in ps)."""
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--admin-token-file", metavar="PATH", help=file_help)
    given.add_argument(
        "--admin-token", metavar="T",
        help="the admin token itself (shows in ps: prefer BREVETTI_ADMIN_TOKEN or "
        "--admin-token-file)",
    )  # fmt: skip
