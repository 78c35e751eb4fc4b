"""The YAML (and JSON) authoring format: loading, located errors, safety, format schema."""

from __future__ import annotations

import json
import math
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from brevetti_schema import Field, Heading, Kind, Option, SchemaBuilder, SchemaError, Section
from brevetti_schema._authoring.yaml_format import (
    COMPOSERS,
    _DocumentReader,
    compose_data,
    load_schema_file,
    load_schema_text,
)
from brevetti_schema._emit.format_schema import FIELD_OPTIONS, KIND_OPTIONS, format_schema
from brevetti_schema._model.conditions import all_of, equals, one_of

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS: list[str] = []
"""Every valid document of these tests; the format schema must accept each."""


def doc(text: str) -> str:
    """Dedent a test document and remember it for the format-schema test."""
    text = textwrap.dedent(text).lstrip("\n")
    DOCUMENTS.append(text)
    return text


def problems_of(text: str, source: str = "s.yaml") -> list[tuple[str, int | None, int | None, str]]:
    with pytest.raises(SchemaError) as info:
        load_schema_text(text, source=source)
    for problem in info.value.problems:
        assert problem.source == source
    return [(p.path, p.line, p.column, p.message) for p in info.value.problems]


# -- every kind --------------------------------------------------------------------------

EVERY_KIND = doc(
    """
    title: All kinds
    fields:
      epochs: {type: integer, default: 10, min: 1, max: 100, step: 1, unit: epochs,
               help: How long, hint: more is slower, placeholder: "10", required: true}
      lr: {type: number, default: 0.01, exclusive_min: 0, exclusive_max: 1, multiple_of: 0.01}
      name: {type: text, default: run, max_length: 20, min_length: 1, pattern: "^[a-z]+$"}
      notes: {type: text, rows: 6, readonly: true}
      flip: {type: boolean, default: true, advanced: true}
      loss: {type: choice, options: {bce: Binary CE, mse: Squared}, default: bce}
      metrics: {type: multi_choice, options: [acc, f1], default: [acc], min_items: 1}
      sizes: {type: list, of: integer, default: [224, 224], min: 1, min_items: 2, max_items: 2}
      extra: {type: json, default: {a: 1}, json_schema: {type: object}, rows: 3}
      classes: {type: classes, default: [ok, bad]}
      class_mapping: {type: class_mapping, default: {good: ok, scratch: [bad]}}
      token: {type: secret, label: API token, min_length: 8}
      more: heading
    presets:
      quick: {epochs: 2, loss: mse}
    """
)


def test_every_kind_loads_to_the_model_the_dsl_builds() -> None:
    b = SchemaBuilder(title="All kinds")
    b.integer(
        "epochs",
        default=10,
        min=1,
        max=100,
        step=1,
        unit="epochs",
        help="How long",
        hint="more is slower",
        placeholder="10",
        required=True,
        presets={"quick": 2},
    )
    b.number("lr", default=0.01, exclusive_min=0, exclusive_max=1, multiple_of=0.01)
    b.text("name", default="run", max_length=20, min_length=1, pattern="^[a-z]+$")
    b.text("notes", rows=6, readonly=True)
    b.boolean("flip", default=True, advanced=True)
    b.choice(
        "loss",
        options={"bce": "Binary CE", "mse": "Squared"},
        default="bce",
        presets={"quick": "mse"},
    )
    b.multi_choice("metrics", options=["acc", "f1"], default=["acc"], min_items=1)
    b.list("sizes", of="integer", default=[224, 224], min=1, min_items=2, max_items=2)
    b.add(
        Field(Kind.JSON, "extra", "Extra", default={"a": 1}, json_schema={"type": "object"}, rows=3)
    )
    b.classes(default=["ok", "bad"])
    b.class_mapping(default={"good": "ok", "scratch": ["bad"]})
    b.secret("token", label="API token", min_length=8)
    b.heading("More")
    assert load_schema_text(EVERY_KIND) == b.build()


