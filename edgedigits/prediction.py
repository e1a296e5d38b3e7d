"""Classify real image files with one artifact: the model's recipe (edgedigits.preprocess), then its runtime.

The runtime comes from the manifest entry beside the file when there is one (and the file is checked against
its sha256), otherwise from the suffix. Every image is decoded and preprocessed before the model is loaded,
so a bad image fails fast with a one-line error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edgedigits.errors import UsageError

if TYPE_CHECKING:
    from edgedigits.pixels import Preprocessing


@dataclass(frozen=True)
class Prediction:
    image: Path
    # repr=False: a notebook showing a Prediction prints its top classes, not 784 pixels.
    frame: np.ndarray = field(repr=False)  # float32 [H,W,C]: the model's input, exactly what it saw
    probabilities: np.ndarray = field(repr=False)  # float32 [K], dequantized for int8 models, softmax of logits
    top: list[tuple[str, float]]  # (label, probability), best first
    top_classes: list[int]  # the class indices of `top`

    @property
    def label(self) -> str:
        """The best class's label."""
        return self.top[0][0]

    @property
    def probability(self) -> float:
        """The best class's probability."""
        return self.top[0][1]


@dataclass(frozen=True)
class ModelFacts:
    """What predict needs from the manifest beside the artifact (defaults: a digit model without one)."""

    runtime: str
    labels: list[str]
    preprocessing: "Preprocessing"
    output: str  # "probabilities" or "logits"
    manifest: bool  # False: no manifest beside the file, so the defaults were used


def resolve_runtime(path: Path) -> ModelFacts:
    """The runtime, labels, preprocessing and output kind of an artifact file, from its manifest entry, else its
    suffix and the digit-model defaults."""
    from edgedigits.data import LABELS
    from edgedigits.locate import SUFFIX_RUNTIMES, check_suffix, locate_artifact
    from edgedigits.pixels import Preprocessing

    check_suffix(path)
    location = locate_artifact(path)
    manifest = location.manifest or {}
    facts = dict(labels=[str(label) for label in manifest.get("labels", LABELS)],
                 preprocessing=Preprocessing.from_manifest(manifest.get("preprocessing")),
                 output=(manifest.get("classifier") or {}).get("output", "probabilities"), manifest=bool(manifest))
    if location.entry is None:
        return ModelFacts(SUFFIX_RUNTIMES[Path(path).suffix], **facts)
    if location.source:
        # model.keras is the training output, not an export: a retrain legitimately changes it, so it is
        # not held to the sha256 export recorded (`inspect` reports the difference).
        return ModelFacts(SUFFIX_RUNTIMES[".keras"], **facts)
    location.verify()
    return ModelFacts(location.entry["runtime"], **facts)


def predict_images(*, artifact: Path, images: list[Path], top: int = 3, kernels: str = "default") -> list[Prediction]:
    """Top-`top` classes for each image file (see `predict_with_facts`)."""
    return predict_with_facts(artifact=artifact, images=images, top=top, kernels=kernels)[1]


