"""Declare a job's settings once; get the platform form, a JSON Schema and typed classes.

The public API of `brevetti_schema`; everything in a `_module` is private. Back ends
that pull in heavier libraries (YAML, jsonschema, cattrs, code generation) load on first
use, so ``import brevetti_schema`` stays cheap.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ._builder import SchemaBuilder, SectionBuilder
from ._conditions import all_of, any_of, equals, not_equals, one_of
from ._errors import (
    BrevettiError,
    BrevettiSchemaError,
    SchemaError,
    SchemaProblem,
    SettingsError,
    SettingsProblem,
)
from ._model import MISSING, Condition, Field, Heading, Kind, Option, Schema, Section, derive_label
from ._pipeline import Resolved, encode_settings, masked_tree, resolve_settings
from ._secret import Secret
from ._sources import load_schema

if TYPE_CHECKING:
    from ._attrs_classes import settings_class, structure, unstructure
    from ._class_first import schema_from_class, setting
    from ._codegen import generate_source
    from ._defaults import defaults, dump_defaults_yaml, preset_settings
    from ._format_schema import format_schema
    from ._json_schema import dump_json_schema, emit_json_schema
    from ._platform_ui import dump_platform_ui, emit_platform_ui
    from ._platform_ui_load import load_platform_ui
    from ._preview import PreviewApp, missing_assets, web_file_response
    from ._pydantic_first import schema_from_pydantic, settings_target
    from ._settings_files import load_settings_file, load_settings_text
    from ._yaml_dump import dump_schema_yaml
    from ._yaml_format import load_schema_file, load_schema_text

__version__ = "0.1.0"

# a library logs, the application decides where it goes (no "last resort" printing)
logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    "settings_class": "_attrs_classes",
    "structure": "_attrs_classes",
    "unstructure": "_attrs_classes",
    "schema_from_class": "_class_first",
    "setting": "_class_first",
    "generate_source": "_codegen",
    "defaults": "_defaults",
    "dump_defaults_yaml": "_defaults",
    "preset_settings": "_defaults",
    "format_schema": "_format_schema",
    "dump_json_schema": "_json_schema",
    "emit_json_schema": "_json_schema",
    "dump_platform_ui": "_platform_ui",
    "emit_platform_ui": "_platform_ui",
    "load_platform_ui": "_platform_ui_load",
    "PreviewApp": "_preview",
    "missing_assets": "_preview",
    "web_file_response": "_preview",
    "schema_from_pydantic": "_pydantic_first",
    "settings_target": "_pydantic_first",
    "dump_schema_yaml": "_yaml_dump",
    "load_schema_file": "_yaml_format",
    "load_schema_text": "_yaml_format",
    "load_settings_file": "_settings_files",
    "load_settings_text": "_settings_files",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    _publish(value)
    globals()[name] = value
    return value


def _publish(value: Any) -> None:
    """Report a public class or function as ours (``brevetti_schema.X``), as httpx does."""
    module = getattr(value, "__module__", None)
    if (isinstance(value, type) or callable(value)) and str(module).startswith(f"{__name__}."):
        value.__module__ = __name__


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "MISSING",
    "BrevettiError",
    "BrevettiSchemaError",
    "Condition",
    "Field",
    "Heading",
    "Kind",
    "Option",
    "PreviewApp",
    "Resolved",
    "Schema",
    "SchemaBuilder",
    "SchemaError",
    "SchemaProblem",
    "Secret",
    "Section",
    "SectionBuilder",
    "SettingsError",
    "SettingsProblem",
    "__version__",
    "all_of",
    "any_of",
    "defaults",
    "derive_label",
    "dump_defaults_yaml",
    "dump_json_schema",
    "dump_platform_ui",
    "dump_schema_yaml",
    "emit_json_schema",
    "emit_platform_ui",
    "encode_settings",
    "equals",
    "format_schema",
    "generate_source",
    "load_platform_ui",
    "load_schema",
    "load_schema_file",
    "load_schema_text",
    "load_settings_file",
    "load_settings_text",
    "masked_tree",
    "missing_assets",
    "not_equals",
    "one_of",
    "preset_settings",
    "resolve_settings",
    "schema_from_class",
    "schema_from_pydantic",
    "setting",
    "settings_class",
    "settings_target",
    "structure",
    "unstructure",
    "web_file_response",
]

for _name in __all__:
    if _name in globals() and not _name.startswith("_"):
        _publish(globals()[_name])
del _name
