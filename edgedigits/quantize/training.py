"""Labelled training images for QAT: MNIST for 28x28x1 10-class models, else the user's `--train-data`.

Loaded once, through the model's own preprocessing (the same loaders and refusals as `--test-data`), and
recorded in the manifest with a sha256 of exactly what was fed.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np

from edgedigits.errors import UsageError
from edgedigits.quantize import TrainingData


def _record(source: str, images: np.ndarray, labels: np.ndarray) -> dict:
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes() + np.ascontiguousarray(labels).tobytes())
    return {"source": source, "images": int(len(images)), "sha256": digest.hexdigest()}


def training_loader(*, classifier, spec, train_data: str | None, mnist_loader: Callable[[], object],
                    mnist_fits: bool = True) -> Callable[[], TrainingData | None]:
    """A cached loader of the QAT data; None when the model has none: no --train-data, and MNIST does not fit
    (not digit-shaped, or `mnist_fits` False: a digit-shaped model exported with its own test data, say
    Fashion-MNIST, must not be fine-tuned on digits). --train-data is read at once when given, so a bad file is
    refused before any export work."""
    from edgedigits.datasets import load_labelled
    from edgedigits.export_data import _absolute

    cache: list[TrainingData | None] = []
    if train_data is not None:
        loaded = load_labelled(_absolute(train_data), spec, option="--train-data")
        if len(loaded.labels) == 0:
            raise UsageError(f"{train_data}: --train-data holds no images")
        cache.append(TrainingData(loaded.images, loaded.labels.astype(np.int64),
                                  _record(loaded.description.get("source", str(train_data)), loaded.images,
                                          loaded.labels)))

    def load() -> TrainingData | None:
        if not cache:
            if not (classifier.digit_shaped and mnist_fits):
                cache.append(None)
            else:
                mnist = mnist_loader()
                images = spec.preprocessing.apply(mnist.x_train[..., None])
                labels = mnist.y_train.astype(np.int64)
                cache.append(TrainingData(images, labels, _record(f"MNIST training set ({mnist.source})", images,
                                                                  labels)))
        return cache[0]

    return load
