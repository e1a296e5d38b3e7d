"""TFLite float32: the Keras graph converted as is; should match Keras to float rounding."""

from __future__ import annotations

from pathlib import Path

from edgedigits.artifacts import Artifact, ExportContext, Tolerance
from edgedigits.artifacts.tflite_converter import keras_converter


def export(context: ExportContext, destination: Path) -> dict:
    converter = keras_converter(context.model)
    destination.write_bytes(converter.convert())
    return {}


ARTIFACT = Artifact(
    name="tflite_float32", file="float32.tflite", runtime="tflite", precision="float32",
    description="TFLite, float32 weights and activations",
    export=export,
    tolerance=Tolerance(max_abs_prob_diff=1e-4),
    export_tolerance=Tolerance(max_abs_prob_diff=1e-4),
)
