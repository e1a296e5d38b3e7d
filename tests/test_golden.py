"""Golden vectors written by export: the right inputs, recorded in the manifest, reproduced exactly by the
runtime on the same kernels, and nothing but .npy files in golden/ (the MCU bundle renders its own C header:
tests/test_embed_mcu.py)."""

from __future__ import annotations

import numpy as np
import pytest

from edgedigits.golden import PER_CLASS, load_golden_array
from edgedigits.manifest import read_manifest


@pytest.fixture(scope="module")
def model_dir(trained_artifacts):
    return trained_artifacts / "v1"


@pytest.fixture(scope="module")
def manifest(model_dir):
    return read_manifest(model_dir)


def test_golden_inputs_are_the_first_two_test_images_of_each_class(manifest, model_dir, mnist):
    golden = manifest["golden"]
    labels = np.array(golden["labels"])
    assert labels.tolist() == [digit for digit in range(10) for _ in range(PER_CLASS)]
    for digit in range(10):
        assert golden["indices"][PER_CLASS * digit:PER_CLASS * (digit + 1)] == \
            np.flatnonzero(mnist.y_test == digit)[:PER_CLASS].tolist()
    inputs = load_golden_array(model_dir, golden["inputs"])
    assert inputs.dtype == np.float32 and inputs.shape == (20, 28, 28, 1)
    np.testing.assert_array_equal(inputs[:, :, :, 0], mnist.x_test[golden["indices"]].astype(np.float32) / 255)


def test_every_artifact_has_golden_sets_for_its_kernels(manifest):
    sets = {(s["artifact"], s["kernels"]) for s in manifest["golden"]["sets"]}
    for name, entry in manifest["artifacts"].items():
        # MCU goldens only where TensorFlow Lite Micro itself runs the file (it lacks fp16 and hybrid kernels).
        runs_on_tflm = name in ("tflite_float32", "tflite_int8", "tflite_int8_float_io", "tflite_int8_aiq")
        assert entry.get("tflm", {}).get("runs", False) == runs_on_tflm, name
        expected = ({"tflm", "default"} if runs_on_tflm else {"default"}) if entry["runtime"] == "tflite" else {"cpu"}
        assert {kernels for artifact, kernels in sets if artifact == name} == expected, name
    mcu = next(s for s in manifest["golden"]["sets"] if s["artifact"] == "tflite_int8" and s["kernels"] == "tflm")
    assert mcu["target"] == "mcu" and "TensorFlow Lite Micro" in mcu["computed_by"]
    assert mcu["tolerance"]["argmax"] == "exact" and mcu["tolerance"]["max_abs_steps"] == 3


def test_golden_outputs_reproduce_exactly_through_the_runtime(manifest, model_dir):
    """Reload each artifact with the recorded kernels: int8 outputs are bit-exact, floats identical."""
    from edgedigits.runtimes import open_runtime
    from edgedigits.runtimes.tflite_rt import dequantize

    checked = 0
    for golden_set in manifest["golden"]["sets"]:
        entry = manifest["artifacts"][golden_set["artifact"]]
        fed = load_golden_array(model_dir, golden_set["input"])
        expected = load_golden_array(model_dir, golden_set["output"])
        if golden_set["kernels"] == "tflm":
            runtime = open_runtime("tflm", model_dir / entry["file"])
            got = np.concatenate([runtime.predict_raw(image[np.newaxis]) for image in fed])
        elif entry["runtime"] == "tflite":
            runtime = open_runtime("tflite", model_dir / entry["file"], kernels=golden_set["kernels"])
            got = np.concatenate([runtime.predict_raw(image[np.newaxis]) for image in fed])
            if "probabilities" in golden_set:
                np.testing.assert_array_equal(load_golden_array(model_dir, golden_set["probabilities"]),
                                              dequantize(expected, runtime.outputs[0]))
        else:
            runtime = open_runtime(entry["runtime"], model_dir / entry["file"])
            got = np.concatenate([runtime.predict(image[np.newaxis]) for image in fed])
        assert got.dtype == expected.dtype, golden_set["artifact"]
        np.testing.assert_array_equal(got, expected, err_msg=f"{golden_set['artifact']} {golden_set['kernels']}")
        checked += 1
    assert checked >= 6


