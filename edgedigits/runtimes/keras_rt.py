"""Keras runtime for the trained `model.keras`: the reference every artifact is compared with."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from edgedigits.errors import ArtifactError
from edgedigits.quiet import import_tensorflow_quietly
from edgedigits.runtimes import TensorSpec, check_input, predict_in_chunks


# Keras reads config.json (and, on some paths, the weights) whole into memory: sizes are checked in the zip's
# directory first, so a small file that inflates to gigabytes is refused before it is read.
MAX_JSON_BYTES = 64 * 2**20  # a Keras config is kilobytes
BOMB_BYTES, BOMB_RATIO = 256 * 2**20, 100  # weights compress about 1.1x; 100x over 256 MiB is a zip bomb


def load_keras_model(path: Path):
    """Load a `.keras` file safely: a real zip, no member escaping the archive or inflating far beyond its
    size, Keras `safe_mode=True` (refuses Lambda layers carrying arbitrary Python code)."""
    import_tensorflow_quietly()
    import keras

    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: file not found")
    if not zipfile.is_zipfile(path):
        raise ArtifactError(f"{path}: not a Keras model file (not a .keras zip archive)")
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            member = info.filename
            if member.startswith("/") or ".." in Path(member).parts:
                raise ArtifactError(f"{path}: archive member '{member}' escapes the archive folder")
            if (member.endswith(".json") and info.file_size > MAX_JSON_BYTES) or \
                    (info.file_size > BOMB_BYTES and info.file_size > BOMB_RATIO * max(info.compress_size, 1)):
                raise ArtifactError(f"{path}: archive member '{member}' inflates to {info.file_size:,} bytes from "
                                    f"{info.compress_size:,}; refused before reading it")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises ValueError, KeyError, OSError … for a damaged or unsafe archive
        detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        raise ArtifactError(f"{path}: cannot be loaded as a Keras model ({detail})") from None


def run_keras_model(model, images: np.ndarray, path: Path) -> np.ndarray:
    """float32 outputs of a loaded Keras model on `images`. A model that loads but cannot run (an int32 input
    layer in front of a float convolution loads fine and fails on the first call) is bad input: ArtifactError
    naming the file, never an internal error."""
    from edgedigits.runtimes import _first_line

    try:
        return np.asarray(model(images, training=False), dtype=np.float32)
    except Exception as err:  # TensorFlow's zoo: ValueError, InvalidArgumentError, UnimplementedError, …
        raise ArtifactError(f"{path}: cannot be run by keras ({_first_line(err)})") from None


class KerasRuntime:
    name = "keras"

    def __init__(self, path: Path, *, threads: int):
        self.path = Path(path)
        self.model = load_keras_model(path)
        # Keras' thread pools are process-wide and fixed once TF starts; `threads` is recorded, not enforced.
        self.threads = threads
        shape = tuple(-1 if d is None else int(d) for d in self.model.input_shape)
        self.inputs = [TensorSpec("input", shape, "float32")]
        self.outputs = [TensorSpec("output", tuple(-1 if d is None else int(d) for d in self.model.output_shape), "float32")]

    def predict(self, images: np.ndarray) -> np.ndarray:
        check_input(self, images, self.path)
        return predict_in_chunks(lambda chunk: np.asarray(self.model(chunk, training=False), dtype=np.float32), images)

    def prepare(self, images: np.ndarray):
        check_input(self, images, self.path)
        model = self.model
        import tensorflow as tf

        tensor = tf.constant(images, dtype=tf.float32)
        # A direct call, not predict(): predict's per-call set-up (~47 ms) is not the model's cost.
        return lambda: model(tensor, training=False)


def open(path: Path, *, threads: int) -> KerasRuntime:  # noqa: A001 - registry hook
    return KerasRuntime(path, threads=threads)
