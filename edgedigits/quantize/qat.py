"""Quantization-aware fine-tuning in Keras 3 itself, converted by the TFLite converter in QAT mode.

tensorflow-model-optimization does not support Keras 3, so the fake quantization is built here from
`keras.quantizers.fake_quant_with_min_max_vars`, which the TF backend lowers to the FakeQuantWithMinMaxVars
ops the converter recognises:
- every Conv2D kernel is fake-quantized per output channel, every Dense kernel per tensor (the converter
  transposes a Dense kernel for FULLY_CONNECTED and then refuses a per-channel axis: "mismatched quantized
  axes"), symmetric and narrow range ([-127, 127], zero point 0, as TFLite's int8 spec requires of weights),
  the range being the kernel's current max |w|;
- every layer's output (and the model's input) is fake-quantized per tensor over a range tracked as an
  exponential moving average of the batch min/max during training (the first batch sets it), except where the
  converter fuses the next op (a ReLU or BatchNormalization that alone reads the output), where the op keeps
  its input's scale (pooling by max, dropout, flatten, reshape) or where TFLite fixes the range itself (a
  softmax output: scale 1/256, zero point -128).
The rounding is in the forward pass and the straight-through gradient in the backward pass, so a few epochs at
a small learning rate move the weights to where int8 rounding hurts least. The fine-tuned model is converted
without a representative dataset: the converter reads every range from the FakeQuant ops (QAT mode) and
writes a full-integer file, which the search then verifies and runs in TFLite Micro like any other candidate.

Needs labelled training data: MNIST for 28x28x1 10-class models, else `--train-data`.
"""

from __future__ import annotations

from pathlib import Path


from edgedigits.quantize import TFLITE_INT8_FORMATS, RecipeJob, RecipeNotApplicable, Remedy, write_converted
from edgedigits.quantize.graph import consumers_of, input_layer_names

LEARNING_RATE = 1e-4  # fine-tuning: a tenth of Adam's default, so the trained function is kept
BATCH_SIZE = 128
EMA_MOMENTUM = 0.99
FUSED_NEXT = ("ReLU", "BatchNormalization")  # ops the converter folds into the layer before them
FUSED_ACTIVATIONS = ("relu", "relu6", "linear")  # activations TFLite fuses into CONV_2D / FULLY_CONNECTED
# Ops whose int8 output keeps its input's scale: a range of their own would put a DEQUANTIZE/QUANTIZE pair
# (a float round trip) after them (measured on v3: Dropout after MaxPooling).
SAME_SCALE = ("MaxPooling2D", "MaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling1D", "Dropout",
              "SpatialDropout2D", "Flatten", "Reshape", "ZeroPadding2D")


