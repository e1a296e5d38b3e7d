"""Every registered format: loads in its runtime, matches Keras within its tolerance, is in the manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgedigits.artifacts import ARTIFACTS
from edgedigits.data import scale
from edgedigits.fileio import sha256_file
from edgedigits.manifest import read_manifest, verify_artifact_file
from edgedigits.parity import compare
from edgedigits.runtimes import open_runtime

FORMATS = list(ARTIFACTS)
N_IMAGES = 2000


@pytest.fixture(scope="module")
def keras_reference(trained_artifacts, mnist):
    images = scale(mnist.x_test[:N_IMAGES])
    runtime = open_runtime("keras", trained_artifacts / "v1" / "model.keras")
    return images, runtime.predict(images)


@pytest.mark.parametrize("name", FORMATS)
def test_artifact_matches_keras(trained_artifacts, keras_reference, mnist, name):
    artifact = ARTIFACTS[name]
    entry = read_manifest(trained_artifacts / "v1")["artifacts"][name]
    runtime = open_runtime(artifact.runtime, verify_artifact_file(trained_artifacts / "v1", entry))
    images, reference = keras_reference
    probabilities = runtime.predict(images)
    assert probabilities.shape == (N_IMAGES, 10), f"{name}: output shape"
    assert probabilities.dtype == np.float32, f"{name}: output dtype"
    parity = compare(reference, probabilities, mnist.y_test[:N_IMAGES])
    if artifact.precision == "float32":  # same arithmetic as Keras, up to float rounding
        assert parity.max_abs_diff <= 1e-5, f"{name}: max |Δp| {parity.max_abs_diff}"
    elif artifact.tolerance.max_abs_prob_diff is not None:  # e.g. fp16 weights: held to its own Δp bound
        assert parity.max_abs_diff <= artifact.tolerance.max_abs_prob_diff, f"{name}: max |Δp| {parity.max_abs_diff}"
        assert parity.agreement >= 99.5, f"{name}: top-1 agreement {parity.agreement}"
    else:  # quantized: decisions, not probabilities
        assert parity.agreement >= 98.0, f"{name}: top-1 agreement {parity.agreement}"
        assert parity.max_abs_diff < 0.6, f"{name}: max |Δp| {parity.max_abs_diff}"


def test_int8_tflite_is_full_integer(trained_artifacts):
    entry = read_manifest(trained_artifacts / "v1")["artifacts"]["tflite_int8"]
    (tensor_in,), (tensor_out,) = entry["inputs"], entry["outputs"]
    assert tensor_in["dtype"] == "int8" and tensor_out["dtype"] == "int8"
    assert tensor_in["shape"] == [1, 28, 28, 1] and tensor_out["shape"] == [1, 10]  # static batch 1 (devices)
    # Input covers [0, 1] in 256 steps: scale 1/255, zero point -128.
    assert tensor_in["quantization"]["scale"] == pytest.approx(1 / 255, rel=1e-6)
    assert tensor_in["quantization"]["zero_point"] == -128
    # Softmax output: TFLite fixes scale 1/256, zero point -128.
    assert tensor_out["quantization"] == {"scale": 1 / 256, "zero_point": -128}
    assert entry["calibration"]["samples"] == 200 and entry["calibration"]["seed"] == 0


def test_onnx_has_dynamic_batch_and_opset(trained_artifacts):
    import onnx

    entry = read_manifest(trained_artifacts / "v1")["artifacts"]["onnx_float32"]
    model = onnx.load(trained_artifacts / "v1" / entry["file"])
    onnx.checker.check_model(model)
    assert max(op.version for op in model.opset_import if op.domain in ("", "ai.onnx")) >= 17
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert entry["inputs"][0]["shape"] == [-1, 28, 28, 1] and entry["inputs"][0]["dtype"] == "float32"


def test_manifest_describes_every_file(trained_artifacts):
    folder = trained_artifacts / "v1"
    manifest = read_manifest(folder)
    assert manifest["model"] == "v1"
    assert manifest["source"]["sha256"] == sha256_file(folder / "model.keras")
    assert manifest["labels"] == [str(d) for d in range(10)]
    assert manifest["preprocessing"]["formula"] == "pixel / 255"
    assert "tensorflow" in manifest["libraries"]
    assert set(manifest["artifacts"]) == set(FORMATS)
    for name, entry in manifest["artifacts"].items():
        path = folder / entry["file"]
        assert entry["bytes"] == path.stat().st_size, name
        assert entry["sha256"] == sha256_file(path), name
        assert entry["verification"]["images"] == 500, name
    assert not list(folder.glob(".edgedigits-tmp-*"))


def test_reexport_of_one_format_keeps_the_other_entries(artifacts_copy, mnist):
    from edgedigits.config import ExportConfig
    from edgedigits.export import export_model

    folder = artifacts_copy / "v1"
    before = json.loads((folder / "manifest.json").read_text())
    export_model(model_dir=folder, formats=("tflite_float32",), config=ExportConfig(), mnist=mnist)
    after = read_manifest(folder)
    assert set(after["artifacts"]) == set(before["artifacts"])
    # Conversion is deterministic: same model -> same bytes.
    assert after["artifacts"]["tflite_float32"]["sha256"] == before["artifacts"]["tflite_float32"]["sha256"]
