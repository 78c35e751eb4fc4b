"""Activity under conditions: one meaning in the model, its dependency graph, and the
settings a form sends (values of inactive fields left out until nothing changes)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import (
    MISSING,
    Field,
    Kind,
    Schema,
    SchemaBuilder,
    SchemaError,
    equals,
    resolve_settings,
)
from brevetti_schema._emit.defaults import active_settings, preset_settings
from brevetti_schema._model.activity import (
    Activity,
    dependency_graph,
    dependency_order,
    dynamic_paths,
    lookup_in,
    on_cycles,
    paths_of,
)

from ..strategies import schemas, settings_for


def _chain() -> Schema:
    """mode -> tuned (when mode is fine) -> rate (when tuned), and a section on mode."""
    b = SchemaBuilder()
    b.choice("mode", options=["fast", "fine"], default="fast")
    b.boolean("tuned", default=True, visible_when=equals("mode", "fine"))
    b.number("rate", default=0.1, visible_when=equals("tuned", True))
    with b.section("extra", visible_when=equals("mode", "fine")) as extra:
        extra.integer("depth", default=3)
    b.preset("tuned_but_fast", {"mode": "fast", "tuned": True})
    return b.build()


def test_a_condition_reads_the_given_value_or_the_default_of_an_active_field() -> None:
    schema = _chain()
    nothing = Activity(schema, lambda path: MISSING)
    assert [nothing.active(p) for p in ("mode", "tuned", "rate", "extra", "extra.depth")] == [
        True, False, False, False, False,
    ]  # fmt: skip
    fine = Activity(schema, lookup_in({"mode": "fine"}))
    assert fine.active("rate") and fine.active("extra.depth")  # tuned's default reads True
    assert fine.value("tuned") is True and fine.value("mode") == "fine"
    # a value given for an inactive field is not what a condition reads: it is dropped
    given = Activity(schema, lookup_in({"mode": "fast", "tuned": True}))
    assert not given.active("tuned") and not given.active("rate")
    assert given.value("tuned") is MISSING
    assert not given.active("no.such.path")


def test_the_form_leaves_inactive_values_out_until_nothing_changes() -> None:
    schema = _chain()
    tree = {"mode": "fast", "tuned": True, "rate": 0.5, "extra": {"depth": 1}, "other": 1}
    assert active_settings(schema, tree) == {"mode": "fast", "other": 1}
    assert preset_settings(schema, "tuned_but_fast", active_only=True) == {"mode": "fast"}
    fine = {"mode": "fine", "tuned": False, "rate": 0.5}
    assert active_settings(schema, fine) == {"mode": "fine", "tuned": False}


def test_dependency_order_puts_what_a_node_reads_first() -> None:
    schema = _chain()
    paths = paths_of(schema)
    assert dependency_graph(paths)["rate"] == ["tuned"]
    assert dependency_graph(paths)["extra.depth"] == ["extra"]
    order = dependency_order(paths, {"rate", "extra.depth"})
    assert order.index("mode") < order.index("tuned") < order.index("rate")
    assert order.index("extra") < order.index("extra.depth")
    assert dynamic_paths(schema) == ("tuned", "rate", "extra", "extra.depth")


def _cyclic() -> Schema:
    a = Field(Kind.BOOLEAN, "a", "A", visible_when=equals("b", True))
    b = Field(Kind.BOOLEAN, "b", "B", visible_when=equals("a", True))
    return Schema(children=(a, b, Field(Kind.INTEGER, "c", "C")))


def test_a_cycle_is_found_and_refused() -> None:
    schema = _cyclic()
    assert on_cycles(dependency_graph(paths_of(schema))) == {"a", "b"}
    with pytest.raises(SchemaError, match="form a cycle"):
        Activity(schema, lambda path: MISSING)
    with pytest.raises(SchemaError, match="form a cycle"):
        dependency_order(paths_of(schema), {"a"})
    assert dependency_order(paths_of(schema), {"c"}) == ["c"]


def test_a_long_chain_needs_no_deep_recursion() -> None:
    fields = [Field(Kind.BOOLEAN, "f0", "F0", default=True)]
    for i in range(1, 3000):
        fields.append(
            Field(
                Kind.BOOLEAN, f"f{i}", f"F{i}", default=True, visible_when=equals(f"f{i - 1}", True)
            )
        )
    schema = Schema(children=tuple(fields))
    assert Activity(schema, lambda path: MISSING).active("f2999")
    assert Activity(schema, lookup_in({"f1500": False})).active("f1501") is False


@given(st.data())
def test_what_the_form_sends_is_exactly_what_is_active_under_it(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    tree = data.draw(settings_for(schema, complete=False))
    sent = active_settings(schema, tree)
    activity = Activity(schema, lookup_in(sent))
    given = lookup_in(tree)
    for path, _ in schema.fields():
        present = lookup_in(sent)(path) is not MISSING
        assert present == (activity.active(path) and given(path) is not MISSING), path


def test_a_value_dropped_as_inactive_activates_nothing_and_the_tree_resolves_to_itself() -> None:
    """A hypothesis case: b is active when a0 is, a0 only when d is false."""
    b = SchemaBuilder()
    b.classes("b", visible_when=equals("a0", True))
    b.boolean("d")
    b.boolean("a0", visible_when=equals("d", False))
    schema = b.build()
    result = resolve_settings(schema, {"b": [], "d": True, "a0": True})
    assert result.tree == {"d": True}
    assert sorted(w.path for w in result.warnings) == ["a0", "b"]
    assert resolve_settings(schema, result.tree).settings == result.settings
