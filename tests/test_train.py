"""Training: accuracy floor on a small run, the train record, and same seed -> same weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgedigits.config import TrainConfig
from edgedigits.errors import UsageError
from edgedigits.models import MODELS
from edgedigits.train import train_model


def test_small_run_reaches_accuracy_floor(trained_artifacts):
    record = json.loads((trained_artifacts / "v1" / "train.json").read_text())
    assert record["test_accuracy"] >= 90.0
    assert record["train_images"] == 12_000
    assert record["settings"]["epochs"] == 3 and record["settings"]["batch_size"] == 128
    assert len(record["seconds_per_epoch"]) == 3 and len(record["history"]["val_accuracy"]) == 3
    assert record["libraries"]["tensorflow"].startswith("2.")
    assert record["settings"]["precision_used"] in ("float32", "bfloat16")


def _weights_after_training(mnist, tmp_path, seed, precision="auto"):
    config = TrainConfig(epochs=1, train_samples=1024, seed=seed, precision=precision)
    train_model(spec=MODELS["v1"], mnist=mnist, out_dir=tmp_path / f"s{seed}{precision}", config=config)
    import keras

    return keras.saving.load_model(tmp_path / f"s{seed}{precision}" / "model.keras").get_weights()


@pytest.mark.parametrize("precision", ["float32", "auto"])
def test_same_seed_gives_identical_weights(mnist, tmp_path, precision):
    first = _weights_after_training(mnist, tmp_path / "a", 7, precision)
    second = _weights_after_training(mnist, tmp_path / "b", 7, precision)
    other = _weights_after_training(mnist, tmp_path / "c", 8, precision)
    assert all(np.array_equal(x, y) for x, y in zip(first, second))
    assert not all(np.array_equal(x, y) for x, y in zip(first, other))


def test_saved_model_is_float32_even_after_bf16_training(trained_artifacts):
    import keras

    model = keras.saving.load_model(trained_artifacts / "v1" / "model.keras")
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}
    assert all(w.dtype == np.float32 for w in model.get_weights())


@pytest.mark.parametrize("field, value, message", [
    ("epochs", 0, "--epochs must be at least 1"),
    ("batch_size", -5, "--batch-size must be at least 1"),
    ("precision", "fp8", "--precision must be auto, float32 or bfloat16"),
])
def test_nonsensical_settings_are_rejected(mnist, tmp_path, field, value, message):
    with pytest.raises(UsageError, match=message):
        train_model(spec=MODELS["v1"], mnist=mnist, out_dir=tmp_path, config=TrainConfig(**{field: value}))
    assert not (tmp_path / "model.keras").exists()
