"""A runnable example job: trains a small image classifier in plain Python.

Run it in local mode (no platform needed)::

    python schema_examples/train_classifier.py --job_dir jobs/demo --training.epochs 10

It reads typed settings declared in ``image_classification.yaml``, generates a labelled
dataset of tiny synthetic "images" (one bright blob per class at a class-specific spot),
trains a softmax regression (or a small network with a fixed random hidden layer) by
gradient descent, reports progress, metrics and a learning-curve chart, writes a model
package (model.json with a checked manifest, see docs/model-package.md) and completes
the job. ``test_report_classifier.py`` evaluates the result.
"""

from __future__ import annotations

import json
import math
import random
import sys
from pathlib import Path
from typing import Any

from brevetti_job import Job, ModelPackage

SCHEMA = Path(__file__).with_name("image_classification.yaml")

Vector = list[float]


def zip_strict(*lists: Any) -> Any:
    """zip that insists on equal lengths (a length mismatch is a bug here)."""
    return zip(*lists, strict=True)


def make_dataset(
    classes: int,
    samples: int,
    size: tuple[int, int],
    noise: float,
    rng: random.Random,
    noise_rng: random.Random | None = None,
) -> tuple[list[Vector], list[int]]:
    """Images downsampled by 8: each class has a bright spot at its own place, plus noise.

    The spots come from `rng`; the noise from `noise_rng` when given (the same spots with
    fresh noise: held-out test images for the test report).
    """
    height, width = max(2, size[0] // 8), max(2, size[1] // 8)
    spots = [(rng.randrange(height), rng.randrange(width)) for _ in range(classes)]
    images, labels = [], []
    for index in range(samples):
        label = index % classes
        y0, x0 = spots[label]
        pixels = []
        for y in range(height):
            for x in range(width):
                signal = math.exp(-((y - y0) ** 2 + (x - x0) ** 2) / 2.0)
                pixels.append(signal + (noise_rng or rng).gauss(0.0, noise))
        images.append(pixels)
        labels.append(label)
    order = list(range(samples))
    rng.shuffle(order)
    return [images[i] for i in order], [labels[i] for i in order]


def softmax(scores: Vector) -> Vector:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


class Classifier:
    """Softmax regression on inputs, optionally through a fixed random tanh layer."""

    def __init__(self, inputs: int, classes: int, hidden: int | None, rng: random.Random) -> None:
        self.projection: list[Vector] | None = None
        if hidden is not None:
            scale = 1.0 / math.sqrt(inputs)
            self.projection = [[rng.gauss(0, scale) for _ in range(inputs)] for _ in range(hidden)]
            inputs = hidden
        self.weights = [[0.0] * inputs for _ in range(classes)]
        self.bias = [0.0] * classes

    def features(self, x: Vector) -> Vector:
        if self.projection is None:
            return x
        return [math.tanh(sum(w * v for w, v in zip_strict(row, x))) for row in self.projection]

    def probabilities(self, features: Vector) -> Vector:
        pairs = zip_strict(self.weights, self.bias)
        return softmax([sum(w * v for w, v in zip_strict(row, features)) + b for row, b in pairs])

    def predict(self, x: Vector) -> int:
        p = self.probabilities(self.features(x))
        return max(range(len(p)), key=p.__getitem__)

    def train_epoch(self, xs: list[Vector], ys: list[int], lr: float, l2: float) -> float:
        loss = 0.0
        for x, y in zip_strict(xs, ys):
            f = self.features(x)
            p = self.probabilities(f)
            loss -= math.log(max(p[y], 1e-12))
            for k, row in enumerate(self.weights):
                g = p[k] - (1.0 if k == y else 0.0)
                for j, v in enumerate(f):
                    row[j] -= lr * (g * v + l2 * row[j]) / len(xs) * 10
                self.bias[k] -= lr * g / len(xs) * 10
        return loss / len(xs)

    def to_json(self) -> dict[str, Any]:
        return {"weights": self.weights, "bias": self.bias, "projection": self.projection}


def scores(model: Classifier, xs: list[Vector], ys: list[int], classes: int) -> dict[str, float]:
    """Accuracy and macro precision, recall and F1."""
    predicted = [model.predict(x) for x in xs]
    accuracy = sum(p == y for p, y in zip_strict(predicted, ys)) / len(ys)
    precision = recall = f1 = 0.0
    for k in range(classes):
        tp = sum(p == k and y == k for p, y in zip_strict(predicted, ys))
        fp = sum(p == k and y != k for p, y in zip_strict(predicted, ys))
        fn = sum(p != k and y == k for p, y in zip_strict(predicted, ys))
        pk = tp / (tp + fp) if tp + fp else 0.0
        rk = tp / (tp + fn) if tp + fn else 0.0
        precision += pk / classes
        recall += rk / classes
        f1 += (2 * pk * rk / (pk + rk) if pk + rk else 0.0) / classes
    return {"accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1}


def learning_curve(history: list[dict[str, float]]) -> dict[str, Any]:
    """A Vega-Lite line chart of training loss and validation accuracy per epoch."""
    values = [
        {"epoch": h["epoch"], "series": name, "value": h[key]}
        for h in history
        for key, name in (("loss", "training loss"), ("val_accuracy", "validation accuracy"))
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Learning curve",
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative"},
            "y": {"field": "value", "type": "quantitative"},
            "color": {"field": "series", "type": "nominal"},
        },
    }


class TrainClassifier(Job):
    """The example training job."""

    def run(self) -> Path:
        s = self.settings
        rng = random.Random(s.training.seed)  # noqa: S311 - data, not cryptography
        classes = list(s.classes)
        xs, ys = make_dataset(
            len(classes), s.data.samples, (s.data.image_size[0], s.data.image_size[1]),
            s.data.noise, rng,
        )  # fmt: skip
        cut = max(1, int(len(xs) * (1 - s.data.validation_split)))
        train_x, train_y, val_x, val_y = xs[:cut], ys[:cut], xs[cut:] or xs, ys[cut:] or ys
        hidden = s.model.hidden_units if s.model.architecture == "mlp" else None
        model = Classifier(len(xs[0]), len(classes), hidden, rng)
        history: list[dict[str, float]] = []
        best, since_best = -1.0, 0
        for epoch in range(1, s.training.epochs + 1):
            loss = model.train_epoch(train_x, train_y, s.training.learning_rate, s.training.l2)
            val = scores(model, val_x, val_y, len(classes))
            history.append({"epoch": epoch, "loss": loss, "val_accuracy": val["accuracy"]})
            self.report_progress(
                epoch, total=s.training.epochs, loss=round(loss, 5), val_accuracy=val["accuracy"]
            )
            if val["accuracy"] > best:
                best, since_best = val["accuracy"], 0
            else:
                since_best += 1
            if s.training.early_stopping and since_best >= s.training.patience:
                break
        final = scores(model, val_x, val_y, len(classes))
        self.add_output_metrics({name: round(final[name], 4) for name in s.output.metrics})
        self.add_output_metric("epochs_trained", len(history))
        self.add_output_metric("final_loss", round(history[-1]["loss"], 5))
        self.upload_chart("learning_curve", learning_curve(history))
        self.upload_artifact("history.json", json.dumps(history, indent=2))
        return self._write_archive(model, classes)

    def _write_archive(self, model: Classifier, classes: list[str]) -> Path:
        """The model as a checked package: model.json plus a manifest with its sha256."""
        s = self.settings
        package = ModelPackage(
            s.output.model_name,
            classes=classes,
            input_shape=[s.data.image_size[0], s.data.image_size[1]],
            metadata={"data": {"seed": s.training.seed, "noise": s.data.noise}},
        )
        package.add_bytes(
            "model.json", json.dumps({"classes": classes, **model.to_json()}).encode()
        )
        archive = self.temp_dir / f"{s.output.model_name}.tar.gz"
        return package.save(archive, id=self.id, producer=type(self).__name__)


if __name__ == "__main__":
    sys.exit(TrainClassifier.main(schema=SCHEMA))
