"""TFLite float16: weights stored as float16 (half the size), computed in float32 on CPUs without fp16 kernels."""

from __future__ import annotations

from pathlib import Path

from edgedigits.artifacts import Artifact, ExportContext, Tolerance


def export(context: ExportContext, destination: Path) -> dict:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(context.model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    destination.write_bytes(converter.convert())
    return {"weights": "float16 (dequantized to float32 at load time on CPU)"}


# Rounding a weight to float16 changes it by at most 2^-11 (~5e-4) relative; through a few layers and a
# softmax that moves a probability by ~1e-4 typically and rarely more than 1e-3. 1e-3 is still 10x tighter
# than anything that could flip a confident decision, so it holds fp16 to "a float format", not "int8-like".
ARTIFACT = Artifact(
    name="tflite_fp16", file="fp16.tflite", runtime="tflite", precision="float16",
    description="TFLite, float16 weights, float32 activations",
    export=export,
    tolerance=Tolerance(max_abs_prob_diff=1e-3),
    export_tolerance=Tolerance(max_abs_prob_diff=1e-3),
)
