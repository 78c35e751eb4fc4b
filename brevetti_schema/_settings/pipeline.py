"""The settings pipeline: raw settings in, a typed frozen settings object out.

::

    raw + preset + overrides -> decode transport -> set aside unknown keys
      -> drop inactive fields -> fill defaults -> validate (every problem) -> structure

One implementation serves the job runtime and the CLI: the schema's generated
validator (`_validator`) decodes, defaults and checks in one pass; every problem is a
`SettingsProblem` with a location tuple and a stable code, found by each kind's own
check (`_kinds`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import attrs

from .._errors import SettingsError, SettingsProblem
from .._kinds._transport import encode_value
from .._model.nodes import Field, Heading, Kind, Schema, Section
from .._model.trees import deep_merge, set_setting
from .validator import Run, mask_value, validator

__all__ = [
    "Resolved",
    "encode_settings",
    "masked_tree",
    "parse_override",
    "resolve_settings",
]

logger = logging.getLogger("brevetti_schema")

if TYPE_CHECKING:
    from typing_extensions import TypeVar as DefaultTypeVar

    S = DefaultTypeVar("S", default=Any)
else:
    S = TypeVar("S")
T = TypeVar("T")


@attrs.frozen
class Resolved(Generic[S]):
    """The outcome of the pipeline, generic in the settings type (`into`'s, else `Any`).

    `settings` is the typed frozen object (or the plain tree when no class is asked
    for); `tree` the complete decoded settings; `unknown` the keys set aside; `warnings`
    what was accepted but deserves a look (unknown keys, values of inactive fields).
    """

    settings: S
    tree: dict[str, Any]
    unknown: dict[str, Any]
    warnings: tuple[SettingsProblem, ...]


def masked_tree(schema: Schema, tree: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a settings tree with every secret value masked, for showing or saving."""
    return _map_fields(schema.children, tree, mask_value)


def encode_settings(
    schema: Schema, tree: Mapping[str, Any], *, secrets: str = "mask"
) -> dict[str, Any]:
    """A decoded settings tree in the platform's transport form (JSON text for `isJson`).

    `secrets` is ``"mask"`` (shown as a mask), ``"omit"`` (left out) or ``"keep"``.
    Keys the schema does not know are kept as they are.
    """
    if secrets not in ("mask", "omit", "keep"):
        raise ValueError(f"secrets must be 'mask', 'omit' or 'keep', got {secrets!r}")

    def encode(field: Field, value: Any) -> Any:
        if field.kind is Kind.SECRET and secrets != "keep":
            return _OMIT if secrets == "omit" else mask_value(field, value)
        return encode_value(field, value)

    return _map_fields(schema.children, tree, encode)


_OMIT: Any = object()
"""Returned by a field mapper: leave the key out."""


def _map_fields(
    nodes: tuple[Any, ...], tree: Mapping[str, Any], change: Callable[[Field, Any], Any]
) -> dict[str, Any]:
    """A copy of a tree with `change` applied to the value of every declared field."""
    result = dict(tree)
    for node in nodes:
        if node.__class__ is Heading or node.key not in result:
            continue
        value = result[node.key]
        if isinstance(node, Section):
            if isinstance(value, Mapping):
                result[node.key] = _map_fields(node.children, value, change)
            continue
        changed = change(node, value)
        if changed is _OMIT:
            del result[node.key]
        else:
            result[node.key] = changed
    return result


def parse_override(text: str) -> tuple[str, str]:
    """``"a.b=value"`` -> ``("a.b", "value")``."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise SettingsError(
            [
                SettingsProblem(
                    (), "bad_override", "", f"an override must look like PATH=VALUE, got {text!r}"
                )
            ]
        )
    return path.strip(), value


def _override_paths(schema: Schema) -> list[str]:
    return [path for path, _ in schema.fields()]


@overload
def resolve_settings(
    schema: Schema,
    raw: Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | Iterable[str] = (),
    preset: str | None = None,
    strict: bool = False,
    structure: bool = True,
    into: type[T],
) -> Resolved[T]: ...
@overload
def resolve_settings(
    schema: Schema,
    raw: Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | Iterable[str] = (),
    preset: str | None = None,
    strict: bool = False,
    structure: bool = True,
    into: None = None,
) -> Resolved[Any]: ...
def resolve_settings(
    schema: Schema,
    raw: Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | Iterable[str] = (),
    preset: str | None = None,
    strict: bool = False,
    structure: bool = True,
    into: type | None = None,
) -> Resolved[Any]:
    """Run the pipeline; raise `SettingsError` listing every problem.

    Precedence, lowest first: defaults, `raw`, the named `preset`, `overrides` (a
    mapping of dotted path to value, or ``"path=value"`` strings). With
    ``structure=False`` the result's `settings` is the plain decoded tree; with `into`
    (an attrs class, e.g. the class-first declaration, or a pydantic model class) it is
    an instance of that class instead of the live class; a class that does not fit the
    schema is a `SchemaError` naming each mismatch (`check_settings_class`), raised
    before any setting is read. The settings are checked by the schema's generated
    validator (`_validator`), which reports every problem at once.
    """
    if into is not None:
        from .into import check_settings_class  # noqa: PLC0415 - only for into= classes

        check_settings_class(schema, into)
    run = Run(schema, strict)
    tree: dict[str, Any] = dict(raw) if raw else {}
    if preset is not None:
        if preset not in schema.presets:
            known = ", ".join(sorted(schema.presets)) or "none"
            message = f"unknown preset {preset!r} (known: {known})"
            run.problem((), "unknown_preset", message, preset)
        else:
            deep_merge(tree, schema.presets[preset])
    if overrides:
        _override(schema, tree, run, overrides)
    return _validated(schema, tree, run, structure, into)


def _override(
    schema: Schema, tree: dict[str, Any], run: Run, overrides: Mapping[str, Any] | Iterable[str]
) -> None:
    """Set each override's value in `tree`; an unknown setting is a problem."""
    items = (
        overrides.items()
        if isinstance(overrides, Mapping)
        else (parse_override(o) for o in overrides)
    )
    paths = None
    for path, value in items:
        if not isinstance(schema.find(path), Field):
            paths = paths or _override_paths(schema)
            import difflib  # noqa: PLC0415 - only to suggest a name for an unknown one

            close = difflib.get_close_matches(path, paths, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"override of an unknown setting{hint}"
            run.problem(tuple(path.split(".")), "unknown_override", message, value)
            continue
        set_setting(tree, path, value)


def _validated(
    schema: Schema, tree: dict[str, Any], run: Run, structure: bool, into: type | None
) -> Resolved[Any]:
    """The generated validator's result: every problem at once, or the settings."""
    complete, made = validator(schema).resolve(tree, run)
    if run.problems:
        raise SettingsError(run.problems)
    if not structure:
        return _resolved(complete, complete, run.unknown, tuple(run.warnings))
    settings = made if into is None and made is not None else _typed(schema, complete, into)
    return _resolved(settings, complete, run.unknown, tuple(run.warnings))


_SET_SETTINGS = Resolved.settings.__set__  # type: ignore[misc]
_SET_TREE = Resolved.tree.__set__  # type: ignore[attr-defined]
_SET_UNKNOWN = Resolved.unknown.__set__  # type: ignore[attr-defined]
_SET_WARNINGS = Resolved.warnings.__set__  # type: ignore[attr-defined]


def _resolved(
    settings: Any, tree: dict[str, Any], unknown: dict[str, Any], warnings: tuple[Any, ...]
) -> Resolved[Any]:
    """``Resolved(...)`` without the frozen class's `__init__` (its slots set directly)."""
    result: Resolved[Any] = object.__new__(Resolved)
    _SET_SETTINGS(result, settings)
    _SET_TREE(result, tree)
    _SET_UNKNOWN(result, unknown)
    _SET_WARNINGS(result, warnings)
    return result


def _typed(schema: Schema, tree: dict[str, Any], into: type | None) -> Any:
    """The typed object of a complete tree: the live class, or `into`."""
    if into is not None and not hasattr(into, "__attrs_attrs__"):
        from .._authoring.pydantic_first import is_pydantic_model, structure_pydantic  # noqa: PLC0415

        if is_pydantic_model(into):
            return structure_pydantic(into, tree, schema)
    from .._emit.classes.conversion import structure  # noqa: PLC0415 - cattrs only when structuring

    return structure(into if into is not None else schema, tree)
