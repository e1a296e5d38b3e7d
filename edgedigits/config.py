"""Every default in one place, as frozen dataclasses that are saved beside their results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ARTIFACTS_DIR = Path("artifacts")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 16  # per-model defaults in DEFAULT_EPOCHS, chosen to reach the blog's accuracy
    batch_size: int = 128  # the blog's batch size
    seed: int = 0  # seeds Python, NumPy and TensorFlow; with op determinism, same seed -> same weights
    # "auto" trains in bfloat16 where the CPU has native bf16 dot products, else float32; weights are kept
    # and exported in float32 either way.
    precision: str = "auto"
    # Keras runs this many batches per call into the TF graph, amortising Python overhead on small models
    # (measured on v1: 20 -> 1.1 s/epoch, 100 -> 0.95 s/epoch; the arithmetic, and so the weights, are identical).
    steps_per_execution: int = 100
    train_samples: int | None = None  # use only the first N training images (tests, quick looks)


# Epochs per model for `edgedigits train` without --epochs (measured in README "Accuracy").
DEFAULT_EPOCHS = {"v1": 14, "v2": 13, "v3": 16}


# `edgedigits export` without --formats: the float formats; --int8 adds TFLite full-integer int8.
DEFAULT_EXPORT_FORMATS = ("float32", "onnx")


@dataclass(frozen=True)
class ExportConfig:
    calibration_samples: int = 500  # seeded sample of *training* images for int8 calibration
    calibration_seed: int = 0
    verify_samples: int = 500  # test images each artifact is checked against Keras on, right after export
    onnx_opset: int = 17
    extra: dict = field(default_factory=dict)


# The shifts `bench --shift` knows (implemented in edgedigits.bench.shift).
SHIFT_KINDS = ("noise", "rotate", "translate")


@dataclass(frozen=True)
class BenchConfig:
    threads: int = 1  # inference threads per runtime, like a phone's single inference thread
    runs: int = 200  # minimum number of timed batch-1 calls per runtime
    min_time_s: float = 0.2  # ...and minimum total timed seconds; both must be reached
    # A slow runtime (Keras: ~5-8 ms per direct call) stops after this many seconds even below `runs`,
    # provided it made at least `min_runs_floor` calls; the report records the count actually made.
    max_time_s: float = 1.0
    min_runs_floor: int = 20
    warmup: int = 10  # untimed calls first (allocations, caches, lazy graph tracing)
    throughput_batch: int = 256  # batch size of the throughput measurement
    # Threshold overrides; None = each format's registry default (see bench.evaluate.tolerance_for).
    max_accuracy_drop: float | None = None  # percentage points below Keras
    min_agreement: float | None = None  # % same top-1 class as Keras
    max_prob_diff: float | None = None  # max |Δp|, float formats only
    shifts: tuple[str, ...] = ()  # subset of SHIFT_KINDS
    shift_seed: int = 0
    noise_sigma: float = 0.2  # Gaussian noise std on [0,1] pixels
    max_rotation_deg: float = 15.0  # rotations drawn uniformly in ±this
    max_translation_px: int = 3  # integer shifts drawn uniformly in ±this on each axis
    # TFLite Micro rows: "int8" runs every full-integer .tflite (int8 kernels, any I/O) in TFLM's own interpreter
    # too; "all" every .tflite (to learn which ones a microcontroller can run at all); "none" skips them.
    tflm: str = "int8"
    # TFLM runs its reference kernels one image at a time (~2.5 ms per v3 image on this CPU): its rows use the
    # first `tflm_images` evaluation images (0 = all), compared with Keras on the same images.
    # 1,000 keeps `bench artifacts/` (v1-v3, 9 TFLM rows) under a minute on 2 cores; 0 runs all (README: 10k).
    tflm_images: int = 1000
    max_examples: int = 32  # disagreeing digits kept per artifact for the report's image grid
