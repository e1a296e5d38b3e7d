"""Format names: every spelling of a name (`-`/`_`, any case, with or without `tflite_`) means the same format
in every command that names one (export --formats, explain --format, embed --format)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.artifacts import ARTIFACTS, format_name, resolve_formats
from edgedigits.cli.app import app
from edgedigits.errors import UsageError

runner = CliRunner()
SPELLINGS = ["int8_float_io", "int8-float-io", "tflite_int8_float_io", "tflite-int8-float-io", "INT8-Float_IO",
             " int8_float_io "]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_int8_float_io(spelling):
    assert format_name(spelling) == "tflite_int8_float_io"
    assert resolve_formats([spelling]) == ("tflite_int8_float_io",)


@pytest.mark.parametrize("name", list(ARTIFACTS))
def test_every_registered_name_in_every_spelling(name):
    short = name.removeprefix("tflite_")
    for spelling in {name, name.replace("_", "-"), short, short.replace("_", "-"), name.upper()}:
        assert format_name(spelling) == name, spelling


def test_short_names_keep_their_meaning():
    assert resolve_formats(["float32", "int8", "onnx", "onnx-int8", "onnx_int8"]) == (
        "tflite_float32", "tflite_int8", "onnx_float32", "onnx_int8")
    assert resolve_formats(["All"]) == tuple(ARTIFACTS)
    # "int8" stays TFLite int8 and "float32" TFLite float32: no spelling reaches ONNX's by accident.
    assert format_name("int8") == "tflite_int8" and format_name("float32") == "tflite_float32"
    assert format_name("onnx_float32") == "onnx_float32"


@pytest.mark.parametrize("bad", ["int3", "int8__float_io", "tflite", "onnx_int8_float_io", ""])
def test_unknown_spelling_is_refused(bad):
    assert format_name(bad) is None
    with pytest.raises(UsageError, match="unknown format"):
        resolve_formats([bad])


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output
    return lines[0] if len(lines) == 1 else "\n".join(lines)


@pytest.mark.parametrize("spelling", SPELLINGS[:4])
def test_explain_format_takes_every_spelling(spelling, tmp_path, monkeypatch):
    import edgedigits.explain.sweep as sweep

    def fake_sweep(*, format_name, **_):  # the library call the command makes, with the name it resolved
        raise UsageError(f"sweep asked for {format_name}")

    monkeypatch.setattr(sweep, "calibration_sweep", fake_sweep)
    result = runner.invoke(app, ["explain", str(tmp_path), "--calibration-sweep", "10", "--format", spelling])
    assert result.exit_code == 2
    assert _one_line(result) == "error: sweep asked for tflite_int8_float_io"


@pytest.mark.parametrize("spelling", SPELLINGS[:4])
def test_export_formats_take_every_spelling(spelling, trained_artifacts, monkeypatch):
    import edgedigits.export as export

    def fake_export(*, formats, **_):
        raise UsageError(f"export asked for {','.join(formats)}")

    monkeypatch.setattr(export, "export_model", fake_export)
    result = runner.invoke(app, ["export", "v1", "--formats", f"float32,{spelling}", "--artifacts-dir",
                                 str(trained_artifacts)])
    assert result.exit_code == 2
    assert _one_line(result).endswith("error: export asked for tflite_float32,tflite_int8_float_io")


@pytest.mark.parametrize("spelling", SPELLINGS[:4])
def test_embed_format_takes_every_spelling(spelling, trained_artifacts, tmp_path):
    import json

    out = tmp_path / "bundle"
    result = runner.invoke(app, ["embed", str(trained_artifacts / "v1"), "--target", "ios", "--format", spelling,
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "bundle.json").read_text())["format"] == "tflite_int8_float_io"
