"""What edgedigits needs to know about any Keras image classifier, read from the model itself.

The built-in v1/v2/v3 and a user's own `.keras` go through the same description: one image input (H, W, C)
with C = 1 or 3 and fixed H, W; one output [N, K] of K >= 2 classes, either probabilities (softmax) or logits.
Everything downstream (runtimes, bench, golden vectors, embed, inspect, predict) reads these numbers from the
manifest instead of assuming 28x28x1 and 10 classes. A model outside these limits is refused in one line that
names what is unsupported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgedigits.errors import UsageError

PROBABILITIES, LOGITS = "probabilities", "logits"
MAX_CLASSES = 256  # a class index fits one byte (golden vectors, bundles)


@dataclass(frozen=True)
class ClassifierShape:
    input_shape: tuple[int, int, int]  # (H, W, C)
    classes: int  # K
    output: str  # PROBABILITIES (softmax inside the model) or LOGITS (softmax applied by edgedigits)

    @property
    def digit_shaped(self) -> bool:
        """28x28x1 with 10 classes: the MNIST recipe and MNIST data are the defaults."""
        return self.input_shape == (28, 28, 1) and self.classes == 10

    def to_json(self) -> dict:
        return {"input_shape": list(self.input_shape), "classes": self.classes, "output": self.output}


def _dims(shape) -> list:
    return [None if d is None else int(d) for d in shape]


def describe_classifier(model, *, source: str) -> ClassifierShape:
    """Check `model` is a single-image classifier and read its shape; UsageError naming what is unsupported."""
    inputs, outputs = list(model.inputs), list(model.outputs)
    if len(inputs) != 1:
        raise UsageError(f"{source}: the model has {len(inputs)} inputs; edgedigits supports image classifiers "
                         "with exactly one image input")
    if len(outputs) != 1:
        raise UsageError(f"{source}: the model has {len(outputs)} outputs; edgedigits supports exactly one output "
                         "of K class scores")
    in_shape, out_shape = _dims(inputs[0].shape), _dims(outputs[0].shape)
    if len(in_shape) != 4:
        raise UsageError(f"{source}: input shape {in_shape} is not an image batch [N, H, W, C]")
    height, width, channels = in_shape[1:]
    if height is None or width is None:
        raise UsageError(f"{source}: input shape {in_shape} has a dynamic spatial size; give the model a fixed "
                         "height and width (devices need static shapes)")
    if channels not in (1, 3):
        raise UsageError(f"{source}: input has {channels} channels; supported are 1 (gray) and 3 (RGB)")
    if len(out_shape) == 2 and out_shape[1] is not None and out_shape[1] > MAX_CLASSES:
        raise UsageError(f"{source}: {out_shape[1]} classes; edgedigits supports at most {MAX_CLASSES} (golden "
                         "vectors and bundles store a class in one byte)")
    if len(out_shape) != 2 or out_shape[1] is None or out_shape[1] < 2:
        raise UsageError(f"{source}: output shape {out_shape} is not [N, K] class scores with K >= 2 "
                         "(sequence, detection and regression outputs are not supported)")
    return ClassifierShape((height, width, channels), out_shape[1],
                           _output_kind(model, (height, width, channels), source))


def _output_kind(model, input_shape: tuple[int, int, int], source: str) -> str:
    """Softmax inside the model, or logits: the last layer's activation when it says, else the numbers (rows of
    probabilities are non-negative and sum to 1 on any input)."""
    activation = getattr(model.layers[-1], "activation", None) if model.layers else None
    name = getattr(activation, "__name__", "")
    if name == "softmax" or type(model.layers[-1]).__name__ == "Softmax":
        return PROBABILITIES
    from edgedigits.runtimes.keras_rt import run_keras_model

    probe = np.random.default_rng(0).random((4, *input_shape), dtype=np.float32)
    values = run_keras_model(model, probe, source).astype(np.float64)
    if values.min() >= 0 and np.allclose(values.sum(axis=1), 1.0, atol=1e-3):
        return PROBABILITIES
    return LOGITS


def softmax(values: np.ndarray) -> np.ndarray:
    """float32 [N,K] logits -> probabilities, the one way edgedigits turns logits into probabilities."""
    shifted = values.astype(np.float64) - values.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
