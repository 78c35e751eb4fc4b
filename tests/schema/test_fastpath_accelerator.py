"""The optional C accelerator of the fast path (`_speedups`) against the pure-Python path.

The accelerated path may decline a document (its fallback then decides); whatever it
accepts must give exactly what the pure-Python fast path gives, and that one is checked
against the general pipeline in test_pipeline_properties.py.
"""

from __future__ import annotations

import copy
import gc
import json
import math
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from brevetti_schema import (
    Field,
    Kind,
    Option,
    Schema,
    SchemaBuilder,
    encode_settings,
    load_schema,
    resolve_settings,
)
from brevetti_schema._accelerator import accelerated, constructor
from brevetti_schema._fastpath import FastResult, _compile, compiled
from brevetti_schema._pipeline import Resolved
from tests.strategies import schemas, settings_for, shaped_like

from .test_pipeline_properties import schema_and_document

if not accelerated():  # no longer built (setup.py has no extension); removed with the engine
    pytest.skip("the C accelerator is not built", allow_module_level=True)

from brevetti_schema._speedups import Filler, Scanner

EXAMPLES = Path(__file__).resolve().parents[2] / "schema_examples"
DECLINED = object()


def _declining(data: Any, structure: bool) -> Any:
    return DECLINED


def _paths(schema: Schema) -> tuple[Any, Any]:
    """(accelerated path whose declines are marked, pure-Python path)."""
    fast = _compile(schema, accelerate=True, fallback=_declining)
    return fast, _compile(schema, accelerate=False)


def _same(a: FastResult, b: FastResult) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a[0] == b[0] and a[1] == b[1] and type(a[0]) is type(b[0]))


@given(st.data())
def test_accepted_documents_give_what_the_pure_path_gives(data: st.DataObject) -> None:
    schema, raw = data.draw(schema_and_document())
    fast, pure = _paths(schema)
    for structure in (True, False):
        got = fast(copy.deepcopy(raw), structure)
        if got is DECLINED:
            continue
        assert _same(got, pure(copy.deepcopy(raw), structure))


@given(st.data())
def test_transport_form_is_decoded_like_the_pure_path(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    raw = data.draw(settings_for(schema))
    tree = resolve_settings(schema, raw, fast=False).tree
    transported = encode_settings(schema, tree, secrets="keep")
    if data.draw(st.booleans()):  # JSON text that is no JSON, or JSON of the wrong type
        transported = data.draw(_broken_text(transported))
    note(f"transported={transported!r}")
    fast, pure = _paths(schema)
    got = fast(copy.deepcopy(transported), True)
    if got is not DECLINED:
        assert _same(got, pure(copy.deepcopy(transported), True))


@st.composite
def _broken_text(draw: st.DrawFn, tree: dict[str, Any]) -> dict[str, Any]:
    texts = [k for k, v in tree.items() if isinstance(v, str)]
    if not texts:
        return tree
    key = draw(st.sampled_from(texts))
    return {**tree, key: draw(st.sampled_from(["{", '"[1]"', "null", '""', "", "1e999"]))}


@given(st.data())
def test_valid_documents_are_accepted(data: st.DataObject) -> None:
    """Generated valid settings (no JSON text, no huge integers) never need the fallback."""
    schema = data.draw(schemas())
    raw = data.draw(settings_for(schema))
    note(f"raw={raw!r}")
    fast, pure = _paths(schema)
    expected = pure(copy.deepcopy(raw), True)
    got = fast(copy.deepcopy(raw), True)
    if expected is None:  # e.g. a value for an inactive field: the general path warns
        assert got is None or got is DECLINED
        return
    assert got is not DECLINED
    assert _same(got, expected)


@pytest.mark.parametrize("name", ["image_classification", "segmentation", "test_report"])
def test_example_defaults_are_accepted(name: str) -> None:
    schema = load_schema(EXAMPLES / f"{name}.yaml")
    fast, pure = _paths(schema)
    tree = resolve_settings(schema, {}, fast=False).tree  # every active field, defaulted
    got = fast(copy.deepcopy(tree), True)
    assert got is not DECLINED and got is not None
    assert _same(got, pure(copy.deepcopy(tree), True))


def test_example_transport_form_is_accepted() -> None:
    """The form's JSON text (lists, mappings, numeric choices) is decoded in C."""
    schema = load_schema(EXAMPLES / "segmentation.yaml")
    tree = resolve_settings(schema, {}, fast=False).tree
    transported = encode_settings(schema, tree, secrets="keep")
    assert any(isinstance(v, str) for v in transported.values())
    fast, pure = _paths(schema)
    got = fast(copy.deepcopy(transported), True)
    assert got is not DECLINED and got is not None
    assert _same(got, pure(copy.deepcopy(transported), True))
    assert got[1] == tree


def _numbers() -> Schema:
    return (
        SchemaBuilder()
        .integer("count", min=0, max=10)
        .number("rate", min=0, exclusive_max=1)
        .choice("mode", options=["a", "b"], default="a")
        .build()
    )


@pytest.mark.parametrize(
    ("given_value", "accepted"),
    [
        ({"count": 3, "rate": 0.5}, True),
        ({"count": True, "rate": 0.5}, False),  # a bool is not an int here
        ({"count": 3, "rate": math.nan}, False),
        ({"count": 3, "rate": math.inf}, False),
        ({"count": 3, "rate": 1.0}, False),  # exclusive maximum
        ({"count": 11, "rate": 0.5}, False),
        ({"count": 2**60, "rate": 0.5}, False),  # beyond exact doubles: declined
        ({"count": 3, "rate": 0.5, "zz": 1}, False),  # unknown key
        ({"count": 3, "rate": 0.5, "mode": "c"}, False),
        ({"count": "3", "rate": 0.5}, False),  # text to decode: the pure path's job
    ],
)
def test_scanner_accepts_only_what_it_is_sure_of(
    given_value: dict[str, Any], accepted: bool
) -> None:
    schema = _numbers()
    fast, pure = _paths(schema)
    got = fast(given_value, True)
    assert (got is not DECLINED and got is not None) is accepted
    if accepted:
        assert _same(got, pure(given_value, True))
    # and the pipeline still explains or decodes what the accelerator declined
    result = None
    try:
        result = resolve_settings(schema, given_value)
    except Exception as exc:  # noqa: BLE001 - only SettingsError may come out
        assert type(exc).__name__ == "SettingsError"
    if given_value == {"count": "3", "rate": 0.5}:
        assert result is not None and result.settings.count == 3


def test_constructor_arguments_are_checked() -> None:
    with pytest.raises(TypeError):
        Scanner(("a",), (("k",),), json.loads)  # a field is a 7-tuple
    bad_code = (99,) + (None,) * 10 + (False,)
    with pytest.raises(ValueError, match="check code"):
        Scanner((), (("k", None, None, False, False, bad_code, None),), json.loads)
    with pytest.raises(TypeError, match="str"):
        Scanner((1,), (), json.loads)
    with pytest.raises(TypeError, match="callable"):
        Scanner((), (), None)

    @attrs.frozen
    class Point:
        x: int
        y: int

    slots = (Point.x, Point.y)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="one conversion code"):
        Filler(Point, slots, b"\0", (None, None))
    with pytest.raises(TypeError, match="member descriptors"):
        Filler(Point, (Point.x, "y"), b"\0\0", (None, None))  # type: ignore[attr-defined]
    make = Filler(Point, slots, b"\0\1", (None, 2.0))
    assert make(1, None) == Point(1, 2.0)
    assert make(1, 3) == Point(1, 3.0) and type(make(1, 3).y) is float
    with pytest.raises(TypeError, match="2 positional"):
        make(1)


