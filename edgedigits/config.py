"""Every default in one place, as frozen dataclasses that are saved beside their results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ARTIFACTS_DIR = Path("artifacts")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 15  # per-model defaults in DEFAULT_EPOCHS; chosen to reach the blog's accuracy
    batch_size: int = 128  # the blog's batch size
    seed: int = 0  # seeds Python, NumPy and TensorFlow; with op determinism, same seed -> same weights
    # "auto" trains in bfloat16 where the CPU has native bf16 dot products, else float32; weights are kept
    # and exported in float32 either way.
    precision: str = "auto"
    # Keras runs this many batches per call into the TF graph, amortising Python overhead on small models.
    steps_per_execution: int = 20
    train_samples: int | None = None  # use only the first N training images (tests, quick looks)


# Epochs per model for `edgedigits train` without --epochs (measured in README "Accuracy").
DEFAULT_EPOCHS = {"v1": 12, "v2": 12, "v3": 15}


@dataclass(frozen=True)
class ExportConfig:
    formats: tuple[str, ...] = ("tflite_float32", "tflite_int8", "onnx_float32")
    calibration_samples: int = 500  # seeded sample of *training* images for int8 calibration
    calibration_seed: int = 0
    verify_samples: int = 500  # test images each artifact is checked against Keras on, right after export
    onnx_opset: int = 17
    extra: dict = field(default_factory=dict)
