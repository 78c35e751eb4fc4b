"""`SchemaBuilder`: the fluent Python DSL that declares a schema.

::

    b = SchemaBuilder()
    b.integer("epochs", default=10, min=1, max=1000, presets={"quick": 2})
    with b.section("augmentation", advanced=True) as aug:
        aug.boolean("flip", default=True)
    b.preset("quick", {"augmentation": {"flip": False}})
    schema = b.build()

Every field method returns the builder, so calls chain. `build()` checks the whole
declaration and raises `SchemaError` listing every problem by field path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self

import attrs

from .._errors import SchemaError
from .._kinds.checks import check_schema, raise_for_problems
from .._model.conditions import condition_from_data
from .._model.nodes import (
    MISSING,
    Condition,
    Field,
    Heading,
    Kind,
    Node,
    OptionsInput,
    Schema,
    Section,
    options_from,
)
from .._model.nodes import derive_label as _derive_label
from .._model.trees import deep_merge, plain_copy, set_setting

__all__ = ["SchemaBuilder", "SectionBuilder", "presets_tree"]

ConditionInput = Condition | Mapping[str, Any] | None


def presets_tree(
    values: Iterable[tuple[str, str, Any]],
    presets: Mapping[str, Mapping[str, Any]] | None,
    model_value: Callable[[Any], Any],
) -> dict[str, dict[str, Any]]:
    """The presets of a class-first declaration: the per-field values (preset name, dotted
    path, value), then the class-level `presets` merged over them as model values."""
    tree: dict[str, dict[str, Any]] = {}
    for name, path, value in values:
        *parents, last = path.split(".")
        level = tree.setdefault(name, {})
        for part in parents:
            level = level.setdefault(part, {})
        level[last] = value
    for name, partial in (presets or {}).items():
        deep_merge(tree.setdefault(name, {}), model_value(partial))
    return tree


"""Deep-merge a partial settings tree into a preset (later values win)."""


class SectionBuilder:
    """Declares the fields of one level (the root or a section); methods chain."""

    def __init__(self, root: SchemaBuilder | None, prefix: str) -> None:
        self._root: SchemaBuilder = root if root is not None else self  # type: ignore[assignment]
        self._prefix = prefix
        self._nodes: list[Node | SectionBuilder] = []
        self._section_args: dict[str, Any] = {}
        self._parent: SectionBuilder | None = None

    # -- scalar fields -------------------------------------------------------------

    def integer(
        self,
        key: str,
        *,
        default: Any = MISSING,
        min: float | None = None,
        max: float | None = None,
        exclusive_min: float | None = None,
        exclusive_max: float | None = None,
        step: float | None = None,
        multiple_of: float | None = None,
        **common: Any,
    ) -> Self:
        """A whole number, optionally bounded."""
        return self._add(
            Kind.INTEGER,
            key,
            common,
            default=default,
            minimum=min,
            maximum=max,
            exclusive_minimum=exclusive_min,
            exclusive_maximum=exclusive_max,
            step=step,
            multiple_of=multiple_of,
        )

    def number(
        self,
        key: str,
        *,
        default: Any = MISSING,
        min: float | None = None,
        max: float | None = None,
        exclusive_min: float | None = None,
        exclusive_max: float | None = None,
        step: float | None = None,
        multiple_of: float | None = None,
        **common: Any,
    ) -> Self:
        """A real number, optionally bounded."""
        return self._add(
            Kind.NUMBER,
            key,
            common,
            default=default,
            minimum=min,
            maximum=max,
            exclusive_minimum=exclusive_min,
            exclusive_maximum=exclusive_max,
            step=step,
            multiple_of=multiple_of,
        )

    def text(
        self,
        key: str,
        *,
        default: Any = MISSING,
        multiline: bool = False,
        rows: int | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        **common: Any,
    ) -> Self:
        """A line of text, or a text area with ``multiline=True``."""
        return self._add(
            Kind.TEXT,
            key,
            common,
            default=default,
            multiline=multiline or rows is not None,
            rows=rows,
            min_length=min_length,
            max_length=max_length,
            pattern=pattern,
        )

    def boolean(self, key: str, *, default: Any = MISSING, **common: Any) -> Self:
        """A checkbox."""
        return self._add(Kind.BOOLEAN, key, common, default=default)

    def secret(
        self,
        key: str,
        *,
        default: Any = MISSING,
        min_length: int | None = None,
        pattern: str | None = None,
        **common: Any,
    ) -> Self:
        """A password-like text whose value is masked everywhere it could leak."""
        return self._add(
            Kind.SECRET, key, common, default=default, min_length=min_length, pattern=pattern
        )

    # -- choices and collections ---------------------------------------------------

    def choice(
        self, key: str, *, options: OptionsInput, default: Any = MISSING, **common: Any
    ) -> Self:
        """One value out of `options` (values, ``(value, label)`` pairs or a mapping)."""
        path = self._prefix + key
        return self._add(
            Kind.CHOICE, key, common, default=default, options=options_from(options, path)
        )

    def multi_choice(
        self,
        key: str,
        *,
        options: OptionsInput,
        default: Any = MISSING,
        min_items: int | None = None,
        max_items: int | None = None,
        **common: Any,
    ) -> Self:
        """Any subset of `options`."""
        path = self._prefix + key
        return self._add(
            Kind.MULTI_CHOICE,
            key,
            common,
            default=_listify(default),
            options=options_from(options, path),
            min_items=min_items,
            max_items=max_items,
        )

    def list(
        self,
        key: str,
        *,
        of: str | Kind = Kind.TEXT,
        default: Any = MISSING,
        min_items: int | None = None,
        max_items: int | None = None,
        min: float | None = None,
        max: float | None = None,
        **common: Any,
    ) -> Self:
        """A list of integers, numbers, texts or booleans (`of`); bounds apply per item."""
        return self._add(
            Kind.LIST,
            key,
            common,
            default=_listify(default),
            item_kind=_kind(of, self._prefix + key),
            min_items=min_items,
            max_items=max_items,
            minimum=min,
            maximum=max,
        )

    def json(
        self,
        key: str,
        *,
        default: Any = MISSING,
        json_schema: Mapping[str, Any] | None = None,
        rows: int | None = None,
        **common: Any,
    ) -> Self:
        """A JSON object or list, optionally checked by an inner JSON Schema."""
        return self._add(
            Kind.JSON,
            key,
            common,
            default=plain_copy(default) if default is not MISSING else MISSING,
            json_schema=plain_copy(json_schema) if json_schema is not None else None,
            rows=rows,
        )

    def classes(
        self,
        key: str = "classes",
        *,
        default: Any = MISSING,
        min_items: int | None = None,
        max_items: int | None = None,
        **common: Any,
    ) -> Self:
        """The list of class names a model predicts."""
        return self._add(
            Kind.CLASSES,
            key,
            common,
            default=_listify(default),
            min_items=min_items,
            max_items=max_items,
        )

    def class_mapping(
        self, key: str = "class_mapping", *, default: Any = MISSING, **common: Any
    ) -> Self:
        """A mapping from dataset folder name to a class name or a list of class names."""
        return self._add(
            Kind.CLASS_MAPPING,
            key,
            common,
            default=plain_copy(default) if default is not MISSING else MISSING,
        )

    # -- structure -----------------------------------------------------------------

    def heading(self, label: str, *, help: str | None = None) -> Self:
        """A header line that opens no nested group."""
        self._nodes.append(Heading(label, help))
        return self

    def section(
        self,
        key: str,
        *,
        label: str | None = None,
        help: str | None = None,
        advanced: bool = False,
        visible_when: ConditionInput = None,
    ) -> SectionBuilder:
        """Open a nested section; use it as a context manager or call `end()`."""
        child = SectionBuilder(self._root, f"{self._prefix}{key}.")
        child._parent = self
        child._section_args = {
            "key": key,
            "label": label if label is not None else _derive_label(key),
            "help": help,
            "advanced": advanced,
            "visible_when": _condition(visible_when, self._prefix + key),
        }
        self._nodes.append(child)
        return child

    def end(self) -> SectionBuilder:
        """Close this section and continue with its parent."""
        if self._parent is None:
            raise SchemaError.single("", "end() called on the root of the schema")
        return self._parent

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def add(self, node: Node) -> Self:
        """Append a ready-made model node (a `Field`, `Section` or `Heading`)."""
        self._nodes.append(node)
        return self

    # -- internals -----------------------------------------------------------------

    def _add(self, kind: Kind, key: str, common: Mapping[str, Any], **spec: Any) -> Self:
        common = dict(common)
        path = self._prefix + key
        presets = common.pop("presets", None) or {}
        unknown = set(common) - _COMMON
        if unknown:
            raise SchemaError.single(
                path, f"unknown option(s) {sorted(unknown)}; expected some of {sorted(_COMMON)}"
            )
        label = common.pop("label", None)
        condition = _condition(common.pop("visible_when", None), path)
        # None is a real default (an optional setting); elsewhere it means "not given"
        spec = {k: v for k, v in spec.items() if v is not None or k == "default"}
        field = Field(
            kind=kind,
            key=key,
            label=label if label is not None else _derive_label(key),
            visible_when=condition,
            **common,
            **spec,
        )
        self._nodes.append(field)
        for name, value in presets.items():
            self._root._preset_values.append((name, path, value))
        return self

    def _freeze(self) -> tuple[Node, ...]:
        nodes: list[Node] = []
        for node in self._nodes:
            if isinstance(node, SectionBuilder):
                nodes.append(Section(children=node._freeze(), **node._section_args))
            else:
                nodes.append(node)
        return tuple(nodes)


_COMMON = frozenset(
    {"label", "help", "hint", "placeholder", "required", "advanced", "readonly", "unit",
     "visible_when", "presets"}
)  # fmt: skip


def _listify(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def _kind(value: str | Kind, path: str) -> Kind:
    try:
        return value if isinstance(value, Kind) else Kind(value)
    except ValueError:
        raise SchemaError.single(path, f"unknown item kind {value!r}") from None


def _condition(value: ConditionInput, path: str) -> Condition | None:
    return None if value is None else condition_from_data(value, path)


class SchemaBuilder(SectionBuilder):
    """The root of a schema declaration; `build()` returns the checked `Schema`."""

    def __init__(self, title: str | None = None) -> None:
        self._preset_values: list[tuple[str, str, Any]] = []
        self._presets: dict[str, dict[str, Any]] = {}
        super().__init__(None, "")
        self._title = title

    def preset(self, name: str, tree: Mapping[str, Any]) -> Self:
        """Declare (or extend) the named preset with a partial settings tree."""
        deep_merge(self._presets.setdefault(name, {}), tree)
        return self

    def build(self) -> Schema:
        """The checked, immutable model; raises `SchemaError` listing every problem."""
        presets: dict[str, dict[str, Any]] = {}
        for name, path, value in self._preset_values:
            set_setting(presets.setdefault(name, {}), path, plain_copy(value))
        for name, tree in self._presets.items():
            deep_merge(presets.setdefault(name, {}), tree)
        schema = Schema(children=self._freeze(), presets=presets, title=self._title)
        warnings = raise_for_problems(check_schema(schema))
        return attrs.evolve(schema, warnings=tuple(warnings)) if warnings else schema
