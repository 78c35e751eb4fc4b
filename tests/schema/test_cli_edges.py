"""`brevetti-schema` rough edges a new user meets: misspelt options, the error prefix,
a misspelt file name, ``--help | head``, and files that are not overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from brevetti_schema._cli import main

ROOT = Path(__file__).resolve().parents[2]
CLASSIFIER = ROOT / "schema_examples" / "image_classification.yaml"
LEGACY = ROOT / "schema_examples" / "legacy_compat.ui.json"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_misspelt_option_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", str(CLASSIFIER), "--ouput", "out.json"])
    _, err = capsys.readouterr()
    assert info.value.code == 2
    assert "usage: brevetti-schema build" in err
    assert "--ouput (did you mean --output?)" in err


def test_check_uses_the_error_prefix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields:\n  epochs: {type: integer, default: 5, min: 10}\n")
    code, out, err = _cli(capsys, "check", str(bad))
    assert code == 1 and out == ""
    assert err.startswith(f"brevetti-schema: error: {bad}:2:")


def test_a_missing_schema_file_suggests_a_close_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "settings.yaml").write_text("fields:\n  epochs: {type: integer, default: 3}\n")
    (tmp_path / "settings.py").write_text("")  # not a schema file: never suggested
    code, _, err = _cli(capsys, "build", str(tmp_path / "setings.yaml"))
    assert code == 1
    assert f"no such schema file: {tmp_path / 'setings.yaml'}" in err
    assert f"did you mean {str(tmp_path / 'settings.yaml')!r}?" in err
    code, _, err = _cli(capsys, "build", str(tmp_path / "other.yaml"))
    assert code == 1 and "did you mean" not in err


@pytest.mark.parametrize("command", ["build", "convert"])
def test_build_and_convert_keep_an_existing_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    out = tmp_path / "out.txt"
    out.write_text("mine\n")
    code, _, err = _cli(capsys, command, str(LEGACY), "-o", str(out))
    assert code == 1
    assert f"brevetti-schema: error: {out} exists; pass --force to overwrite it" in err
    assert out.read_text() == "mine\n"
    code, _, err = _cli(capsys, command, str(LEGACY), "-o", str(out), "--force")
    assert code == 0 and f"wrote {out}" in err
    assert out.read_text() != "mine\n"


@pytest.mark.parametrize(
    "args",
    [["--help"], ["build", "--help"], ["json-schema", str(CLASSIFIER)], ["format-schema"]],
)
def test_output_into_a_closed_pipe_exits_quietly(tmp_path: Path, args: list[str]) -> None:
    """``brevetti-schema format-schema | head -1``: the reader is gone before we write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "brevetti_schema._cli", *args], stdout=write_end,
            stderr=subprocess.PIPE, text=True, cwd=tmp_path, check=False,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert result.stderr == ""
    # argparse's own --help ends 0 when it cannot write; our commands end like `head`'s peers
    assert result.returncode == (0 if "--help" in args else 141)
