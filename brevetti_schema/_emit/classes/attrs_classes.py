"""Typed settings classes: a frozen, slotted attrs class per section of a schema.

The classes follow the schema's `ClassPlan` (`plan`), the same one the generated source
follows. Making them needs no cattrs (the settings validator fills their slots itself);
`conversion` converts between settings trees and settings objects with the cattrs
converters of `converters`, loaded on first use (here: only to pickle).

* Settings objects compare by value and pickle (by schema and values, so a worker
  process rebuilds the same class); one holding a JSON value or a class mapping is
  not hashable.
* Classes are cached per schema: by object identity (a weak reference) and, behind
  that, by a fingerprint of the model, so equal schemas share their classes.
"""

from __future__ import annotations

import copy
import functools
import threading
import weakref
from collections.abc import Mapping
from typing import Any, Final

import attrs

from ..._model.nodes import MISSING, Schema
from .plan import SECTION_DEFAULT, ClassPlan, plan_classes
from .settings_types import METADATA_KEY, settings_key

__all__ = ["settings_class"]


# -- live classes ----------------------------------------------------------------------


_lock = threading.Lock()
_by_id: dict[int, tuple[weakref.ref[Schema], type]] = {}
_by_print: dict[str, type] = {}
_MAX_PRINTS: Final = 256


def settings_class(schema: Schema) -> type:
    """The frozen attrs class of a schema's settings, made once and cached."""
    entry = _by_id.get(id(schema))
    if entry is not None and entry[0]() is schema:
        return entry[1]
    with _lock:
        fingerprint = repr((schema.title, schema.children))
        cls = _by_print.get(fingerprint)
        if cls is None:
            cls = _by_print[fingerprint] = _build(schema)
            while len(_by_print) > _MAX_PRINTS:
                del _by_print[next(iter(_by_print))]
        key = id(schema)
        # bind pop now: at interpreter exit the module's globals may already be gone
        forget = functools.partial(_by_id.pop, key, None)
        _by_id[key] = (weakref.ref(schema, lambda _ref: forget()), cls)
    return cls


def _build(schema: Schema) -> type:
    built: dict[str, type] = {}
    for plan in plan_classes(schema):
        built[plan.path] = _make_class(plan, built)
    # the classes hold a copy without memoised artefacts (nor the declaring class, kept
    # with them), so that they pickle
    clean = attrs.evolve(schema)
    for path, cls in built.items():
        cls.__brevetti_schema__ = clean  # type: ignore[attr-defined]
        cls.__brevetti_path__ = path  # type: ignore[attr-defined]
    return built[""]


def _make_class(plan: ClassPlan, built: Mapping[str, type]) -> type:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {
        "__doc__": plan.doc,
        "__module__": __name__,
        "__qualname__": plan.name,
        "__annotations__": annotations,
        "__reduce__": _reduce,
        "__repr__": _repr,
        "__eq__": _eq,
        "__hash__": _hash,
    }
    for attribute in plan.attributes:
        tp = built[attribute.type.path] if isinstance(attribute.type, ClassPlan) else attribute.type
        annotations[attribute.name] = tp
        options: dict[str, Any] = {}
        if attribute.default is SECTION_DEFAULT:
            options["factory"] = tp
        elif attribute.mutable_default:
            options["factory"] = functools.partial(copy.deepcopy, attribute.default)
        elif attribute.default is not MISSING:
            options["default"] = attribute.default
        if attribute.key != attribute.name:
            options["metadata"] = {METADATA_KEY: {"key": attribute.key}}
        if attribute.name.startswith("_"):
            options["alias"] = attribute.name
        namespace[attribute.name] = attrs.field(**options)
    cls = type(plan.name, (), namespace)
    return attrs.frozen(kw_only=True, repr=False, eq=False)(cls)


# The live classes share one repr, eq and hash, which do what attrs would write for each
# class (attrs compiles all three per class: most of the cost of making the classes, at
# every job start); `__init__` stays attrs'.


def _values(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, a.name) for a in obj.__attrs_attrs__)


def _repr(self: Any) -> str:
    """``Name(attribute=value, ...)``, as attrs writes it."""
    shown = ", ".join(f"{a.name}={getattr(self, a.name)!r}" for a in self.__attrs_attrs__)
    return f"{self.__class__.__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    """Equal to an object of the same class with equal values, as attrs compares."""
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    """By class and values (a JSON value or a class mapping is not hashable)."""
    return hash((self.__class__, *_values(self)))


def _reduce(self: Any) -> tuple[Any, ...]:
    """Pickle a live settings object by its schema and its plain (revealed) values."""
    from .converters import REVEALING  # noqa: PLC0415 - cattrs only when pickled

    cls = type(self)
    return (
        _rebuild,
        (cls.__brevetti_schema__, cls.__brevetti_path__, REVEALING.unstructure(self)),
    )


def _rebuild(schema: Schema, path: str, data: Mapping[str, Any]) -> Any:
    from .converters import STRUCTURER  # noqa: PLC0415 - cattrs only when unpickled

    cls = settings_class(schema)
    for part in path.split(".") if path else ():
        (attribute,) = (a for a in attrs.fields(cls) if settings_key(a) == part)
        cls = attribute.type
    return STRUCTURER.structure(data, cls)
