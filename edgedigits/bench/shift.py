"""Seeded, perturbed copies of an image set, for parity under distribution shift.

Quantization errors concentrate off the training distribution, so an int8 model that matches Keras on clean
test digits may not on noisy, rotated or off-centre ones. Every shift is a pure function of (images, seed):
two bench runs see exactly the same perturbed pixels.
"""

from __future__ import annotations

import numpy as np

from edgedigits.config import SHIFT_KINDS, BenchConfig
from edgedigits.errors import UsageError


def _value_range(images: np.ndarray) -> tuple[float, float]:
    """The data's own range: [0, 1] for pixel/255, [-1, 1] for a [-1, 1] model; the low end is the background
    a shifted-in border gets (black paper of MNIST digits)."""
    return float(images.min(initial=0.0)), float(images.max(initial=1.0))


def gaussian_noise(images: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    low, high = _value_range(images)
    noisy = images + (rng.normal(0.0, sigma, size=images.shape) * (high - low)).astype(np.float32)
    return np.clip(noisy, low, high).astype(np.float32)


def rotate(images: np.ndarray, rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    from scipy import ndimage

    low, high = _value_range(images)
    angles = rng.uniform(-max_degrees, max_degrees, size=len(images))
    out = np.empty_like(images)
    for i, angle in enumerate(angles):
        # In the (H, W) plane, every channel alike; reshape=False keeps the size; order=1 (bilinear) stays in range.
        out[i] = ndimage.rotate(images[i], angle, axes=(1, 0), reshape=False, order=1, mode="constant", cval=low)
    return np.clip(out, low, high)


def translate(images: np.ndarray, rng: np.random.Generator, max_pixels: int) -> np.ndarray:
    from scipy import ndimage

    low, _ = _value_range(images)
    offsets = rng.integers(-max_pixels, max_pixels + 1, size=(len(images), 2))
    out = np.empty_like(images)
    for i, (dy, dx) in enumerate(offsets):
        out[i] = ndimage.shift(images[i], (int(dy), int(dx), 0), order=0, mode="constant", cval=low)
    return out


def validate_shifts(shifts: tuple[str, ...]) -> None:
    unknown = [kind for kind in shifts if kind not in SHIFT_KINDS]
    if unknown:
        raise UsageError(f"--shift: unknown kind '{unknown[0]}' (choose from {', '.join(SHIFT_KINDS)})")


def shifted(images: np.ndarray, kind: str, *, config: BenchConfig) -> np.ndarray:
    """A perturbed copy of `images` (float32 [N,H,W,C], the model's input); seeded by config.shift_seed and kind."""
    validate_shifts((kind,))
    # One independent stream per kind, so adding a kind never changes another kind's pixels.
    rng = np.random.default_rng([config.shift_seed, SHIFT_KINDS.index(kind)])
    if kind == "noise":
        return gaussian_noise(images, rng, config.noise_sigma)
    if kind == "rotate":
        return rotate(images, rng, config.max_rotation_deg)
    return translate(images, rng, config.max_translation_px)
