"""The optional C accelerator of the fast path (`_speedups`) and what it is given.

`_speedups` is built from `_speedups.c` at install time where a C compiler is at hand;
without it, or with ``BREVETTI_SCHEMA_PURE_PYTHON=1`` in the environment, the fast path
runs as generated Python only (same results, slower). This module turns fields into
the check and conversion tuples that `_speedups.c` parses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

import attrs

from ._model import Field, Kind
from ._values import compiled_pattern, list_item

__all__ = [
    "FLOAT",
    "FLOAT_TUPLE",
    "KEEP",
    "MAPPING",
    "TUPLE",
    "Filler",
    "Scanner",
    "accelerated",
    "c_check",
    "c_item_check",
    "constructor",
    "plain_slots",
]

T = TypeVar("T")

_speedups: Any
if os.environ.get("BREVETTI_SCHEMA_PURE_PYTHON", "") not in ("", "0"):
    _speedups = None
else:
    try:
        from . import _speedups
    except ImportError:  # not built here (no compiler at install time): pure Python
        _speedups = None

Scanner: Any = _speedups.Scanner if _speedups is not None else None
Filler: Any = _speedups.Filler if _speedups is not None else None


def accelerated() -> bool:
    """Whether the C accelerator is in use (built, and not turned off by the environment)."""
    return _speedups is not None


def constructor(cls: type[T]) -> Callable[..., T]:
    """A positional maker of a frozen slotted attrs class: a `Filler` where it can be.

    Same object as ``cls(*values)`` for classes whose __init__ only stores its arguments.
    """
    if _speedups is None or not plain_slots(cls):
        return cls
    names = [a.name for a in attrs.fields(cast(Any, cls))]
    descriptors = tuple(getattr(cls, n) for n in names)
    filler = _speedups.Filler(cls, descriptors, bytes(len(names)), (None,) * len(names))
    return cast("Callable[..., T]", filler)


def plain_slots(cls: type) -> bool:
    """Whether filling the slots makes what ``cls(**kwargs)`` makes (nothing else runs)."""
    fields = attrs.fields(cls)
    slots = set(cls.__dict__.get("__slots__", ())) - {"__weakref__"}
    return (
        slots == {a.name for a in fields}  # no cached hash or other hidden state
        and not hasattr(cls, "__attrs_post_init__")
        and not hasattr(cls, "__attrs_pre_init__")
        and all(a.validator is None and a.converter is None for a in fields)
        and all(type(cls.__dict__.get(a.name)).__name__ == "member_descriptor" for a in fields)
    )


# -- what the accelerator checks and converts ------------------------------------------

# check and conversion codes of `_speedups.c`
_ANY, _INT, _NUMBER, _BOOL, _TEXT, _CHOICE, _LIST, _CLASS_MAPPING = range(8)
KEEP, FLOAT, TUPLE, FLOAT_TUPLE, MAPPING = range(5)
_EXACT = 2**53  # integers compare exactly through doubles up to here

CCheck = tuple[Any, ...] | None


def _as_double(bound: float | None) -> float | None:
    """A bound as the C double it compares with; a ValueError when inexact."""
    if bound is None:
        return None
    if isinstance(bound, int) and abs(bound) > _EXACT:
        raise ValueError(bound)
    return float(bound)


def _check(code: int, **given: Any) -> tuple[Any, ...]:
    """A check tuple in the order `_speedups.c` parses it."""
    names = ("lo", "hi", "xlo", "xhi", "step", "min_len", "max_len", "choices", "choice_type",
             "predicate")  # fmt: skip
    return (code, *(given.get(n) for n in names), bool(given.get("unique")))


def _numeric(code: int, f: Field) -> CCheck:
    try:
        given = (f.minimum, f.maximum, f.exclusive_minimum, f.exclusive_maximum)
        lo, hi, xlo, xhi = (_as_double(b) for b in given)
    except ValueError:
        return None
    step: float | int | None = f.multiple_of
    if step is not None:
        if code == _INT and float(step).is_integer():
            step = int(step)
            if not 0 < step <= _EXACT:
                return None
        else:
            step = float(step)
    return _check(code, lo=lo, hi=hi, xlo=xlo, xhi=xhi, step=step)


def _one_kind_options(f: Field) -> tuple[frozenset[Any], type] | None:
    """The options as a set and their one class, when they are all str or all int."""
    values = f.option_values()
    kinds = {type(v) for v in values}
    if len(kinds) != 1 or not kinds <= {str, int} or "" in values:
        return None
    return frozenset(values), kinds.pop()


def c_check(f: Field) -> CCheck:
    """The C check of a field's given value, or None where the Python code checks it."""
    kind = f.kind
    if kind is Kind.INTEGER:
        return _numeric(_INT, f)
    if kind is Kind.NUMBER:
        return _numeric(_NUMBER, f)
    if kind is Kind.BOOLEAN:
        return _check(_BOOL)
    if kind in (Kind.TEXT, Kind.SECRET):
        pattern = compiled_pattern(f.pattern)
        search = pattern.search if pattern is not None else None
        return _check(_TEXT, min_len=f.min_length, max_len=f.max_length, predicate=search)
    if kind is Kind.CHOICE:
        options = _one_kind_options(f)
        if options is None:
            return None
        return _check(_CHOICE, choices=options[0], choice_type=options[1])
    if kind in (Kind.LIST, Kind.CLASSES, Kind.MULTI_CHOICE):
        if c_item_check(f) is None:
            return None
        unique = kind is Kind.MULTI_CHOICE  # one kind of item: equal repr is equal value
        return _check(_LIST, min_len=f.min_items, max_len=f.max_items, unique=unique)
    if kind is Kind.CLASS_MAPPING:
        return _check(_CLASS_MAPPING)
    return None


def c_item_check(f: Field) -> CCheck:
    """The C check of each item of a list field (the `_list` rule), or None."""
    if f.kind is Kind.CLASSES:
        return _check(_TEXT)
    if f.kind is Kind.MULTI_CHOICE:
        options = _one_kind_options(f)
        if options is None:
            return None
        return _check(_CHOICE, choices=options[0], choice_type=options[1])
    if f.kind is not Kind.LIST:
        return None
    item = list_item(f)
    if item.kind not in (Kind.INTEGER, Kind.NUMBER, Kind.TEXT, Kind.BOOLEAN):
        return None
    return c_check(item)
