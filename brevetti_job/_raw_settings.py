"""The raw settings of a job before the pipeline: description, settings file, mapping.

Later sources win key by key (nested mappings merge). Without a schema, the tree is
handed to user code as a deeply read-only mapping (`brevetti_schema.freeze`: a `dict`
that JSON and YAML take as it is).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from brevetti_schema import freeze, merge_settings, set_setting

from ._errors import JobConfigError

__all__ = ["freeze", "gather_raw_settings", "read_local_settings", "set_setting"]


def _read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    from brevetti_schema import load_settings_file  # noqa: PLC0415 - YAML only when given

    try:
        return load_settings_file(path)
    except FileNotFoundError:
        raise JobConfigError(f"no settings file at {Path(path)}") from None


def read_local_settings(
    settings_file: str | None, given: Mapping[str, Any] | str | os.PathLike[str] | None
) -> tuple[Mapping[str, Any], ...]:
    """The ``--settings`` file, then `Job.init`'s own settings, read before the job starts.

    A file that is missing or does not parse raises here, before anything is written
    or sent.
    """
    trees: list[Mapping[str, Any]] = []
    if settings_file:
        trees.append(_read_file(settings_file))
    if isinstance(given, Mapping):
        trees.append(given)
    elif given is not None:
        trees.append(_read_file(given))
    return tuple(trees)


def gather_raw_settings(
    described: Mapping[str, Any], local: tuple[Mapping[str, Any], ...]
) -> dict[str, Any]:
    """The description's settings, with the local ones (`read_local_settings`) over them."""
    return merge_settings(described, *local)
