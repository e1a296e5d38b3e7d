"""inspect on every exported format: I/O dtypes and quantization equal the manifest's; real counts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.inspection import inspect_artifact
from edgedigits.manifest import read_manifest
from edgedigits.models import MODELS, count_macs, count_params

runner = CliRunner()
SOURCE = "keras"  # stands for model.keras, which is not in manifest["artifacts"]


@pytest.mark.parametrize("which", ["tflite_float32", "tflite_int8", "onnx_float32", SOURCE])
def test_inspect_matches_manifest(trained_artifacts, which):
    manifest = read_manifest(trained_artifacts / "v1")
    file = "model.keras" if which == SOURCE else manifest["artifacts"][which]["file"]
    report = inspect_artifact(path=trained_artifacts / "v1" / file)
    assert report["parameters"] == count_params(MODELS["v1"]) == 27_210
    assert report["macs"] == count_macs(MODELS["v1"]) == 124_384
    assert report["model"] == "v1" and report["manifest"]["sha256_matches"] is True
    assert report["manifest"]["preprocessing"] == manifest["preprocessing"]
    assert report["operators"] and all(count >= 1 for count in report["operators"].values())
    if which == SOURCE:
        assert report["sha256"] == manifest["source"]["sha256"]
        assert [spec["dtype"] for spec in report["inputs"] + report["outputs"]] == ["float32", "float32"]
        return
    entry = manifest["artifacts"][which]
    assert report["sha256"] == entry["sha256"] and report["bytes"] == entry["bytes"]
    for got, recorded in zip(report["inputs"] + report["outputs"], entry["inputs"] + entry["outputs"]):
        assert got["dtype"] == recorded["dtype"]
        assert got["shape"] == recorded["shape"]
        assert got.get("quantization") == recorded.get("quantization")


def test_int8_model_is_all_int8_and_float_model_is_flagged(trained_artifacts):
    int8 = inspect_artifact(path=trained_artifacts / "v1" / "int8.tflite")
    assert int8["all_int8"] is True and int8["float_ops"] == []
    assert int8["inputs"][0]["quantization"]["zero_point"] == -128
    assert {"CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"} <= set(int8["operators"])
    # Batch-1 activations live at once during MAX_POOL_2D: conv output 26x26x16 + pool output 13x13x16 (int8).
    assert int8["peak_activation_bytes"] == 26 * 26 * 16 + 13 * 13 * 16
    floats = inspect_artifact(path=trained_artifacts / "v1" / "float32.tflite")
    assert floats["all_int8"] is False and "CONV_2D#0" in floats["float_ops"]
    assert floats["peak_activation_bytes"] == 4 * (26 * 26 * 16 + 13 * 13 * 16)


def test_file_changed_since_export_is_reported(artifacts_copy):
    model_dir = artifacts_copy / "v1"
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["artifacts"]["tflite_int8"]["sha256"] = "0" * 64  # as if int8.tflite had been replaced after export
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["inspect", str(model_dir / "int8.tflite"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["manifest"]["sha256_matches"] is False
    assert json.loads(result.output)["manifest"]["listed"] is True
    assert "DIFFERS" in runner.invoke(app, ["inspect", str(model_dir / "int8.tflite")]).output


def test_file_not_listed_in_the_manifest_is_reported_as_such(artifacts_copy):
    """E.g. the int8_keep_float-*.tflite `explain` writes: nothing to compare its sha256 with, so no "DIFFERS"."""
    model_dir = artifacts_copy / "v1"
    unlisted = model_dir / "int8_keep_float-conv2d.tflite"
    unlisted.write_bytes((model_dir / "float32.tflite").read_bytes())
    report = inspect_artifact(path=unlisted)
    assert report["manifest"]["listed"] is False and report["manifest"]["sha256_matches"] is None
    assert report["format"] == "tflite" and report["model"] == "v1"
    table = runner.invoke(app, ["inspect", str(unlisted)])
    assert table.exit_code == 0, table.output
    assert "not listed in manifest" in table.output and "DIFFERS" not in table.output and "matches" not in table.output


def test_changed_source_model_is_reported(artifacts_copy):
    model_dir = artifacts_copy / "v1"
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["source"]["sha256"] = "0" * 64  # as if model.keras had been retrained after export
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    report = inspect_artifact(path=model_dir / "model.keras")
    assert report["manifest"]["listed"] is True and report["manifest"]["sha256_matches"] is False
    assert report["format"] == "keras"


def test_corrupt_manifest_beside_the_file_is_a_one_line_error(artifacts_copy):
    model_dir = artifacts_copy / "v1"
    (model_dir / "manifest.json").write_text("{ not json")
    result = runner.invoke(app, ["inspect", str(model_dir / "int8.tflite")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {model_dir / 'manifest.json'}: manifest is not valid JSON")


def test_cli_table_and_json(trained_artifacts):
    path = trained_artifacts / "v1" / "int8.tflite"
    manifest = read_manifest(trained_artifacts / "v1")
    scale = manifest["artifacts"]["tflite_int8"]["inputs"][0]["quantization"]["scale"]
    table = runner.invoke(app, ["inspect", str(path)])
    assert table.exit_code == 0, table.output
    assert f"scale={scale:.9g}" in table.output and "zero_point=-128" in table.output
    assert "27,210" in table.output and "124,384" in table.output and "matches" in table.output
    as_json = json.loads(runner.invoke(app, ["inspect", str(path), "--json"]).output)
    assert as_json["inputs"][0]["quantization"]["scale"] == scale


@pytest.mark.parametrize("name,content,message", [
    ("notes.txt", b"hello", "unknown artifact type '.txt'"),
    ("broken.tflite", b"not a flatbuffer at all", "cannot be read as a TFLite model"),
    ("broken.onnx", b"\xff\xff\xff\xff", "cannot be read as an ONNX model"),
])
def test_bad_files_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1
