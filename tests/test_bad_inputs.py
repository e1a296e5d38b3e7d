"""Table-driven bad-input battery: every case makes one bad input, runs the CLI and checks that

- the exit code is 2 (bad usage/input) or 1 (failed check),
- the one-line message names the offending file or option,
- no Python traceback is printed,
- every pre-existing artifact is byte-identical afterwards and no temp file is left behind.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.data import FILES, VENDORED_DIR


@dataclass(frozen=True)
class Case:
    id: str
    args: Callable[[Path], list[str]]  # given the artifacts root (a writable copy), the CLI arguments
    message: str  # must appear in the error line; "{root}" is replaced by the artifacts root
    setup: Callable[[Path], None] = lambda root: None
    exit_code: int = 2
    env: dict[str, str] | None = None  # environment variables for this case ("{root}" replaced)


def _write(relative: str, data: bytes | Callable[[Path], bytes]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data(root) if callable(data) else data)

    return setup


def _mnist_copy(mutate: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        folder = root.parent / "mnist"
        folder.mkdir(exist_ok=True)
        for filename, _ in FILES.values():
            shutil.copy(VENDORED_DIR / filename, folder / filename)
        mutate(folder)

    return setup


def _truncate(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])

    return mutate


def _lambda_model(root: Path) -> bytes:
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    path = root.parent / "lambda.keras"
    model.save(path)
    return path.read_bytes()


def _escaping_zip(root: Path) -> bytes:
    path = root.parent / "escape.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("../../evil.txt", "pwned")
    return path.read_bytes()


def _edit_manifest(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / "v1" / "manifest.json"
        manifest = json.loads(path.read_text())
        change(manifest)
        path.write_text(json.dumps(manifest))

    return setup


def _replace_artifact(name: str, data: bytes | Callable[[Path], bytes]) -> Callable[[Path], None]:
    """Overwrite an artifact *and* update its manifest sha256, so the damage is not caught as tampering but by
    actually loading the file."""
    def setup(root: Path) -> None:
        path = root / "v1" / name
        path.write_bytes(data(root) if callable(data) else data)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        _edit_manifest(lambda m: [e.update(sha256=digest, bytes=path.stat().st_size)
                                  for e in m["artifacts"].values() if e["file"] == name])(root)

    return setup


def _small_eval_set(root: Path) -> None:
    """bench --data on 200 images keeps each bench case to a couple of seconds."""
    from edgedigits.data import load_mnist

    mnist = load_mnist()
    np.savez(root.parent / "small.npz", x=mnist.x_test[:200], y=mnist.y_test[:200])


def _both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        for one in setups:
            one(root)

    return setup


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height: Pillow reads the size without decoding any pixel."""
    import struct
    import zlib

    body = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + body
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(body)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def _animated_gif(root: Path) -> bytes:
    from PIL import Image

    frames = [Image.new("L", (28, 28), value) for value in (0, 255)]
    path = root.parent / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path.read_bytes()


def _bias_zero_point_broken(root: Path) -> bytes:
    """int8.tflite with one int32 bias zero point overwritten (issue 14's fuzz hole): it loads, LiteRT's builtin
    kernels and TFLM ignore it, XNNPACK refuses the graph when it prepares it."""
    from tflite_edits import first_tensor, overwrite

    clean = (root / "v1" / "int8.tflite").read_bytes()
    return overwrite(clean, first_tensor(clean, "int32", min_channels=2), "zero_point", 3, -805306368)


def _softmax_scale_tiny(root: Path) -> bytes:
    """int8.tflite whose SOFTMAX input scale is 1e-30: TFLite Micro aborts the process while preparing it."""
    from tflite_edits import overwrite, quantized_tensors

    clean = (root / "v1" / "int8.tflite").read_bytes()
    logits = [t for t in quantized_tensors(clean) if t.dtype == "int8" and t.channels == 1][-2]  # softmax input
    return overwrite(clean, logits, "scale", 0, 1e-30)


