"""Does a settings class fit a schema? Checked before settings are made into it.

A class from ``brevetti-schema codegen``, or any attrs or pydantic class, can receive a
schema's settings when each setting has an attribute (by its settings key) of a type
that holds the setting's values, each section a settings class, and each attribute the
schema does not know has a default. What does not fit is a `SchemaError` listing every
mismatch by setting path, before any setting is read: a wrong class is the author's
mistake, not an invalid setting. `resolve_settings(..., into=)` checks (once per schema
and class), and `Job.init(into=)` checks before the job reads its settings.
"""

from __future__ import annotations

import sys
import types
import typing
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, Union

import attrs

from .._errors import SchemaError, SchemaProblem
from .._kinds import a_kind, spec
from .._model.nodes import Field, Schema, Section

__all__ = ["check_settings_class"]


@attrs.frozen
class _Attribute:
    """One attribute of a settings class, by its settings key."""

    name: str
    annotation: Any
    required: bool


def check_settings_class(schema: Schema, cls: Any) -> None:
    """Raise `SchemaError` unless `cls` can hold the settings of `schema` (see above),
    naming every mismatch; `TypeError` when `cls` is no attrs or pydantic class at all.
    The class a class-first schema was declared by fits by construction; one that fits
    is remembered per schema, so a second check costs a lookup."""
    if cls is schema.declared_by:
        return
    fitting: weakref.WeakSet[type] = schema.memo("fitting classes", lambda _: weakref.WeakSet())
    if isinstance(cls, type) and cls in fitting:
        return
    if _attributes(cls) is None:
        raise TypeError(
            f"into= must be an attrs or pydantic settings class (such as one made by "
            f"brevetti-schema codegen), got {_shown(cls)}"
        )
    problems = list(_mismatches(schema.children, cls, ""))
    if problems:
        raise SchemaError(problems)
    fitting.add(cls)


def _mismatches(nodes: tuple[Any, ...], cls: type, prefix: str) -> Iterator[SchemaProblem]:
    attributes = _attributes(cls) or {}
    keys = set()
    for node in nodes:
        if not isinstance(node, Field | Section):
            continue  # a heading holds no setting
        keys.add(node.key)
        path = prefix + node.key
        attribute = attributes.get(node.key)
        if attribute is None:
            what = "section" if isinstance(node, Section) else f"{node.kind.value} setting"
            what = f"this {what}"
            yield SchemaProblem(path, f"{cls.__name__} has no attribute for {what}")
            continue
        where = f"{cls.__name__}.{attribute.name}"
        choices = _choices(attribute.annotation)
        if isinstance(node, Section):
            inner = [c for c in choices if _attributes(c) is not None]
            if inner:
                yield from _mismatches(node.children, inner[0], path + ".")
            elif not _anything(choices):
                shown = _shown(attribute.annotation)
                yield SchemaProblem(
                    path, f"{where} is {shown}, but this is a section: give it a settings class"
                )
        else:
            problem = _field_mismatch(node, choices)
            if problem is not None:
                shown = _shown(attribute.annotation)
                yield SchemaProblem(path, f"{where} is {shown}, but {problem}")
    for key, attribute in attributes.items():
        if key not in keys and attribute.required:
            yield SchemaProblem(
                prefix + key,
                f"{cls.__name__}.{attribute.name} has no default and the schema has no "
                "such setting to fill it",
            )


def _field_mismatch(field: Field, choices: list[Any]) -> str | None:
    """Why an attribute of one of the types `choices` cannot hold `field`'s values (the
    field's kind says which annotations hold its values)."""
    if _anything(choices):
        return None
    if any(_attributes(c) is not None for c in choices):
        return f"this is {a_kind(field.kind)} setting, not a section"
    return spec(field.kind).misfit(field, choices)


def _choices(annotation: Any) -> list[Any]:
    """The types an annotation allows, without ``None`` and `Annotated` extras."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _choices(typing.get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            found += _choices(arg)
        return found
    if annotation is None or annotation is type(None):
        return []
    return [annotation]


def _anything(choices: list[Any]) -> bool:
    """Whether the annotation says nothing about the value (`Any`, `object`, a TypeVar)."""
    return any(c is Any or c is object or isinstance(c, typing.TypeVar) for c in choices)


def _attributes(cls: Any) -> dict[str, _Attribute] | None:
    """The attributes of an attrs or pydantic class by settings key; else ``None``."""
    if not isinstance(cls, type):
        return None
    if attrs.has(cls):
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # noqa: BLE001 - an unresolvable annotation says nothing here
            hints = {}
        found = {}
        for attribute in attrs.fields(cls):
            if not attribute.init:
                continue
            record = attribute.metadata.get("brevetti_schema") or {}
            key = record.get("key") if isinstance(record, Mapping) else None
            found[key if isinstance(key, str) else attribute.name] = _Attribute(
                attribute.name,
                hints.get(attribute.name, attribute.type or Any),
                attribute.default is attrs.NOTHING,
            )
        return found
    fields = getattr(cls, "model_fields", None)
    if "pydantic" in sys.modules and isinstance(fields, Mapping):
        return {
            (info.alias or name): _Attribute(name, info.annotation, info.is_required())
            for name, info in fields.items()
        }
    return None


def _shown(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return repr(annotation).replace("typing.", "")
