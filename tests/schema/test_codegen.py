"""Generated settings source: type-checks, lints, and behaves like the live classes."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import itertools
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import brevetti_schema
from brevetti_schema import Schema, SchemaBuilder, resolve_settings
from brevetti_schema._emit.classes.attrs_classes import settings_class
from brevetti_schema._emit.classes.codegen import generate_source
from brevetti_schema._emit.classes.conversion import structure, unstructure
from brevetti_schema._emit.classes.plan import plan_classes
from tests.strategies import schemas, settings_for

ROOT = Path(__file__).resolve().parents[2]
RUFF_RULES = "E,F,W,I,UP,B,SIM,RUF,C4,PIE"


def _schema() -> Schema:
    b = SchemaBuilder(title="demo job")
    b.integer("epochs", default=10, min=1, help="Passes over the data.")
    b.number("lr", default=1)
    b.text("name", help='Say "hi" \\ with a backslash,\nover two lines.')
    b.boolean("flip", default=True)
    b.choice("loss", options={"bce": "Binary", "mse": "Squared"}, default="bce")
    b.choice("ratio", options=[1, 0.5], default=0.5)
    b.choice("mixed", options=["x", 2.5, True])
    b.multi_choice("metrics", options=["acc", "f1"], default=["acc"])
    b.list("shape", of="integer", default=[224, 224])
    b.list("flags", of="boolean", default=[])
    b.json("extra", default={"alpha": [1, 2, 3], "beta": {"gamma": None, "delta": "d" * 60}})
    b.json("rows", default=[])
    b.classes(default=["ok"])
    b.class_mapping(default={"good": "ok", "scratch": ["bad", "worse"]})
    b.class_mapping("empty_mapping", default={})
    b.secret("token", default="hunter2")
    b.secret("api_key")
    b.choice("size", options=[f"option_{i}" for i in range(14)], default="option_3")
    b.text("learning-rate", default="x")
    b.text("class", default="y")
    b.integer("_private", default=1)
    with b.section("aug", visible_when={"field": "flip", "equals": True}, help="Augment") as a:
        a.text("kernel", required=True)
        a.integer("radius", default=3)
        with a.section("inner-most") as i:
            i.boolean("on", default=False)
    with b.section("model") as m:
        m.text("arch", required=True)
    b.section("empty")
    return b.build()


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _write(tmp_path: Path, schema: Schema, name: str = "settings_demo") -> tuple[Path, Any]:
    path = tmp_path / f"{name}.py"
    path.write_text(generate_source(schema), encoding="utf-8")
    module = _import(path)
    return path, getattr(module, plan_classes(schema)[-1].name)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def _same_types(generated: Any, live: Any) -> bool:
    """Annotations equal, nested settings classes compared by name and structure."""
    if attrs.has(generated) and attrs.has(live):
        return generated.__name__ == live.__name__ and _same_hints(generated, live)
    if typing.get_origin(generated) is not None or typing.get_args(generated):
        return typing.get_origin(generated) == typing.get_origin(live) and all(
            _same_types(g, v)
            for g, v in zip(typing.get_args(generated), typing.get_args(live), strict=True)
        )
    return bool(generated == live)


def _same_hints(generated: type, live: type) -> bool:
    ours, theirs = typing.get_type_hints(generated), typing.get_type_hints(live)
    return ours.keys() == theirs.keys() and all(_same_types(ours[k], theirs[k]) for k in ours)


def test_generation_is_deterministic() -> None:
    assert generate_source(_schema()) == generate_source(_schema())
    assert generate_source(_schema(), module_doc="Mine.").startswith('"""Mine."""\n')


def test_generated_classes_match_the_live_ones(tmp_path: Path) -> None:
    schema = _schema()
    _, generated = _write(tmp_path, schema)
    live = settings_class(schema)
    assert _same_hints(generated, live)
    for ours, theirs in zip(attrs.fields(generated), attrs.fields(live), strict=True):
        assert (ours.name, ours.alias, dict(ours.metadata)) == (
            theirs.name,
            theirs.alias,
            dict(theirs.metadata),
        )


def test_generated_classes_structure_and_unstructure_like_the_live_ones(tmp_path: Path) -> None:
    schema = _schema()
    _, generated = _write(tmp_path, schema)
    data = {"model": {"arch": "resnet"}, "aug": {"kernel": "box"}, "mixed": True, "_private": 4}
    ours, theirs = structure(generated, data), structure(schema, data)
    options: list[dict[str, Any]] = [{}, {"reveal_secrets": True}]
    options.append({"transport": True, "schema": schema})
    for option in options:
        assert unstructure(ours, **option) == unstructure(theirs, **option)
    assert ours.token.reveal() == "hunter2" and ours.size == "option_3"


def test_help_becomes_docstrings(tmp_path: Path) -> None:
    path, generated = _write(tmp_path, _schema())
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            body = node.body
            for first, second in itertools.pairwise(body):
                if isinstance(first, ast.AnnAssign) and isinstance(second, ast.Expr):
                    assert isinstance(first.target, ast.Name)
                    docs[first.target.id] = inspect.cleandoc(ast.literal_eval(second.value))
    assert docs["epochs"] == "Passes over the data."
    assert docs["name"] == 'Say "hi" \\ with a backslash,\nover two lines.'
    assert typing.get_type_hints(generated)["aug"].__doc__ == "Augment"


@pytest.mark.slow
def test_generated_source_passes_mypy_strict_and_ruff(tmp_path: Path) -> None:
    if not hasattr(brevetti_schema, "Secret"):
        pytest.skip("brevetti_schema does not export Secret yet")
    path = tmp_path / "settings_demo.py"
    path.write_text(generate_source(_schema()), encoding="utf-8")
    mypy = _run(
        sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", str(path), cwd=ROOT
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = Path(sys.executable).with_name("ruff")
    lint = _run(str(ruff), "check", "--isolated", "--select", RUFF_RULES, path.name, cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    style = _run(str(ruff), "format", "--isolated", "--diff", path.name, cwd=tmp_path)
    assert style.returncode == 0, style.stdout + style.stderr


@pytest.mark.slow
@settings(max_examples=1, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(schemas(), min_size=12, max_size=12))
def test_generated_source_of_random_schemas_type_checks(many: list[Schema]) -> None:
    if not hasattr(brevetti_schema, "Secret"):
        pytest.skip("brevetti_schema does not export Secret yet")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        for index, schema in enumerate(many):
            source = generate_source(schema)
            (directory / f"settings_{index}.py").write_text(source, encoding="utf-8")
        files = sorted(str(p) for p in directory.glob("*.py"))
        mypy = _run(
            sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", *files, cwd=ROOT
        )
        assert mypy.returncode == 0, mypy.stdout + mypy.stderr
        ruff = str(Path(sys.executable).with_name("ruff"))
        lint = _run(ruff, "check", "--isolated", "--select", RUFF_RULES, ".", cwd=directory)
        assert lint.returncode == 0, lint.stdout + lint.stderr


@given(st.data())
def test_random_generated_classes_behave_like_the_live_ones(data: st.DataObject) -> None:
    schema = data.draw(schemas())
    tree = data.draw(settings_for(schema))
    namespace: dict[str, Any] = {"__name__": "generated_settings"}
    exec(compile(generate_source(schema), "<generated>", "exec", dont_inherit=True), namespace)
    generated = namespace[plan_classes(schema)[-1].name]
    assert _same_hints(generated, settings_class(schema))
    ours, theirs = structure(generated, tree), structure(schema, tree)
    assert unstructure(ours, reveal_secrets=True) == unstructure(theirs, reveal_secrets=True)
    transport = unstructure(ours, transport=True, schema=schema)
    assert transport == unstructure(theirs, transport=True, schema=schema)


_ODD_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_ODD_KEYS = st.one_of(
    st.sampled_from(["class", "self", "int", "Secret", "attrs", "None", "__init__", "_", "1x"]),
    st.text(
        st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=6
    ),
).filter(lambda k: "." not in k and not any(c.isspace() for c in k))


@given(
    title=st.one_of(st.none(), _ODD_TEXT),
    keys=st.lists(_ODD_KEYS, min_size=1, max_size=5, unique=True),
    section=_ODD_KEYS,
    helps=st.lists(_ODD_TEXT, min_size=5, max_size=5),
)
def test_odd_keys_titles_and_help_still_give_working_source(
    title: str | None, keys: list[str], section: str, helps: list[str]
) -> None:
    assume(section not in keys)
    b = SchemaBuilder(title=title)
    for key, help_text in zip(keys, helps, strict=False):
        b.text(key, default=key, help=help_text or None)
    inner = b.section(section, help=helps[-1] or None)
    for key in keys:
        inner.integer(key, default=1)
    schema = b.build()
    namespace: dict[str, Any] = {"__name__": "odd_settings"}
    source = generate_source(schema)
    exec(compile(source, "<generated>", "exec", dont_inherit=True), namespace)
    generated = namespace[plan_classes(schema)[-1].name]
    assert _same_hints(generated, settings_class(schema))
    data: dict[str, Any] = {key: key * 2 for key in keys}
    data[section] = {key: 2 for key in keys}
    assert unstructure(structure(generated, data)) == data
    assert unstructure(structure(schema, data)) == data


def test_resolving_into_a_generated_class_of_another_schema_names_each_mismatch(
    tmp_path: Path,
) -> None:
    """A generated class that no longer fits its schema (the schema changed, the module
    was not regenerated) is a `SchemaError` naming each setting, before any is read."""
    old = SchemaBuilder().integer("epochs", default=3).list("sizes", of="integer").build()
    _, Generated = _write(tmp_path, old, "stale_settings")
    assert resolve_settings(old, {"epochs": 4}, into=Generated).settings.epochs == 4
    new = SchemaBuilder().text("epochs", default="3").list("sizes", of="integer")
    new.boolean("augment", default=False)
    with pytest.raises(brevetti_schema.SchemaError) as info:
        resolve_settings(new.build(), {"epochs": "not read"}, into=Generated)
    assert [str(p) for p in info.value.problems] == [
        "epochs: Settings.epochs is int, but this is a text setting: expected str",
        "augment: Settings has no attribute for this boolean setting",
    ]
    with pytest.raises(TypeError, match="into= must be an attrs or pydantic settings class"):
        resolve_settings(old, {}, into=dict)
