"""TFLite full-integer int8: int8 weights, activations, input and output; calibrated on training images."""

from __future__ import annotations

from pathlib import Path

from edgedigits.artifacts import Artifact, ExportContext, Tolerance
from edgedigits.artifacts.tflite_converter import keras_converter


# Recorded in the manifest of both converter-made int8 formats (tflite_int8, tflite_int8_float_io).
CALIBRATION_METHOD = "TFLite converter min/max over the sample, per-channel weights, per-tensor activations"


def representative_dataset(context: ExportContext):
    """The converter's calibration feed: one training image per step, float32 [1,28,28,1]."""
    images = context.calibration_images()

    def generate():
        for index in range(len(images)):
            yield [images[index:index + 1]]

    return generate


def int8_converter(context: ExportContext, *, float_io: bool, static_batch: bool = True):
    """The TFLite converter of both converter-made int8 formats, calibrated on the context's sample:
    int8 input/output, or float32 ones (`float_io`) with Quantize/Dequantize added at the edges.
    `explain` re-creates it for the quantization debugger, so it must stay the one place this is set up."""
    import tensorflow as tf

    converter = keras_converter(context.model, static_batch=static_batch)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset(context)
    # Full integer: any op without an int8 kernel fails conversion instead of silently staying float.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_io:
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter


def export(context: ExportContext, destination: Path) -> dict:
    destination.write_bytes(int8_converter(context, float_io=False).convert())
    return {"calibration": context.calibration | {"method": CALIBRATION_METHOD}}


ARTIFACT = Artifact(
    name="tflite_int8", file="int8.tflite", runtime="tflite", precision="int8",
    description="TFLite full-integer int8 (int8 input and output)",
    export=export,
    tolerance=Tolerance(min_agreement=99.5, max_accuracy_drop=0.2),
    export_tolerance=Tolerance(min_agreement=98.0),
    calibrated=True,
)