def predict_with_facts(*, artifact: Path, images: list[Path], top: int = 3,
                       kernels: str = "default") -> tuple[ModelFacts, list[Prediction]]:
    """(the model facts used, top-`top` classes for each image file); DataError naming the image if one cannot
    be used. `kernels`
    (.tflite only): "default" (XNNPACK), "builtin", "reference" (LiteRT's) or "tflm" (TensorFlow Lite Micro).
    Images go through the model's own recipe (the manifest's preprocessing: MNIST framing for digit models,
    whole-image resize for others)."""
    from edgedigits.pixels import default_preprocessing
    from edgedigits.preprocess import image_unit_pixels
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes import open_runtime

    if not images:
        raise UsageError("give at least one image file")
    facts = resolve_runtime(artifact)
    options, runtime_name = {}, facts.runtime
    if runtime_name == "tflite" and kernels == "tflm":
        runtime_name = "tflm"  # the same file in TensorFlow Lite Micro's own interpreter
    elif runtime_name == "tflite":
        options = {"kernels": kernels}

    def open_model():
        with native_output_silenced():
            return open_runtime(runtime_name, artifact, output=facts.output, **options)

    preprocessing, runtime = facts.preprocessing, None
    if not facts.manifest:  # a lone file: its own input shape decides the recipe (digit models: MNIST)
        runtime = open_model()
        preprocessing = default_preprocessing(tuple(int(d) for d in runtime.inputs[0].shape[1:]))
    labels = facts.labels if facts.manifest or runtime is None else _labels_for(runtime, facts.labels)
    facts = replace(facts, labels=labels, preprocessing=preprocessing)
    if not 1 <= top <= len(labels):
        raise UsageError(f"--top must be between 1 and {len(labels)}, got {top}")
    # Every image is decoded before a manifest-described model is loaded: a bad image fails fast.
    frames = np.stack([preprocessing.apply_unit(image_unit_pixels(Path(image), preprocessing)) for image in images])
    runtime = runtime or open_model()
    with native_output_silenced():
        probabilities = runtime.predict(frames)
    results = []
    for image, frame, row in zip(images, frames, probabilities):
        order = np.argsort(-row, kind="stable")[:top]
        results.append(Prediction(Path(image), frame, row, [(labels[i], float(row[i])) for i in order],
                                  [int(i) for i in order]))
    return facts, results


def _labels_for(runtime, default: list[str]) -> list[str]:
    classes = int(runtime.outputs[0].shape[-1])
    return default if classes == len(default) else [str(index) for index in range(classes)]


JSON_SCHEMA_VERSION = 1


def predictions_json(*, artifact: Path, predictions: list[Prediction], kernels: str, facts: ModelFacts) -> dict:
    """`predict --json`, schema 1 (every key always present):
      schema_version, file (the artifact), runtime, kernels (.tflite only, else null), labels [K],
      preprocessing (the manifest's record, or the defaults used), output ("probabilities"|"logits" before
      softmax), predictions [{image, top [{class, label, probability}], input {shape [H,W,C], dtype,
      min, max, mean, values (the model's input as nested lists [H][W][C], rounded to 6 decimals)}}]"""
    return {
        "schema_version": JSON_SCHEMA_VERSION, "file": str(artifact), "runtime": facts.runtime,
        "kernels": kernels if facts.runtime == "tflite" else None, "labels": facts.labels,
        "preprocessing": facts.preprocessing.to_manifest(), "output": facts.output,
        "predictions": [{
            "image": str(p.image),
            "top": [{"class": index, "label": label, "probability": probability}
                    for index, (label, probability) in zip(p.top_classes, p.top)],
            "input": {"shape": list(p.frame.shape), "dtype": str(p.frame.dtype), "min": float(p.frame.min()),
                      "max": float(p.frame.max()), "mean": float(p.frame.mean()),
                      "values": np.round(p.frame.astype(np.float64), 6).tolist()},
        } for p in predictions],
    }


JSON_KEYS = {"report": ("schema_version", "file", "runtime", "kernels", "labels", "preprocessing", "output",
                        "predictions"),
             "prediction": ("image", "top", "input"), "top": ("class", "label", "probability"),
             "input": ("shape", "dtype", "min", "max", "mean", "values")}


def save_seen_frames(predictions: list[Prediction], folder: Path, preprocessing=None) -> list[Path]:
    """Write each input the model saw as `<image stem>.HxW.png` in `folder` (unique names), mapped back to
    pixels through `preprocessing` (default: the digit models' pixel / 255)."""
    from edgedigits.pixels import default_preprocessing
    from edgedigits.preprocess import save_frame_png

    folder = Path(folder)
    used: set[str] = set()
    written = []
    for prediction in predictions:
        height, width = prediction.frame.shape[:2]
        mapping = preprocessing or default_preprocessing(tuple(prediction.frame.shape))
        name, suffix = f"{prediction.image.stem}.{height}x{width}.png", 2
        while name in used:
            name, suffix = f"{prediction.image.stem}-{suffix}.{height}x{width}.png", suffix + 1
        used.add(name)
        save_frame_png(mapping.to_pixels(prediction.frame).astype(np.float32) / 255, folder / name)
        written.append(folder / name)
    return written
