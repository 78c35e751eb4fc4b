"""Golden files: every example's platform form and JSON Schema are up to date."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from brevetti_schema import defaults, load_schema

EXAMPLES = Path(__file__).resolve().parents[1] / "schema_examples"


def _regenerate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regenerate", EXAMPLES / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGENERATE = _regenerate()
EXPECTED = REGENERATE.expected_files()


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.name)
def test_golden_file_is_up_to_date(path: Path) -> None:
    assert path.is_file(), f"{path.name} is missing: run `make examples`"
    assert path.read_text(encoding="utf-8") == EXPECTED[path], (
        f"{path.name} is out of date: run `make examples`"
    )


def test_there_are_at_least_four_examples() -> None:
    names = set(REGENERATE.sources())
    assert {"image_classification", "segmentation", "test_report", "legacy_compat"} <= names


@pytest.mark.parametrize("name", sorted(REGENERATE.sources()))
def test_example_defaults_validate(name: str) -> None:
    schema = load_schema(REGENERATE.sources()[name])
    document = json.loads((EXAMPLES / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(document)
    jsonschema.Draft202012Validator(document).validate(defaults(schema, active_only=True))
