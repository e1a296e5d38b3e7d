"""The MNIST recipe for real images: any photo or drawing of one digit -> float32 [28,28,1] in [0,1].

One function (`preprocess_image`) used by `predict`, `bench --data` and every runtime, so all formats see the
same pixels. The steps, precise enough for an app to reimplement them:

1. Decode safely (`load_image`): refuse files that are not images, animated (multi-frame) images, zero-sized
   images, and images over MAX_PIXELS *before* decoding any pixel. Apply the EXIF orientation (phone photos).
2. Grayscale in [0,1] (`rgba_to_grayscale`; every 8-bit mode is first converted to RGBA): the integer luma
   L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (ITU-R 601, exactly Pillow's "L" conversion), divided by
   255; 16-bit images by 65535. Transparency is composited on white when the visible strokes are dark and on
   black when they are light (mean of L weighted by alpha above 0.5), so a drawing on a transparent canvas
   keeps its strokes whatever their colour.
3. Shrink very large images by an integer box average until the longer side is <= WORK_SIDE (speed only).
4. Polarity: the background level is the median of the outermost rows and columns. If it is above 0.5
   (light paper), invert: x = 1 - x. MNIST digits are white on black.
5. Normalise: x = clip((x - background) / (max(x) - background), 0, 1). An image without contrast
   (max - background < MIN_CONTRAST) has no digit: DataError.
6. Crop to the bounding box of the ink, the pixels with x > INK_THRESHOLD.
7. Scale the crop so its longer side is 20 px; the shorter side is max(1, floor(side * 20 / longer + 0.5)) so
   the aspect ratio is kept. The filter (`resize_triangle`) is a separable triangle (bilinear) filter whose
   support widens with the shrink factor, so every source pixel counts (Pillow's BILINEAR, written out so
   Kotlin, Swift and JS compute the same numbers): per axis, scale = in / out, support = max(scale, 1); output
   pixel i has centre c = (i + 0.5) * scale and reads source pixels j in [max(floor(c - support + 0.5), 0),
   min(floor(c + support + 0.5), in)) with weight max(0, 1 - |(j - c + 0.5) / support|), normalised to sum 1.
   Rows are resized first, then columns, accumulating in double precision; the result is clipped to [0,1].
8. Paste into a black 28x28 frame so the centre of mass of the scaled crop lands on the frame centre:
   with (cy, cx) the intensity-weighted mean row/column index of the crop (in double precision), the top-left corner is
   (floor(14 - cy), floor(14 - cx)) (pixel i spans [i, i+1], so index c is at c + 0.5 and the centre is 14),
   clamped so the crop stays inside the frame.

The generated app code (Kotlin, Swift, JavaScript: edgedigits/embed/templates/) mirrors steps 2-8 line for
line from 8-bit RGBA pixels; `preprocess_rgba` is the Python twin it is tested against (golden preprocessing
vectors in every bundle).
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
    if mode == "L":
        return np.asarray(image, dtype=np.float32) / 255  # the luma of gray R = G = B is the gray value itself
    return rgba_to_grayscale(np.asarray(image.convert("RGBA"), dtype=np.uint8))


def rgba_to_grayscale(rgba: np.ndarray) -> np.ndarray:
    """Step 2 on 8-bit pixels: uint8 [H,W,4] RGBA -> float32 [H,W] in [0,1], transparency composited on paper."""
    rgba = rgba.astype(np.int64)
    luma8 = (19595 * rgba[..., 0] + 38470 * rgba[..., 1] + 7471 * rgba[..., 2] + 32768) >> 16
    luma = luma8.astype(np.float32) / np.float32(255)
    if (rgba[..., 3] == 255).all():
        return luma
    alpha = rgba[..., 3].astype(np.float32) / np.float32(255)
    if alpha.sum() == 0:
        return np.ones_like(luma)  # fully transparent: blank paper (rejected later as "no digit")
    strokes_are_light = float((luma.astype(np.float64) * alpha).sum() / alpha.astype(np.float64).sum()) > 0.5
    paper = np.float32(0.0 if strokes_are_light else 1.0)
    return (luma * alpha + paper * (np.float32(1) - alpha)).astype(np.float32)


def _triangle_weights(in_size: int, out_size: int) -> np.ndarray:
    """Step 7's filter for one axis as a dense float64 [out, in] matrix (each row sums to 1)."""
    scale = in_size / out_size
    support = max(scale, 1.0)
    weights = np.zeros((out_size, in_size), dtype=np.float64)
    for i in range(out_size):
        centre = (i + 0.5) * scale
        first = max(math.floor(centre - support + 0.5), 0)
        last = min(math.floor(centre + support + 0.5), in_size)
        taps = np.arange(first, last, dtype=np.float64)
        row = np.maximum(0.0, 1.0 - np.abs((taps - centre + 0.5) / support))
        total = row.sum()
        weights[i, first:last] = row / total if total > 0 else 0.0
    return weights


