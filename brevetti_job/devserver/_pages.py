"""The dev server's web pages: job list, model pages, artifact downloads, settings forms.

::

    GET  /  (browsers)                  the job list (JSON clients keep the JSON index)
    GET  /jobs                          the job list
    GET  /jobs/<id>                     the model page of one job
    GET  /jobs/<id>/artifacts/<name>    an artifact, as a download
    GET  /jobs/<id>/view/<name>.html    an HTML artifact at the root, sandboxed (CSP)
    ANY  /jobs/<id>/form/...            the settings-form preview of the job's schema
    GET  /static/<name>                 the pages' CSS and JS; ``vendor/...`` the chart
                                        libraries (`_assets`)
    GET, POST /login   POST /logout     signing in with the admin token (a cookie)

Everything but ``/static``, ``/login`` and ``/logout`` needs the sign-in cookie or the
admin token as a bearer (see `PageSession`). The routes live in their own map so the API's
map stays exactly what the OpenAPI document describes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib import resources
from pathlib import PurePosixPath
from typing import IO, Final
from urllib.parse import urlencode

import attrs
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import wrap_file

from brevetti_schema import BrevettiSchemaError, load_schema
from brevetti_schema.preview import PreviewApp, missing_assets

from ._assets import CHARTS
from ._job_files import JobFiles
from ._object_space import ObjectSpace
from ._page_data import job_summaries, job_view
from ._page_html import job_list_page, job_page, login_page, message_page
from ._page_package import PackageViews
from ._page_session import PageSession, safe_next
from ._store import CHUNK, Store

__all__ = ["ARTIFACT_VIEW_CSP", "PAGE_CSP", "PREVIEW_CSP", "PageSite"]

PAGE_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""Our pages run only our own scripts and the vendored chart libraries."""

