"""`load_schema`: one entry point from anything that declares a schema to the model.

Accepted: a `Schema`; a `SchemaBuilder`; a brevettiai-style compat builder; a settings
class that carries its schema (a live class, or the root class of a module from
``brevetti-schema codegen``); a class-first attrs class; a pydantic model class; a
platform UI JSON document (mapping); a path to a YAML/JSON authoring file or to a
platform UI JSON file; or ``"package.module:attr"`` naming any of these.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import attrs

from .._errors import SchemaError
from .._model import cache
from .._model.nodes import Kind, Schema

__all__ = ["load_schema"]


def load_schema(source: Any) -> Schema:
    """The schema model declared by `source` (see the module docstring)."""
    if isinstance(source, Schema):
        return source
    builder = sys.modules.get(f"{__package__}.builder")  # no builder before it is loaded
    if builder is not None and isinstance(source, builder.SchemaBuilder):
        return cast(Schema, source.build())
    if isinstance(source, os.PathLike):
        return _from_path(Path(source))
    if isinstance(source, str):
        if _looks_like_object_ref(source):
            return load_schema(_import_attr(source))
        return _from_path(Path(source))
    if isinstance(source, Mapping):
        from .platform_ui_load import load_platform_ui  # noqa: PLC0415

        return load_platform_ui(source)
    carried = _carried_schema(source)
    if carried is not None:
        return carried
    if isinstance(source, type) and hasattr(source, "__attrs_attrs__"):
        from .class_first import schema_from_class  # noqa: PLC0415

        return schema_from_class(source)
    if isinstance(source, type) and "pydantic" in sys.modules:
        from .pydantic_first import is_pydantic_model, schema_from_pydantic  # noqa: PLC0415

        if is_pydantic_model(source):
            return schema_from_pydantic(source)
    document = getattr(source, "schema", None)
    if isinstance(document, Mapping) and "fields" in document:
        from .platform_ui_load import load_platform_ui  # noqa: PLC0415

        return load_platform_ui(document)
    raise SchemaError.single(
        "",
        f"cannot read a schema from {type(source).__name__}: expected a Schema, a "
        "SchemaBuilder, an attrs class, a pydantic model class, a platform UI JSON document, "
        "a file path or 'module:attr'",
    )


def _carried_schema(source: Any) -> Schema | None:
    """The schema a settings class was made from, when it carries it as its own
    ``__brevetti_schema__``: a live root class (the `Schema`), or a generated root class
    (the authoring-format document as JSON text); its annotations alone lose bounds,
    conditions, the defaults of conditional fields and presets."""
    carried = vars(source).get("__brevetti_schema__") if isinstance(source, type) else None
    if isinstance(carried, Schema) and vars(source).get("__brevetti_path__") == "":
        return carried
    if isinstance(carried, str):
        from .yaml_format import load_schema_text  # noqa: PLC0415

        where = f"{source.__module__}.{source.__qualname__}.__brevetti_schema__"
        return load_schema_text(carried, source=where)
    return None


def _looks_like_object_ref(text: str) -> bool:
    module, sep, attr = text.partition(":")
    return (
        bool(sep)
        and bool(attr)
        and all(part.isidentifier() for part in module.split("."))
        and all(part.isidentifier() for part in attr.split("."))
    )


def _import_attr(reference: str) -> Any:
    module_name, _, attr = reference.partition(":")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise SchemaError.single("", f"cannot import {module_name!r}: {exc}") from None
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise SchemaError.single("", f"{module_name!r} has no attribute {attr!r}") from None
    if callable(target) and not isinstance(target, type) and not hasattr(target, "build"):
        target = target()
    return target


def _from_path(path: Path) -> Schema:
    if not path.is_file():
        raise SchemaError.single("", f"no such schema file: {path}{_close_name(path)}")
    suffix = path.suffix.lower()
    if suffix == ".json" and _is_platform_ui(path):
        from .platform_ui_load import load_platform_ui  # noqa: PLC0415

        return load_platform_ui(path, source=str(path))
    if suffix in (".yaml", ".yml", ".json"):
        return _authoring_file(path, suffix)
    raise SchemaError.single(
        "", f"{path}: unknown schema file type {suffix!r} (expected .yaml, .yml or .json)"
    )


_CACHED_BYTES = 1024 * 1024
"""The largest authoring file whose model the compile cache keeps."""


def _authoring_file(path: Path, suffix: str) -> Schema:
    """The model of a YAML/JSON authoring file, from the compile cache when it holds it
    (so a job's start imports no YAML parser); a file the cache cannot take (large,
    unreadable, not UTF-8) goes to the reader as it is, which words its problems."""
    text = _small_text(path)
    if text is None:
        from .yaml_format import load_schema_file  # noqa: PLC0415 - imports PyYAML

        return load_schema_file(path)
    material = f"{path}\0{path.resolve()}\0{text}"  # the path: in warnings
    found = cache.loaded("model", material)
    if isinstance(found, Schema):
        return found
    from .yaml_format import load_schema_text  # noqa: PLC0415 - imports PyYAML

    schema = load_schema_text(text, source=str(path))
    if not _declares_secret_values(schema):
        cache.keep("model", material, attrs.evolve(schema))  # its memo left behind
    return schema


def _declares_secret_values(schema: Schema) -> bool:
    """Whether the file may hold the value of a secret: a secret's default, a preset
    that sets it, or a condition that tests it (then its model is not kept on disk)."""
    secrets = {path for path, f in schema.fields() if f.kind is Kind.SECRET}
    if not secrets:
        return False
    if any(schema.find(path).has_default for path in secrets):  # type: ignore[union-attr]
        return True
    for preset in schema.presets.values():
        if any(_sets(preset, path.split(".")) for path in secrets):
            return True
    for _, node in schema.walk():
        condition = getattr(node, "visible_when", None)
        if condition is not None and secrets.intersection(condition.fields()):
            return True
    return False


def _sets(tree: Any, parts: list[str]) -> bool:
    """Whether the nested (or dotted) settings tree `tree` gives the path `parts` a value."""
    if not parts:
        return True
    if not isinstance(tree, Mapping):
        return False
    if ".".join(parts) in tree:
        return True
    return parts[0] in tree and _sets(tree[parts[0]], parts[1:])


def _small_text(path: Path) -> str | None:
    """The file's text when it is small UTF-8 (what the cache takes), else None."""
    try:
        with path.open("rb") as file:
            data = file.read(_CACHED_BYTES + 1)
        return data.decode("utf-8") if len(data) <= _CACHED_BYTES else None
    except (OSError, UnicodeDecodeError):
        return None


def _close_name(path: Path) -> str:
    """``"; did you mean 'x.yaml'?"`` for a file with a close name in the same folder."""
    import difflib  # noqa: PLC0415 - only for a missing file

    try:
        names = [
            child.name
            for child in path.parent.iterdir()
            if child.suffix.lower() in (".yaml", ".yml", ".json") and child.is_file()
        ]
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
    return f"; did you mean {str(path.with_name(close[0]))!r}?" if close else ""


def _is_platform_ui(path: Path) -> bool:
    """Whether a JSON file is a platform UI document (``fields`` is a list of records).

    The file's size is checked before it is read (`read_document` raises for a file too
    large); anything that is not JSON is left to the authoring-format loader to explain.
    """
    from .yaml_format import read_document  # noqa: PLC0415

    try:
        document = json.loads(read_document(path))
    except (ValueError, RecursionError):  # not JSON (or too deep): the loader says why
        return False
    return isinstance(document, Mapping) and isinstance(document.get("fields"), list)
