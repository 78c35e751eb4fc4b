"""The user side of the platform: the web API client (`PlatformAPI`) and its records."""

from ._platform_api import PlatformAPI
from ._records import (
    Artifact,
    DatasetRecord,
    Model,
    ModelType,
    Organization,
    Project,
    Tag,
    TestReport,
)

__all__ = [
    "Artifact",
    "DatasetRecord",
    "Model",
    "ModelType",
    "Organization",
    "PlatformAPI",
    "Project",
    "Tag",
    "TestReport",
]

for _name in __all__:  # brevetti_job.X however it was loaded (lazily)
    globals()[_name].__module__ = "brevetti_job"
del _name
