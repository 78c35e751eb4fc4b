"""Plain settings trees (nested dicts): copying, setting by dotted path, deep merging.

Shared by the DSL, the back ends, the pipeline and the job runtime (`merge_settings`
and `set_setting` are public), so that each treats trees the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["deep_merge", "merge_settings", "plain_copy", "set_setting"]


def plain_copy(value: Any) -> Any:
    """A deep copy in JSON shapes (mappings become dicts, tuples lists): never shared."""
    if isinstance(value, Mapping):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_copy(v) for v in value]
    return value


def set_setting(tree: dict[str, Any], path: str, value: Any) -> None:
    """``tree[a][b] = value`` for ``path="a.b"``, copying the mappings on the way.

    Copy on write: nested mappings the caller handed in are never changed.
    """
    *parents, last = path.split(".")
    for part in parents:
        child = tree.get(part)
        copied = dict(child) if isinstance(child, Mapping) else {}
        tree[part] = copied
        tree = copied
    tree[last] = value


def deep_merge(target: dict[str, Any], tree: Mapping[str, Any]) -> None:
    """Merge `tree` into `target`: mappings merge key by key, anything else replaces.

    Values taken from `tree` are copied, and mappings of `target` are copied before
    they change, so neither input shares structure with the result.
    """
    for key, value in tree.items():
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged = dict(current)
            deep_merge(merged, value)
            target[key] = merged
        else:
            target[key] = plain_copy(value)


def merge_settings(*trees: Mapping[str, Any]) -> dict[str, Any]:
    """Layers of raw settings as one tree: later layers win key by key, nested mappings
    merge, and the result shares nothing with the layers."""
    merged: dict[str, Any] = {}
    for tree in trees:
        deep_merge(merged, tree)
    return merged