def _qat_layers():
    """The two Keras layers, defined on first use so importing this module does not import Keras."""
    import keras
    from keras import ops

    class ActivationFakeQuant(keras.layers.Layer):
        """Per-tensor int8 fake quantization over a moving-average [min, max] (always including 0)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.low = self.add_weight(shape=(), initializer="zeros", trainable=False, name="low")
            self.high = self.add_weight(shape=(), initializer="zeros", trainable=False, name="high")
            self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False, name="seen")

        def call(self, inputs, training=False):
            if training:
                low = ops.minimum(ops.min(inputs), 0.0)
                high = ops.maximum(ops.max(inputs), 0.0)
                first = ops.equal(self.seen, 0.0)
                self.low.assign(ops.where(first, low, EMA_MOMENTUM * self.low + (1 - EMA_MOMENTUM) * low))
                self.high.assign(ops.where(first, high, EMA_MOMENTUM * self.high + (1 - EMA_MOMENTUM) * high))
                self.seen.assign(1.0)
            return keras.quantizers.fake_quant_with_min_max_vars(inputs, self.low, self.high, num_bits=8)

    class QuantizedLayer(keras.layers.Layer):
        """A trained layer with fake-quantized kernel (Conv2D/Dense) and output, and optionally input."""

        def __init__(self, inner, *, quantize_input: bool, quantize_output: bool, **kwargs):
            super().__init__(name=f"qat_{inner.name}", **kwargs)
            self.inner = inner
            self.weighted = type(inner).__name__ in ("Conv2D", "Dense")
            self.input_quant = ActivationFakeQuant(name=f"{inner.name}_in") if quantize_input else None
            self.output_quant = ActivationFakeQuant(name=f"{inner.name}_out") if quantize_output else None
            # An activation the converter cannot fuse into the conv/dense (softmax, gelu, sigmoid, ...) is an op
            # of its own, and its input needs a range too.
            activation = getattr(getattr(inner, "activation", None), "__name__", "linear")
            self.softmax = activation == "softmax"
            self.pre_activation_quant = ActivationFakeQuant(name=f"{inner.name}_pre") \
                if self.weighted and activation not in FUSED_ACTIVATIONS else None

        def build(self, *args, **kwargs):
            self.built = True

        def _kernel(self):
            kernel = self.inner.kernel
            if type(self.inner).__name__ == "Dense":  # per tensor: see PER_TENSOR_DENSE
                limit = ops.maximum(ops.max(ops.abs(kernel)), 1e-8)
                return keras.quantizers.fake_quant_with_min_max_vars(kernel, -limit, limit, num_bits=8,
                                                                     narrow_range=True)
            limit = ops.maximum(ops.max(ops.abs(ops.reshape(kernel, (-1, kernel.shape[-1]))), axis=0), 1e-8)
            return keras.quantizers.fake_quant_with_min_max_vars(kernel, -limit, limit, num_bits=8,
                                                                 narrow_range=True, axis=-1)

        def call(self, *args, training=False, **kwargs):
            if self.input_quant is not None:
                args = (self.input_quant(args[0], training=training), *args[1:])
            if self.weighted:
                inputs = args[0]
                if type(self.inner).__name__ == "Conv2D":
                    outputs = self.inner.convolution_op(inputs, self._kernel())
                else:
                    outputs = ops.matmul(inputs, self._kernel())
                if self.inner.use_bias:
                    outputs = outputs + self.inner.bias
                if self.pre_activation_quant is not None:
                    outputs = self.pre_activation_quant(outputs, training=training)
                if self.inner.activation is not None:
                    outputs = self.inner.activation(outputs)
            else:
                outputs = self.inner(*args, **kwargs)
            if self.softmax:  # TFLite's fixed int8 softmax output: scale 1/256, zero point -128
                return keras.quantizers.fake_quant_with_min_max_vars(outputs, 0.0, 255 / 256, num_bits=8)
            if self.output_quant is not None:
                outputs = self.output_quant(outputs, training=training)
            return outputs

    return ActivationFakeQuant, QuantizedLayer


def qat_model(model):
    """A fake-quantized twin of `model` (its own copy of the weights) and its ActivationFakeQuant layers."""
    import keras

    ActivationFakeQuant, QuantizedLayer = _qat_layers()
    try:
        twin = keras.models.clone_model(model)
    except Exception as err:
        raise RecipeNotApplicable(f"qat needs a functional or Sequential Keras model ({str(err)[:120]})") from None
    twin.set_weights(model.get_weights())
    input_names = input_layer_names(twin)
    unsupported = sorted({type(layer).__name__ for layer in twin.layers
                          if type(layer).__name__ in ("DepthwiseConv2D", "SeparableConv2D", "Conv1D", "Conv3D")})
    if unsupported:
        raise RecipeNotApplicable(f"qat: no fake-quantized kernel for {', '.join(unsupported)} yet")

    consumers = consumers_of(twin)

    def wrap(layer):
        feeds_on_input = any(parent.operation.name in input_names
                             for node in layer._inbound_nodes for parent in node.parent_nodes)
        readers = consumers.get(layer.name, [])
        fused_next = len(readers) == 1 and type(readers[0]).__name__ in FUSED_NEXT
        same_scale = type(layer).__name__ in SAME_SCALE
        return QuantizedLayer(layer, quantize_input=feeds_on_input, quantize_output=not (fused_next or same_scale))

    quantized = keras.models.clone_model(twin, clone_function=wrap)
    quantizers = [layer for wrapper in quantized.layers if isinstance(wrapper, QuantizedLayer)
                  for layer in (wrapper.input_quant, wrapper.output_quant) if layer is not None]
    return quantized, quantizers


def fine_tune(model, training, *, epochs: int, seed: int, logits: bool,
              on_progress=None) -> tuple[object, list[dict]]:
    import keras

    keras.utils.set_random_seed(seed)
    quantized, _ = qat_model(model)
    quantized.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=logits), metrics=["accuracy"])
    history: list[dict] = []

    class _Progress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            history.append({"epoch": epoch + 1, "loss": round(float(logs.get("loss", float("nan"))), 4),
                            "accuracy": round(float(logs.get("accuracy", float("nan"))) * 100, 2)})
            if on_progress is not None:
                on_progress(f"qat epoch {epoch + 1}/{epochs}: loss {history[-1]['loss']:.4f}, "
                            f"train accuracy {history[-1]['accuracy']:.2f}%")

    quantized.fit(training.images, training.labels, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True,
                  verbose=0, callbacks=[_Progress()])
    return quantized, history


def make(job: RecipeJob, destination: Path) -> dict:
    import tensorflow as tf

    from edgedigits.artifacts.tflite_converter import keras_converter
    from edgedigits.classifier import LOGITS, describe_classifier

    training = job.training()
    if training is None:
        raise RecipeNotApplicable("qat needs labelled training data (MNIST fits 28x28x1 10-class models; "
                                  "else --train-data)")
    model = job.context.model
    logits = describe_classifier(model, source=model.name).output == LOGITS
    quantized, history = fine_tune(model, training, epochs=job.qat_epochs,
                                   seed=job.seed, logits=logits, on_progress=job.on_progress)
    converter = keras_converter(quantized)
    # No representative dataset: QAT mode. supported_ops stays the default: TFLITE_BUILTINS_INT8 without a
    # representative dataset is refused by the converter's own metrics hook before it looks for FakeQuant ops,
    # so full-integer is checked on the result instead.
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    write_converted(converter, destination, io_type=None if job.float_io else "int8", recipe="qat")
    floating = float_operators(destination, float_io=job.float_io)
    if floating:
        raise RecipeNotApplicable(f"qat: the converted file is not full-integer ({', '.join(floating[:4])} "
                                  "left in float)")
    return {"entry": {"calibration": job.context.calibration | {
                "method": "quantization-aware fine-tuning; activation ranges from FakeQuant ops, not the sample"}},
            "epochs": job.qat_epochs, "seed": job.seed, "learning_rate": LEARNING_RATE, "history": history,
            "train_data": training.record}


def float_operators(path: Path, *, float_io: bool) -> list[str]:
    """Operators computing in float (besides the QUANTIZE/DEQUANTIZE edges of a float-I/O file)."""
    from edgedigits.tflite_graph import read_tflite_graph

    edges = ("QUANTIZE#", "DEQUANTIZE#") if float_io else ()
    return [op for op in read_tflite_graph(path).float_ops() if not op.startswith(edges)]


REMEDY = Remedy(name="qat", summary="quantization-aware fine-tuning (Keras 3 fake quant), QAT-mode conversion",
                formats=TFLITE_INT8_FORMATS, make=make, needs_training_data=True)
