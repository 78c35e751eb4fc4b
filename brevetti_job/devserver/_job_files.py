"""What a job wrote into its storage folder, as the dev platform's pages and APIs show it.

A job writes its files (``artifacts/``, ``artifacts/output.json``) into its storage
folder ``<data bucket>/<job id>`` in the object store, as on the platform; the dev
platform reads them from there with the store's admin keys. Each artifact's sha256 (for
downloads that check it) is computed once per ETag and kept in the store's records.
"""

from __future__ import annotations

import hashlib
from typing import IO, Any, Final

from ._object_space import ObjectSpace
from ._store import CHUNK, Store, StoreError, check_artifact_name

__all__ = ["OUTPUT", "JobFiles", "output_metrics"]

OUTPUT: Final = "output.json"
"""The job's output document, under ``artifacts/`` (shown as the metrics, not listed)."""


def output_metrics(output: Any) -> dict[str, Any]:
    """The metrics of an output.json document (its ``output`` mapping), else empty."""
    metrics = output.get("output") if isinstance(output, dict) else None
    return metrics if isinstance(metrics, dict) else {}


class JobFiles:
    """The files in the jobs' storage folders (none without an object store)."""

    def __init__(self, store: Store, space: ObjectSpace | None) -> None:
        self.store = store
        self.space = space

    def output(self, job_id: str) -> Any:
        """The job's output.json, or ``None``."""
        if self.space is None:
            return None
        return self.space.read_json(f"{job_id}/artifacts/{OUTPUT}")

    def artifacts(self, job_id: str) -> list[dict[str, Any]]:
        """The job's artifacts but output.json, sorted by name: ``name``, ``size``,
        ``sha256``, ``etag``."""
        if self.space is None:
            return []
        found = []
        for item in self.space.artifacts(job_id):
            name = str(item["name"])
            if name == OUTPUT:
                continue
            sha256 = self._sha256(job_id, name, str(item["etag"]), int(item["size"]))
            if sha256 is None:  # removed while it was listed
                continue
            found.append(
                {"name": name, "size": item["size"], "sha256": sha256, "etag": item["etag"]}
            )
        return sorted(found, key=lambda a: str(a["name"]))

    def artifact(self, job_id: str, name: str) -> dict[str, Any] | None:
        """One artifact's record (see `artifacts`), or ``None``."""
        try:
            name = check_artifact_name(name)
        except StoreError:
            return None
        if self.space is None or name == OUTPUT:
            return None
        key = f"{job_id}/artifacts/{name}"
        for item in self.space.objects(key):  # this key (and any that begin with it) only
            if item["key"] == key:
                sha256 = self._sha256(job_id, name, str(item["etag"]), int(item["size"]))
                if sha256 is None:  # removed while it was listed
                    return None
                return {"name": name, "size": item["size"], "sha256": sha256, "etag": item["etag"]}
        return None

    def open_checked(self, job_id: str, name: str) -> tuple[IO[bytes], int, str] | None:
        """An artifact's streaming body, size and sha256 (of exactly the version streamed),
        or ``None`` if there is none."""
        for _ in range(3):  # replaced between listing and reading: look again
            record = self.artifact(job_id, name)
            if record is None:
                return None
            assert self.space is not None
            key = f"{job_id}/artifacts/{record['name']}"
            opened = self.space.open(key, etag=str(record["etag"]))
            if opened is not None:
                return opened[0], opened[1], str(record["sha256"])
        return None

    def digests(self, job_id: str, files: list[dict[str, Any]]) -> dict[str, str]:
        """The sha256 of each listed file (``name``, ``etag``, ``size``) by name, from one
        look at the noted ones; a file removed since it was listed is left out."""
        known = self.store.file_digests(job_id)
        found: dict[str, str] = {}
        for item in files:
            name, etag, size = str(item["name"]), str(item["etag"]), int(item["size"])
            noted = known.get(name)
            if noted is not None and noted[0] == etag and noted[1] == size:
                found[name] = noted[2]
                continue
            sha256 = self._sha256(job_id, name, etag, size)
            if sha256 is not None:
                found[name] = sha256
        return found

    def _sha256(self, job_id: str, name: str, etag: str, size: int) -> str | None:
        known = self.store.file_digest(job_id, name, etag, size)
        if known is not None:
            return known
        assert self.space is not None
        opened = self.space.open(f"{job_id}/artifacts/{name}")
        if opened is None:
            return None
        body, _ = opened
        digest = hashlib.sha256()
        try:
            while block := body.read(CHUNK):
                digest.update(block)
        finally:
            body.close()
        sha256 = digest.hexdigest()
        self.store.note_file_digest(job_id, name, etag, size, sha256)
        return sha256
