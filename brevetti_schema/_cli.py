"""`brevetti-schema`: build, check, convert and validate schemas from the command line.

User errors print one line per problem and exit 1; usage errors exit 2; no tracebacks.
Each command imports only what it needs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._errors import BrevettiSchemaError, SchemaError, SettingsError

__all__ = ["main"]

PROG = "brevetti-schema"


def _write(text: str, out: str | None, *, force: bool = True) -> None:
    if out is None or out == "-":
        sys.stdout.write(text)
        return
    path = Path(out)
    if not force and path.exists():
        raise BrevettiSchemaError(f"{path} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)
    print(f"wrote {path}", file=sys.stderr)


def _schema(args: argparse.Namespace) -> Any:
    from ._authoring.sources import load_schema  # noqa: PLC0415

    return load_schema(args.src)


def _build(args: argparse.Namespace) -> int:
    from ._emit.platform_ui import dump_platform_ui  # noqa: PLC0415

    _write(dump_platform_ui(_schema(args)), args.output, force=args.force)
    return 0


def _json_schema(args: argparse.Namespace) -> int:
    from ._emit.json_schema import dump_json_schema  # noqa: PLC0415

    _write(dump_json_schema(_schema(args), strict=args.strict), args.output)
    return 0


def _defaults(args: argparse.Namespace) -> int:
    from ._emit.defaults import dump_defaults_yaml  # noqa: PLC0415

    _write(dump_defaults_yaml(_schema(args)), args.output)
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        schema = _schema(args)
    except SchemaError as exc:
        for problem in exc.problems:
            print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 1
    warnings = list(schema.warnings)
    for problem in warnings:
        print(f"{PROG}: {problem}", file=sys.stderr)  # the problem says "warning"
    if warnings:
        return 1
    print(f"{args.src}: ok ({schema.field_count()} fields, {len(schema.presets)} presets)")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from ._emit.yaml_dump import dump_schema_yaml  # noqa: PLC0415

    _write(dump_schema_yaml(_schema(args)), args.output, force=args.force)
    return 0


def _format_schema(args: argparse.Namespace) -> int:
    from ._emit.format_schema import format_schema  # noqa: PLC0415

    _write(json.dumps(format_schema(), indent=2, ensure_ascii=False) + "\n", args.output)
    return 0


def _read_settings(path: str) -> Any:
    from ._settings.files import load_settings_file, load_settings_text  # noqa: PLC0415

    if path == "-":
        from ._authoring.yaml_format import MAX_DOCUMENT_BYTES  # noqa: PLC0415

        # at most one character over the limit: load_settings_text refuses it unparsed
        return load_settings_text(sys.stdin.read(MAX_DOCUMENT_BYTES + 1), source="<stdin>")
    return load_settings_file(path)


def _validate(args: argparse.Namespace) -> int:
    from ._settings.pipeline import masked_tree, resolve_settings  # noqa: PLC0415

    schema = _schema(args)
    raw = _read_settings(args.settings)
    try:
        result = resolve_settings(
            schema,
            raw,
            overrides=args.set or (),
            preset=args.preset,
            strict=args.strict,
            structure=False,
        )
    except SettingsError as exc:
        if args.format == "json":
            print(json.dumps({"valid": False, **exc.to_json()}, indent=2))
        else:
            print(exc.table())
        return 1
    shown = masked_tree(schema, result.tree)
    if args.format == "json":
        report = {
            "valid": True,
            "settings": shown,
            "warnings": [w.to_json() for w in result.warnings],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        import yaml  # noqa: PLC0415

        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        sys.stdout.write(yaml.safe_dump(shown, sort_keys=False, allow_unicode=True))
    return 0


def _codegen(args: argparse.Namespace) -> int:
    from ._emit.classes.codegen import generate_source  # noqa: PLC0415

    _write(generate_source(_schema(args)), args.output)
    return 0


def _preview(args: argparse.Namespace) -> int:
    schema = _schema(args)
    try:
        from . import preview  # noqa: PLC0415 - werkzeug loads only to serve
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] != "werkzeug":
            raise
        raise BrevettiSchemaError(
            "the preview needs werkzeug: pip install 'brevetti-toolkit[server]'"
        ) from None
    missing = preview.missing_assets()
    if missing:
        raise BrevettiSchemaError(preview.ASSETS_HINT.format(where=preview.VENDOR_DIR))
    server = preview.make_preview_server(schema, args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Previewing {args.src} at http://{host}:{server.server_port}/ (Ctrl+C stops)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Declare a job's settings once; emit the platform form, JSON Schema, "
        "defaults and typed classes, and validate settings.",
    )
    from . import __version__  # noqa: PLC0415 - the package is loaded by now

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    src_help = (
        "a YAML/JSON authoring file, a platform UI JSON file, or package.module:attr "
        "naming a SchemaBuilder or schema"
    )

    def command(
        name: str, handler: Callable[[argparse.Namespace], int], text: str, *, out: bool = True
    ) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.set_defaults(handler=handler, command_parser=cmd)
        if name != "format-schema":
            cmd.add_argument("src", metavar="SRC", help=src_help)
        if out:
            cmd.add_argument("-o", "--output", metavar="OUT", help="write here (default stdout)")
        return cmd

    force_help = "overwrite OUT if it exists (without it an existing file is kept)"
    cmd = command("build", _build, "write the platform UI JSON (settings form)")
    cmd.add_argument("--force", action="store_true", help=force_help)
    cmd = command("json-schema", _json_schema, "write the JSON Schema of the settings")
    cmd.add_argument("--strict", action="store_true", help="forbid unknown keys")
    command("defaults", _defaults, "write a settings YAML with every default, help as comments")
    command("check", _check, "list every authoring problem; exit 1 if any", out=False)
    cmd = command("convert", _convert, "convert a schema (e.g. platform UI JSON) to our YAML")
    cmd.set_defaults(output_required=True)
    cmd.add_argument("--force", action="store_true", help=force_help)
    command("format-schema", _format_schema, "write the JSON Schema of the authoring format")
    cmd = command("validate", _validate, "validate a settings file; exit 1 if invalid", out=False)
    cmd.add_argument("settings", metavar="SETTINGS", help="settings YAML/JSON file, - for stdin")
    cmd.add_argument(
        "--set", action="append", metavar="PATH=VALUE", help="override a setting (repeatable)"
    )
    cmd.add_argument("--preset", metavar="NAME", help="apply a named preset")
    cmd.add_argument("--strict", action="store_true", help="unknown keys are errors")
    cmd.add_argument("--format", choices=("table", "json"), default="table")
    command("codegen", _codegen, "write a Python module of typed attrs settings classes")
    cmd = command(
        "preview", _preview, "serve the settings form in a browser page, live-checked", out=False
    )
    cmd.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks one)")
    cmd.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`parse_args`, with a "did you mean" for a misspelt option of the command."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        import difflib  # noqa: PLC0415 - only for a usage error

        command: argparse.ArgumentParser = args.command_parser
        known = [o for a in command._actions for o in a.option_strings if o.startswith("--")]
        hints = []
        for token in extra:
            close = difflib.get_close_matches(token.partition("=")[0], known, n=1)
            if token.startswith("-") and close:
                hints.append(f"{token} (did you mean {close[0]}?)")
            else:
                hints.append(token)
        command.error("unrecognized arguments: " + " ".join(hints))
    return args


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``| head``): stop without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what a tool killed by the signal returns


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 invalid input, 2 usage)."""
    try:
        status = _main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except SystemExit as exit_:  # --help, --version and usage errors
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            return _quiet_broken_pipe()
        raise exit_ from None
    return status


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = _parse(parser, argv)
    if getattr(args, "output_required", False) and not args.output:
        parser.error(f"{args.command} needs -o/--output")
    try:
        status: int = args.handler(args)
    except SchemaError as exc:
        for problem in exc.problems:
            print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 1
    except BrevettiSchemaError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # the reader went away: `main` ends quietly
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
