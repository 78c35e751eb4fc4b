"""The generated validator: agreement with the emitted JSON Schema, its source, its size."""

from __future__ import annotations

import copy
import linecache
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from brevetti_schema import MISSING, Field, Kind, Schema, SchemaBuilder, Section, SettingsError
from brevetti_schema._emit.json_schema import emit_json_schema
from brevetti_schema._settings.pipeline import resolve_settings
from brevetti_schema._settings.validator import validator
from tests.schema import raised_in_check
from tests.strategies import schemas, settings_for, shaped_like

ROOT = Path(__file__).resolve().parents[2]

_WRONG = st.sampled_from(
    [True, False, -(10**9), 10**9, 0, 1.5, -0.25, [1], ["a"], [], {"a": 1}, {}, None, [[]]]
)
_WRONG_TEXT = st.sampled_from(["", "x", "zz top", "A"])


def _takes_text(field: Field) -> bool:
    """Whether a string reaches the checks as it is (no transport decoding)."""
    if field.kind in (Kind.TEXT, Kind.SECRET):
        return True
    return field.kind is Kind.CHOICE and all(isinstance(o.value, str) for o in field.options)


@st.composite
def _case(draw: st.DrawFn) -> tuple[Schema, dict[str, Any], bool]:
    """A schema, a complete decoded document (maybe with one mistake) and strictness."""
    schema = draw(schemas(conditions=False))
    raw = draw(settings_for(schema))
    fields = list(schema.fields())
    what = draw(st.sampled_from(["none", "wrong", "unknown", "drop"]))
    if what == "unknown" or (what != "none" and not fields):
        raw[draw(st.from_regex(r"zz[a-z]{1,5}", fullmatch=True))] = 1
    elif what != "none":
        path, field = draw(st.sampled_from(fields))
        *parents, last = path.split(".")
        tree = raw
        for part in parents:
            tree = tree[part]
        if what == "drop":
            if not field.has_default:  # a default would be filled first (the schema says so)
                tree.pop(last, None)
        else:
            tree[last] = draw(_WRONG_TEXT if _takes_text(field) else _WRONG)
    strict = draw(st.booleans())
    note(f"raw={raw!r} strict={strict}")
    return schema, raw, strict


@given(_case())
def test_valid_for_the_engine_exactly_when_valid_under_the_json_schema(
    case: tuple[Schema, dict[str, Any], bool],
) -> None:
    schema, raw, strict = case
    by_schema = Draft202012Validator(emit_json_schema(schema, strict=strict))
    errors = [e.message for e in by_schema.iter_errors(copy.deepcopy(raw))]
    try:
        resolve_settings(schema, copy.deepcopy(raw), strict=strict, structure=False)
    except SettingsError as exc:
        assert errors, f"only the engine refuses: {exc}"
    else:
        assert not errors, f"only the JSON Schema refuses: {errors}"


def _wide(count: int) -> Schema:
    b = SchemaBuilder()
    for i in range(count):
        b.integer(f"f{i}", default=i, min=0)
    return b.build()


def test_generated_source_is_in_linecache_and_tracebacks() -> None:
    schema = SchemaBuilder().integer("epochs", default=1, min=1).build()
    engine = validator(schema)
    assert linecache.getlines(engine.filename) == engine.source.splitlines(True)
    assert engine.source.splitlines()[0].startswith("def _section")
    assert "def _section" in engine.source and "epochs" in engine.source
    error = raised_in_check(engine, {"epochs": 0})
    shown = "".join(traceback.format_exception(error))
    assert engine.filename in shown and "run.check(" in shown


def test_no_generated_function_grows_with_the_schema() -> None:
    """A wide section is read by several functions of bounded size (compiling is linear)."""
    small, large = validator(_wide(200)).source, validator(_wide(3000)).source

    def longest(source: str) -> int:
        return max(len(f) for f in source.split("\n\ndef "))

    assert longest(large) <= 1.2 * longest(small)
    assert large.count("\ndef ") >= 10


def _repeated(count: int) -> Schema:
    b = SchemaBuilder()
    for i in range(count):
        with b.section(f"g{i}") as s:
            s.boolean("on", default=True)
            s.integer("n", default=1, min=0, visible_when={"field": f"g{i}.on", "equals": True})
    return b.build()


def test_sections_of_one_shape_share_one_function_source_each_with_its_own_values() -> None:
    """Sections that read alike are compiled once; each still reads its own location,
    condition and class (its constants are its own)."""
    engine = validator(_repeated(300))
    assert engine.source.count("def _section(") == 2  # the root, and the one shape
    result = resolve_settings(_repeated(300), {"g5": {"on": False, "n": 3}, "g7": {"n": 4}})
    assert (result.settings.g5.on, result.settings.g5.n, result.settings.g7.n) == (False, None, 4)
    assert result.tree["g5"] == {"on": False} and result.tree["g7"] == {"on": True, "n": 4}
    assert [(w.loc, w.code) for w in result.warnings] == [(("g5", "n"), "inactive")]
    assert type(result.settings.g5) is not type(result.settings.g7)
    with pytest.raises(SettingsError) as info:
        resolve_settings(_repeated(300), {"g299": {"n": -1}})
    assert [(p.loc, p.code) for p in info.value.problems] == [(("g299", "n"), "below_minimum")]


