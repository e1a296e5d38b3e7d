"""Bench building blocks without any model: metrics against hand-computed values, shifts, the latency
procedure's stopping rule, tolerance selection and the `--data` loaders."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from edgedigits.artifacts import Tolerance
from edgedigits.bench import latency, metrics
from edgedigits.datasets import load_eval_data
from edgedigits.bench.evaluate import FLOAT_DEFAULT, QUANTIZED_DEFAULT, tolerance_for
from edgedigits.bench.shift import shifted
from edgedigits.config import BenchConfig
from edgedigits.errors import DataError, UsageError


def test_wilson_interval_matches_hand_computation():
    # 8/10, z=1.96: centre (0.8 + 0.19207)/1.38415, half-width 1.96*sqrt(0.016 + 0.0096037)/1.38415.
    low, high = metrics.wilson_interval(8, 10)
    assert low == pytest.approx(49.016, abs=1e-3)
    assert high == pytest.approx(94.331, abs=1e-3)
    low, high = metrics.wilson_interval(0, 10)  # Wald would give [0, 0]; Wilson does not
    assert low == 0.0 and high == pytest.approx(27.753, abs=1e-3)
    low, high = metrics.wilson_interval(10_000, 10_000)
    assert high == 100.0 and low == pytest.approx(99.9616, abs=1e-3)


def test_exact_mcnemar_p_values():
    assert metrics.mcnemar_exact(0, 5) == pytest.approx(2 * 0.5**5)  # 0.0625
    assert metrics.mcnemar_exact(1, 9) == pytest.approx(2 * 11 / 1024)  # (C(10,0)+C(10,1)) / 2^10, two-sided
    assert metrics.mcnemar_exact(9, 1) == pytest.approx(2 * 11 / 1024)
    assert metrics.mcnemar_exact(5, 5) == 1.0
    assert metrics.mcnemar_exact(0, 0) == 1.0


def test_flips_accuracy_and_confusion():
    labels = np.array([0, 1, 2, 2, 3, 3])
    reference = np.array([0, 1, 2, 1, 3, 0])  # right, right, right, wrong, right, wrong
    candidate = np.array([0, 2, 2, 2, 3, 1])  # right, wrong, right, right, right, wrong
    assert metrics.flips(reference, candidate, labels) == (1, 1)
    assert metrics.accuracy(candidate, labels) == pytest.approx(4 / 6 * 100)
    assert metrics.agreement(reference, candidate) == pytest.approx(3 / 6 * 100)
    matrix = metrics.confusion(labels, candidate)
    assert matrix.shape == (10, 10) and matrix.sum() == 6
    assert matrix[1, 2] == 1 and matrix[3, 1] == 1 and matrix[2, 2] == 2
    per_class = metrics.per_class_accuracy(matrix)
    assert per_class[:4] == [100.0, 0.0, 100.0, 50.0] and per_class[4] is None
    reference_per_class = metrics.per_class_accuracy(metrics.confusion(labels, reference))
    assert metrics.per_class_delta(per_class, reference_per_class)[:4] == [0.0, -100.0, 50.0, 0.0]
    assert list(metrics.disagreements(reference, candidate, limit=2)) == [1, 3]


def test_agreement_matrix_is_symmetric_with_full_diagonal():
    names, values = metrics.agreement_matrix({"a": np.array([1, 2, 3, 4]), "b": np.array([1, 2, 0, 0]),
                                              "c": np.array([1, 2, 3, 0])})
    assert names == ["a", "b", "c"]
    assert values == [[100.0, 50.0, 75.0], [50.0, 100.0, 75.0], [75.0, 75.0, 100.0]]


@pytest.mark.parametrize("kind", ["noise", "rotate", "translate"])
def test_shifts_are_seeded_and_stay_in_range(kind):
    images = np.zeros((20, 28, 28, 1), np.float32)
    images[:, 10:18, 12:16] = 1.0
    config = BenchConfig()
    first, again = shifted(images, kind, config=config), shifted(images, kind, config=config)
    assert first.dtype == np.float32 and first.shape == images.shape
    assert np.array_equal(first, again)
    assert not np.array_equal(first, images)
    assert first.min() >= 0.0 and first.max() <= 1.0
    assert not np.array_equal(first, shifted(images, kind, config=BenchConfig(shift_seed=1)))


@pytest.mark.parametrize("kind", ["noise", "rotate", "translate"])
def test_shifts_move_every_channel_alike_and_keep_a_minus_one_to_one_range(kind):
    """An RGB model in [-1, 1]: each channel is shifted exactly as a one-channel image of it would be (rotate and
    translate) and stays in [-1, 1], its border filled with the -1 background."""
    gray = np.full((6, 32, 32, 1), -1.0, np.float32)
    gray[:, 8:24, 12:20] = 1.0
    # Three distinct channels over the same [-1, 1] range.
    rgb = np.concatenate([gray, np.where(gray > 0, 0.5, -1.0), np.where(gray > 0, -1.0, 1.0)], axis=3)
    config = BenchConfig()
    moved = shifted(rgb, kind, config=config)
    assert moved.shape == rgb.shape and moved.min() >= -1.0 and moved.max() <= 1.0
    if kind != "noise":
        for channel in range(3):
            alone = shifted(np.ascontiguousarray(rgb[..., channel:channel + 1]), kind, config=config)
            np.testing.assert_allclose(moved[..., channel:channel + 1], alone, atol=1e-6)
        assert moved[..., 2].min() == -1.0 and (moved[..., 2] == -1.0).sum() > (rgb[..., 2] == -1.0).sum() \
            or kind == "translate"  # rotated-in corners are background (-1), not 0


def test_latency_procedure_stopping_rule():
    calls = []
    durations = latency.time_calls(lambda: calls.append(1), runs=7, min_time_s=0.0, max_time_s=1.0,
                                   min_runs_floor=3, warmup=2)
    assert len(durations) == 7 and len(calls) == 9  # warm-up calls are made but not timed
    stats = latency.summarize(np.array([1000, 2000, 3000, 4000], dtype=np.int64))
    assert stats["runs"] == 4 and stats["p50_us"] == 2.5 and stats["mean_us"] == 2.5
    # A slow call: stops at max_time once the floor is reached, far below `runs`.
    slow = latency.time_calls(lambda: sum(range(200_000)), runs=10_000, min_time_s=0.0, max_time_s=0.0,
                              min_runs_floor=3, warmup=0)
    assert len(slow) == 3


def test_tolerance_defaults_and_overrides():
    assert tolerance_for({"format": "tflite_float32"}, BenchConfig()) == Tolerance(max_abs_prob_diff=1e-4)
    assert tolerance_for({"format": "tflite_int8"}, BenchConfig()) == Tolerance(min_agreement=99.5,
                                                                                  max_accuracy_drop=0.2)
    # A format this version has never heard of: judged by its precision.
    assert tolerance_for({"format": "tpu_float32", "precision": "float32"}, BenchConfig()) == FLOAT_DEFAULT
    assert tolerance_for({"format": "npu_int4"}, BenchConfig()) == QUANTIZED_DEFAULT
    strict = BenchConfig(min_agreement=99.9, max_accuracy_drop=0.1, max_prob_diff=1e-6)
    assert tolerance_for({"format": "tflite_int8"}, strict) == Tolerance(None, 99.9, 0.1)  # no |Δp| on int8
    assert tolerance_for({"format": "onnx_float32"}, strict) == Tolerance(1e-6, 99.9, 0.1)


def _idx_header(dims: list[int]) -> bytes:
    return bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


def test_data_npz_and_idx(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8), rng.integers(0, 10, 12)
    np.savez(tmp_path / "mine.npz", x=x, y=y)
    data = load_eval_data(data=tmp_path / "mine.npz")
    assert data.images.shape == (12, 28, 28, 1) and data.images.dtype == np.float32
    assert np.allclose(data.images[..., 0], x / 255) and list(data.labels) == list(y)
    assert data.description["kind"] == "npz" and data.description["images"] == 12

    idx = tmp_path / "idx"
    idx.mkdir()
    (idx / "my-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_header([12, 28, 28]) + x.tobytes()))
    (idx / "my-labels-idx1-ubyte").write_bytes(_idx_header([12]) + y.astype(np.uint8).tobytes())
    for spec in (idx, f"{idx / 'my-images-idx3-ubyte.gz'},{idx / 'my-labels-idx1-ubyte'}"):
        data = load_eval_data(data=spec)
        assert data.description["kind"] == "idx" and np.allclose(data.images[..., 0], x / 255)
        assert list(data.labels) == list(y)


def test_data_errors_are_one_line(tmp_path):
    np.savez(tmp_path / "short.npz", x=np.zeros((3, 28, 28), np.uint8), y=np.zeros(2, np.int64))
    np.savez(tmp_path / "nolabels.npz", x=np.zeros((3, 28, 28), np.uint8))
    np.savez(tmp_path / "badlabel.npz", x=np.zeros((3, 28, 28), np.uint8), y=np.array([0, 1, 12]))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    for name, text in (("short.npz", "labels of shape"), ("nolabels.npz", "'x' and 'y'"),
                       ("badlabel.npz", "labels must be integers 0-9"), ("junk.npz", "not a readable .npz"),
                       ("missing.npz", "not found")):
        with pytest.raises(DataError, match=text) as caught:
            load_eval_data(data=tmp_path / name)
        assert "\n" not in str(caught.value) and name in str(caught.value)
    with pytest.raises(UsageError, match="--data and --data-dir"):
        load_eval_data(data=tmp_path / "short.npz", data_dir=tmp_path)


def test_damaged_npz_and_gzip_idx_are_one_line_data_errors(tmp_path):
    """Truncated or bit-flipped files are the user's input, not an internal error: DataError naming the file."""
    x = np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    y = np.zeros(50, np.int64)
    np.savez_compressed(tmp_path / "whole.npz", x=x, y=y)
    raw = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "truncated.npz").write_bytes(raw[:len(raw) // 2])  # zipfile.BadZipFile
    flipped = bytearray(raw)
    flipped[60:64] = b"\xff" * 4  # inside x.npy's deflate stream: zlib.error
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    for name in ("truncated.npz", "flipped.npz"):
        with pytest.raises(DataError, match="not a readable .npz") as caught:
            load_eval_data(data=tmp_path / name)
        assert "\n" not in str(caught.value) and str(tmp_path / name) in str(caught.value)

    labels = tmp_path / "labels-idx1-ubyte"
    labels.write_bytes(_idx_header([50]) + y.astype(np.uint8).tobytes())
    images = gzip.compress(_idx_header([50, 28, 28]) + x.tobytes())
    corrupt = bytearray(images)
    corrupt[10:14] = b"\xff" * 4  # the first deflate block header: zlib.error
    for name, content in (("corrupt-idx3-ubyte.gz", bytes(corrupt)), ("cut-idx3-ubyte.gz", images[:len(images) // 2])):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DataError, match="cannot read IDX file") as caught:
            load_eval_data(data=f"{tmp_path / name},{labels}")
        assert "\n" not in str(caught.value) and str(tmp_path / name) in str(caught.value)


def test_data_image_folder_counts_match_files(tmp_path, mnist):
    from PIL import Image

    root = tmp_path / "digits"
    expected = {}
    for k in range(12):  # 12 MNIST test digits, upscaled and dark-on-light like a scan
        label = int(mnist.y_test[k])
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(255 - mnist.x_test[k]).resize((84, 84)).save(root / str(label) / f"{k}.png")
        expected[str(label)] = expected.get(str(label), 0) + 1
    data = load_eval_data(data=root)
    assert data.description["kind"] == "image folder" and data.description["images"] == 12
    assert data.description["per_label"] == expected
    assert data.images.shape == (12, 28, 28, 1) and data.images.max() <= 1.0
    assert sorted(data.labels.tolist()) == sorted(int(y) for y in mnist.y_test[:12])
    # Through the recipe the digit is white on black again, like MNIST.
    assert data.images[:, 0, :, 0].mean() < 0.05 and data.images.max() > 0.9

    folder = root / str(int(mnist.y_test[0]))
    (folder / "notes.txt").write_text("not an image")
    with pytest.raises(DataError, match="notes.txt: not an image file"):
        load_eval_data(data=root)
    (folder / "notes.txt").unlink()
    (folder / "fake.png").write_text("not an image either")
    with pytest.raises(DataError, match="fake.png") as caught:
        load_eval_data(data=root)
    assert "\n" not in str(caught.value)
