"""Labelled images from the user: what bench evaluates on (`--data`), and what export calibrates and verifies
with (`--calibration-data`, `--test-data`). The MNIST test set is the default for digit-shaped models.

A data PATH is
  * an `.npz` with `x` (uint8 pixels 0-255, or float pixels/255 in [0,1]; shape [N,H,W] or [N,H,W,C]) and `y`
    (integer class indices 0..K-1);
  * an IDX pair: a folder holding one `*idx3-ubyte[.gz]` images file and one `*idx1-ubyte[.gz]` labels file,
    or the two paths joined by a comma (`images,labels`) (gray images only);
  * a folder of per-class sub-folders named by the labels (`0/ … 9/` for digits) of image files. Digit-shaped
    models run each through the MNIST recipe `edgedigits predict` uses (`edgedigits.preprocess`); other models
    resize the whole image (`edgedigits.pixels`).
Whatever the source, pixels become the model's input through the manifest's preprocessing (`Preprocessing`),
and the result is float32 [N,H,W,C] plus int labels, with a description the report and the manifest record so a
reader knows which data the numbers are about.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgedigits.data import LABELS, load_mnist, parse_idx
from edgedigits.errors import DataError, UsageError
from edgedigits.fileio import sha256_file
from edgedigits.pixels import Preprocessing, default_preprocessing

DIGITS = default_preprocessing((28, 28, 1))

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".pgm")


@dataclass(frozen=True)
class EvalData:
    images: np.ndarray  # float32 [N,H,W,C]: the model's input (pixels through the preprocessing)
    labels: np.ndarray  # int64 [N]
    description: dict  # {"kind", "source", "images", "sha256"?}: saved in the report and the manifest


@dataclass(frozen=True)
class DataSpec:
    """What the data must fit: the model's input (shape and pixel mapping) and its K classes."""

    preprocessing: Preprocessing = DIGITS
    labels: tuple[str, ...] = LABELS

    @property
    def classes(self) -> int:
        return len(self.labels)


