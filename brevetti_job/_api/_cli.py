"""``brevetti-job platform login|models|datasets|model-types|create-model|artifacts``.

Clients of a platform's web API (by default the local dev platform). The token is kept
under ``~/.brevetti`` (``--token-dir``); it is never printed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["add_client_commands"]


def _host(args: argparse.Namespace) -> str:
    if args.host:
        return str(args.host)
    if os.environ.get("BREVETTIAI_HOST_NAME"):
        return os.environ["BREVETTIAI_HOST_NAME"]
    from ..devserver._store import read_server_url  # noqa: PLC0415 - the local dev platform

    return read_server_url(args.root)


def _api(args: argparse.Namespace) -> Any:
    from . import PlatformAPI  # noqa: PLC0415 - loads requests

    return PlatformAPI(
        args.user, host=_host(args), token_dir=args.token_dir, organization=args.organization
    )


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    cells = [list(map(str, header)), *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _login(args: argparse.Namespace) -> int:
    from . import PlatformAPI  # noqa: PLC0415

    user = args.user or os.environ.get("BREVETTI_AI_USER") or input("user: ")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get("BREVETTI_AI_PW") or getpass.getpass("password: ")
    api = PlatformAPI(
        user, password, host=_host(args), token_dir=args.token_dir, organization=args.organization
    )
    print(f"logged in as {api.username} at {api.host}; the token is kept in {api.tokens.folder}")
    return 0


def _models(args: argparse.Namespace) -> int:
    models = _api(args).get_model()
    if args.json:
        print(json.dumps([{k: v for k, v in m.raw.items() if k != "apiKey"} for m in models]))
        return 0
    rows = [(m.id, m.name, m.raw.get("jobStatus") or "", m.created) for m in models]
    _table(rows, ("ID", "NAME", "STATUS", "CREATED"))
    return 0


def _datasets(args: argparse.Namespace) -> int:
    datasets = _api(args).get_dataset()
    if args.json:
        print(json.dumps([dict(d.raw) for d in datasets]))
        return 0
    _table(
        [(d.id, d.name, d.bucket, d.created) for d in datasets], ("ID", "NAME", "BUCKET", "CREATED")
    )
    return 0


def _model_types(args: argparse.Namespace) -> int:
    api = _api(args)
    types = api.get_reporttype() if args.report else api.get_modeltype()
    if args.json:
        print(json.dumps([dict(t.raw) for t in types]))
        return 0
    _table(
        [(t.id, t.name, t.short_description or "") for t in types], ("ID", "NAME", "DESCRIPTION")
    )
    return 0


def _find_type(api: Any, ident: str) -> Any:
    from ._platform_api import _UUID  # noqa: PLC0415

    if _UUID.fullmatch(ident):
        return api.get_model_type(ident)
    return api.get_model_type(name=ident)


def _create_model(args: argparse.Namespace) -> int:
    settings: dict[str, Any] = {}
    if args.settings:
        from brevetti_schema import load_settings_file  # noqa: PLC0415 - YAML only when given

        settings = dict(load_settings_file(args.settings) or {})
    api = _api(args)
    kind = _find_type(api, args.type)
    model = api.create_model(args.name, kind, settings, datasets=args.dataset or ())
    print(model.id)
    print(f"created model {model.name} ({model.id}) of type {kind.name}", file=sys.stderr)
    return 0


def _artifacts(args: argparse.Namespace) -> int:
    api = _api(args)
    kind = "reports" if args.report else "models"
    if args.download:
        paths = api.download_artifacts(args.model, args.download, args.prefix, type=kind)
        for path in paths:
            print(path)
        print(f"downloaded {len(paths)} files, every checksum verified", file=sys.stderr)
        return 0
    found = api.get_artifacts(args.model, args.prefix, recursive=True, type=kind)
    _table([(a.path, a.size, a.sha256 or "") for a in found], ("NAME", "SIZE", "SHA256"))
    return 0


def add_client_commands(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], default_root: str
) -> None:
    """Add the web API client commands to ``brevetti-job platform``."""

    def common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument(
            "--host", help="platform URL (default: BREVETTIAI_HOST_NAME, or the dev platform)"
        )
        parser.add_argument("--user", help="user name (default: the saved login)")
        parser.add_argument("--organization", help="organization name or id")
        parser.add_argument("--token-dir", help="where tokens are kept (default ~/.brevetti)")
        parser.add_argument(
            "--root", default=default_root, help="dev platform store, to find its address"
        )
        return parser

    login = common(actions.add_parser("login", help="log in to the web API; keeps the token"))
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    login.set_defaults(handler=_login)
    for name, handler, text in (
        ("models", _models, "list models"),
        ("datasets", _datasets, "list datasets"),
        ("model-types", _model_types, "list model types (or report types)"),
    ):
        parser = common(actions.add_parser(name, help=text))
        parser.add_argument("--json", action="store_true", help="print JSON")
        if name == "model-types":
            parser.add_argument("--report", action="store_true", help="list report types")
        parser.set_defaults(handler=handler)
    create = common(
        actions.add_parser("create-model", help="create a model (settings checked first)")
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--type", required=True, help="model type id or name")
    create.add_argument("--settings", help="settings YAML/JSON file")
    create.add_argument("--dataset", action="append", metavar="ID", help="dataset id (repeatable)")
    create.set_defaults(handler=_create_model)
    artifacts = common(actions.add_parser("artifacts", help="list or download a model's artifacts"))
    artifacts.add_argument("model", metavar="MODEL", help="model (or report) id")
    artifacts.add_argument("--download", metavar="DIR", help="download every file into DIR")
    artifacts.add_argument("--prefix", default="", help="only artifacts under this folder")
    artifacts.add_argument("--report", action="store_true", help="MODEL is a test report")
    artifacts.set_defaults(handler=_artifacts)
