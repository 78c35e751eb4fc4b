"""Build-time checks of a declaration: every front end runs them on the model it made.

They stand above the kinds (a default is checked by its kind's own rules, an option by
whether its kind takes it), so that the model itself asks no kind.

`check_schema` yields every problem at once. In lenient mode (legacy documents), value
problems of defaults become warnings, since the platform has long accepted them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .._errors import SchemaError, SchemaProblem, message_text
from .._model.activity import dependency_graph, on_cycles
from .._model.nodes import Condition, Field, Heading, Kind, Node, Schema, Section
from .._model.patterns import pattern_problem
from .._model.rendering import describe
from . import Issue, json_value, misplaced_options, spec
from .json_value import inner_schema_problems
from .list_of import ITEM_SPECS

__all__ = ["check_schema", "raise_for_problems", "value_problems"]

_BAD_KEY = re.compile(r"[.\s]")


def check_schema(schema: Schema, *, lenient: bool = False) -> list[SchemaProblem]:
    """Every problem of the declaration, errors and (lenient) warnings."""
    problems: list[SchemaProblem] = []
    problems += _check_nodes(schema.children, "", lenient)
    paths = {path: node for path, node in schema.walk() if path}
    problems += _check_presets(schema, paths, lenient)
    problems += _check_conditions(schema, paths)
    return problems


def raise_for_problems(problems: list[SchemaProblem]) -> list[SchemaProblem]:
    """Raise `SchemaError` when any problem is an error; return the warnings."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise SchemaError(errors)
    return problems


def _check_nodes(nodes: tuple[Node, ...], prefix: str, lenient: bool) -> list[SchemaProblem]:
    problems: list[SchemaProblem] = []
    seen: set[str] = set()
    for node in nodes:
        if isinstance(node, Heading):
            continue
        path = prefix + node.key
        if not node.key or _BAD_KEY.search(node.key):
            problems.append(SchemaProblem(path, f"key {node.key!r} must be non-empty, no dots"))
        if node.key in seen:
            problems.append(SchemaProblem(path, f"duplicate key {node.key!r}"))
        seen.add(node.key)
        if isinstance(node, Section):
            problems += _check_nodes(node.children, path + ".", lenient)
        else:
            problems += [SchemaProblem(path, m) for m in _field_declaration(node)]
            if node.has_default:
                severity = "warning" if lenient else "error"
                problems += [
                    SchemaProblem(path, f"default {m}", severity=severity)
                    for m in value_problems(node, node.default, inner=False)
                ]
    return problems


def _field_declaration(field: Field) -> Iterator[str]:
    """Problems of a field's constraints, independent of any value."""
    misplaced = misplaced_options(field)
    if misplaced:
        names = ", ".join(misplaced)
        verb = "does" if len(misplaced) == 1 else "do"
        yield f"{names} {verb} not apply to a field of kind {field.kind.value!r}"
        return
    for low, high, what in (
        (field.minimum, field.maximum, "min"),
        (field.min_length, field.max_length, "min_length"),
        (field.min_items, field.max_items, "min_items"),
    ):
        if low is not None and high is not None and low > high:
            yield f"{what} {low:g} is greater than its maximum {high:g}"
    if field.kind in (Kind.CHOICE, Kind.MULTI_CHOICE):
        if not field.options:
            yield "options must not be empty"
        values = [repr(o.value) for o in field.options]
        if len(set(values)) != len(values):
            yield "options hold the same value more than once"
    if field.kind is Kind.LIST and field.item_kind not in ITEM_SPECS:
        *others, last = (kind.value for kind in ITEM_SPECS)
        yield f"a list needs an item kind: {', '.join(others)} or {last}"
    if field.pattern is not None:
        problem = pattern_problem(field.pattern)
        if problem is not None:
            yield problem
    if field.multiple_of is not None and field.multiple_of <= 0:
        yield "multiple_of must be positive"
    if field.json_schema is not None:
        # the shape of the keywords, without jsonschema (imported only to validate values)
        for problem in inner_schema_problems(field.json_schema):
            yield f"json_schema is not a valid JSON Schema: {problem}"


def _check_presets(
    schema: Schema, paths: Mapping[str, Node], lenient: bool = False
) -> list[SchemaProblem]:
    problems = []
    severity = "warning" if lenient else "error"
    for name, tree in schema.presets.items():
        for path, value in _leaves(tree, "", paths):
            node = paths.get(path)
            where = f"preset {name!r}"
            if node is None:
                problems.append(SchemaProblem(path, f"{where} names an unknown field"))
            elif isinstance(node, Field):
                problems += [
                    SchemaProblem(path, f"{where}: {m}", severity=severity)
                    for m in value_problems(node, value, inner=False)
                ]
    return problems


def _leaves(
    tree: Mapping[str, Any], prefix: str, paths: Mapping[str, Node]
) -> Iterator[tuple[str, Any]]:
    """(dotted path, value) for each leaf of a partial settings tree.

    A mapping descends only while its path names a section, so a class-mapping or
    JSON default stays whole.
    """
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(paths.get(path), Section):
            yield from _leaves(value, path + ".", paths)
        else:
            yield path, value


def _check_conditions(schema: Schema, paths: Mapping[str, Node]) -> list[SchemaProblem]:
    problems: list[SchemaProblem] = []
    for path, node in paths.items():
        condition = node.visible_when if isinstance(node, Field | Section) else None
        if condition is not None:
            problems += _condition_problems(condition, path, paths)
    depends = dependency_graph(paths)
    on_cycle = on_cycles(depends)
    problems += [
        SchemaProblem(path, "visible_when conditions form a cycle")
        for path in depends
        if path in on_cycle
    ]
    return problems


def _condition_problems(
    condition: Condition, path: str, paths: Mapping[str, Node]
) -> Iterator[SchemaProblem]:
    if condition.op in ("all", "any"):
        for item in condition.items:
            yield from _condition_problems(item, path, paths)
        return
    target = paths.get(condition.field or "")
    if target is None:
        yield SchemaProblem(path, f"visible_when names an unknown field {condition.field!r}")
        return
    if not isinstance(target, Field):
        yield SchemaProblem(path, f"visible_when must test a field, {condition.field!r} is not")
        return
    values = condition.value if condition.op == "one_of" else (condition.value,)
    for value in values:
        for message in value_problems(target, value):
            yield SchemaProblem(
                path, f"visible_when compares {condition.field} with {describe(value)}: {message}"
            )


# -- one value against its field's rules (defaults, presets, conditions) ----------------


def issue_text(issue: Issue) -> str:
    """An issue as a message, its location inside the value in front."""
    code, written, loc = issue
    message = message_text(written)
    if code == "json_schema":  # a place inside a JSON value, as a JSON Schema path
        return f"{'/'.join(str(p) for p in loc) or 'value'}: {message}"
    if not loc:
        return message
    head = loc[0]
    where = f"item {head}" if isinstance(head, int) else describe(head)
    rest = "/".join(str(p) for p in loc[1:])
    return f"{where}{'/' + rest if rest else ''}: {message}"


def value_problems(field: Field, value: Any, *, inner: bool = True) -> list[str]:
    """What is wrong with `value` as a value of `field` (empty when it is fine).

    ``None`` is accepted for a field that is not required (an optional setting). With
    ``inner=False`` a JSON value is not checked against its inner JSON Schema (the
    build-time checks leave that to the first validation, so as not to load jsonschema).
    """
    if value is None:
        return ["a value is required"] if field.required else []
    check = spec(field.kind).check
    if not inner and field.kind is Kind.JSON:
        check = json_value.check_shape
    return [issue_text(i) for i in check(field, value)]
