"""Regenerate the golden files of every example schema (``make examples``).

For each ``*.yaml`` authoring file and for ``legacy_compat.py`` (a brevettiai-style
builder), writes ``<name>.ui.json`` (the platform form) and ``<name>.schema.json``
(the JSON Schema of its settings). A test fails when a committed file is out of date.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from brevetti_schema import dump_json_schema, dump_platform_ui, load_schema

HERE = Path(__file__).resolve().parent


def _compat_builder() -> Any:
    spec = importlib.util.spec_from_file_location("legacy_compat", HERE / "legacy_compat.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.builder


def sources() -> dict[str, Any]:
    """Example name -> something `load_schema` reads."""
    found: dict[str, Any] = {path.stem: path for path in sorted(HERE.glob("*.yaml"))}
    found["legacy_compat"] = _compat_builder()
    return found


def expected_files() -> dict[Path, str]:
    """Every golden file with the text it must hold."""
    files: dict[Path, str] = {}
    for name, source in sources().items():
        schema = load_schema(source)
        files[HERE / f"{name}.ui.json"] = dump_platform_ui(schema)
        files[HERE / f"{name}.schema.json"] = dump_json_schema(schema)
    return files


def main() -> int:
    """Write every golden file; print what changed."""
    for path, text in expected_files().items():
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
            print(f"updated {path.relative_to(HERE.parent)}")
        else:
            print(f"unchanged {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
