"""Fixtures for the web tests: preview servers on loopback and headless Debian Chromium.

Outside CI, a missing browser, Playwright, werkzeug or built web assets skips these tests
with a message saying how to get them; in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schema_examples"
EXAMPLE_SOURCES = [*sorted(EXAMPLES.glob("*.yaml")), EXAMPLES / "legacy_compat.ui.json"]
"""Every example schema: the YAML authoring files and the brevettiai-style legacy form."""

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _server_problem() -> str | None:
    if importlib.util.find_spec("werkzeug") is None:
        return "werkzeug is not installed: pip install -e '.[server,test]'"
    from brevetti_job.devserver._assets import CHARTS
    from brevetti_schema.preview import missing_assets

    if missing_assets() or CHARTS.missing():
        return "the web assets are not built: run `make assets` (npm ci + copy)"
    return None


def _browser_problem() -> str | None:
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium`"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed: pip install -e '.[test]'"
    return _server_problem()


def require(problem: str | None) -> None:
    """Skip (or, in CI, fail) the test when something it needs is missing."""
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"web tests cannot run in CI: {problem}", pytrace=False)
    pytest.skip(problem)


@pytest.fixture(scope="session")
def preview_url() -> Iterator[Callable[[Path], str]]:
    """A function giving the URL of a running preview of a schema source (one per source)."""
    servers: dict[Path, Any] = {}

    def url_for(source: Path) -> str:
        require(_server_problem())
        if source not in servers:
            from brevetti_schema import load_schema
            from brevetti_schema.preview import make_preview_server

            server = make_preview_server(load_schema(source), "127.0.0.1", 0, quiet=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers[source] = server
        return f"http://127.0.0.1:{servers[source].server_port}/"

    yield url_for
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright, with a fresh profile folder."""
    require(_browser_problem())
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A new tab; the test fails on any JavaScript error the page raises."""
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    tab.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


# -- the dev server's pages ------------------------------------------------------------------

TRAIN_SCRIPT = EXAMPLES / "train_classifier.py"
CLASSIFIER_SCHEMA = EXAMPLES / "image_classification.yaml"
REPORT_SCHEMA = EXAMPLES / "test_report.yaml"
WEBHOOK_TOKEN = "whk-secret-7c1e2f"  # a test value that must never reach a page
FAILURE_REASON = "diverged at epoch 3: loss is nan <script>alert('x')</script> & more"

SANDBOX_PROBE = """<!doctype html>
<html><head><meta charset="utf-8"><title>probe</title></head>
<body><h1>Sandboxed report</h1><ul id="results"></ul>
<script>
function mark(name, text) {
  var item = document.createElement("li");
  item.id = name;
  item.textContent = text;
  document.getElementById("results").appendChild(item);
}
function probe(name, read) {
  try { mark(name, "allowed: " + String(read())); } catch (error) { mark(name, "blocked: " + error.name); }
}
probe("script", function () { return "ran"; });
probe("parent-document", function () { return parent.document.title; });
probe("cookie", function () { return document.cookie; });
probe("storage", function () { return localStorage.length; });
fetch("/jobs").then(function () { mark("fetch", "allowed"); },
                    function (error) { mark("fetch", "blocked: " + error.name); })
  .then(function () { document.body.setAttribute("data-done", "yes"); });
