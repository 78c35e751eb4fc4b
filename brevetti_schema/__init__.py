"""Declare a job's settings once; get the platform form, a JSON Schema and typed classes.

The public API of `brevetti_schema`; everything in a `_module` is private. Back ends
that pull in heavier libraries (YAML, jsonschema, cattrs, code generation) load on first
use, so ``import brevetti_schema`` stays cheap.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ._authoring.sources import load_schema
from ._errors import (
    BrevettiError,
    BrevettiSchemaError,
    SchemaError,
    SchemaProblem,
    SettingsError,
    SettingsProblem,
)
from ._model.nodes import (
    MISSING,
    Condition,
    Field,
    Heading,
    Kind,
    Option,
    Schema,
    Section,
    derive_label,
)
from ._model.secret import MASK, Secret
from ._model.trees import merge_settings, set_setting
from ._settings.pipeline import Resolved, encode_settings, masked_tree, resolve_settings

if TYPE_CHECKING:
    from ._authoring.builder import SchemaBuilder, SectionBuilder
    from ._authoring.class_first import schema_from_class, setting
    from ._authoring.platform_ui_load import load_platform_ui
    from ._authoring.pydantic_first import schema_from_pydantic, settings_target
    from ._authoring.yaml_format import load_schema_file, load_schema_text
    from ._emit.classes.attrs_classes import settings_class
    from ._emit.classes.codegen import generate_source
    from ._emit.classes.conversion import structure, unstructure
    from ._emit.defaults import defaults, dump_defaults_yaml, preset_settings
    from ._emit.format_schema import format_schema
    from ._emit.json_schema import dump_json_schema, emit_json_schema
    from ._emit.platform_ui import dump_platform_ui, emit_platform_ui
    from ._emit.yaml_dump import dump_schema_yaml
    from ._model.conditions import all_of, any_of, equals, not_equals, one_of
    from ._model.frozen import FrozenDict, FrozenList, freeze
    from ._settings.files import load_settings_file, load_settings_text
    from ._settings.into import check_settings_class

__version__ = "0.1.0"

# a library logs, the application decides where it goes (no "last resort" printing)
logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    "SchemaBuilder": "_authoring.builder",
    "SectionBuilder": "_authoring.builder",
    "all_of": "_model.conditions",
    "any_of": "_model.conditions",
    "equals": "_model.conditions",
    "not_equals": "_model.conditions",
    "one_of": "_model.conditions",
    "check_settings_class": "_settings.into",
    "FrozenDict": "_model.frozen",
    "FrozenList": "_model.frozen",
    "freeze": "_model.frozen",
    "settings_class": "_emit.classes.attrs_classes",
    "structure": "_emit.classes.conversion",
    "unstructure": "_emit.classes.conversion",
    "schema_from_class": "_authoring.class_first",
    "setting": "_authoring.class_first",
    "generate_source": "_emit.classes.codegen",
    "defaults": "_emit.defaults",
    "dump_defaults_yaml": "_emit.defaults",
    "preset_settings": "_emit.defaults",
    "format_schema": "_emit.format_schema",
    "dump_json_schema": "_emit.json_schema",
    "emit_json_schema": "_emit.json_schema",
    "dump_platform_ui": "_emit.platform_ui",
    "emit_platform_ui": "_emit.platform_ui",
    "load_platform_ui": "_authoring.platform_ui_load",
    "schema_from_pydantic": "_authoring.pydantic_first",
    "settings_target": "_authoring.pydantic_first",
    "dump_schema_yaml": "_emit.yaml_dump",
    "load_schema_file": "_authoring.yaml_format",
    "load_schema_text": "_authoring.yaml_format",
    "load_settings_file": "_settings.files",
    "load_settings_text": "_settings.files",
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
    "MASK",
    "MISSING",
    "BrevettiError",
    "BrevettiSchemaError",
    "Condition",
    "Field",
    "FrozenDict",
    "FrozenList",
    "Heading",
    "Kind",
    "Option",
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
    "check_settings_class",
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
    "freeze",
    "generate_source",
    "load_platform_ui",
    "load_schema",
    "load_schema_file",
    "load_schema_text",
    "load_settings_file",
    "load_settings_text",
    "masked_tree",
    "merge_settings",
    "not_equals",
    "one_of",
    "preset_settings",
    "resolve_settings",
    "schema_from_class",
    "schema_from_pydantic",
    "set_setting",
    "setting",
    "settings_class",
    "settings_target",
    "structure",
    "unstructure",
]

for _name in __all__:
    if _name in globals() and not _name.startswith("_"):
        _publish(globals()[_name])
del _name
