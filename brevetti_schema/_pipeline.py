"""The settings pipeline: raw settings in, a typed frozen settings object out.

::

    raw + preset + overrides -> decode transport -> set aside unknown keys
      -> drop inactive fields -> fill defaults -> validate (every problem) -> structure

One implementation serves the job runtime and the CLI. Valid documents take a fast
path compiled from the model; every problem is a `SettingsProblem` with a location
tuple and a stable code, found by each kind's own check (`_kinds`).
"""

from __future__ import annotations

import copy
import difflib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ._errors import Loc, SettingsError, SettingsProblem, render_pointer
from ._kinds import spec
from ._model import MISSING, Field, Heading, Kind, Schema, Section
from ._transport import NOT_SET, DecodeError, decode_value, encode_value
from ._trees import deep_merge, set_path
from ._validator import Run, validator

__all__ = [
    "Resolved",
    "encode_settings",
    "masked_tree",
    "parse_override",
    "resolve_settings",
]

logger = logging.getLogger("brevetti_schema")

MASK = "********"


@attrs.frozen
class Resolved:
    """The outcome of the pipeline.

    `settings` is the typed frozen object (or the plain tree when no class is asked
    for); `tree` the complete decoded settings; `unknown` the keys set aside; `warnings`
    what was accepted but deserves a look (unknown keys, values of inactive fields).
    """

    settings: Any
    tree: dict[str, Any]
    unknown: dict[str, Any]
    warnings: tuple[SettingsProblem, ...]


def pointer(path: str) -> str:
    """The JSON pointer of a dotted path."""
    return render_pointer(tuple(path.split(".")) if path else ())


def mask_value(field: Field | None, value: Any) -> Any:
    """The value as it may be shown: secrets masked."""
    if field is not None and field.kind is Kind.SECRET and value not in (None, ""):
        return MASK
    return value


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


def node_at(schema: Schema, loc: Loc) -> Field | Section | None:
    """The field or section a location lies in (the longest leading part naming one)."""
    path = ""
    found = None
    for part in loc:
        if not isinstance(part, str):
            break
        path = f"{path}.{part}" if path else part
        node = schema.find(path)
        if node is None:
            break
        found = node
        if isinstance(node, Field):
            break
    return found