def test_constructor_makes_what_the_class_makes() -> None:
    make = constructor(Resolved)
    assert make is not Resolved
    assert make(1, {"a": 1}, {}, ()) == Resolved(1, {"a": 1}, {}, ())


def test_no_memory_is_kept_per_document() -> None:
    """Reference counting in the C code: many documents leave nothing behind."""
    schema = load_schema(EXAMPLES / "segmentation.yaml")
    tree = resolve_settings(schema, {}, fast=False).tree
    resolve_settings(schema, tree)
    rejected = copy.deepcopy(tree)
    rejected["dataset"]["image_height"] = 7  # declined in C, refused by the pure path
    fast = compiled(schema)

    def run(n: int) -> None:
        for _ in range(n):
            resolve_settings(schema, tree)
            assert fast(rejected, True) is None
            assert fast({**tree, "zz": 1}, False) is None

    run(200)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        run(20000)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename") if s.size_diff > 0)
    assert grown < 64 * 1024, f"{grown} bytes kept after 20000 documents"


def test_environment_turns_the_accelerator_off() -> None:
    code = "from brevetti_schema._accelerator import accelerated; print(accelerated())"
    env = {**os.environ, "BREVETTI_SCHEMA_PURE_PYTHON": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_list_and_mapping_kinds_convert_like_the_pure_path() -> None:
    schema = Schema(
        children=(
            Field(Kind.LIST, "sizes", "Sizes", item_kind=Kind.NUMBER, minimum=0),
            Field(Kind.CLASSES, "classes", "Classes", min_items=1),
            Field(Kind.CLASS_MAPPING, "mapping", "Mapping"),
            Field(Kind.MULTI_CHOICE, "formats", "Formats", options=_options("onnx", "tflite")),
        )
    )
    raw = {
        "sizes": [1, 2.5],
        "classes": ["a", "b"],
        "mapping": {"x": "a", "y": ["a", "b"]},
        "formats": ["onnx", "tflite"],
    }
    fast, pure = _paths(schema)
    got = fast(copy.deepcopy(raw), True)
    assert got is not DECLINED and got is not None
    assert _same(got, pure(copy.deepcopy(raw), True))
    assert got[0].sizes == (1.0, 2.5) and type(got[0].sizes[0]) is float
    assert got[0].mapping["y"] == ("a", "b")
    for wrong in (
        {**raw, "formats": ["onnx", "onnx"]},  # twice
        {**raw, "sizes": [1, -1]},
        {**raw, "mapping": {"x": 1}},
        {**raw, "classes": []},
    ):
        assert fast(copy.deepcopy(wrong), True) is DECLINED


def _options(*values: str) -> tuple[Option, ...]:
    return tuple(Option(v, v) for v in values)


@given(st.data())
def test_arbitrary_values_never_crash_and_agree(data: st.DataObject) -> None:
    """Any value in any place: the accelerated path raises nothing and, when it accepts,
    gives what the pure path gives."""
    schema = data.draw(schemas())
    raw = data.draw(shaped_like(schema))
    note(f"raw={raw!r}")
    fast, pure = _paths(schema)
    expected = pure(copy.deepcopy(raw), True)
    got = fast(copy.deepcopy(raw), True)
    if got is not DECLINED:
        assert _same(got, expected)
