"""The data one export needs, for any classifier: calibration images, test images (the export check and the
golden vectors), labels and the pixel preprocessing, each recorded in the manifest.

Digit-shaped models (28x28x1, 10 classes, including the built-in v1/v2/v3) default to MNIST exactly as before:
a seeded sample of the training set calibrates, the test set checks. Any other model must bring its own test
data, and its own calibration data for the int8 formats; both go through the same loaders as `bench --data`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from edgedigits.classifier import ClassifierShape
from edgedigits.config import ExportConfig
from edgedigits.data import LABELS, Mnist, calibration_sample, load_mnist
from edgedigits.datasets import DataSpec, EvalData, load_labelled, mnist_test_data
from edgedigits.errors import DataError, UsageError
from edgedigits.pixels import default_preprocessing

MNIST_CALIBRATION = "MNIST training set, seeded random sample without replacement"


@dataclass(frozen=True)
class DataOptions:
    """The user's data and preprocessing choices (export's --calibration-data, --test-data, --labels, …)."""

    calibration_data: str | None = None
    test_data: str | None = None
    labels: tuple[str, ...] | None = None
    pixel_scale: float = 1 / 255
    pixel_offset: float = 0.0
    channel_order: str = "rgb"


@dataclass
class ExportData:
    spec: DataSpec  # preprocessing + labels
    test: EvalData  # float32 [N,H,W,C] model inputs and labels; the export check uses its first images
    calibration_images: Callable[[], np.ndarray]  # lazily drawn, only int8 formats call it
    calibration: dict  # the manifest's record of it
    record: dict = field(default_factory=dict)  # the manifest's "data" record


def read_labels(path: Path) -> tuple[str, ...]:
    """A labels file: one label per line, in output order (blank lines ignored)."""
    path = Path(path)
    try:
        labels = tuple(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read labels file ({err.strerror if isinstance(err, OSError) else err})") \
            from None
    if not labels:
        raise DataError(f"{path}: labels file is empty (one label per line, in output order)")
    if len(set(labels)) != len(labels):
        raise DataError(f"{path}: labels must be unique")
    return labels


def _absolute(spec: str) -> str:
    """Data paths as the manifest records them: absolute, so bench and embed find them from any folder."""
    path = Path(spec)
    if not path.exists() and "," in spec:  # an IDX pair
        return ",".join(str(Path(part.strip()).resolve()) for part in spec.split(",", 1))
    return str(path.resolve())


def _sample(images: np.ndarray, samples: int, seed: int) -> np.ndarray:
    if len(images) <= samples:
        return images
    return images[np.sort(np.random.default_rng(seed).choice(len(images), size=samples, replace=False))]


def export_data(*, classifier: ClassifierShape, options: DataOptions, config: ExportConfig, needs_calibration: bool,
                mnist: Mnist | None = None, source: str) -> ExportData:
    """Resolve the data for exporting a model of shape `classifier`; UsageError/DataError in one line."""
    labels = options.labels if options.labels is not None else (LABELS if classifier.classes == 10 else None)
    if labels is None:
        raise UsageError(f"{source}: the model has {classifier.classes} classes; name them with --labels FILE "
                         "(one label per line, in output order)")
    if len(labels) != classifier.classes:
        raise UsageError(f"--labels: {len(labels)} labels for a model with {classifier.classes} outputs")
    preprocessing = default_preprocessing(classifier.input_shape, scale=options.pixel_scale,
                                          offset=options.pixel_offset, channel_order=options.channel_order)
    spec = DataSpec(preprocessing=preprocessing, labels=tuple(labels))
    digits = classifier.digit_shaped and not (options.calibration_data and options.test_data)
    shape = "x".join(map(str, classifier.input_shape))
    if not classifier.digit_shaped:
        if options.test_data is None:
            raise UsageError(f"{source}: a {shape} model with {classifier.classes} classes needs --test-data "
                             "(MNIST fits only 28x28x1 digit models)")
        if needs_calibration and options.calibration_data is None:
            raise UsageError(f"{source}: int8 export of a {shape} model needs --calibration-data "
                             "(MNIST fits only 28x28x1 digit models)")
    if digits and mnist is None:
        mnist = load_mnist()

    if options.test_data is not None:
        test = load_labelled(_absolute(options.test_data), spec, option="--test-data")
    else:
        test = mnist_test_data(mnist, preprocessing)

    cache: list[np.ndarray] = []
    if options.calibration_data is not None:
        calibration = {"samples": config.calibration_samples, "seed": config.calibration_seed,
                       "source": f"{_absolute(options.calibration_data)}: seeded random sample without replacement"}

        def draw() -> np.ndarray:
            loaded = load_labelled(options.calibration_data, spec, option="--calibration-data")
            calibration["samples"] = min(config.calibration_samples, len(loaded.images))
            return _sample(loaded.images, config.calibration_samples, config.calibration_seed)
    else:
        calibration = {"samples": config.calibration_samples, "seed": config.calibration_seed,
                       "source": MNIST_CALIBRATION}

        def draw() -> np.ndarray:
            # The MNIST sample is pixel / 255; the model may want another mapping (--pixel-scale/--pixel-offset).
            sample = calibration_sample(mnist, samples=config.calibration_samples, seed=config.calibration_seed)
            return preprocessing.apply_unit(sample)

    def calibration_images() -> np.ndarray:
        if not cache:
            cache.append(draw())
        return cache[0]

    record = {"test": {key: value for key, value in test.description.items() if key != "per_label"}}
    return ExportData(spec, test, calibration_images, calibration, record)
