"""Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization"), then the format's plain int8.

Per-tensor int8 gives every channel of an activation the same step: one channel 1000x louder than the rest
leaves the others a fraction of a step. Across a ReLU (or no activation) the pair

    y = W2 · relu(W1 x + b1)

is unchanged when output channel i of the first layer is divided by s_i and input channel i of the second is
multiplied by s_i, since relu(z / s) = relu(z) / s for s > 0. Equalization picks s_i = sqrt(r1_i / r2_i), where
r1_i and r2_i are channel i's weight ranges in the two layers, so both become sqrt(r1_i * r2_i): the loud channel
is quietened where it is made and amplified back where it is used. Chains (A -> B -> C) are swept a few times.

Between the pair may sit layers that commute with a positive per-channel scale: ReLU, max/average pooling,
global pooling, dropout, zero padding, and Flatten (a Dense after it scales the rows of channel i, every C-th).
BatchNorm is folded the way the converter folds it: a BatchNormalization right after a linear conv/dense is the
pair's first half, its range is that of the folded weights W * gamma / sqrt(var + eps), and the scale divides its
gamma and beta (exact: BN is per-channel affine). ReLU6 clips at 6, which a scale would move, so it ends a chain.

The equalized model is checked against the original to float tolerance before anything is converted.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from edgedigits.quantize import TFLITE_INT8_FORMATS, RecipeJob, RecipeNotApplicable, Remedy
from edgedigits.quantize.graph import consumers_of, output_layer_names, single_producer

ROUNDS = 4  # sweeps over all pairs; chains converge in two or three
MAX_OUTPUT_CHANGE = 1e-4  # the equalized model's max |Δ| on probabilities (or logits relative to their range)
PASSTHROUGH = {"MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Dropout",
               "ZeroPadding2D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D",
               "GlobalMaxPooling1D", "SpatialDropout2D"}


def _activation(layer) -> str | None:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None) if activation is not None else "linear"


def _scales_through(layer) -> bool:
    """True when `layer` commutes with a positive per-channel scale of its input."""
    kind = type(layer).__name__
    if kind in PASSTHROUGH:
        return getattr(layer, "data_format", "channels_last") == "channels_last"
    if kind == "ReLU":
        return layer.max_value is None and not layer.negative_slope and not layer.threshold
    if kind == "Activation":
        return _activation(layer) in ("relu", "linear")
    return False


def _is_weighted(layer) -> bool:
    kind = type(layer).__name__
    return (kind == "Dense" and len(layer.kernel.shape) == 2) or (
        kind == "Conv2D" and layer.groups == 1 and layer.data_format == "channels_last")


def find_pairs(model) -> list[tuple]:
    """(first, second, flattened) for every equalizable pair; `first` is a Conv2D/Dense with a relu or linear
    activation, or a BatchNormalization right after a linear one."""
    consumers = consumers_of(model)
    outputs = output_layer_names(model)
    pairs = []
    for first in model.layers:
        kind = type(first).__name__
        if kind == "BatchNormalization":
            source = single_producer(first)
            if not (first.scale and first.center and first.axis in (-1, len(first.input.shape) - 1)
                    and source is not None and _is_weighted(source) and _activation(source) == "linear"
                    and len(consumers[source.name]) == 1):
                continue
        elif not (_is_weighted(first) and _activation(first) in ("relu", "linear")):
            continue
        elif _activation(first) == "linear" and [type(c).__name__ for c in consumers[first.name]] == ["BatchNormalization"]:
            continue  # the BatchNormalization after it is the pair's first half
        current, flattened = first, False
        while current.name not in outputs and len(consumers[current.name]) == 1:
            current = consumers[current.name][0]
            if len(current._inbound_nodes) != 1:
                break  # a shared layer: scaling it would change its other uses
            if type(current).__name__ == "Flatten":
                flattened = True
            elif _is_weighted(current):
                pairs.append((first, current, flattened))
                break
            elif not _scales_through(current):
                break
    return pairs


def _first_range(first) -> np.ndarray:
    """Per-output-channel weight range of the first half, BatchNorm folded in."""
    if type(first).__name__ == "BatchNormalization":
        source = single_producer(first)
        kernel = np.asarray(source.kernel)
        gamma, variance = np.asarray(first.gamma), np.asarray(first.moving_variance)
        fold = np.abs(gamma) / np.sqrt(variance + first.epsilon)
        return np.abs(kernel).reshape(-1, kernel.shape[-1]).max(0) * fold
    kernel = np.asarray(first.kernel)
    return np.abs(kernel).reshape(-1, kernel.shape[-1]).max(0)


def _second_rows(second, channels: int, flattened: bool) -> np.ndarray:
    """The second half's kernel as [input channel, everything else], a view into nothing (a copy)."""
    kernel = np.asarray(second.kernel)
    if type(second).__name__ == "Conv2D":  # [kh, kw, C, out]
        return np.moveaxis(kernel, 2, 0).reshape(channels, -1)
    if flattened:  # Dense after Flatten of [..., C]: input row r belongs to channel r % C
        return kernel.reshape(-1, channels, kernel.shape[-1]).transpose(1, 0, 2).reshape(channels, -1)
    return kernel.reshape(channels, -1)


