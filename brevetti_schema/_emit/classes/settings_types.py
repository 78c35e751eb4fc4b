"""The attribute type of each field kind, and the type predicates settings code shares.

The live classes and the generated source (`_codegen`) both take their types from
`field_type`:

* Lists (multi-choice, lists, classes) are `FrozenList`s and class mappings
  `FrozenDict`s whose lists are `FrozenList`s: read-only, so a settings object is
  immutable all the way down, yet a `list` and a `dict`, so `json.dumps`,
  `yaml.safe_dump` and libraries take them as they are. JSON values stay plain
  `dict`/`list` (copied per object), typed ``dict[str, Any] | list[Any]``.
* Choices are ``Literal[...]`` when every option is text, an integer or a boolean
  (PEP 586 allows no floats); otherwise the union of the options' types, tried in the
  order bool, int, float, str, so that an integer option stays an integer.
* A field is ``X | None`` (default ``None``) when it is not required and has no default,
  when its default is ``None``, when ``None`` is one of its options, or when it or a
  section above it has a `visible_when` condition: an inactive field is absent from the
  settings and ``None`` on the object, whatever its declared default (the pipeline
  fills that default only while the field is active).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import NoneType, UnionType
from typing import Any, Final, Literal, Union, get_args, get_origin

import attrs

from ..._kinds import class_mapping, json_value, spec
from ..._model.nodes import Field, Kind

__all__ = [
    "CLASS_MAPPING_TYPE",
    "JSON_TYPE",
    "METADATA_KEY",
    "admits_none",
    "field_type",
    "is_literal",
    "is_union",
    "settings_key",
]

METADATA_KEY: Final = "brevetti_schema"
"""The key of attrs field metadata that holds our per-attribute records."""

JSON_TYPE: Final[Any] = json_value.JSON_TYPE
"""The type of a JSON field's value."""

CLASS_MAPPING_TYPE: Final[Any] = class_mapping.CLASS_MAPPING_TYPE
"""The type of a class mapping's value: folder name to a class or classes."""


def _is_optional(field: Field, conditional: bool) -> bool:
    if field.default is None or conditional:  # an inactive field has no value: None
        return True
    if field.kind is Kind.CHOICE and None in field.option_values():
        return True
    return not field.has_default and not field.required


def field_type(field: Field, *, conditional: bool = False) -> Any:
    """The attribute type of a field; `conditional` when it or a parent has a condition."""
    base = spec(field.kind).python_type(field)
    if _is_optional(field, conditional or field.visible_when is not None):
        return base if base is NoneType else base | None
    return base


# -- predicates ------------------------------------------------------------------------


def is_union(tp: Any) -> bool:
    """Whether `tp` is a union (``X | Y`` or ``Union[X, Y]``)."""
    return get_origin(tp) is Union or isinstance(tp, UnionType)


def is_literal(tp: Any) -> bool:
    """Whether `tp` is a ``Literal[...]``."""
    return get_origin(tp) is Literal


def admits_none(tp: Any) -> bool:
    """Whether an attribute of type `tp` may hold ``None``."""
    if tp is None or tp is NoneType or tp is Any:
        return True
    return is_union(tp) and NoneType in get_args(tp)


def settings_key(attribute: attrs.Attribute[Any]) -> str:
    """The settings key of an attribute: the one in its metadata, else its name."""
    record = attribute.metadata.get(METADATA_KEY) or {}
    key = record.get("key") if isinstance(record, Mapping) else None
    return key if isinstance(key, str) else attribute.name
