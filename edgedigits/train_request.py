"""What one `train` asks for: the model's folder name, how to build it, and its settings. Shared by
`edgedigits train` and `edgedigits.train()`, so both accept and refuse the same models with the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from edgedigits.config import DEFAULT_EPOCHS, TrainConfig
from edgedigits.errors import UsageError

USER_EPOCHS = 10  # your own architecture without --epochs: the registry models converge within 7-16 epochs


@dataclass(frozen=True)
class TrainingPlan:
    name: str  # the model folder's name: the registry name, or the builder function's
    builder: Callable  # edgedigits.train.ModelBuilder
    config: TrainConfig
    registry: bool
    own_data: OwnData | None = None  # None: MNIST
    describe: str = ""  # how the user named the model, for messages


@dataclass(frozen=True)
class OwnData:
    """`train --train-data`: the user's labelled images and how pixels become the model's input."""

    train_data: str
    test_data: str | None = None
    labels: tuple[str, ...] | None = None  # None: 0-9 for a 10-class model
    pixel_scale: float = 1 / 255
    pixel_offset: float = 0.0
    channel_order: str = "rgb"

    def sets(self, model, *, describe: str, seed: int):
        """The TrainingSets for `model` (a built, untrained instance: its input shape and class count)."""
        from edgedigits.classifier import describe_classifier
        from edgedigits.data import LABELS
        from edgedigits.pixels import default_preprocessing
        from edgedigits.train import own_sets

        shape = describe_classifier(model, source=describe)
        labels = self.labels if self.labels is not None else (LABELS if shape.classes == 10 else None)
        if labels is None:
            raise UsageError(f"{describe}: the model has {shape.classes} classes; name them with --labels FILE")
        preprocessing = default_preprocessing(shape.input_shape, scale=self.pixel_scale, offset=self.pixel_offset,
                                              channel_order=self.channel_order)
        return own_sets(classes=shape.classes, labels=tuple(labels),
                        train_data=self.train_data, test_data=self.test_data, preprocessing=preprocessing, seed=seed)


def own_data_option(*, train_data: str | None, test_data: str | None = None,
                    labels: Path | str | Sequence[str] | None = None, pixel_scale: float = 1 / 255,
                    pixel_offset: float = 0.0, channel_order: str = "rgb") -> OwnData | None:
    """`train --train-data` and its companions as one OwnData (None: train on MNIST); `labels` a labels file or
    the labels. UsageError for a companion without --train-data or an unknown channel order."""
    from edgedigits.export_data import read_labels

    if train_data is None:
        if test_data is not None or labels is not None or (pixel_scale, pixel_offset, channel_order) != (
                1 / 255, 0.0, "rgb"):
            raise UsageError("--test-data, --labels, --pixel-scale, --pixel-offset and --channel-order go with "
                             "--train-data")
        return None
    if channel_order not in ("rgb", "bgr"):
        raise UsageError(f"--channel-order {channel_order}: choose rgb or bgr")
    if isinstance(labels, (str, Path)):
        labels = read_labels(Path(labels))
    return OwnData(train_data=train_data, test_data=test_data, labels=tuple(labels) if labels is not None else None,
                   pixel_scale=pixel_scale, pixel_offset=pixel_offset, channel_order=channel_order)

def plan_training(model: str | Callable[[], Any], *, epochs: int | None = None, settings: dict | None = None,
                  model_file: bool | None = None, own_data: OwnData | None = None) -> TrainingPlan:
    """`model`: a registry name, "FILE.py:FUNCTION" (loading runs FILE.py), or a function returning an uncompiled
    keras.Model; `model_file` says which a string is (None: FILE.py:FUNCTION if it has a ':' or ends in .py);
    `settings`: TrainConfig fields other than epochs. UsageError for an unknown name, or a user
    function named like a built-in model (its folder would be the built-in's)."""
    from edgedigits.models import MODELS, get_spec
    from edgedigits.sources import load_builder
    from edgedigits.train import registry_builder, user_builder

    settings = settings or {}
    if model_file is None:
        model_file = isinstance(model, str) and (":" in model or model.endswith(".py"))
    if isinstance(model, str) and not model_file:
        spec = get_spec(model)
        if own_data is not None:
            raise UsageError(f"--train-data is for your own architecture (--model-file); {spec.name} trains on MNIST")
        config = TrainConfig(epochs=DEFAULT_EPOCHS[spec.name] if epochs is None else epochs, **settings)
        return TrainingPlan(spec.name, registry_builder(spec), config, registry=True)
    if isinstance(model, str):
        (name, function), describe = load_builder(model), model
    elif callable(model):
        name, function = getattr(model, "__name__", type(model).__name__), model
        describe = f"{getattr(model, '__module__', '?')}.{getattr(model, '__qualname__', name)}"
    else:
        raise UsageError(f"model: give a registry name, FILE.py:FUNCTION or a function, not {type(model).__name__}")
    if name in MODELS:
        raise UsageError(f"--model-file {describe}: '{name}' is a built-in model's name; rename the function")
    config = TrainConfig(epochs=USER_EPOCHS if epochs is None else epochs, **settings)
    return TrainingPlan(name, user_builder(function, describe=describe, digits_only=own_data is None), config,
                        registry=False, own_data=own_data, describe=describe)
