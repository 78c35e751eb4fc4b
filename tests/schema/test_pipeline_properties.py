"""Properties of the settings pipeline over random schemas and settings."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import attrs
from hypothesis import given, note
from hypothesis import strategies as st

from brevetti_schema import Field, Kind, Schema, Section, SettingsError, structure, unstructure
from brevetti_schema._emit.classes.settings_types import settings_key
from brevetti_schema._model.trees import plain_copy
from brevetti_schema._settings.pipeline import encode_settings, resolve_settings
from tests.strategies import schemas, settings_for, shaped_like


def _resolve(schema: Schema, raw: Any, **kw: Any) -> Any:
    try:
        return resolve_settings(schema, raw, **kw)
    except SettingsError as exc:
        return exc


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, SettingsError) or isinstance(b, SettingsError):
        # compare what the problems say; a NaN value is never equal to itself
        return (
            isinstance(a, SettingsError)
            and isinstance(b, SettingsError)
            and _problems(a) == _problems(b)
        )
    return bool(a.settings == b.settings and a.tree == b.tree and a.warnings == b.warnings)


def _problems(error: SettingsError) -> list[tuple[str, str, str, str]]:
    """The problems in a fixed order (the engine reports them in document order)."""
    return sorted((repr(p.loc), p.code, p.message, repr(p.value)) for p in error.problems)


@given(st.data())
def test_valid_settings_resolve_and_round_trip(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    raw = data.draw(settings_for(schema))
    note(f"raw={raw!r}")
    result = resolve_settings(schema, raw)
    back = unstructure(result.settings, reveal_secrets=True)
    again = resolve_settings(schema, back)
    assert again.settings == result.settings
    assert resolve_settings(schema, result.tree).settings == result.settings


@given(st.data())
def test_the_object_filled_while_validating_is_what_the_classes_make(data: st.DataObject) -> None:
    """The validator fills the frozen objects' slots as it checks; the live classes' own
    structuring (cattrs, `__init__` with every default) makes the same object, every slot
    set, from the complete tree."""
    schema = data.draw(schemas())
    how = data.draw(st.sampled_from(["complete", "partial", "anything"]))
    if how == "anything":  # any values (strings to decode, None, ...), the valid ones kept
        raw = data.draw(shaped_like(schema))
    else:
        raw = data.draw(settings_for(schema, complete=how == "complete"))
    note(f"raw={raw!r}")
    result = _resolve(schema, raw)
    if isinstance(result, SettingsError):
        return
    made = structure(schema, result.tree)
    _assert_same_object(schema.children, result.settings, made)
    assert repr(result.settings) == repr(_plain_json(schema.children, made))


def _plain_json(nodes: tuple[Any, ...], obj: Any) -> Any:
    """`obj` with its JSON fields' values as `plain_copy` makes them (tuples as lists).

    The validator copies a JSON value in JSON shapes; the classes' own structuring keeps
    a tuple given inside one (which no JSON text holds) as it is.
    """
    changes = {}
    for node in nodes:
        if isinstance(node, Section):
            attribute = _attribute(obj, node.key)
            changes[attribute.alias] = _plain_json(node.children, getattr(obj, attribute.name))
        elif isinstance(node, Field) and node.kind is Kind.JSON:
            attribute = _attribute(obj, node.key)
            value = getattr(obj, attribute.name)
            changes[attribute.alias] = None if value is None else plain_copy(value)
    return attrs.evolve(obj, **changes)


def _attribute(obj: Any, key: str) -> Any:
    (attribute,) = (a for a in attrs.fields(type(obj)) if settings_key(a) == key)
    return attribute


def _assert_same_object(nodes: tuple[Any, ...], ours: Any, theirs: Any) -> None:
    assert type(ours) is type(theirs)
    assert ours == _plain_json(nodes, theirs)


@given(st.data())
def test_transport_form_decodes_to_the_same_result(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    raw = data.draw(settings_for(schema))
    result = resolve_settings(schema, raw)
    transported = encode_settings(schema, result.tree, secrets="keep")
    json.dumps(transported)
    assert resolve_settings(schema, transported).settings == result.settings


@given(st.data())
def test_any_value_anywhere_gives_settings_error_or_a_result(data: st.DataObject) -> None:
    """Values of any type in any place (bytes, sets, huge integers, broken JSON text)
    resolve, to the same result on a second run, or raise SettingsError; never another
    exception."""
    schema = data.draw(schemas())
    raw = data.draw(shaped_like(schema))
    note(f"raw={raw!r}")
    first = _resolve(schema, copy.deepcopy(raw))
    again = _resolve(schema, copy.deepcopy(raw))
    assert _same(first, again)
    if not isinstance(first, SettingsError):
        assert resolve_settings(schema, first.tree).settings == first.settings


def _said(problem: Any) -> tuple[str, ...]:
    """All a problem says (its value as written, a NaN being unequal to itself)."""
    return (repr(problem), str(problem), json.dumps(problem.to_json()), problem.message)


_COPIES = st.sampled_from(
    [lambda p: pickle.loads(pickle.dumps(p)), copy.copy, copy.deepcopy, attrs.evolve]
)


@given(st.data())
def test_messages_read_the_same_first_or_after_a_copy(data: st.DataObject) -> None:
    """Each problem of a report says the same whether read at once or only after it was
    pickled or copied (messages are written when first read)."""
    schema = data.draw(schemas())
    raw = data.draw(shaped_like(schema))
    note(f"raw={raw!r}")
    first = _resolve(schema, copy.deepcopy(raw))
    if not isinstance(first, SettingsError):
        return
    said = [_said(p) for p in first.problems]
    again = _resolve(schema, copy.deepcopy(raw))
    clone = data.draw(_COPIES)
    assert [_said(clone(p)) for p in again.problems] == said


@st.composite
def schema_and_document(draw: st.DrawFn) -> tuple[Schema, dict[str, Any]]:
    """A random schema and a settings document for it: valid (whole or partial), or
    with one mistake (a wrong value, an unknown key, a required value dropped)."""
    schema = draw(schemas())
    raw = draw(settings_for(schema, complete=draw(st.booleans())))
    raw = draw(st.one_of(st.just(raw), _mutated(schema, raw)))
    note(f"raw={raw!r}")
    return schema, raw


def _field_paths(schema: Schema) -> list[tuple[str, Field]]:
    return list(schema.fields())


_WRONG = st.sampled_from([True, "x", -(10**9), 10**9, 1.5, [1], {"a": 1}, None, "", float("nan")])


@st.composite
def _mutated(draw: st.DrawFn, schema: Schema, raw: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    fields = _field_paths(schema)
    what = draw(st.sampled_from(["wrong", "unknown", "drop"]))
    if what == "unknown" or not fields:
        raw[draw(st.from_regex(r"zz[a-z]{1,5}", fullmatch=True))] = 1
        return raw
    path, _ = draw(st.sampled_from(fields))
    *parents, last = path.split(".")
    tree = raw
    for part in parents:
        tree = tree.setdefault(part, {})
    if what == "drop":
        tree.pop(last, None)
    else:
        tree[last] = draw(_WRONG)
    return raw


@given(st.data())
def test_mutated_settings_give_settings_error_naming_the_path(data: st.DataObject) -> None:
    schema = data.draw(schemas(conditions=False))
    raw = data.draw(settings_for(schema))
    fields = [(p, f) for p, f in _field_paths(schema) if f.kind is not Kind.JSON]
    if not fields:
        return
    path, field = data.draw(st.sampled_from(fields))
    wrong = data.draw(_WRONG)
    *parents, last = path.split(".")
    tree = raw
    for part in parents:
        tree = tree[part]
    tree[last] = wrong
    note(f"{path} = {wrong!r}")
    try:
        resolve_settings(schema, raw)
    except SettingsError as exc:
        loc = tuple(path.split("."))
        assert any(p.loc[: len(loc)] == loc for p in exc.problems)
        assert all(p.pointer == "".join(f"/{part}" for part in p.loc) for p in exc.problems)
        return
    # accepted: the wrong value must then be one the field takes
    from brevetti_schema._kinds._transport import NOT_SET, decode_value
    from brevetti_schema._kinds.checks import value_problems

    decoded = decode_value(field, wrong) if isinstance(wrong, str) else wrong
    assert (
        decoded is NOT_SET
        or (decoded is None and not field.required)
        or not value_problems(field, decoded)
    )


@given(st.data())
def test_unknown_keys_warn_or_fail_in_strict_mode(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    raw = data.draw(settings_for(schema))
    raw["zz_unknown"] = 1
    result = resolve_settings(schema, raw)
    assert result.unknown == {"zz_unknown": 1}
    try:
        resolve_settings(schema, raw, strict=True)
    except SettingsError as exc:
        assert "zz_unknown" in {p.path for p in exc.problems}
    else:
        raise AssertionError("strict mode accepted an unknown key")


def _sections(schema: Schema) -> list[str]:
    return [p for p, n in schema.walk() if isinstance(n, Section)]
