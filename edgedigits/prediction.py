"""Classify real image files with one artifact: the MNIST recipe (edgedigits.preprocess), then its runtime.

The runtime comes from the manifest entry beside the file when there is one (and the file is checked against
its sha256), otherwise from the suffix. Every image is decoded and preprocessed before the model is loaded,
so a bad image fails fast with a one-line error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgedigits.errors import UsageError


@dataclass(frozen=True)
class Prediction:
    image: Path
    frame: np.ndarray  # float32 [28,28,1] in [0,1]: what the model saw
    probabilities: np.ndarray  # float32 [10], dequantized for int8 models
    top: list[tuple[str, float]]  # (label, probability), best first


def resolve_runtime(path: Path) -> tuple[str, list[str]]:
    """(runtime name, labels) for an artifact file, from its manifest entry or else its suffix."""
    from edgedigits.data import LABELS
    from edgedigits.locate import SUFFIX_RUNTIMES, check_suffix, locate_artifact

    check_suffix(path)
    location = locate_artifact(path)
    labels = list(location.manifest["labels"]) if location.manifest else list(LABELS)
    if location.entry is None:
        return SUFFIX_RUNTIMES[Path(path).suffix], labels
    if location.source:
        # model.keras is the training output, not an export: a retrain legitimately changes it, so it is
        # not held to the sha256 export recorded (`inspect` reports the difference).
        return SUFFIX_RUNTIMES[".keras"], labels
    location.verify()
    return location.entry["runtime"], labels


def predict_images(*, artifact: Path, images: list[Path], top: int = 3, kernels: str = "default") -> list[Prediction]:
    """Top-`top` classes for each image file; DataError naming the image if one cannot be used. `kernels`
    (.tflite only): "default" (XNNPACK), "builtin", "reference" (LiteRT's) or "tflm" (TensorFlow Lite Micro)."""
    from edgedigits.preprocess import preprocess_image
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes import open_runtime

    if not images:
        raise UsageError("give at least one image file")
    runtime_name, labels = resolve_runtime(artifact)
    if not 1 <= top <= len(labels):
        raise UsageError(f"--top must be between 1 and {len(labels)}, got {top}")
    frames = np.stack([preprocess_image(Path(image)) for image in images])
    options = {}
    if runtime_name == "tflite" and kernels == "tflm":
        runtime_name = "tflm"  # the same file in TensorFlow Lite Micro's own interpreter
    elif runtime_name == "tflite":
        options = {"kernels": kernels}
    with native_output_silenced():
        runtime = open_runtime(runtime_name, artifact, **options)
        probabilities = runtime.predict(frames)
    results = []
    for image, frame, row in zip(images, frames, probabilities):
        order = np.argsort(-row, kind="stable")[:top]
        results.append(Prediction(Path(image), frame, row, [(labels[i], float(row[i])) for i in order]))
    return results


def save_seen_frames(predictions: list[Prediction], folder: Path) -> list[Path]:
    """Write each 28x28 frame the model saw as `<image stem>.28x28.png` in `folder` (unique names)."""
    from edgedigits.preprocess import save_frame_png

    folder = Path(folder)
    used: set[str] = set()
    written = []
    for prediction in predictions:
        name, suffix = f"{prediction.image.stem}.28x28.png", 2
        while name in used:
            name, suffix = f"{prediction.image.stem}-{suffix}.28x28.png", suffix + 1
        used.add(name)
        save_frame_png(prediction.frame, folder / name)
        written.append(folder / name)
    return written
