"""The exception hierarchy of `brevetti_job`, in one place.

::

    BrevettiJobError            base of every error this package raises on purpose
    ├── JobConfigError          the job cannot be identified or set up (arguments, files)
    ├── ArtifactPathError       an artifact name would escape the artifacts folder
    ├── MetricError             an output metric is not a finite number, text or boolean
    └── JobStateError           an operation does not fit the job's state (e.g. ended)

Invalid settings raise `brevetti_schema.SettingsError`, which lists every problem.
"""

from __future__ import annotations

__all__ = [
    "ArtifactPathError",
    "BrevettiJobError",
    "JobConfigError",
    "JobStateError",
    "MetricError",
]


class BrevettiJobError(Exception):
    """Base class of every error raised on purpose by `brevetti_job`."""


class JobConfigError(BrevettiJobError):
    """Raised when the job cannot be identified or set up from its arguments and files."""


class ArtifactPathError(BrevettiJobError, ValueError):
    """Raised when an artifact name is absolute, uses ``..`` or links out of the folder."""


class MetricError(BrevettiJobError, ValueError):
    """Raised by `add_output_metric` at once when a value cannot be reported."""


class JobStateError(BrevettiJobError):
    """Raised when an operation does not fit the job's state."""
