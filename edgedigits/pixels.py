"""How pixels become the model's input: recorded in the manifest, applied by every loader, read by apps.

    input = pixel * scale + offset        (pixel: 0..255 per channel, channels in `channel_order`)

The default is the blog's pixel / 255 (scale 1/255, offset 0). `--pixel-scale 0.00784313725 --pixel-offset -1`
gives [-1, 1]; `--channel-order bgr` feeds OpenCV-style channels. Digit-shaped models (28x28x1) frame photos
with the MNIST recipe (`edgedigits.preprocess`); any other model resizes the whole image to its W x H with
Pillow's bilinear filter (RGB or gray first), documented in the manifest so an app can do the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgedigits.errors import UsageError

CHANNEL_ORDERS = ("rgb", "bgr")
MNIST_FRAMING = "digit fits a 20x20 box, centred by centre of mass in 28x28 (MNIST recipe)"
RESIZE_FRAMING = "whole image converted to {mode} and resized to {width}x{height} (Pillow bilinear)"


@dataclass(frozen=True)
class Preprocessing:
    shape: tuple[int, int, int]  # (H, W, C) of the model input
    scale: float = 1 / 255
    offset: float = 0.0
    channel_order: str = "rgb"  # 3-channel models only
    mnist_recipe: bool = True  # frame photos like MNIST (digit-shaped models) or resize them whole

    def __post_init__(self):
        if not np.isfinite(self.scale) or self.scale == 0 or not np.isfinite(self.offset):
            raise UsageError(f"--pixel-scale must be a non-zero number and --pixel-offset a number, got "
                             f"{self.scale} and {self.offset}")
        if self.channel_order not in CHANNEL_ORDERS:
            raise UsageError(f"--channel-order must be one of {', '.join(CHANNEL_ORDERS)}, got '{self.channel_order}'")

    @property
    def input_range(self) -> list[float]:
        ends = sorted((self.offset, 255 * self.scale + self.offset))
        return [float(ends[0]), float(ends[1])]

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 (or float 0..255) [N,H,W,C] in RGB/gray order -> float32 model input."""
        values = np.asarray(pixels, dtype=np.float32)
        if self.shape[2] == 3 and self.channel_order == "bgr":
            values = values[..., ::-1]
        if self.scale == 1 / 255 and self.offset == 0.0:
            return values / np.float32(255)  # bit-identical to the blog's x / 255
        return (values * np.float32(self.scale) + np.float32(self.offset)).astype(np.float32)

    def apply_unit(self, values: np.ndarray) -> np.ndarray:
        """Like `apply`, for pixels already divided by 255 (float [0,1], what the MNIST recipe produces): the
        default mapping keeps them bit for bit."""
        values = np.asarray(values, dtype=np.float32)
        if self.scale == 1 / 255 and self.offset == 0.0:
            return values[..., ::-1].copy() if self.shape[2] == 3 and self.channel_order == "bgr" else values
        return self.apply(values * np.float32(255))

    def to_pixels(self, inputs: np.ndarray) -> np.ndarray:
        """The inverse, for showing what the model saw: float32 input -> uint8 pixels in RGB/gray order."""
        values = (np.asarray(inputs, dtype=np.float64) - self.offset) / self.scale
        if self.shape[2] == 3 and self.channel_order == "bgr":
            values = values[..., ::-1]
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)

    def to_manifest(self) -> dict:
        height, width, channels = self.shape
        formula = "pixel / 255" if (self.scale, self.offset) == (1 / 255, 0.0) else \
            f"pixel * {self.scale:.9g} + {self.offset:.9g}"
        record = {"formula": formula, "scale": self.scale, "offset": self.offset, "input_range": self.input_range,
                  "shape": list(self.shape), "layout": "NHWC",
                  "channel_order": self.channel_order if channels == 3 else "gray"}
        if self.mnist_recipe:
            record |= {"polarity": "white digit on black background", "framing": MNIST_FRAMING}
        else:
            record |= {"framing": RESIZE_FRAMING.format(mode="RGB" if channels == 3 else "gray (luma)",
                                                        width=width, height=height)}
        return record

    @classmethod
    def from_manifest(cls, record: dict | None) -> "Preprocessing":
        """Read a manifest's record; manifests written before these keys existed are the blog's pixel / 255."""
        record = record or {}
        shape = tuple(int(d) for d in record.get("shape", (28, 28, 1)))
        order = record.get("channel_order", "rgb")
        return cls(shape=shape, scale=float(record.get("scale", 1 / 255)), offset=float(record.get("offset", 0.0)),
                   channel_order="rgb" if order == "gray" else order,
                   mnist_recipe=record.get("framing", MNIST_FRAMING) == MNIST_FRAMING)


def default_preprocessing(shape: tuple[int, int, int], **options) -> Preprocessing:
    """The MNIST recipe for digit-shaped inputs (28x28x1), whole-image resizing for any other shape."""
    return Preprocessing(shape=tuple(shape), mnist_recipe=tuple(shape) == (28, 28, 1), **options)
