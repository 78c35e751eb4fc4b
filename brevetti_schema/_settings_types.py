"""The attribute type of each field kind, and the type predicates settings code shares.

The live classes and the generated source (`_codegen`) both take their types from
`field_type`:

* Collections are tuples (multi-choice, lists, classes) and class mappings are
  read-only `Mapping`s (a `MappingProxyType` whose list values are tuples), so a
  settings object is immutable all the way down. JSON values stay plain `dict`/`list`
  (they are handed to other libraries as they are), typed ``dict[str, Any] | list[Any]``.
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

import functools
import operator
from collections.abc import Callable, Mapping
from types import NoneType, UnionType
from typing import Any, Final, Literal, Union, get_args, get_origin

import attrs

from ._model import Field, Kind
from ._secret import Secret

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

JSON_TYPE: Final[Any] = dict[str, Any] | list[Any]
"""The type of a JSON field's value."""

CLASS_MAPPING_TYPE: Final[Any] = Mapping[str, str | tuple[str, ...]]
"""The type of a class mapping's value: folder name to a class or classes."""

_SCALAR_TYPES: Final[dict[Kind, type]] = {
    Kind.INTEGER: int,
    Kind.NUMBER: float,
    Kind.TEXT: str,
    Kind.BOOLEAN: bool,
}
_TYPE_ORDER: Final = (bool, int, float, str)


# -- types per kind --------------------------------------------------------------------


def _union(types: list[Any]) -> Any:
    return functools.reduce(operator.or_, types)


def _choice_type(field: Field) -> Any:
    """The type of one option value (without ``None``, which the caller adds)."""
    values = [v for v in field.option_values() if v is not None]
    if not values:
        return NoneType
    if all(type(v) in (str, int, bool) for v in values):
        return Literal[tuple(values)]
    return _union(sorted({type(v) for v in values}, key=_TYPE_ORDER.index))


def _multi_choice_type(field: Field) -> Any:
    item = _choice_type(field)
    if None in field.option_values():
        item = item | None
    return tuple[item, ...]  # type: ignore[valid-type]


_BASE_TYPES: Final[dict[Kind, Callable[[Field], Any]]] = {
    Kind.INTEGER: lambda f: int,
    Kind.NUMBER: lambda f: float,
    Kind.TEXT: lambda f: str,
    Kind.BOOLEAN: lambda f: bool,
    Kind.CHOICE: _choice_type,
    Kind.MULTI_CHOICE: _multi_choice_type,
    Kind.LIST: lambda f: tuple[_SCALAR_TYPES[f.item_kind or Kind.TEXT], ...],  # type: ignore[misc]
    Kind.JSON: lambda f: JSON_TYPE,
    Kind.CLASSES: lambda f: tuple[str, ...],
    Kind.CLASS_MAPPING: lambda f: CLASS_MAPPING_TYPE,
    Kind.SECRET: lambda f: Secret,
}


def _is_optional(field: Field, conditional: bool) -> bool:
    if field.default is None or conditional:  # an inactive field has no value: None
        return True
    if field.kind is Kind.CHOICE and None in field.option_values():
        return True
    return not field.has_default and not field.required


def field_type(field: Field, *, conditional: bool = False) -> Any:
    """The attribute type of a field; `conditional` when it or a parent has a condition."""
    base = _BASE_TYPES[field.kind](field)
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
