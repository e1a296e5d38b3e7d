"""`edgedigits explain` on the session's tiny v1: per-layer debugger rows, --keep-float, ONNX SQNR, the sweep."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.errors import UsageError
from edgedigits.explain import explain_artifact
from edgedigits.explain.sweep import calibration_sweep, parse_sizes
from edgedigits.fileio import sha256_file


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def one_line_error(result, code: int = 2) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == code and len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.fixture(scope="module")
def tflite_explanation(trained_artifacts, mnist):
    return explain_artifact(path=trained_artifacts / "v1" / "int8.tflite", mnist=mnist)


def int8_ops(path) -> list[str]:
    """Op names of a .tflite whose first output is int8: what the debugger should report one row each for."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    dtypes = {detail["index"]: detail["dtype"] for detail in interpreter.get_tensor_details()}
    return sorted(op["op_name"] for op in interpreter._get_ops_details()
                  if op["outputs"].size and dtypes[op["outputs"][0]] == np.int8 and op["op_name"] != "QUANTIZE")


def test_tflite_explain_has_one_finite_row_per_quantized_layer(tflite_explanation, trained_artifacts):
    rows = tflite_explanation.rows
    assert sorted(row["op"] for row in rows) == int8_ops(trained_artifacts / "v1" / "int8.tflite")
    assert {"conv1", "pool1", "flatten", "output"} <= {row["layer"] for row in rows}
    for row in rows:
        assert all(math.isfinite(row[key]) for key in ("rmse_over_scale", "mean_error", "max_abs_error", "scale"))
    ranked = [row["rmse_over_scale"] for row in rows]
    assert ranked == sorted(ranked, reverse=True)  # worst first
    # Layers that compute (conv, dense) sit near the 0.289 rounding floor on a healthy model; a bug that
    # divided by the wrong scale or compared unrelated tensors would land far from it.
    computing = [row["rmse_over_scale"] for row in rows if row["op"] in ("CONV_2D", "FULLY_CONNECTED")]
    assert computing and all(0.05 < value < 1.5 for value in computing)


def test_keep_float_writes_a_new_file_with_that_layer_in_float(artifacts_copy, mnist):
    model_dir = artifacts_copy / "v1"
    before = sha256_file(model_dir / "int8.tflite")
    explanation = explain_artifact(path=model_dir / "int8.tflite", mnist=mnist, keep_float=("conv1",),
                                   test_samples=500)
    kept = model_dir / "int8_keep_float-conv1.tflite"
    assert kept.is_file() and sha256_file(model_dir / "int8.tflite") == before

    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_path=str(kept)).get_tensor_details()
    conv = [np.dtype(d["dtype"]).name for d in details if "/conv1" in d["name"]]
    dense = [np.dtype(d["dtype"]).name for d in details if "/output" in d["name"]]
    assert conv and set(conv) == {"float32"}  # weights and output of conv1 stay float
    assert "int8" in dense  # the rest is still int8
    assert [row["model"] for row in explanation.trade] == ["all int8", "float: conv1"]
    assert all(0 <= row["agreement"] <= 100 and row["bytes"] > 0 for row in explanation.trade)


def test_keep_float_unknown_layer_is_one_line_error(trained_artifacts):
    line = one_line_error(invoke("explain", str(trained_artifacts / "v1" / "int8.tflite"), "--keep-float", "conv9"))
    assert "--keep-float conv9" in line and "conv1" in line


def test_onnx_explain_reports_finite_sqnr_per_quantized_tensor(trained_artifacts, mnist):
    explanation = explain_artifact(path=trained_artifacts / "v1" / "int8.onnx", mnist=mnist)
    rows = explanation.rows
    matched = [row for row in rows if row["kind"] == "activation" and math.isfinite(row["float_sqnr"])]
    assert {"conv1", "output"} <= {row["layer"] for row in matched}
    assert {"conv1", "output"} <= {row["layer"] for row in rows if row["kind"] == "weight"}
    # 8-bit quantization of a sane model keeps every tensor well above 20 dB of signal over noise.
    assert all(row["float_sqnr"] > 20 for row in matched)
    assert json.dumps(explanation.to_json(), allow_nan=False)  # non-finite values become null


def test_calibration_sweep_reports_each_size(trained_artifacts, mnist):
    from edgedigits.explain.recorded import model_recorded_data

    data = model_recorded_data(trained_artifacts / "v1", mnist_loader=lambda: mnist)
    explanation = calibration_sweep(model_dir=trained_artifacts / "v1", sizes=(10, 200), data=data,
                                    test_samples=500)
    assert [row["samples"] for row in explanation.rows] == [10, 200]
    for row in explanation.rows:
        assert row["bytes"] > 0 and 0 <= row["agreement"] <= 100 and 0 <= row["accuracy"] <= 100


@pytest.mark.parametrize("text", ["10,abc", "0", "", "10,70000"])
def test_bad_sweep_sizes_are_usage_errors(text):
    with pytest.raises(UsageError, match="--calibration-sweep"):
        parse_sizes(text, limit=60_000)


