"""embed bundles: numbers from the manifest, golden data equal to the recorded vectors, and no half bundle after
an interruption. (The MCU bundle's C is run and compile-checked in tests/test_embed_mcu.py.)"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.embed import embed_bundle
from edgedigits.golden import find_golden_set, load_golden_array
from edgedigits.manifest import read_manifest

runner = CliRunner()


# The exact constant lines each target's code declares for a quantized tensor (role "input" or "output").
CONSTANT_LINES = {
    "android": lambda role, scale, zp: [f"const val {role.upper()}_SCALE = {scale}f",
                                        f"const val {role.upper()}_ZERO_POINT = {zp}"],
    "ios": lambda role, scale, zp: [f"static let {role}Scale: Float = {scale}", f"static let {role}ZeroPoint = {zp}"],
    "mcu": lambda role, scale, zp: [f"#define EDGEDIGITS_{role.upper()}_SCALE {scale}f",
                                    f"#define EDGEDIGITS_{role.upper()}_ZERO_POINT ({zp})"],
}


@pytest.fixture(scope="module")
def bundles(trained_artifacts, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles")
    return {target: embed_bundle(model_dir=trained_artifacts / "v1", target=target, out=out / target)
            for target in ("android", "ios", "mcu")}


@pytest.mark.parametrize("target", ["android", "ios", "mcu"])
def test_bundle_record_and_numbers_come_from_the_manifest(trained_artifacts, bundles, target):
    manifest = read_manifest(trained_artifacts / "v1")
    folder = bundles[target]
    record = json.loads((folder / "bundle.json").read_text())
    entry = manifest["artifacts"][record["format"]]  # each target's default format
    assert record["source"]["sha256"] == entry["sha256"] and record["input"] == entry["inputs"][0]
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert on_disk == sorted([*record["files"], "bundle.json"])
    for name, info in record["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"], name
    code = "\n".join(p.read_text() for p in folder.rglob("*") if p.suffix in (".kt", ".swift", ".h"))
    lines = {line.split("//")[0].strip() for line in code.splitlines()}
    for role, spec in (("input", entry["inputs"][0]), ("output", entry["outputs"][0])):
        if "quantization" not in spec:  # float I/O (the iOS default): no constants to declare
            continue
        scale, zero_point = f"{spec['quantization']['scale']:.9g}", spec["quantization"]["zero_point"]
        expected = CONSTANT_LINES[target](role, scale, zero_point)
        assert set(expected) <= lines, (expected, sorted(line for line in lines if "ZERO" in line.upper()))
    assert record["golden"]["kernels"] == ("tflm" if target == "mcu" else "default")  # mcu: computed by TFLM itself


@pytest.mark.parametrize("target,resources,test_resources,fmt", [
    ("android", "app/src/main/assets", "app/src/androidTest/assets", "tflite_int8"),
    ("ios", "Resources", "Tests/Resources", "tflite_int8_float_io"),
])
def test_phone_bundles_ship_model_labels_and_default_kernel_goldens(trained_artifacts, bundles, target, resources,
                                                                      test_resources, fmt):
    model_dir = trained_artifacts / "v1"
    manifest = read_manifest(model_dir)
    folder, tests = bundles[target] / resources, bundles[target] / test_resources
    model_file = manifest["artifacts"][fmt]["file"]
    assert (folder / f"v1_{fmt}.tflite").read_bytes() == (model_dir / model_file).read_bytes()
    assert (folder / "labels.txt").read_text().split() == manifest["labels"]
    assert not any(path.name.startswith("golden") for path in folder.iterdir())  # test data stays out of the app
    golden = find_golden_set(manifest, artifact=fmt, kernels="default", manifest_dir=model_dir)
    fed = load_golden_array(model_dir, golden["input"])
    raw = load_golden_array(model_dir, golden["output"])
    assert np.frombuffer((tests / "golden_inputs.bin").read_bytes(), fed.dtype.newbyteorder("<")).tolist() == \
        fed.reshape(-1).tolist()
    assert np.frombuffer((tests / "golden_outputs.bin").read_bytes(), raw.dtype.newbyteorder("<")).tolist() == \
        raw.reshape(-1).tolist()
    assert list((tests / "golden_expected_class.bin").read_bytes()) == raw.argmax(axis=1).tolist()
    code = next(bundles[target].rglob("DigitClassifier.*")).read_text()
    assert "roundHalfAwayFromZero(x / scale)" in code and ("coerceIn(-128, 127)" in code or ", -128), 127)" in code)


def test_android_checks_input_quantization_only_when_the_input_is_quantized(trained_artifacts):
    """The start-up check compares INPUT_SCALE with the model: it must follow the input, not the output."""
    from dataclasses import replace

    from edgedigits.embed.android import classifier_kotlin
    from edgedigits.embed.context import TensorNumbers, load_context

    context = load_context(model_dir=trained_artifacts / "v1", fmt="tflite_int8", kernels="default")
    check = "check(q.scale == INPUT_SCALE && q.zeroPoint == INPUT_ZERO_POINT)"
    float_output = TensorNumbers(context.output.name, context.output.shape, "float32", None, None)
    float_input = TensorNumbers(context.input.name, context.input.shape, "float32", None, None)
    assert check in classifier_kotlin(context)
    assert check in classifier_kotlin(replace(context, output=float_output))
    code = classifier_kotlin(replace(context, input=float_input))
    assert "INPUT_SCALE" not in code and "dequantize(output.get(k).toInt(), OUTPUT_SCALE, OUTPUT_ZERO_POINT)" in code


@pytest.mark.parametrize("name", ["float32", "tflite_float32", " float32 "])
def test_format_takes_the_names_export_takes(trained_artifacts, tmp_path, name):
    folder = embed_bundle(model_dir=trained_artifacts / "v1", target="android", fmt=name, out=tmp_path / "a")
    assert json.loads((folder / "bundle.json").read_text())["format"] == "tflite_float32"


def test_float_format_bundle_has_no_quantization(trained_artifacts, tmp_path):
    folder = embed_bundle(model_dir=trained_artifacts / "v1", target="android", fmt="float32", out=tmp_path / "a")
    code = next(folder.rglob("DigitClassifier.kt")).read_text()
    assert "putFloat" in code and "INPUT_SCALE" not in code
    golden_outputs = folder / "app/src/androidTest/assets/golden_outputs.bin"
    outputs = np.frombuffer(golden_outputs.read_bytes(), "<f4").reshape(20, 10)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, atol=1e-5)


def test_default_out_and_interrupted_embed_keeps_the_old_bundle(artifacts_copy, monkeypatch):
    import edgedigits.embed as embed

    model_dir = artifacts_copy / "v1"
    result = runner.invoke(app, ["embed", str(model_dir), "--target", "ios"])
    assert result.exit_code == 0, result.output
    folder = model_dir / "embed" / "ios"
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def interrupted(staging, destination):
        raise KeyboardInterrupt

    monkeypatch.setattr(embed, "_replace_folder", interrupted)
    result = runner.invoke(app, ["embed", str(model_dir), "--target", "ios"])
    assert result.exit_code == 130
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert [p.name for p in (model_dir / "embed").iterdir()] == ["ios"]  # no staging folder left behind


def test_out_pointing_at_a_folder_that_is_not_a_bundle_is_refused(artifacts_copy):
    model_dir = artifacts_copy / "v1"
    before = {p.relative_to(model_dir): p.read_bytes() for p in model_dir.rglob("*") if p.is_file()}
    result = runner.invoke(app, ["embed", str(model_dir), "--target", "mcu", "--out", str(model_dir)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: --out {model_dir}: folder is not empty and holds no earlier bundle")
    assert len(result.output.strip().splitlines()) == 1
    assert {p.relative_to(model_dir): p.read_bytes() for p in model_dir.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in artifacts_copy.iterdir()) == ["v1"]  # no staging folder left beside it


def test_out_replaces_an_old_bundle_or_fills_an_empty_folder(trained_artifacts, tmp_path):
    old = tmp_path / "old"
    embed_bundle(model_dir=trained_artifacts / "v1", target="ios", out=old)
    (old / "stale.txt").write_text("left from an earlier bundle")
    folder = embed_bundle(model_dir=trained_artifacts / "v1", target="mcu", out=old)
    assert not (folder / "stale.txt").exists()
    assert json.loads((folder / "bundle.json").read_text())["target"] == "mcu"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (embed_bundle(model_dir=trained_artifacts / "v1", target="mcu", out=empty) / "bundle.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "old"]


@pytest.mark.parametrize("args,message", [
    (["--target", "mcu", "--format", "onnx_float32"], "--format onnx_float32: not a .tflite artifact"),
    (["--target", "mcu", "--format", "onnx"], "--format onnx_float32: not a .tflite artifact"),
    (["--target", "mcu", "--format", "nonsense"], "--format nonsense: not a .tflite artifact"),
    (["--target", "mcu", "--format", "all"], "--format all: embed bundles one format"),
])
def test_bad_embed_requests_exit_2(trained_artifacts, tmp_path, args, message):
    result = runner.invoke(app, ["embed", str(trained_artifacts / "v1"), *args, "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "b").exists()


def test_missing_manifest_exit_2(tmp_path):
    result = runner.invoke(app, ["embed", str(tmp_path), "--target", "android"])
    assert result.exit_code == 2 and "no manifest" in result.output
