"""The README's quick start shows the example job's own code, not a drifting copy."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_lines(text: str) -> list[str]:
    return [line.split("  #")[0].rstrip() for line in text.splitlines() if line.strip()]


def test_readme_job_class_matches_the_example() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("class TrainClassifier(Job):") :]
    block = block[: block.index("```")]
    example = _code_lines((ROOT / "schema_examples" / "train_classifier.py").read_text())
    for line in _code_lines(block):
        assert line in example, f"README line not in the example: {line!r}"
