"""Conditions (`visible_when`): constructors and their plain-data form.

The plain-data form is what the YAML format and the platform UI JSON carry::

    {"field": "model.kind", "equals": "resnet"}
    {"field": "model.kind", "not_equals": "resnet"}
    {"field": "model.kind", "one_of": ["resnet", "vgg"]}
    {"all": [<condition>, ...]}        {"any": [<condition>, ...]}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._errors import SchemaError
from .nodes import Condition

__all__ = [
    "all_of",
    "any_of",
    "condition_from_data",
    "condition_to_data",
    "equals",
    "not_equals",
    "one_of",
]


def equals(field: str, value: Any) -> Condition:
    """Active when the field at dotted path `field` equals `value`."""
    return Condition("equals", field, value)


def not_equals(field: str, value: Any) -> Condition:
    """Active when the field at dotted path `field` differs from `value`."""
    return Condition("not_equals", field, value)


def one_of(field: str, values: Iterable[Any]) -> Condition:
    """Active when the field at dotted path `field` holds one of `values`."""
    return Condition("one_of", field, tuple(values))


def all_of(*conditions: Condition) -> Condition:
    """Active when every condition holds."""
    return Condition("all", items=tuple(conditions))


def any_of(*conditions: Condition) -> Condition:
    """Active when at least one condition holds."""
    return Condition("any", items=tuple(conditions))


def condition_to_data(condition: Condition) -> dict[str, Any]:
    """The plain-data form of a condition (JSON and YAML friendly)."""
    if condition.op in ("all", "any"):
        return {condition.op: [condition_to_data(c) for c in condition.items]}
    value = list(condition.value) if condition.op == "one_of" else condition.value
    return {"field": condition.field, condition.op: value}


def condition_from_data(data: Any, path: str = "") -> Condition:
    """Parse the plain-data form; `path` names the declaring field in errors."""
    if isinstance(data, Condition):
        return data
    if not isinstance(data, Mapping):
        raise SchemaError.single(
            path, f"visible_when must be a mapping like {{field: ..., equals: ...}}, got {data!r}"
        )
    keys = set(data)
    for op in ("all", "any"):
        if op in keys:
            if keys != {op}:
                raise SchemaError.single(path, f"visible_when.{op} takes no other keys")
            items = data[op]
            if not isinstance(items, list | tuple) or not items:
                raise SchemaError.single(path, f"visible_when.{op} must be a non-empty list")
            return Condition(op, items=tuple(condition_from_data(i, path) for i in items))
    ops = keys & {"equals", "not_equals", "one_of"}
    if "field" not in keys or len(ops) != 1 or keys - ops - {"field"}:
        raise SchemaError.single(
            path,
            "visible_when needs 'field' and exactly one of equals, not_equals, one_of "
            f"(or all/any), got keys {sorted(keys)}",
        )
    (op,) = ops
    field = data["field"]
    if not isinstance(field, str) or not field:
        raise SchemaError.single(path, "visible_when.field must be a dotted field path")
    value = data[op]
    if op == "one_of":
        if not isinstance(value, list | tuple) or not value:
            raise SchemaError.single(path, "visible_when.one_of must be a non-empty list")
        value = tuple(value)
    return Condition(op, field, value)
