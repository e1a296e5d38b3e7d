"""Interrupted and concurrent exports never lose or mix artifacts (real processes, real signals)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgedigits.config import TrainConfig
from edgedigits.fileio import TEMP_PREFIX, sha256_file
from edgedigits.manifest import read_manifest
from edgedigits.models import MODELS
from edgedigits.runtimes import open_runtime


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(TEMP_PREFIX)}


def _export_process(root: Path, formats: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "edgedigits", "export", "v1", "--formats", formats, "--artifacts-dir", str(root)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"})


def _wait_for_temp_file(folder: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(folder.glob(TEMP_PREFIX + "*")):
            return
        if process.poll() is not None:
            pytest.fail(f"export ended before it was interrupted: {process.stdout.read().decode()}")
        time.sleep(0.05)
    pytest.fail("export never started writing")


@pytest.fixture(scope="module")
def other_model(mnist, tmp_path_factory) -> Path:
    from edgedigits.train import train_model

    other = tmp_path_factory.mktemp("other")
    train_model(spec=MODELS["v1"], mnist=mnist, out_dir=other, config=TrainConfig(epochs=3, train_samples=8000, seed=5))
    return other / "model.keras"


@pytest.fixture()
def retrained_copy(artifacts_copy, other_model):
    """A copy of the artifacts whose model.keras was replaced by a different model: a new export would change
    every artifact, so an interrupted one must leave all the old ones in place."""
    shutil.copy(other_model, artifacts_copy / "v1" / "model.keras")
    return artifacts_copy


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_interrupted_export_keeps_previous_artifacts(retrained_copy, signum):
    folder = retrained_copy / "v1"
    before = _snapshot(folder)
    process = _export_process(retrained_copy, "float32,int8,onnx")
    _wait_for_temp_file(folder, process)
    process.send_signal(signum)
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode != 0
    assert "Traceback" not in output
    after = _snapshot(folder)
    assert after == before, "previous artifacts or manifest changed"
    if signum != signal.SIGKILL:  # SIGKILL cannot be caught; the next export sweeps its temp files
        assert not list(folder.glob(TEMP_PREFIX + "*")), "temp files left behind"
    # Still loadable and consistent with the manifest.
    manifest = read_manifest(folder)
    for entry in manifest["artifacts"].values():
        assert sha256_file(folder / entry["file"]) == entry["sha256"]
        open_runtime(entry["runtime"], folder / entry["file"])


def test_concurrent_exports_leave_a_consistent_manifest(retrained_copy):
    folder = retrained_copy / "v1"
    first, second = _export_process(retrained_copy, "float32"), _export_process(retrained_copy, "onnx,int8")
    for process in (first, second):
        output = process.communicate(timeout=300)[0].decode()
        assert process.returncode == 0, output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["artifacts"]) >= {"tflite_float32", "onnx_float32", "tflite_int8"}
    for entry in manifest["artifacts"].values():
        assert sha256_file(folder / entry["file"]) == entry["sha256"], entry["file"]
    assert manifest["source"]["sha256"] == sha256_file(folder / "model.keras")
    assert not list(folder.glob(TEMP_PREFIX + "*"))
