"""The web API's resources as frozen records (snake_case fields from camelCase JSON).

Each record keeps the whole answer in `raw`, so keys it has no field for are not lost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

__all__ = [
    "Artifact",
    "DatasetRecord",
    "Model",
    "ModelType",
    "Organization",
    "Project",
    "Tag",
    "TestReport",
    "from_json",
]

R = TypeVar("R")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _raw(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _ids(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(str(v["id"] if isinstance(v, Mapping) else v) for v in value)


def from_json(cls: type[R], data: Any) -> R:
    """A record of `cls` from an answer object (camelCase or snake_case keys)."""
    if not isinstance(data, Mapping):
        from .._errors import PlatformError  # noqa: PLC0415 - avoids an import cycle

        raise PlatformError(f"expected a {cls.__name__} object from the platform, got {data!r:.80}")
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        if field.name == "raw" or not field.init:
            continue
        for key in (_camel(field.name), field.name):
            if key in data:
                value = data[key]
                if field.converter is None and value is None and field.default is not attrs.NOTHING:
                    continue
                values[field.name] = value
                break
    return cls(**values, raw=data)  # type: ignore[call-arg]


@attrs.frozen
class Organization:
    """An organisation the user belongs to."""

    id: str
    name: str = ""
    is_current: bool = False
    is_primary: bool = False
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_raw, repr=False, eq=False)


def _tags(value: Any) -> tuple[Tag, ...]:
    return tuple(from_json(Tag, t) for t in value or ())


@attrs.frozen
class Tag:
    """A tag, with its children (the platform's tag tree)."""

    id: str
    name: str = ""
    parent_id: str | None = None
    created: str | None = None
    children: tuple[Tag, ...] = attrs.field(default=(), converter=_tags)
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_raw, repr=False, eq=False)


@attrs.frozen
class DatasetRecord:
    """A dataset as the web API describes it."""

    id: str
    name: str = ""
    bucket: str | None = None
    created: str | None = None
    locked: bool = False
    reference: str = ""
    notes: str = ""
    tag_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    tags: tuple[Tag, ...] = attrs.field(default=(), converter=_tags)
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_raw, repr=False, eq=False)


@attrs.frozen
class ModelType:
    """A model or report type; `schema` is its settings schema once loaded."""

    id: str
    name: str = ""
    status: int = 0
    version: Any = None
    short_description: str | None = None
    long_description: str | None = None
    settings_schema_name: str | None = None
    settings_schema_path: str | None = None
    docker_image: str | None = None
    report_type_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    model_type_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_raw, repr=False, eq=False)
    schema: Any = attrs.field(default=None, eq=False, repr=False)
    """The settings schema as a `brevetti_schema.Schema` (from `get_model_type`)."""


def _settings_text(value: Any) -> str:
    if value is None:
        return "{}"
    return value if isinstance(value, str) else json.dumps(value)


@attrs.frozen
class _JobRecord:
    id: str
    name: str = ""
    created: str | None = None
    started: str | None = None
    completed: str | None = None
    job_id: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    settings: str = attrs.field(default="{}", converter=_settings_text)
    datasets: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    tag_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)

    @property
    def settings_dict(self) -> dict[str, Any]:
        """The settings (sent as a JSON-encoded string) as data."""
        value = json.loads(self.settings or "{}")
        return value if isinstance(value, dict) else {}

    @property
    def has_api_key(self) -> bool:
        """True if the platform gave this job a key."""
        return bool(self.api_key) and self.api_key != "<NO_API_KEY>"


@attrs.frozen
class Model(_JobRecord):
    """A model (a training job and what it produced)."""

    model_type_id: str | None = None
    model_type_status: int = 0
    model_url: str | None = None
    version: Any = None
    report_type_ids: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    has_deployments: bool = False
    application_id: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_raw, repr=False, eq=False)


@attrs.frozen
class TestReport(_JobRecord):
    """A test report (a report job run on models and datasets)."""

    __test__ = False  # not a pytest test class

    parent_id: str | None = None
    parent_type: str | None = None
    parent_name: str | None = None
    report_type_id: str | None = None
    report_type_name: str | None = None
    models: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    project_id: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_raw, repr=False, eq=False)


def _apps(value: Any) -> tuple[Mapping[str, Any], ...]:
    return tuple(MappingProxyType(dict(a)) for a in value or ())


@attrs.frozen
class Project:
    """A project and its applications."""

    id: str
    name: str = ""
    description: str | None = None
    thumbnail: str | None = None
    created: str | None = None
    applications: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=_apps)
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_raw, repr=False, eq=False)


@attrs.frozen
class Artifact:
    """One entry of a model's or report's artifact listing (a file or a folder)."""

    name: str
    size: int = 0
    link: str | None = None
    mime_type: str | None = None
    is_prefix: bool = False
    last_modified: str | None = None
    sha256: str | None = None
    path: str = ""
    """The name below the artifacts folder (prefix included)."""
    raw: Mapping[str, Any] = attrs.field(factory=dict, converter=_raw, repr=False, eq=False)


def is_folder(entry: Mapping[str, Any]) -> bool:
    """True for a listing entry that is a sub-folder."""
    return bool(entry.get("isPrefix")) or entry.get("mimeType") == "folder"
