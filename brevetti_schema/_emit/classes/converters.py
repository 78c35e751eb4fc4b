"""The cattrs converters between settings trees and settings objects.

`STRUCTURER` is strict: an integer stays an integer (no bool), a number accepts an
integer, text is text, a union takes the first member whose runtime shape the value
has, unknown keys are errors, and JSON values are deep-copied. An explicit ``None``
given for a field that has a non-``None`` default and a type without ``None`` means
"not set": the default holds. `MASKING` and `REVEALING` unstructure by settings key,
showing secrets masked or revealed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType, NoneType
from typing import Any, Final, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ..._kinds import REGISTRY
from ..._model.frozen import FrozenDict, FrozenList
from .settings_types import CLASS_MAPPING_TYPE, admits_none, is_literal, is_union, settings_key
from .values import (
    SCALAR_HOOKS,
    is_item_sequence,
    is_json_type,
    shape_fits,
    structure_class_mapping,
    structure_json,
    structure_literal,
)

__all__ = ["MASKING", "REVEALING", "STRUCTURER"]


# -- structuring -----------------------------------------------------------------------


def _literal_hook(tp: Any) -> Callable[[Any, Any], Any]:
    """`structure_literal` with the exact matches looked up in a table."""
    table = {(option.__class__, option): option for option in get_args(tp)}

    def structure_literal_value(value: Any, _: Any) -> Any:
        try:
            return table[value.__class__, value]
        except (KeyError, TypeError):
            return structure_literal(value, tp)

    return structure_literal_value


def _union_hook(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Structure a union by the first member whose runtime shape the value has."""
    members = get_args(tp)

    def structure_union(value: Any, _: Any) -> Any:
        for member in members:
            if shape_fits(value, member):
                return None if member is NoneType else converter.structure(value, member)
        raise TypeError(f"{type(value).__name__} value does not match {tp}")

    return structure_union


def _sequence_hook(tp: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """A list of items structured one by one, held as `tp`'s own sequence type; a bad item
    is reported by its index."""
    item_type = get_args(tp)[0]
    item_hook = converter.get_structure_hook(item_type)
    make: Callable[[list[Any]], Any] = FrozenList if get_origin(tp) is FrozenList else tuple

    def structure_sequence(value: Any, _: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        try:
            return make([item_hook(item, item_type) for item in value])
        except (TypeError, ValueError):
            pass
        problems = []
        for index, item in enumerate(value):
            try:
                item_hook(item, item_type)
            except (TypeError, ValueError) as exc:
                problems.append(f"item {index}: {exc}")
        raise ValueError("; ".join(problems))

    return structure_sequence


def _attrs_structure_hook(cls: type, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    renames: dict[str, Any] = {
        a.name: override(rename=settings_key(a)) for a in fields if settings_key(a) != a.name
    }
    inner: Callable[[Any, Any], Any] = make_dict_structure_fn(
        cls, converter, _cattrs_forbid_extra_keys=True, **renames
    )
    unset_when_none = frozenset(
        settings_key(a)
        for a in fields
        if a.default is not attrs.NOTHING and not admits_none(a.type)
    )
    if not unset_when_none:
        return inner

    def structure_settings(data: Any, tp: Any) -> Any:
        if isinstance(data, Mapping):
            for key in unset_when_none:
                if key in data and data[key] is None:
                    data = {
                        k: v for k, v in data.items() if v is not None or k not in unset_when_none
                    }
                    break
        return inner(data, tp)

    return structure_settings


def _make_structurer() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    for tp, hook in SCALAR_HOOKS.items():
        converter.register_structure_hook(tp, hook)
    converter.register_structure_hook_factory(is_literal, _literal_hook)
    converter.register_structure_hook_factory(is_union, _union_hook)
    converter.register_structure_hook_func(is_json_type, structure_json)
    converter.register_structure_hook_func(
        lambda tp: tp == CLASS_MAPPING_TYPE, structure_class_mapping
    )
    converter.register_structure_hook_factory(is_item_sequence, _sequence_hook)
    converter.register_structure_hook_factory(attrs.has, _attrs_structure_hook)
    return converter


# -- unstructuring ---------------------------------------------------------------------


def _make_unstructurer(reveal: bool) -> cattrs.Converter:
    converter = cattrs.Converter()
    plain = converter.unstructure

    def sequence(value: Any) -> list[Any]:
        return [plain(v) for v in value]

    def mapping(value: Mapping[Any, Any]) -> dict[Any, Any]:
        return {k: plain(v) for k, v in value.items()}

    def settings_hook(cls: type) -> Callable[[Any], dict[str, Any]]:
        names = [(a.name, settings_key(a)) for a in attrs.fields(cls)]

        def unstructure_settings(obj: Any) -> dict[str, Any]:
            return {key: plain(getattr(obj, name)) for name, key in names}

        return unstructure_settings

    for kind in REGISTRY.values():
        if kind.annotation is not None and kind.unstructure is not None:
            converter.register_unstructure_hook(kind.annotation, kind.unstructure(reveal))
    for sequence_type in (tuple, list, FrozenList):
        converter.register_unstructure_hook(sequence_type, sequence)
    for mapping_type in (dict, MappingProxyType, FrozenDict):
        converter.register_unstructure_hook(mapping_type, mapping)
    converter.register_unstructure_hook_factory(attrs.has, settings_hook)
    return converter


STRUCTURER: Final = _make_structurer()
"""Settings tree -> settings object (or one attribute's value), strictly."""

MASKING: Final = _make_unstructurer(reveal=False)
"""Settings object -> plain tree by settings key, secrets masked."""

REVEALING: Final = _make_unstructurer(reveal=True)
"""Settings object -> plain tree by settings key, secrets revealed."""
