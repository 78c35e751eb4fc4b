"""The settings-form preview in a real browser (headless Debian Chromium via Playwright)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from brevetti_schema import Kind, dump_platform_ui, load_schema, resolve_settings
from brevetti_schema._cli import main as cli_main

from .conftest import EXAMPLE_SOURCES, EXAMPLES

SEGMENTATION = EXAMPLES / "segmentation.yaml"
REPORT = EXAMPLES / "test_report.yaml"


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-state=ready]", timeout=15_000)


def _settings(page: Any) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(page.inner_text("[data-testid=settings-json]"))
    return settings


def _wait_settings(page: Any, check: Any, what: str) -> dict[str, Any]:
    """The settings panel once `check` holds for it (the form updates it asynchronously)."""
    for _ in range(50):
        settings = _settings(page)
        if check(settings):
            return settings
        page.wait_for_timeout(100)
    raise AssertionError(f"the settings panel never showed {what}: {_settings(page)}")


def _field(page: Any, model: str) -> Any:
    return page.locator(f'[data-model="{model}"]')


def _group(page: Any, model: str) -> Any:
    """The form-group (label, input, messages) of one field."""
    return page.locator(f'.form-group:has([data-model="{model}"])')


def _type(page: Any, model: str, text: str) -> None:
    """Type into a field and leave it (number inputs update their model on blur)."""
    field = _field(page, model)
    field.fill(text)
    field.press("Tab")


def _live_problems(page: Any) -> list[tuple[str, str]]:
    items = page.locator("[data-testid=live-problems] li")
    return [_problem_item(items.nth(i)) for i in range(items.count())]


def _problem_item(item: Any) -> tuple[str, str]:
    path = item.get_attribute("data-path")
    return path, item.inner_text().split(": ", 1)[1]


def _expected_inputs(record: dict[str, Any]) -> tuple[str, int]:
    """What vue-form-generator renders for a record: an element selector and a count."""
    kind = record["type"]
    if kind == "input":
        return f"input[type={record['inputType']}]", 1
    if kind == "checklist":
        return "input[type=checkbox]", len(record["values"])
    tags = {"textArea": "textarea", "select": "select", "checkbox": "input[type=checkbox]"}
    return tags[kind], 1


def _leaf_paths(tree: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        paths.add(path)
        if isinstance(value, dict):
            paths |= _leaf_paths(value, path + ".")
    return paths


def test_the_examples_cover_every_field_kind() -> None:
    kinds = {field.kind for src in EXAMPLE_SOURCES for _, field in load_schema(src).fields()}
    assert kinds == set(Kind)


@pytest.mark.parametrize("source", EXAMPLE_SOURCES, ids=lambda p: p.name)
def test_renders_every_field_of_the_example(
    page: Any, preview_url: Any, source: Path, tmp_path: Path
) -> None:
    schema = load_schema(source)
    records = [r for r in json.loads(dump_platform_ui(schema))["fields"] if "model" in r]
    active = _leaf_paths(resolve_settings(schema, {}, structure=False).tree)
    _open(page, preview_url(source))
    assert page.inner_text("[data-testid=title]") == (schema.title or "Settings form preview")
    assert page.get_attribute("[data-testid=live-status]", "data-count") == "0"

    hidden = {r["model"] for r in records if r.get("visible") is False}
    for model in hidden:
        assert _field(page, model).count() == 0, f"{model} is advanced and shown"
    page.check("[data-testid=advanced-toggle]")
    for combo in page.locator(".combobox .mainRow").all():
        combo.click()  # a brevettiai-style checklist (no listBox) is a closed dropdown
    page.screenshot(path=str(tmp_path / f"{source.stem}.png"), full_page=True)

    shown = 0
    for record in records:
        model = record["model"]
        selector, count = _expected_inputs(record)
        if model not in active:
            assert _field(page, model).count() == 0, f"{model} is inactive and shown"
            continue
        rendered = page.locator(f'{selector}[data-model="{model}"]')
        assert rendered.count() == count, f"{model}: expected {count} x {selector}"
        assert _field(page, model).count() == count
        shown += 1
    assert shown == len(active & {r["model"] for r in records}) > 0
    page.uncheck("[data-testid=advanced-toggle]")
    for model in hidden:
        assert _field(page, model).count() == 0


def test_typing_changes_the_settings_panel(page: Any, preview_url: Any) -> None:
    _open(page, preview_url(SEGMENTATION))
    before = _settings(page)
    assert before["training"]["epochs"] == 50
    assert before["classes"] == '["background", "scratch", "dent", "stain"]'

    _type(page, "training.epochs", "7")
    _wait_settings(page, lambda s: s["training"]["epochs"] == 7, "epochs 7")

    _type(page, "classes", '["ok", "scratch"]')
    settings = _wait_settings(page, lambda s: "ok" in s["classes"], "the new classes")
    assert settings["classes"] == '["ok", "scratch"]'  # isJson: sent as JSON text

    _type(page, "export.archive_name", "model.tgz")
    page.check('[data-model="export.quantize"]')
    page.select_option('[data-model="model.backbone"]', "resnet50")
    page.locator('[data-model="export.formats"]').nth(1).check()
    settings = _wait_settings(page, lambda s: s["export"]["quantize"] is True, "quantize")
    assert settings["export"]["archive_name"] == "model.tgz"
    assert settings["model"]["backbone"] == "resnet50"
    assert settings["export"]["formats"] == ["onnx", "tflite"]
    assert settings["dataset"]["channels"] == "3"  # a choice of numbers is isJson too

    _field(page, "export.notes").fill("first line\nsecond line")
    settings = _wait_settings(page, lambda s: s["export"]["notes"] != "", "the notes")
    assert settings["export"]["notes"] == "first line\nsecond line"
    assert page.get_attribute("[data-testid=live-status]", "data-count") == "0"


def test_an_out_of_range_value_shows_a_message_next_to_the_field(
    page: Any, preview_url: Any, tmp_path: Path
) -> None:
    _open(page, preview_url(SEGMENTATION))
    _type(page, "training.epochs", "100000")
    group = _group(page, "training.epochs")
    page.wait_for_selector('.form-group.error:has([data-model="training.epochs"]) .errors')
    assert group.locator(".errors").inner_text() == "100000 is above the maximum 10000"
    assert _live_problems(page) == [("training.epochs", "100000 is above the maximum 10000")]
    _group(page, "training.epochs").screenshot(path=str(tmp_path / "epochs-error.png"))

    _type(page, "augmentation.scale_range", "[0.9, 1.1")  # JSON text that does not parse
    scale = _group(page, "augmentation.scale_range")
    page.wait_for_selector('.form-group.error:has([data-model="augmentation.scale_range"])')
    assert scale.locator(".errors").inner_text().startswith("expected JSON text, ")

    _type(page, "augmentation.scale_range", "[0.9, 20]")  # parses; an item is too big
    page.wait_for_function(
        "() => !document.querySelector('[data-model=\"augmentation.scale_range\"]')"
        ".closest('.form-group').innerText.includes('expected JSON text')"
    )
    assert scale.locator(".errors").inner_text() == "item 1: 20 is above the maximum 10"

    _type(page, "training.epochs", "10")
    _type(page, "augmentation.scale_range", "[0.9, 1.1]")
    page.wait_for_selector("[data-testid=live-ok]")
    assert group.locator(".errors").count() == 0
    page.screenshot(path=str(tmp_path / "fixed.png"), full_page=True)


def test_a_preset_fills_the_form(page: Any, preview_url: Any) -> None:
    _open(page, preview_url(SEGMENTATION))
    assert _field(page, "augmentation.flip_horizontal").count() == 1
    page.select_option("[data-testid=preset-select]", "fast_check")
    settings = _wait_settings(page, lambda s: s["training"]["epochs"] == 2, "the preset")
    assert _field(page, "training.epochs").input_value() == "2"
    assert _field(page, "training.batch_size").input_value() == "2"
    assert not _field(page, "augmentation.enabled").is_checked()
    assert settings["training"]["batch_size"] == 2
    # the conditional fields are inactive now; the advanced JSON field has no condition
    assert settings["augmentation"] == {"enabled": False, "pipeline_override": "{}"}
    assert _field(page, "augmentation.flip_horizontal").count() == 0

    page.select_option("[data-testid=preset-select]", "high_res")
    settings = _wait_settings(page, lambda s: s["training"]["epochs"] == 50, "defaults again")
    assert settings["dataset"]["image_height"] == 1024
    assert settings["augmentation"]["enabled"] is True
    assert _field(page, "dataset.image_width").input_value() == "1024"


def test_a_conditional_field_appears_and_disappears(page: Any, preview_url: Any) -> None:
    _open(page, preview_url(SEGMENTATION))
    assert _field(page, "training.momentum").count() == 0
    assert "momentum" not in _settings(page)["training"]

    page.select_option('[data-model="training.optimizer"]', "sgd")
    page.wait_for_selector('[data-model="training.momentum"]')
    assert _field(page, "training.momentum").input_value() == "0.9"
    assert _settings(page)["training"]["momentum"] == 0.9

    page.select_option('[data-model="training.optimizer"]', "adam")
    page.wait_for_selector('[data-model="training.momentum"]', state="detached")
    assert "momentum" not in _settings(page)["training"]

    # one_of: dice_smooth shows for dice and combo, not for focal
    assert _field(page, "loss.dice_smooth").count() == 1
    page.select_option('[data-model="loss.function"]', "focal")
    page.wait_for_selector('[data-model="loss.dice_smooth"]', state="detached")
    assert _field(page, "loss.focal_gamma").count() == 1


def _check(page: Any) -> dict[str, Any]:
    with page.expect_response(lambda r: r.url.endswith("/check")) as response:
        page.click("[data-testid=check-button]")
    page.wait_for_selector("[data-testid=check-result]:not([data-state=running])")
    body: dict[str, Any] = response.value.json()
    return body


def _cli_validate(
    capsys: pytest.CaptureFixture[str], source: Path, settings: dict[str, Any], tmp_path: Path
) -> dict[str, Any]:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings))
    capsys.readouterr()
    code = cli_main(["validate", str(source), str(path), "--format", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == (0 if report["valid"] else 1)
    return report


def _pairs(problems: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(p["path"], p["message"]) for p in problems]


def test_check_gives_the_same_problems_as_the_cli(
    page: Any, preview_url: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _open(page, preview_url(SEGMENTATION))
    _type(page, "training.epochs", "0")
    _type(page, "dataset.image_height", "500")
    _type(page, "export.archive_name", "bad name!")
    _type(page, "classes", '["only-one"]')
    _type(page, "augmentation.scale_range", "[0.9, 20]")
    page.select_option('[data-model="training.optimizer"]', "sgd")
    _type(page, "training.momentum", "1")
    _wait_settings(page, lambda s: s["training"].get("momentum") == 1, "momentum 1")

    report = _check(page)
    settings = _settings(page)
    cli = _cli_validate(capsys, SEGMENTATION, settings, tmp_path)
    assert report["valid"] is False and cli["valid"] is False
    assert _pairs(report["problems"]) == _pairs(cli["problems"])
    assert report["problems"] == cli["problems"]
    assert len(report["problems"]) == 6

    shown = page.locator("[data-testid=check-problems] li")
    assert [_problem_item(shown.nth(i)) for i in range(shown.count())] == _pairs(cli["problems"])
    # the live check in the page reports the same problems, in the same words
    assert sorted(_live_problems(page)) == sorted(_pairs(cli["problems"]))
    page.screenshot(path=str(tmp_path / "check-invalid.png"), full_page=True)


def test_check_of_valid_settings_shows_the_typed_result(
    page: Any, preview_url: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _open(page, preview_url(REPORT))
    page.check('[data-model="notification.enabled"]')
    page.wait_for_selector('[data-model="notification.webhook_token"]')
    _type(page, "notification.webhook_url", "https://hooks.example.invalid/x")
    _type(page, "notification.webhook_token", "s3cret-token")
    settings = _wait_settings(
        page, lambda s: s["notification"].get("webhook_token") == "s3cret-token", "the token"
    )
    report = _check(page)
    cli = _cli_validate(capsys, REPORT, settings, tmp_path)
    assert report["valid"] is True and cli["valid"] is True
    assert report["settings"] == cli["settings"]
    assert report["warnings"] == cli["warnings"] == []
    assert report["settings"]["notification"]["webhook_token"] == "********"
    typed = page.inner_text("[data-testid=check-typed]")
    assert typed == report["typed"] and "s3cret-token" not in typed
    assert "webhook_url='https://hooks.example.invalid/x'" in typed
    page.screenshot(path=str(tmp_path / "check-valid.png"), full_page=True)


def test_a_required_field_without_a_default(
    page: Any, preview_url: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "needs_name.yaml"
    source.write_text(
        "fields:\n"
        "  run_name: {type: text, required: true, min_length: 3}\n"
        "  mode: {type: choice, options: [fast, careful], default: fast}\n"
        "  level: {type: integer, required: true, visible_when: {field: mode, equals: careful}}\n"
    )
    _open(page, preview_url(source))
    assert _live_problems(page) == [("run_name", "a value is required")]
    assert "run_name" not in _settings(page)  # no default: the form sends no value
    page.select_option('[data-model="mode"]', "careful")
    page.wait_for_selector('[data-model="level"]')
    _type(page, "run_name", "ab")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=live-problems] li').length === 2"
    )
    report = _check(page)
    cli = _cli_validate(capsys, source, _settings(page), tmp_path)
    assert _pairs(report["problems"]) == _pairs(cli["problems"])
    assert sorted(_live_problems(page)) == sorted(_pairs(cli["problems"]))
    assert ("level", "a value is required") in _pairs(cli["problems"])


CONDITIONS = """\
fields:
  mode: {type: choice, options: [train, evaluate], default: train}
  size: {type: choice, options: [1, 3, 5], default: 3}
  training:
    type: section
    visible_when: {field: mode, equals: train}
    fields:
      basics: heading
      epochs: {type: integer, default: 10, min: 1}
      schedule: {type: choice, options: [constant, step], default: constant}
      step_at:
        type: integer
        default: 5
        visible_when:
          all: [{field: size, one_of: [3, 5]}, {field: training.schedule, equals: step}]
  big_only:
    type: boolean
    default: false
    visible_when: {any: [{field: size, equals: 5}, {field: training.epochs, not_equals: 10}]}
