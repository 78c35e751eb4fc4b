"""A job's ``info.json`` as the platform writes it into the job's storage folder.

Both ways of making a job (the job API's ``POST /api/jobs`` and the web API's new model
or report) write it, so it lives here rather than in either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._store import KINDS

__all__ = ["info_document"]


def info_document(record: Mapping[str, Any], key: str, host: str) -> dict[str, Any]:
    """``info.json`` of a job's record: the description with the job's key, its host and
    the job call URLs carrying ``?key=`` (job-contract.md)."""
    description = dict(record["description"])
    base = f"/api/{KINDS[record['kind']]}/{record['id']}"
    return {
        "id": description.pop("id"),
        "name": description.pop("name"),
        "run_id": description.pop("run_id", None),
        "api_key": key,
        "host_name": host,
        **description,
        "complete_url": f"{base}/complete?key={key}&modelPath=",
        "charts_url": f"{base}/charts?key={key}",
        "remote_url": f"{base}/remotemonitor?key={key}",
    }
