"""docs/migration.md: its Python snippets run, in order, in one namespace and a fresh folder."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "migration.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith(("BREVETTI", "AWS_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BREVETTI_HYPERPARAMETERS_FILE", str(tmp_path / "none.json"))
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield tmp_path
    root.setLevel(level)
    root.handlers[:] = handlers


def test_the_migration_page_snippets_run(in_tmp: Path) -> None:
    blocks = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) == 4
    namespace: dict[str, object] = {"__name__": "migration_doc"}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"{PAGE.name} block {number}", "exec", dont_inherit=True)
        exec(code, namespace)  # the page's own snippets
    assert (in_tmp / "jobs" / "train20" / "artifacts" / "output.json").is_file()
    assert (in_tmp / "jobs" / "main" / "status.json").is_file()
