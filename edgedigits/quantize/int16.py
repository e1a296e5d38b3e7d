"""16-bit activations with int8 weights: the TFLite converter's 16x8 mode.

Weights stay int8 (per channel), so the file is barely larger; activations get 65,536 steps instead of 256,
which absorbs outlier channels and heavy tails that per-tensor int8 cannot. TensorFlow Lite Micro has 16x8
kernels for conv, depthwise conv, fully-connected, pooling and softmax; the search runs every candidate in TFLM
and records whether it runs and the arena it needs (about twice int8's: every activation is two bytes).

`tflite_int8` keeps integer I/O, which in 16x8 mode is int16 (the converter offers no int8 edges there);
`tflite_int8_float_io` keeps float32 I/O. The manifest's io record says which.
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.quantize import TFLITE_INT8_FORMATS, RecipeJob, Remedy, write_converted

METHOD = ("TFLite converter 16x8 mode (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8): "
          "int16 per-tensor activations, int8 per-channel weights, min/max over the sample")


def make(job: RecipeJob, destination: Path) -> dict:
    import tensorflow as tf

    from edgedigits.artifacts.tflite_int8 import int8_converter

    converter = int8_converter(job.context, float_io=job.float_io)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    write_converted(converter, destination, io_type=None if job.float_io else "int16", recipe="int16")
    return {"entry": {"calibration": job.context.calibration | {"method": METHOD}},
            "activations": "int16", "weights": "int8"}


REMEDY = Remedy(name="int16", summary="16-bit activations, int8 weights (16x8)", formats=TFLITE_INT8_FORMATS,
                make=make)
