"""inspect checks LiteRT's int8 quantization spec: the suite's real int8 exports are clean, and a copy with one
parameter overwritten in the flatbuffer is flagged by tensor name. The issue's case (a bias zero point
overwritten) is also run through `edgedigits predict`: XNNPACK refuses it at prepare, which is bad input (exit 2,
one line naming the file), never an internal error (exit 3)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from tflite_edits import first_tensor, overwrite, quantized_tensors

runner = CliRunner()


def _activation(data: bytes):
    """An int8 activation inside the graph (not the model input, whose parameters feed the app)."""
    return [t for t in quantized_tensors(data) if t.dtype == "int8" and t.channels == 1][1]


# (id, which tensor, field, channel, value, what the flag line says)
EDITS = [
    ("bias-zero-point", lambda d: first_tensor(d, "int32", min_channels=2), "zero_point", 3, -805306368,
     "int32 zero point -805306368 in channel 3 (must be 0)"),
    ("bias-scale", lambda d: first_tensor(d, "int32", min_channels=2), "scale", 0, 1.0,
     "is not input scale x weight scale"),
    ("weights-not-symmetric", lambda d: first_tensor(d, "int8", min_channels=2), "zero_point", 2, 5,
     "not symmetric: zero point 5 in channel 2"),
    ("weight-scale-negative", lambda d: first_tensor(d, "int8", min_channels=2), "scale", 1, -0.5,
     "scale -0.5 in channel 1 (must be finite and > 0)"),
    ("weight-scale-nan", lambda d: first_tensor(d, "int8", min_channels=2), "scale", 1, math.nan,
     "scale nan in channel 1"),
    ("activation-zero-point-out-of-range", _activation, "zero_point", 0, 300,
     "int8 zero point 300 in the tensor (must be in [-128, 127])"),
    ("activation-scale-infinite", _activation, "scale", 0, math.inf, "scale inf in the tensor"),
]


def _inspect_json(path: Path) -> dict:
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("file", ["int8.tflite", "int8_float_io.tflite", "int8_aiq.tflite", "float32.tflite"])
def test_real_exports_follow_the_spec(trained_artifacts, file):
    assert _inspect_json(trained_artifacts / "v1" / file)["quantization_violations"] == []


@pytest.mark.parametrize("file", ["model.onnx", "model.keras"])
def test_other_formats_say_not_checked(trained_artifacts, file):
    assert _inspect_json(trained_artifacts / "v1" / file)["quantization_violations"] is None


@pytest.mark.parametrize("case", EDITS, ids=[case[0] for case in EDITS])
def test_one_broken_rule_is_flagged_by_tensor_name(trained_artifacts, tmp_path, case):
    _, which, field, channel, value, says = case
    clean = (trained_artifacts / "v1" / "int8.tflite").read_bytes()
    tensor = which(clean)
    path = tmp_path / "int8.tflite"  # alone in its folder: no manifest, so no sha256 gate in front of the loaders
    path.write_bytes(overwrite(clean, tensor, field, channel, value))
    flags = _inspect_json(path)["quantization_violations"]
    assert len(flags) == 1, flags
    assert flags[0].startswith(f"tensor {tensor.index} '{tensor.name}': ") and says in flags[0], flags
    table = runner.invoke(app, ["inspect", str(path)])
    assert table.exit_code == 0 and "int8 spec" in table.output and tensor.name[:30] in table.output, table.output


def test_clean_table_says_the_spec_holds(trained_artifacts):
    result = runner.invoke(app, ["inspect", str(trained_artifacts / "v1" / "int8.tflite")])
    assert result.exit_code == 0 and "follow LiteRT's int8 spec" in result.output, result.output


def test_issue_case_predict_exits_2_with_one_line(trained_artifacts, tmp_path):
    """The fuzz hole of issue 14, through the installed command in its own process, as a user meets it."""
    clean = (trained_artifacts / "v1" / "int8.tflite").read_bytes()
    path = tmp_path / "int8.tflite"
    path.write_bytes(overwrite(clean, first_tensor(clean, "int32", min_channels=2), "zero_point", 3, -805306368))
    image = tmp_path / "digit.png"
    _draw_digit(image)
    done = subprocess.run([sys.executable, "-m", "edgedigits", "predict", str(path), str(image)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], done.stderr
    assert "zero-point" in lines[0] and "Traceback" not in done.stderr + done.stdout
    # The kernels that ignore a bias zero point still run it: the flag in inspect is what warns the user.
    builtin = subprocess.run([sys.executable, "-m", "edgedigits", "predict", str(path), str(image), "--kernels",
                              "builtin"], capture_output=True, text=True, timeout=120)
    assert builtin.returncode == 0, builtin.stderr


def _draw_digit(path: Path) -> None:
    import numpy as np
    from PIL import Image

    pixels = np.zeros((28, 28), np.uint8)
    pixels[5:23, 12:16] = 255  # a "1"
    Image.fromarray(pixels).save(path)
