"""The compile cache: the validator's code and the JSON default's verdict, kept on disk."""

from __future__ import annotations

import ast
import json
import marshal
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import brevetti_schema
from brevetti_schema import Kind, SchemaBuilder, SettingsError
from brevetti_schema._model import cache
from brevetti_schema._settings.pipeline import resolve_settings
from brevetti_schema._settings.validator import validator
from tests.schema import raised_in_check
from tests.strategies import schemas

ROOT = Path(__file__).resolve().parents[2]
_SUITE_CACHE = os.environ["BREVETTI_SCHEMA_CACHE"]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder for this test (the environment variable set to it)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("BREVETTI_SCHEMA_CACHE", str(path))
    return path


def _entries(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file())


def _counting_compile(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the cache module's calls of `compile` (its misses)."""
    calls: list[str] = []

    def counting(source: str, *args: Any) -> Any:
        calls.append(source)
        return compile(source, *args)

    monkeypatch.setattr(cache, "compile", counting, raising=False)
    return calls


def _schema() -> Any:
    b = SchemaBuilder(title="Cached")
    b.integer("epochs", default=3, min=1)
    with b.section("data") as d:
        d.number("rate", default=0.5, min=0, max=1).text("name", default="x", min_length=1)
    return b.build()


def test_the_version_in_every_entry_is_the_toolkits() -> None:
    assert brevetti_schema.__version__ == cache.VERSION


def test_the_folder_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BREVETTI_SCHEMA_CACHE", "/x/y")
    assert cache.cache_folder() == Path("/x/y")
    for off in ("off", "OFF", "0", "no", "none", "false"):
        monkeypatch.setenv("BREVETTI_SCHEMA_CACHE", off)
        assert cache.cache_folder() is None
    monkeypatch.delenv("BREVETTI_SCHEMA_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache.cache_folder() == Path("/xdg/brevetti-schema")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "/home/u")
    assert cache.cache_folder() == Path("/home/u/.cache/brevetti-schema")


def test_a_second_validator_of_the_same_schema_is_not_compiled(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting_compile(monkeypatch)
    first = validator(_schema())
    assert calls and _entries(folder)
    count = len(calls)
    second = validator(_schema())  # a new Schema object: generated again, not compiled
    assert len(calls) == count
    assert second.source == first.source and second.filename != first.filename
    good = {"epochs": 2, "data": {"rate": 0.25, "name": "y"}}
    assert resolve_settings(second.schema, good).tree == resolve_settings(first.schema, good).tree


def test_cached_code_is_placed_in_its_own_source(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code from the cache names the validator's file and lines, as freshly compiled."""
    validator(_schema())
    calls = _counting_compile(monkeypatch)
    engine = validator(_schema())
    assert not calls
    error = raised_in_check(engine, {"epochs": 0})
    frames = [f for f in traceback.extract_tb(error.__traceback__)]
    generated = [f for f in frames if f.filename == engine.filename]
    assert generated, frames
    lines = engine.source.splitlines()
    assert all(f.line == lines[f.lineno - 1].strip() for f in generated)  # type: ignore[operator]
    assert "run.check(" in "".join(traceback.format_exception(error))


def test_damaged_or_foreign_entries_are_compiled_again(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = validator(_schema())
    entries = _entries(folder)
    for index, path in enumerate(entries):  # garbage, a cut-off entry, another's material
        damaged = [b"\x00garbage", path.read_bytes()[:7], marshal.dumps((b"other", None))]
        path.write_bytes(damaged[index % 3])
    calls = _counting_compile(monkeypatch)
    again = validator(_schema())
    assert len(calls) == len(entries)
    assert again.source == first.source
    with pytest.raises(SettingsError) as info:
        resolve_settings(again.schema, {"epochs": 0})
    assert [p.code for p in info.value.problems] == ["below_minimum"]
    calls.clear()
    validator(_schema())  # rewritten whole
    assert not calls


def test_an_unwritable_or_switched_off_cache_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BREVETTI_SCHEMA_CACHE", str(blocker / "cache"))
    calls = _counting_compile(monkeypatch)
    assert resolve_settings(_schema()).tree["epochs"] == 3
    assert calls and blocker.read_text() == "not a folder"
    monkeypatch.setenv("BREVETTI_SCHEMA_CACHE", "off")
    calls.clear()
    validator(_schema())
    validator(_schema())
    assert len(calls) == 2 * len(set(calls))  # compiled every time


def test_entries_hold_no_setting_values(folder: Path) -> None:
    b = SchemaBuilder()
    b.secret("token", default="s3cret-default-token").text("note", default="plain-default-note")
    b.json("extra", default={"k": "json-default-value"}, json_schema={"type": "object"})
    schema = b.build()
    resolve_settings(schema, {"token": "s3cret-given-token", "note": "given-note-text"})
    stored = b"".join(p.read_bytes() for p in _entries(folder))
    assert stored  # code and the verdict were written
    for value in (b"s3cret-default-token", b"s3cret-given-token", b"given-note-text"):
        assert value not in stored
    assert b"plain-default-note" not in stored


# -- the verdict on a JSON field's default: no jsonschema in a job that keeps it ------------

_PROBE = """
import sys
from brevetti_schema import SchemaBuilder
from brevetti_schema._settings.pipeline import resolve_settings

b = SchemaBuilder()
b.json("pipeline", default=DEFAULT, json_schema=SCHEMA)
document = DOCUMENT
try:
    resolve_settings(b.build(), document)
    outcome = "valid"
except Exception as exc:
    outcome = [p.code for p in exc.problems]
print(repr((outcome, "jsonschema" in sys.modules)))
"""


def _fresh(default: Any, schema: Any, document: Any, env: dict[str, str]) -> Any:
    code = (
        _PROBE.replace("DEFAULT", repr(default))
        .replace("SCHEMA", repr(schema))
        .replace("DOCUMENT", repr(document))
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    return ast.literal_eval(out.strip().splitlines()[-1])


@pytest.fixture
def env(folder: Path) -> dict[str, str]:
    return {**os.environ, "BREVETTI_SCHEMA_CACHE": str(folder)}


def test_a_valid_default_is_checked_once_and_then_known(env: dict[str, str]) -> None:
    schema = {"type": "object", "additionalProperties": {"type": "integer"}}
    default = {"flip": 1, "crop": 2}
    assert _fresh(default, schema, {}, env) == ("valid", True)  # checked, remembered
    assert _fresh(default, schema, {}, env) == ("valid", False)  # known: no jsonschema
    given = {"pipeline": {"flip": 3}}
    assert _fresh(default, schema, given, env) == ("valid", True)  # a given value is checked
    bad = {"pipeline": {"flip": True}}  # same_json: true is not 1
    assert _fresh(default, schema, bad, env) == (["json_schema"], True)
    other = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    assert _fresh(default, other, {}, env) == ("valid", True)  # another inner schema


def test_an_invalid_default_is_reported_every_time(env: dict[str, str]) -> None:
    schema = {"type": "object", "required": ["mode"]}
    for _ in range(2):
        assert _fresh({"other": 1}, schema, {}, env) == (["json_schema"], True)


def test_an_inner_schema_with_format_is_always_checked(env: dict[str, str]) -> None:
    schema = {"type": "object", "properties": {"at": {"type": "string", "format": "date"}}}
    for _ in range(2):
        assert _fresh({"at": "2026-12-06"}, schema, {}, env) == ("valid", True)


def test_verdicts_are_kept_only_for_their_material(folder: Path) -> None:
    material = json.dumps({"type": "object"}) + "\0{}"
    assert not cache.known(material)
    cache.remember(material)
    assert cache.known(material) and not cache.known(material + " ")
    (entry,) = _entries(folder)
    entry.write_bytes(marshal.dumps(b"something else"))
    assert not cache.known(material)


# -- the model of an authoring file: no YAML parser in a job whose schema is known -----------

_SCHEMA_FILE = """\
title: Cached
fields:
  epochs: {type: integer, default: 3, min: 1, label: Epochs}
  data:
    type: section
    fields:
      rate: {type: number, default: 0.5, min: 0, max: 1}
      mode: {type: choice, options: [a, b], default: a}
"""

_LOAD = """
import sys
from brevetti_schema import load_schema
schema = load_schema(PATH)
print(repr(("yaml" in sys.modules, [p for p, _ in schema.fields()], schema.title)))
"""


def _load_fresh(path: Path, env: dict[str, str]) -> Any:
    out = subprocess.run(
        [sys.executable, "-c", _LOAD.replace("PATH", repr(str(path)))],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return ast.literal_eval(out.strip().splitlines()[-1])


def test_a_known_schema_file_is_read_without_yaml(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(_SCHEMA_FILE)
    fields = ["epochs", "data.rate", "data.mode"]
    assert _load_fresh(path, env) == (True, fields, "Cached")  # read, kept
    assert _load_fresh(path, env) == (False, fields, "Cached")  # from the cache
    path.write_text(_SCHEMA_FILE.replace("title: Cached", "title: Edited"))
    assert _load_fresh(path, env) == (True, fields, "Edited")  # another text: read again


def test_the_cached_model_is_the_model_the_reader_makes(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brevetti_schema import load_schema
    from brevetti_schema._authoring.yaml_format import load_schema_text

    path = tmp_path / "settings.yaml"
    path.write_text(_SCHEMA_FILE)
    first = load_schema(path)
    assert [p.parent.name for p in _entries(folder)] == ["model"]
    second = load_schema(path)
    assert second is not first and second == first == load_schema_text(_SCHEMA_FILE)
    assert resolve_settings(second).tree == {"epochs": 3, "data": {"rate": 0.5, "mode": "a"}}
    (entry,) = (p for p in _entries(folder) if p.parent.name == "model")
    entry.write_bytes(b"\x80\x05damaged")
    assert load_schema(path) == first  # a damaged entry is read again and replaced
    assert entry.read_bytes() != b"\x80\x05damaged"


def test_an_edited_toolkit_does_not_read_models_its_old_code_made(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brevetti_schema import load_schema

    path = tmp_path / "settings.yaml"
    path.write_text(_SCHEMA_FILE)
    load_schema(path)
    package = tmp_path / "package"
    (package / "_model").mkdir(parents=True)
    source = package / "_model" / "nodes.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(cache, "_PACKAGE", package)
    cache.sources.cache_clear()
    try:
        assert "_model/nodes.py 6 " in cache.sources()
        assert cache.loaded("model", "anything") is None
        load_schema(path)
        assert len(_entries(folder)) == 2  # a second model, under the new sources
        os.utime(source, ns=(1, 1))
        cache.sources.cache_clear()
        assert cache.sources().endswith("_model/nodes.py 6 1")
    finally:
        cache.sources.cache_clear()


@pytest.mark.parametrize(
    "text",
    [
        "fields:\n  token: {type: secret, default: s3cret-in-the-file}\n",
        "fields:\n  token: {type: secret}\npresets:\n  prod: {token: s3cret-in-the-file}\n",
        "fields:\n  g: {type: section, fields: {token: {type: secret}}}\n"
        "presets:\n  prod: {g: {token: s3cret-in-the-file}}\n",
        "fields:\n  token: {type: secret}\n"
        "  n: {type: integer, default: 1, visible_when: {field: token, equals: s3cret-in-the-file}}\n",
    ],
    ids=["default", "preset", "nested-preset", "condition"],
)
def test_a_model_that_holds_a_secret_value_is_not_kept(
    tmp_path: Path, folder: Path, text: str
) -> None:
    from brevetti_schema import load_schema

    path = tmp_path / "settings.yaml"
    path.write_text(text)
    resolve_settings(load_schema(path), {"token": "another-s3cret-given"}, strict=False)
    assert not [p for p in _entries(folder) if p.parent.name == "model"]
    stored = b"".join(p.read_bytes() for p in _entries(folder))
    assert b"s3cret" not in stored


def test_a_model_with_a_secret_but_no_value_of_it_is_kept(tmp_path: Path, folder: Path) -> None:
    from brevetti_schema import load_schema

    path = tmp_path / "settings.yaml"
    path.write_text("fields:\n  token: {type: secret}\n  n: {type: integer, default: 1}\n"
                    "presets:\n  prod: {n: 2}\n")  # fmt: skip
    load_schema(path)
    assert [p for p in _entries(folder) if p.parent.name == "model"]


def test_a_folder_others_may_write_is_passed_over(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validator(_schema())
    code = folder / "code"
    code.chmod(0o777)  # group and others may write: its entries are not run
    calls = _counting_compile(monkeypatch)
    before = {p: p.read_bytes() for p in _entries(folder)}
    validator(_schema())
    assert calls and {p: p.read_bytes() for p in _entries(folder)} == before
    code.chmod(0o700)
    calls.clear()
    validator(_schema())
    assert not calls


def test_no_home_folder_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container's arbitrary uid: no HOME and no passwd entry."""
    import pwd

    def no_entry(uid: int) -> Any:
        raise KeyError(uid)

    for name in ("BREVETTI_SCHEMA_CACHE", "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    assert cache.cache_folder() is None
    assert resolve_settings(_schema()).tree["epochs"] == 3


def test_files_with_problems_are_worded_as_before(tmp_path: Path, folder: Path) -> None:
    from brevetti_schema import SchemaError, load_schema

    broken = tmp_path / "broken.yaml"
    broken.write_text("fields:\n  a: {type: integer\n")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"fields:\n  a: \xff\n")
    for path, words in ((broken, "invalid YAML"), (binary, "not UTF-8")):
        for _ in range(2):
            with pytest.raises(SchemaError) as info:
                load_schema(path)
            assert words in str(info.value)
            assert info.value.problems[0].line is not None
    assert not _entries(folder)


@given(schema=schemas())
def test_property_a_cached_model_equals_the_one_read(schema: Any) -> None:
    from brevetti_schema import load_schema
    from brevetti_schema._authoring.yaml_format import load_schema_text
    from brevetti_schema._emit.yaml_dump import dump_schema_yaml

    text = dump_schema_yaml(schema)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.yaml"
        path.write_text(text)
        os.environ["BREVETTI_SCHEMA_CACHE"] = str(Path(folder) / "cache")
        try:
            read, cached = load_schema(path), load_schema(path)
            kept = list((Path(folder) / "cache").rglob("model/*"))
        finally:
            os.environ["BREVETTI_SCHEMA_CACHE"] = _SUITE_CACHE
    expected = load_schema_text(text, source=str(path))
    assert read == cached == expected and cached.warnings == expected.warnings
    secret_values = any(
        f.kind is Kind.SECRET and f.has_default for _, f in expected.fields()
    ) or any(expected.presets.values())
    assert kept or secret_values  # kept unless it may hold a secret's value
    assert [(p, f.default) for p, f in cached.fields()] == [
        (p, f.default) for p, f in expected.fields()
    ]
