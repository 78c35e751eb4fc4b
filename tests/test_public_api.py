"""The public API: the exported names are pinned, and every one of them resolves."""

from __future__ import annotations

import brevetti_job
import brevetti_schema
import brevetti_schema.compat

SCHEMA_API = {
    "MASK", "MISSING", "BrevettiError", "BrevettiSchemaError", "Condition", "Field", "FrozenDict", "FrozenList", "Heading", "Kind", "Option",
    "Resolved", "Schema", "SchemaBuilder", "SchemaError", "SchemaProblem", "Secret", "Section",
    "SectionBuilder", "SettingsError", "SettingsProblem", "__version__", "all_of", "any_of", "check_settings_class",
    "defaults", "derive_label", "dump_defaults_yaml", "dump_json_schema", "dump_platform_ui",
    "dump_schema_yaml", "emit_json_schema", "emit_platform_ui", "encode_settings", "equals",
    "format_schema", "freeze", "generate_source", "load_platform_ui", "load_schema", "load_schema_file",
    "load_schema_text", "load_settings_file", "load_settings_text", "masked_tree", "merge_settings", "not_equals", "one_of", "preset_settings",
    "resolve_settings", "schema_from_class", "schema_from_pydantic", "set_setting", "setting", "settings_class",
    "settings_target", "structure",
    "unstructure",
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


PREVIEW_API = {
    "ASSETS_HINT", "VENDOR", "VENDOR_DIR", "WEB_DIR", "PreviewApp", "VendorFolder", "check_report",
    "make_preview_server",
    "missing_assets", "vendor_files", "web_file_response",
}  # fmt: skip


def test_the_preview_is_its_own_public_module() -> None:
    import brevetti_schema.preview

    assert set(brevetti_schema.preview.__all__) == PREVIEW_API
    assert brevetti_schema.preview.PreviewApp.__module__ == "brevetti_schema.preview"
    assert not PREVIEW_API & set(dir(brevetti_schema))


def test_compat_exports() -> None:
    assert set(brevetti_schema.compat.__all__) >= COMPAT_API
    for name in brevetti_schema.compat.__all__:
        assert getattr(brevetti_schema.compat, name) is not None


JOB_API = {
    "Artifact", "ArtifactPathError", "BrevettiError", "BrevettiJobError", "Dataset",
    "DatasetRecord", "Job", "JobArgumentError", "JobArgumentTypeError", "JobConfigError", "JobDescription", "JobStateError", "MetricError",
    "Model", "ModelPackage", "ModelType", "OpenedPackage", "Organization", "PackageError",
    "PlatformAPI", "PlatformAuthError", "PlatformError", "PlatformUnavailable", "Project",
    "Sample", "SchemaError", "SettingsError", "Storage", "StorageError", "StorageNotFound",
    "StorageObject", "StoragePermissionError", "Tag", "TestReport", "__version__",
}  # fmt: skip


def test_job_exports_are_pinned_and_resolve() -> None:
    assert set(brevetti_job.__all__) == JOB_API
    for name in brevetti_job.__all__:
        assert getattr(brevetti_job, name) is not None, name


def test_public_names_report_the_package_as_their_module() -> None:
    for package in (brevetti_schema, brevetti_job):
        for name in package.__all__:
            value = getattr(package, name)
            if isinstance(value, type) and value.__module__.startswith(package.__name__):
                assert value.__module__ == package.__name__, name
    assert brevetti_schema.SchemaBuilder.__module__ == "brevetti_schema"
    assert brevetti_job.Job.__module__ == "brevetti_job"
    assert brevetti_job.PlatformAPI.__module__ == "brevetti_job"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        brevetti_schema.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_one_error_tree_for_both_packages() -> None:
    root = brevetti_schema.BrevettiError
    assert brevetti_job.BrevettiError is root
    assert issubclass(brevetti_schema.BrevettiSchemaError, root)
    assert issubclass(brevetti_job.BrevettiJobError, root)
    for name in brevetti_job.__all__:
        value = getattr(brevetti_job, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, root), name
    assert brevetti_job.SchemaError is brevetti_schema.SchemaError


def test_every_error_derives_from_the_package_base() -> None:
    assert issubclass(brevetti_schema.SchemaError, brevetti_schema.BrevettiSchemaError)
    assert issubclass(brevetti_schema.SettingsError, brevetti_schema.BrevettiSchemaError)
    assert issubclass(brevetti_schema.SettingsError, ValueError)
    for name in ("JobConfigError", "ArtifactPathError", "MetricError", "JobStateError"):
        assert issubclass(getattr(brevetti_job, name), brevetti_job.BrevettiJobError)
    # the storage errors: one small tree under the job errors, each also the OS error
    assert issubclass(brevetti_job.StorageError, brevetti_job.BrevettiJobError)
    for name, builtin in (
        ("StorageNotFound", FileNotFoundError),
        ("StoragePermissionError", PermissionError),
    ):
        error = getattr(brevetti_job, name)
        assert issubclass(error, brevetti_job.StorageError) and issubclass(error, builtin), name


def test_every_public_name_of_every_public_package_reports_that_package() -> None:
    import importlib

    for package in (
        "brevetti_schema", "brevetti_schema.compat", "brevetti_schema.preview", "brevetti_job",
        "brevetti_job.compat", "brevetti_job.devserver",
    ):  # fmt: skip
        module = importlib.import_module(package)
        for name in module.__all__:
            value = getattr(module, name)
            home = getattr(value, "__module__", None)
            if callable(value) and isinstance(home, str) and home.startswith(package + "._"):
                raise AssertionError(f"{package}.{name} reports {home}")


def test_the_dev_servers_errors_are_in_the_one_tree() -> None:
    import brevetti_job.devserver as devserver

    for name in ("StoreError", "RootLocked", "ObjectStoreError"):
        error = getattr(devserver, name)
        assert issubclass(error, brevetti_job.BrevettiJobError), name
        assert error.__module__ == "brevetti_job.devserver", name
    assert devserver.StoreError(404, "no such job").status == 404
