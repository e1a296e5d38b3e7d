"""The CLI through Typer's CliRunner: real commands, one-line errors, exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_models_lists_registry_with_counts():
    result = invoke("models")
    assert result.exit_code == 0
    for text in ("v1", "v2", "v3", "27,210", "83,322", "124,384", "2,541,888"):
        assert text in result.output


def test_models_json():
    rows = json.loads(invoke("models", "--json").output)
    assert [row["name"] for row in rows] == ["v1", "v2", "v3"]
    assert [row["params"] for row in rows] == [27_210, 83_322, 83_322]


@pytest.mark.parametrize("command", ["train", "export"])
def test_unknown_model_is_one_line_error(command, tmp_path):
    result = invoke(command, "v9", "--artifacts-dir", str(tmp_path))
    assert result.exit_code == 2
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert lines == ["error: unknown model 'v9' (choose from v1, v2, v3)"]
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_unknown_format_is_one_line_error(trained_artifacts):
    result = invoke("export", "v1", "--formats", "float32,tflite_int4", "--artifacts-dir", str(trained_artifacts))
    assert result.exit_code == 2
    assert "error: unknown format 'tflite_int4'" in result.output


def test_train_then_export_end_to_end(tmp_path):
    result = invoke("train", "v1", "--epochs", "1", "--train-samples", "2000", "--seed", "1",
                    "--artifacts-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "epoch  1/1" in result.output and "test accuracy" in result.output
    record = json.loads((tmp_path / "v1" / "train.json").read_text())
    assert record["seed"] == 1 and record["train_images"] == 2000

    result = invoke("export", "v1", "--formats", "float32", "--artifacts-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "float32.tflite" in result.output and "agreement 100.00%" in result.output
    manifest = json.loads((tmp_path / "v1" / "manifest.json").read_text())
    assert list(manifest["artifacts"]) == ["tflite_float32"]


def test_export_trains_first_when_no_model(tmp_path, monkeypatch):
    # Shrink the default training so this stays a unit test; the message is what is under test.
    from edgedigits import config

    monkeypatch.setitem(config.DEFAULT_EPOCHS, "v1", 1)
    monkeypatch.setattr(config.TrainConfig, "__init__", _small_train_init(config.TrainConfig.__init__))
    result = invoke("export", "v1", "--formats", "float32", "--artifacts-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "no trained v1" in result.output and "training it first" in result.output
    assert (tmp_path / "v1" / "float32.tflite").is_file()


def _small_train_init(original):
    def init(self, *args, **kwargs):
        kwargs.setdefault("train_samples", 1024)
        original(self, *args, **kwargs)

    return init


def test_version_and_help_are_fast_paths():
    assert invoke("--version").output.startswith("edgedigits ")
    result = invoke("--help")
    assert result.exit_code == 0 and "export" in result.output and "train" in result.output


def test_help_does_not_import_tensorflow():
    import subprocess
    import sys

    heavy = {"tensorflow", "keras", "onnx", "onnxruntime", "tf2onnx", "ai_edge_litert", "matplotlib", "sklearn",
             "scipy", "PIL"}
    code = ("import sys, edgedigits.cli; print(sorted({m.split('.')[0] for m in sys.modules} & %r))" % heavy)
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == "[]", f"heavy modules imported at start-up: {loaded}"
