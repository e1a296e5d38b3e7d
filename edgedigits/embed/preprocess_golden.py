"""Golden preprocessing vectors: photo-like digit images and what `edgedigits.preprocess.preprocess_rgba` makes
of them, so every bundle's generated preprocessing (Kotlin, Swift, JavaScript) can be tested against Python.

The images are built deterministically (seeded noise) from MNIST test digits: ink and paper colours, both
polarities, uneven lighting, a transparent drawing canvas with dark and with light strokes, a semi-transparent
photo, landscape, portrait and thumbnail sizes. None of them needs step 1 (decoding) or step 3 (only images
over WORK_SIDE are box-reduced), which are platform code.

Files a bundle ships (`golden_files`), all little-endian, cases in the order of the index:
  preprocess_golden.txt            one line per case: `<name> <width> <height>` (ASCII, '\n'-terminated)
  preprocess_golden_rgba.bin       the cases' 8-bit RGBA pixels, concatenated: width*height*4 bytes each,
                                   row-major, bytes R, G, B, A (non-premultiplied)
  preprocess_golden_expected.bin   float32 [cases, 28, 28]: preprocess_rgba's output, row-major

Models that resize whole images (any shape but 28x28x1, `Preprocessing.mnist_recipe` False) get their own cases
in the same three files (`pixel_mapping_cases`): images already at the model's W x H, and what the manifest's
pixel mapping makes of them, float32 [cases, H, W, C]. Resizing itself is the app's job there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

SEED = 12  # the noise of every case; change it and every bundle's golden files change
INDEX_FILE = "preprocess_golden.txt"
RGBA_FILE = "preprocess_golden_rgba.bin"
EXPECTED_FILE = "preprocess_golden_expected.bin"
FILES = (INDEX_FILE, RGBA_FILE, EXPECTED_FILE)
# Per-pixel |generated - Python| a bundle's preprocessing test allows. The generated code mirrors the Python
# arithmetic (float32 where it uses float32), so it differs only where numpy/BLAS sum in another order:
# ~1e-7 measured on the JVM; the margin covers other summation orders and math libraries.
TOLERANCE = 1e-5


@dataclass(frozen=True)
class PreprocessCase:
    name: str
    rgba: np.ndarray  # uint8 [H,W,4]
    expected: np.ndarray  # float32 [28,28]: preprocess_rgba(rgba)[:, :, 0]; pixel mapping cases: [H,W,C]
    label: int  # the MNIST digit it was drawn from (pixel mapping cases: the golden label, -1 for noise)

    @property
    def width(self) -> int:
        return int(self.rgba.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])


# (name, MNIST test index, (row, col) magnification, canvas (height, width), offset (row, col) of the digit)
_LAYOUTS = (
    ("pencil_on_paper", 0, (3, 3), (96, 112), (4, 18)),
    ("blue_pen_landscape", 1, (4, 4), (120, 160), (6, 40)),
    ("chalk_on_blackboard", 2, (3, 3), (90, 90), (3, 3)),
    ("stretched_white_on_black_portrait", 3, (3, 1), (100, 48), (8, 10)),
    ("transparent_canvas_dark_strokes", 4, (2, 2), (56, 56), (0, 0)),
    ("transparent_canvas_light_strokes", 5, (2, 2), (48, 64), (-4, 6)),
    ("semi_transparent_photo", 6, (2, 3), (64, 96), (2, 4)),
    ("thumbnail", 7, (1, 1), (16, 18), (1, 2)),
)


def _ink(digit: np.ndarray, magnify: tuple[int, int], canvas: tuple[int, int], offset: tuple[int, int]) -> np.ndarray:
    """float64 [H,W] in [0,1]: the MNIST digit magnified (nearest, then a 3x3 box blur for soft edges) and
    placed on an empty canvas at `offset` (cut where it leaves the canvas). A thumbnail halves the digit."""
    ink = digit.astype(np.float64) / 255
    if magnify == (1, 1):  # thumbnail: a 2x2 box average, 14x14
        ink = ink.reshape(14, 2, 14, 2).mean(axis=(1, 3))
    else:
        ink = np.kron(ink, np.ones(magnify))
        padded = np.pad(ink, 1)
        ink = sum(padded[r:r + ink.shape[0], c:c + ink.shape[1]] for r in range(3) for c in range(3)) / 9
    out = np.zeros(canvas)
    top, left = offset
    rows = slice(max(top, 0), min(top + ink.shape[0], canvas[0]))
    cols = slice(max(left, 0), min(left + ink.shape[1], canvas[1]))
    out[rows, cols] = ink[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left]
    return out


def _paint(ink: np.ndarray, paper: tuple, pen: tuple, *, noise: float, rng, lighting: float = 0.0) -> np.ndarray:
    """float64 [H,W,3] in [0,255]: `pen` colour over `paper` by ink coverage, a left-to-right lighting falloff
    and Gaussian sensor noise."""
    light = 1.0 - lighting * np.linspace(0, 1, ink.shape[1])[np.newaxis, :, np.newaxis]
    colour = np.asarray(paper, float) * (1 - ink[..., None]) + np.asarray(pen, float) * ink[..., None]
    return colour * light + rng.normal(0, noise, colour.shape)


def _rgba(rgb: np.ndarray, alpha: np.ndarray | float = 255) -> np.ndarray:
    alpha = np.broadcast_to(np.asarray(alpha, float), rgb.shape[:2])
    return np.clip(np.round(np.dstack([rgb, alpha])), 0, 255).astype(np.uint8)


def _image(name: str, ink: np.ndarray, rng) -> np.ndarray:
    if name == "pencil_on_paper":
        return _rgba(_paint(ink, (236, 232, 224), (70, 70, 80), noise=4, rng=rng))
    if name == "blue_pen_landscape":
        return _rgba(_paint(ink, (246, 238, 212), (30, 52, 160), noise=6, rng=rng, lighting=0.08))
    if name == "chalk_on_blackboard":
        return _rgba(_paint(ink, (38, 66, 48), (228, 230, 220), noise=8, rng=rng))
    if name == "stretched_white_on_black_portrait":
        return _rgba(_paint(ink, (0, 0, 0), (255, 255, 255), noise=2, rng=rng))
    if name == "transparent_canvas_dark_strokes":  # black pen; the canvas is transparent black
        return _rgba(np.full(ink.shape + (3,), 20.0), alpha=255 * ink)
    if name == "transparent_canvas_light_strokes":  # white pen; transparent pixels hold arbitrary colours
        garbage = rng.integers(0, 256, ink.shape + (3,)).astype(float)
        rgb = np.where(ink[..., None] > 0, 250.0, garbage)
        return _rgba(rgb, alpha=255 * ink)
    if name == "semi_transparent_photo":
        rgb = _paint(ink, (200, 205, 215), (40, 30, 30), noise=5, rng=rng, lighting=0.06)
        return _rgba(rgb, alpha=np.clip(210 + rng.normal(0, 10, ink.shape), 0, 255))
    if name == "thumbnail":
        return _rgba(_paint(ink, (190, 190, 190), (20, 20, 20), noise=3, rng=rng))
    raise ValueError(name)


def preprocess_golden_cases(mnist=None) -> list[PreprocessCase]:
    """The golden preprocessing cases (same pixels on every call and machine; `mnist` defaults to the vendored
    test set)."""
    from edgedigits.data import load_mnist
    from edgedigits.preprocess import preprocess_rgba

    mnist = mnist if mnist is not None else load_mnist()
    rng = np.random.default_rng(SEED)
    cases = []
    for name, index, magnify, canvas, offset in _LAYOUTS:
        rgba = _image(name, _ink(mnist.x_test[index], magnify, canvas, offset), rng)
        expected = preprocess_rgba(rgba, name=name)[:, :, 0].astype(np.float32)
        cases.append(PreprocessCase(name, rgba, expected, int(mnist.y_test[index])))
    return cases


def pixel_mapping_cases(preprocessing, model_inputs: np.ndarray, labels: np.ndarray) -> list[PreprocessCase]:
    """Golden cases for a whole-image-resize model (`preprocessing`: edgedigits.pixels.Preprocessing): the first
    two golden images turned back into 8-bit RGBA (gray models: R = G = B), and seeded colour noise with random
    alpha, all at the model's W x H. Expected: Pillow's convert to RGB or L (alpha dropped, ITU-R 601-2 luma),
    then `preprocessing.apply` (pixel * scale + offset, channel order), exactly what `edgedigits predict` does
    after its resize. `model_inputs`: float32 [N,H,W,C] golden inputs, `labels` their classes."""
    from PIL import Image

    height, width, channels = preprocessing.shape
    rng = np.random.default_rng(SEED)
    rgbas, names, classes = [], [], []
    for i in range(min(2, len(model_inputs))):
        pixels = preprocessing.to_pixels(np.asarray(model_inputs[i]).reshape(height, width, channels))
        rgb = np.repeat(pixels, 3, axis=2) if channels == 1 else pixels
        rgbas.append(np.dstack([rgb, np.full((height, width), 255, np.uint8)]))
        names.append(f"golden_input_{i}")
        classes.append(int(labels[i]))
    rgbas.append(rng.integers(0, 256, (height, width, 4), dtype=np.uint8))
    names.append("colour_noise_random_alpha")
    classes.append(-1)
    cases = []
    for name, rgba, label in zip(names, rgbas, classes):
        converted = np.asarray(Image.fromarray(rgba, "RGBA").convert("RGB" if channels == 3 else "L"))
        expected = preprocessing.apply(converted.reshape(1, height, width, channels))[0].astype(np.float32)
        cases.append(PreprocessCase(name, rgba, expected, label))
    return cases


def bundle_cases(context) -> list[PreprocessCase]:
    """The golden preprocessing cases a bundle of `context` (EmbedContext) ships: the MNIST digit photos for the
    digit recipe (pixel / 255 unchanged; another scale/offset applied as `Preprocessing.apply_unit` does), pixel
    mapping cases for any other model."""
    if context.digit_recipe:  # expected: the recipe's [0,1] frame mapped as the model's input (apply_unit)
        cases = preprocess_golden_cases()
        mapping = context.preprocessing
        return [replace(case, expected=mapping.apply_unit(case.expected[..., np.newaxis])[..., 0]) for case in cases]
    return pixel_mapping_cases(context.preprocessing, context.golden_pixels, context.golden_labels)


def golden_files(cases: list[PreprocessCase], folder: str = "") -> dict[str, bytes]:
    """{relative path: bytes} of the three files described in the module docstring, under `folder`."""
    prefix = f"{folder}/" if folder else ""
    index = "".join(f"{case.name} {case.width} {case.height}\n" for case in cases)
    return {
        f"{prefix}{INDEX_FILE}": index.encode("ascii"),
        f"{prefix}{RGBA_FILE}": b"".join(np.ascontiguousarray(case.rgba).tobytes() for case in cases),
        f"{prefix}{EXPECTED_FILE}": b"".join(case.expected.astype("<f4").tobytes() for case in cases),
    }


def read_golden_files(files: dict[str, bytes], folder: str = "", shape: tuple[int, ...] = (28, 28)
                      ) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The inverse of `golden_files`: [(name, uint8 [H,W,4], float32 `shape`)] (used by the tests)."""
    prefix = f"{folder}/" if folder else ""
    rgba, expected = files[f"{prefix}{RGBA_FILE}"], np.frombuffer(files[f"{prefix}{EXPECTED_FILE}"], "<f4")
    cases, start = [], 0
    for i, line in enumerate(files[f"{prefix}{INDEX_FILE}"].decode("ascii").splitlines()):
        name, width, height = line.split()
        size = int(width) * int(height) * 4
        pixels = np.frombuffer(rgba[start:start + size], np.uint8).reshape(int(height), int(width), 4)
        frame = int(np.prod(shape))
        cases.append((name, pixels, expected[i * frame:(i + 1) * frame].reshape(shape)))
        start += size
    return cases
