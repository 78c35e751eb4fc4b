"""Issue 3: validate and structure a 60-field settings document, side by side with pydantic v2.

The schema is ``schema_examples/segmentation.yaml`` (59 fields in 6 sections plus two
at the root); the document sets 57 of them (the others are inactive under their
conditions). Measured per document, warm, in the same run and in alternation:

* `resolve_settings(schema, doc)`: the schema's generated validator (pure Python, one
  engine for valid and invalid documents);
* pydantic v2 `model_validate(doc)` on an equivalent hand-written frozen model;

plus the same document in the platform's transport form, a document whose JSON field
holds a non-default value, an invalid document (time to the error listing every
problem), and the one-off cost of preparing a schema in a fresh process.

    python -m benchmarks.settings_validation [--quick]
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from brevetti_schema import (
    Schema,
    SettingsError,
    encode_settings,
    load_schema,
    resolve_settings,
    unstructure,
)

from ._common import EXAMPLES, Table, interleaved, load, main, median, ms, ratio, spread, us
from ._pydantic_twin import segmentation

SCHEMA_FILE = EXAMPLES / "segmentation.yaml"

# -- the document ----------------------------------------------------------------------

DOCUMENT: dict[str, Any] = {
    "classes": ["background", "scratch", "dent", "stain", "crack"],
    "class_mapping": {"scratches": "scratch", "dents": ["dent"], "cracks": "crack"},
    "dataset": {
        "image_height": 640, "image_width": 480, "channels": 3, "mask_format": "polygons",
        "ignore_label": 255, "validation_split": 0.15, "cache_images": True, "tile_overlap": 32,
    },
    "model": {
        "architecture": "unet", "backbone": "resnet50", "pretrained": True, "depth": 5,
        "base_filters": 64, "dropout": 0.2, "activation": "gelu", "batch_norm": True,
        "freeze_backbone_epochs": 3,
    },
    "training": {
        "epochs": 120, "batch_size": 16, "optimizer": "sgd", "learning_rate": 0.01,
        "momentum": 0.9, "weight_decay": 0.0005, "schedule": "step", "step_epochs": [60, 90],
        "warmup_epochs": 5, "mixed_precision": True, "gradient_clip": 1.0, "seed": 42,
    },
    "augmentation": {
        "enabled": True, "flip_horizontal": True, "flip_vertical": True,
        "rotation_degrees": 15, "scale_range": [0.8, 1.25], "brightness": 0.2,
        "contrast": 0.2, "hue": 0.02, "blur_probability": 0.1, "blur_sigma": 1.5,
        "noise_std": 0.01, "cutout_count": 2, "elastic": False, "pipeline_override": {},
    },
    "loss": {
        "function": "focal", "class_weights": [0.2, 1.0, 1.0, 1.5, 2.0], "focal_gamma": 2.5,
        "label_smoothing": 0.05, "ignore_background": False,
    },
    "export": {
        "formats": ["onnx", "tflite"], "quantize": True, "archive_name": "segmenter.tar.gz",
        "threshold": 0.45, "min_region_px": 24, "report_per_class": True,
        "notes": "Trained on the March line-3 images.",
    },
}  # fmt: skip
"""A realistic valid document: every active field given, many away from their defaults."""


def with_pipeline_override() -> dict[str, Any]:
    """The document with the JSON field (inner JSON Schema) set away from its default."""
    doc = copy.deepcopy(DOCUMENT)
    doc["augmentation"]["pipeline_override"] = {"elastic": {"alpha": 30, "sigma": 4}}
    return doc


def invalid_document() -> dict[str, Any]:
    """The document with eight mistakes in five sections."""
    doc = copy.deepcopy(DOCUMENT)
    doc["classes"] = ["defect"]  # min_items 2
    doc["dataset"]["image_height"] = 500  # not a multiple of 32
    doc["model"]["activation"] = "tanh"  # not an option
    doc["training"]["epochs"] = 0  # below the minimum
    doc["training"]["learning_rate"] = -0.1  # not greater than 0
    doc["augmentation"]["scale_range"] = [0.9]  # min_items 2
    doc["loss"]["label_smoothing"] = 1.5  # not less than 1
    doc["export"]["archive_name"] = "my model!.tar"  # pattern
    return doc


def count_leaves(tree: Mapping[str, Any], schema: Schema) -> int:
    """How many fields a document sets."""
    paths = {path for path, _ in schema.fields()}
    count = 0

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        nonlocal count
        for key, value in node.items():
            path = prefix + key
            if path in paths:
                count += 1
            elif isinstance(value, Mapping):
                walk(value, path + ".")

    walk(tree, "")
    return count


# -- the equivalent pydantic model -----------------------------------------------------

PSegmentation = segmentation()
"""The pydantic v2 twin of ``schema_examples/segmentation.yaml`` (`_pydantic_twin`)."""


# -- checks that both sides agree -------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping | MappingProxyType):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _active(values: Mapping[str, Any], tree: Mapping[str, Any]) -> dict[str, Any]:
    """`values` restricted to the keys of the resolved tree (the active fields)."""
    return {
        key: _active(values[key], sub) if isinstance(sub, Mapping) else values[key]
        for key, sub in tree.items()
    }


def check_equivalent(schema: Schema) -> int:
    """Raise unless ours and pydantic agree on every document used; the problem count."""
    for doc in (DOCUMENT, with_pipeline_override()):
        ours = resolve_settings(schema, doc)
        if ours.warnings or ours.unknown:
            raise AssertionError(f"unexpected warnings: {ours.warnings} {ours.unknown}")
        theirs = PSegmentation.model_validate(doc).model_dump()
        # the pydantic model has no conditions: compare the fields active for ours
        ours_plain = _plain(unstructure(ours.settings))
        if _active(ours_plain, ours.tree) != _active(_plain(theirs), ours.tree):
            raise AssertionError("pydantic and resolve_settings disagree on the document")
    transported = encode_settings(schema, DOCUMENT)
    if (
        resolve_settings(schema, transported).settings
        != resolve_settings(schema, DOCUMENT).settings
    ):
        raise AssertionError("the transport form resolves differently")
    try:
        resolve_settings(schema, invalid_document())
    except SettingsError as exc:
        ours_count = len(exc.problems)
    else:
        raise AssertionError("the invalid document was accepted")
    try:
        PSegmentation.model_validate(invalid_document())
    except ValidationError as exc:
        theirs_count = exc.error_count()
    else:
        raise AssertionError("pydantic accepted the invalid document")
    if ours_count != theirs_count:
        raise AssertionError(f"{ours_count} problems reported, pydantic {theirs_count}")
    return ours_count


def _raises(fn: Callable[[], object], error: type[Exception]) -> Callable[[], None]:
    def call() -> None:
        try:
            fn()
        except error:
            return
        raise AssertionError("expected an error")

    return call


# -- warm, per document -------------------------------------------------------------------


def per_document(schema: Schema, *, budget: float, repeat: int) -> Table:
    """µs per document for every contender, sampled in alternation."""
    problems = check_equivalent(schema)
    transported = encode_settings(schema, DOCUMENT)
    override = with_pipeline_override()
    invalid = invalid_document()
    validate = PSegmentation.model_validate
    contenders: dict[str, Callable[[], object]] = {
        "pydantic": lambda: validate(DOCUMENT),
        "fast": lambda: resolve_settings(schema, DOCUMENT),
        "transport": lambda: resolve_settings(schema, transported),
        "pydantic override": lambda: validate(override),
        "ours override": lambda: resolve_settings(schema, override),
        "pydantic invalid": _raises(lambda: validate(invalid), ValidationError),
        "ours invalid": _raises(lambda: resolve_settings(schema, invalid), SettingsError),
    }
    before = load()
    samples = interleaved(contenders, budget=budget, repeat=repeat)
    mid = {name: median(s) for name, s in samples.items()}
    table = Table(
        "Settings: validate and structure one document, warm (issue 3)",
        ["document", "what", "µs/doc", "vs pydantic", "spread"],
    )
    fields = count_leaves(DOCUMENT, schema)
    rows = [
        (f"valid, {fields} fields", "pydantic v2 `model_validate`", "pydantic", "pydantic"),
        ("", "`resolve_settings` (generated validator)", "fast", "pydantic"),
        ("same, transport form", "`resolve_settings`", "transport", "pydantic"),
        ("JSON field set", "pydantic v2 `model_validate`", "pydantic override",
         "pydantic override"),
        ("", "`resolve_settings`", "ours override", "pydantic override"),
        (f"invalid, {problems} problems", "pydantic v2 -> `ValidationError`", "pydantic invalid",
         "pydantic invalid"),
        ("", "ours -> `SettingsError`", "ours invalid", "pydantic invalid"),
    ]  # fmt: skip
    for doc, what, name, base in rows:
        table.add(doc, what, us(mid[name]), ratio(mid[name], mid[base]), spread(samples[name]))
    table.notes += [
        "median of "
        f"{repeat} samples per contender, taken in alternation (each sample about "
        f"{budget * 1e3:.0f} ms of back-to-back calls, garbage collector paused); spread is "
        "half the interquartile range over the median",
        "ours: one generated validator, pure Python (no C extension)",
        "transport form: the same document as the platform form sends it (JSON text for "
        "classes, class mapping, lists and the JSON field; choice values as text)",
        "JSON field set: `augmentation.pipeline_override` (which declares an inner JSON "
        "Schema) holds a value other than its default",
        "invalid: eight mistakes in five sections; both sides report all of them",
        f"load average before/after: {before}/{load()}",
    ]
    return table


# -- one-off: preparing a schema in a fresh process --------------------------------------

_CHILD = """
import json, sys, time
t0 = time.process_time()
import brevetti_schema
t1 = time.process_time()
from brevetti_schema import load_schema, resolve_settings
doc = json.loads(sys.argv[2])
schema = load_schema(sys.argv[1])
t2 = time.process_time()
resolve_settings(schema, doc)
t3 = time.process_time()
resolve_settings(schema, doc)
t4 = time.process_time()
again = load_schema(sys.argv[1])
t5 = time.process_time()
resolve_settings(again, doc)
t6 = time.process_time()
print(json.dumps({
    "import": t1 - t0, "load": t2 - t1, "first": t3 - t2, "warm": t4 - t3,
    "load_again": t5 - t4, "first_again": t6 - t5,
    "modules": sorted(m for m in ("jsonschema", "cattrs", "yaml", "requests")
                      if m in sys.modules),
}))
"""


def prepare(rounds: int) -> Table:
    """The one-off costs, each the median over `rounds` fresh processes."""
    samples: list[dict[str, Any]] = []
    command = [sys.executable, "-c", _CHILD, str(SCHEMA_FILE), json.dumps(DOCUMENT)]
    # bytecode caching on, as for an installed package (the first run warms it); the
    # compile cache off, so that each process reads the file and compiles the validator
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["BREVETTI_SCHEMA_CACHE"] = "off"
    subprocess.run(command, check=True, capture_output=True, env=env)
    for _ in range(rounds):
        run = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
        out = run.stdout
        samples.append(json.loads(out))
    mid = {key: median([s[key] for s in samples]) for key in samples[0] if key != "modules"}
    table = Table(
        "Settings: one-off cost of preparing a schema, fresh process (issue 3)",
        ["step", "ms", "target"],
    )
    table.add("`import brevetti_schema`", ms(mid["import"]), "")
    table.add("YAML load + build (`load_schema`), first in the process", ms(mid["load"]), "")
    table.add(
        "first `resolve_settings` on it (imports, class creation, fast-path compilation)",
        ms(mid["first"]),
        "< 50 ms: " + ("met" if mid["first"] < 0.05 else "NOT met"),
    )
    table.add("second `resolve_settings` (warm, for scale)", ms(mid["warm"]), "")
    table.add("YAML load + build again (modules already imported)", ms(mid["load_again"]), "")
    table.add(
        "first `resolve_settings` on that fresh schema (class creation + compilation only)",
        ms(mid["first_again"]),
        "",
    )
    table.notes += [
        f"median of {rounds} fresh processes; modules imported by the end: "
        + ", ".join(samples[-1]["modules"]),
        "the YAML load includes the declaration checks (which do not import jsonschema); "
        "the first `resolve_settings` checks the default of `augmentation.pipeline_override` "
        "against its inner JSON Schema, which imports jsonschema; the compile cache is off "
        "(docs/settings.md), so every process reads the file and compiles the validator",
    ]
    return table


def run(quick: bool = False) -> list[Table]:
    """Both tables: warm per-document figures, then the one-off costs."""
    schema = load_schema(SCHEMA_FILE)
    budget, repeat, rounds = (0.001, 1, 1) if quick else (0.05, 15, 9)
    return [per_document(schema, budget=budget, repeat=repeat), prepare(rounds)]


if __name__ == "__main__":
    main(run, __doc__ or "")