def _keras_int32_input(root: Path) -> bytes:
    """The trained model.keras with its input layer declared int32: it loads, and fails on the first call (the
    float convolution refuses an int32 tensor)."""
    import io

    with zipfile.ZipFile(root / "v1" / "model.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][0]["config"]["dtype"] = "int32"
    members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _onnx_external_data_escaping(root: Path) -> bytes:
    """model.onnx whose first weight is 'stored' in ../../../../etc/hostname: ONNX Runtime must refuse to read
    outside the model's folder."""
    import onnx

    model = onnx.load(str(root / "v1" / "model.onnx"))
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", "../../../../etc/hostname"), ("offset", "0"), ("length", "64")):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    return model.SerializeToString()


def _keras_config_bomb(root: Path) -> bytes:
    """model.keras whose config.json inflates to 80 MiB (trailing spaces: still valid JSON) from ~80 KB."""
    import io

    with zipfile.ZipFile(root / "v1" / "model.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] += b" " * (80 * 2**20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _digit_png(root: Path) -> None:
    from PIL import Image

    pixels = np.zeros((28, 28), np.uint8)
    pixels[5:23, 12:16] = 255  # a "1"
    Image.fromarray(pixels).save(root.parent / "digit.png")


def _model_bytes(root: Path) -> bytes:
    return (root / "v1" / "model.keras").read_bytes()


def _npz_without_y(root: Path) -> None:
    np.savez(root.parent / "nolabels.npz", x=np.zeros((4, 28, 28), np.uint8))


def _lone(name: str, data: Callable[[Path], bytes]) -> Callable[[Path], None]:
    """A damaged model alone in a folder beside the artifacts (no manifest: nothing gates the loaders), and a
    good digit image to feed it."""
    return _both(_write(f"../lone/{name}", data), _digit_png)


RANDOM_BYTES = bytes(hashlib.sha256(str(i).encode()).digest()[i % 32] for i in range(4096))
TRAIN_V1 = ["train", "v1", "--epochs", "1", "--train-samples", "512"]
DATA = lambda root: ["--data-dir", str(root.parent / "mnist")]  # noqa: E731
OUT = lambda root: ["--artifacts-dir", str(root)]  # noqa: E731
BENCH = lambda root: ["bench", str(root / "v1"), "--runs", "1", "--data", str(root.parent / "small.npz")]  # noqa: E731
IMAGE = lambda root, name: str(root.parent / name)  # noqa: E731

CASES = [
    # --- unknown names and nonsensical options
    Case("train-unknown-model", lambda r: ["train", "v9", *OUT(r)], "unknown model 'v9'"),
    Case("markup-in-name-prints-literally", lambda r: ["train", "[/x]", *OUT(r)], "unknown model '[/x]'"),
    Case("export-unknown-model", lambda r: ["export", "v0", *OUT(r)], "unknown model 'v0'"),
    Case("train-negative-epochs", lambda r: ["train", "v1", "--epochs", "-3", *OUT(r)], "--epochs must be at least 1"),
    Case("train-zero-epochs", lambda r: ["train", "v1", "--epochs", "0", *OUT(r)], "--epochs must be at least 1"),
    Case("train-zero-batch", lambda r: ["train", "v1", "--batch-size", "0", *OUT(r)], "--batch-size must be at least 1"),
    Case("train-bad-precision", lambda r: ["train", "v1", "--precision", "fp8", *OUT(r)], "--precision must be"),
    Case("train-zero-steps", lambda r: ["train", "v1", "--steps-per-execution", "0", *OUT(r)],
         "--steps-per-execution must be at least 1"),
    Case("train-tiny-subset", lambda r: ["train", "v1", "--train-samples", "5", *OUT(r)], "--train-samples must be"),
    Case("train-huge-subset", lambda r: ["train", "v1", "--train-samples", "70000", *OUT(r)], "--train-samples must be"),
    Case("train-negative-seed", lambda r: ["train", "v1", "--seed", "-1", *OUT(r)], "--seed must be zero or positive"),
    Case("export-zero-calibration", lambda r: ["export", "v1", "--int8", "--calibration-samples", "0", *OUT(r)],
         "--calibration-samples must be"),
    Case("export-too-much-calibration", lambda r: ["export", "v1", "--int8", "--calibration-samples", "70000", *OUT(r)],
         "--calibration-samples must be"),
    Case("export-empty-formats", lambda r: ["export", "v1", "--formats", ",", *OUT(r)], "--formats is empty"),
    Case("export-unknown-format", lambda r: ["export", "v1", "--formats", "int3", *OUT(r)], "unknown format 'int3'"),
    # --- MNIST files missing, truncated, wrong checksum
    Case("mnist-folder-missing", lambda r: [*TRAIN_V1, "--data-dir", str(r / "nowhere"), *OUT(r)],
         "train-images-idx3-ubyte.gz: MNIST file not found"),
    Case("mnist-file-missing", lambda r: [*TRAIN_V1, *DATA(r), *OUT(r)], "t10k-labels-idx1-ubyte.gz: MNIST file not found",
         setup=_mnist_copy(lambda f: (f / "t10k-labels-idx1-ubyte.gz").unlink())),
    Case("mnist-file-truncated", lambda r: [*TRAIN_V1, *DATA(r), *OUT(r)], "train-images-idx3-ubyte.gz: SHA-256 mismatch",
         setup=_mnist_copy(_truncate("train-images-idx3-ubyte.gz"))),
    Case("mnist-wrong-checksum", lambda r: [*TRAIN_V1, *DATA(r), *OUT(r)], "train-labels-idx1-ubyte.gz: SHA-256 mismatch",
         setup=_mnist_copy(lambda f: (f / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(60_008))))),
    Case("mnist-env-points-nowhere", lambda r: [*TRAIN_V1, *OUT(r)], "MNIST file not found",
         env={"EDGEDIGITS_DATA": "{root}/void"}),
    # --- the trained model file broken in every way (export reads it)
    Case("keras-random-bytes", lambda r: ["export", "v1", *OUT(r)], "v1/model.keras: not a Keras model file",
         setup=_write("v1/model.keras", RANDOM_BYTES)),
    Case("keras-empty", lambda r: ["export", "v1", *OUT(r)], "v1/model.keras: not a Keras model file",
         setup=_write("v1/model.keras", b"")),
    Case("keras-truncated", lambda r: ["export", "v1", *OUT(r)], "v1/model.keras",
         setup=_write("v1/model.keras", lambda r: (r / "v1/model.keras").read_bytes()[:3000])),
    Case("keras-is-onnx", lambda r: ["export", "v1", *OUT(r)], "v1/model.keras: not a Keras model file",
         setup=_write("v1/model.keras", lambda r: (r / "v1/model.onnx").read_bytes())),
    Case("keras-lambda-layer-unsafe", lambda r: ["export", "v1", *OUT(r)], "v1/model.keras: cannot be loaded",
         setup=_write("v1/model.keras", _lambda_model)),
    Case("keras-zip-escapes", lambda r: ["export", "v1", *OUT(r)], "escapes the archive folder",
         setup=_write("v1/model.keras", _escaping_zip)),
    # --- output folders that cannot be written
    Case("train-output-is-a-file", lambda r: [*TRAIN_V1, "--artifacts-dir", str(r / "v1" / "train.json")],
         "output folder is not writable"),
    Case("export-output-is-a-file", lambda r: ["export", "v1", "--artifacts-dir", str(r / "v1" / "train.json")],
         "output folder is not writable"),
    # --- bench: folders, manifests, damaged or tampered artifacts, nonsensical options
    Case("bench-missing-folder", lambda r: ["bench", str(r / "nowhere")], "nowhere"),
    Case("bench-empty-folder", lambda r: ["bench", str(r / "empty")], "no manifest",
         setup=lambda r: (r / "empty").mkdir()),
    Case("bench-no-manifest", lambda r: BENCH(r), "no manifest",
         setup=lambda r: (r / "v1" / "manifest.json").unlink()),
    Case("bench-manifest-not-json", lambda r: BENCH(r), "manifest.json: manifest is not valid JSON",
         setup=_write("v1/manifest.json", b"{not json")),
    Case("bench-manifest-misses-fields", lambda r: BENCH(r), "misses field(s) artifacts",
         setup=_edit_manifest(lambda m: m.pop("artifacts"))),
    Case("bench-manifest-names-absent-file", lambda r: BENCH(r), "int8.tflite: listed in the manifest but missing",
         setup=_both(_small_eval_set, lambda r: (r / "v1" / "int8.tflite").unlink())),
    Case("bench-sha-mismatch-is-tampering", lambda r: BENCH(r), "float32.tflite: sha256 does not match the manifest",
         setup=_both(_small_eval_set, _write("v1/float32.tflite", lambda r: (r / "v1/float32.tflite").read_bytes() + b"x"))),
    Case("bench-truncated-tflite", lambda r: BENCH(r), "float32.tflite: cannot be loaded by tflite",
         setup=_both(_small_eval_set, _replace_artifact("float32.tflite", lambda r: (r / "v1/float32.tflite").read_bytes()[:5000]))),
    Case("bench-empty-tflite", lambda r: BENCH(r), "int8.tflite: file is empty",
         setup=_both(_small_eval_set, _replace_artifact("int8.tflite", b""))),
    Case("bench-random-tflite", lambda r: BENCH(r), "int8.tflite: cannot be loaded by tflite",
         setup=_both(_small_eval_set, _replace_artifact("int8.tflite", RANDOM_BYTES))),
    Case("bench-onnx-renamed-tflite", lambda r: BENCH(r), "float32.tflite: cannot be loaded by tflite",
         setup=_both(_small_eval_set, _replace_artifact("float32.tflite", lambda r: (r / "v1/model.onnx").read_bytes()))),
    Case("bench-random-onnx", lambda r: BENCH(r), "model.onnx: cannot be loaded by onnxruntime",
         setup=_both(_small_eval_set, _replace_artifact("model.onnx", RANDOM_BYTES))),
    Case("bench-input-dtype-differs-from-manifest", lambda r: BENCH(r),
         "int8.tflite: input dtype in the file is int8 but the manifest says float32",
         setup=_both(_small_eval_set, _edit_manifest(lambda m: m["artifacts"]["tflite_int8"]["inputs"][0].update(dtype="float32")))),
    Case("bench-zero-threads", lambda r: [*BENCH(r), "--threads", "0"], "--threads must be at least 1"),
    Case("bench-zero-runs", lambda r: [*BENCH(r), "--runs", "0"], "--runs must be at least 1"),
    Case("bench-agreement-over-100", lambda r: [*BENCH(r), "--min-agreement", "150"], "--min-agreement"),
    Case("bench-negative-drop", lambda r: [*BENCH(r), "--max-accuracy-drop", "-1"], "--max-accuracy-drop"),
    # --- inspect, predict, embed
    Case("inspect-missing-file", lambda r: ["inspect", str(r / "v1" / "nope.tflite")], "nope.tflite"),
    Case("inspect-random-tflite", lambda r: ["inspect", IMAGE(r, "random.tflite")], "random.tflite",
         setup=lambda r: (r.parent / "random.tflite").write_bytes(RANDOM_BYTES)),
    Case("inspect-unknown-suffix", lambda r: ["inspect", str(r / "v1" / "train.json")], "train.json"),
    Case("predict-not-an-image", lambda r: ["predict", str(r / "v1" / "int8.tflite"), IMAGE(r, "notes.png")],
         "notes.png", setup=lambda r: (r.parent / "notes.png").write_text("not an image")),
    Case("predict-zero-byte-image", lambda r: ["predict", str(r / "v1" / "int8.tflite"), IMAGE(r, "empty.png")],
         "empty.png", setup=lambda r: (r.parent / "empty.png").write_bytes(b"")),
    Case("predict-huge-image-refused-before-decoding",
         lambda r: ["predict", str(r / "v1" / "int8.tflite"), IMAGE(r, "huge.png")], "huge.png",
         setup=lambda r: (r.parent / "huge.png").write_bytes(_png_header(20_000, 20_000))),
    Case("predict-animated-image", lambda r: ["predict", str(r / "v1" / "int8.tflite"), IMAGE(r, "anim.gif")],
         "animated image", setup=lambda r: (r.parent / "anim.gif").write_bytes(_animated_gif(r))),
    # --- models that load but cannot be prepared or run: one line naming the file, exit 2, never 3
    Case("predict-bias-zero-point-xnnpack-refuses",
         lambda r: ["predict", IMAGE(r, "lone/int8.tflite"), IMAGE(r, "digit.png")],
         "lone/int8.tflite: cannot be loaded by tflite (unsupported zero-point value (-805306368)",
         setup=_lone("int8.tflite", _bias_zero_point_broken)),
    Case("bench-bias-zero-point-xnnpack-refuses", lambda r: BENCH(r), "int8.tflite: cannot be loaded by tflite",
         setup=_replace_artifact("int8.tflite", _bias_zero_point_broken)),
    Case("predict-tflm-would-abort-refused-first",
         lambda r: ["predict", IMAGE(r, "lone/int8.tflite"), IMAGE(r, "digit.png"), "--kernels", "tflm"],
         "lone/int8.tflite: TensorFlow Lite Micro crashes on this file (SIGABRT",
         setup=_lone("int8.tflite", _softmax_scale_tiny)),
    Case("predict-keras-loads-but-cannot-run", lambda r: ["predict", IMAGE(r, "lone/model.keras"), IMAGE(r, "digit.png")],
         "lone/model.keras: cannot be run by keras", setup=_lone("model.keras", _keras_int32_input)),
    Case("export-user-keras-loads-but-cannot-run",
         lambda r: ["export", IMAGE(r, "lone/model.keras"), "--out", IMAGE(r, "lone-out")],
         "lone/model.keras: cannot be run by keras", setup=_lone("model.keras", _keras_int32_input)),
    Case("explain-sweep-keras-cannot-run", lambda r: ["explain", str(r / "v1"), "--calibration-sweep", "10"],
         "v1/model.keras: cannot be run by keras", setup=_write("v1/model.keras", _keras_int32_input)),
    Case("inspect-keras-config-inflates-to-80-mib", lambda r: ["inspect", IMAGE(r, "lone/model.keras")],
         "lone/model.keras: archive member 'config.json' inflates to 83,", setup=_lone("model.keras", _keras_config_bomb)),
    Case("predict-onnx-external-data-escapes-folder",
         lambda r: ["predict", IMAGE(r, "lone/model.onnx"), IMAGE(r, "digit.png")],
         "lone/model.onnx: cannot be loaded by onnxruntime", setup=_lone("model.onnx", _onnx_external_data_escaping)),
    # --- the user's own models and data
    Case("export-data-options-on-a-builtin", lambda r: ["export", "v1", *OUT(r), "--pixel-offset", "-1"],
         "are for your own .keras; v1-v3 keep the MNIST data"),
    Case("export-keras-named-like-a-builtin", lambda r: ["export", IMAGE(r, "mine/v1.keras"), *OUT(r)],
         "the built-in v1's folder; choose a folder with --out", setup=_write("../mine/v1.keras", _model_bytes)),
    Case("export-empty-labels-file",
         lambda r: ["export", IMAGE(r, "mine/digits.keras"), "--labels", IMAGE(r, "labels.txt"), *OUT(r)],
         "labels.txt: labels file is empty",
         setup=_both(_write("../mine/digits.keras", _model_bytes), _write("../labels.txt", b"\n \n"))),
    Case("export-labels-do-not-match-the-outputs",
         lambda r: ["export", IMAGE(r, "mine/digits.keras"), "--labels", IMAGE(r, "labels.txt"), *OUT(r)],
         "--labels: 3 labels for a model with 10 outputs",
         setup=_both(_write("../mine/digits.keras", _model_bytes), _write("../labels.txt", b"a\nb\nc\n"))),
    Case("export-user-npz-test-data-without-y",
         lambda r: ["export", IMAGE(r, "mine/digits.keras"), "--test-data", IMAGE(r, "nolabels.npz"), *OUT(r)],
         "nolabels.npz", setup=_both(_write("../mine/digits.keras", _model_bytes), _npz_without_y)),
    Case("train-model-file-function-named-like-a-builtin",
         lambda r: ["train", "--model-file", IMAGE(r, "mine.py") + ":v2", *OUT(r)], "'v2' is a built-in model's name",
         setup=_write("../mine.py", b"def v2():\n    raise SystemExit('never called')\n")),
    # (explain works on a model with its own data and pixel mapping since issue 18: tests/test_recipes.py)
    Case("explain-recipes-with-keep-float",
         lambda r: ["explain", str(r / "v1" / "int8.tflite"), "--recipes", "--keep-float", "conv1"],
         "--recipes cannot be combined with --calibration-sweep or --keep-float"),
    Case("explain-train-data-without-recipes",
         lambda r: ["explain", str(r / "v1" / "int8.tflite"), "--train-data", "x.npz"],
         "--train-data is for --recipes (qat fine-tunes on it)"),
    Case("export-unknown-int8-recipe", lambda r: ["export", "v1", "--int8", "--int8-recipe", "magic", *OUT(r)],
         "magic"),
    Case("embed-unknown-target", lambda r: ["embed", str(r / "v1"), "--target", "watch"], "watch"),
    Case("embed-out-is-the-model-folder", lambda r: ["embed", str(r / "v1"), "--target", "mcu", "--out", str(r / "v1")],
         "holds no earlier bundle"),
]


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, artifacts_copy: Path, monkeypatch):
    monkeypatch.delenv("EDGEDIGITS_DATA", raising=False)
    _small_eval_set(artifacts_copy)
    for key, value in (case.env or {}).items():
        monkeypatch.setenv(key, value.replace("{root}", str(artifacts_copy)))
    case.setup(artifacts_copy)
    before = _snapshot(artifacts_copy)
    result = CliRunner().invoke(app, case.args(artifacts_copy))
    output = result.output
    assert result.exit_code == case.exit_code, output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    error_lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, output
    assert case.message.replace("{root}", str(artifacts_copy)) in error_lines[0], output
    assert _snapshot(artifacts_copy) == before, "pre-existing artifacts changed"
    assert not list(artifacts_copy.rglob(".edgedigits-tmp-*")), "temp files left behind"


def test_battery_is_large_enough():
    assert len(CASES) >= 30
