"""The job runtime for the Brevetti AI platform: typed settings and platform tooling.

    from brevetti_job import Job

    with Job.init(schema="settings.yaml") as job:
        job.add_output_metric("accuracy", 0.93)

The public API; everything in a `_module` is private.
"""

from brevetti_schema import SettingsError

from ._description import Dataset, JobDescription
from ._errors import (
    ArtifactPathError,
    BrevettiJobError,
    JobConfigError,
    JobStateError,
    MetricError,
    PackageError,
    PlatformAuthError,
    PlatformError,
    PlatformUnavailable,
)
from ._job import Job
from ._package import ModelPackage, OpenedPackage

__version__ = "0.1.0"

__all__ = [
    "ArtifactPathError",
    "BrevettiJobError",
    "Dataset",
    "Job",
    "JobConfigError",
    "JobDescription",
    "JobStateError",
    "MetricError",
    "ModelPackage",
    "OpenedPackage",
    "PackageError",
    "PlatformAuthError",
    "PlatformError",
    "PlatformUnavailable",
    "SettingsError",
    "__version__",
]
