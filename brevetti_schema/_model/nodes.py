"""The schema model: an immutable tree of sections and typed fields.

Every front end (DSL, YAML, class-first, UI JSON loader) produces this model and every
back end reads only this model. It holds no knowledge of any output format, except the
opaque `ui_extra`/`ui_omit` records that let a loaded legacy document be re-emitted as
it was.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final, TypeAlias, TypeVar, cast

import attrs

from .._errors import SchemaError, SchemaProblem
from .equality import same_value

__all__ = [
    "MISSING",
    "Condition",
    "Field",
    "Heading",
    "Kind",
    "Node",
    "Option",
    "OptionsInput",
    "Schema",
    "Section",
    "derive_label",
    "options_from",
]


class _Missing(enum.Enum):
    """Sentinel type for "not given", distinct from ``None``."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing.MISSING
"""A default that was not given (``None`` is a real default of an optional field)."""


class Kind(enum.Enum):
    """The kind of a field: decides its value type and how each back end renders it."""

    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    LIST = "list"
    JSON = "json"
    CLASSES = "classes"
    CLASS_MAPPING = "class_mapping"
    SECRET = "secret"  # noqa: S105 - a kind name, not a password


Scalar: TypeAlias = str | int | float | bool | None
T = TypeVar("T")

CONDITION_OPS: Final = ("equals", "not_equals", "one_of", "all", "any")
"""The operators a `Condition` may use."""


@attrs.frozen
class Option:
    """One allowed value of a choice field, with the label the form shows."""

    value: Scalar
    label: str | None = None

    @property
    def shown(self) -> str:
        """What the form shows for this option."""
        return self.label if self.label is not None else str(self.value)


@attrs.frozen
class Condition:
    """When a field or section is active: a test on another field's value.

    `op` is one of ``equals``, ``not_equals``, ``one_of`` (then `value` is a tuple),
    ``all`` or ``any`` (then `items` holds the sub-conditions). `field` is the absolute
    dotted path of the field tested.
    """

    op: str
    field: str | None = None
    value: Any = None
    items: tuple[Condition, ...] = ()

    def fields(self) -> Iterator[str]:
        """Every field path this condition reads."""
        if self.field is not None:
            yield self.field
        for item in self.items:
            yield from item.fields()

    def holds(self, lookup: Mapping[str, Any]) -> bool:
        """Whether the condition holds, given field values by dotted path."""
        if self.op == "all":
            return all(item.holds(lookup) for item in self.items)
        if self.op == "any":
            return any(item.holds(lookup) for item in self.items)
        current = lookup.get(self.field or "", MISSING)
        if self.op == "equals":
            return same_value(current, self.value)
        if self.op == "not_equals":
            return not same_value(current, self.value)
        return any(same_value(current, v) for v in self.value)


@attrs.frozen(eq=True)
class Field:
    """One setting: its kind, key, presentation, default, constraints and flags."""

    kind: Kind
    key: str
    label: str
    help: str | None = None
    hint: str | None = None
    placeholder: str | None = None
    default: Any = MISSING
    required: bool = False
    advanced: bool = False
    readonly: bool = False
    unit: str | None = None
    # numbers
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    step: float | None = None
    multiple_of: float | None = None
    # text
    multiline: bool = False
    rows: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    # choices
    options: tuple[Option, ...] = ()
    # collections
    item_kind: Kind | None = None
    min_items: int | None = None
    max_items: int | None = None
    json_schema: Mapping[str, Any] | None = None
    visible_when: Condition | None = None
    # presentation details of a loaded legacy record, replayed on emission
    ui_extra: Mapping[str, Any] = attrs.field(factory=dict)
    ui_omit: tuple[str, ...] = ()

    __hash__ = None  # type: ignore[assignment]  # defaults may be lists or dicts

    @property
    def has_default(self) -> bool:
        """Whether a default was declared (``None`` counts as one)."""
        return self.default is not MISSING

    @property
    def labelled_options(self) -> bool:
        """Whether any option shows a label different from its value."""
        return any(o.label is not None and o.label != o.value for o in self.options)

    def option_values(self) -> tuple[Scalar, ...]:
        """The allowed values of a choice or multi-choice field."""
        return tuple(o.value for o in self.options)


@attrs.frozen(eq=True)
class Heading:
    """A header line in the form that opens no nested group."""

    label: str
    help: str | None = None
    ui_extra: Mapping[str, Any] = attrs.field(factory=dict)

    __hash__ = None  # type: ignore[assignment]


