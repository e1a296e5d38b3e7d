"""embed bundles: numbers from the manifest, golden data equal to the recorded vectors, C sources that compile
and hold the model byte for byte, and no half bundle after an interruption."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.embed import embed_bundle
from edgedigits.golden import find_golden_set, load_golden_array
from edgedigits.manifest import read_manifest

runner = CliRunner()
CXX = shutil.which("c++") or shutil.which("g++")
CC = shutil.which("cc")


@pytest.fixture(scope="module")
def bundles(trained_artifacts, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundles")
    return {target: embed_bundle(model_dir=trained_artifacts / "v1", target=target, out=out / target)
            for target in ("android", "ios", "mcu")}


@pytest.mark.parametrize("target", ["android", "ios", "mcu"])
def test_bundle_record_and_numbers_come_from_the_manifest(trained_artifacts, bundles, target):
    manifest = read_manifest(trained_artifacts / "v1")
    entry = manifest["artifacts"]["tflite_int8"]
    folder = bundles[target]
    record = json.loads((folder / "bundle.json").read_text())
    assert record["source"]["sha256"] == entry["sha256"] and record["input"] == entry["inputs"][0]
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert on_disk == sorted([*record["files"], "bundle.json"])
    for name, info in record["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"], name
    text = "\n".join(p.read_text() for p in folder.rglob("*") if p.suffix in (".md", ".kt", ".swift", ".h", ".cc"))
    for spec in (entry["inputs"][0], entry["outputs"][0]):
        assert f"{spec['quantization']['scale']:.9g}" in text
        assert str(spec["quantization"]["zero_point"]) in text
    assert record["golden"]["kernels"] == ("reference" if target == "mcu" else "default")


@pytest.mark.parametrize("target,prefix", [("android", "assets"), ("ios", "Resources")])
def test_phone_bundles_ship_model_labels_and_default_kernel_goldens(trained_artifacts, bundles, target, prefix):
    model_dir = trained_artifacts / "v1"
    manifest = read_manifest(model_dir)
    folder = bundles[target] / prefix
    assert (folder / "v1_tflite_int8.tflite").read_bytes() == (model_dir / "int8.tflite").read_bytes()
    assert (folder / "labels.txt").read_text().split() == manifest["labels"]
    golden = find_golden_set(manifest, artifact="tflite_int8", kernels="default", manifest_dir=model_dir)
    fed = load_golden_array(model_dir, golden["input"])
    raw = load_golden_array(model_dir, golden["output"])
    assert np.frombuffer((folder / "golden_inputs.bin").read_bytes(), np.int8).tolist() == fed.reshape(-1).tolist()
    assert np.frombuffer((folder / "golden_outputs.bin").read_bytes(), np.int8).tolist() == raw.reshape(-1).tolist()
    assert list((folder / "golden_expected_class.bin").read_bytes()) == raw.argmax(axis=1).tolist()
    code = next(bundles[target].glob("DigitClassifier.*")).read_text()
    assert "round" in code.lower() and ("coerceIn(-128, 127)" in code or "Int8(clamping:" in code)


@pytest.mark.skipif(CXX is None or CC is None, reason="no C/C++ compiler")
def test_mcu_sources_compile_and_hold_the_model_byte_for_byte(trained_artifacts, bundles, tmp_path):
    from edgedigits.tflite_graph import estimate_arena, read_tflite_graph

    folder = bundles["mcu"]
    model = (trained_artifacts / "v1" / "int8.tflite").read_bytes()
    dump = tmp_path / "dump.cc"
    dump.write_text('#include <cstdio>\n#include <cstdint>\n#include "model_data.h"\n#include "golden_vectors.h"\n'
                    '#include "model_settings.h"\n'
                    "int main() {\n"
                    "  if (reinterpret_cast<std::uintptr_t>(g_model_data) % 16 != 0) return 2;\n"
                    "  std::printf(\"%u %d\\n\", g_model_data_len, EDGEDIGITS_TENSOR_ARENA_SIZE);\n"
                    "  std::fwrite(g_model_data, 1, g_model_data_len, stdout);\n  return 0;\n}\n")
    subprocess.run([CC, "-Wall", "-Wextra", "-Werror", "-c", str(folder / "model_data.cc"), "-o",
                    str(tmp_path / "model_data.o")], check=True, capture_output=True)
    subprocess.run([CXX, "-Wall", "-Wextra", "-Werror", "-I", str(folder), str(dump), str(tmp_path / "model_data.o"),
                    "-o", str(tmp_path / "dump")], check=True, capture_output=True)
    output = subprocess.run([str(tmp_path / "dump")], check=True, capture_output=True).stdout
    header, data = output.split(b"\n", 1)
    length, arena = (int(v) for v in header.split())
    assert length == len(model) == (trained_artifacts / "v1" / "int8.tflite").stat().st_size
    assert data == model
    assert arena == estimate_arena(read_tflite_graph(trained_artifacts / "v1" / "int8.tflite")).suggested_arena_bytes
    golden = (folder / "golden_vectors.h").read_text()
    assert "LiteRT builtin kernels without default delegates" in golden
    readme = (folder / "README.md").read_text()
    assert "estimate" in readme and f"{arena:,}" in readme
    test_cc = (folder / "golden_test.cc").read_text()
    for method in ("AddConv2D", "AddMaxPool2D", "AddFullyConnected", "AddSoftmax", "AddReshape"):
        assert f"resolver.{method}();" in test_cc


def test_float_format_bundle_has_no_quantization(trained_artifacts, tmp_path):
    folder = embed_bundle(model_dir=trained_artifacts / "v1", target="android", fmt="float32", out=tmp_path / "a")
    code = (folder / "DigitClassifier.kt").read_text()
    assert "putFloat" in code and "INPUT_SCALE" not in code
    outputs = np.frombuffer((folder / "assets" / "golden_outputs.bin").read_bytes(), "<f4").reshape(20, 10)
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


@pytest.mark.parametrize("args,message", [
    (["--target", "mcu", "--format", "onnx_float32"], "--format onnx_float32: not a .tflite artifact"),
    (["--target", "mcu", "--format", "nonsense"], "--format nonsense: not a .tflite artifact"),
])
def test_bad_embed_requests_exit_2(trained_artifacts, tmp_path, args, message):
    result = runner.invoke(app, ["embed", str(trained_artifacts / "v1"), *args, "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "b").exists()


def test_missing_manifest_exit_2(tmp_path):
    result = runner.invoke(app, ["embed", str(tmp_path), "--target", "android"])
    assert result.exit_code == 2 and "no manifest" in result.output