def test_text_rows_imply_multiline_unless_multiline_is_given() -> None:
    schema = load_schema_text(
        doc(
            """
            fields:
              a: {type: text, rows: 4}
              b: {type: text, rows: 4, multiline: false}
              c: {type: text, multiline: true}
              d: text
            """
        )
    )
    flags = [(f.multiline, f.rows) for _, f in schema.fields()]
    assert flags == [(True, 4), (False, 4), (True, None), (False, None)]


def test_a_list_holds_text_unless_of_says_otherwise() -> None:
    schema = load_schema_text(doc("fields: {tags: list, sizes: {type: list, of: number}}\n"))
    assert [f.item_kind for _, f in schema.fields()] == [Kind.TEXT, Kind.NUMBER]


def test_options_in_each_form() -> None:
    schema = load_schema_text(
        doc(
            """
            fields:
              plain: {type: choice, options: [a, 1, 2.5, true, null]}
              entries: {type: choice, options: [{value: 1, label: One}, {value: 2}, 3]}
              mapping: {type: multi_choice, options: {s: Small, l: Large}}
            """
        )
    )
    fields = dict(schema.fields())
    assert fields["plain"].options == tuple(Option(v) for v in ("a", 1, 2.5, True, None))
    assert fields["entries"].options == (Option(1, "One"), Option(2), Option(3))
    assert fields["mapping"].options == (Option("s", "Small"), Option("l", "Large"))


def test_sections_nest_and_headings_name_no_setting() -> None:
    schema = load_schema_text(
        doc(
            """
            fields:
              basics: {type: heading, help: The usual}
              training:
                type: section
                label: Training loop
                help: How to train
                advanced: true
                fields:
                  epochs: {type: integer, default: 3}
                  augment:
                    type: section
                    visible_when: {field: training.epochs, one_of: [3, 4]}
                    fields:
                      flip: boolean
              custom_heading: {type: heading, label: Extras}
            """
        )
    )
    basics, training, extras = schema.children
    assert basics == Heading("Basics", "The usual")
    assert extras == Heading("Extras")
    assert isinstance(training, Section)
    assert (training.label, training.help, training.advanced) == (
        "Training loop",
        "How to train",
        True,
    )
    assert [p for p, _ in schema.fields()] == ["training.epochs", "training.augment.flip"]
    augment = schema.find("training.augment")
    assert isinstance(augment, Section)
    assert augment.visible_when == one_of("training.epochs", [3, 4])
    assert schema.find("basics") is None


def test_conditions_in_plain_data_form() -> None:
    schema = load_schema_text(
        doc(
            """
            fields:
              mode: {type: choice, options: [a, b], default: a}
              on: {type: boolean, default: false}
              x:
                type: integer
                visible_when:
                  all:
                    - {field: mode, equals: a}
                    - any: [{field: on, equals: true}, {field: mode, not_equals: b}]
            """
        )
    )
    x = schema.find("x")
    assert isinstance(x, Field) and x.visible_when is not None
    assert x.visible_when.op == "all"
    assert x.visible_when.items[0] == equals("mode", "a")
    assert [c.op for c in x.visible_when.items[1].items] == ["equals", "not_equals"]


def test_legacy_ui_keys_and_header_flag_load() -> None:
    schema = load_schema_text(
        doc(
            """
            fields:
              group:
                type: section
                header: false
                ui: {featured: true}
                fields:
                  x: {type: integer, ui: {validator: integer, styleClasses: wide}, ui_omit: [required]}
              legend: {type: heading, label: Legend, ui: {styleClasses: big}}
            """
        )
    )
    group, legend = schema.children
    assert isinstance(group, Section) and not group.header
    assert group.ui_extra == {"featured": True}
    x = schema.find("group.x")
    assert isinstance(x, Field)
    assert x.ui_extra == {"validator": "integer", "styleClasses": "wide"}
    assert x.ui_omit == ("required",)
    assert legend == Heading("Legend", ui_extra={"styleClasses": "big"})


def test_an_empty_document_is_an_empty_schema() -> None:
    assert load_schema_text("").children == ()
    assert load_schema_text("{}\n").presets == {}


# -- YAML 1.2 scalars ----------------------------------------------------------------------


