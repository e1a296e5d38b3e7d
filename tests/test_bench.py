"""`edgedigits bench` on the session's tiny trained v1: real numbers, verdicts, exit codes, reports.

Latency settings are cut to a handful of calls (FAST): these tests check numbers and behaviour, never speed.
"""

from __future__ import annotations

import copy
import functools
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.config import BenchConfig
from edgedigits.fileio import sha256_file
from edgedigits.report import REPORT_KEYS, validate_report, write_report

FAST = dict(runs=3, min_time_s=0.0, max_time_s=0.02, warmup=1, throughput_batch=32)
runner = CliRunner()


@pytest.fixture(scope="module")
def bench(trained_artifacts):
    from edgedigits.bench.run import bench_artifacts

    return bench_artifacts(path=trained_artifacts, config=BenchConfig(**FAST, shifts=("noise",)))


@pytest.fixture()
def fast_cli(monkeypatch):
    """The real CLI with the latency procedure cut short (it builds BenchConfig from options + defaults)."""
    import edgedigits.cli.bench_cmd as bench_cmd

    monkeypatch.setattr(bench_cmd, "BenchConfig", functools.partial(BenchConfig, **{
        key: value for key, value in FAST.items() if key != "runs"}))

    def invoke(*args: str):
        return runner.invoke(app, ["bench", *args, "--runs", "3"], catch_exceptions=False)

    return invoke


def _rows(report: dict, model: str = "v1") -> dict[str, dict]:
    entry = next(m for m in report["models"] if m["name"] == model)
    return {row["name"]: row for row in [entry["reference"], *entry["artifacts"]]}


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def test_keras_reference_agrees_with_itself(bench):
    keras = _rows(bench.report)["keras"]
    assert keras["verdict"] == "REF" and keras["status"] == "ok"
    assert keras["parity"]["agreement"] == 100.0 and keras["parity"]["max_abs_diff"] == 0.0
    assert keras["parity"]["flips"] == {"right_to_wrong": 0, "wrong_to_right": 0}
    assert keras["accuracy"]["delta_pp"] == 0.0
    assert 85 < keras["accuracy"]["value"] < 99  # the tiny model: ~92 %
    low, high = keras["accuracy"]["ci95"]
    assert low < keras["accuracy"]["value"] < high and high - low < 1.5  # 10,000 images: CI about ±0.5 pp


def test_every_artifact_is_benched_and_float_formats_pass(bench, trained_artifacts):
    rows = _rows(bench.report)
    listed = set(_manifest(trained_artifacts / "v1")["artifacts"])
    assert listed <= set(rows)
    for name, row in rows.items():
        # Quantized formats are judged by their own registry tolerance; here it only matters that each ran.
        assert row["status"] in ("ok", "parity failed"), (name, row["error"])
        if row["precision"] == "float32" and name != "keras":
            assert row["verdict"] == "PASS" and row["parity"]["max_abs_diff"] < 1e-4
            assert row["parity"]["agreement"] == 100.0
    # Nothing was corrupt, so never 2: 1 exactly when some (quantized) row failed its thresholds, else 0.
    failed = [row for row in rows.values() if row["verdict"] == "FAIL"]
    assert all(row["status"] == "parity failed" and row["problems"] for row in failed), failed
    assert bench.exit_code == (1 if failed else 0)
    assert bench.report["summary"]["failed"] == len(failed) and bench.report["summary"]["errors"] == 0


FULL_INTEGER = ("tflite_int8", "tflite_int8_float_io", "tflite_int8_aiq")


