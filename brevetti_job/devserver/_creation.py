"""What a new job gets from its schema: the platform UI JSON and validated settings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from brevetti_schema import (
    Schema,
    SchemaError,
    emit_platform_ui,
    encode_settings,
    load_schema,
    load_schema_text,
    resolve_settings,
)

__all__ = ["job_settings", "schema_from_data"]


def schema_from_data(source: Any) -> Schema:
    """A schema from what the admin API accepts: UI JSON, our format as data, or YAML text.

    A mapping whose ``fields`` is a list is a platform UI JSON document; any other
    mapping is our authoring format as JSON data; text is our YAML/JSON authoring file.
    """
    if isinstance(source, Schema):
        return source
    if isinstance(source, Mapping):
        if isinstance(source.get("fields"), list):
            return load_schema(source)
        return load_schema_text(json.dumps(source), source="<schema>")
    if isinstance(source, str):
        return load_schema_text(source, source="<schema>")
    raise SchemaError.single("", "'schema' must be a JSON object or YAML text")


def job_settings(
    schema: Schema | None, settings: Mapping[str, Any] | None, preset: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The schema's platform UI JSON and the settings in transport form.

    Invalid settings or an unknown preset raise `SettingsError` (every problem). Without
    a schema the settings are kept as given and a preset cannot be used.
    """
    if schema is None:
        if preset is not None:
            raise SchemaError.single("", "a preset needs a schema")
        return None, dict(settings or {})
    resolved = resolve_settings(schema, dict(settings or {}), preset=preset, structure=False)
    return emit_platform_ui(schema), encode_settings(schema, resolved.tree, secrets="keep")
