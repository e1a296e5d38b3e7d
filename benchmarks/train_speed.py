"""Worker: train one model with one recipe, print one JSON line (seconds per epoch, test accuracy).

Run in its own process per configuration (by benchmarks/run.py) because TensorFlow's op determinism and
thread pools are process-wide: the plain recipe must not inherit settings from ours.

  plain       the seed blog, verbatim: NumPy arrays into model.fit, batch 128, Adam(), validation on the test set
  edgedigits  `edgedigits.train.train_model` with its defaults (same model, epochs and batch size)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def plain_recipe(model_name: str, epochs: int) -> dict:
    import keras
    import numpy as np

    from edgedigits.data import load_mnist, one_hot, scale
    from edgedigits.models import MODELS, build_model

    mnist = load_mnist()
    x_train, y_train, x_test, y_test = scale(mnist.x_train), one_hot(mnist.y_train), scale(mnist.x_test), one_hot(mnist.y_test)
    keras.utils.set_random_seed(0)
    model = build_model(MODELS[model_name])
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.categorical_crossentropy, metrics=["accuracy"])
    seconds = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.start)

    model.fit(x_train, y_train, batch_size=128, epochs=epochs, validation_data=(x_test, y_test), verbose=0,
              callbacks=[Timer()])
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    del np
    return {"seconds_per_epoch": seconds, "test_accuracy": float(accuracy) * 100, "precision": "float32"}


def edgedigits_recipe(model_name: str, epochs: int) -> dict:
    from edgedigits.config import TrainConfig
    from edgedigits.data import load_mnist
    from edgedigits.models import MODELS
    from edgedigits.train import train_model

    with tempfile.TemporaryDirectory() as out:
        result = train_model(spec=MODELS[model_name], mnist=load_mnist(), out_dir=Path(out),
                             config=TrainConfig(epochs=epochs))
        record = json.loads(result.record_path.read_text())
    return {"seconds_per_epoch": record["seconds_per_epoch"], "test_accuracy": record["test_accuracy"],
            "precision": result.precision}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipe", choices=("plain", "edgedigits"), required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--epochs", type=int, required=True)
    args = parser.parse_args()
    run = plain_recipe if args.recipe == "plain" else edgedigits_recipe
    result = run(args.model, args.epochs)
    steady = result["seconds_per_epoch"][1:] or result["seconds_per_epoch"]
    result |= {"recipe": args.recipe, "model": args.model, "epochs": args.epochs,
               "mean_seconds_per_epoch": sum(steady) / len(steady)}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