def test_every_full_integer_tflite_gets_a_tflm_row(bench, trained_artifacts):
    rows = _rows(bench.report)
    manifest = _manifest(trained_artifacts / "v1")
    assert sorted(name for name in rows if name.endswith("@tflm")) == sorted(f"{n}@tflm" for n in FULL_INTEGER)
    for name in FULL_INTEGER:
        row = rows[f"{name}@tflm"]
        assert row["runtime"] == "tflm" and row["kernels"] == "tflm" and row["status"] == "ok", row["error"]
        assert row["latency"] is None  # x86 speed of TFLM says nothing about a microcontroller
        tflm = row["tflm"]
        assert tflm["images"] == BenchConfig.tflm_images == np.array(row["confusion"]).sum()
        # TFLM and LiteRT's reference kernels implement the same integer arithmetic: (nearly) every output equal.
        assert tflm["bit_exact_images"] >= tflm["images"] - 2, (name, tflm)
        # int8 outputs: difference in quantization steps; float outputs (int8_float_io): after DEQUANTIZE.
        assert (tflm["max_steps"] <= 3) if tflm["max_steps"] is not None else tflm["max_abs_diff"] <= 3 / 256
        assert tflm["argmax_equal"] >= tflm["images"] - 1
        assert tflm["arena_bytes"] == manifest["artifacts"][name]["tflm"]["arena_bytes"] > 0
        # Against Keras on its own prefix of the images, like the full-set row against all of them.
        assert abs(row["parity"]["agreement"] - rows[name]["parity"]["agreement"]) < 1.0
    assert rows["tflite_int8"]["kernels"] == "default" and rows["tflite_int8"]["latency"]["runs"] >= 3
    assert rows["tflite_int8"]["latency"]["throughput_mode"] == "batch-1 calls"  # static batch-1 file
    assert rows["onnx_float32"]["latency"]["throughput_mode"] == "batched"
    assert rows["tflite_int8"]["tflm"] is None


def test_tflm_all_names_the_op_it_lacks_and_goes_on(fast_cli, trained_artifacts, tmp_path):
    result = fast_cli(str(trained_artifacts / "v1"), "--tflm", "all", "--tflm-images", "50",
                      "--report-dir", str(tmp_path / "report"), "--max-accuracy-drop", "5", "--min-agreement", "90")
    assert result.exit_code == 1, result.output  # a check failure, not a broken file (that would be 2)
    assert "Traceback" not in result.output
    rows = _rows(json.loads((tmp_path / "report" / "report.json").read_text()))
    # fp16 weights need DEQUANTIZE of float16, dynamic-range a hybrid FULLY_CONNECTED: TFLM has neither.
    for name, op in (("tflite_fp16@tflm", "DEQUANTIZE"), ("tflite_dynamic@tflm", "FULLY_CONNECTED")):
        assert rows[name]["status"] == "unsupported" and rows[name]["verdict"] == "FAIL"
        assert f"TFLite Micro cannot run op {op}" in rows[name]["error"], rows[name]["error"]
        assert f"FAIL v1/{name}:" in result.output
    # Everything else was still benched; float32 runs in TFLM too (its float reference kernels).
    assert rows["tflite_float32@tflm"]["status"] == "ok" and rows["tflite_float32@tflm"]["tflm"]["images"] == 50
    assert rows["tflite_int8@tflm"]["verdict"] == "PASS" and rows["onnx_float32"]["verdict"] == "PASS"


def test_confusion_matrices_and_agreement_matrix_are_consistent(bench):
    n = bench.report["data"]["images"]
    assert n == 10_000
    model = bench.report["models"][0]
    for name, row in _rows(bench.report).items():
        if name.endswith("@tflm"):
            continue  # a prefix of the images (checked in test_every_full_integer_tflite_gets_a_tflm_row)
        matrix = np.array(row["confusion"])
        assert matrix.shape == (10, 10) and matrix.sum() == n, name
        assert np.trace(matrix) / n * 100 == pytest.approx(row["accuracy"]["value"])
        assert np.array(row["confusion_delta"]).sum() == 0  # same images, same label totals
        flips = row["parity"]["flips"]
        assert flips["wrong_to_right"] - flips["right_to_wrong"] == np.trace(matrix) - np.trace(
            np.array(model["reference"]["confusion"]))
        assert len(row["disagreements"]) == min(32, round((100 - row["parity"]["agreement"]) / 100 * n))
    names, values = model["agreement_matrix"]["runtimes"], np.array(model["agreement_matrix"]["values"])
    assert names[0] == "keras" and np.allclose(np.diag(values), 100) and np.allclose(values, values.T)
    for i, name in enumerate(names):
        assert values[0, i] == pytest.approx(_rows(bench.report)[name]["parity"]["agreement"])


