"""What the dev server's pages show, gathered from the store as plain data (no HTML)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs

from brevetti_schema import MASK

from ._job_files import JobFiles, output_metrics
from ._object_space import ObjectSpace
from ._store import Store

__all__ = [
    "METRIC_COLUMNS",
    "SECRET_MASK",
    "JobSummary",
    "JobView",
    "html_artifacts",
    "human_size",
    "job_summaries",
    "job_view",
    "masked_settings",
    "metric_columns",
    "metric_rows",
    "numeric_metrics",
    "progress_chart",
    "progress_table",
    "secret_paths",
    "settings_rows",
    "value_text",
]

METRIC_COLUMNS: Final = 6
"""At most this many metric columns in the job list."""

SECRET_MASK: Final = MASK
"""What a page shows instead of a secret setting's value."""

_SECRET_NAME: Final = re.compile(r"(?i)password|passwd|secret|token|api_?key|credential")
"""Names of settings the schema does not declare that are masked all the same."""

_PROGRESS_META: Final = ("epoch", "time")
"""Keys of a progress record that are not metrics."""


@attrs.frozen
class JobSummary:
    """One job as the job list shows it."""

    id: str
    kind: str
    name: str
    status: str
    reason: str | None
    created_at: str | None
    ended_at: str | None
    metrics: Mapping[str, Any]
    has_schema: bool


@attrs.frozen
class JobView:
    """Everything the model page of one job shows."""

    summary: JobSummary
    model_path: str | None
    settings: Mapping[str, Any]
    secrets: frozenset[str]
    charts: Mapping[str, Any]
    progress: Sequence[Mapping[str, Any]]
    artifacts: Sequence[Mapping[str, Any]]
    package: Any = None
    """The completed model's package (a `_page_package.PackageView`), if it has one."""


def numeric_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The top-level metrics that are finite numbers (booleans are not numbers here)."""
    return {
        key: value
        for key, value in metrics.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    }


def job_output(store: Store, space: ObjectSpace | None, job_id: str) -> Any:
    """The job's output.json, from its storage folder (where the job writes it)."""
    return JobFiles(store, space).output(job_id)


def job_artifacts(store: Store, space: ObjectSpace | None, job_id: str) -> list[dict[str, Any]]:
    """The job's artifacts in its storage folder, sorted by name (``name``, ``size``,
    ``sha256``, ``etag``); output.json is shown as the metrics."""
    return JobFiles(store, space).artifacts(job_id)


def _summary(store: Store, job_id: str, space: ObjectSpace | None = None) -> JobSummary | None:
    meta = store.meta(job_id)
    if meta is None:
        return None
    status = {"metrics": output_metrics(job_output(store, space, job_id))}
    return JobSummary(
        id=meta["id"],
        kind=meta["kind"],
        name=meta["name"],
        status=meta["status"],
        reason=meta.get("reason"),
        created_at=meta.get("created_at"),
        ended_at=meta.get("ended_at"),
        metrics=status["metrics"],
        has_schema=store.schema(job_id) is not None,
    )


def job_summaries(store: Store, space: ObjectSpace | None = None) -> list[JobSummary]:
    """Every job in the store, newest first."""
    found = (_summary(store, job_id, space) for job_id in store.job_ids())
    jobs = [job for job in found if job is not None]
    return sorted(jobs, key=lambda job: (job.created_at or "", job.id), reverse=True)


def metric_columns(jobs: Iterable[JobSummary], limit: int = METRIC_COLUMNS) -> list[str]:
    """The numeric metrics most jobs report (ties: first seen), at most `limit`."""
    counts: Counter[str] = Counter()
    for job in jobs:
        counts.update(numeric_metrics(job.metrics).keys())  # keys: a mapping would add values
    order = {name: index for index, name in enumerate(counts)}
    ranked = sorted(counts, key=lambda name: (-counts[name], order[name]))
    return ranked[:limit]


def secret_paths(ui_json: Any) -> frozenset[str] | None:
    """Dotted paths of the password inputs of a platform UI JSON document (None: no schema)."""
    if not isinstance(ui_json, Mapping) or not isinstance(ui_json.get("fields"), list):
        return None
    return frozenset(
        record["model"]
        for record in ui_json["fields"]
        if isinstance(record, Mapping)
        and isinstance(record.get("model"), str)
        and record.get("inputType") == "password"
    )


