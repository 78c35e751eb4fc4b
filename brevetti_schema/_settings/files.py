"""Reading a settings document from a YAML or JSON file, the way schema files are read.

YAML 1.2 core scalars (``no`` stays text, ``2024-01-31`` stays text, ``1e-3`` is a
number), composed safely (no tag can build an object), duplicate keys refused; a broken
file names its line and column.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .._errors import SchemaError, SettingsError, SettingsProblem

__all__ = ["load_settings_file", "load_settings_text"]


def load_settings_text(text: str, *, source: str = "<string>") -> dict[str, Any]:
    """A settings tree from YAML or JSON text; `SettingsError` locating what is wrong."""
    from .._authoring.yaml_format import compose_data  # noqa: PLC0415 - YAML only when a file is read

    try:
        data = compose_data(text, source=source)
    except SchemaError as exc:
        raise _settings_error(exc) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(
            [
                SettingsProblem(
                    (),
                    "not_a_mapping",
                    "",
                    f"{source}: settings must be a mapping at the top level",
                )
            ]
        )
    return data


def load_settings_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A settings tree from a ``.yaml``/``.yml``/``.json`` file (see the module docstring).

    A file too large, unreadable or not UTF-8 is a `SettingsError` too, checked before
    it is parsed.
    """
    from .._authoring.yaml_format import read_document  # noqa: PLC0415 - YAML only when a file is read

    file = Path(path)
    try:
        text = read_document(file)
    except SchemaError as exc:
        raise _settings_error(exc) from None
    return load_settings_text(text, source=str(file))


def _settings_error(exc: SchemaError) -> SettingsError:
    return SettingsError(
        [
            SettingsProblem(
                p.path, "invalid_file", "", _located(p.message, p.source, p.line, p.column)
            )
            for p in exc.problems
        ]
    )


def _located(message: str, source: str | None, line: int | None, column: int | None) -> str:
    where = source or ""
    if line is not None:
        where += f":{line}" + (f":{column}" if column is not None else "")
    return f"{where}: {message}" if where else message