def test_scalars_follow_yaml_1_2_core() -> None:
    data = compose_data(
        "a: no\nb: on\nc: 1e-3\nd: 0x1F\ne: 0o17\nf: .inf\ng: 2020-01-01\nh: ~\ni: True\n"
        "j: -.5\nk: 1_000\nl: '12'\nm: !!str 5\nn: !!float 2\n"
    )
    assert data == {
        "a": "no",
        "b": "on",
        "c": 0.001,
        "d": 31,
        "e": 15,
        "f": math.inf,
        "g": "2020-01-01",
        "h": None,
        "i": True,
        "j": -0.5,
        "k": "1_000",
        "l": "12",
        "m": "5",
        "n": 2.0,
    }


def test_nan_is_read_as_nan() -> None:
    assert math.isnan(compose_data("x: .nan\n")["x"])


def test_aliases_are_plain_reuse() -> None:
    schema = load_schema_text(
        doc(
            """
            fields:
              a: &bounded {type: integer, min: 0, max: 9, default: 1}
              b: *bounded
            """
        )
    )
    a, b = (f for _, f in schema.fields())
    assert (a.minimum, a.maximum, b.minimum, b.maximum, b.key) == (0, 9, 0, 9, "b")


# -- located errors ----------------------------------------------------------------------


def test_syntax_error_names_its_line() -> None:
    text = "fields:\n  a: {type: integer\n  b: text\n"
    ((path, line, _, message),) = problems_of(text)
    assert path == "" and line == 3 and message.startswith("invalid YAML")


def test_duplicate_field_key_is_an_error_with_both_lines() -> None:
    text = "fields:\n  a: integer\n  b: text\n  a: number\n"
    assert problems_of(text) == [("a", 4, 3, "duplicate key 'a' (first given on line 2)")]


def test_duplicate_key_inside_a_value_or_options() -> None:
    text = "fields:\n  a:\n    type: json\n    default: {x: 1, x: 2}\n"
    assert problems_of(text) == [("a", 4, 21, "duplicate key 'x' (first given on line 4)")]
    text = "fields:\n  a:\n    type: integer\n    min: 1\n    min: 2\n"
    assert problems_of(text) == [("a", 5, 5, "duplicate key 'min' (first given on line 4)")]


def test_unknown_option_suggests_the_closest() -> None:
    text = "fields:\n  epochs: {type: integer, defualt: 3}\n"
    assert problems_of(text) == [
        (
            "epochs",
            2,
            27,
            "unknown option 'defualt' for an integer field; did you mean 'default'?",
        )
    ]


def test_option_of_another_kind_says_where_it_applies() -> None:
    ((path, line, column, message),) = problems_of("fields:\n  n: {type: number, rows: 3}\n")
    assert (path, line, column) == ("n", 2, 21)
    assert (
        message
        == "unknown option 'rows' for a number field (it applies to text, json, class_mapping)"
    )


def test_unknown_type_and_missing_type() -> None:
    text = "fields:\n  a: {type: integr}\n  b: {default: 1}\n  c: 5\n"
    assert problems_of(text) == [
        ("a", 2, 13, problems_of(text)[0][3]),
        (
            "b",
            3,
            3,
            "needs a type: one of integer, number, text, boolean, choice, multi_choice, "
            "list, json, classes, class_mapping, secret, section, heading",
        ),
        ("c", 4, 6, "expected {type: ..., ...} or a type name, got 5"),
    ]
    assert "did you mean 'integer'?" in problems_of(text)[0][3]


def test_wrong_type_for_an_option() -> None:
    text = "fields:\n  a:\n    type: integer\n    min: ten\n    required: yes\n    rows: 2\n"
    assert problems_of(text) == [
        ("a", 4, 10, 'min: expected a number, got "ten"'),
        ("a", 5, 15, 'required: expected true or false, got "yes"'),
        (
            "a",
            6,
            5,
            "unknown option 'rows' for an integer field (it applies to text, json, class_mapping)",
        ),
    ]


def test_bad_default_is_located_at_the_default() -> None:
    text = (
        "fields:\n  training:\n    type: section\n    fields:\n      epochs:\n"
        "        type: integer\n        max: 5\n        default: 9\n"
    )
    assert problems_of(text) == [
        ("training.epochs", 8, 18, "default 9 is above the maximum 5"),
    ]


