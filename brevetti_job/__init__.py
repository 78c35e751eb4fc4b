"""The job runtime for the Brevetti AI platform: typed settings and platform tooling.

    from brevetti_job import Job

    with Job.init(schema="settings.yaml") as job:
        job.add_output_metric("accuracy", 0.93)

The public API; everything in a `_module` is private.
"""

import importlib
from typing import TYPE_CHECKING, Any, Final

from brevetti_schema import BrevettiError, SchemaError, SettingsError

from ._description import JobDescription
from ._errors import (
    ArtifactPathError,
    BrevettiJobError,
    JobArgumentError,
    JobArgumentTypeError,
    JobConfigError,
    JobStateError,
    MetricError,
    PackageError,
    PlatformAuthError,
    PlatformError,
    PlatformUnavailable,
    StorageError,
    StorageNotFound,
    StoragePermissionError,
)
from ._job import Job


def _publish(value: Any) -> None:
    """Report a class defined here as ``brevetti_job.X`` in reprs, tracebacks and docs."""
    if isinstance(value, type) and value.__module__.startswith(f"{__name__}."):
        value.__module__ = __name__


if TYPE_CHECKING:
    from ._api import (
        Artifact,
        DatasetRecord,
        Model,
        ModelType,
        Organization,
        PlatformAPI,
        Project,
        Tag,
        TestReport,
    )
    from ._datasets import Dataset, Sample
    from ._package import ModelPackage, OpenedPackage
    from ._storage import Storage, StorageObject

__version__ = "0.1.0"

_LAZY: Final = {
    **dict.fromkeys(
        ("Artifact", "DatasetRecord", "Model", "ModelType", "Organization", "PlatformAPI",
         "Project", "Tag", "TestReport"),
        "_api",
    ),
    "Dataset": "_datasets",
    "Sample": "_datasets",
    "ModelPackage": "_package",
    "OpenedPackage": "_package",
    "Storage": "_storage",
    "StorageObject": "_storage",
}  # fmt: skip
"""Public names loaded on first use, by module: the web API client (it needs requests),
datasets, model packages and storage (a local `Job.init` needs none of them)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        _publish(value)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})  # the names loaded on first use, too


__all__ = [
    "Artifact",
    "ArtifactPathError",
    "BrevettiError",
    "BrevettiJobError",
    "Dataset",
    "DatasetRecord",
    "Job",
    "JobArgumentError",
    "JobArgumentTypeError",
    "JobConfigError",
    "JobDescription",
    "JobStateError",
    "MetricError",
    "Model",
    "ModelPackage",
    "ModelType",
    "OpenedPackage",
    "Organization",
    "PackageError",
    "PlatformAPI",
    "PlatformAuthError",
    "PlatformError",
    "PlatformUnavailable",
    "Project",
    "Sample",
    "SchemaError",
    "SettingsError",
    "Storage",
    "StorageError",
    "StorageNotFound",
    "StorageObject",
    "StoragePermissionError",
    "Tag",
    "TestReport",
    "__version__",
]

for _name in __all__:
    _publish(globals().get(_name))
del _name
