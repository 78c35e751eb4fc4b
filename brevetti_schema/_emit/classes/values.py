"""A plain value as a settings object holds it, for the attribute types of `settings_types`.

The rules the settings converters (`converters`, cattrs) follow for a field's value, here
without cattrs, so that the live classes can be made (their defaults held) without
loading it: an integer stays an integer (no bool), a number accepts an integer, a
literal takes the option equal to the value, a union the first member whose runtime
shape the value has, JSON values are deep copies, lists are `FrozenList`s and class
mappings `FrozenDict`s. `held` raises `TypeError` or `ValueError` for a value of another
shape; the converters report such values by path instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from types import NoneType
from typing import Any, Final, get_args, get_origin

import attrs

from ..._kinds import REGISTRY
from ..._model.equality import same_value
from ..._model.frozen import FrozenDict, FrozenList
from .settings_types import CLASS_MAPPING_TYPE, JSON_TYPE, is_literal, is_union

__all__ = [
    "SCALAR_HOOKS",
    "held",
    "is_item_sequence",
    "is_json_type",
    "shape_fits",
    "structure_class_mapping",
    "structure_json",
    "structure_literal",
]

SCALAR_HOOKS: Final[dict[Any, Callable[[Any, Any], Any]]] = {
    s.annotation: s.structure
    for s in REGISTRY.values()
    if s.annotation is not None and s.structure is not None
}
"""The structuring hook of each plain type a kind's values are held as (the kinds')."""


def structure_literal(value: Any, tp: Any) -> Any:
    """The option of ``Literal[...]`` `tp` that equals `value` (a bool never a number)."""
    for option in get_args(tp):
        if same_value(value, option):
            return option
    raise ValueError(f"{value!r} is not one of {list(get_args(tp))!r}")


def shape_fits(value: Any, tp: Any) -> bool:
    """Whether `value` has the runtime shape of `tp` (which member of a union it is)."""
    if tp is NoneType:
        return value is None
    if tp is Any:
        return True
    if is_literal(tp):
        return any(same_value(value, option) for option in get_args(tp))
    scalar = SCALAR_HOOKS.get(tp)
    if scalar is not None:
        try:
            scalar(value, tp)
        except TypeError:
            return False
        return True
    origin = get_origin(tp) or tp
    if origin in (list, tuple, Sequence, FrozenList):
        return isinstance(value, list | tuple)
    if origin in (dict, Mapping, FrozenDict) or attrs.has(origin):
        return isinstance(value, Mapping)
    return isinstance(origin, type) and isinstance(value, origin)


_JSON_MEMBERS: Final = frozenset(get_args(JSON_TYPE))


def is_json_type(tp: Any) -> bool:
    """Whether `tp` is the type of a JSON field's value (optionally with ``None``)."""
    members = set(get_args(tp)) - {NoneType} if is_union(tp) else {tp}
    return bool(members) and members <= _JSON_MEMBERS


def structure_json(value: Any, tp: Any) -> Any:
    """A deep copy, so that the settings object shares nothing with its input."""
    members = get_args(tp) if is_union(tp) else (tp,)
    if value is None and NoneType in members:
        return None
    if any(shape_fits(value, member) for member in members if member is not NoneType):
        return copy.deepcopy(value)
    raise TypeError(f"expected a JSON object or list, got {type(value).__name__}")


def structure_class_mapping(value: Any, _: Any) -> FrozenDict[str, str | FrozenList[str]]:
    """A class mapping as a `FrozenDict` whose lists of classes are `FrozenList`s."""
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a mapping of folder to class, got {type(value).__name__}")
    result: dict[str, str | FrozenList[str]] = {}
    for folder, target in value.items():
        if isinstance(folder, str) and isinstance(target, str):
            result[folder] = target
        elif (
            isinstance(folder, str)
            and isinstance(target, list | tuple)
            and all(isinstance(t, str) for t in target)
        ):
            result[folder] = FrozenList(target)
        else:
            raise TypeError(f"{folder!r}: expected a class name or a list of class names")
    return FrozenDict(result)


def is_item_sequence(tp: Any) -> bool:
    """``FrozenList[X]`` (our classes' lists) or ``tuple[X, ...]`` (a class of one's own)."""
    args = get_args(tp)
    if get_origin(tp) is FrozenList:
        return len(args) == 1
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def held(value: Any, tp: Any) -> Any:
    """`value` as an attribute of type `tp` holds it (what the converters make of it)."""
    if tp is NoneType:
        if value is not None:
            raise TypeError(f"expected None, got {type(value).__name__}")
        return None
    if is_literal(tp):
        return structure_literal(value, tp)
    if is_json_type(tp):
        return structure_json(value, tp)
    if is_union(tp):
        for member in get_args(tp):
            if shape_fits(value, member):
                return held(value, member)
        raise TypeError(f"{type(value).__name__} value does not match {tp}")
    scalar = SCALAR_HOOKS.get(tp)
    if scalar is not None:
        return scalar(value, tp)
    if tp == CLASS_MAPPING_TYPE:
        return structure_class_mapping(value, tp)
    if is_item_sequence(tp):
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        (item_type, *_) = get_args(tp)
        make: Callable[[list[Any]], Any] = FrozenList if get_origin(tp) is FrozenList else tuple
        return make([held(item, item_type) for item in value])
    raise TypeError(f"no settings value of type {tp}")
