"""TFLite full-integer int8: int8 weights, activations, input and output; calibrated on training images."""

from __future__ import annotations

from pathlib import Path

from edgedigits.artifacts import Artifact, ExportContext, Tolerance


def representative_dataset(context: ExportContext):
    """The converter's calibration feed: one training image per step, float32 [1,28,28,1]."""
    images = context.calibration_images()

    def generate():
        for index in range(len(images)):
            yield [images[index:index + 1]]

    return generate


def export(context: ExportContext, destination: Path) -> dict:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(context.model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset(context)
    # Full integer: any op without an int8 kernel fails conversion instead of silently staying float.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    destination.write_bytes(converter.convert())
    return {"calibration": context.calibration | {"method": "TFLite converter min/max over the sample, "
                                                   "per-channel weights, per-tensor activations"}}


ARTIFACT = Artifact(
    name="tflite_int8", file="int8.tflite", runtime="tflite", precision="int8",
    description="TFLite full-integer int8 (int8 input and output)",
    export=export,
    tolerance=Tolerance(min_agreement=99.5, max_accuracy_drop=0.2),
    export_tolerance=Tolerance(min_agreement=98.0),
    calibrated=True,
)
