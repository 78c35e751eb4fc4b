"""The model page's "Model package" section: the manifest of a completed model's archive.

The archive the job completed with (its ``model_path``) is read from where the job put
it (the job API's artifact files or the job's folder in the object store) and checked
as `ModelPackage.verify` checks it: every asset's sha256 against the manifest and the
version in a versioned name. The page shows the assets with their sha256 and the
metadata, or why the archive failed its check. An ended job's archive cannot change
(writes to it are refused), so the result is kept per job and archive.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import IO, Any, Final

import attrs
from markupsafe import Markup

__all__ = ["MAX_CHECKED_BYTES", "PackageView", "PackageViews", "package_section"]

MAX_CHECKED_BYTES: Final = 2 * 1024**3
"""Archives larger than this are not read for the page (it says so)."""

_SHOWN_METADATA: Final = ("name", "id", "type", "version", "created", "producer")

Opener = Callable[[str], "tuple[IO[bytes], int, dict[str, str]] | None"]
"""Opens an artifact by name: its bytes, size and headers, or ``None`` when missing."""


@attrs.frozen
class PackageView:
    """What the page shows of a model archive: its manifest, or why it cannot."""

    path: str
    size: int | None = None
    manifest: Mapping[str, Any] | None = None
    problem: str | None = None


class PackageViews:
    """Reads and checks archives for the model page, remembering each result."""

    def __init__(self, max_bytes: int = MAX_CHECKED_BYTES) -> None:
        self.max_bytes = max_bytes
        self._known: dict[tuple[str, str], PackageView] = {}
        self._lock = threading.Lock()

    def view(self, job_id: str, model_path: str, open_artifact: Opener) -> PackageView:
        """The archive `model_path` of an ended job, checked (see the module docstring)."""
        with self._lock:
            known = self._known.get((job_id, model_path))
        if known is not None:
            return known
        result = self._read(model_path, open_artifact)
        if result.size is not None:  # read: kept (a missing archive may still arrive)
            with self._lock:
                self._known[(job_id, model_path)] = result
        return result

    def _read(self, model_path: str, open_artifact: Opener) -> PackageView:
        from .._errors import PackageError  # noqa: PLC0415
        from .._package import ModelPackage  # noqa: PLC0415 - only for a model page

        name = model_path.removeprefix("artifacts/")
        if not name.endswith(".tar.gz"):
            return PackageView(model_path, problem="not a model package (.tar.gz)")
        opened = open_artifact(name)
        if opened is None:
            return PackageView(model_path, problem="the archive is missing")
        stream, size, _ = opened
        with stream:
            if size > self.max_bytes:
                return PackageView(
                    model_path, size, problem=f"not checked here: larger than {self.max_bytes} B"
                )
            folder = Path(tempfile.mkdtemp(prefix="brevetti-page-package-"))
            try:
                local = folder / PurePosixPath(name).name  # the real name: its version counts
                with local.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1 << 20)
                manifest = ModelPackage.verify(local)
            except PackageError as exc:
                return PackageView(model_path, size, problem=str(exc))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        return PackageView(model_path, size, manifest=manifest)


def _text(value: Any) -> str:
    import json  # noqa: PLC0415

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def package_section(view: PackageView | None) -> Markup:
    """The section's content (empty for a job without a package)."""
    if view is None:
        return Markup("")
    if view.manifest is None:
        return Markup(
            '<p class="failure" data-testid="package-problem">{} <code>{}</code>: {}</p>'
        ).format("The model package", view.path, view.problem or "unreadable")
    manifest = view.manifest
    found = manifest.get("assets")
    assets: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    rows = Markup("").join(
        Markup(
            '<tr data-asset="{0}"><td>{0}</td><td><code>{1}</code></td>'
            '<td><code data-testid="asset-sha256">{2}</code></td></tr>'
        ).format(
            asset,
            entry.get("file", "") if isinstance(entry, Mapping) else "",
            str(entry.get("hash", "")).removeprefix("sha256:")
            if isinstance(entry, Mapping)
            else "",
        )
        for asset, entry in sorted(assets.items())
    )
    metadata = [(key, manifest[key]) for key in _SHOWN_METADATA if manifest.get(key) is not None]
    metadata += [
        (key, value)
        for key, value in sorted(manifest.items())
        if key not in (*_SHOWN_METADATA, "assets") and value is not None
    ]
    meta_rows = Markup("").join(
        Markup('<tr data-key="{0}"><th scope="row">{0}</th><td><code>{1}</code></td></tr>').format(
            key, _text(value)
        )
        for key, value in metadata
    )
    return Markup(
        '<p class="hint" data-testid="package-verified"><code>{path}</code>: every asset\'s '
        "sha256 checked against the manifest.</p>"
        '<table class="package-assets" data-testid="package-assets"><thead><tr><th>Asset</th>'
        "<th>File</th><th>sha256</th></tr></thead><tbody>{rows}</tbody></table>"
        '<table class="package-metadata" data-testid="package-metadata"><tbody>{meta}'
        "</tbody></table>"
    ).format(path=view.path, rows=rows, meta=meta_rows)