def test_min_above_max_is_located_at_min() -> None:
    text = "fields:\n  a: {type: integer, min: 5, max: 1}\n"
    assert problems_of(text) == [("a", 2, 27, "min 5 is greater than its maximum 1")]


def test_unknown_preset_field_and_bad_preset_value() -> None:
    text = doc(
        """
        fields:
          epochs: {type: integer, min: 1}
        presets:
          quick:
            epochs: 0
            epoch: 2
        """
    )
    assert problems_of(text) == [
        ("epochs", 5, 5, "preset 'quick': 0 is below the minimum 1"),
        ("epoch", 6, 5, "preset 'quick' names an unknown field"),
    ]


def test_bad_conditions() -> None:
    text = textwrap.dedent(
        """
        fields:
          mode: {type: choice, options: [a, b]}
          x: {type: integer, visible_when: {field: mood, equals: a}}
          y: {type: integer, visible_when: {field: mode, equals: c}}
          z: {type: integer, visible_when: {field: mode, equal: a}}
        """
    ).lstrip()
    found = problems_of(text)
    assert [(p, line, column) for p, line, column, _ in found] == [
        ("x", 3, 36),
        ("y", 4, 36),
        ("z", 5, 36),
    ]
    assert found[0][3] == "visible_when names an unknown field 'mood'"
    assert found[1][3].startswith("visible_when compares mode with 'c'")
    assert found[2][3].startswith("visible_when needs 'field' and exactly one of")


def test_unknown_top_level_key_and_non_text_key() -> None:
    text = "title: T\nfeilds: {}\nfields:\n  1: integer\n"
    assert problems_of(text) == [
        ("", 2, 1, problems_of(text)[0][3]),
        ("", 4, 3, "a key in fields must be text, got 1 (quote it)"),
    ]
    assert "did you mean 'fields'?" in problems_of(text)[0][3]


def test_every_problem_is_reported_at_once_without_follow_on_noise() -> None:
    text = textwrap.dedent(
        """
        fields:
          a: {type: integr}
          b: {type: integer, min: x, default: 5, max: 3}
          c: {type: integer, default: 0, min: 1, colour: red}
          d: {type: boolean, visible_when: {field: a, equals: 1}}
        presets:
          p: {a: 1, c: 2}
        """
    ).lstrip()
    found = problems_of(text)
    # a: unknown type. b: bad min (its default is not judged against half its bounds).
    # c: the unknown option and the bad default both. d and the preset naming a: silent.
    assert [(p, line) for p, line, _, _ in found] == [("a", 2), ("b", 3), ("c", 4), ("c", 4)]
    assert found[2][3] == "default 0 is below the minimum 1"


def test_lenient_documents_keep_default_problems_as_located_warnings() -> None:
    text = doc("lenient: true\nfields:\n  a: {type: integer, max: 100, default: 150}\n")
    schema = load_schema_text(text, source="legacy.yaml")
    (warning,) = schema.warnings
    assert (warning.path, warning.line, warning.column, warning.severity) == ("a", 3, 41, "warning")
    assert str(warning) == "legacy.yaml:3:41: warning: a: default 150 is above the maximum 100"
    with pytest.raises(SchemaError):
        load_schema_text(text.replace("lenient: true", "lenient: false"))