def test_shift_numbers_present(bench):
    keras, int8 = _rows(bench.report)["keras"], _rows(bench.report)["tflite_int8"]
    noisy = keras["shift"]["noise"]["accuracy"]["value"]
    assert noisy < keras["accuracy"]["value"]  # noise hurts
    assert 0 < int8["shift"]["noise"]["parity"]["agreement"] <= 100


def test_report_json_validates_against_documented_keys(bench, tmp_path):
    result = copy.deepcopy(bench)
    paths = write_report(result, tmp_path)
    report = json.loads(paths["json"].read_text())
    assert validate_report(report) == []
    assert set(report) == set(REPORT_KEYS["report"])
    row = _rows(report)["tflite_int8"]
    assert set(row) == set(REPORT_KEYS["row"]) and set(row["latency"]) == set(REPORT_KEYS["latency"])
    # The validator can fail: a missing and an undocumented key are both reported.
    broken = copy.deepcopy(report)
    del broken["models"][0]["artifacts"][0]["parity"]["mcnemar_p"]
    broken["models"][0]["reference"]["surprise"] = 1
    problems = validate_report(broken)
    assert any("mcnemar_p" in p for p in problems) and any("surprise" in p for p in problems)
    # Figures exist where the JSON says, and report.md links them.
    markdown = paths["markdown"].read_text()
    for kind in ("confusion", "confusion_delta"):
        relative = row["images"][kind]
        assert (tmp_path / relative).stat().st_size > 1000 and f"]({relative})" in markdown
    assert "| runtime | status | verdict |" in markdown and "↳ TFLite Micro" in markdown
    assert "TensorFlow Lite Micro: outputs bit-exact with LiteRT's reference kernels" in markdown
    assert "10,000 images (mnist test" in markdown


def test_two_runs_give_identical_numbers(bench, trained_artifacts):
    from edgedigits.bench.run import bench_artifacts

    again = bench_artifacts(path=trained_artifacts / "v1", config=BenchConfig(**FAST, shifts=("noise",)))
    for name, row in _rows(bench.report).items():
        other = _rows(again.report)[name]
        for key in ("accuracy", "parity", "confusion", "per_class", "disagreements", "shift"):
            assert row[key] == other[key], (name, key)


def test_cli_passes_and_prints_table(fast_cli, trained_artifacts, tmp_path):
    result = fast_cli(str(trained_artifacts / "v1"), "--report-dir", str(tmp_path / "report"),
                      "--max-accuracy-drop", "5", "--min-agreement", "90")
    assert result.exit_code == 0, result.output
    for text in ("keras", "tflite_float32", "tflite_int8", "onnx_float32", "TFLite Micro", "REF", "PASS"):
        assert text in result.output
    assert "FAIL" not in result.output
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["config"]["min_agreement"] == 90 and report["summary"]["exit_code"] == 0
    # Under the table: which images the TFLite Micro rows saw, and their bit-exact counts, per artifact.
    rows = _rows(report)
    counts = ", ".join(f"{name} {rows[name + '@tflm']['tflm']['bit_exact_images']:,}/"
                       f"{rows[name + '@tflm']['tflm']['images']:,}" for name in FULL_INTEGER)
    assert f"v1: TFLite Micro rows on the first {rows['tflite_int8@tflm']['tflm']['images']:,} images; outputs bit-exact " \
           f"with LiteRT's reference kernels: {counts}" in " ".join(result.output.split())


def _fail_lines(output: str) -> set[str]:
    return {line for line in output.splitlines() if line.startswith("FAIL v1/")}


