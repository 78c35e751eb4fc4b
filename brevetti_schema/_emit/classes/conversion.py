"""Settings trees <-> settings objects, by the cattrs converters of `converters`.

`structure` makes a settings object of a schema's live class (`attrs_classes`), a
generated class or a class-first one from a decoded settings tree, and `unstructure`
gives an object's plain tree (or its transport form). Loaded on first use: it imports
cattrs, which making the live classes does not need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, overload

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError

from ..._errors import SettingsError, SettingsProblem
from ..._kinds._transport import encode_value
from ..._model.nodes import Field, Node, Schema, Section
from .attrs_classes import settings_class
from .converters import MASKING, REVEALING, STRUCTURER
from .settings_types import settings_key

__all__ = ["structure", "unstructure"]

T = TypeVar("T")


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
