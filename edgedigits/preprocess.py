"""The MNIST recipe for real images: any photo or drawing of one digit -> float32 [28,28,1] in [0,1].

One function (`preprocess_image`) used by `predict`, `bench --data` and every runtime, so all formats see the
same pixels. The steps, precise enough for an app to reimplement them:

1. Decode safely (`load_image`): refuse files that are not images, animated (multi-frame) images, zero-sized
   images, and images over MAX_PIXELS *before* decoding any pixel. Apply the EXIF orientation (phone photos).
2. Grayscale in [0,1] (`to_grayscale`): 8-bit modes via Pillow's luma L = (299 R + 587 G + 114 B) / 1000,
   divided by 255; 16-bit by 65535. Transparency (RGBA, LA, palette with transparency) is composited on
   white when the visible strokes are dark and on black when they are light, so a drawing on a transparent
   canvas keeps its strokes whatever their colour.
3. Shrink very large images by an integer box average until the longer side is <= WORK_SIDE (speed only).
4. Polarity: the background level is the median of the outermost rows and columns. If it is above 0.5
   (light paper), invert: x = 1 - x. MNIST digits are white on black.
5. Normalise: x = clip((x - background) / (max(x) - background), 0, 1). An image without contrast
   (max - background < MIN_CONTRAST) has no digit: DataError.
6. Crop to the bounding box of the ink, the pixels with x > INK_THRESHOLD.
7. Scale the crop (bilinear on floats, clipped to [0,1]) so its longer side is 20 px; the shorter side is
   max(1, floor(side * 20 / longer + 0.5)) so the aspect ratio is kept.
8. Paste into a black 28x28 frame so the centre of mass of the scaled crop lands on the frame centre:
   with (cy, cx) the intensity-weighted mean row/column index of the crop, the top-left corner is
   (floor(14 - cy), floor(14 - cx)) (pixel i spans [i, i+1], so index c is at c + 0.5 and the centre is 14),
   clamped so the crop stays inside the frame.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from edgedigits.errors import DataError

if TYPE_CHECKING:  # Pillow is imported lazily: `edgedigits --help` must not pay for it
    from PIL import Image

MAX_PIXELS = 40_000_000  # refuse larger images before decoding (a 20k x 20k PNG would need 1.6 GB as float)
WORK_SIDE = 1024  # step 3: larger images are box-reduced to at most this longer side
INK_THRESHOLD = 0.2  # step 6: normalised intensity above which a pixel counts as ink
MIN_CONTRAST = 0.1  # step 5: below this the image is blank
FRAME = 28  # MNIST frame side
BOX = 20  # MNIST digits fit a 20x20 box inside the frame


def load_image(path: Path) -> "Image.Image":
    """Open and decode one still image, refusing anything unsafe or unusable with a one-line DataError."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: image file not found")
    try:
        with warnings.catch_warnings():
            # Pillow only *warns* between 89 and 179 Mpx; our own limit below is stricter.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)  # reads the header only
    except UnidentifiedImageError:
        raise DataError(f"{path}: not an image Pillow can read (PNG, JPEG, BMP, GIF, TIFF, WebP …)") from None
    except Image.DecompressionBombError:
        raise DataError(f"{path}: image too large (over {MAX_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise DataError(f"{path}: cannot read image ({_first_line(err)})") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise DataError(f"{path}: image has zero size ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise DataError(f"{path}: image too large ({width}x{height} = {width * height:,} pixels, "
                        f"limit {MAX_PIXELS:,})")
    if getattr(image, "is_animated", False):
        raise DataError(f"{path}: animated image with {getattr(image, 'n_frames', 'several')} frames; "
                        "give a single still image")
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise DataError(f"{path}: cannot decode image ({_first_line(err)})") from None


def to_grayscale(image: "Image.Image") -> np.ndarray:
    """Step 2: any Pillow image -> float32 [H,W] in [0,1] (see the module docstring for the rules)."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        values = np.asarray(image, dtype=np.float64)
        # Pillow opens 16-bit PNGs as "I" in some versions: values above 255 mean a 16-bit range.
        full_scale = 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        return np.clip(values / full_scale, 0, 1).astype(np.float32)
    if mode == "F":
        values = np.asarray(image, dtype=np.float32)
        return np.clip(values / 255 if values.max(initial=0) > 1 else values, 0, 1).astype(np.float32)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info)
    if not has_alpha:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255
    rgba = image.convert("RGBA")
    luma = np.asarray(rgba.convert("L"), dtype=np.float32) / 255
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255
    if alpha.sum() == 0:
        return np.ones_like(luma)  # fully transparent: blank paper (rejected later as "no digit")
    strokes_are_light = float((luma * alpha).sum() / alpha.sum()) > 0.5
    paper = 0.0 if strokes_are_light else 1.0
    return (luma * alpha + paper * (1 - alpha)).astype(np.float32)


def _box_reduce(gray: np.ndarray) -> np.ndarray:
    """Step 3: integer box average so the longer side is <= WORK_SIDE (keeps memory and time small)."""
    factor = math.ceil(max(gray.shape) / WORK_SIDE)
    if factor <= 1:
        return gray
    height, width = (gray.shape[0] // factor) * factor, (gray.shape[1] // factor) * factor
    if height == 0 or width == 0:  # an extreme strip (e.g. 1 x 50,000): keep at least one block
        factor = min(gray.shape)
        height, width = (gray.shape[0] // factor) * factor, (gray.shape[1] // factor) * factor
    blocks = gray[:height, :width].reshape(height // factor, factor, width // factor, factor)
    return blocks.mean(axis=(1, 3), dtype=np.float64).astype(np.float32)


def _border_median(gray: np.ndarray) -> float:
    border = np.concatenate([gray[0, :], gray[-1, :], gray[:, 0], gray[:, -1]])
    return float(np.median(border))


def mnist_frame(gray: np.ndarray, *, name: str = "image") -> np.ndarray:
    """Steps 3-8: grayscale float [H,W] in [0,1] -> float32 [28,28,1], white digit centred on black."""
    from PIL import Image

    gray = _box_reduce(np.asarray(gray, dtype=np.float32))
    background = _border_median(gray)
    if background > 0.5:
        gray, background = 1.0 - gray, 1.0 - background
    contrast = float(gray.max()) - background
    if contrast < MIN_CONTRAST:
        raise DataError(f"{name}: no digit found (image has no contrast against its background)")
    normalised = np.clip((gray - background) / contrast, 0, 1).astype(np.float32)

    rows, cols = np.nonzero(normalised > INK_THRESHOLD)
    crop = normalised[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    height, width = crop.shape
    longer = max(height, width)
    new_height, new_width = (max(1, math.floor(side * BOX / longer + 0.5)) for side in (height, width))
    resized = Image.fromarray(crop).resize((new_width, new_height), Image.Resampling.BILINEAR)
    digit = np.clip(np.asarray(resized, dtype=np.float32), 0, 1)

    total = float(digit.sum())
    centre_row = float((digit.sum(axis=1) * np.arange(new_height)).sum() / total)
    centre_col = float((digit.sum(axis=0) * np.arange(new_width)).sum() / total)
    top = min(max(math.floor(FRAME / 2 - centre_row), 0), FRAME - new_height)
    left = min(max(math.floor(FRAME / 2 - centre_col), 0), FRAME - new_width)
    frame = np.zeros((FRAME, FRAME), dtype=np.float32)
    frame[top:top + new_height, left:left + new_width] = digit
    return frame[:, :, np.newaxis]


def preprocess_pil(image: "Image.Image", *, name: str = "image") -> np.ndarray:
    """A decoded Pillow image -> float32 [28,28,1] in [0,1] (steps 2-8)."""
    return mnist_frame(to_grayscale(image), name=name)


def preprocess_array(array: np.ndarray, *, name: str = "array") -> np.ndarray:
    """An in-memory image -> float32 [28,28,1]: [H,W] gray (uint8, uint16, or float in [0,1]) or [H,W,3|4] uint8."""
    from PIL import Image

    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2 and array.dtype.kind == "f":
        if array.size == 0:
            raise DataError(f"{name}: image has zero size {list(array.shape)}")
        return mnist_frame(np.clip(array, 0, 1), name=name)
    if array.ndim == 2 and array.dtype == np.uint16:
        return mnist_frame(array.astype(np.float32) / 65535, name=name)
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise DataError(f"{name}: expected [H,W] gray or [H,W,3|4] uint8, got {array.dtype} {list(array.shape)}")
    if 0 in array.shape:
        raise DataError(f"{name}: image has zero size {list(array.shape)}")
    return preprocess_pil(Image.fromarray(array), name=name)


def preprocess_image(path: Path) -> np.ndarray:
    """An image file -> float32 [28,28,1] in [0,1], the input every edgedigits model expects."""
    return preprocess_pil(load_image(path), name=str(path))


def save_frame_png(frame: np.ndarray, destination: Path) -> None:
    """Write a [28,28,1] frame as an 8-bit PNG (what the model saw), atomically."""
    from PIL import Image

    from edgedigits.fileio import atomic_path

    pixels = np.round(np.clip(frame[:, :, 0], 0, 1) * 255).astype(np.uint8)
    with atomic_path(Path(destination)) as tmp:
        Image.fromarray(pixels).save(tmp, format="PNG")


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__