class _Run:
    """The state of one pipeline run: problems and warnings collected on the way."""

    def __init__(self, schema: Schema, strict: bool) -> None:
        self.schema = schema
        self.strict = strict
        self.problems: list[SettingsProblem] = []
        self.warnings: list[SettingsProblem] = []
        self.unknown: dict[str, Any] = {}

    def problem(self, loc: Loc, code: str, message: str, value: Any = None) -> None:
        node = node_at(self.schema, loc)
        field = node if isinstance(node, Field) else None
        label = node.label if node is not None else ""
        self.problems.append(SettingsProblem(loc, code, label, message, mask_value(field, value)))

    def warn(self, loc: Loc, code: str, message: str) -> None:
        node = node_at(self.schema, loc)
        label = node.label if node is not None else ""
        problem = SettingsProblem(loc, code, label, message)
        self.warnings.append(problem)
        logger.warning("settings: %s: %s", problem.path, message)

    # -- decoding and unknown keys ------------------------------------------------

    def decode(self, nodes: tuple[Any, ...], tree: Any, loc: Loc) -> dict[str, Any]:
        """A decoded copy of one level of the tree; unknown keys set aside."""
        if isinstance(tree, str):
            tree = self._section_text(tree, loc)
        if not isinstance(tree, Mapping):
            self.problem(loc, "not_a_section", f"expected a group of settings, got {tree!r}")
            return {}
        known = {n.key: n for n in nodes if isinstance(n, Field | Section)}
        result: dict[str, Any] = {}
        for key, value in tree.items():
            here = (*loc, str(key))
            node = known.get(str(key))
            if node is None:
                self._unknown(here, value, list(known))
            elif isinstance(node, Section):
                result[node.key] = self.decode(node.children, value, here)
            else:
                try:
                    decoded = decode_value(node, value)
                except DecodeError as exc:
                    self.problem(here, exc.code, str(exc), value)
                    continue
                if decoded is not NOT_SET:
                    result[node.key] = decoded
        return result

    def _section_text(self, text: str, loc: Loc) -> Any:
        import json  # noqa: PLC0415 - rare: a section sent as JSON text

        if text == "":
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            self.problem(loc, "invalid_json", f"expected a JSON object, {exc.msg}", text)
            return {}

    def _unknown(self, loc: Loc, value: Any, siblings: list[str]) -> None:
        self.unknown[".".join(str(p) for p in loc)] = value
        close = difflib.get_close_matches(str(loc[-1]), siblings, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"unknown setting{hint}"
        if self.strict:
            self.problem(loc, "unknown_key", message, value)
        else:
            self.warn(loc, "unknown_key", message + " (ignored)")

    # -- conditions and defaults --------------------------------------------------

    def complete(self, tree: dict[str, Any]) -> dict[str, Any]:
        """Defaults filled for active fields; values of inactive fields dropped."""
        lookup = _Lookup(self.schema, tree)
        return self._complete(self.schema.children, tree, "", lookup)

    def _complete(
        self, nodes: tuple[Any, ...], tree: dict[str, Any], prefix: str, lookup: _Lookup
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for node in nodes:
            if not isinstance(node, Field | Section):
                continue
            path = prefix + node.key
            given = tree.get(node.key, MISSING)
            if not lookup.active(path):
                if given is not MISSING and given != {}:
                    message = "is not active under its visible_when condition (ignored)"
                    self.warn(tuple(path.split(".")), "inactive", message)
                continue
            if isinstance(node, Section):
                inner = given if isinstance(given, dict) else {}
                result[node.key] = self._complete(node.children, inner, path + ".", lookup)
            elif given is not MISSING:
                result[node.key] = given
            elif node.has_default:
                result[node.key] = copy.deepcopy(node.default)
            elif node.required:
                self.problem(tuple(path.split(".")), "required", "a value is required")
            else:
                result[node.key] = None
        return result

    # -- validation ---------------------------------------------------------------

    def check(self, tree: dict[str, Any]) -> None:
        """Every value problem, by each kind's own check."""
        for path, field, value in _present_fields(self.schema.children, tree, ""):
            loc: Loc = tuple(path.split("."))
            if value is None:
                if field.required:
                    self.problem(loc, "required", "a value is required")
                continue
            for code, message, inner in spec(field.kind).check(field, value):
                self.problem((*loc, *inner), code, message, _inside(value, inner))


def _inside(value: Any, loc: tuple[str | int, ...]) -> Any:
    """The part of a value at a location inside it (the value itself when not found)."""
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return value
    return value


class _Lookup(Mapping[str, Any]):
    """Field values by dotted path (given, else default) and whether nodes are active."""

    def __init__(self, schema: Schema, tree: Mapping[str, Any]) -> None:
        self._schema = schema
        self._tree = tree
        self._active: dict[str, bool] = {}

    def __getitem__(self, path: str) -> Any:
        node: Any = self._tree
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                field = self._schema.find(path)
                if isinstance(field, Field) and field.has_default and self.active(path):
                    return field.default
                raise KeyError(path)
            node = node[part]
        return node

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0

    def active(self, path: str) -> bool:
        """Whether the node at `path` is active: its ancestors and its condition hold.

        What a node depends on is settled first, with an explicit stack, so long chains
        of conditions need no deep recursion.
        """
        known = self._active.get(path)
        if known is not None:
            return known
        stack, visiting = [path], {path}
        while stack:
            current = stack[-1]
            waiting = [d for d in self._depends_on(current) if d not in self._active]
            fresh = [d for d in waiting if d not in visiting]
            if fresh:
                stack += fresh
                visiting.update(fresh)
                continue
            for cyclic in waiting:  # refused at build time; guard anyway
                self._active.setdefault(cyclic, True)
            stack.pop()
            self._active[current] = self._decide(current)
        return self._active[path]

    def _depends_on(self, path: str) -> list[str]:
        parent = path.rpartition(".")[0]
        deps = [parent] if parent else []
        node = self._schema.find(path)
        if isinstance(node, Field | Section) and node.visible_when is not None:
            deps += [f for f in node.visible_when.fields() if self._schema.find(f) is not None]
        return deps

    def _decide(self, path: str) -> bool:
        parent = path.rpartition(".")[0]
        if parent and not self._active[parent]:
            return False
        node = self._schema.find(path)
        if not isinstance(node, Field | Section) or node.visible_when is None:
            return True
        return node.visible_when.holds(self)


def _present_fields(
    nodes: tuple[Any, ...], tree: Mapping[str, Any], prefix: str
) -> Iterable[tuple[str, Field, Any]]:
    for node in nodes:
        if isinstance(node, Section):
            inner = tree.get(node.key)
            if isinstance(inner, Mapping):
                yield from _present_fields(node.children, inner, f"{prefix}{node.key}.")
        elif isinstance(node, Field) and node.key in tree:
            yield f"{prefix}{node.key}", node, tree[node.key]


def _override_paths(schema: Schema) -> list[str]:
    return [path for path, _ in schema.fields()]


def resolve_settings(
    schema: Schema,
    raw: Mapping[str, Any] | None = None,
    *,
    overrides: Mapping[str, Any] | Iterable[str] = (),
    preset: str | None = None,
    strict: bool = False,
    structure: bool = True,
    into: type | None = None,
    fast: bool = True,
) -> Resolved:
    """Run the pipeline; raise `SettingsError` listing every problem.

    Precedence, lowest first: defaults, `raw`, the named `preset`, `overrides` (a
    mapping of dotted path to value, or ``"path=value"`` strings). With
    ``structure=False`` the result's `settings` is the plain decoded tree; with `into`
    (an attrs class, e.g. the class-first declaration, or a pydantic model class) it is
    an instance of that class
    instead of the live class. Valid documents take a path compiled from the model;
    ``fast=False`` forces the general path (same results; tests and benchmarks compare
    the two).
    """
    run: Any = Run(schema, strict) if fast else _Run(schema, strict)
    tree: dict[str, Any] = dict(raw) if raw else {}
    if preset is not None:
        if preset not in schema.presets:
            known = ", ".join(sorted(schema.presets)) or "none"
            message = f"unknown preset {preset!r} (known: {known})"
            run.problem((), "unknown_preset", message, preset)
        else:
            deep_merge(tree, schema.presets[preset])
    items = (
        overrides.items()
        if isinstance(overrides, Mapping)
        else (parse_override(o) for o in overrides)
    )
    paths = None
    for path, value in items:
        if not isinstance(schema.find(path), Field):
            paths = paths or _override_paths(schema)
            close = difflib.get_close_matches(path, paths, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message = f"override of an unknown setting{hint}"
            run.problem(tuple(path.split(".")), "unknown_override", message, value)
            continue
        set_path(tree, path, value)
    if fast:
        return _validated(schema, tree, run, structure, into)
    decoded = run.decode(schema.children, tree, ())
    complete = run.complete(decoded)
    run.check(complete)
    if run.problems:
        raise SettingsError(run.problems)
    settings: Any = _typed(schema, complete, into) if structure else complete
    return Resolved(settings, complete, run.unknown, tuple(run.warnings))


def _validated(
    schema: Schema, tree: dict[str, Any], run: Run, structure: bool, into: type | None
) -> Resolved:
    """The generated validator's result: every problem at once, or the settings."""
    engine = validator(schema)
    complete = engine.validate(tree, run)
    if run.problems:
        raise SettingsError(run.problems)
    if not structure:
        return Resolved(complete, complete, run.unknown, tuple(run.warnings))
    settings = engine.build(complete) if into is None else _typed(schema, complete, into)
    return Resolved(settings, complete, run.unknown, tuple(run.warnings))


def _typed(schema: Schema, tree: dict[str, Any], into: type | None) -> Any:
    """The typed object of a complete tree: the live class, or `into`."""
    if into is not None and not hasattr(into, "__attrs_attrs__"):
        from ._pydantic_first import is_pydantic_model, structure_pydantic  # noqa: PLC0415

        if is_pydantic_model(into):
            return structure_pydantic(into, tree, schema)
    from ._attrs_classes import structure  # noqa: PLC0415 - cattrs only when structuring

    return structure(into if into is not None else schema, tree)