def resize_triangle(image: np.ndarray, new_height: int, new_width: int) -> np.ndarray:
    """Step 7: float32 [H,W] -> float32 [new_height,new_width] with the documented triangle filter; rows
    (horizontal pass) first, stored as float32, then columns, as the app mirrors do."""
    horizontal = (image.astype(np.float64) @ _triangle_weights(image.shape[1], new_width).T).astype(np.float32)
    vertical = _triangle_weights(image.shape[0], new_height) @ horizontal.astype(np.float64)
    return np.clip(vertical, 0, 1).astype(np.float32)


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
    digit = resize_triangle(crop, new_height, new_width)

    mass = digit.astype(np.float64)
    total = float(mass.sum())
    centre_row = float((mass.sum(axis=1) * np.arange(new_height)).sum() / total)
    centre_col = float((mass.sum(axis=0) * np.arange(new_width)).sum() / total)
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


def preprocess_rgba(rgba: np.ndarray, *, name: str = "pixels") -> np.ndarray:
    """8-bit RGBA pixels uint8 [H,W,4] -> float32 [28,28,1]: steps 2-8, exactly what the generated Kotlin
    `MnistPreprocess.toModelInput`, Swift `MnistPreprocess.toModelInput` and the web page's JS compute."""
    rgba = np.asarray(rgba)
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4 or 0 in rgba.shape:
        raise DataError(f"{name}: expected uint8 [H,W,4] RGBA pixels, got {rgba.dtype} {list(rgba.shape)}")
    return mnist_frame(rgba_to_grayscale(rgba), name=name)


def preprocess_image(path: Path) -> np.ndarray:
    """An image file -> float32 [28,28,1] in [0,1], the input every edgedigits model expects."""
    return preprocess_pil(load_image(path), name=str(path))


def resized_unit_pixels(image: "Image.Image", shape: tuple[int, int, int]) -> np.ndarray:
    """Any other model's recipe: the whole image as RGB (or gray luma), resized to W x H with Pillow's bilinear
    filter, as float32 [H,W,C] pixels / 255."""
    from PIL import Image

    height, width, channels = shape
    mode = "RGB" if channels == 3 else "L"
    resized = image.convert(mode).resize((width, height), Image.Resampling.BILINEAR)
    return (np.asarray(resized, dtype=np.float32) / 255).reshape(height, width, channels)


def image_unit_pixels(path: Path, preprocessing) -> np.ndarray:
    """An image file -> float32 [H,W,C] pixels / 255 through the model's recipe (`preprocessing.mnist_recipe`:
    the MNIST framing above, else `resized_unit_pixels`); `Preprocessing.apply_unit` maps them to the input."""
    if preprocessing.mnist_recipe:
        return preprocess_image(path)
    return resized_unit_pixels(load_image(path), preprocessing.shape)


def save_frame_png(frame: np.ndarray, destination: Path) -> None:
    """Write a [28,28,1] frame as an 8-bit PNG (what the model saw), atomically."""
    from PIL import Image

    from edgedigits.fileio import atomic_path

    pixels = np.round(np.clip(frame, 0, 1) * 255).astype(np.uint8)
    pixels = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
    with atomic_path(Path(destination)) as tmp:
        Image.fromarray(pixels).save(tmp, format="PNG")


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__
