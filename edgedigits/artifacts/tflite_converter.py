"""The one place a Keras model becomes a TFLite converter: every `.tflite` format starts here.

Device runtimes want static shapes: LiteRT.js and the WebGPU, GPU and NPU delegates refuse a `-1` batch axis,
and a microcontroller would register and run the three shape-computing ops (SHAPE, STRIDED_SLICE, PACK) that a
dynamic batch puts before the RESHAPE of Flatten. So the converter is built from a batch-1 Keras function with
the same layers and weights: input `[1,H,W,C]`, no `-1` in any shape signature, and the op list is just the
model's layers (CONV_2D, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX, plus QUANTIZE/DEQUANTIZE for
float I/O around int8). `static_batch=False` gives the old dynamic-batch conversion, kept for comparison
(benchmarks and tests measure what the three ops cost and that outputs are equal).
"""

from __future__ import annotations

STATIC_BATCH = 1


def batch1_model(model):
    """A Keras functional model over the *same* layer objects and weights with input batch fixed to 1."""
    import keras

    shape = tuple(model.inputs[0].shape[1:])
    inputs = keras.Input(batch_shape=(STATIC_BATCH, *shape), dtype="float32", name="input")
    return keras.Model(inputs, model(inputs), name=model.name)


def keras_converter(model, *, static_batch: bool = True):
    """`tf.lite.TFLiteConverter` for `model`: static batch 1 (devices), or its dynamic-batch twin."""
    import tensorflow as tf

    return tf.lite.TFLiteConverter.from_keras_model(batch1_model(model) if static_batch else model)
