"""Seeded, perturbed copies of an image set, for parity under distribution shift.

Quantization errors concentrate off the training distribution, so an int8 model that matches Keras on clean
test digits may not on noisy, rotated or off-centre ones. Every shift is a pure function of (images, seed):
two bench runs see exactly the same perturbed pixels.
"""

from __future__ import annotations

import numpy as np

from edgedigits.config import SHIFT_KINDS, BenchConfig
from edgedigits.errors import UsageError


def gaussian_noise(images: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    noisy = images + rng.normal(0.0, sigma, size=images.shape).astype(np.float32)
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


def rotate(images: np.ndarray, rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    from scipy import ndimage

    angles = rng.uniform(-max_degrees, max_degrees, size=len(images))
    out = np.empty_like(images)
    for i, angle in enumerate(angles):
        # reshape=False keeps 28x28; order=1 (bilinear) keeps values within [0, 1].
        out[i, :, :, 0] = ndimage.rotate(images[i, :, :, 0], angle, reshape=False, order=1, mode="constant")
    return np.clip(out, 0.0, 1.0)


def translate(images: np.ndarray, rng: np.random.Generator, max_pixels: int) -> np.ndarray:
    from scipy import ndimage

    offsets = rng.integers(-max_pixels, max_pixels + 1, size=(len(images), 2))
    out = np.empty_like(images)
    for i, (dy, dx) in enumerate(offsets):
        out[i, :, :, 0] = ndimage.shift(images[i, :, :, 0], (int(dy), int(dx)), order=0, mode="constant")
    return out


def validate_shifts(shifts: tuple[str, ...]) -> None:
    unknown = [kind for kind in shifts if kind not in SHIFT_KINDS]
    if unknown:
        raise UsageError(f"--shift: unknown kind '{unknown[0]}' (choose from {', '.join(SHIFT_KINDS)})")


def shifted(images: np.ndarray, kind: str, *, config: BenchConfig) -> np.ndarray:
    """A perturbed copy of `images` (float32 [N,28,28,1] in [0,1]); seeded by config.shift_seed and the kind."""
    validate_shifts((kind,))
    # One independent stream per kind, so adding a kind never changes another kind's pixels.
    rng = np.random.default_rng([config.shift_seed, SHIFT_KINDS.index(kind)])
    if kind == "noise":
        return gaussian_noise(images, rng, config.noise_sigma)
    if kind == "rotate":
        return rotate(images, rng, config.max_rotation_deg)
    return translate(images, rng, config.max_translation_px)
