"""The public API: the exported names are pinned, and every one of them resolves."""

from __future__ import annotations

import brevetti_job
import brevetti_schema
import brevetti_schema.compat

SCHEMA_API = {
    "MISSING", "BrevettiSchemaError", "Condition", "Field", "Heading", "Kind", "Option",
    "PreviewApp", "Resolved", "Schema", "SchemaBuilder", "SchemaError", "SchemaProblem", "Secret", "Section",
    "SectionBuilder", "SettingsError", "SettingsProblem", "__version__", "all_of", "any_of",
    "defaults", "derive_label", "dump_defaults_yaml", "dump_json_schema", "dump_platform_ui",
    "dump_schema_yaml", "emit_json_schema", "emit_platform_ui", "encode_settings", "equals",
    "format_schema", "generate_source", "load_platform_ui", "load_schema", "load_schema_file",
    "load_schema_text", "load_settings_file", "load_settings_text", "masked_tree", "missing_assets", "not_equals", "one_of", "preset_settings",
    "resolve_settings", "schema_from_class", "schema_from_pydantic", "setting", "settings_class",
    "settings_target", "structure",
    "unstructure", "web_file_response",
}  # fmt: skip

COMPAT_API = {
    "SchemaBuilder", "apply_schema_to_model", "checkbox", "checklist", "field_class_mapping",
    "field_classes", "label", "number_input", "select", "text_area", "text_input", "to_schema",
    "VueSettingsModule", "SchemaBuilderFunc", "SchemaConfig", "from_pydantic_model",
    "build_from_pydantic_schema", "generate_application_schema", "parse_settings_args",
    "update_schema", "MissingSettingsError", "PresetError",
}  # fmt: skip


def test_schema_exports_are_pinned_and_resolve() -> None:
    assert set(brevetti_schema.__all__) == SCHEMA_API
    for name in brevetti_schema.__all__:
        assert getattr(brevetti_schema, name) is not None, name
    assert sorted(dir(brevetti_schema)) == sorted(SCHEMA_API)


def test_compat_exports() -> None:
    assert set(brevetti_schema.compat.__all__) >= COMPAT_API
    for name in brevetti_schema.compat.__all__:
        assert getattr(brevetti_schema.compat, name) is not None


def test_job_exports_resolve() -> None:
    assert {"Job", "SettingsError", "BrevettiJobError", "JobConfigError"} <= set(
        brevetti_job.__all__
    )
    for name in brevetti_job.__all__:
        assert getattr(brevetti_job, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        brevetti_schema.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_every_error_derives_from_the_package_base() -> None:
    assert issubclass(brevetti_schema.SchemaError, brevetti_schema.BrevettiSchemaError)
    assert issubclass(brevetti_schema.SettingsError, brevetti_schema.BrevettiSchemaError)
    assert issubclass(brevetti_schema.SettingsError, ValueError)
    for name in ("JobConfigError", "ArtifactPathError", "MetricError", "JobStateError"):
        assert issubclass(getattr(brevetti_job, name), brevetti_job.BrevettiJobError)
