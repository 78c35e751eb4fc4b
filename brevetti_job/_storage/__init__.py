"""The job's storage: local folders and S3 behind one `Storage`, job-scoped credentials,
and the local cache of remote objects. Public names are re-exported by `brevetti_job`."""

from __future__ import annotations

from ._cache import Cache, cache_from_environment
from ._credentials import (
    CredentialProvider,
    CredentialRoutes,
    Credentials,
    PlatformCredentials,
    StaticCredentials,
    parse_sts_answer,
)
from ._storage import Storage, StorageObject

__all__ = [
    "Cache",
    "CredentialProvider",
    "CredentialRoutes",
    "Credentials",
    "PlatformCredentials",
    "StaticCredentials",
    "Storage",
    "StorageObject",
    "cache_from_environment",
    "parse_sts_answer",
]

for _public in (Storage, StorageObject):  # brevetti_job.X however it was loaded (lazily)
    _public.__module__ = "brevetti_job"
del _public
