"""Device-ready `.tflite` files: static batch 1, exactly the model's ops, the same answers as the dynamic-batch
conversion they replace, and `inspect` flags what a static-shape runtime would refuse."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.artifacts import ARTIFACTS, ExportContext
from edgedigits.cli.app import app
from edgedigits.manifest import read_manifest

TFLITE_FORMATS = [name for name, artifact in ARTIFACTS.items() if artifact.runtime == "tflite"]
LAYER_OPS = {"CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}
# What each format adds to the layers' ops: float I/O around int8 kernels quantizes in and dequantizes out;
# fp16 weights are dequantized to float32 once, at load.
EXTRA_OPS = {"tflite_int8_float_io": {"QUANTIZE", "DEQUANTIZE"},
             "tflite_fp16": {"DEQUANTIZE"}}


@pytest.fixture(scope="module")
def model_dir(trained_artifacts):
    return trained_artifacts / "v1"


@pytest.fixture(scope="module")
def keras_model(model_dir):
    from edgedigits.runtimes.keras_rt import load_keras_model

    return load_keras_model(model_dir / "model.keras")


@pytest.mark.parametrize("name", TFLITE_FORMATS)
def test_tflite_is_static_batch_1_with_exactly_the_layer_ops(model_dir, name):
    from ai_edge_litert.interpreter import Interpreter

    from edgedigits.tflite_graph import read_tflite_graph

    entry = read_manifest(model_dir)["artifacts"][name]
    interpreter = Interpreter(model_path=str(model_dir / entry["file"]))
    (detail,) = interpreter.get_input_details()
    assert detail["shape"].tolist() == [1, 28, 28, 1] and detail["shape_signature"].tolist() == [1, 28, 28, 1]
    assert interpreter.get_output_details()[0]["shape_signature"].tolist() == [1, 10]
    graph = read_tflite_graph(model_dir / entry["file"])
    assert not [t.spec.name for t in graph.tensors.values() if -1 in t.spec.shape]  # no dynamic tensor anywhere
    assert set(graph.op_counts()) == LAYER_OPS | EXTRA_OPS.get(name, set()), name
    assert entry["inputs"][0]["shape"] == [1, 28, 28, 1]


def _dynamic_twin(name: str, keras_model, mnist) -> bytes:
    """The same format converted the old way (dynamic batch), same calibration sample as export used."""
    from edgedigits.artifacts.tflite_converter import keras_converter
    from edgedigits.artifacts.tflite_int8 import int8_converter
    from edgedigits.data import calibration_sample

    from edgedigits.artifacts.tflite_dynamic import dynamic_range_converter
    from edgedigits.artifacts.tflite_fp16 import fp16_converter

    if name == "tflite_float32":
        return keras_converter(keras_model, static_batch=False).convert()
    if name == "tflite_fp16":
        return fp16_converter(keras_model, static_batch=False).convert()
    if name == "tflite_dynamic":
        return dynamic_range_converter(keras_model, static_batch=False).convert()
    sample = calibration_sample(mnist, samples=200, seed=0)  # the suite's ExportConfig(calibration_samples=200)
    context = ExportContext(model=keras_model, calibration_images=lambda: sample, calibration={})
    return int8_converter(context, float_io=name == "tflite_int8_float_io", static_batch=False).convert()


# tflite_int8_aiq is left out: ai-edge-quantizer starts from the exported (static) float32 file, so its only
# dynamic twin would be a second quantizer run on a dynamic float32 file, not the same conversion.
@pytest.mark.parametrize("name", ["tflite_float32", "tflite_fp16", "tflite_dynamic", "tflite_int8",
                                  "tflite_int8_float_io"])
def test_static_file_answers_exactly_like_the_dynamic_conversion(model_dir, keras_model, mnist, tmp_path, name):
    from edgedigits.data import scale
    from edgedigits.runtimes import open_runtime
    from edgedigits.runtimes.tflite_rt import quantize

    dynamic_path = tmp_path / "dynamic.tflite"
    dynamic_path.write_bytes(_dynamic_twin(name, keras_model, mnist))
    static = open_runtime("tflite", model_dir / ARTIFACTS[name].file, kernels="reference")
    dynamic = open_runtime("tflite", dynamic_path, kernels="reference")
    assert dynamic.inputs[0].shape == (-1, 28, 28, 1) and static.inputs[0].shape == (1, 28, 28, 1)
    # Same quantization at the edges: the calibration saw the same activations through the same layers.
    for a, b in ((static.inputs[0], dynamic.inputs[0]), (static.outputs[0], dynamic.outputs[0])):
        assert (a.dtype, a.scale, a.zero_point) == (b.dtype, b.scale, b.zero_point)
    images = scale(mnist.x_test[:300])
    fed = quantize(images, static.inputs[0])
    got, expected = static.predict_raw(fed), dynamic.predict_raw(fed)
    assert got.shape == expected.shape == (300, 10) and got.dtype == expected.dtype
    if name in ("tflite_float32", "tflite_fp16", "tflite_dynamic"):
        assert np.abs(got - expected).max() <= 1e-6, np.abs(got - expected).max()
    else:  # int8 kernels: bit-exact (float I/O: dequantized from identical integers)
        np.testing.assert_array_equal(got, expected)


def test_inspect_flags_dynamic_dimensions_and_shape_ops(keras_model, mnist, tmp_path, model_dir):
    dynamic_path = tmp_path / "dynamic.tflite"
    dynamic_path.write_bytes(_dynamic_twin("tflite_float32", keras_model, mnist))
    result = CliRunner().invoke(app, ["inspect", str(dynamic_path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["shape_ops"] == ["PACK", "SHAPE", "STRIDED_SLICE"]
    assert report["inputs"][0]["shape"] == [-1, 28, 28, 1] and report["dynamic_tensors"]
    assert any(w.startswith("dynamic dimension (-1) in ") and "LiteRT.js" in w for w in report["device_warnings"])
    assert any(w.startswith("shape-computing ops PACK, SHAPE, STRIDED_SLICE") for w in report["device_warnings"])
    # The exported static file: nothing to flag, and TFLite Micro's measured arena next to the estimate.
    static = json.loads(CliRunner().invoke(app, ["inspect", str(model_dir / "int8.tflite"), "--json"]).output)
    assert static["device_warnings"] == [] and static["shape_ops"] == [] and static["dynamic_tensors"] == []
    manifest_tflm = read_manifest(model_dir)["artifacts"]["tflite_int8"]["tflm"]
    assert static["tflm"]["runs"] and static["tflm"]["arena_bytes"] == manifest_tflm["arena_bytes"] > 0
    assert static["arena_estimate_error"] == pytest.approx(
        (static["arena_estimate_bytes"] - static["tflm"]["arena_bytes"]) / static["tflm"]["arena_bytes"])
    text = CliRunner().invoke(app, ["inspect", str(dynamic_path)]).output
    assert "dynamic dimension (-1)" in text and "shape-computing ops" in text


def test_concatenation_of_feature_maps_is_not_a_shape_op(tmp_path):
    """Only the run-time shape arithmetic is flagged (SHAPE and what is computed from it alone): a skip
    connection's CONCATENATION does real work, in the static file and in its dynamic twin."""
    import keras

    from edgedigits.artifacts.tflite_converter import keras_converter

    inputs = keras.Input((28, 28, 1))
    first = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    second = keras.layers.Conv2D(4, 3, padding="same")(first)
    merged = keras.layers.Concatenate()([first, second])
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(merged))
    model = keras.Model(inputs, outputs)
    reports = {}
    for static in (True, False):
        path = tmp_path / f"skip_{static}.tflite"
        path.write_bytes(keras_converter(model, static_batch=static).convert())
        result = CliRunner().invoke(app, ["inspect", str(path), "--json"], catch_exceptions=False)
        reports[static] = json.loads(result.output)
    assert "CONCATENATION" in reports[True]["operators"] and reports[True]["shape_ops"] == []
    assert reports[True]["device_warnings"] == []
    assert "CONCATENATION" in reports[False]["operators"]
    assert reports[False]["shape_ops"] == ["PACK", "SHAPE", "STRIDED_SLICE"]


def test_tflm_arena_report_never_reaches_the_terminal(model_dir):
    """TFLM prints its allocation report on the native stderr; inspect captures it at the descriptor level."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "edgedigits", "inspect", str(model_dir / "int8.tflite")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "arena" in done.stdout.lower()  # the measured figure is shown, in inspect's own words
    for stream in (done.stdout, done.stderr):
        assert "Arena allocation" not in stream and "[RecordingMicroAllocator]" not in stream


def test_tflm_record_in_manifest_names_the_op_it_lacks(model_dir):
    artifacts = read_manifest(model_dir)["artifacts"]
    assert artifacts["tflite_dynamic"]["tflm"]["runs"] is False
    assert artifacts["tflite_dynamic"]["tflm"]["op"] == "FULLY_CONNECTED"
    assert artifacts["tflite_fp16"]["tflm"]["op"] == "DEQUANTIZE"
    for name in ("tflite_int8", "tflite_int8_float_io", "tflite_int8_aiq", "tflite_float32"):
        record = artifacts[name]["tflm"]
        assert record["runs"] is True and record["arena_bytes"] == record["head_bytes"] + record["tail_bytes"]
        assert record["package"].startswith("tflite-micro ")
    assert "tflm" not in artifacts["onnx_float32"]