def test_every_problem_in_one_pass_and_the_valid_path_builds_the_object() -> None:
    b = SchemaBuilder().integer("epochs", default=1, min=1).choice("loss", options=["a", "b"])
    with b.section("aug") as aug:
        aug.number("gamma", default=1.0, max=10).list("sizes", of="integer", min=1)
    schema = b.build()
    with pytest.raises(SettingsError) as info:
        resolve_settings(
            schema, {"epochs": 0, "loss": "c", "aug": {"gamma": "x", "sizes": [1, 0, 2, -1]}}
        )
    assert [(p.loc, p.code) for p in info.value.problems] == [
        (("epochs",), "below_minimum"),
        (("loss",), "not_an_option"),
        (("aug", "gamma"), "not_a_number"),
        (("aug", "sizes", 1), "below_minimum"),
        (("aug", "sizes", 3), "below_minimum"),
    ]
    ok = resolve_settings(schema, {"aug": {"gamma": "2", "sizes": "1,2"}})
    assert ok.settings.aug.gamma == 2.0 and ok.settings.aug.sizes == [1, 2]
    assert ok.settings.epochs == 1 and ok.settings.loss is None


def test_jsonschema_is_imported_only_to_validate_an_inner_json_schema(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from brevetti_schema import SchemaBuilder, resolve_settings\n"
        "b = SchemaBuilder().integer('n', default=1).json('j', default={}, "
        "json_schema={'type': 'object'})\n"
        "schema = b.build()\n"
        "print('built', 'jsonschema' in sys.modules)\n"
        "resolve_settings(SchemaBuilder().integer('n', default=1).build(), {'n': 2})\n"
        "print('plain', 'jsonschema' in sys.modules)\n"
        "resolve_settings(schema, {'j': {'a': 1}})\n"
        "print('inner', 'jsonschema' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split("\n")
    assert out[:3] == ["built False", "plain False", "inner True"]


def test_sections_given_as_json_text_or_wrongly() -> None:
    schema = Schema(children=(Section("s", "S", (Field(Kind.INTEGER, "n", "N", default=1),)),))
    assert resolve_settings(schema, {"s": '{"n": 2}'}).settings.s.n == 2
    with pytest.raises(SettingsError) as info:
        resolve_settings(schema, {"s": 3})
    assert [p.code for p in info.value.problems] == ["not_a_section"]


@pytest.mark.parametrize(
    ("inner", "words"),
    [
        ({"type": "banana"}, "is not a JSON type"),
        ({"properties": {"a": {"minimum": "x"}}}, "minimum 'x' is not a number"),
        ({"allOf": []}, "allOf must be a non-empty list"),
        ({"required": "a"}, "required must be a list"),
        ({"items": 3}, "must be an object or a boolean"),
    ],
)
def test_a_broken_inner_json_schema_is_refused_at_build_time(inner: Any, words: str) -> None:
    from brevetti_schema import SchemaError

    with pytest.raises(SchemaError, match=words):
        SchemaBuilder().json("j", json_schema=inner).build()


def test_a_default_breaking_its_inner_json_schema_is_reported_when_validated() -> None:
    """The build-time check leaves the inner JSON Schema to the first validation (it needs
    jsonschema); the default is checked then, as a given value would be."""
    schema = SchemaBuilder().json("j", default={"a": 1}, json_schema={"type": "array"}).build()
    with pytest.raises(SettingsError) as info:
        resolve_settings(schema, {})
    assert [(p.path, p.code, p.message) for p in info.value.problems] == [
        ("j", "json_schema", "expected a list, got {'a': 1}")
    ]
    assert resolve_settings(schema, {"j": [1]}).tree == {"j": [1]}


def _reference_activity(schema: Schema, data: dict[str, Any]) -> dict[str, bool]:
    """Which nodes are active by the model's meaning (`Activity`), over the given values
    decoded as the pipeline decodes them."""
    from collections.abc import Mapping

    from brevetti_schema._kinds._transport import NOT_SET, DecodeError, decode_value
    from brevetti_schema._model.activity import Activity

    def given(path: str) -> Any:
        node: Any = data
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return MISSING
            node = node[part]
        field = schema.find(path)
        assert isinstance(field, Field)
        try:
            value = decode_value(field, node)
        except DecodeError:
            return MISSING
        return MISSING if value is NOT_SET else value

    activity = Activity(schema, given)
    return {path: activity.active(path) for path, _ in schema.walk() if path}


@given(st.data())
def test_generated_activity_agrees_with_condition_holds(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    raw = data.draw(st.one_of(settings_for(schema, complete=False), shaped_like(schema)))
    engine = validator(schema)
    generated = engine.activity(raw)
    expected = _reference_activity(schema, raw)
    assert {p: expected[p] for p in generated} == generated
    assert all(expected[p] for p in expected if p not in generated)  # static: always active