@attrs.frozen(eq=True)
class Section:
    """A nested group of settings: ``settings[key]`` is an object of its children.

    `header` is false for a group that a legacy document implies by dotted paths alone
    (no header record), so that re-emitting it adds none.
    """

    key: str
    label: str
    children: tuple[Node, ...] = ()
    help: str | None = None
    advanced: bool = False
    visible_when: Condition | None = None
    header: bool = True
    ui_extra: Mapping[str, Any] = attrs.field(factory=dict)

    __hash__ = None  # type: ignore[assignment]


Node: TypeAlias = Field | Section | Heading


@attrs.frozen(eq=True)
class Schema:
    """A whole declaration: the top-level nodes, named presets and load warnings.

    Presets are partial settings trees holding decoded values (not JSON text). Warnings
    are problems a legacy document was accepted with. `declared_by` is the attrs or
    pydantic class a class-first front end read this very schema from: that class holds
    its settings by construction (it is not checked as an `into=` class is).
    """

    children: tuple[Node, ...] = ()
    presets: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    title: str | None = None
    warnings: tuple[SchemaProblem, ...] = attrs.field(default=(), eq=False)
    _memo: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    __hash__ = None  # type: ignore[assignment]

    def memo(self, key: str, make: Callable[[Schema], T]) -> T:
        """A derived artefact (JSON Schema, classes, validators), made once per schema."""
        try:
            return cast(T, self._memo[key])
        except KeyError:
            value = self._memo[key] = make(self)
            return value

    @property
    def declared_by(self) -> type | None:
        """The class a class-first front end read this schema from, else ``None``; kept
        with the memo, so a schema changed with `attrs.evolve` (which may no longer be
        what the class declares) has none."""
        found = self._memo.get(_DECLARED_BY)
        return found if isinstance(found, type) else None

    def declared(self, cls: type) -> Schema:
        """This schema, noted as the one `cls` declares (see `declared_by`)."""
        self._memo[_DECLARED_BY] = cls
        return self

    def walk(self) -> Iterator[tuple[str, Node]]:
        """Every node in document order with its dotted path (headings get ``""``)."""
        yield from _walk(self.children, "")

    def fields(self) -> Iterator[tuple[str, Field]]:
        """Every field in document order with its dotted path."""
        for path, node in self.walk():
            if isinstance(node, Field):
                yield path, node

    def sections(self) -> Iterator[tuple[str, Section]]:
        """Every section in document order with its dotted path."""
        for path, node in self.walk():
            if isinstance(node, Section):
                yield path, node

    def find(self, path: str) -> Field | Section | None:
        """The field or section at a dotted path, or ``None`` (an index made once)."""
        return self.memo("index", _index).get(path)

    def field_count(self) -> int:
        """How many fields the schema declares."""
        return sum(1 for _ in self.fields())


_DECLARED_BY: Final = "declared by"
"""The memo key of `Schema.declared_by`."""


def _index(schema: Schema) -> dict[str, Field | Section]:
    """Every field and section by dotted path."""
    return {p: n for p, n in schema.walk() if isinstance(n, Field | Section)}


def _walk(nodes: tuple[Node, ...], prefix: str) -> Iterator[tuple[str, Node]]:
    for node in nodes:
        if isinstance(node, Heading):
            yield "", node
            continue
        path = f"{prefix}{node.key}"
        yield path, node
        if isinstance(node, Section):
            yield from _walk(node.children, path + ".")


_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[_\-\s]+")


def derive_label(key: str) -> str:
    """A readable label from a key: ``image_height`` -> ``Image height``."""
    words = [w for w in _WORD_BREAK.split(key) if w]
    if not words:
        return key
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[0].upper() + text[1:]


OptionsInput: TypeAlias = Iterable[Any] | Mapping[Any, str]
"""How authors may give options: values, ``(value, label)`` pairs, `Option`s, a mapping."""


def options_from(options: OptionsInput, path: str = "") -> tuple[Option, ...]:
    """Options from a list of values, ``(value, label)`` pairs, `Option`s, or a mapping."""
    if isinstance(options, Mapping):
        return tuple(Option(v, str(label)) for v, label in options.items())
    result = []
    for item in options:
        if isinstance(item, Option):
            result.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            result.append(Option(item[0], str(item[1])))
        elif isinstance(item, Mapping) and "value" in item:
            label = item.get("label")
            result.append(Option(item["value"], None if label is None else str(label)))
        elif isinstance(item, str | int | float | bool) or item is None:
            result.append(Option(item))
        else:
            raise SchemaError.single(path, f"an option must be a scalar value, got {item!r}")
    return tuple(result)
