"""The data a model was exported with, read back from its manifest: what `explain` calibrates and measures on.

The manifest records the preprocessing (input size, channels, pixel mapping, channel order), the labels, the
calibration source with its sample size and seed, and the test data with its sha256. explain re-creates the
very calibration sample export drew (MNIST training images through the model's pixel mapping, or the user's
--calibration-data) and measures on the recorded test data, so a user's model is explained on its own images.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from edgedigits.errors import ArtifactError, DataError

CALIBRATION_SUFFIX = ": seeded random sample without replacement"  # how export_data records a user's source


@dataclass
class RecordedData:
    spec: object  # edgedigits.datasets.DataSpec: preprocessing + labels
    pool: Callable[[], np.ndarray]  # every calibration candidate image, through the preprocessing, float32
    test: Callable[[], object]  # EvalData: the recorded test images and labels
    calibration: dict  # the manifest's calibration record ({} when the model was exported without int8)

    def sample(self, samples: int, seed: int) -> np.ndarray:
        """The seeded calibration sample export draws: `samples` images without replacement, in index order."""
        pool = self.pool()
        if not 1 <= samples <= len(pool):
            raise DataError(f"calibration size must be between 1 and {len(pool)}, got {samples}")
        if samples == len(pool):
            return pool
        return pool[np.sort(np.random.default_rng(seed).choice(len(pool), size=samples, replace=False))]

    def pool_size(self) -> int:
        return len(self.pool())


def recorded_data(manifest: dict | None, *, mnist_loader: Callable[[], object]) -> RecordedData:
    """The RecordedData of a model folder's manifest (None: a folder `train` wrote, hence MNIST at pixel/255)."""
    from edgedigits.bench.run import _recorded_test_data
    from edgedigits.data import LABELS, scale
    from edgedigits.datasets import DataSpec, load_labelled, mnist_test_data
    from edgedigits.export_data import MNIST_CALIBRATION
    from edgedigits.pixels import Preprocessing

    manifest = manifest or {}
    spec = DataSpec(preprocessing=Preprocessing.from_manifest(manifest.get("preprocessing")),
                    labels=tuple(str(label) for label in manifest.get("labels", LABELS)))
    data = manifest.get("data") or {}
    calibration = data.get("calibration") or {}
    test_record = data.get("test") or {"kind": "mnist test"}
    cache: dict = {}

    def pool() -> np.ndarray:
        if "pool" not in cache:
            source = calibration.get("source", MNIST_CALIBRATION)
            if source == MNIST_CALIBRATION:
                # The sample MNIST gives is pixel / 255; the model may want another mapping.
                cache["pool"] = spec.preprocessing.apply_unit(scale(mnist_loader().x_train))
            else:
                path = source[:-len(CALIBRATION_SUFFIX)] if source.endswith(CALIBRATION_SUFFIX) else source
                try:
                    cache["pool"] = load_labelled(path, spec, option="recorded calibration data").images
                except DataError as err:
                    raise ArtifactError(f"{err} (the calibration data this model's export recorded)") from None
        return cache["pool"]

    def test():
        if "test" not in cache:
            cache["test"] = mnist_test_data(mnist_loader(), spec.preprocessing) \
                if test_record.get("kind") == "mnist test" else _recorded_test_data(test_record, spec)
        return cache["test"]

    return RecordedData(spec, pool, test, calibration)


def model_recorded_data(model_dir: Path, *, mnist_loader: Callable[[], object]) -> RecordedData:
    from edgedigits.manifest import manifest_path, read_manifest

    manifest = read_manifest(model_dir) if manifest_path(model_dir).is_file() else None
    return recorded_data(manifest, mnist_loader=mnist_loader)