PREVIEW_CSP: Final = (
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""The settings-form preview: Vue 2 compiles its in-page template, which needs eval."""

ARTIFACT_VIEW_CSP: Final = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; media-src data: blob:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
"""An HTML artifact runs in an opaque origin (even opened alone) and fetches nothing."""

DOWNLOAD_CSP: Final = "sandbox; default-src 'none'"
"""A download, should a browser ever render one, runs nothing."""

_STATIC: Final = {
    "pages.css": "text/css; charset=utf-8",
    "job.js": "text/javascript; charset=utf-8",
    "list.js": "text/javascript; charset=utf-8",
}
_OPEN: Final = frozenset({"static", "favicon", "login", "logout"})
_HTML_SUFFIXES: Final = (".html", ".htm")


class _Rest(BaseConverter):
    """The rest of the path below a mount point: empty or starting with a slash."""

    regex = "(?:/.*)?"
    weight = 200
    part_isolating = False


def _wants_html(request: Request) -> bool:
    accept = request.accept_mimetypes
    return accept.quality("text/html") > accept.quality("application/json")


def _html(text: str, status: int = 200) -> Response:
    return Response(text, status, content_type="text/html; charset=utf-8")


def _see_other(location: str) -> Response:
    return Response(status=303, headers={"Location": location})


class PageSite:
    """The pages over a `Store`; `respond` answers a page request or returns None."""

    def __init__(self, store: Store, admin_token: str, space: ObjectSpace | None = None) -> None:
        self.store = store
        self.space = space
        self.session = PageSession(admin_token)
        self._previews: dict[str, PreviewApp] = {}
        self._lock = threading.Lock()
        self.packages = PackageViews()
        self.url_map = Map(
            [
                Rule("/", endpoint="index", methods=["GET"]),
                Rule("/jobs", endpoint="jobs", methods=["GET"]),
                Rule("/jobs/<job_id>", endpoint="job", methods=["GET"]),
                Rule("/jobs/<job_id>/artifacts/<path:name>", endpoint="download", methods=["GET"]),
                Rule("/jobs/<job_id>/view/<name>", endpoint="view", methods=["GET"]),
                Rule("/jobs/<job_id>/form<rest:rest>", endpoint="form", methods=["GET", "POST"]),
                Rule("/static/<path:name>", endpoint="static", methods=["GET"]),
                Rule("/favicon.ico", endpoint="favicon", methods=["GET"]),
                Rule("/login", endpoint="login", methods=["GET", "POST"]),
                Rule("/logout", endpoint="logout", methods=["POST"]),
            ],
            converters={"rest": _Rest},
            merge_slashes=False,
        )
        self._handlers: dict[str, Callable[..., Response]] = {
            "index": self._jobs,
            "jobs": self._jobs,
            "job": self._job,
            "download": self._download,
            "view": self._view,
            "form": self._form,
            "static": self._static,
            "favicon": lambda request: Response(status=204),
            "login": self._login,
            "logout": self._logout,
        }

    def respond(self, request: Request) -> Response | None:
        """The page for `request`, or None when it is not a page (the API answers it)."""
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or ()))
            page = message_page("Method not allowed", f"This page answers {allowed} only.")
            response = _html(page, 405)
            response.headers["Allow"] = allowed
            return response
        except HTTPException:
            return None
        if endpoint == "index" and not _wants_html(request):
            return None
        if endpoint not in _OPEN and not self.session.authorised(request):
            return self._sign_in_first(request)
        response = self._handlers[endpoint](request, **args)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def _sign_in_first(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _html(message_page("Not signed in", "Sign in first, then try again."), 401)
        target = request.full_path.rstrip("?")
        return _see_other("/login?" + urlencode({"next": safe_next(target)}))

    # -- pages -----------------------------------------------------------------------------

    def _jobs(self, request: Request) -> Response:
        return _html(job_list_page(job_summaries(self.store, self.space)))

    def _job(self, request: Request, job_id: str) -> Response:
        view = job_view(self.store, job_id, self.space)
        if view is None:
            return _html(message_page("No such job", f"There is no job {job_id}."), 404)
        if view.model_path and view.summary.status == "completed":
            package = self.packages.view(
                job_id, view.model_path, lambda name: self._open_artifact(job_id, name)
            )
            view = attrs.evolve(view, package=package)
        missing = CHARTS.missing() + missing_assets()
        note = "the web assets are not built (run `make assets`)" if missing else None
        return _html(job_page(view, note))

    def _open_artifact(
        self, job_id: str, name: str
    ) -> tuple[IO[bytes], int, dict[str, str]] | None:
        """An artifact's bytes and size from the job's storage folder; None if there is
        none."""
        if self.store.meta(job_id) is None:
            return None
        opened = JobFiles(self.store, self.space).open_checked(job_id, name)
        if opened is None:
            return None
        body, size, sha256 = opened
        return body, size, {"X-Content-SHA256": sha256}

    def _stream(self, request: Request, opened: tuple[IO[bytes], int, dict[str, str]],
                content_type: str, csp: str) -> Response:  # fmt: skip
        handle, size, extra = opened
        headers = {"Content-Length": str(size), "Content-Security-Policy": csp, **extra}
        if request.method == "HEAD":
            handle.close()
            body = None
        else:
            body = wrap_file(request.environ, handle, buffer_size=CHUNK)
        return Response(
            body, 200, headers=headers, content_type=content_type, direct_passthrough=True
        )

    def _download(self, request: Request, job_id: str, name: str) -> Response:
        opened = self._open_artifact(job_id, name)
        if opened is None:
            return _html(message_page("No such artifact", f"Job {job_id} has no {name}."), 404)
        response = self._stream(request, opened, "application/octet-stream", DOWNLOAD_CSP)
        response.headers.set("Content-Disposition", "attachment", filename=PurePosixPath(name).name)
        return response

    def _view(self, request: Request, job_id: str, name: str) -> Response:
        html = name.lower().endswith(_HTML_SUFFIXES)
        opened = self._open_artifact(job_id, name) if html else None
        if opened is None:
            return _html(message_page("No such page", f"Job {job_id} has no {name}."), 404)
        return self._stream(request, opened, "text/html", ARTIFACT_VIEW_CSP)

    def _form(self, request: Request, job_id: str, rest: str) -> Response:
        try:
            app = self._preview(job_id)
        except BrevettiSchemaError as exc:
            return _html(
                message_page("No settings form", f"The job's schema is unusable: {exc}"), 500
            )
        if app is None:
            message = f"Job {job_id} does not exist or was created without a schema."
            return _html(message_page("No settings form", message), 404)
        prefix = f"/jobs/{job_id}/form"
        environ = dict(request.environ)
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
        environ["PATH_INFO"] = environ.get("PATH_INFO", "")[len(prefix) :]
        response = app.respond(type(request)(environ))
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
        return response

    def _preview(self, job_id: str) -> PreviewApp | None:
        """The preview app of the job's schema (made once per job: the schema never changes)."""
        with self._lock:
            if job_id in self._previews:
                return self._previews[job_id]
        document = self.store.schema(job_id)
        if document is None:
            return None
        app = PreviewApp(load_schema(document))
        with self._lock:
            return self._previews.setdefault(job_id, app)

    def _static(self, request: Request, name: str) -> Response:
        if name.startswith("vendor/"):
            found = CHARTS.response(name.removeprefix("vendor/"))
        elif name in _STATIC:
            data = resources.files(__package__).joinpath("_web", name).read_bytes()
            found = Response(data, content_type=_STATIC[name])
        else:
            found = None
        if found is None:
            return _html(message_page("Not found", f"No file {name}."), 404)
        found.headers["Cache-Control"] = "no-cache"
        return found

    # -- signing in --------------------------------------------------------------------------

    def _login(self, request: Request) -> Response:
        next_path = safe_next(request.values.get("next"))
        if request.method == "GET":
            if self.session.authorised(request):
                return _see_other(next_path)
            return _html(login_page(next_path))
        token = (request.form.get("token") or "").strip()
        if not token or not self.session.token_matches(token):
            return _html(login_page(next_path, failed=True), 401)
        response = _see_other(next_path)
        self.session.sign_in(response)
        return response

    def _logout(self, request: Request) -> Response:
        response = _see_other("/login")
        self.session.sign_out(response)
        return response
