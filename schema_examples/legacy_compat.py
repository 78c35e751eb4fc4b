"""A brevettiai-style settings schema written with the compat factories: a defect detector.

It is what an existing model type's ``settings_schema.py`` looks like after changing its
import from brevettiai to ``brevetti_schema.compat``. `builder` is the compat builder;
``brevetti-schema build schema_examples.legacy_compat:builder`` emits its platform form.
"""

from __future__ import annotations

import enum

from brevetti_schema.compat import (
    SchemaBuilder,
    checkbox,
    checklist,
    field_class_mapping,
    field_classes,
    label,
    number_input,
    select,
    text_area,
    text_input,
)


class Backbone(enum.Enum):
    """Feature extractors the detector can be built on."""

    RESNET18 = "resnet18"
    RESNET50 = "resnet50"
    EFFICIENTNET_B0 = "efficientnet_b0"


class InputChannels(enum.IntEnum):
    """Colour channels the network reads (a select over numbers: the job gets "1" or "3")."""

    GRAY = 1
    RGB = 3


def augmentation_module() -> SchemaBuilder:
    """The augmentation settings, a module of their own under the namespace ``augmentation``."""
    aug = SchemaBuilder(namespace="augmentation")
    aug.add_field(checkbox("Horizontal flip", "flip_horizontal", True), fast=False)
    aug.add_field(checkbox("Vertical flip", "flip_vertical", False))
    aug.add_field(number_input("Max rotation (degrees)", "rotation", 10, min=0, max=180, step=5))
    aug.add_field(number_input("Brightness jitter", "brightness", 0.1, min=0, max=1, step=0.05))
    aug.add_field(select("Interpolation", "interpolation", "bilinear", ["nearest", "bilinear"]))
    return aug


builder = SchemaBuilder()

builder.add_field(label("Data", visible=True))
builder.add_field(
    field_classes(
        default=["scratch", "dent", "stain"],
        required=True,
        visible=True,
        help="The defect classes the detector reports, as a JSON list",
    )
)
builder.add_field(
    field_class_mapping(default={"scratches": "scratch", "dents": "dent", "ok": []}, visible=True),
    fast={"scratches": "scratch"},
)
builder.add_field(
    text_input("Image filter", "data.filter", "", placeholder="e.g. camera_1", visible=True)
)

builder.add_field(label("Training", tag="training", visible=True))
builder.add_field(
    number_input("Epochs", "training.epochs", 50, min=1, max=1000, visible=True), fast=5
)
builder.add_field(number_input("Batch size", "training.batch_size", 16, min=1, max=256), fast=8)
builder.add_field(
    number_input("Learning rate", "training.learning_rate", 0.001, max=1, step=0.0001)
)
builder.add_field(number_input("Random seed", "training.seed", help="Empty for a random seed"))
builder.add_field(
    select("Backbone", "training.backbone", Backbone.RESNET50, Backbone, visible=True)
)
builder.add_field(select("Input channels", "training.channels", InputChannels.RGB, InputChannels))
builder.add_field(
    checklist(
        "Metrics", "training.metrics", ["map"], ["map", "recall", "precision"], dropdown=False
    )
)
builder.add_field(
    text_area(
        "Anchor boxes (width, height)",
        "training.anchors",
        [[10, 13], [16, 30], [33, 23]],
        json=True,
        rows=6,
    )
)
builder.add_field(checkbox("Mixed precision", "training.mixed_precision", True))

builder.add_field(label("Augmentation", tag="augmentation"))
builder.append(augmentation_module())

builder.add_preset("fast", "training.learning_rate", 0.01)
builder.add_preset("high_resolution", "training.batch_size", 4)
builder.add_preset("high_resolution", "training.anchors", [[20, 26], [32, 60], [66, 46]])