</script></body></html>
"""
"""An HTML artifact that tries to reach out of its sandbox and writes down what happened."""


@dataclass(frozen=True)
class PageJobs:
    """The jobs the page tests look at, and what they were given."""

    server: Any  # tests.conftest.ThreadedDevServer
    completed: Any  # tests.conftest.PlatformJob: the example job, run in platform mode
    failed: Any
    report: Any
    waiting: Any
    job_dir: Path  # the example job's folder (its local copies of what it sent)
    state: dict[str, Any]  # the server's record of the example job (admin view)
    artifacts: dict[str, bytes]  # name -> content, of the example job
    report_files: dict[str, bytes]  # name -> content, of the test report
    failed_metrics: dict[str, Any]

    def page_url(self, job: Any, suffix: str = "") -> str:
        return f"{self.server.base_url}/jobs/{job.id}{suffix}"


def _send(job: Any, method: str, path: str, **kwargs: Any) -> requests.Response:
    answer = requests.request(
        method, job.url + path, headers={**job.headers, **kwargs.pop("headers", {})},
        timeout=30, **kwargs,
    )  # fmt: skip
    assert answer.status_code < 300, (method, path, answer.status_code, answer.text)
    return answer


def _put_job_file(object_store: Any, job: Any, name: str, data: bytes) -> None:
    """Put a file into the job's storage folder (``<bucket>/<job id>/artifacts/<name>``),
    where a job on the platform writes its artifacts and output.json."""
    bucket = job.data_bucket.removeprefix("s3://")
    key = f"{job.id}/artifacts/{name}"
    object_store.client().put_object(Bucket=bucket, Key=key, Body=data)


def _run_example_on(server: Any, job: Any, job_dir: Path) -> None:
    """The example job in platform mode against `server` (identity from the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREVETTI")}
    env.update(
        BREVETTI_HOST=server.base_url, BREVETTI_JOB_ID=job.id, BREVETTI_API_KEY=job.api_key,
        BREVETTI_HYPERPARAMETERS_FILE=str(job_dir.parent / "no-hyperparameters.json"),
        PYTHONPATH=str(ROOT), **job.storage_env,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(TRAIN_SCRIPT), "--job_dir", str(job_dir)],
        env=env, cwd=job_dir.parent, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def page_jobs(tmp_path_factory: pytest.TempPathFactory, object_store: Any) -> Iterator[PageJobs]:
    """A dev server (own store) with four jobs: the example job run in platform mode
    (completed), a failed run, a test report with a secret setting and an HTML report
    (sent over the job API), and a job not started yet."""
    require(_server_problem())
    from ..conftest import ThreadedDevServer

    base = tmp_path_factory.mktemp("pages")
    server = ThreadedDevServer(base / "store", object_store)
    try:
        completed = server.create_job(CLASSIFIER_SCHEMA, preset="quick", name="classifier quick")
        job_dir = base / "example-run"
        _run_example_on(server, completed, job_dir)
        server.wait_idle()

        failed = server.create_job(CLASSIFIER_SCHEMA, name="diverged <b>run</b>")
        failed_metrics = {"accuracy": 0.41, "final_loss": 7.5, "epochs_trained": 3}
        for epoch, loss in ((1, 0.9), (2, 3.4), (3, 7.5)):
            _send(failed, "POST", "/remotemonitor", json={"epoch": epoch, "loss": loss})
        _put_job_file(object_store, failed, "output.json",
                      json.dumps({"output": failed_metrics}).encode())  # fmt: skip
        _send(failed, "POST", "/complete", json={"status": "failed", "reason": FAILURE_REASON})

        settings = {"notification": {"enabled": True, "webhook_url": "https://hooks.example.com/x",
                                     "webhook_token": WEBHOOK_TOKEN}}  # fmt: skip
        report = server.create_job(REPORT_SCHEMA, settings=settings, kind="report",
                                   name="test report")  # fmt: skip
        pages = {"report.html": SANDBOX_PROBE.encode(), "plots/inner.html": b"<p>not inline</p>"}
        for name, data in pages.items():
            _put_job_file(object_store, report, name, data)
        _put_job_file(object_store, report, "output.json",
                      json.dumps({"output": {"accuracy": 0.9, "auc": 0.95}}).encode())  # fmt: skip
        _send(report, "POST", "/complete")

        waiting = server.create_job(CLASSIFIER_SCHEMA, name="not started")

        folder = job_dir / "artifacts"
        sent = {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in folder.rglob("*") if p.is_file() and p.name != "output.json"}  # fmt: skip
        yield PageJobs(
            server=server,
            completed=completed,
            failed=failed,
            report=report,
            waiting=waiting,
            job_dir=job_dir,
            state=server.state(completed.id),
            artifacts=sent,
            report_files=pages,
            failed_metrics=failed_metrics,
        )
    finally:
        server.stop()


def sign_in(page: Any, base_url: str, token: str, target: str = "/jobs") -> None:
    """Sign the browser in through the form (the page asked for redirects there)."""
    page.goto(base_url + target)
    page.wait_for_selector("[data-testid=token]")
    page.fill("[data-testid=token]", token)
    page.click("[data-testid=sign-in]")
    page.wait_for_url(base_url + target)


@pytest.fixture
def signed_in(browser_context: Any, page_jobs: PageJobs) -> PageJobs:
    """The browser is signed in to the pages' dev server (signs in when it has no cookie)."""
    cookies = browser_context.cookies(page_jobs.server.base_url)
    if not any(c["name"].startswith("brevetti_devserver_") for c in cookies):
        tab = browser_context.new_page()
        try:
            sign_in(tab, page_jobs.server.base_url, page_jobs.server.admin_token)
        finally:
            tab.close()
    return page_jobs


@pytest.fixture
def csp_violations(page: Any) -> list[str]:
    """Console messages about Content-Security-Policy violations seen by the test's tab."""
    found: list[str] = []

    def note(message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            found.append(f"{message.location.get('url')}: {message.text}")

    page.on("console", note)
    return found
