"""Fixtures for the web tests: preview servers on loopback and headless Debian Chromium.

Outside CI, a missing browser, Playwright, werkzeug or built web assets skips these tests
with a message saying how to get them; in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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
    from brevetti_schema._preview import missing_assets

    if missing_assets():
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
            from brevetti_schema._preview import make_preview_server

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
