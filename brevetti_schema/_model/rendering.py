"""A value as messages show it: short, and never failing (huge integers, deep nesting).

`describe` writes it as Python does (settings problems); `describe_json` as JSON does
(the YAML/JSON authoring format, whose authors write ``true`` and ``null``). Both cut
long text to 60 characters.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any, Final

__all__ = ["LARGEST_NUMBER", "describe", "describe_json"]

LARGEST_NUMBER: Final = sys.float_info.max
"""Numbers beyond this (about 1.8e308) are refused: JSON readers (the platform's form,
JavaScript, float64 everywhere) cannot hold them, and a float cannot either."""

_LONGEST: Final = 60


def describe(value: Any) -> str:
    """A short rendering of a value for messages, as Python writes it."""
    cls = value.__class__
    if cls is float or cls is bool:  # always short
        return repr(value)
    if cls is str or (cls is int and -LARGEST_NUMBER <= value <= LARGEST_NUMBER):
        text: str = repr(value)  # `_render`'s result, without its tests
        return text if len(text) <= _LONGEST else text[: _LONGEST - 3] + "..."
    return _render(value, repr, "holding an integer too long to show")


def describe_json(value: Any) -> str:
    """A short rendering of a value for messages, as JSON writes it."""
    return _render(value, _json_text, "too large to show")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)


def _render(value: Any, write: Callable[[Any], str], failure: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST_NUMBER:
        digits = int(abs(value).bit_length() * math.log10(2)) + 1
        return f"an integer of about {digits:,} digits"
    try:
        text: str = write(value)
    except (ValueError, RecursionError):  # an integer inside too long to write out
        return f"a {type(value).__name__} {failure}"
    return text if len(text) <= _LONGEST else text[: _LONGEST - 3] + "..."
