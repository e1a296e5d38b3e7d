"""The quantization formats of issue 6: each loads in its runtime, holds its bench tolerance on the 10k test
images, and is really the precision it claims (checked in the file, not taken from the manifest)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.artifacts import ARTIFACTS, resolve_formats
from edgedigits.cli.app import app

NEW_FORMATS = ("tflite_fp16", "tflite_dynamic", "tflite_int8_float_io", "tflite_int8_aiq", "onnx_int8")


@pytest.fixture(scope="module")
def manifest(trained_artifacts) -> dict:
    return json.loads((trained_artifacts / "v1" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def keras_reference(trained_artifacts, mnist):
    from edgedigits.data import scale
    from edgedigits.runtimes import open_runtime

    images = scale(mnist.x_test)
    return images, open_runtime("keras", trained_artifacts / "v1" / "model.keras").predict(images)


def tensor_dtypes(path) -> dict[str, str]:
    """Every tensor of a .tflite file: name -> numpy dtype name."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    return {detail["name"]: np.dtype(detail["dtype"]).name for detail in interpreter.get_tensor_details()}


def test_registry_lists_every_new_format_with_an_alias():
    assert set(NEW_FORMATS) <= set(ARTIFACTS)
    assert resolve_formats(["fp16", "dynamic", "int8-float-io", "int8-aiq", "onnx-int8"]) == NEW_FORMATS
    assert resolve_formats(["all"]) == tuple(ARTIFACTS)
    assert resolve_formats(["float32", "int8", "onnx"]) == ("tflite_float32", "tflite_int8", "onnx_float32")


@pytest.mark.parametrize("name", NEW_FORMATS)
def test_format_passes_its_bench_tolerance_on_the_test_set(name, manifest, keras_reference, trained_artifacts, mnist):
    from edgedigits.parity import compare, structure_problems, violations
    from edgedigits.runtimes import open_runtime

    artifact = ARTIFACTS[name]
    entry = manifest["artifacts"][name]
    assert entry["file"] == artifact.file and entry["runtime"] == artifact.runtime
    if artifact.calibrated:  # the calibration is documented where bench and users read it
        assert entry["calibration"]["samples"] == 200 and entry["calibration"]["method"]
    images, reference = keras_reference
    candidate = open_runtime(artifact.runtime, trained_artifacts / "v1" / artifact.file).predict(images)
    assert structure_problems(reference, candidate) == []
    parity = compare(reference, candidate, mnist.y_test)
    assert violations(parity, artifact.tolerance) == [], f"{name}: {parity}"


def test_fp16_stores_float16_weights_and_halves_the_size(trained_artifacts, manifest):
    dtypes = tensor_dtypes(trained_artifacts / "v1" / "fp16.tflite")
    assert "float16" in dtypes.values() and "int8" not in dtypes.values()
    sizes = {name: entry["bytes"] for name, entry in manifest["artifacts"].items()}
    assert sizes["tflite_fp16"] < 0.6 * sizes["tflite_float32"]


def test_dynamic_range_has_int8_weights_and_float_io(manifest, trained_artifacts):
    entry = manifest["artifacts"]["tflite_dynamic"]
    assert entry["inputs"][0]["dtype"] == "float32" and entry["outputs"][0]["dtype"] == "float32"
    assert "int8" in tensor_dtypes(trained_artifacts / "v1" / "dynamic.tflite").values()


def test_int8_float_io_takes_floats_but_computes_in_int8(manifest, trained_artifacts):
    entry = manifest["artifacts"]["tflite_int8_float_io"]
    assert entry["inputs"][0]["dtype"] == "float32" and "quantization" not in entry["inputs"][0]
    assert entry["outputs"][0]["dtype"] == "float32"
    dtypes = tensor_dtypes(trained_artifacts / "v1" / "int8_float_io.tflite")
    assert sum(dtype == "int8" for dtype in dtypes.values()) >= 4  # conv, pool, flatten, dense, softmax
    assert manifest["artifacts"]["tflite_int8"]["inputs"][0]["dtype"] == "int8"  # the short form is unchanged


def test_converter_int8_formats_share_one_calibration_method(manifest):
    from edgedigits.artifacts.tflite_int8 import CALIBRATION_METHOD

    for name in ("tflite_int8", "tflite_int8_float_io"):
        assert manifest["artifacts"][name]["calibration"]["method"] == CALIBRATION_METHOD


def test_aiq_int8_is_quantized(manifest, trained_artifacts):
    dtypes = tensor_dtypes(trained_artifacts / "v1" / "int8_aiq.tflite")
    assert sum(dtype == "int8" for dtype in dtypes.values()) >= 4
    assert "ai-edge-quantizer" in manifest["artifacts"]["tflite_int8_aiq"]["calibration"]["method"]


def test_onnx_int8_is_static_qdq_per_channel_and_smaller(trained_artifacts, manifest):
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(trained_artifacts / "v1" / "int8.onnx"))
    ops = [node.op_type for node in model.graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    initializers = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    # Per-channel weights: some DequantizeLinear reads an int8 weight with one scale per output channel.
    per_channel = [node for node in model.graph.node if node.op_type == "DequantizeLinear"
                   and initializers.get(node.input[0]) is not None and initializers[node.input[0]].dtype == np.int8
                   and initializers[node.input[1]].size > 1]
    assert per_channel
    # 7-bit weights, so x86 CPUs without VNNI cannot saturate (onnx_int8 module docstring); the range is used.
    weights = [initializers[node.input[0]] for node in per_channel]
    assert max(int(np.abs(w.astype(np.int32)).max()) for w in weights) == 64
    assert all(-64 <= int(w.min()) and int(w.max()) <= 64 for w in weights)  # 255 * 64 * 2 < 32767
    assert manifest["artifacts"]["onnx_int8"]["bytes"] < manifest["artifacts"]["onnx_float32"]["bytes"] / 2
    assert "MinMax" in manifest["artifacts"]["onnx_int8"]["calibration"]["method"]


def test_export_cli_accepts_new_aliases(artifacts_copy):
    result = CliRunner().invoke(app, ["export", "v1", "--formats", "fp16,onnx-int8", "--calibration-samples", "50",
                                      "--artifacts-dir", str(artifacts_copy)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "fp16.tflite" in result.output and "int8.onnx" in result.output
    manifest = json.loads((artifacts_copy / "v1" / "manifest.json").read_text())
    assert manifest["artifacts"]["onnx_int8"]["calibration"]["samples"] == 50
    assert set(NEW_FORMATS) <= set(manifest["artifacts"])  # the untouched formats survive the partial export


def test_export_cli_rejects_unknown_format_in_one_line(trained_artifacts):
    result = CliRunner().invoke(app, ["export", "v1", "--formats", "fp16,int3",
                                      "--artifacts-dir", str(trained_artifacts)], catch_exceptions=False)
    assert result.exit_code == 2
    assert [line for line in result.output.splitlines() if line.strip()][0].startswith("error: unknown format 'int3'")
    assert "Traceback" not in result.output