def _apply(first, second, flattened: bool, scale: np.ndarray) -> None:
    """Divide the first half's output channel i by scale[i], multiply the second's input channel i by it."""
    if type(first).__name__ == "BatchNormalization":
        first.gamma.assign(np.asarray(first.gamma) / scale)
        first.beta.assign(np.asarray(first.beta) / scale)
    else:
        first.kernel.assign(np.asarray(first.kernel) / scale)
        if first.use_bias:
            first.bias.assign(np.asarray(first.bias) / scale)
    kernel = np.asarray(second.kernel)
    if type(second).__name__ == "Conv2D":
        kernel = kernel * scale[None, None, :, None]
    elif flattened:
        kernel = kernel * np.tile(scale, kernel.shape[0] // len(scale))[:, None]
    else:
        kernel = kernel * scale[:, None]
    second.kernel.assign(kernel.astype(np.float32))


def equalize_model(model) -> tuple[object, dict]:
    """A copy of `model` with every equalizable pair equalized, and a summary of the scales."""
    import keras

    try:
        twin = keras.models.clone_model(model)
    except Exception as err:  # subclassed models have no graph to clone
        raise RecipeNotApplicable(f"equalize needs a functional or Sequential Keras model ({str(err)[:120]})") from None
    twin.set_weights(model.get_weights())
    pairs = find_pairs(twin)
    if not pairs:
        raise RecipeNotApplicable("equalize: no Conv2D/Dense pair joined by ReLU, pooling or a linear path")
    total = {first.name: np.ones(len(_first_range(first)), np.float32) for first, _, _ in pairs}
    for _ in range(ROUNDS):
        for first, second, flattened in pairs:
            r1 = _first_range(first)
            r2 = np.abs(_second_rows(second, len(r1), flattened)).max(1)
            usable = (r1 > 0) & (r2 > 0)
            scale = np.where(usable, np.sqrt(np.where(usable, r1, 1) / np.where(usable, r2, 1)), 1.0).astype(np.float32)
            _apply(first, second, flattened, scale)
            total[first.name] *= scale
    summary = {
        "pairs": [f"{first.name}->{second.name}" for first, second, _ in pairs],
        "rounds": ROUNDS,
        "scale_min": float(min(s.min() for s in total.values())),
        "scale_max": float(max(s.max() for s in total.values())),
        "bias_correction": False,
    }
    return twin, summary


def check_unchanged(model, twin, images: np.ndarray) -> float:
    """Max |Δ| between the two models' outputs, relative to the output range when it exceeds 1 (logits)."""
    before = np.asarray(model(images, training=False), np.float64)
    after = np.asarray(twin(images, training=False), np.float64)
    change = float(np.abs(before - after).max() / max(1.0, float(np.abs(before).max())))
    if not change <= MAX_OUTPUT_CHANGE:
        raise RecipeNotApplicable(f"equalize changed the float model's outputs by {change:.1e} "
                                  f"(more than {MAX_OUTPUT_CHANGE:.0e}); not converted")
    return change


def make(job: RecipeJob, destination: Path) -> dict:
    from edgedigits.artifacts import ARTIFACTS
    from edgedigits.quiet import native_output_silenced

    twin, summary = equalize_model(job.context.model)
    summary["float_change"] = check_unchanged(job.context.model, twin, job.context.calibration_images()[:256])
    with native_output_silenced():
        entry = ARTIFACTS[job.format].export(dataclasses.replace(job.context, model=twin), destination)
    return {"entry": entry, "equalization": summary}


REMEDY = Remedy(name="equalize", summary="cross-layer equalization (BatchNorm folded), then plain int8",
                formats=(*TFLITE_INT8_FORMATS, "onnx_int8"), make=make)
