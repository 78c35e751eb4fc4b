"""When a field or section is active: the conditions' dependency graph and one meaning.

A node is active when every section above it is active and its `visible_when` holds. A
condition reads a field's value only while that field is active: the value given, or,
when none was given, its default; an inactive field reads as missing, so a value that is
dropped as inactive never makes another field active (and settings resolve to a tree
that resolves to itself, as the platform's form sends them). `Activity` is that
meaning. The generated validator compiles the same meaning inline (in the order
`dependency_order` gives); a property test keeps the two in agreement.

The graph: a node depends on its parent section and on the fields its condition reads.
The build-time checks refuse cycles (`on_cycles`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .._errors import SchemaError
from .nodes import MISSING, Field, Node, Schema, Section

__all__ = [
    "Activity",
    "dependency_graph",
    "dependency_order",
    "dynamic_paths",
    "lookup_in",
    "on_cycles",
    "paths_of",
    "reads",
]


def paths_of(schema: Schema) -> dict[str, Node]:
    """Every field and section (and heading) by dotted path, made once per schema."""
    return schema.memo("paths", lambda s: {p: n for p, n in s.walk() if p})


def reads(paths: Mapping[str, Node], path: str) -> list[str]:
    """What a node's activity depends on: its parent section and the fields it tests."""
    found = []
    parent = path.rpartition(".")[0]
    if parent:
        found.append(parent)
    node = paths[path]
    condition = node.visible_when if isinstance(node, Field | Section) else None
    if condition is not None:
        found += [f for f in dict.fromkeys(condition.fields()) if f in paths]
    return found


def dependency_graph(paths: Mapping[str, Node]) -> dict[str, list[str]]:
    """Each node's dependencies (`reads`), for every node."""
    return {path: reads(paths, path) for path in paths}


def dependency_order(paths: Mapping[str, Node], wanted: set[str]) -> list[str]:
    """The wanted nodes (and what they read) ordered so that what a node's activity reads
    comes first; iterative, so long chains of conditions need no deep recursion.

    A cycle (which the build-time checks refuse) raises `SchemaError`.
    """
    order: list[str] = []
    done: set[str] = set()
    visiting: set[str] = set()
    for root in paths:
        if root not in wanted:
            continue
        stack = [(root, False)]
        while stack:
            path, expanded = stack.pop()
            if path in done:
                continue
            if expanded:
                done.add(path)
                visiting.discard(path)
                order.append(path)
                continue
            if path in visiting:  # reached again from what it depends on
                raise SchemaError.single(path, "visible_when conditions form a cycle")
            visiting.add(path)
            stack.append((path, True))
            stack += [(d, False) for d in reads(paths, path) if d not in done]
    return order


def dynamic_paths(schema: Schema) -> tuple[str, ...]:
    """Paths of the nodes whose activity depends on values (a condition on or above them)."""
    conditional: set[str] = set()
    found = []
    for path, node in paths_of(schema).items():
        parent = path.rpartition(".")[0]
        if (isinstance(node, Field | Section) and node.visible_when is not None) or (
            parent in conditional
        ):
            conditional.add(path)
            found.append(path)
    return tuple(found)


def on_cycles(depends: Mapping[str, list[str]]) -> set[str]:
    """The nodes that lie on a dependency cycle (Tarjan's components, iteratively).

    Linear in nodes and edges, and without recursion, so long chains of conditions
    cost no more per field than short ones.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cyclic: set[str] = set()
    for root in depends:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(depends.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(depends.get(step, ())))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in depends.get(node, ()):
                    cyclic.update(component)
    return cyclic


class Activity:
    """Whether each field and section is active, given the values a settings tree holds.

    `given(path)` is a field's given value (decoded) or `MISSING`. Every node is judged
    once, in dependency order. A schema whose conditions form a cycle (which the
    build-time checks refuse) raises `SchemaError`.
    """

    def __init__(self, schema: Schema, given: Callable[[str], Any]) -> None:
        self._paths = paths_of(schema)
        self._given = given
        self._active: dict[str, bool] = {}
        for path in dependency_order(self._paths, set(self._paths)):
            self._active[path] = self._judge(path)

    def active(self, path: str) -> bool:
        """Whether the node at `path` is active (an unknown path is not)."""
        return self._active.get(path, False)

    def value(self, path: str) -> Any:
        """The value a condition reads for the field at `path`, or `MISSING`."""
        node = self._paths.get(path)
        if not isinstance(node, Field):
            return MISSING
        if not self._active.get(path, False):
            return MISSING
        value = self._given(path)
        return node.default if value is MISSING and node.has_default else value

    def _judge(self, path: str) -> bool:
        parent = path.rpartition(".")[0]
        if parent and not self._active[parent]:
            return False
        node = self._paths[path]
        condition = node.visible_when if isinstance(node, Field | Section) else None
        return condition is None or condition.holds(_Values(self))


class _Values(Mapping[str, Any]):
    """The values conditions read, by dotted path (`Activity.value`); missing ones absent."""

    def __init__(self, activity: Activity) -> None:
        self._activity = activity

    def __getitem__(self, path: str) -> Any:
        value = self._activity.value(path)
        if value is MISSING:
            raise KeyError(path)
        return value

    def __iter__(self) -> Iterator[str]:
        return (p for p in self._activity._paths if self._activity.value(p) is not MISSING)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def lookup_in(tree: Mapping[str, Any]) -> Callable[[str], Any]:
    """`given` for a tree of model values: the value at a dotted path, or `MISSING`."""

    def given(path: str) -> Any:
        current: Any = tree
        for part in path.split("."):
            if not isinstance(current, Mapping) or part not in current:
                return MISSING
            current = current[part]
        return current

    return given