def test_int8_golden_input_is_the_round_and_clip_quantization(manifest, model_dir):
    golden_set = next(s for s in manifest["golden"]["sets"] if s["artifact"] == "tflite_int8")
    quant = manifest["artifacts"]["tflite_int8"]["inputs"][0]["quantization"]
    images = load_golden_array(model_dir, manifest["golden"]["inputs"])
    fed = load_golden_array(model_dir, golden_set["input"])
    assert fed.dtype == np.int8
    # LiteRT's QUANTIZE rule: round(x / scale) with ties away from zero, then + zero_point, then clip.
    scaled = images / np.float32(quant["scale"])
    rounded = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    expected = np.clip(rounded + quant["zero_point"], -128, 127).astype(np.int8)
    np.testing.assert_array_equal(fed, expected)


def test_tampered_golden_file_is_refused(artifacts_copy):
    from edgedigits.errors import ArtifactError

    model_dir = artifacts_copy / "v1"
    manifest = read_manifest(model_dir)
    record = manifest["golden"]["sets"][0]["output"]
    path = model_dir / record["file"]
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="sha256 does not match"):
        load_golden_array(model_dir, record)


@pytest.mark.parametrize("file", ["manifest.json", "golden/../manifest.json", "elsewhere/golden/inputs.npy",
                                  "/tmp/golden/inputs.npy"])
def test_golden_record_pointing_outside_golden_is_refused(manifest, model_dir, file):
    from edgedigits.errors import ArtifactError

    record = {**manifest["golden"]["inputs"], "file": file}
    with pytest.raises(ArtifactError, match="golden file outside golden/"):
        load_golden_array(model_dir, record)


def test_golden_folder_holds_only_recorded_npy_files(manifest, model_dir):
    """Export writes no C (the mcu target owns it); every file in golden/ is a .npy the manifest records."""
    golden = manifest["golden"]
    recorded = {golden["inputs"]["file"], golden["labels_file"]["file"]}
    for golden_set in golden["sets"]:
        assert "header" not in golden_set
        recorded |= {golden_set[key]["file"] for key in ("input", "output", "probabilities") if key in golden_set}
    on_disk = {f"golden/{path.name}" for path in (model_dir / "golden").iterdir()}
    assert on_disk == recorded and all(name.endswith(".npy") for name in on_disk)


def test_tolerance_covers_the_difference_seen_between_kernel_sets():
    from edgedigits.golden import _tolerance

    assert _tolerance("int8", 0.0)["max_abs_steps"] == 3
    assert _tolerance("int8", 10.0)["max_abs_steps"] == 10  # seen on v2 int8 via ai-edge-quantizer
    assert _tolerance("float32", 0.0)["max_abs"] == 1e-5
    assert _tolerance("float32", 1.67e-4)["max_abs"] == pytest.approx(6.7e-4)  # seen on v3 dynamic-range, x4
    assert _tolerance("float32", 5.35e-5)["max_abs"] == pytest.approx(2.2e-4)  # tiny v1 dynamic, rounded up
    assert _tolerance("float32", 2.5e-5)["max_abs"] == pytest.approx(1e-4)  # exact stays
    assert _tolerance("float32", 3.9e-3)["max_abs"] == pytest.approx(1.6e-2)  # int8 float I/O: one step, x4


def test_float_tolerance_is_the_measured_kernel_spread_and_export_survives_a_failed_measurement(
        artifacts_copy, mnist, monkeypatch):
    import edgedigits.golden as golden
    from edgedigits.config import ExportConfig
    from edgedigits.export import export_model

    model_dir = artifacts_copy / "v1"
    sets = {(s["artifact"], s["kernels"]): s for s in read_manifest(model_dir)["golden"]["sets"]}
    dynamic = sets[("tflite_dynamic", "default")]
    spread = dynamic["kernel_spread"]
    assert spread["images"] == golden.SPREAD_IMAGES and spread["max_abs_diff"] > 0
    assert dynamic["tolerance"]["max_abs"] == golden._tolerance("float32", spread["max_abs_diff"])["max_abs"]
    assert "kernel_spread" not in sets[("tflite_int8", "default")]  # int8 output: tolerance in steps

    def broken(path, images):
        raise RuntimeError("reference kernels cannot run this model")

    monkeypatch.setattr(golden, "kernel_spread", broken)
    export_model(model_dir=model_dir, formats=("tflite_float32",), config=ExportConfig(calibration_samples=50),
                 mnist=mnist)
    again = {(s["artifact"], s["kernels"]): s for s in read_manifest(model_dir)["golden"]["sets"]}
    record = again[("tflite_float32", "default")]
    assert record["kernel_spread"] == {"kernels": list(golden.SPREAD_KERNELS),
                                       "error": "reference kernels cannot run this model"}
    # Back to the plain rule: the floor (TFLM vs LiteRT on the 20 golden images differ far below it here).
    assert record["tolerance"]["max_abs"] == golden.FLOAT_TOLERANCE