def test_damaged_artifact_fails_and_exits_1(fast_cli, artifacts_copy):
    """Perturb the ONNX weights (a valid model that answers differently), keep the manifest consistent."""
    import onnx
    from onnx import numpy_helper

    # The tiny model's int8 formats may miss their tolerance on some CPUs (float32 vs bf16 training): what the
    # damage must add is exactly one FAIL line, for the damaged artifact.
    before = _fail_lines(fast_cli(str(artifacts_copy)).output)
    folder = artifacts_copy / "v1"
    path = folder / "model.onnx"
    model = onnx.load(path)
    largest = max(model.graph.initializer, key=lambda t: numpy_helper.to_array(t).size)
    weights = numpy_helper.to_array(largest)
    noise = np.random.default_rng(0).normal(0, weights.std() * 2, weights.shape).astype(weights.dtype)
    largest.CopyFrom(numpy_helper.from_array(weights + noise, largest.name))
    onnx.save(model, path)
    manifest = _manifest(folder)
    manifest["artifacts"]["onnx_float32"] |= {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    (folder / "manifest.json").write_text(json.dumps(manifest))

    result = fast_cli(str(artifacts_copy))
    assert result.exit_code == 1, result.output
    added = sorted(_fail_lines(result.output) - before)
    assert len(added) == 1 and "onnx_float32" in added[0] and "max |Δp|" in added[0], added
    assert not any("onnx_float32" in line for line in before)
    assert "tflite_float32" in result.output  # the others were still benched


def test_corrupt_files_are_named_and_the_rest_still_benched(fast_cli, artifacts_copy, tmp_path):
    folder = artifacts_copy / "v1"
    manifest = _manifest(folder)
    # float32.tflite: truncated behind the manifest's back -> tampered.
    tampered = folder / manifest["artifacts"]["tflite_float32"]["file"]
    tampered.write_bytes(tampered.read_bytes()[:500])
    # int8.tflite: truncated and the manifest updated to match -> passes the sha check, fails to load.
    broken = folder / manifest["artifacts"]["tflite_int8"]["file"]
    broken.write_bytes(broken.read_bytes()[:300])
    manifest["artifacts"]["tflite_int8"] |= {"sha256": sha256_file(broken), "bytes": 300}
    (folder / "manifest.json").write_text(json.dumps(manifest))

    result = fast_cli(str(artifacts_copy), "--report-dir", str(tmp_path / "report"))
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert any(str(tampered) in line and "sha256" in line for line in errors), errors
    assert any(str(broken) in line and "cannot be loaded" in line for line in errors), errors
    assert "Traceback" not in result.output
    rows = _rows(json.loads((tmp_path / "report" / "report.json").read_text()))
    assert rows["tflite_float32"]["status"] == "tampered" and rows["tflite_int8"]["status"] == "load failed"
    assert rows["tflite_int8@tflm"]["status"] == "load failed"
    assert rows["onnx_float32"]["verdict"] == "PASS"  # still benched


def test_tampered_keras_source_stops_only_that_model(fast_cli, artifacts_copy):
    (artifacts_copy / "v1" / "model.keras").write_bytes(b"PK\x03\x04 not really a model")
    result = fast_cli(str(artifacts_copy))
    assert result.exit_code == 2
    assert any("model.keras" in line and "sha256" in line
               for line in result.output.splitlines() if line.startswith("error:"))


@pytest.mark.parametrize("args, message", [
    (["--threads", "0"], "--threads must be at least 1"),
    (["--runs", "0"], "--runs must be at least 1"),
    (["--min-agreement", "150"], "--min-agreement must be between 0 and 100"),
    (["--max-prob-diff", "-1"], "--max-prob-diff must be between 0 and 1"),
    (["--shift", "noise,blur"], "--shift: unknown kind 'blur'"),
])
def test_bad_options_are_one_line_usage_errors(trained_artifacts, args, message):
    result = runner.invoke(app, ["bench", str(trained_artifacts), *args], catch_exceptions=False)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


def test_missing_or_empty_folder_exit_2(fast_cli, tmp_path):
    result = fast_cli(str(tmp_path / "nope"))
    assert result.exit_code == 2 and "no such folder" in result.output
    result = fast_cli(str(tmp_path))
    assert result.exit_code == 2 and "no manifest.json" in result.output


def test_own_npz_data_and_unknown_format(fast_cli, artifacts_copy, mnist, tmp_path):
    """--data with an .npz of 500 images; a manifest entry of a format this version does not know is benched
    through its runtime with precision-based defaults."""
    np.savez(tmp_path / "mine.npz", x=mnist.x_test[:500], y=mnist.y_test[:500])
    folder = artifacts_copy / "v1"
    manifest = _manifest(folder)
    manifest["artifacts"]["tflite_mystery_float32"] = manifest["artifacts"]["tflite_float32"] | {
        "format": "tflite_mystery_float32"}
    (folder / "manifest.json").write_text(json.dumps(manifest))

    # Loose decision thresholds: on 500 images one flip is 0.2 pp, so every row's verdict is certain.
    result = fast_cli(str(folder), "--data", str(tmp_path / "mine.npz"), "--report-dir", str(tmp_path / "r"),
                      "--min-agreement", "90", "--max-accuracy-drop", "5")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["data"]["kind"] == "npz" and report["data"]["images"] == 500
    assert "500 images (npz" in result.output
    mystery = _rows(report)["tflite_mystery_float32"]
    assert mystery["verdict"] == "PASS" and mystery["tolerance"]["max_abs_prob_diff"] == 1e-4
    assert np.array(mystery["confusion"]).sum() == 500


def test_damaged_data_files_are_one_line_errors_exit_2(fast_cli, trained_artifacts, tmp_path):
    """A truncated .npz (zipfile.BadZipFile) and a corrupt gzip IDX (zlib.error) are bad input, not a bug."""
    import gzip

    np.savez(tmp_path / "whole.npz", x=np.zeros((20, 28, 28), np.uint8), y=np.zeros(20, np.int64))
    raw = (tmp_path / "whole.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[:len(raw) // 2])
    images = bytearray(gzip.compress(bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (20, 28, 28))
                                     + bytes(20 * 28 * 28)))
    images[10:14] = b"\xff" * 4  # the first deflate block header
    (tmp_path / "bad-idx3-ubyte.gz").write_bytes(bytes(images))
    (tmp_path / "labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + (20).to_bytes(4, "big") + bytes(20))
    for data, named in ((tmp_path / "cut.npz", "cut.npz: not a readable .npz"),
                        (f"{tmp_path / 'bad-idx3-ubyte.gz'},{tmp_path / 'labels-idx1-ubyte'}",
                         "bad-idx3-ubyte.gz: cannot read IDX file")):
        result = fast_cli(str(trained_artifacts), "--data", str(data))
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert lines[0].startswith("error: ") and named in lines[0] and "internal error" not in lines[0]


def test_markup_in_folder_names_prints_literally(fast_cli, artifacts_copy, mnist, tmp_path):
    """Folder and file names are the user's: "[test]" must print as is, in the table and the error lines."""
    folder = artifacts_copy / "v1[test]"
    (artifacts_copy / "v1").rename(folder)
    tampered = folder / _manifest(folder)["artifacts"]["tflite_float32"]["file"]
    tampered.write_bytes(tampered.read_bytes()[:500])
    np.savez(tmp_path / "mine.npz", x=mnist.x_test[:200], y=mnist.y_test[:200])

    result = fast_cli(str(artifacts_copy), "--data", str(tmp_path / "mine.npz"), "--report-dir",
                      str(tmp_path / "r[bold]"))
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"{tampered}: sha256" in errors[0], result.output
    assert "v1[test]" in result.output and "r[bold]" in result.output and "Traceback" not in result.output
