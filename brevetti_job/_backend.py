"""Where a job's records go besides its own folder.

The job always writes its files locally (info.json, artifacts, output.json, charts,
progress log, status). A backend forwards the same records to a platform; local mode
uses `LocalBackend`, which forwards nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Backend", "LocalBackend"]


class Backend(Protocol):
    """What a job tells its platform. Every call must be safe to retry."""

    mode: str

    def put_output(self, document: Mapping[str, Any]) -> None:
        """The current output.json."""

    def put_artifact(self, name: str, path: Path) -> None:
        """An artifact stored at `path`, named relative to the artifacts folder."""

    def sync_artifacts(self) -> int:
        """Every file under artifacts/ changed since last time; how many were recorded."""

    def post_chart(self, name: str, spec: Mapping[str, Any]) -> None:
        """A Vega-Lite chart."""

    def post_progress(self, record: Mapping[str, Any]) -> None:
        """One progress record (``epoch`` and metrics)."""

    def complete(self, model_path: str, params: Sequence[tuple[str, str]] = ()) -> None:
        """The job completed; `model_path` is relative to the job folder ("" for none);
        `params` are extra query parameters of the completion call."""

    def fail(self, reason: str) -> None:
        """The job failed for `reason`."""

    def close(self) -> None:
        """Flush what is pending and release resources."""


class LocalBackend:
    """Local mode: the job's own files are the whole record; nothing is forwarded."""

    mode = "local"

    def put_output(self, document: Mapping[str, Any]) -> None:
        """Nothing to forward: output.json is already on disk."""

    def put_artifact(self, name: str, path: Path) -> None:
        """Nothing to forward: the artifact is already on disk."""

    def sync_artifacts(self) -> int:
        """Nothing to forward: the artifacts are already on disk."""
        return 0

    def post_chart(self, name: str, spec: Mapping[str, Any]) -> None:
        """Nothing to forward: the chart is already on disk."""

    def post_progress(self, record: Mapping[str, Any]) -> None:
        """Nothing to forward: the progress log is already on disk."""

    def complete(self, model_path: str, params: Sequence[tuple[str, str]] = ()) -> None:
        """Nothing to forward: status.json records the completion."""

    def fail(self, reason: str) -> None:
        """Nothing to forward: status.json records the failure."""

    def close(self) -> None:
        """Nothing to release."""
