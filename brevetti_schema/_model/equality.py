"""When two setting values are the same: one definition each for the model and for JSON.

`same_value` is the model's: what a condition compares, a declared default against an
option's, a value against a choice's options. Booleans are never 0 or 1, while 1 and
1.0 are one number. `same_json` is JSON identity, for round trips of documents: the
same types throughout (1, 1.0 and true all differ), key order aside.
"""

from __future__ import annotations

from typing import Any

__all__ = ["same_json", "same_value"]


def same_value(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from 0 and 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: key order aside, but 1, 1.0 and true are all different."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
