"""Train one registry model on MNIST: fit -> `model.keras` + `train.json` in the model's artifact folder."""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from edgedigits import interrupts
from edgedigits.config import TrainConfig
from edgedigits.data import Mnist, one_hot, scale
from edgedigits.environment import has_native_bf16, library_versions, machine_info
from edgedigits.errors import UsageError
from edgedigits.fileio import StagedFiles, ensure_writable_dir, folder_lock, sha256_file
from edgedigits.models import ModelSpec, build_model

MODEL_FILE = "model.keras"
TRAIN_RECORD = "train.json"

EpochCallback = Callable[[int, int, dict, float], None]  # (epoch, epochs, logs, seconds)


@dataclass(frozen=True)
class TrainResult:
    model_path: Path
    record_path: Path
    test_accuracy: float  # in %
    test_loss: float
    seconds_per_epoch: float
    precision: str


def resolve_precision(requested: str) -> str:
    """'auto' -> 'bfloat16' on CPUs with native bf16, else 'float32'."""
    if requested == "auto":
        return "bfloat16" if has_native_bf16() else "float32"
    if requested not in ("float32", "bfloat16"):
        raise UsageError(f"--precision must be auto, float32 or bfloat16, got '{requested}'")
    return requested


def validate(config: TrainConfig) -> None:
    if config.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {config.epochs}")
    if config.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {config.batch_size}")
    if config.seed < 0:
        raise UsageError(f"--seed must be zero or positive, got {config.seed}")
    if config.steps_per_execution < 1:
        raise UsageError(f"--steps-per-execution must be at least 1, got {config.steps_per_execution}")
    if config.train_samples is not None and not config.batch_size <= config.train_samples <= 60_000:
        raise UsageError(f"--train-samples must be between the batch size ({config.batch_size}) and 60000, "
                         f"got {config.train_samples}")


def train_model(*, spec: ModelSpec, mnist: Mnist, out_dir: Path, config: TrainConfig,
                on_epoch: EpochCallback | None = None) -> TrainResult:
    """Train `spec` with `config`, save the float32 model and a record of how it was made."""
    validate(config)
    ensure_writable_dir(out_dir)
    import keras
    import tensorflow as tf

    precision = resolve_precision(config.precision)
    # Same seed -> same weights: seeds Python/NumPy/TF and makes TF pick deterministic kernels.
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()

    limit = config.train_samples or len(mnist.x_train)
    x_train, y_train = scale(mnist.x_train[:limit]), one_hot(mnist.y_train[:limit])
    x_test, y_test = scale(mnist.x_test), one_hot(mnist.y_test)

    model = build_model(spec, dtype_policy="mixed_bfloat16" if precision == "bfloat16" else None)
    # As in the blog: Adam with its defaults, categorical cross-entropy.
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.CategoricalCrossentropy(),
                  metrics=["accuracy"], steps_per_execution=config.steps_per_execution)

    epoch_seconds: list[float] = []

    class _Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self.start)
            interrupts.check()
            if on_epoch is not None:
                on_epoch(epoch + 1, config.epochs, dict(logs or {}), epoch_seconds[-1])

    # A tf.data pipeline (seeded shuffle, prefetch) instead of NumPy arrays: measured 1.2x faster per epoch than
    # Keras' array adapter on 2 cores; same batches, same epochs, validated on the test set each epoch as the blog.
    train_data = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                  .shuffle(len(x_train), seed=config.seed, reshuffle_each_iteration=True)
                  .batch(config.batch_size).prefetch(tf.data.AUTOTUNE))
    test_data = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(1000).prefetch(tf.data.AUTOTUNE)
    history = model.fit(train_data, epochs=config.epochs, validation_data=test_data, shuffle=False,  # shuffled above
                        verbose=0, callbacks=[_Timer()])

    # Export always starts from float32: rebuild the architecture in float32 and copy the (float32) weights,
    # so no Cast ops from the bf16 policy end up in the saved graph.
    final = build_model(spec)
    final.set_weights(model.get_weights())
    # Evaluated by direct calls, not compile()+evaluate(): a compiled model would save a fresh optimizer.
    probabilities = np.concatenate([np.asarray(final(x_test[i:i + 1000], training=False)) for i in range(0, len(x_test), 1000)])
    test_accuracy = float(np.mean(probabilities.argmax(axis=1) == mnist.y_test))
    test_loss = float(-np.mean(np.log(np.clip(probabilities[np.arange(len(x_test)), mnist.y_test], 1e-7, 1.0))))

    out_dir = Path(out_dir)
    model_path, record_path = out_dir / MODEL_FILE, out_dir / TRAIN_RECORD
    with folder_lock(out_dir), StagedFiles(out_dir) as staged:
        staged_model = staged.path_for(model_path)
        final.save(staged_model)
        record = {
            "model": spec.name,
            "settings": dataclasses.asdict(config) | {"precision_used": precision, "optimizer": "Adam (Keras defaults)",
                                                       "loss": "categorical_crossentropy"},
            "seed": config.seed,
            "train_images": int(limit),
            "test_loss": float(test_loss),
            "test_accuracy": round(float(test_accuracy) * 100, 4),
            "seconds_per_epoch": [round(seconds, 3) for seconds in epoch_seconds],
            # The first epoch includes graph tracing; the steady-state mean excludes it when there are others.
            "mean_seconds_per_epoch": round(float(np.mean(epoch_seconds[1:] or epoch_seconds)), 3),
            "history": {key: [float(value) for value in values] for key, values in history.history.items()},
            "model_sha256": sha256_file(staged_model),
            "libraries": library_versions(),
            "machine": machine_info(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        # model.keras and train.json change together or not at all.
        staged.commit(last=(record_path, (json.dumps(record, indent=2) + "\n").encode("utf-8")))
    return TrainResult(model_path, record_path, record["test_accuracy"], record["test_loss"],
                       record["mean_seconds_per_epoch"], precision)
