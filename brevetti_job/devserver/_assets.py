"""The dev platform's chart libraries (Vega, Vega-Lite, vega-embed), served to its pages.

`make assets` (or the wheel build) copies them from npm into ``_web/vendor/`` as
``_web/vendor.json`` lists; only the names listed there are ever served.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final

from werkzeug.wrappers import Response

__all__ = ["VENDOR_DIR", "missing_chart_assets", "vendor_files", "vendor_response"]

WEB_DIR: Final = Path(__file__).resolve().with_name("_web")
VENDOR_DIR: Final = WEB_DIR / "vendor"

_CONTENT_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


@cache
def vendor_files() -> tuple[str, ...]:
    """The names `make assets` places in `VENDOR_DIR` (from ``_web/vendor.json``)."""
    manifest = json.loads((WEB_DIR / "vendor.json").read_text(encoding="utf-8"))
    return (*manifest, "versions.json")


def missing_chart_assets() -> list[str]:
    """The chart files that are not built yet (empty when charts can be drawn)."""
    return [name for name in vendor_files() if not (VENDOR_DIR / name).is_file()]


def vendor_response(name: str) -> Response | None:
    """A listed vendor file (``name`` below ``vendor/``); None if it is not one of them.

    A listed file that is not built yet is a 503 naming `make assets`.
    """
    if name not in vendor_files():
        return None
    path = VENDOR_DIR / name
    if not path.is_file():
        hint = f"the chart libraries are not built (missing in {VENDOR_DIR}): run `make assets`"
        return Response(json.dumps({"error": hint}), 503, content_type="application/json")
    return Response(path.read_bytes(), content_type=_CONTENT_TYPES.get(path.suffix))
