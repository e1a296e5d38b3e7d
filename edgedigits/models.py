"""The seed blog's three CNNs, layer for layer (see ../shared/reference/seed-blog.md).

Each spec is plain data (a tuple of layer descriptions) so `edgedigits models` can describe the registry and
count parameters and MACs without importing TensorFlow; `build_model` turns a spec into a Keras model.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgedigits.data import IMAGE_SIZE, N_CLASSES
from edgedigits.errors import UsageError

INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)


@dataclass(frozen=True)
class Layer:
    kind: str  # "conv" | "pool" | "dropout" | "flatten" | "dense"
    name: str
    units: int = 0  # filters for conv, units for dense
    size: int = 0  # kernel size for conv, pool size for pool
    rate: float = 0.0  # dropout rate
    activation: str = "relu"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    blog_accuracy: float  # test accuracy the blog reports, in %
    target_accuracy: float  # the accuracy our default training must reach, in %
    layers: tuple[Layer, ...]


def _conv(name: str, filters: int) -> Layer:
    return Layer("conv", name, units=filters, size=3)


def _pool(name: str) -> Layer:
    return Layer("pool", name, size=2)


_HEAD = (Layer("dense", "output", units=N_CLASSES, activation="softmax"),)

MODELS: dict[str, ModelSpec] = {
    "v1": ModelSpec(
        "v1", "one conv layer, max pooling, softmax", 98.19, 98.2,
        (_conv("conv1", 16), _pool("pool1"), Layer("flatten", "flatten")) + _HEAD,
    ),
    "v2": ModelSpec(
        "v2", "four conv layers in two blocks, dense 128", 99.12, 99.1,
        (_conv("conv1", 16), _conv("conv2", 16), _pool("pool1"), _conv("conv3", 32), _conv("conv4", 32),
         _pool("pool2"), Layer("flatten", "flatten"), Layer("dense", "dense1", units=128)) + _HEAD,
    ),
    "v3": ModelSpec(
        "v3", "v2 plus dropout 0.25 after each block and the dense layer", 99.59, 99.5,
        (_conv("conv1", 16), _conv("conv2", 16), _pool("pool1"), Layer("dropout", "dropout1", rate=0.25),
         _conv("conv3", 32), _conv("conv4", 32), _pool("pool2"), Layer("dropout", "dropout2", rate=0.25),
         Layer("flatten", "flatten"), Layer("dense", "dense1", units=128), Layer("dropout", "dropout3", rate=0.25))
        + _HEAD,
    ),
}


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise UsageError(f"unknown model '{name}' (choose from {', '.join(MODELS)})") from None


@dataclass(frozen=True)
class LayerCost:
    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    macs: int  # multiply-accumulates per image


def layer_costs(spec: ModelSpec) -> list[LayerCost]:
    """Output shape, parameters and MACs of every layer, derived from the spec ('valid' padding, stride 1)."""
    height, width, channels = INPUT_SHAPE
    flat = 0
    costs = []
    for layer in spec.layers:
        params = macs = 0
        if layer.kind == "conv":
            height, width = height - layer.size + 1, width - layer.size + 1
            params = layer.size * layer.size * channels * layer.units + layer.units
            macs = height * width * layer.units * layer.size * layer.size * channels
            channels = layer.units
            shape = (height, width, channels)
        elif layer.kind == "pool":
            height, width = height // layer.size, width // layer.size
            shape = (height, width, channels)
        elif layer.kind == "flatten":
            flat = height * width * channels
            shape = (flat,)
        elif layer.kind == "dense":
            params = flat * layer.units + layer.units
            macs = flat * layer.units
            flat = layer.units
            shape = (flat,)
        else:  # dropout: identity at inference
            shape = (flat,) if flat else (height, width, channels)
        costs.append(LayerCost(layer.name, layer.kind, shape, params, macs))
    return costs


def count_params(spec: ModelSpec) -> int:
    return sum(cost.params for cost in layer_costs(spec))


def count_macs(spec: ModelSpec) -> int:
    return sum(cost.macs for cost in layer_costs(spec))


def build_model(spec: ModelSpec, *, dtype_policy: str | None = None):
    """The Keras model for `spec`; `dtype_policy` (e.g. "mixed_bfloat16") only affects training speed."""
    import keras

    def make(layer: Layer):
        kwargs = {"name": layer.name}
        if dtype_policy is not None:
            # The softmax head stays float32 so probabilities and the loss are computed at full precision.
            kwargs["dtype"] = "float32" if layer.activation == "softmax" else dtype_policy
        if layer.kind == "conv":
            return keras.layers.Conv2D(filters=layer.units, kernel_size=(layer.size, layer.size),
                                       activation=layer.activation, **kwargs)
        if layer.kind == "pool":
            return keras.layers.MaxPooling2D(pool_size=layer.size, **kwargs)
        if layer.kind == "dropout":
            return keras.layers.Dropout(layer.rate, **kwargs)
        if layer.kind == "flatten":
            return keras.layers.Flatten(**kwargs)
        return keras.layers.Dense(layer.units, activation=layer.activation, **kwargs)

    return keras.Sequential([keras.Input(shape=INPUT_SHAPE, name="input")] + [make(layer) for layer in spec.layers],
                            name=spec.name)
