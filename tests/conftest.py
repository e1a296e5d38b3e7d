"""Shared fixtures: one tiny v1 model trained and exported once for the whole suite.

Training on 12,000 images for 3 epochs takes a few seconds on 2 cores and reaches ~95 % test accuracy:
enough for real parity and accuracy assertions, cheap enough for CI.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("COLUMNS", "200")  # rich tables: wide enough that assertions see whole cells
os.environ.setdefault("TERM", "dumb")

import pytest  # noqa: E402

TINY_TRAIN = dict(epochs=3, train_samples=12_000, seed=0)


@pytest.fixture(scope="session")
def mnist():
    from edgedigits.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def trained_artifacts(tmp_path_factory, mnist) -> Path:
    """An artifacts folder holding v1/ trained small and exported to every registered format. Read-only:
    tests that modify files must use `artifacts_copy`."""
    from edgedigits.artifacts import ARTIFACTS
    from edgedigits.config import ExportConfig, TrainConfig
    from edgedigits.export import export_model
    from edgedigits.models import MODELS
    from edgedigits.train import train_model

    root = tmp_path_factory.mktemp("artifacts")
    train_model(spec=MODELS["v1"], mnist=mnist, out_dir=root / "v1", config=TrainConfig(**TINY_TRAIN))
    # Plain int8 (ptq), as every test of the formats expects; the recipe search has its own tests (test_recipes).
    export_model(model_dir=root / "v1", formats=tuple(ARTIFACTS), config=ExportConfig(calibration_samples=200),
                 mnist=mnist, int8_recipe="ptq")
    return root


@pytest.fixture()
def artifacts_copy(trained_artifacts, tmp_path) -> Path:
    """A private, writable copy of `trained_artifacts`."""
    destination = tmp_path / "artifacts"
    shutil.copytree(trained_artifacts, destination)
    return destination
