"""MNIST from the four original IDX `.gz` files: locate, verify SHA-256, parse, scale.

Lookup order for the folder holding the files: an explicit `data_dir`, then `$EDGEDIGITS_DATA`, then the copy
vendored in the repository (`data/mnist/`), then a download (through Keras' `get_file`) into Keras' cache.
Every file is checked against the published SHA-256 whatever its origin.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from edgedigits.errors import DataError

IMAGE_SIZE = 28
N_CLASSES = 10
LABELS = tuple(str(digit) for digit in range(N_CLASSES))
PREPROCESSING = {
    "formula": "pixel / 255",
    "input_range": [0.0, 1.0],
    "shape": [IMAGE_SIZE, IMAGE_SIZE, 1],
    "layout": "NHWC",
    "polarity": "white digit on black background",
    "framing": "digit fits a 20x20 box, centred by centre of mass in 28x28 (MNIST recipe)",
}

# SHA-256 of the original files (equal to those published by tensorflow-datasets).
FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
DOWNLOAD_ORIGIN = "https://storage.googleapis.com/cvdf-datasets/mnist/"
VENDORED_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
ENV_VAR = "EDGEDIGITS_DATA"

# IDX magic: two zero bytes, a type code (0x08 = unsigned byte), then the number of dimensions.
_IDX_UBYTE = 0x08


@dataclass(frozen=True)
class Mnist:
    """Raw MNIST as uint8: images N x 28 x 28, labels N."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # the folder the files were read from


def parse_idx(raw: bytes, *, expected_dims: int, name: str) -> np.ndarray:
    """Parse an uncompressed IDX buffer of unsigned bytes; check magic number and size."""
    if len(raw) < 4 + 4 * expected_dims:
        raise DataError(f"{name}: truncated IDX header ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UBYTE or raw[3] != expected_dims:
        raise DataError(f"{name}: bad IDX magic number {raw[:4].hex()} (expected 0000080{expected_dims})")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(expected_dims))
    header = 4 + 4 * expected_dims
    expected_bytes = int(np.prod(dims))
    if len(raw) - header != expected_bytes:
        raise DataError(f"{name}: IDX body has {len(raw) - header} bytes, header says {expected_bytes} for shape {dims}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _read_verified(path: Path, sha256: str) -> bytes:
    if not path.is_file():
        raise DataError(f"{path}: MNIST file not found")
    try:
        compressed = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror})") from None
    actual = hashlib.sha256(compressed).hexdigest()
    if actual != sha256:
        raise DataError(f"{path}: SHA-256 mismatch (got {actual[:12]}…, expected {sha256[:12]}…); file is corrupt or not MNIST")
    try:
        return gzip.decompress(compressed)
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: not a valid gzip file ({err})") from None


def _download(folder: Path) -> Path:
    """Fetch the four files through Keras' downloader; `file_hash` makes Keras verify the same SHA-256."""
    import keras

    # Keras falls back to /tmp/.keras when the cache folder does not exist yet: create it first.
    folder.mkdir(parents=True, exist_ok=True)
    for filename, sha256 in FILES.values():
        try:
            fetched = keras.utils.get_file(
                fname=filename, origin=DOWNLOAD_ORIGIN + filename, file_hash=sha256, hash_algorithm="sha256",
                cache_dir=str(folder.parent.parent), cache_subdir=str(folder.relative_to(folder.parent.parent)),
            )
        except Exception as err:  # network errors come in many types; all mean the same to the user
            raise DataError(f"{filename}: MNIST not found locally and download failed ({type(err).__name__}: {err})") from None
        if Path(fetched).resolve() != (folder / filename).resolve():
            shutil.move(fetched, folder / filename)  # may cross file systems
    return folder


def resolve_data_dir(data_dir: Path | None = None) -> Path:
    """Pick the folder holding the MNIST files (see module docstring); download only if none is configured."""
    if data_dir is not None:
        return Path(data_dir)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    if all((VENDORED_DIR / filename).is_file() for filename, _ in FILES.values()):
        return VENDORED_DIR
    cache = Path.home() / ".keras" / "datasets" / "edgedigits-mnist"
    if all((cache / filename).is_file() for filename, _ in FILES.values()):
        return cache
    return _download(cache)


@lru_cache(maxsize=4)
def _load_cached(folder: Path) -> Mnist:
    arrays = {}
    for key, (filename, sha256) in FILES.items():
        raw = _read_verified(folder / filename, sha256)
        arrays[key] = parse_idx(raw, expected_dims=3 if key.endswith("images") else 1, name=str(folder / filename))
    for split in ("train", "test"):
        if len(arrays[f"{split}_images"]) != len(arrays[f"{split}_labels"]):
            raise DataError(f"{folder}: {split} images and labels differ in count")
    return Mnist(arrays["train_images"], arrays["train_labels"], arrays["test_images"], arrays["test_labels"], str(folder))


def load_mnist(data_dir: Path | None = None) -> Mnist:
    """Load and verify MNIST; raises DataError naming the file on any problem."""
    return _load_cached(resolve_data_dir(data_dir).resolve())


def scale(images: np.ndarray) -> np.ndarray:
    """The blog's preprocessing, exactly: uint8 N x 28 x 28 -> float32 N x 28 x 28 x 1 in [0, 1]."""
    return images.reshape(images.shape[0], IMAGE_SIZE, IMAGE_SIZE, 1).astype("float32") / 255


def one_hot(labels: np.ndarray) -> np.ndarray:
    return np.eye(N_CLASSES, dtype="float32")[labels]


def calibration_sample(mnist: Mnist, *, samples: int, seed: int) -> np.ndarray:
    """A seeded random sample of *training* images (scaled), for int8 calibration."""
    if not 1 <= samples <= len(mnist.x_train):
        raise DataError(f"--calibration-samples must be between 1 and {len(mnist.x_train)}, got {samples}")
    indices = np.random.default_rng(seed).choice(len(mnist.x_train), size=samples, replace=False)
    return scale(mnist.x_train[np.sort(indices)])
