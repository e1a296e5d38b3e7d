"""IDX parsing, checksum verification and the blog's scaling."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from edgedigits import data
from edgedigits.errors import DataError


def _idx(dims: tuple[int, ...], body: bytes) -> bytes:
    header = bytes([0, 0, 0x08, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    return header + body


def test_parse_idx_hand_made_file():
    raw = _idx((2, 2, 3), bytes(range(12)))
    array = data.parse_idx(raw, expected_dims=3, name="tiny")
    assert array.shape == (2, 2, 3)
    assert array.dtype == np.uint8
    assert array[1, 1, 2] == 11


@pytest.mark.parametrize("raw, message", [
    (_idx((2, 2, 3), bytes(range(11))), "IDX body has 11 bytes, header says 12"),
    (bytes([0, 0, 0x0D, 3]) + bytes(12), "bad IDX magic number"),
    (b"\x00\x00", "truncated IDX header"),
])
def test_parse_idx_rejects_corrupt_files(raw, message):
    with pytest.raises(DataError, match=message):
        data.parse_idx(raw, expected_dims=3, name="corrupt.idx")


def test_vendored_mnist_loads_with_expected_shapes(mnist):
    assert mnist.x_train.shape == (60_000, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.x_test.shape == (10_000, 28, 28)
    assert mnist.y_train.shape == (60_000,) and set(np.unique(mnist.y_test)) == set(range(10))
    # The first training labels of the original file.
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_scale_is_exactly_the_blogs(mnist):
    scaled = data.scale(mnist.x_test[:5])
    assert scaled.shape == (5, 28, 28, 1) and scaled.dtype == np.float32
    expected = mnist.x_test[:5].reshape(5, 28, 28, 1).astype("float32") / 255
    assert np.array_equal(scaled, expected)
    assert scaled.max() == 1.0 and scaled.min() == 0.0


def _copy_mnist(tmp_path):
    for filename, _ in data.FILES.values():
        shutil.copy(data.VENDORED_DIR / filename, tmp_path / filename)
    return tmp_path


def test_checksum_mismatch_names_the_file(tmp_path):
    folder = _copy_mnist(tmp_path)
    target = folder / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + bytes(10)))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: SHA-256 mismatch"):
        data.load_mnist(folder)


def test_missing_file_names_the_file(tmp_path):
    folder = _copy_mnist(tmp_path)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: MNIST file not found"):
        data.load_mnist(folder)


def test_env_variable_points_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert data.resolve_data_dir() == tmp_path
    assert data.resolve_data_dir(data.VENDORED_DIR) == data.VENDORED_DIR


def test_calibration_sample_is_seeded_training_data(mnist):
    first = data.calibration_sample(mnist, samples=50, seed=3)
    again = data.calibration_sample(mnist, samples=50, seed=3)
    other = data.calibration_sample(mnist, samples=50, seed=4)
    assert first.shape == (50, 28, 28, 1) and first.dtype == np.float32
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    with pytest.raises(DataError, match="--calibration-samples"):
        data.calibration_sample(mnist, samples=0, seed=0)


def _no_local_copy(tmp_path, monkeypatch, origin):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "VENDORED_DIR", tmp_path / "not-vendored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    # The real Keras downloader, pointed at a local "server" (file:// URL): same code path as the internet.
    monkeypatch.setattr(data, "DOWNLOAD_ORIGIN", origin.as_uri() + "/")


def test_download_path_fetches_and_verifies_through_keras(tmp_path, monkeypatch):
    _no_local_copy(tmp_path, monkeypatch, data.VENDORED_DIR)
    mnist = data.load_mnist()
    assert Path(mnist.source) == tmp_path / "home" / ".keras" / "datasets" / "edgedigits-mnist"
    assert mnist.x_test.shape == (10_000, 28, 28) and mnist.y_train[:3].tolist() == [5, 0, 4]


def test_download_of_a_corrupt_file_is_a_clear_error(tmp_path, monkeypatch):
    server = tmp_path / "server"
    server.mkdir()
    _copy_mnist(server)
    (server / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not the real file")
    _no_local_copy(tmp_path, monkeypatch, server)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: MNIST not found locally and download failed"):
        data.load_mnist()
