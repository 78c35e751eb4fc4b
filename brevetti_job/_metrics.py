"""Output metrics: checked when they are added, so a bad value fails at its source."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._errors import MetricError
from ._files import check_name

__all__ = ["checked_metric"]

_MAX_DEPTH = 8


def checked_metric(name: Any, value: Any, *, _depth: int = 0) -> Any:
    """A JSON-ready copy of a metric value, or `MetricError` saying what is wrong.

    Accepted: finite numbers, text, booleans, ``None``, and lists and mappings (text
    keys) of them: per-class vectors, confusion matrices. NumPy-like scalars and arrays
    are read through ``item()`` and ``tolist()``. NaN and infinities are refused.
    """
    if not isinstance(name, str) or not name.strip():
        raise MetricError(f"a metric name must be non-empty text, got {name!r}")
    check_name(name, "metric name", MetricError)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return check_name(value, f"metric {name!r}: the text", MetricError)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MetricError(f"metric {name!r}: {value!r} is not a finite number")
        return float(value)
    if isinstance(value, Mapping | list | tuple) and _depth >= _MAX_DEPTH:
        raise MetricError(f"metric {name!r}: nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        return {
            _text_key(name, key): checked_metric(f"{name}.{key}", item, _depth=_depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            checked_metric(f"{name}[{index}]", item, _depth=_depth + 1)
            for index, item in enumerate(value)
        ]
    shape = getattr(value, "shape", None)
    converter = getattr(value, "item" if shape in ((), None) else "tolist", None)
    if callable(converter):
        try:
            converted = converter()
        except (TypeError, ValueError):
            pass
        else:
            if converted is not value:
                return checked_metric(name, converted, _depth=_depth)
    raise MetricError(
        f"metric {name!r}: expected a finite number, text, a boolean, or a list or mapping "
        f"of them, got {type(value).__name__}"
    )


def _text_key(name: str, key: Any) -> str:
    if not isinstance(key, str):
        raise MetricError(f"metric {name!r}: keys of a nested metric must be text, got {key!r}")
    return check_name(key, f"metric {name!r}: key", MetricError)