# -- safety --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "fields: !!python/object:os.system {}\n",
        "title: !!python/object/apply:os.system ['touch {marker}']\n",
        "fields:\n  a: {type: json, default: !!python/name:os.system ''}\n",
        "fields:\n  a: {type: json, default: !!binary aGVsbG8=}\n",
        "fields:\n  a: {type: json, default: !custom 1}\n",
        "fields:\n  a: {type: json, default: !!set {x}}\n",
    ],
)
def test_unsafe_or_unknown_tags_are_refused(text: str, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    with pytest.raises(SchemaError) as info:
        load_schema_text(text.replace("{marker}", str(marker)))
    assert "is not allowed" in str(info.value)
    assert info.value.problems[0].line is not None
    assert not marker.exists()


def test_recursive_alias_and_alias_bomb_are_refused() -> None:
    with pytest.raises(SchemaError, match="contains it"):
        load_schema_text("fields: &a\n  x: {type: json, default: [*a]}\n")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefgh":
        prev = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [{', '.join(['*' + prev] * 10)}]\n"
    with pytest.raises(SchemaError, match="more than"):
        compose_data(bomb)


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(SchemaError, match="nests deeper than 100"):
        compose_data("[" * 5000 + "]" * 5000)
    with pytest.raises(SchemaError, match="nests deeper than 100") as info:
        load_schema_text("fields: {a: {type: json, default: " + "[" * 150 + "]" * 150 + "}}")
    assert info.value.problems[0].line == 1
    assert compose_data("a: " + "[" * 90 + "]" * 90)["a"]


# -- JSON --------------------------------------------------------------------------------


def test_json_files_load_and_report_json_positions(tmp_path: Path) -> None:
    good = tmp_path / "s.json"
    good.write_text(
        '{\n\t"fields": {\n\t\t"a": {"type": "integer", "default": 3},\n'
        '\t\t"s": {"type": "text", "default": "\\ud83d\\ude00 \\/"}\n\t}\n}\n'
    )
    schema = load_schema_file(good)
    assert [f.default for _, f in schema.fields()] == [3, "\U0001f600 /"]
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "fields": {"a": "integer",}\n}\n')
    with pytest.raises(SchemaError) as info:
        load_schema_file(bad)
    ((problem),) = info.value.problems
    assert (problem.source, problem.line, problem.column) == (str(bad), 2, 29)
    assert problem.message.startswith("invalid JSON")


def test_json_duplicate_keys_are_located(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text('{"fields": {"a": "integer",\n "a": "text"}}')
    with pytest.raises(SchemaError) as info:
        load_schema_file(path)
    assert [(p.path, p.line, p.column) for p in info.value.problems] == [("a", 2, 2)]


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_json_text_reads_as_json_does(data: Any) -> None:
    for indent in (None, 2, "\t"):
        for ascii_only in (True, False):
            text = json.dumps({"v": data}, indent=indent, ensure_ascii=ascii_only)
            assert compose_data(text, source="x.json") == json.loads(text)
    text = json.dumps({"v": data})
    if _longest_key(data) < 1000:  # YAML limits an implicit key to 1024 characters
        assert compose_data(text) == json.loads(text)  # as YAML, too


def _longest_key(data: Any) -> int:
    """The length of the longest key in `data`, written as JSON text."""
    if isinstance(data, dict):
        own = [len(json.dumps(k)) for k in data]
        return max([*own, *(_longest_key(v) for v in data.values())], default=0)
    if isinstance(data, list):
        return max((_longest_key(v) for v in data), default=0)
    return 0


_PRINTABLE = st.text(
    st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"], exclude_characters="\ufffe\uffff")
)
"""Text YAML allows raw (no control characters, surrogates or Unicode line breaks)."""


def _data_by(composer: Any, text: str) -> Any:
    return _DocumentReader("x").value(composer(text).get_single_node(), "")


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _PRINTABLE,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_PRINTABLE, inner, max_size=3),
        max_leaves=8,
    )
)
def test_every_composer_reads_the_same_data(data: Any) -> None:
    texts = [json.dumps({"v": data}, ensure_ascii=False), *DOCUMENTS[:3]]
    for text in texts:
        results = [_data_by(composer, text) for composer in COMPOSERS]
        assert all(r == results[-1] for r in results), text


