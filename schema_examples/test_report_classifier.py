"""A runnable example test report: evaluates the classifier of ``train_classifier.py``.

The report's description lists the model under test (``models``: its id and folder);
the job reads the model's package with every checksum verified, evaluates it on
held-out images (the training job's classes and spots, fresh noise), and writes
per-class metrics, a confusion-matrix chart and an HTML summary before completing.

Run it in local mode after a training run::

    python schema_examples/train_classifier.py --job_dir jobs/demo --preset quick
    python schema_examples/test_report_classifier.py --model-dir jobs/demo --job_dir jobs/report

(``--model-dir`` writes the report's ``info.json`` naming that model, then starts.)
"""

from __future__ import annotations

import html
import json
import random
import sys
from pathlib import Path
from typing import Any

from train_classifier import Classifier, make_dataset, zip_strict

from brevetti_job import Job

SCHEMA = Path(__file__).with_name("test_report.yaml")
DEFAULT_SAMPLES = 200
"""Test images when ``filtering.sample_limit`` is 0."""


def load_classifier(model: dict[str, Any]) -> Classifier:
    """The trained classifier from its ``model.json`` document."""
    inputs = len(model["projection"][0]) if model.get("projection") else len(model["weights"][0])
    hidden = len(model["projection"]) if model.get("projection") else None
    classifier = Classifier(inputs, len(model["classes"]), hidden, random.Random(0))  # noqa: S311
    classifier.weights = model["weights"]
    classifier.bias = model["bias"]
    classifier.projection = model.get("projection")
    return classifier


def confusion(predicted: list[int], truth: list[int], classes: int) -> list[list[int]]:
    """counts[true][predicted]."""
    counts = [[0] * classes for _ in range(classes)]
    for p, t in zip_strict(predicted, truth):
        counts[t][p] += 1
    return counts


def per_class(counts: list[list[int]], names: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class from a confusion matrix."""
    result = {}
    for k, name in enumerate(names):
        tp = counts[k][k]
        fp = sum(counts[t][k] for t in range(len(names))) - tp
        fn = sum(counts[k]) - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[name] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": sum(counts[k]),
        }
    return result


def confusion_chart(counts: list[list[int]], names: list[str]) -> dict[str, Any]:
    """A Vega-Lite heat map of the confusion matrix."""
    values = [
        {"true": names[t], "predicted": names[p], "count": counts[t][p]}
        for t in range(len(names))
        for p in range(len(names))
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Confusion matrix",
        "data": {"values": values},
        "encoding": {
            "x": {"field": "predicted", "type": "nominal", "sort": names},
            "y": {"field": "true", "type": "nominal", "sort": names},
        },
        "layer": [
            {"mark": "rect", "encoding": {"color": {"field": "count", "type": "quantitative"}}},
            {"mark": "text", "encoding": {"text": {"field": "count", "type": "quantitative"}}},
        ],
    }


def summary_html(title: str, model_name: str, metrics: dict[str, Any], classes: Any) -> str:
    """The report's HTML page (every value escaped)."""
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{m['precision']}</td><td>{m['recall']}</td>"
        f"<td>{m['f1']}</td><td>{m['support']}</td></tr>"
        for name, m in classes.items()
    )
    overall = "".join(
        f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>" for k, v in metrics.items()
    )
    return (
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>Model: {html.escape(model_name)}</p>"
        f"<ul>{overall}</ul><table><tr><th>class</th><th>precision</th><th>recall</th>"
        f"<th>F1</th><th>support</th></tr>{rows}</table>\n"
    )


class ClassifierReport(Job):
    """The example test report job."""

    def run(self) -> None:
        s = self.settings
        if not self.models:
            raise ValueError("this test report needs a model under test (models in info.json)")
        model = self.models[0]
        package = model.open_package(self.temp_dir / "model")
        document = json.loads(package.read_bytes("model.json"))
        classifier = load_classifier(document)
        names = list(document["classes"])
        data = package.metadata.get("data", {})
        seed = int(data.get("seed", 42))
        shape = package.input_shape or [32, 32]
        samples = s.filtering.sample_limit or DEFAULT_SAMPLES
        xs, ys = make_dataset(
            len(names), samples, (shape[0], shape[1]), float(data.get("noise", 0.8)),
            random.Random(seed), noise_rng=random.Random(seed + 1),  # noqa: S311 - test data
        )  # fmt: skip
        predicted = [classifier.predict(x) for x in xs]
        counts = confusion(predicted, ys, len(names))
        classes = per_class(counts, names)
        accuracy = sum(counts[k][k] for k in range(len(names))) / len(ys)
        overall = {
            "accuracy": round(accuracy, 4),
            "precision": round(sum(c["precision"] for c in classes.values()) / len(names), 4),
            "recall": round(sum(c["recall"] for c in classes.values()) / len(names), 4),
            "f1": round(sum(c["f1"] for c in classes.values()) / len(names), 4),
        }
        metrics = {k: v for k, v in overall.items() if k in s.metrics}
        self.add_output_metrics(metrics)
        for name, values in classes.items():
            self.add_output_metric(f"{name}_f1", values["f1"])
        self.add_output_metric("test_images", len(ys))
        self.upload_artifact("per_class_metrics.json", json.dumps(classes, indent=2))
        if s.report.confusion_matrix:
            self.upload_chart("confusion_matrix", confusion_chart(counts, names))
        self.upload_artifact(
            "report.html", summary_html(s.report.title, model.name, metrics, classes)
        )


def _with_model_dir(argv: list[str]) -> list[str]:
    """Handle ``--model-dir DIR``: write info.json for the report naming that model."""
    if "--model-dir" not in argv:
        return argv
    at = argv.index("--model-dir")
    model_dir = Path(argv[at + 1]).resolve()
    rest = argv[:at] + argv[at + 2 :]
    job_dir = Path(rest[rest.index("--job_dir") + 1]) if "--job_dir" in rest else Path("report")
    trained = json.loads((model_dir / "info.json").read_text(encoding="utf-8"))
    job_dir.mkdir(parents=True, exist_ok=True)
    info = {
        "id": f"report-of-{trained['id']}",
        "name": f"report of {trained.get('name') or trained['id']}",
        "settings": {},
        "models": [{"id": trained["id"], "name": trained.get("name"), "bucket": str(model_dir)}],
    }
    (job_dir / "info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return [*rest, "--info_file", str(job_dir / "info.json")]


if __name__ == "__main__":
    sys.exit(
        ClassifierReport.main(schema=SCHEMA, argv=_with_model_dir(sys.argv[1:]), kind="report")
    )
