"""int8-hostile digit models of the kinds users bring, each failing plain int8 for a different reason.

Used by the remedy tests and by benchmarks/remedies.py. Each builder returns a float32 Keras model trained
briefly (seeded) on the first `samples` MNIST training images. Nothing in edgedigits knows these models: the
remedies must find their fixes from the graph and the numbers alone.

- outlier:   one conv channel carries activations ~1000x the others (as happens after BatchNorm folding or
             with a badly scaled input channel). The float function is a trained CNN's, exactly: the channel's
             weights are multiplied by 1000 and the next layer's by 1/1000 across the ReLU. Per-tensor int8 of
             that activation crushes every other channel into a step or two.
- attention: a tiny patch transformer (LayerNormalization, MultiHeadAttention, GELU): int8 loses precision
             in normalisation and attention scores.
- heavy_tail: squared activations (x*x): a few huge values stretch the per-tensor range, and the many small
             ones that carry the answer round to zero. No channel is to blame: equalization cannot fix it by design.
- bn_gap:    BatchNorm + GlobalAveragePooling trained briefly (two epochs on 12,000 images, a first prototype
             at ~50 % accuracy): its answers are low-confidence, and int8 rounding flips the close ones.
"""

from __future__ import annotations

import numpy as np

OUTLIER_GAIN = 1000.0


def _fit(model, mnist, *, samples: int, epochs: int, seed: int, logits: bool = False):
    import keras
    import tensorflow as tf

    from edgedigits.data import scale

    # Same weights whatever ran before in the process (pytest's order, the benchmark): seeded, deterministic ops.
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()

    x = scale(mnist.x_train[:samples])
    y = keras.utils.to_categorical(mnist.y_train[:samples], 10)
    model.compile(optimizer=keras.optimizers.Adam(), metrics=["accuracy"],
                  loss=keras.losses.CategoricalCrossentropy(from_logits=logits))
    model.fit(x, y, epochs=epochs, batch_size=128, verbose=0, shuffle=True)
    return model


def outlier(mnist, *, samples: int = 20_000, epochs: int = 3, seed: int = 0):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(10, activation="softmax", name="output")(x)
    model = _fit(keras.Model(inputs, outputs, name="outlier"), mnist, samples=samples, epochs=epochs, seed=seed)
    # ReLU(a*z) = a*ReLU(z) for a > 0: the same function with one channel 1000x louder.
    conv1, conv2 = model.get_layer("conv1"), model.get_layer("conv2")
    kernel, bias = conv1.get_weights()
    channel = int(np.argmax(np.abs(kernel).reshape(-1, kernel.shape[-1]).max(0)))
    kernel[..., channel] *= OUTLIER_GAIN
    bias[channel] *= OUTLIER_GAIN
    conv1.set_weights([kernel, bias])
    kernel2, bias2 = conv2.get_weights()
    kernel2[:, :, channel, :] /= OUTLIER_GAIN
    conv2.set_weights([kernel2, bias2])
    return model


def attention(mnist, *, samples: int = 12_000, epochs: int = 3, seed: int = 0):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(32, 7, strides=7, name="patches")(inputs)  # 4x4 patches of 7x7 pixels
    x = layers.Reshape((16, 32), name="tokens")(x)
    y = layers.LayerNormalization(name="norm1")(x)
    y = layers.MultiHeadAttention(num_heads=2, key_dim=16, name="attention")(y, y)
    x = layers.Add(name="residual1")([x, y])
    y = layers.LayerNormalization(name="norm2")(x)
    y = layers.Dense(64, activation="gelu", name="mlp1")(y)
    y = layers.Dense(32, name="mlp2")(y)
    x = layers.Add(name="residual2")([x, y])
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = layers.Dense(10, activation="softmax", name="output")(x)
    return _fit(keras.Model(inputs, outputs, name="attention"), mnist, samples=samples, epochs=epochs, seed=seed)


def heavy_tail(mnist, *, samples: int = 12_000, epochs: int = 2, seed: int = 0):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
    x = layers.Multiply(name="square")([x, x])  # energy features: a few huge values, most near zero
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(10, activation="softmax", name="output")(x)
    return _fit(keras.Model(inputs, outputs, name="heavy_tail"), mnist, samples=samples, epochs=epochs, seed=seed)


def bn_gap(mnist, *, samples: int = 12_000, epochs: int = 2, seed: int = 0):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(16, 3, use_bias=False, name="conv1")(inputs)
    x = layers.BatchNormalization(momentum=0.9, name="bn1")(x)
    x = layers.ReLU(name="relu1")(x)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Conv2D(32, 3, use_bias=False, name="conv2")(x)
    x = layers.BatchNormalization(momentum=0.9, name="bn2")(x)
    x = layers.ReLU(name="relu2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(10, activation="softmax", name="output")(x)
    return _fit(keras.Model(inputs, outputs, name="bn_gap"), mnist, samples=samples, epochs=epochs, seed=seed)


HOSTILE = {"outlier": outlier, "attention": attention, "heavy_tail": heavy_tail, "bn_gap": bn_gap}
