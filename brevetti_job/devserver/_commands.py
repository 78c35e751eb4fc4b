"""`brevetti-job serve` and `brevetti-job platform create`: the dev platform's CLI.

Werkzeug loads only when ``serve`` runs, so the rest of the CLI works without it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
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
    from ._root_lock import RootLocked  # noqa: PLC0415

    try:
        serve(
            args.root, host=args.host, port=args.port, admin_token=args.admin_token,
            max_artifact_bytes=args.max_artifact_bytes, faults=faults,
            max_threads=args.max_threads, connection_timeout=args.connection_timeout,
        )  # fmt: skip
    except RootLocked as exc:
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


def _create(args: argparse.Namespace) -> int:
    from brevetti_schema import load_schema  # noqa: PLC0415

    from ._creation import job_settings  # noqa: PLC0415
    from ._store import Store, read_server_url  # noqa: PLC0415

    schema = load_schema(args.schema)
    schema_ui, settings = job_settings(schema, _read_settings(args.settings), args.preset)
    store = Store(args.root)
    created = store.create_job(
        kind=args.kind, name=args.name, settings=settings, schema_ui=schema_ui
    )
    host = read_server_url(args.root)
    if args.json:
        print(json.dumps({**created.to_json(), "host": host}))
    else:
        print(f"export BREVETTI_HOST={shlex.quote(host)}")
        print(f"export BREVETTI_JOB_ID={shlex.quote(created.id)}")
        print(f"export BREVETTI_API_KEY={shlex.quote(created.api_key)}")
        if created.kind == "report":
            print('# a test report: start the job with --test_id "$BREVETTI_JOB_ID"')
    print(
        f"created {created.kind} job {created.id} ({created.name}) in {args.root}; "
        "the API key is shown only this once, the store keeps its hash",
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
        "create", help="create a job in the store; prints its id and API key (once)"
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
        "--json", action="store_true", help="print id, api_key, kind, name, host as JSON"
    )
    create.set_defaults(handler=_create)
    from .._api._cli import add_client_commands  # noqa: PLC0415 - web API client commands
    from ._webapi_commands import add_admin_commands  # noqa: PLC0415 - web API admin commands

    add_admin_commands(actions, DEFAULT_ROOT)
    add_client_commands(actions, DEFAULT_ROOT)
