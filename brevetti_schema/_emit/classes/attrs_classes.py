"""Typed settings classes: a frozen, slotted attrs class per section of a schema.

The classes follow the schema's `ClassPlan` (`_class_plan`), the same one the
generated source follows. `structure` and `unstructure` convert between settings
trees and settings objects with the converters of `_converters`.

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
from collections.abc import Iterator, Mapping
from typing import Any, Final, TypeVar, overload

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from ..._errors import SettingsError, SettingsProblem
from ..._kinds._transport import encode_value
from ..._model.nodes import MISSING, Field, Node, Schema, Section
from .converters import MASKING, REVEALING, STRUCTURER
from .plan import SECTION_DEFAULT, ClassPlan, plan_classes
from .settings_types import METADATA_KEY, settings_key

__all__ = ["settings_class", "structure", "unstructure"]

T = TypeVar("T")


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
    return attrs.frozen(kw_only=True)(cls)


def _reduce(self: Any) -> tuple[Any, ...]:
    """Pickle a live settings object by its schema and its plain (revealed) values."""
    cls = type(self)
    return (
        _rebuild,
        (cls.__brevetti_schema__, cls.__brevetti_path__, REVEALING.unstructure(self)),
    )


def _rebuild(schema: Schema, path: str, data: Mapping[str, Any]) -> Any:
    cls = settings_class(schema)
    for part in path.split(".") if path else ():
        (attribute,) = (a for a in attrs.fields(cls) if settings_key(a) == part)
        cls = attribute.type
    return STRUCTURER.structure(data, cls)


# -- settings trees <-> settings objects -----------------------------------------------


@overload
def structure(target: type[T], data: Mapping[str, Any]) -> T: ...
@overload
def structure(target: Schema, data: Mapping[str, Any]) -> Any: ...
def structure(target: Schema | type[Any], data: Mapping[str, Any]) -> Any:
    """A settings object from a decoded settings tree.

    `target` is a schema (its live class is used) or an attrs settings class (a
    generated or class-first one). Data of the wrong shape raises `SettingsError`
    (every problem, by path, values never shown); the settings pipeline validates
    before structuring and explains problems in more detail.
    """
    cls = settings_class(target) if isinstance(target, Schema) else target
    schema = target if isinstance(target, Schema) else None
    if not isinstance(data, Mapping):
        raise _settings_error(
            schema, [((), "not_a_mapping", f"expected settings, got {type(data).__name__}")]
        )
    try:
        return STRUCTURER.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        raise _settings_error(schema, list(_problems(exc, cls, ()))) from exc


def _problems(
    exc: BaseException, tp: Any, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """(key path, message) for each leaf of a cattrs error tree."""
    if isinstance(exc, ClassValidationError):
        keys = {a.name: settings_key(a) for a in attrs.fields(tp)} if attrs.has(tp) else {}
        noted, bare = exc.group_exceptions()
        for sub, note in noted:
            yield from _problems(sub, note.type, (*path, keys.get(note.name, note.name)))
        for sub in bare:
            yield from _problems(sub, tp, path)
    elif isinstance(exc, IterableValidationError):
        items, bare = exc.group_exceptions()
        for sub, item in items:
            yield from _problems(sub, item.type, (*path, item.index))  # type: ignore[arg-type]
        for sub in bare:
            yield from _problems(sub, tp, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield (*path, key), "unknown_key", "unknown setting"
    elif isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _problems(inner, tp, path)
    elif isinstance(exc, KeyError):
        yield path, "required", "a value is required"
    else:
        yield path, "invalid_value", str(exc)


def _settings_error(
    schema: Schema | None, problems: list[tuple[tuple[str, ...], str, str]]
) -> SettingsError:
    records = []
    for parts, code, message in problems:
        path = ".".join(p for p in parts if isinstance(p, str))
        node = schema.find(path) if schema is not None and path else None
        records.append(SettingsProblem(parts, code, node.label if node else "", message))
    return SettingsError(records)


def unstructure(
    settings: Any,
    *,
    schema: Schema | None = None,
    transport: bool = False,
    reveal_secrets: bool = False,
) -> dict[str, Any]:
    """The plain settings tree of a settings object, keyed by settings keys.

    Secrets show as ``"********"`` unless `reveal_secrets`. With `transport` the tree
    is the platform's transport form (JSON text for `isJson` fields, ``""`` for empty
    text); that needs the schema, which live classes know and others take as `schema`.
    """
    if not attrs.has(type(settings)):
        raise TypeError(f"expected a settings object, got {type(settings).__name__}")
    tree: dict[str, Any] = (REVEALING if reveal_secrets else MASKING).unstructure(settings)
    if not transport:
        return tree
    path = getattr(type(settings), "__brevetti_path__", "")
    if schema is None:
        schema = getattr(type(settings), "__brevetti_schema__", None)
    if schema is None:
        raise TypeError("the transport form needs the schema: pass schema=")
    section = schema.find(path) if path else None
    nodes = section.children if isinstance(section, Section) else schema.children
    return dict(_encode(nodes, tree))


def _encode(nodes: tuple[Node, ...], tree: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    known = {n.key: n for n in nodes if isinstance(n, Field | Section)}
    for key, value in tree.items():
        node = known.get(key)
        if isinstance(node, Section) and isinstance(value, Mapping):
            yield key, dict(_encode(node.children, value))
        elif isinstance(node, Field):
            yield key, encode_value(node, value)
        else:
            yield key, value
