"""Field kinds: one module per kind, each exporting its `KindSpec`, and one registry.

Every front end and back end asks `spec(kind)` (or `REGISTRY`) for what a kind means:
the options it takes, how a value is checked, decoded and encoded, its JSON Schema
fragment, its platform UI record, its Python type (and which annotations of a user's
settings class hold its values) and its help. Adding a kind means a new module here, a
`Kind` member and a line below.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .._model.nodes import Field, Kind
from . import (
    boolean,
    choice,
    class_mapping,
    classes,
    integer,
    json_value,
    list_of,
    multi_choice,
    number,
    secret,
    text,
)
from ._shared import a_kind
from ._spec import COMMON_OPTIONS, KIND_ATTRIBUTES, DecodeError, Issue, KindSpec, UIPart, UIRecord
from .list_of import LIST_ITEM_KINDS

__all__ = [
    "ANNOTATION_KINDS",
    "COMMON_OPTIONS",
    "KIND_ATTRIBUTES",
    "LIST_ITEM_KINDS",
    "REGISTRY",
    "DecodeError",
    "Issue",
    "KindSpec",
    "UIPart",
    "UIRecord",
    "a_kind",
    "misplaced_options",
    "spec",
]

REGISTRY: Mapping[Kind, KindSpec] = MappingProxyType(
    {
        module.SPEC.kind: module.SPEC
        for module in (
            integer, number, text, boolean, choice, multi_choice, list_of, json_value, classes,
            class_mapping, secret,
        )
    }
)  # fmt: skip
"""Every field kind's spec, in the order of `Kind`."""


ANNOTATION_KINDS: Mapping[type, Kind] = MappingProxyType(
    {s.annotation: k for k, s in REGISTRY.items() if s.annotation is not None}
)
"""The kind each plain annotation declares in a class-first settings class."""


def spec(kind: Kind) -> KindSpec:
    """The spec of a kind."""
    return REGISTRY[kind]


_UNSET: dict[str, Any] = {"multiline": False, "options": (), "item_kind": None}


def misplaced_options(field: Field) -> list[str]:
    """The kind-specific attributes a field sets although its kind does not take them."""
    taken = REGISTRY[field.kind].options
    return [
        name
        for name in KIND_ATTRIBUTES
        if name not in taken and getattr(field, name) != _UNSET.get(name)
    ]
