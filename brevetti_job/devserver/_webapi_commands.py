"""``brevetti-job platform user add`` and ``platform model-type add``: the web API's admin.

They write into the store folder (``--root``) directly (``platform create``, by contrast,
is an HTTP client of the running server); a running server sees the new records at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_admin_commands"]


def _user_add(args: argparse.Namespace) -> int:
    from ._users import UserError, add_user  # noqa: PLC0415 - only for this command
    from ._webapi_store import WebApiStore  # noqa: PLC0415

    if not args.password_stdin:
        print("brevetti-job: error: give the password on stdin (--password-stdin)", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\r\n")
    store = WebApiStore(args.root)
    try:
        add_user(store, args.name, password, tuple(args.organization or ()))
    except UserError as exc:
        print(f"brevetti-job: error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"added user {args.name} to {args.root}", file=sys.stderr)
    return 0


def _schema_ui(source: str) -> dict[str, Any]:
    """The platform UI JSON of a schema file (our YAML/JSON format or platform UI JSON)."""
    from brevetti_schema import emit_platform_ui, load_schema  # noqa: PLC0415

    path = Path(source)
    if path.suffix == ".json" and path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("fields"), list):
            return emit_platform_ui(load_schema(data))
    return emit_platform_ui(load_schema(source))


def _type_add(args: argparse.Namespace) -> int:
    from ._webapi import add_type  # noqa: PLC0415 - only for this command
    from ._webapi_store import WebApiStore  # noqa: PLC0415

    schema_ui = _schema_ui(args.schema)
    store = WebApiStore(args.root)
    try:
        record = add_type(
            store, args.name, schema_ui, kind="report" if args.report else "model",
            description=args.description or "", docker_image=args.docker_image,
        )  # fmt: skip
    finally:
        store.close()
    print(record["id"])
    kind = "report type" if args.report else "model type"
    print(f"added {kind} {args.name} ({record['id']}) to {args.root}", file=sys.stderr)
    return 0


def add_admin_commands(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], default_root: str
) -> None:
    """Add ``user add`` and ``model-type add`` to ``brevetti-job platform``."""
    user = actions.add_parser("user", help="manage the web API's users")
    user_actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_actions.add_parser("add", help="add a user (password read from stdin)")
    add.add_argument("name", metavar="NAME", help="user name (e.g. an e-mail address)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--organization", action="append", metavar="ORG", help="also a member of ORG")
    add.add_argument(
        "--root", default=default_root, help=f"store folder (default ./{default_root})"
    )
    add.set_defaults(handler=_user_add)

    kind = actions.add_parser("model-type", help="manage model and report types")
    kind_actions = kind.add_subparsers(dest="type_command", required=True, metavar="ACTION")
    add = kind_actions.add_parser("add", help="add a model (or report) type with its schema")
    add.add_argument("name", metavar="NAME", help="the type's name")
    add.add_argument("--schema", required=True, help="schema file or package.module:attr")
    add.add_argument("--report", action="store_true", help="a report type, not a model type")
    add.add_argument("--description", help="short description")
    add.add_argument("--docker-image", help="the job's docker image")
    add.add_argument(
        "--root", default=default_root, help=f"store folder (default ./{default_root})"
    )
    add.set_defaults(handler=_type_add)
