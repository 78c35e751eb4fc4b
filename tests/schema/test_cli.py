"""`brevetti-schema`: every command, exit codes, and no tracebacks for user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from brevetti_schema._cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schema_examples"
CLASSIFIER = EXAMPLES / "image_classification.yaml"
REPORT = EXAMPLES / "test_report.yaml"


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_build_writes_the_golden_platform_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "form.json"
    code, _, err = _cli(capsys, "build", str(CLASSIFIER), "-o", str(out))
    assert code == 0 and f"wrote {out}" in err
    assert out.read_text() == (EXAMPLES / "image_classification.ui.json").read_text()


def test_json_schema_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "json-schema", str(CLASSIFIER))
    assert code == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(out))
    code, strict, _ = _cli(capsys, "json-schema", str(CLASSIFIER), "--strict")
    assert json.loads(strict)["additionalProperties"] is False


def test_defaults_yaml_loads_back(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "defaults", str(CLASSIFIER))
    assert code == 0
    assert yaml.safe_load(out)["training"]["epochs"] == 30
    assert "# " in out


def test_check_ok_and_with_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "check", str(CLASSIFIER))
    assert code == 0 and "ok (18 fields, 2 presets)" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields:\n  epochs: {type: integer, default: 500, max: 100}\n")
    code, _, err = _cli(capsys, "check", str(bad))
    assert code == 1
    assert f"brevetti-schema: error: {bad}:2:" in err
    assert "epochs: default 500 is above the maximum 100" in err


def test_check_lists_warnings_of_a_legacy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy = tmp_path / "settings-schema.json"
    legacy.write_text(json.dumps({"fields": [
        {"type": "input", "inputType": "number", "min": 0, "max": 100, "step": 1,
         "label": "Image height", "model": "image_height", "default": 224, "required": False},
    ], "presets": {}}))  # fmt: skip
    code, _, err = _cli(capsys, "check", str(legacy))
    assert code == 1
    assert "image_height" in err and "brevetti-schema: " in err and "warning" in err
    assert "224" in err


def test_convert_platform_file_to_yaml_and_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    converted = tmp_path / "converted.yaml"
    code, _, _ = _cli(
        capsys, "convert", str(EXAMPLES / "legacy_compat.ui.json"), "-o", str(converted)
    )
    assert code == 0
    rebuilt = tmp_path / "rebuilt.json"
    code, _, _ = _cli(capsys, "build", str(converted), "-o", str(rebuilt))
    assert code == 0
    original = json.loads((EXAMPLES / "legacy_compat.ui.json").read_text())
    assert json.loads(rebuilt.read_text()) == original


def test_format_schema_is_a_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "format-schema")
    assert code == 0
    document = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(document)
    for example in EXAMPLES.glob("*.yaml"):
        jsonschema.Draft202012Validator(document).validate(yaml.safe_load(example.read_text()))


def test_build_from_python_object_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_schema.py").write_text(
        "from brevetti_schema import SchemaBuilder\n"
        "builder = SchemaBuilder().integer('epochs', default=3, min=1)\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, _ = _cli(capsys, "build", "my_schema:builder")
    assert code == 0
    assert json.loads(out)["fields"][0]["model"] == "epochs"


def test_validate_prints_resolved_settings_with_secrets_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "s.yaml"
    settings.write_text(
        "notification: {enabled: true, webhook_token: tok_VERYSECRET}\nreport: {max_images: 7}\n"
    )
    code, out, _ = _cli(
        capsys, "validate", str(REPORT), str(settings), "--set", "model_threshold=0.7"
    )
    assert code == 0
    resolved = yaml.safe_load(out)
    assert resolved["model_threshold"] == 0.7 and resolved["report"]["max_images"] == 7
    assert resolved["notification"]["webhook_token"] == "********"
    assert "VERYSECRET" not in out
    code, out, _ = _cli(capsys, "validate", str(REPORT), str(settings), "--format", "json")
    report = json.loads(out)
    assert report["valid"] is True and "VERYSECRET" not in out


def test_validate_invalid_prints_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "s.yaml"
    settings.write_text("model_threshold: 2\nreport: {format: docx}\nrepport: {}\n")
    code, out, _ = _cli(capsys, "validate", str(REPORT), str(settings), "--strict")
    assert code == 1
    assert out.startswith("3 problems with the settings:")
    assert "model_threshold" in out and "report.format" in out and "did you mean 'report'" in out
    code, out, _ = _cli(capsys, "validate", str(REPORT), str(settings), "--format", "json")
    report = json.loads(out)
    assert report["valid"] is False
    assert [p["path"] for p in report["problems"]] == ["model_threshold", "report.format"]


def test_validate_with_a_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "s.yaml"
    settings.write_text("{}\n")
    code, out, _ = _cli(capsys, "validate", str(REPORT), str(settings), "--preset", "summary")
    assert code == 0 and yaml.safe_load(out)["report"]["include_images"] is False
    code, out, _ = _cli(capsys, "validate", str(REPORT), str(settings), "--preset", "nope")
    assert code == 1 and "unknown preset 'nope' (known: summary)" in out


def test_codegen_writes_a_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "settings.py"
    code, _, _ = _cli(capsys, "codegen", str(CLASSIFIER), "-o", str(target))
    assert code == 0
    compile(target.read_text(), str(target), "exec")
    assert "@attrs.frozen" in target.read_text() or "attrs.define" in target.read_text()


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["build", "missing.yaml"], 1, "no such schema file"),
        (["build"], 2, "SRC"),
        (["frobnicate"], 2, "invalid choice"),
        (["convert", str(CLASSIFIER)], 2, "needs -o/--output"),
        (["build", "nomodule_xyz:builder"], 1, "cannot import"),
        (["validate", str(CLASSIFIER), "missing-settings.yaml"], 1, "missing-settings.yaml"),
    ],
)
def test_user_errors_exit_cleanly(tmp_path: Path, args: list[str], code: int, needle: str) -> None:
    cli = str(Path(sys.executable).with_name("brevetti-schema"))
    result = subprocess.run([cli, *args], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == code
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_yaml_names_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("fields:\n  epochs: {type: integer\n  lr: 3\n")
    cli = str(Path(sys.executable).with_name("brevetti-schema"))
    result = subprocess.run(
        [cli, "build", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert f"{broken}:3:" in result.stderr or f"{broken}:2:" in result.stderr
    assert "Traceback" not in result.stderr


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import brevetti_schema

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    expected = f"brevetti-schema {brevetti_schema.__version__}"
    assert capsys.readouterr().out.strip() == expected
