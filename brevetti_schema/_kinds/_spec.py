"""The shape of a field kind's spec: everything about one kind, in one frozen record.

Every front end and back end asks the registry (`brevetti_schema._kinds.REGISTRY`) for
a kind's spec instead of keeping a table of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol

import attrs

from .._errors import Message
from .._model.nodes import Field, Kind

__all__ = [
    "COMMON_OPTIONS",
    "KIND_ATTRIBUTES",
    "Consts",
    "DecodeError",
    "Issue",
    "KindSpec",
    "RecordReading",
    "UIPart",
    "UIRecord",
]

Issue = tuple[str, Message, tuple[str | int, ...]]
"""One value problem: ``(code, message, location inside the value)``; the message may be
left to be written when read (`Message`: a report need not word what nobody reads)."""

Fragment = dict[str, Any]

COMMON_OPTIONS: Final = frozenset(
    {"help", "hint", "placeholder", "unit", "default", "required", "advanced", "readonly",
     "visible_when", "ui_extra", "ui_omit"}
)  # fmt: skip
"""Model attributes every kind takes (besides `kind`, `key` and `label`)."""

KIND_ATTRIBUTES: Final = (
    "minimum", "maximum", "exclusive_minimum", "exclusive_maximum", "step", "multiple_of",
    "multiline", "rows", "min_length", "max_length", "pattern", "options", "item_kind",
    "min_items", "max_items", "json_schema",
)  # fmt: skip
"""Model attributes that apply to some kinds only (a kind's spec lists those it takes)."""


class DecodeError(ValueError):
    """A transported value that cannot be read as the field's kind (message says why)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class Consts(Protocol):
    """What a kind's code generators need from the generator: named constants."""

    def const(self, value: Any) -> str:
        """A name in the generated code's namespace bound to `value`."""


class RecordReading(Protocol):
    """Typed access to one platform UI record (the UI loader's `RecordReader`)."""

    record: Mapping[str, Any]

    def number(self, key: str) -> Any: ...
    def count(self, key: str) -> Any: ...
    def text(self, key: str) -> str | None: ...
    def pattern(self, key: str = "pattern") -> str | None: ...
    def options(self, id_key: str) -> Any: ...


@attrs.define(eq=False)  # never compared: attrs writes no __eq__ (it costs at every start)
class UIPart:
    """The kind-specific part of a platform UI record and the attributes it carries."""

    head: dict[str, Any]
    carried: frozenset[str] = frozenset()
    validators: tuple[str, ...] = ()
    tail: dict[str, Any] = attrs.field(factory=dict)


def _any_record(record: Mapping[str, Any], extension: Mapping[str, Any]) -> bool:
    return True


@attrs.frozen(eq=False)  # one object per form of record, compared by identity
class UIRecord:
    """A form of platform UI record that reads as the kind.

    Its ``type``; for an ``input``, the ``inputType``s it may have; the ``criterionType``
    it must have (``None``: a record of this form that has one is another kind's); and
    `fits`, what else the record (and its ``brevetti`` extension, ``{}`` if none) must say.
    """

    type: str
    input_types: frozenset[str] = frozenset()
    criterion: str | None = None
    fits: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] = _any_record


@attrs.frozen(eq=False, repr=False)  # one per kind, compared by identity, shown by kind
class KindSpec:
    """Everything about one field kind.

    * `options`: the kind-specific model attributes it takes (see `KIND_ATTRIBUTES`);
    * `check`: every problem of a (non-None, decoded) value, as `Issue`s;
    * `decode` / `encode`: a transported string to a value (raising `DecodeError`),
      and a value to the platform's transport form;
    * `json_schema`: its JSON Schema fragment; `ui_part` / `ui_read`: its platform UI
      record part, and the attributes read back from such a record; `ui_records`: the
      forms of record the platform UI loader reads as the kind;
    * `python_type`: the attribute type of its settings classes; `type_name`: how the
      generated source names that type's family;
    * `annotation`: the plain annotation that declares the kind in a class-first settings
      class (``None``: the front ends tell it from the annotation's shape, a Literal, a
      list or a mapping);
    * `structure`: with `annotation`, the settings classes' structuring hook for that
      type (a decoded value as the type it is held as; `TypeError` when it is none);
    * `unstructure`: with `annotation`, the settings classes' unstructuring hook for that
      type, given whether secrets are revealed (``None``: the plain value is its own
      unstructured form);
    * `misfit`: why an attribute of a user's settings class whose annotation allows the
      types `choices` (no ``None``, no `Annotated`) cannot hold the kind's values, or
      ``None`` when it can (`check_settings_class` asks it for ``into=`` classes);
    * `fast_test` / `convert`: inline expressions for the generated validator (is a
      non-None value valid; the value as the settings object holds it);
    * `decodes`: whether a transported string may stand for another value, so the
      validator decodes a string it is given (text and secrets are their strings);
    * `help`: one line for editors and the documentation;
    * `allowed`: the values it allows, in words, for comments beside a setting (given a
      function that writes one value as the document does); ``None`` when the kind
      has nothing to say beyond its help.
    """

    kind: Kind
    options: frozenset[str]
    check: Callable[[Field, Any], list[Issue]]
    decode: Callable[[Field, str], Any]
    encode: Callable[[Field, Any], Any]
    json_schema: Callable[[Field, str], Fragment]
    ui_part: Callable[[Field], UIPart]
    ui_read: Callable[[RecordReading], dict[str, Any]]
    ui_records: tuple[UIRecord, ...]
    python_type: Callable[[Field], Any]
    type_name: str
    misfit: Callable[[Field, Sequence[Any]], str | None]
    fast_test: Callable[[Consts, Field, str], str]
    convert: Callable[[Consts, Field, str], str]
    help: str
    allowed: Callable[[Field, Callable[[Any], str]], str | None] = lambda field, show: None
    decodes: Callable[[Field], bool] = lambda field: True
    annotation: type | None = None
    structure: Callable[[Any, Any], Any] | None = None
    unstructure: Callable[[bool], Callable[[Any], Any]] | None = None

    def __repr__(self) -> str:
        return f"KindSpec({self.kind})"
