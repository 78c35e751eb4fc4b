"""What a job must never write out: its API key and the values of its secret settings.

One place that finds those values and masks them in text, and that leaves secret
settings out of a settings tree before a description is cached on disk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from brevetti_schema import Kind, Schema, Secret

from ._description import MASK

__all__ = ["Scrubber", "secret_paths", "without_paths"]


def secret_paths(schema: Schema | None) -> tuple[str, ...]:
    """The dotted paths of a schema's secret fields (none without a schema)."""
    if schema is None:
        return ()
    return tuple(path for path, field in schema.fields() if field.kind is Kind.SECRET)


def _lookup(tree: Mapping[str, Any], path: str) -> Any:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def without_paths(tree: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """A copy of a nested settings tree with the values at `paths` left out."""
    result: dict[str, Any] = dict(tree)
    for path in paths:
        head, _, rest = path.partition(".")
        if head not in result:
            continue
        if not rest:
            del result[head]
        elif isinstance(result[head], Mapping):
            result[head] = without_paths(result[head], [rest])
    return result


def _text(value: str | Secret) -> str:
    return value.reveal() if isinstance(value, Secret) else value


class Scrubber:
    """Masks the API key and every secret setting's value wherever they appear in text."""

    def __init__(self, api_key: str | None, secrets: Iterable[str] = ()) -> None:
        values = {v for v in (api_key, *secrets) if v}
        self._values = sorted(values, key=len, reverse=True)  # longest first: no partial masks

    @classmethod
    def for_settings(
        cls, api_key: str | None, schema: Schema | None, tree: Mapping[str, Any]
    ) -> Scrubber:
        """A scrubber for a job: its key and the secret values of its settings tree."""
        found = (_lookup(tree, path) for path in secret_paths(schema))
        return cls(api_key, (_text(v) for v in found if isinstance(v, str | Secret)))

    def __repr__(self) -> str:
        return f"<Scrubber of {len(self._values)} value(s)>"

    def __call__(self, text: str) -> str:
        """`text` with every known secret replaced by the mask."""
        for value in self._values:
            text = text.replace(value, MASK)
        return text
