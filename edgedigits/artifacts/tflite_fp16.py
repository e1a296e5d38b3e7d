"""TFLite float16: weights stored as float16 (half the size), computed in float32 on CPUs without fp16 kernels."""

from __future__ import annotations

from pathlib import Path

from edgedigits.artifacts import Artifact, ExportContext, Tolerance
from edgedigits.artifacts.tflite_converter import keras_converter


def fp16_converter(model, *, static_batch: bool = True):
    import tensorflow as tf

    converter = keras_converter(model, static_batch=static_batch)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return converter


def export(context: ExportContext, destination: Path) -> dict:
    destination.write_bytes(fp16_converter(context.model).convert())
    return {"weights": "float16 (dequantized to float32 at load time on CPU)"}


# Rounding a weight to float16 moves it by up to 2^-11 (~5e-4) relative; a confident model's logits reach
# |z| ~ 20, so a logit can move by ~1e-2 and a borderline probability by a quarter of that (softmax slope
# <= 1/4). Measured max |Δp| over the 10k test images: 1.1e-3 (v1, 12 epochs), 6e-4 (v3), 2.7e-4 (tiny v1).
# 5e-3 leaves headroom for other seeds while staying ~10x below int8's 3e-2..1e-1, so a model that silently
# came out int8 (or broken) still fails.
ARTIFACT = Artifact(
    name="tflite_fp16", file="fp16.tflite", runtime="tflite", precision="float16",
    description="TFLite, float16 weights, float32 activations",
    export=export,
    tolerance=Tolerance(max_abs_prob_diff=5e-3),
    export_tolerance=Tolerance(max_abs_prob_diff=5e-3),
)
