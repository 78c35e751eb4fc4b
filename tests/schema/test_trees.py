"""Settings trees, one set of helpers for the schema package and the job runtime."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import merge_settings, set_setting

_KEYS = st.sampled_from(["a", "b", "c"])
_TREES = st.recursive(
    st.integers() | st.text(max_size=2),
    lambda inner: st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
).filter(lambda t: isinstance(t, dict))


def test_later_layers_win_key_by_key_and_nothing_is_shared() -> None:
    base = {"train": {"epochs": 3, "lr": 0.1}, "data": {"sizes": [1, 2]}}
    over = {"train": {"epochs": 5}, "data": {"sizes": [3]}, "new": 1}
    merged = merge_settings(base, over)
    assert merged == {"train": {"epochs": 5, "lr": 0.1}, "data": {"sizes": [3]}, "new": 1}
    merged["train"]["lr"] = 9
    merged["data"]["sizes"].append(4)
    assert base["train"]["lr"] == 0.1 and over["data"]["sizes"] == [3]
    assert merge_settings() == {}


def test_set_setting_copies_on_write() -> None:
    given_tree = {"a": {"b": 1, "c": 2}}
    tree = dict(given_tree)
    set_setting(tree, "a.b", 5)
    set_setting(tree, "x.y.z", "deep")
    assert tree == {"a": {"b": 5, "c": 2}, "x": {"y": {"z": "deep"}}}
    assert given_tree == {"a": {"b": 1, "c": 2}}  # the caller's mapping is unchanged


def _leaf(tree: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def _leaves(tree: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(tree, dict):
        return [prefix]
    return [p for k, v in tree.items() for p in _leaves(v, (*prefix, k))] if tree else []


@given(_TREES, _TREES)
def test_every_leaf_of_the_last_layer_wins(first: dict[str, Any], second: dict[str, Any]) -> None:
    merged = merge_settings(first, second)
    for path in _leaves(second):
        assert _leaf(merged, path) == _leaf(second, path)
    assert merge_settings(merged, second) == merged
