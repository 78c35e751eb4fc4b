"""The job description (``info.json``): what the platform tells a job about itself."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from brevetti_schema import MASK

from ._errors import JobConfigError

if TYPE_CHECKING:
    from ._datasets import Dataset

__all__ = ["MASK", "JobDescription", "new_job_id"]


_KNOWN: Final = (
    "id", "name", "run_id", "api_key", "host_name", "settings", "datasets", "models",
    "tags", "parent", "complete_url", "charts_url", "remote_url",
)  # fmt: skip


def new_job_id() -> str:
    """A fresh local job id: sortable by time, unique enough for one machine."""
    return time.strftime("local-%Y%m%d-%H%M%S-") + os.urandom(3).hex()


def _dataset(data: Any) -> Dataset:
    """A dataset record of the description, every key kept; one without a ``bucket`` keeps
    an empty one here (the job places it in its data bucket, ``<data bucket>/<id>``)."""
    from ._datasets import Dataset  # noqa: PLC0415 - loaded for a description with datasets

    if isinstance(data, Mapping) and data.get("id") and not data.get("bucket"):
        return attrs.evolve(Dataset.from_json(data, data_bucket="unplaced:"), bucket="")
    return Dataset.from_json(data)


def _url_repr(url: str | None) -> str:
    """A description URL as the repr shows it: any ``key=`` query masked."""
    return repr(None if url is None else _mask_url_key(url))


@attrs.frozen
class JobDescription:
    """The parsed ``info.json``; keys we do not know are kept in `extra`.

    `api_key` is excluded from the repr; `to_json(mask=True)` masks it.
    """

    id: str
    name: str = ""
    run_id: str | None = None
    api_key: str | None = attrs.field(default=None, repr=False)
    host_name: str | None = None
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    datasets: tuple[Dataset, ...] = ()
    models: tuple[Mapping[str, Any], ...] = ()
    tags: tuple[Any, ...] = ()
    parent: Any = None
    complete_url: str | None = attrs.field(default=None, repr=_url_repr)
    charts_url: str | None = attrs.field(default=None, repr=_url_repr)
    remote_url: str | None = attrs.field(default=None, repr=_url_repr)
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_json(cls, data: Any, *, source: str = "job description") -> JobDescription:
        """Parse a description; tells which key is wrong, never echoing the API key."""
        if not isinstance(data, Mapping):
            raise JobConfigError(f"{source}: expected a JSON object")
        if not data.get("id"):
            raise JobConfigError(f"{source}: the description has no 'id'")
        settings = data.get("settings") or {}
        if isinstance(settings, str):
            try:
                settings = json.loads(settings)
            except json.JSONDecodeError:
                raise JobConfigError(f"{source}: 'settings' is not a JSON object") from None
        if not isinstance(settings, Mapping):
            raise JobConfigError(f"{source}: 'settings' must be an object")
        datasets = data.get("datasets") or []
        if not isinstance(datasets, list):
            raise JobConfigError(f"{source}: 'datasets' must be a list")
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or data["id"]),
            run_id=_opt(data.get("run_id")),
            api_key=_opt(data.get("api_key")),
            host_name=_opt(data.get("host_name")),
            settings=dict(settings),
            datasets=tuple(_dataset(d) for d in datasets),
            models=tuple(m for m in data.get("models") or [] if isinstance(m, Mapping)),
            tags=tuple(data.get("tags") or ()),
            parent=data.get("parent"),
            complete_url=_opt(data.get("complete_url")),
            charts_url=_opt(data.get("charts_url")),
            remote_url=_opt(data.get("remote_url")),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )

    @classmethod
    def from_file(cls, path: Path) -> JobDescription:
        """Read ``info.json``; a missing or broken file is a `JobConfigError`."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise JobConfigError(f"no job description at {path}") from None
        except json.JSONDecodeError as exc:
            raise JobConfigError(
                f"{path}:{exc.lineno}:{exc.colno}: the job description is not JSON: {exc.msg}"
            ) from None
        return cls.from_json(data, source=str(path))

    def to_json(
        self, *, mask: bool = True, settings: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The description as JSON data; URLs with a ``key=`` query are masked too."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "run_id": self.run_id,
            "api_key": (MASK if mask and self.api_key else self.api_key),
            "host_name": self.host_name,
            "settings": dict(settings if settings is not None else self.settings),
            "datasets": [d.to_json() for d in self.datasets],
            "models": [dict(m) for m in self.models],
            "tags": list(self.tags),
            "parent": self.parent,
        }
        for key in ("complete_url", "charts_url", "remote_url"):
            value = getattr(self, key)
            if value is not None:
                data[key] = _mask_url_key(value) if mask else value
        data.update(self.extra)
        if mask:
            data = _mask_keys(data, self.api_key)
        return data


def _opt(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _mask_url_key(url: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit  # noqa: PLC0415

    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, MASK if k.lower() in ("key", "api_key") else v) for k, v in pairs]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def _mask_keys(data: Any, key: str | None) -> Any:
    """Replace the API key wherever it appears in unknown extra data as well."""
    if not key:
        return data
    if isinstance(data, str):
        return data.replace(key, MASK)
    if isinstance(data, Mapping):
        return {k: _mask_keys(v, key) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_mask_keys(v, key) for v in data]
    return data