def test_cli_json_and_report(trained_artifacts, tmp_path):
    result = invoke("explain", str(trained_artifacts / "v1" / "int8.tflite"), "--json", "--report-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["kind"] == "tflite-debugger" and payload["rows"]
    png = tmp_path / "tflite-debugger-int8.tflite.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "tflite-debugger-int8.tflite.json").read_text()) == payload


def test_cli_sweep_table(trained_artifacts):
    result = invoke("explain", str(trained_artifacts / "v1"), "--calibration-sweep", "20", "--format", "onnx-int8",
                    "--calibration-seed", "3", "--test-samples", "300")
    assert result.exit_code == 0, result.output
    assert "onnx_int8 calibrated" in result.output and "(seed 3)" in result.output and "agreement" in result.output


@pytest.mark.parametrize("name, message", [
    ("all", "--format takes one format, got 'all'"),
    ("int8,onnx-int8", "--format takes one format"),
    ("int3", "unknown format 'int3'"),
    ("float32", "--format tflite_float32 uses no calibration data"),  # an `export --formats` alias, resolved
])
def test_cli_sweep_format_takes_one_export_name(trained_artifacts, name, message):
    assert message in one_line_error(invoke("explain", str(trained_artifacts / "v1"), "--calibration-sweep", "20",
                                            "--format", name))


@pytest.mark.parametrize("file, message", [
    ("fp16.tflite", "not a calibrated int8 format"),
    ("int8_aiq.tflite", "not made by the TFLite converter"),
    ("missing.tflite", "file not found"),
    ("model.keras", "the trained Keras source"),
    ("train.json", "not listed in"),
])
def test_cli_rejects_what_it_cannot_explain(trained_artifacts, file, message):
    assert message in one_line_error(invoke("explain", str(trained_artifacts / "v1" / file)))


def test_cli_names_a_corrupt_or_missing_manifest(artifacts_copy):
    (artifacts_copy / "v1" / "manifest.json").write_text("{ not json")
    line = one_line_error(invoke("explain", str(artifacts_copy / "v1" / "int8.tflite")))
    assert "manifest.json" in line and "not valid JSON" in line
    (artifacts_copy / "v1" / "manifest.json").unlink()
    line = one_line_error(invoke("explain", str(artifacts_copy / "v1" / "int8.tflite")))
    assert "no manifest.json beside it" in line


def test_cli_prints_markup_in_names_literally(artifacts_copy, tmp_path, monkeypatch):
    """Folder names are the user's: "[test]" prints as is in the table title and the report lines."""
    (artifacts_copy / "v1").rename(artifacts_copy / "v1[test]")
    monkeypatch.chdir(artifacts_copy)  # a short relative subject: the title stays on one line
    result = invoke("explain", "v1[test]/int8.onnx", "--report-dir", str(tmp_path / "r[bold]"))
    assert result.exit_code == 0, result.output
    assert "v1[test]/int8.onnx" in result.output
    assert f"{tmp_path / 'r[bold]' / 'onnx-qdq-int8.onnx.json'}" in result.output


def test_cli_folder_needs_sweep(trained_artifacts):
    assert "--calibration-sweep" in one_line_error(invoke("explain", str(trained_artifacts / "v1")))


def test_debugger_quantizes_the_same_model_as_the_export(trained_artifacts, mnist, tmp_path):
    """explain re-creates the converter from model.keras and the manifest: its int8 model must answer
    exactly like the exported int8.tflite, or the per-layer report would describe a different model."""
    from edgedigits.data import calibration_sample, scale
    from edgedigits.quantize.debugger import make_debugger, quantize_calibrated
    from edgedigits.fileio import atomic_write_bytes
    from edgedigits.runtimes import open_runtime
    from edgedigits.runtimes.keras_rt import load_keras_model

    folder = trained_artifacts / "v1"
    calibration = json.loads((folder / "manifest.json").read_text())["artifacts"]["tflite_int8"]["calibration"]
    images = calibration_sample(mnist, samples=calibration["samples"], seed=calibration["seed"])
    debugger = make_debugger(load_keras_model(folder / "model.keras"), images, int8_io=True)
    recreated = tmp_path / "recreated-int8.tflite"
    atomic_write_bytes(recreated, quantize_calibrated(debugger, int8_io=True))
    test_images = scale(mnist.x_test[:1000])
    expected = open_runtime("tflite", folder / "int8.tflite").predict(test_images)
    np.testing.assert_array_equal(open_runtime("tflite", recreated).predict(test_images), expected)


def test_keep_float_reaches_the_output_softmax(artifacts_copy, mnist):
    """The debugger's dump mangles the output tensor's name ("…_1:0" -> "…_1:"); keeping it in float must
    still work rather than silently write an all-int8 model."""
    model_dir = artifacts_copy / "v1"
    explain_artifact(path=model_dir / "int8.tflite", mnist=mnist, keep_float=("softmax",), test_samples=200)
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_path=str(model_dir / "int8_keep_float-softmax.tflite")).get_tensor_details()
    softmax = [np.dtype(d["dtype"]).name for d in details if d["name"].startswith("StatefulPartitionedCall")]
    assert "float32" in softmax
