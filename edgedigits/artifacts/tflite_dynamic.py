"""TFLite dynamic-range: int8 weights, float activations quantized on the fly per batch; no calibration."""

from __future__ import annotations

from pathlib import Path

from edgedigits.artifacts import Artifact, ExportContext, Tolerance
from edgedigits.artifacts.tflite_converter import keras_converter


def dynamic_range_converter(model, *, static_batch: bool = True):
    import tensorflow as tf

    converter = keras_converter(model, static_batch=static_batch)
    # Optimize.DEFAULT without a representative dataset is dynamic-range quantization.
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter


def export(context: ExportContext, destination: Path) -> dict:
    destination.write_bytes(dynamic_range_converter(context.model).convert())
    return {"weights": "int8 per-channel", "activations": "float32, quantized per batch at run time"}


# Weights carry int8 rounding error like full int8, so probabilities can move by more than a float format
# allows: hold it to decisions, with int8's thresholds (it should do at least as well as full int8, since
# its activation ranges come from the actual input instead of a calibration sample).
ARTIFACT = Artifact(
    name="tflite_dynamic", file="dynamic.tflite", runtime="tflite", precision="int8 weights",
    description="TFLite dynamic-range: int8 weights, float32 activations and I/O",
    export=export,
    tolerance=Tolerance(min_agreement=99.5, max_accuracy_drop=0.2),
    export_tolerance=Tolerance(min_agreement=98.0),
)
