"""The boundaries of DESIGN.md, read from the imports with `ast`.

* `brevetti_schema` never imports `brevetti_job`;
* the model (nodes, conditions, trees, secrets, errors, safe patterns) imports no front end, back end or
  settings module, only other model modules;
* the field kinds import only the model and each other;
* back ends (JSON Schema, platform UI, defaults, generated source) import only the model,
  the kinds and the model's helpers, never a front end, another back end or the pipeline.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "brevetti_schema"

MODEL = {"_model", "_conditions", "_trees", "_secret", "_errors", "_patterns"}
KINDS = {"_kinds"}
BACK_ENDS = {
    "_json_schema": MODEL | KINDS,
    "_platform_ui": MODEL | KINDS,
    "_defaults": MODEL | KINDS,
    "_codegen": MODEL | KINDS | {"_class_plan", "_settings_types", "_converters"},
}


def _imports(path: Path) -> set[str]:
    """The modules a file imports: our own as their first private name, others whole."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
                continue
            parts = (node.module or "").split(".")
            inside_kinds = path.parent.name == "_kinds"
            if inside_kinds and node.level == 1:
                found.add("_kinds")
            elif parts[0]:
                found.add(parts[0])
            else:  # `from . import x`
                found |= {alias.name for alias in node.names}
    return found


def _ours(names: set[str]) -> set[str]:
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_brevetti_schema_never_imports_brevetti_job(path: Path) -> None:
    assert not {n for n in _imports(path) if n.split(".")[0] == "brevetti_job"}


@pytest.mark.parametrize("name", sorted(MODEL))
def test_the_model_imports_only_the_model(name: str) -> None:
    assert _ours(_imports(PACKAGE / f"{name}.py")) <= MODEL, name


@pytest.mark.parametrize("path", sorted((PACKAGE / "_kinds").glob("*.py")), ids=lambda p: p.name)
def test_the_kinds_import_only_the_model_and_each_other(path: Path) -> None:
    ours = _ours(_imports(path)) - KINDS
    lazy = {"_converters", "_settings_types"}  # code generators, imported when generating
    assert ours <= MODEL | lazy, path.name


@pytest.mark.parametrize("name", sorted(BACK_ENDS))
def test_back_ends_import_only_the_model_and_the_kinds(name: str) -> None:
    assert _ours(_imports(PACKAGE / f"{name}.py")) <= BACK_ENDS[name], name


def test_the_reader_sees_relative_and_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("from ._a import x\nfrom . import _b\ndef f():\n    import brevetti_job\n")
    assert _imports(sample) == {"_a", "_b", "brevetti_job"}
