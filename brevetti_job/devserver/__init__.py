"""The dev platform: a small job-side platform server with its records in SQLite.

``brevetti-job serve`` runs it; ``brevetti-job platform create`` makes jobs in its
store. Needs the ``server`` extra (werkzeug); importing this package alone loads none
of it, so the names below load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import DevServerApp
    from ._faults import FaultConfig, FaultInjector
    from ._objectstore import ObjectStoreError
    from ._openapi import openapi_document
    from ._root_lock import RootLocked
    from ._serve import make_dev_server
    from ._store import CreatedJob, Store, StoreError

_LAZY = {
    "DevServerApp": "_app",
    "FaultConfig": "_faults",
    "FaultInjector": "_faults",
    "ObjectStoreError": "_objectstore",
    "openapi_document": "_openapi",
    "RootLocked": "_root_lock",
    "make_dev_server": "_serve",
    "CreatedJob": "_store",
    "Store": "_store",
    "StoreError": "_store",
}

__all__ = [
    "CreatedJob",
    "DevServerApp",
    "FaultConfig",
    "FaultInjector",
    "ObjectStoreError",
    "RootLocked",
    "Store",
    "StoreError",
    "make_dev_server",
    "openapi_document",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    if getattr(value, "__module__", "").startswith(f"{__name__}."):
        value.__module__ = __name__  # reported as brevetti_job.devserver.X, as httpx does
    globals()[name] = value
    return value
