"""The exception hierarchy of `brevetti_job`, in one place.

::

    brevetti_schema.BrevettiError   root of every error brevetti-toolkit raises on purpose
    BrevettiJobError            base of every error this package raises on purpose
    ├── JobConfigError          the job cannot be identified or set up (arguments, files)
    ├── ArtifactPathError       an artifact name would escape the artifacts folder
    ├── MetricError             an output metric is not a finite number, text or boolean
    ├── JobStateError           an operation does not fit the job's state (e.g. ended)
    ├── JobArgumentError        a value passed to a job call cannot be used (a missing file,
    │   │                       a chart that is not JSON, a path outside the job folder);
    │   │                       also a ValueError
    │   └── JobArgumentTypeError    ... because it is of the wrong type (also a TypeError)
    ├── PackageError            a model package is corrupt, tampered or unsafe to extract
    ├── StorageError            a read or write of the job's storage failed (names the URL)
    │   ├── StorageNotFound     no such object or file (also a FileNotFoundError)
    │   └── StoragePermissionError  refused: by the store, or outside the job's resources
    │                           (also a PermissionError)
    └── PlatformError           a platform request failed for good (a 4xx answer)
        ├── PlatformAuthError   the API key was refused (401/403); never retried
        └── PlatformUnavailable the platform could not be reached within the retry budget

Invalid settings raise `SettingsError` and a wrong schema `SchemaError` (both from
`brevetti_schema`, re-exported by `brevetti_job`); all derive from `BrevettiError`.
"""

from __future__ import annotations

from typing import Any

from brevetti_schema import BrevettiError

__all__ = [
    "ArtifactPathError",
    "BrevettiJobError",
    "JobArgumentError",
    "JobArgumentTypeError",
    "JobConfigError",
    "JobStateError",
    "MetricError",
    "PackageError",
    "PlatformAuthError",
    "PlatformError",
    "PlatformUnavailable",
    "StorageError",
    "StorageNotFound",
    "StoragePermissionError",
]


class BrevettiJobError(BrevettiError):
    """Base class of every error raised on purpose by `brevetti_job`."""


class JobConfigError(BrevettiJobError):
    """Raised when the job cannot be identified or set up from its arguments and files."""


class ArtifactPathError(BrevettiJobError, ValueError):
    """Raised when an artifact name is absolute, uses ``..`` or links out of the folder."""


class MetricError(BrevettiJobError, ValueError):
    """Raised by `add_output_metric` at once when a value cannot be reported."""


class PackageError(BrevettiJobError, ValueError):
    """Raised when a model package cannot be built or fails its integrity check."""


class JobStateError(BrevettiJobError):
    """Raised when an operation does not fit the job's state."""


class JobArgumentError(BrevettiJobError, ValueError):
    """Raised when a value passed to a job call cannot be used: a model archive or file
    that does not exist, a chart that is not JSON, a path outside the job folder."""


class JobArgumentTypeError(JobArgumentError, TypeError):
    """Raised when a value passed to a job call is of the wrong type (`into=` that is no
    settings class, a chart that is not a mapping or JSON text)."""


class PlatformError(BrevettiJobError):
    """Raised when the platform answers a request with an error it will not undo on retry.

    `status` is the HTTP status (``None`` when there was no answer) and `request` the
    method and path (never the key, which only travels in a header).
    """

    def __init__(
        self, message: str, *, status: int | None = None, request: str = "", detail: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request = request
        self.detail = detail  # the answer's JSON body, when it had one


class PlatformAuthError(PlatformError):
    """Raised when the platform refuses the job's API key (401) or its scope (403)."""


class PlatformUnavailable(PlatformError):
    """Raised when the platform cannot be reached, or keeps failing, within the retry budget."""


class StorageError(BrevettiJobError, OSError):
    """Raised when a storage operation fails; `url` names the object (never a key or token).

    Raised ``from`` the underlying boto3 or OS error, whose text is masked the same way.
    """

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class StorageNotFound(StorageError, FileNotFoundError):
    """Raised when the object or file does not exist."""


class StoragePermissionError(StorageError, PermissionError):
    """Raised when the store refuses the operation, or the URL lies outside the job's
    resources (its own folder, its datasets) or would escape the job folder."""