def _declared_paths(ui_json: Any) -> frozenset[str]:
    fields = ui_json.get("fields", []) if isinstance(ui_json, Mapping) else []
    return frozenset(
        r["model"] for r in fields if isinstance(r, Mapping) and isinstance(r.get("model"), str)
    )


def job_view(store: Store, job_id: str, space: ObjectSpace | None = None) -> JobView | None:
    """The model page's data for a job, or None for an unknown job."""
    summary = _summary(store, job_id, space)
    meta = store.meta(job_id)
    if summary is None or meta is None:
        return None
    settings = meta["description"].get("settings") or {}
    ui_json = store.schema(job_id)
    declared = secret_paths(ui_json) or frozenset()
    known = _declared_paths(ui_json)
    guessed = {
        path
        for path, _ in _leaves(settings)
        if path not in known and _SECRET_NAME.search(path.rsplit(".", 1)[-1])
    }
    return JobView(
        summary=summary,
        model_path=meta.get("model_path"),
        settings=settings,
        secrets=declared | guessed,
        charts=store.charts(job_id),
        progress=[r for r in store.progress(job_id) if isinstance(r, Mapping)],
        artifacts=job_artifacts(store, space, job_id),
    )


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def value_text(value: Any) -> str:
    """A setting or metric as text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.6g}"
    return json.dumps(value, ensure_ascii=False)


def settings_rows(settings: Mapping[str, Any], secrets: frozenset[str]) -> list[tuple[str, str]]:
    """(dotted path, value text) per setting, secrets masked (an empty secret shows empty)."""
    rows = []
    for path, value in _leaves(settings):
        shown = SECRET_MASK if path in secrets and value not in (None, "") else value_text(value)
        rows.append((path, shown))
    return rows


def masked_settings(settings: Mapping[str, Any], secrets: frozenset[str]) -> dict[str, Any]:
    """The settings tree with each secret's value replaced by the mask."""

    def mask(tree: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in tree.items():
            path = f"{prefix}{key}"
            if isinstance(value, Mapping) and value:
                out[key] = mask(value, f"{path}.")
            elif path in secrets and value not in (None, ""):
                out[key] = SECRET_MASK
            else:
                out[key] = value
        return out

    return mask(settings, "")


def metric_rows(metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(dotted name, value text) per metric; nested mappings are flattened."""
    return [(name, value_text(value)) for name, value in _leaves(metrics)]


def _progress_step(record: Mapping[str, Any], index: int) -> float:
    epoch = record.get("epoch")
    if isinstance(epoch, int | float) and not isinstance(epoch, bool):
        return epoch
    return index + 1


def progress_table(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The progress records as a table: metric columns (first seen order) and rows."""
    columns: dict[str, None] = {}
    for record in records:
        columns.update((key, None) for key in record if key not in _PROGRESS_META)
    rows = []
    for index, record in enumerate(records):
        step = value_text(_progress_step(record, index))
        cells = [value_text(record[c]) if c in record else "" for c in columns]
        rows.append([step, *cells])
    return list(columns), rows


def progress_chart(records: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """A Vega-Lite line chart of every numeric progress metric per epoch (None: no data)."""
    values = [
        {"epoch": _progress_step(record, index), "metric": key, "value": value}
        for index, record in enumerate(records)
        for key, value in numeric_metrics(record).items()
        if key not in _PROGRESS_META
    ]
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": values},
        "width": "container",
        "height": 260,
        "mark": {"type": "line", "point": True, "tooltip": True},
        "encoding": {
            "x": {
                "field": "epoch",
                "type": "quantitative",
                "title": "epoch",
                "axis": {"tickMinStep": 1, "format": "~g"},
            },
            "y": {"field": "value", "type": "quantitative", "title": None},
            "color": {"field": "metric", "type": "nominal", "title": "metric"},
        },
    }


def html_artifacts(artifacts: Iterable[Mapping[str, Any]]) -> list[str]:
    """Names of the ``.html`` artifacts at the artifacts root (shown inline, sandboxed)."""
    return [
        a["name"]
        for a in artifacts
        if "/" not in a["name"] and a["name"].lower().endswith((".html", ".htm"))
    ]


def human_size(size: int) -> str:
    """A byte count for people: ``512 B``, ``1.5 KiB``, ``3.2 MiB``."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
