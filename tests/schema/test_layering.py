"""The boundaries of DESIGN.md, read from the imports with `ast`.

The folders of `brevetti_schema` show the flow front ends -> model -> back ends:

* `brevetti_schema` never imports `brevetti_job`;
* the model (`_model/`, and `_errors`) imports only the model; the kinds (`_kinds/`,
  with the build-time checks of a declaration, which ask each kind) import only the
  model and each other, so every arrow points one way: kinds -> model;
* a back end (`_emit/`) imports only the model and the kinds, never a front end
  (`_authoring/`), the settings pipeline (`_settings/`) or another back end; inside the
  typed-class back end (`_emit/classes/`) its modules use each other;
* the model, the kinds and the back ends never import the public modules on top
  (`__init__`, `preview`, `compat`, `_cli`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "brevetti_schema"
ROOT = PACKAGE.parent

MODEL = frozenset({"_model", "_errors"})
KINDS = frozenset({"_kinds"})

# The named exceptions, each with its reason; anything else across a boundary fails.
ALLOWED = {
    # the dumper writes the format whose vocabulary (option tables) format_schema holds
    "_emit.yaml_dump": frozenset({"_emit.format_schema"}),
    # a generated module carries its schema as the authoring-format document
    "_emit.classes.codegen": frozenset({"_emit.yaml_dump"}),
}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path = ROOT) -> set[tuple[str, bool]]:
    """The absolute names of the modules a file imports, each with whether it is lazy.

    ``from . import x`` counts as importing ``package.x``; an import inside a function
    body is lazy (it runs only when the function does).
    """
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lazy_nodes = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
    }
    found: set[tuple[str, bool]] = set()
    for node in ast.walk(tree):
        lazy = id(node) in lazy_nodes
        if isinstance(node, ast.Import):
            found |= {(alias.name, lazy) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            if node.module is None:
                found |= {(f"{base}.{alias.name}", lazy) for alias in node.names}
            else:
                found.add((base, lazy))
    return found


def _within(name: str, prefixes: frozenset[str]) -> bool:
    """Whether `name` (relative to brevetti_schema) is one of `prefixes` or inside one."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _ours(path: Path, root: Path = ROOT) -> set[tuple[str, bool]]:
    """Our own modules a file imports, relative to ``brevetti_schema.``."""
    prefix = "brevetti_schema."
    result = set()
    for name, lazy in _imports(path, root):
        if name.startswith(prefix):
            result.add((name[len(prefix) :], lazy))
        elif name == "brevetti_schema":
            result.add(("__init__", lazy))
    return result


def _own_name(path: Path, root: Path = ROOT) -> str:
    return _module_name(path, root).removeprefix("brevetti_schema.")


def _crossings(path: Path, allowed: frozenset[str], root: Path = ROOT) -> set[str]:
    """The imports of `path` outside `allowed` and outside its named exceptions."""
    own = _own_name(path, root)
    allowed = allowed | ALLOWED.get(own, frozenset())
    # a lazy import (inside a function) crosses a boundary as much as one at the top
    return {name for name, _lazy in _ours(path, root) if not _within(name, allowed)}


def _files(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _ids(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


def test_every_module_is_in_a_layer() -> None:
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top == {"__init__.py", "_cli.py", "_errors.py", "compat.py", "preview.py"}
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders >= {"_model", "_kinds", "_authoring", "_emit", "_settings"}
    for folder in ("_model", "_kinds", "_authoring", "_emit", "_settings"):
        assert _files(folder), folder


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=_ids)
def test_brevetti_schema_never_imports_brevetti_job(path: Path) -> None:
    assert not {n for n, _ in _imports(path) if n.split(".")[0] == "brevetti_job"}


@pytest.mark.parametrize("path", [*_files("_model"), PACKAGE / "_errors.py"], ids=_ids)
def test_the_model_imports_only_the_model(path: Path) -> None:
    assert not _crossings(path, MODEL)


@pytest.mark.parametrize("path", _files("_kinds"), ids=_ids)
def test_the_kinds_import_only_the_model_and_each_other(path: Path) -> None:
    assert not _crossings(path, MODEL | KINDS)


@pytest.mark.parametrize("path", _files("_emit"), ids=_ids)
def test_back_ends_import_only_the_model_and_the_kinds(path: Path) -> None:
    own = _own_name(path)
    # a back end's own module family: the typed-class back end is one folder
    family = frozenset({"_emit.classes"}) if own.startswith("_emit.classes") else frozenset()
    assert not _crossings(path, MODEL | KINDS | family)


@pytest.mark.parametrize("path", [*_files("_authoring"), *_files("_settings")], ids=_ids)
def test_front_ends_and_the_pipeline_never_import_the_public_modules(path: Path) -> None:
    public = {"__init__", "preview", "compat", "_cli"}
    assert not {n for n, _ in _ours(path) if n in public}


def test_no_back_end_imports_a_front_end_or_the_pipeline() -> None:
    """A summary over the whole `_emit/` folder, named so a failure reads plainly."""
    for path in _files("_emit"):
        names = {n for n, _ in _ours(path)}
        assert not {n for n in names if _within(n, frozenset({"_authoring", "_settings"}))}, path


def test_the_reader_sees_relative_and_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "brevetti_schema" / "_emit" / "sample.py"
    sample.parent.mkdir(parents=True)
    sample.write_text(
        "from .._model.nodes import x\nfrom . import json_schema\n"
        "from .classes.plan import y\nimport os\n"
        "def f():\n    import brevetti_job\n    from .._settings import pipeline\n"
    )
    assert _imports(sample, tmp_path) == {
        ("brevetti_schema._model.nodes", False),
        ("brevetti_schema._emit.json_schema", False),
        ("brevetti_schema._emit.classes.plan", False),
        ("os", False),
        ("brevetti_job", True),
        ("brevetti_schema._settings", True),
    }
    assert _crossings(sample, MODEL | KINDS, tmp_path) == {
        "_emit.json_schema",
        "_emit.classes.plan",
        "_settings",
    }
