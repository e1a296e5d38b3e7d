"""Table-driven bad-input battery: every case makes one bad input, runs the CLI and checks that

- the exit code is 2 (bad usage/input) or 1 (failed check),
- the one-line message names the offending file or option,
- no Python traceback is printed,
- every pre-existing artifact is byte-identical afterwards and no temp file is left behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

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


RANDOM_BYTES = bytes(hashlib.sha256(str(i).encode()).digest()[i % 32] for i in range(4096))
TRAIN_V1 = ["train", "v1", "--epochs", "1", "--train-samples", "512"]
DATA = lambda root: ["--data-dir", str(root.parent / "mnist")]  # noqa: E731
OUT = lambda root: ["--artifacts-dir", str(root)]  # noqa: E731

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
]


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, artifacts_copy: Path, monkeypatch):
    monkeypatch.delenv("EDGEDIGITS_DATA", raising=False)
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
    assert len(CASES) >= 25
