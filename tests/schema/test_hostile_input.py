"""Hostile schema and settings input: one-line errors, bounded work, never a crash.

Issue 15, items 8 (schema side), 11, 12 and 13, and issue 14's YAML-format rough edges.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from brevetti_schema import SchemaError, SettingsError, load_schema, resolve_settings
from brevetti_schema._authoring.yaml_format import (
    MAX_DOCUMENT_BYTES,
    compose_data,
    load_schema_file,
    load_schema_text,
)
from brevetti_schema._cli import main
from brevetti_schema._model.patterns import pattern_problem
from brevetti_schema._settings.files import load_settings_file, load_settings_text

SCHEMA = """\
fields:
  lr: {type: number, default: 0.1}
  n: {type: integer, default: 3}
  step: {type: number, default: 1, multiple_of: 1e-300}
  even: {type: integer, default: 2, multiple_of: 2}
  extra: {type: json, default: {}}
  sizes: {type: list, of: number, default: []}
"""


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(SCHEMA)
    return path


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _both_paths(schema: Any, doc: dict[str, Any]) -> list[SettingsError]:
    """The error with and without structuring (the one engine must raise both times)."""
    errors = []
    for structure in (True, False):
        with pytest.raises(SettingsError) as info:
            resolve_settings(schema, doc, structure=structure)
        errors.append(info.value)
    assert [p.message for p in errors[0].problems] == [p.message for p in errors[1].problems]
    return errors


# -- item 8: NaN and infinity are settings problems, reported as valid JSON ----------------


@pytest.mark.parametrize("text", ["lr: .nan\n", "lr: .inf\n", "lr: -.inf\n"])
def test_validate_json_report_of_non_finite_numbers_is_valid_json(
    text: str, schema_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text(text)
    code, out, _ = _cli(capsys, "validate", str(schema_file), str(settings), "--format", "json")
    assert code == 1
    report = _strict_json(out)
    (problem,) = report["problems"]
    assert problem["path"] == "lr" and problem["value"] in ("NaN", "Infinity", "-Infinity")
    assert "finite number" in problem["message"]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_inside_a_json_setting_are_refused(bad: float) -> None:
    schema = load_schema_text(SCHEMA)
    errors = _both_paths(schema, {"extra": {"a": [1, bad]}})
    (problem,) = errors[1].problems
    assert problem.path == "extra" and "not a JSON number" in problem.message
    assert "a/1" in problem.message
    json.dumps(errors[1].to_json(), allow_nan=False)  # the report itself is strict JSON


def test_a_json_setting_holding_a_non_json_object_is_refused() -> None:
    schema = load_schema_text(SCHEMA)
    (error, _) = _both_paths(schema, {"extra": {"a": {1, 2}}})
    assert "is not a JSON value" in error.problems[0].message


# -- item 11: sizes checked by bytes before parsing, bounded composition ----------------


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as file:
        file.truncate(size)  # no disk used, and nothing a parser could read quickly
    return path


def test_a_100_mb_schema_or_settings_file_is_refused_before_it_is_read(
    tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = _sparse(tmp_path / "huge.json", 100 * 1024 * 1024)
    for load in (load_schema_file, load_schema):
        with pytest.raises(SchemaError, match="larger than 4 MiB") as info:
            load(huge)
        assert "104,857,600 bytes" in str(info.value)
    with pytest.raises(SettingsError, match="larger than 4 MiB"):
        load_settings_file(_sparse(tmp_path / "huge.yaml", 100 * 1024 * 1024))
    code, _, err = _cli(capsys, "validate", str(schema_file), str(huge))
    assert code == 1 and "larger than 4 MiB" in err and "Traceback" not in err


def test_text_over_the_limit_is_refused_without_parsing() -> None:
    text = "a: [" + "1," * (MAX_DOCUMENT_BYTES // 2) + "1]"
    with pytest.raises(SchemaError, match="larger than 4 MiB"):
        compose_data(text)
    with pytest.raises(SettingsError, match="larger than 4 MiB"):
        load_settings_text(text)


@pytest.mark.parametrize("source", ["flat.yaml", "flat.json"])
def test_too_many_nodes_stop_composition_at_the_limit(source: str) -> None:
    """Under the byte limit but over the node limit: stopped while composing, at the
    node past the limit (not after the whole tree was built, which reports line 1:1)."""
    text = "[" + "1," * 300_000 + "1]"
    assert len(text) < MAX_DOCUMENT_BYTES
    with pytest.raises(SchemaError, match="more than 200000 nodes") as info:
        compose_data(text, source=source)
    (problem,) = info.value.problems
    assert problem.line == 1 and problem.column is not None and problem.column > 100_000


# -- item 12: one-line errors, not tracebacks -------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_deeply_nested_documents_are_one_line_errors(tmp_path: Path, suffix: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / f"deep{suffix}"
    path.write_text(deep)
    with pytest.raises(SettingsError, match="nests deeper than 100 levels"):
        load_settings_file(path)
    schema = tmp_path / f"schema{suffix}"
    schema.write_text('{"fields": ' + deep + "}")
    with pytest.raises(SchemaError, match="nests deeper than 100 levels"):
        load_schema(schema)


def test_a_settings_file_that_is_not_utf8_is_a_settings_problem(
    tmp_path: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "settings.yaml"
    path.write_bytes(b"n: 3\nname: caf\xe9\n")
    with pytest.raises(SettingsError) as info:
        load_settings_file(path)
    (problem,) = info.value.problems
    assert "settings.yaml:2:10: cannot read the file: it is not UTF-8" in problem.message
    code, _, err = _cli(capsys, "validate", str(schema_file), str(path))
    assert code == 1 and "not UTF-8" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("big.yaml", "n: " + "9" * 20_000 + "\n"),
        ("big.json", '{"n": ' + "9" * 20_000 + "}"),
    ],
)
def test_a_20000_digit_integer_in_a_file_is_a_short_one_line_error(
    name: str, text: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SettingsError) as info:
        load_settings_file(path)
    (problem,) = info.value.problems
    assert "an integer of 20,000 digits is too long to read" in problem.message
    assert len(str(info.value)) < 300


@pytest.mark.parametrize("digits", [400, -400, 20_000])
def test_integers_beyond_the_float_range_are_refused_not_crashing_output(digits: int) -> None:
    value = 10 ** abs(digits) * (1 if digits > 0 else -1)
    schema = load_schema_text(SCHEMA)
    for key in ("n", "lr", "even", "sizes"):
        doc = {key: [value] if key == "sizes" else value}
        error, _ = _both_paths(schema, doc)
        (problem,) = error.problems
        assert "too large" in problem.message and "digits" in problem.message
        json.dumps(error.to_json(), allow_nan=False)
        assert len(error.table()) < 500
    error, _ = _both_paths(schema, {"extra": {"deep": [value]}})
    assert "too large for JSON" in error.problems[0].message


def test_integers_in_the_float_range_still_pass_exactly() -> None:
    schema = load_schema_text(SCHEMA)
    for structure in (True, False):
        result = resolve_settings(schema, {"n": 10**300, "even": 2**70}, structure=structure)
        assert result.tree["n"] == 10**300 and result.tree["even"] == 2**70
        with pytest.raises(SettingsError, match="not a multiple of 2"):
            resolve_settings(schema, {"even": 2**70 + 1}, structure=structure)


@pytest.mark.parametrize("value", [1e10, 1e300, 3.0, 1.5])
def test_multiple_of_1e_300_never_crashes(value: float) -> None:
    schema = load_schema_text(SCHEMA)
    outcomes = []
    for structure in (True, False):
        try:
            resolve_settings(schema, {"step": value}, structure=structure)
            outcomes.append("ok")
        except SettingsError as exc:
            outcomes.append(exc.problems[0].message)
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize(
    "declaration",
    [
        "{type: number, default: 1e300, multiple_of: 1e-300}",
        "{type: number, default: 1e300, max: 1e308}",
        "{type: integer, default: 1e300}",
        "{type: integer, default: 5, max: " + "9" * 4000 + "}",
        "{type: number, default: 5, min: -" + "9" * 4000 + "}",
        "{type: number, default: 5, multiple_of: " + "9" * 4000 + "}",
        "{type: list, of: integer, default: [" + "9" * 4000 + "]}",
    ],
)
def test_extreme_numbers_in_a_schema_are_checked_or_refused_in_one_line(
    declaration: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(f"fields:\n  x: {declaration}\n")
    for command in ("check", "build", "json-schema", "codegen", "defaults"):
        code, out, err = _cli(capsys, command, str(path))
        assert "Traceback" not in out + err
        assert code in (0, 1)
        if code == 1:
            assert len(err) < 400
    code, out, err = _cli(capsys, "check", str(path))
    if "9" * 4000 in declaration and "list" not in declaration:
        assert code == 1 and "within -1.8e308 to 1.8e308" in out + err


def test_a_huge_integer_bound_from_python_is_reported_not_a_crash() -> None:
    from brevetti_schema import SchemaBuilder

    builder = SchemaBuilder()
    builder.integer("x", default=10**400, min=0, max=10)
    with pytest.raises(SchemaError, match="too large"):
        builder.build()


# -- item 13: catastrophic-backtracking patterns refused at build time -------------------


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(a+)+$",
        r"(a*)*b",
        r"^(a|aa)+$",
        r"^(\w+\s?)+$",
        r"(.*a){20}",
        r"^(([a-z])+.)+[A-Z]([a-z])+$",
        r"(x+x+)+y",
        r"^(\d+)*$",
        r"(?=(a+)+b)",
    ],
)
def test_nested_quantifiers_are_refused(pattern: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and "exponential time" in problem
    with pytest.raises(SchemaError, match="exponential time"):
        load_schema_text(f"fields:\n  x: {{type: text, default: aaa, pattern: '{pattern}'}}\n")


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[a-z]+$",
        r"^(\d+\.)+\d+$",
        r"^(foo|bar)+$",
        r"^v\d+(\.\d+)*$",
        r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$",
        r"(ab)+",
        r"^[A-Z]{2,5}-\d{3}$",
        r"^(a|ab)+c$",
    ],
)
def test_ordinary_patterns_are_kept(pattern: str) -> None:
    assert pattern_problem(pattern) is None
    schema = load_schema_text(f"fields:\n  x: {{type: text, pattern: '{pattern}'}}\n")
    with pytest.raises(SettingsError, match="does not match the pattern"):
        resolve_settings(schema, {"x": "!"})


def test_check_and_build_of_a_catastrophic_pattern_end_with_an_error(tmp_path: Path) -> None:
    """The default would take hours to match against '^(a+)+$': refused before it is."""
    path = tmp_path / "schema.yaml"
    path.write_text(
        "fields:\n  x: {type: text, default: '" + "a" * 40 + "!', pattern: '^(a+)+$'}\n"
    )
    for command in ("check", "build"):
        result = subprocess.run(
            [sys.executable, "-m", "brevetti_schema._cli", command, str(path)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1
        assert "schema.yaml:2:" in result.stdout + result.stderr
        assert "exponential time" in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


# -- issue 14: misspelt type, merge keys, refused tags -----------------------------------


def _problems(text: str) -> list[tuple[str, int | None, int | None, str]]:
    with pytest.raises(SchemaError) as info:
        load_schema_text(text)
    return [(p.path, p.line, p.column, p.message) for p in info.value.problems]


def test_a_misspelt_type_key_is_named_with_a_suggestion() -> None:
    ((path, line, column, message),) = _problems("fields:\n  a: {tpye: integer, default: 1}\n")
    assert (path, line, column) == ("a", 2, 7)
    assert message.startswith("unknown key 'tpye'; did you mean 'type'?")


def test_a_merge_key_is_named_and_explained() -> None:
    text = "fields:\n  base: &b {type: integer, default: 1}\n  a:\n    <<: *b\n    default: 2\n"
    ((path, line, column, message),) = _problems(text)
    assert (path, line, column) == ("a", 4, 5)
    assert "unknown key '<<': YAML merge keys are not supported" in message
    ((_, _, _, message),) = _problems("fields:\n  a:\n    type: integer\n    <<: {min: 0}\n")
    assert "'<<'" in message and "merge keys" in message
    ((_, _, _, message),) = _problems("<<: {title: x}\nfields: {}\n")
    assert "merge keys" in message


@pytest.mark.parametrize(
    "value",
    ["!!python/object:os.system {type: integer}", "!custom integer", "!!set {x}", "!!omap []"],
)
def test_a_refused_tag_is_reported_once(value: str) -> None:
    ((path, line, column, message),) = _problems(f"fields:\n  a: {value}\n")
    assert (path, line, column) == ("a", 2, 6)
    assert "is not allowed" in message and "needs a type" not in message


def test_platform_ui_files_are_size_checked_and_deep_or_huge_json_is_one_line(
    tmp_path: Path,
) -> None:
    from brevetti_schema._authoring.platform_ui_load import load_platform_ui

    with pytest.raises(SchemaError, match="larger than 4 MiB"):
        load_platform_ui(_sparse(tmp_path / "huge.json", 100 * 1024 * 1024))
    for text, reason in (
        ('{"fields": ' + "[" * 100_000 + "]" * 100_000 + "}", "nests too deeply"),
        ('{"fields": [], "presets": {"p": {"n": ' + "9" * 20_000 + "}}}", "digits"),
    ):
        path = tmp_path / "doc.json"
        path.write_text(text)
        for given in (path, text):
            with pytest.raises(SchemaError, match=reason):
                load_platform_ui(given)


def test_validate_from_stdin_refuses_an_oversized_document_unparsed(
    schema_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    stream = io.StringIO("a: [" + "1," * (MAX_DOCUMENT_BYTES // 2) + "1]")
    monkeypatch.setattr(sys, "stdin", stream)
    code, _, err = _cli(capsys, "validate", str(schema_file), "-")
    assert code == 1 and "larger than 4 MiB" in err
    assert stream.tell() == MAX_DOCUMENT_BYTES + 1  # read no further than that


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("fields:\n  a: {type: !custom integer}\n", 2, 13),
        ("fields:\n  s:\n    type: section\n    fields: !!omap []\n", 4, 13),
        ("fields:\n  a: {type: integer, default: !custom 1, min: 0}\n", 2, 31),
        ("presets: !!set {}\nfields: {}\n", 1, 10),
    ],
)
def test_a_refused_tag_anywhere_is_one_problem_without_follow_ons(
    text: str, line: int, column: int
) -> None:
    ((_, at_line, at_column, message),) = _problems(text)
    assert (at_line, at_column) == (line, column) and "is not allowed" in message