def _checked(images: np.ndarray, labels: np.ndarray, source: str, spec: DataSpec) -> tuple[np.ndarray, np.ndarray]:
    shape = spec.preprocessing.shape
    if images.ndim == 3 and shape[2] == 1:
        images = images[..., None]
    if images.ndim != 4 or images.shape[1:] != shape:
        raise DataError(f"{source}: images must be [N,{shape[0]},{shape[1]},{shape[2]}]"
                        + (f" or [N,{shape[0]},{shape[1]}]" if shape[2] == 1 else "") + f", got {list(images.shape)}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{source}: {len(images)} images but labels of shape {list(labels.shape)}")
    if len(images) == 0:
        raise DataError(f"{source}: no images")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= spec.classes:
        raise DataError(f"{source}: labels must be integers 0-{spec.classes - 1}")
    if images.dtype == np.uint8:
        return spec.preprocessing.apply(images), labels.astype(np.int64)
    if np.issubdtype(images.dtype, np.floating):
        if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
            raise DataError(f"{source}: float images must lie in [0, 1] (store uint8 for 0-255 pixels)")
        return spec.preprocessing.apply_unit(images), labels.astype(np.int64)
    raise DataError(f"{source}: images must be uint8 or float, got {images.dtype}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:120] if text else type(err).__name__


def load_npz(path: Path, spec: DataSpec = DataSpec()) -> EvalData:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "x" not in archive or "y" not in archive:
                raise DataError(f"{path}: .npz must hold arrays 'x' and 'y' (has {', '.join(archive.files) or 'none'})")
            images, labels = archive["x"], archive["y"]
    except DataError:
        raise
    # Not a zip or truncated (BadZipFile), a corrupt compressed member (zlib.error, EOFError), pickled objects
    # (ValueError) …: all the user's file, none a bug.
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise DataError(f"{path}: not a readable .npz ({_first_line(err)})") from None
    images, labels = _checked(images, labels, str(path), spec)
    return EvalData(images, labels, {"kind": "npz", "source": str(path), "images": len(labels),
                                     "sha256": sha256_file(path)})


def _read_idx(path: Path, dims: int) -> np.ndarray:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:  # unreadable, truncated or corrupt gzip
        raise DataError(f"{path}: cannot read IDX file ({_first_line(err)})") from None
    return parse_idx(raw, expected_dims=dims, name=str(path))


def _idx_pair(path: Path, spec: str) -> tuple[Path, Path]:
    if "," in spec and not Path(spec).exists():
        first, second = (Path(part.strip()) for part in spec.split(",", 1))
        return first, second
    images = sorted(p for p in path.iterdir() if "idx3" in p.name)
    labels = sorted(p for p in path.iterdir() if "idx1" in p.name)
    if len(images) != 1 or len(labels) != 1:
        raise DataError(f"{path}: expected exactly one *idx3* images file and one *idx1* labels file, "
                        f"found {len(images)} and {len(labels)}")
    return images[0], labels[0]


def load_idx(path: Path, pair: str, spec: DataSpec = DataSpec()) -> EvalData:
    images_path, labels_path = _idx_pair(path, pair)
    for part in (images_path, labels_path):
        if not part.is_file():
            raise DataError(f"{part}: IDX file not found")
    images, labels = _read_idx(images_path, 3), _read_idx(labels_path, 1)
    images, labels = _checked(images, labels, str(images_path), spec)
    return EvalData(images, labels, {"kind": "idx", "source": f"{images_path},{labels_path}", "images": len(labels),
                                     "sha256": f"{sha256_file(images_path)},{sha256_file(labels_path)}"})


def load_image_folder(path: Path, spec: DataSpec = DataSpec()) -> EvalData:
    try:
        from edgedigits.preprocess import image_unit_pixels
    except ImportError:
        raise UsageError(f"{path}: image folders need edgedigits.preprocess, which this install lacks") from None
    files = [(index, file) for index, label in enumerate(spec.labels) if (path / label).is_dir()
             for file in sorted((path / label).iterdir())
             if file.is_file() and not file.name.startswith(".")]
    if not files:
        raise DataError(f"{path}: no image files under {path}/{spec.labels[0]} … {path}/{spec.labels[-1]}")
    for _, file in files:
        if file.suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"{file}: not an image file (expected {', '.join(IMAGE_SUFFIXES)})")
    # Pixels as the app would compute them (MNIST framing or whole-image resize), then the manifest's mapping.
    pixels = np.stack([image_unit_pixels(file, spec.preprocessing) for _, file in files])
    labels = np.asarray([label for label, _ in files], dtype=np.int64)
    counts = {spec.labels[k]: int(v) for k, v in zip(*np.unique(labels, return_counts=True))}
    images, labels = _checked(pixels, labels, str(path), spec)
    # One digest for the folder: every (relative name, file sha256), sorted, so a changed folder is noticed.
    listing = "\n".join(f"{file.relative_to(path).as_posix()} {sha256_file(file)}" for _, file in files)
    digest = hashlib.sha256(listing.encode("utf-8")).hexdigest()
    return EvalData(images, labels, {"kind": "image folder", "source": str(path), "images": len(labels),
                                     "sha256": digest, "per_label": counts})


def load_labelled(data: Path | str, spec: DataSpec = DataSpec(), *, option: str = "--data") -> EvalData:
    """The user's labelled images at `data` (see module docstring), as the model's input."""
    text = str(data)
    if "," in text and not Path(text).exists():  # 'images,labels': an IDX pair (a path may contain commas)
        return load_idx(Path(text.split(",", 1)[0]), text, spec)
    path = Path(text)
    if not path.exists():
        raise DataError(f"{path}: {option} path not found")
    if path.is_file():
        if path.suffix == ".npz":
            return load_npz(path, spec)
        raise DataError(f"{path}: {option} file must be an .npz (for an IDX pair give 'images,labels' or their folder)")
    if any((path / label).is_dir() for label in spec.labels):
        return load_image_folder(path, spec)
    return load_idx(path, text, spec)


def mnist_test_data(mnist, preprocessing: Preprocessing = DIGITS) -> EvalData:
    """The 10,000 MNIST test images through `preprocessing` (a digit model's pixel mapping)."""
    return EvalData(preprocessing.apply(mnist.x_test[..., None]), mnist.y_test.astype(np.int64),
                    {"kind": "mnist test", "source": mnist.source, "images": int(len(mnist.y_test))})


def load_eval_data(*, data: Path | str | None = None, data_dir: Path | None = None,
                   spec: DataSpec = DataSpec()) -> EvalData:
    """The evaluation set: `data` when given (see module docstring), else the 10,000 MNIST test images through
    the spec's pixel mapping."""
    if data is None:
        return mnist_test_data(load_mnist(data_dir), spec.preprocessing)
    if data_dir is not None:
        raise UsageError("--data and --data-dir are alternatives: give one")
    return load_labelled(data, spec)