def test_file_suffix_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"\.yaml, \.yml or \.json"):
        load_schema_file(tmp_path / "s.txt")
    with pytest.raises(SchemaError, match="cannot read"):
        load_schema_file(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.yml"
    latin.write_bytes(b"title: caf\xe9\n")
    with pytest.raises(SchemaError, match="cannot read"):
        load_schema_file(latin)
    fine = tmp_path / "fine.yml"
    fine.write_text(EVERY_KIND, encoding="utf-8")
    assert load_schema_file(fine) == load_schema_text(EVERY_KIND)


# -- the format's own JSON Schema ----------------------------------------------------------


def test_format_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = format_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for kind in Kind:
        properties = schema["$defs"][kind.value]["properties"]
        assert set(properties) == {"type"} | KIND_OPTIONS[kind]
        assert all(p.get("description") for p in properties.values())
    assert json.dumps(format_schema(), sort_keys=True) == json.dumps(schema, sort_keys=True)


def test_format_schema_accepts_every_test_document() -> None:
    validator = jsonschema.Draft202012Validator(format_schema())
    assert len(DOCUMENTS) >= 10
    for text in DOCUMENTS:
        errors = [e.message for e in validator.iter_errors(compose_data(text))]
        assert errors == [], text


@pytest.mark.parametrize(
    "declaration",
    [
        {"type": "integer", "defualt": 1},
        {"type": "integer", "rows": 2},
        {"type": "integr"},
        {"type": "choice", "options": []},
        {"type": "integer", "min": "x"},
        {"type": "integer", "visible_when": {"field": "a", "equal": 1}},
        {"type": "section", "fields": {"a": {"type": "text", "multiline": "yes"}}},
        {"default": 3},
    ],
)
def test_format_schema_refuses_what_the_loader_refuses(declaration: dict[str, Any]) -> None:
    document = {"fields": {"a": declaration}}
    validator = jsonschema.Draft202012Validator(format_schema())
    assert list(validator.iter_errors(document))
    with pytest.raises(SchemaError):
        load_schema_text(json.dumps(document))


@pytest.mark.parametrize(
    "path", sorted((ROOT / "schema_examples").glob("*.yaml")), ids=lambda p: p.name
)
def test_every_example_file_validates_against_the_format_schema(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(format_schema())
    data = compose_data(path.read_text(encoding="utf-8"), source=str(path))
    assert [e.message for e in validator.iter_errors(data)] == []
    load_schema_file(path)


def test_option_table_names_each_model_attribute_once() -> None:
    attributes = [o.attr for o in FIELD_OPTIONS.values()]
    assert len(attributes) == len(set(attributes))
    field_attributes = {a.name for a in __import__("attrs").fields(Field)}
    assert set(attributes) == field_attributes - {"kind", "key"}


def test_conditions_built_in_python_match_the_file_form() -> None:
    schema = load_schema_text(
        doc(
            """
            fields:
              a: {type: integer, default: 1}
              b: {type: integer, visible_when: {all: [{field: a, equals: 1}, {field: a, one_of: [1, 2]}]}}
            """
        )
    )
    b = schema.find("b")
    assert isinstance(b, Field)
    assert b.visible_when == all_of(equals("a", 1), one_of("a", [1, 2]))


# -- the documentation ---------------------------------------------------------------------

DOCS = ROOT / "docs" / "schema-format.md"


def _yaml_blocks() -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    return [b for b in blocks if re.match(r"(#[^\n]*\n)?(title|fields):", b)]


@pytest.mark.parametrize("text", _yaml_blocks())
def test_every_whole_document_in_the_docs_loads_and_fits_the_format_schema(text: str) -> None:
    schema = load_schema_text(text, source="docs.yaml")
    assert schema.children
    validator = jsonschema.Draft202012Validator(format_schema())
    assert [e.message for e in validator.iter_errors(compose_data(text))] == []


def test_the_docs_describe_every_option_and_type() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert len(_yaml_blocks()) >= 6
    for name in FIELD_OPTIONS:
        assert f"| `{name}` |" in text, name
    for kind in [k.value for k in Kind] + ["section", "heading"]:
        assert f"| `{kind}` |" in text, kind


@pytest.mark.parametrize("key", ["é" * 200, "k" * 3000], ids=["escaped", "long"])
@pytest.mark.parametrize("indent", [None, 2])
def test_json_keys_of_any_length_read_as_json_does(key: str, indent: int | None) -> None:
    """YAML keeps implicit keys under 1024 characters; JSON does not (a valid JSON file
    with a long key, or one escaped to \\uXXXX, was refused as invalid YAML)."""
    text = json.dumps({"v": {key: 1, "b": [{key: 2}]}}, indent=indent)
    assert compose_data(text, source="x.json") == json.loads(text)
