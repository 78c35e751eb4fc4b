"""The OpenAPI 3.1 document of the job-side API, shipped as ``openapi.json``."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["openapi_document", "openapi_text"]


@cache
def openapi_text() -> str:
    """The document as shipped (JSON text)."""
    return resources.files(__package__).joinpath("openapi.json").read_text(encoding="utf-8")


def openapi_document() -> dict[str, Any]:
    """The document as JSON data (a fresh copy each call)."""
    document: dict[str, Any] = json.loads(openapi_text())
    return document