"""


def _shown_labels(page: Any) -> list[str]:
    labels = page.locator(".vue-form-generator .form-group > label")
    return [labels.nth(i).inner_text().strip() for i in range(labels.count())]


def _wait_shown(page: Any, model: str, shown: bool) -> None:
    state = "attached" if shown else "detached"
    page.wait_for_selector(f'[data-model="{model}"]', state=state)


def test_sections_headings_and_combined_conditions(
    page: Any, preview_url: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "conditions.yaml"
    source.write_text(CONDITIONS)
    _open(page, preview_url(source))
    assert _shown_labels(page) == ["Mode", "Size", "Training", "Basics", "Epochs", "Schedule"]

    page.select_option('[data-model="training.schedule"]', "step")
    _wait_shown(page, "training.step_at", True)
    page.select_option('[data-model="size"]', "1")  # a choice of numbers: one_of [3, 5]
    _wait_shown(page, "training.step_at", False)
    assert _settings(page)["size"] == "1"
    page.select_option('[data-model="size"]', "5")
    _wait_shown(page, "training.step_at", True)
    _wait_shown(page, "big_only", True)
    page.select_option('[data-model="size"]', "3")
    _wait_shown(page, "big_only", False)
    _type(page, "training.epochs", "11")  # not_equals 10
    _wait_shown(page, "big_only", True)
    _type(page, "training.epochs", "10")
    _wait_shown(page, "big_only", False)

    # the whole section goes, heading included; big_only's condition then reads an
    # inactive field, which counts as absent, so not_equals holds
    page.select_option('[data-model="mode"]', "evaluate")
    _wait_shown(page, "training.epochs", False)
    _wait_shown(page, "big_only", True)
    assert _shown_labels(page) == ["Mode", "Size", "Big only"]
    settings = _settings(page)
    assert settings == {"mode": "evaluate", "size": "3", "big_only": False}
    page.screenshot(path=str(tmp_path / "conditions.png"), full_page=True)

    report = _check(page)
    cli = _cli_validate(capsys, source, settings, tmp_path)
    assert report["valid"] is True and cli["valid"] is True
    assert (
        report["settings"] == cli["settings"] == {"mode": "evaluate", "size": 3, "big_only": False}
    )
    assert report["warnings"] == cli["warnings"] == []
