"""The settings-form preview: a small WSGI app (werkzeug) serving one schema's form page.

Every URL is relative to where the app is mounted, so the dev server can mount the
same app under a job type's path::

    GET  /              the page (form.html), which loads form.js and form.css
    GET  /vendor/NAME   the browser libraries `make assets` copied from npm
    GET  /ui.json       the platform UI JSON of the schema
    GET  /schema.json   its JSON Schema (Draft 2020-12)
    POST /check         runs the settings pipeline on the posted transport-form
                        settings: the report of ``brevetti-schema validate --format json``

Imported only by ``brevetti-schema preview`` (and the dev server): werkzeug is the
``server`` extra.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from ._emit.json_schema import dump_json_schema
from ._emit.platform_ui import dump_platform_ui
from ._errors import SettingsError
from ._model.nodes import Schema
from ._settings.pipeline import masked_tree, resolve_settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "ASSETS_HINT",
    "VENDOR",
    "VENDOR_DIR",
    "WEB_DIR",
    "PreviewApp",
    "VendorFolder",
    "check_report",
    "make_preview_server",
    "missing_assets",
    "vendor_files",
    "web_file_response",
]

WEB_DIR: Final = Path(__file__).resolve().with_name("_web")
"""Our own page files (committed)."""

VENDOR_DIR: Final = WEB_DIR / "vendor"
"""The browser libraries `make assets` copies from node_modules (not committed)."""

ASSETS_HINT: Final = (
    "the web assets are not built (missing in {where}): run `make assets` in the "
    "brevetti-toolkit checkout (npm ci, then copies the browser libraries there)"
)
"""What to tell someone whose checkout has no built assets; ``{where}`` is the folder."""

PAGE_FILES: Final = {"": "form.html", "form.js": "form.js", "form.css": "form.css"}
"""URL path (below the mount point) -> our page file in `WEB_DIR`."""

CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


class VendorFolder:
    """Browser libraries `make assets` copies into ``<web>/vendor/``, as ``<web>/vendor.json``
    lists them; only the listed names (and ``versions.json``) are ever served.

    The form preview's folder is `VENDOR`; the dev platform keeps its chart libraries in
    a folder of its own.
    """

    def __init__(self, web_dir: Path) -> None:
        self.web_dir = web_dir
        self.path = web_dir / "vendor"

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The names `make assets` places in `path`."""
        manifest = json.loads((self.web_dir / "vendor.json").read_text(encoding="utf-8"))
        return (*manifest, "versions.json")

    def missing(self) -> list[str]:
        """The listed files that are not built yet (empty when all can be served)."""
        return [name for name in self.names if not (self.path / name).is_file()]

    def response(self, name: str) -> Response | None:
        """A listed file by its name below ``vendor/``; None if it is not one of them.

        A listed file that is not built yet is a 503 that says to run `make assets`.
        """
        if name not in self.names:
            return None
        path = self.path / name
        if not path.is_file():
            return _json({"error": ASSETS_HINT.format(where=self.path)}, 503)
        response = Response(path.read_bytes(), content_type=CONTENT_TYPES.get(path.suffix))
        response.headers["Cache-Control"] = "no-cache"
        return response


VENDOR: Final = VendorFolder(WEB_DIR)
"""The form preview's browser libraries (Vue, vue-form-generator, ajv)."""


def vendor_files() -> tuple[str, ...]:
    """The names `make assets` places in `VENDOR_DIR` (from ``_web/vendor.json``)."""
    return VENDOR.names


def missing_assets() -> list[str]:
    """The vendor files that are not built yet (empty when the page can be served)."""
    return VENDOR.missing()


def web_file_response(name: str) -> Response | None:
    """A page or vendor file by its path below the mount point; None if there is none.

    Only the names above are served (no path from the URL reaches the file system).
    """
    if name.startswith("vendor/"):
        return VENDOR.response(name[len("vendor/") :])
    if name not in PAGE_FILES:
        return None
    path = WEB_DIR / PAGE_FILES[name]
    response = Response(path.read_bytes(), content_type=CONTENT_TYPES.get(path.suffix))
    response.headers["Cache-Control"] = "no-cache"
    return response


def check_report(schema: Schema, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The pipeline's verdict on transport-form settings, as ``validate --format json``.

    Valid: ``{"valid": true, "settings": <masked tree>, "warnings": [...], "typed":
    <repr of the settings object>}``; invalid: ``{"valid": false, "problems": [...]}``.
    """
    try:
        result = resolve_settings(schema, raw, structure=True)
    except SettingsError as exc:
        return {"valid": False, **exc.to_json()}
    return {
        "valid": True,
        "settings": masked_tree(schema, result.tree),
        "warnings": [w.to_json() for w in result.warnings],
        "typed": repr(result.settings),
    }


def _json(document: Any, status: int = 200) -> Response:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return Response(text, status=status, content_type="application/json")


class PreviewApp:
    """The preview of one schema as a WSGI application (see the module docstring)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.ui_json = dump_platform_ui(schema)
        self.json_schema = dump_json_schema(schema)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request."""
        request = Request(environ)
        response = self.respond(request)
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        """The response to one request."""
        if request.environ.get("PATH_INFO", "") == "":
            # mounted at a prefix and asked without the slash: relative URLs need it
            return Response(status=308, headers={"Location": request.root_url})
        name = request.path.lstrip("/")
        if name == "check":
            if request.method != "POST":
                return _json({"error": "POST the settings as JSON"}, 405)
            return self.check(request)
        if request.method not in ("GET", "HEAD"):
            return _json({"error": f"{request.method} is not allowed here"}, 405)
        if name == "favicon.ico":
            return Response(status=204)
        if name in ("ui.json", "schema.json"):
            text = self.ui_json if name == "ui.json" else self.json_schema
            return Response(text, content_type="application/json")
        response = web_file_response(name)
        if response is None:
            return _json({"error": f"no such page: /{name}"}, 404)
        return response

    def check(self, request: Request) -> Response:
        """Run the settings pipeline on the posted settings (the form's transport form)."""
        try:
            raw = json.loads(request.get_data(as_text=True) or "{}")
        except json.JSONDecodeError as exc:
            return _json({"error": f"the body is not JSON: {exc.msg}"}, 400)
        if not isinstance(raw, dict):
            return _json({"error": "the settings must be a JSON object"}, 400)
        return _json(check_report(self.schema, raw))


class _QuietRequestHandler(WSGIRequestHandler):
    """A request handler that logs no line per request (tests, embedding)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""


def make_preview_server(
    schema: Schema, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = False
) -> BaseWSGIServer:
    """A threaded server of the preview (port 0 picks a free one: see ``.server_port``)."""
    handler = _QuietRequestHandler if quiet else None
    return make_server(host, port, PreviewApp(schema), threaded=True, request_handler=handler)
