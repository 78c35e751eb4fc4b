"""The pydantic v2 twin of ``schema_examples/segmentation.yaml``, for the benchmarks.

It imports pydantic only: the cold-start benchmark runs it in a fresh process, with a
pydantic-settings ``BaseSettings`` as the root (`segmentation`), against ``Job.init()``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _unique(value: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(set(value)) != len(value):
        raise ValueError("options are listed more than once")
    return value


def _between(ge: float | None = None, le: float | None = None, **more: Any) -> Any:
    return Field(ge=ge, le=le, **more)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)


class PDataset(_Frozen):
    image_height: Annotated[int, _between(32, 8192, multiple_of=32)] = 512
    image_width: Annotated[int, _between(32, 8192, multiple_of=32)] = 512
    channels: Literal[1, 3] = 3
    mask_format: Literal["png", "polygons"] = "polygons"
    ignore_label: Annotated[int, _between(0, 255)] = 255
    validation_split: Annotated[float, Field(gt=0, lt=1)] = 0.2
    cache_images: bool = True
    tile_overlap: Annotated[int, _between(0, 256)] = 0


class PModel(_Frozen):
    architecture: Literal["unet", "deeplab", "fpn"] = "unet"
    backbone: Literal["resnet18", "resnet34", "resnet50", "efficientnet_b0"] = "resnet34"
    pretrained: bool = True
    depth: Annotated[int, _between(2, 6)] = 4
    base_filters: Annotated[int, _between(8, 256)] = 32
    output_stride: Literal[8, 16] = 16
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.1
    activation: Literal["relu", "gelu", "swish"] = "relu"
    batch_norm: bool = True
    freeze_backbone_epochs: Annotated[int, _between(0)] = 0


class PTraining(_Frozen):
    epochs: Annotated[int, _between(1, 10000)] = 50
    batch_size: Annotated[int, _between(1, 512)] = 8
    optimizer: Literal["adam", "sgd", "adamw"] = "adam"
    learning_rate: Annotated[float, Field(gt=0, le=1)] = 0.001
    momentum: Annotated[float, Field(ge=0, lt=1)] = 0.9
    weight_decay: Annotated[float, _between(0, 1)] = 0.0001
    schedule: Literal["constant", "cosine", "step"] = "cosine"
    step_epochs: tuple[Annotated[int, _between(1)], ...] = (30, 45)
    warmup_epochs: Annotated[int, _between(0, 100)] = 2
    mixed_precision: bool = True
    gradient_clip: Annotated[float, _between(0)] = 0.0
    seed: Annotated[int, _between(0)] = 1234


class PAugmentation(_Frozen):
    enabled: bool = True
    flip_horizontal: bool = True
    flip_vertical: bool = False
    rotation_degrees: Annotated[float, _between(0, 180)] = 10.0
    scale_range: Annotated[
        tuple[Annotated[float, _between(0.1, 10)], ...], Field(min_length=2, max_length=2)
    ] = (0.9, 1.1)
    brightness: Annotated[float, _between(0, 1)] = 0.1
    contrast: Annotated[float, _between(0, 1)] = 0.1
    hue: Annotated[float, _between(0, 0.5)] = 0.0
    blur_probability: Annotated[float, _between(0, 1)] = 0.1
    blur_sigma: Annotated[float, Field(gt=0, le=10)] = 1.0
    noise_std: Annotated[float, _between(0, 1)] = 0.02
    cutout_count: Annotated[int, _between(0, 20)] = 0
    elastic: bool = False
    pipeline_override: dict[str, dict[str, Any]] = Field(default_factory=dict)


class PLoss(_Frozen):
    function: Literal["ce", "dice", "focal", "combo"] = "combo"
    class_weights: tuple[Annotated[float, _between(0)], ...] = ()
    focal_gamma: Annotated[float, _between(0, 10)] = 2.0
    dice_smooth: Annotated[float, _between(0)] = 1.0
    label_smoothing: Annotated[float, Field(ge=0, lt=1)] = 0.0
    ignore_background: bool = False


class PExport(_Frozen):
    formats: Annotated[
        tuple[Literal["onnx", "tflite", "saved_model"], ...],
        Field(min_length=1),
        AfterValidator(_unique),
    ] = ("onnx",)
    quantize: bool = False
    archive_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")] = "saved_model.tar.gz"
    threshold: Annotated[float, _between(0, 1)] = 0.5
    min_region_px: Annotated[int, _between(0)] = 16
    report_per_class: bool = True
    notes: Annotated[str, Field(max_length=2000)] = ""


def segmentation(base: type[BaseModel] = _Frozen) -> type[BaseModel]:
    """The root model of the twin, made on `base` (the frozen `BaseModel`, or a
    pydantic-settings ``BaseSettings``), frozen and refusing NaN and infinities."""

    class PSegmentation(base):  # type: ignore[valid-type, misc]
        """The pydantic v2 twin of ``schema_examples/segmentation.yaml``."""

        model_config = ConfigDict(frozen=True, allow_inf_nan=False)

        classes: Annotated[tuple[str, ...], Field(min_length=2)] = (
            "background", "scratch", "dent", "stain",
        )  # fmt: skip
        class_mapping: dict[str, str | tuple[str, ...]] = Field(default_factory=dict)
        dataset: PDataset = Field(default_factory=PDataset)
        model: PModel = Field(default_factory=PModel)
        training: PTraining = Field(default_factory=PTraining)
        augmentation: PAugmentation = Field(default_factory=PAugmentation)
        loss: PLoss = Field(default_factory=PLoss)
        export: PExport = Field(default_factory=PExport)

    return PSegmentation
