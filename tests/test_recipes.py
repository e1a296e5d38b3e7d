"""int8 recipes (edgedigits.quantize): each remedy on small models of our own, the automatic search, its manifest
record, bench's recipe column, explain --recipes on a model with its own data, and the refusals.

The int8-hostile models are tests/hostile_models.py, trained briefly here; nothing in edgedigits knows them.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import hostile_models
from edgedigits.cli import app

SMALL = dict(samples=6_000, epochs=1, seed=0)


def cli(*args: str):
    return CliRunner().invoke(app, [str(arg) for arg in args])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, mnist) -> Path:
    """outlier.keras (one conv channel 1000x louder) and attention.keras, trained briefly."""
    folder = tmp_path_factory.mktemp("hostile")
    hostile_models.outlier(mnist).save(folder / "outlier.keras")  # 12,000 images, 2 epochs: ~92 % accurate
    hostile_models.attention(mnist, **SMALL).save(folder / "attention.keras")
    return folder


@pytest.fixture(scope="module")
def outlier_export(hostile, tmp_path_factory) -> Path:
    """The outlier model exported with the default --int8-recipe auto."""
    out = tmp_path_factory.mktemp("auto") / "outlier"
    result = cli("export", hostile / "outlier.keras", "--int8", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def _dtypes(path: Path) -> dict[str, str]:
    from ai_edge_litert.interpreter import Interpreter

    return {d["name"]: np.dtype(d["dtype"]).name for d in Interpreter(model_path=str(path)).get_tensor_details()}


# --- equalize ---------------------------------------------------------------------------------------------------

def test_equalize_keeps_the_float_function_and_quiets_the_outlier(hostile, mnist):
    import keras

    from edgedigits.data import scale
    from edgedigits.quantize.equalize import check_unchanged, equalize_model, find_pairs

    model = keras.models.load_model(hostile / "outlier.keras")
    assert [(a.name, b.name, flat) for a, b, flat in find_pairs(model)] == [("conv1", "conv2", False),
                                                                          ("conv2", "output", True)]
    original = [weight.copy() for weight in model.get_weights()]
    before = np.abs(model.get_layer("conv1").kernel.numpy()).reshape(-1, 16).max(0)
    twin, summary = equalize_model(model)
    images = scale(mnist.x_test[:256])
    assert check_unchanged(model, twin, images) < 1e-5
    after = np.abs(twin.get_layer("conv1").kernel.numpy()).reshape(-1, 16).max(0)
    assert before.max() / np.median(before) > 300  # the planted outlier channel
    assert after.max() / np.median(after) < 30  # equalized: no channel dominates the activation range
    assert summary["scale_max"] > 100 and summary["pairs"] == ["conv1->conv2", "conv2->output"]
    # The original model is untouched (export re-runs it afterwards to check exactly that).
    assert all(np.array_equal(a, b) for a, b in zip(original, model.get_weights()))


def test_equalize_check_catches_a_broken_rescale(hostile, mnist, monkeypatch):
    """A rescale that forgets the second layer changes the function: refused, never converted."""
    import keras

    from edgedigits.data import scale
    from edgedigits.quantize import RecipeNotApplicable, equalize

    model = keras.models.load_model(hostile / "outlier.keras")
    real_apply = equalize._apply

    def first_half_only(first, second, flattened, scale_):
        kept = second.kernel.numpy()
        real_apply(first, second, flattened, scale_)
        second.kernel.assign(kept)  # forgets to amplify the channel back where it is used

    monkeypatch.setattr(equalize, "_apply", first_half_only)
    twin, _ = equalize.equalize_model(model)
    with pytest.raises(RecipeNotApplicable, match="equalize changed the float model's outputs"):
        equalize.check_unchanged(model, twin, scale(mnist.x_test[:256]))


# --- auto: plain fails, a remedy passes --------------------------------------------------------------------------

def test_auto_turns_the_outlier_fail_into_a_pass(outlier_export):
    entry = _manifest(outlier_export)["artifacts"]["tflite_int8"]
    recipe = entry["recipe"]
    rows = {row["recipe"]: row for row in recipe["candidates"]}
    assert rows["ptq"]["passed"] is False and rows["ptq"]["agreement"] < 90  # plain int8 collapses
    assert rows[recipe["name"]]["chosen"] and rows[recipe["name"]]["passed"]
    assert recipe["name"] == "equalize" and rows["equalize"]["agreement"] >= 99.5  # the channel fix, exactly
    assert recipe["gate"] == {"min_agreement": 99.5, "max_accuracy_drop": 0.2, "images": 500}
    assert recipe["equalization"]["float_change"] < 1e-4
    # Every candidate got the same measurement: verification, TFLite Micro, latency, size.
    for row in recipe["candidates"]:
        if row["bytes"] is not None:
            assert row["tflm_runs"] is not None and row["latency_us"] > 0 and row["agreement"] is not None
    # The file in the folder is the chosen candidate, with its manifest facts.
    assert entry["verification"]["agreement"] == rows["equalize"]["agreement"]
    assert entry["bytes"] == rows["equalize"]["bytes"] and entry["tflm"]["runs"] is True
    assert entry["inputs"][0]["dtype"] == "int8" and entry["outputs"][0]["dtype"] == "int8"


def test_fallback_keeps_the_named_layers_float_and_records_tflm(outlier_export):
    rows = {row["recipe"]: row for row in _manifest(outlier_export)["artifacts"]["tflite_int8"]["recipe"]["candidates"]}
    fallback = rows["fallback"]
    assert fallback["passed"] and fallback["detail"].startswith("float: ")
    assert fallback["tflm_runs"] is True and fallback["tflm_arena_bytes"] > rows["ptq"]["tflm_arena_bytes"]


def test_explicit_fallback_file_has_float_layers(hostile, tmp_path):
    out = tmp_path / "fb"
    result = cli("export", hostile / "outlier.keras", "--formats", "int8", "--int8-recipe", "fallback", "--out", out)
    assert result.exit_code == 0, result.output
    recipe = _manifest(out)["artifacts"]["tflite_int8"]["recipe"]
    assert recipe["name"] == "fallback" and recipe["float_layers"]
    dtypes = _dtypes(out / "int8.tflite")
    for tensor in recipe["float_tensors"]:
        assert dtypes[tensor] == "float32", tensor
    assert [row["recipe"] for row in recipe["candidates"]] == ["fallback"]
    assert recipe["tries"][-1]["passed"] and recipe["tries"][-1]["float_layers"] == recipe["float_layers"]


def test_int16_file_has_int16_activations_and_runs_in_tflm(hostile, tmp_path, mnist):
    from edgedigits.data import scale
    from edgedigits.runtimes.tflite_rt import TFLiteRuntime
    from edgedigits.runtimes.tflm_rt import TFLMRuntime

    out = tmp_path / "i16"
    result = cli("export", hostile / "outlier.keras", "--formats", "int8", "--int8-recipe", "int16", "--out", out)
    assert result.exit_code == 0, result.output
    entry = _manifest(out)["artifacts"]["tflite_int8"]
    assert entry["recipe"]["name"] == "int16" and entry["inputs"][0]["dtype"] == "int16"
    activations = [dtype for name, dtype in _dtypes(out / "int8.tflite").items() if dtype in ("int8", "int16")]
    assert "int16" in activations  # every activation is int16, the weights int8
    assert entry["tflm"]["runs"] is True and entry["tflm"]["arena_bytes"] > 0
    images = scale(mnist.x_test[:50])
    litert = TFLiteRuntime(out / "int8.tflite", threads=1, kernels="reference").predict(images)
    tflm = TFLMRuntime(out / "int8.tflite").predict(images)
    assert np.array_equal(litert.argmax(1), tflm.argmax(1)) and np.abs(litert - tflm).max() < 1e-3


def test_qat_file_is_full_integer_runs_in_tflm_and_keeps_accuracy(trained_artifacts, tmp_path, mnist):
    from edgedigits.data import scale
    from edgedigits.quantize.qat import float_operators
    from edgedigits.runtimes.keras_rt import load_keras_model
    from edgedigits.runtimes.tflm_rt import TFLMRuntime

    out = tmp_path / "qat"
    result = cli("export", trained_artifacts / "v1" / "model.keras", "--formats", "int8", "--int8-recipe", "qat",
                 "--qat-epochs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert "qat epoch 1/1" in result.output
    entry = _manifest(out)["artifacts"]["tflite_int8"]
    recipe = entry["recipe"]
    assert recipe["name"] == "qat" and recipe["epochs"] == 1 and recipe["train_data"]["images"] == 60_000
    assert len(recipe["train_data"]["sha256"]) == 64
    assert float_operators(out / "int8.tflite", float_io=False) == []
    assert entry["inputs"][0]["dtype"] == "int8" and entry["tflm"]["runs"] is True
    images, labels = scale(mnist.x_test[:1000]), mnist.y_test[:1000]
    keras_accuracy = np.mean(np.asarray(load_keras_model(out / "model.keras")(images)).argmax(1) == labels) * 100
    tflm_accuracy = np.mean(TFLMRuntime(out / "int8.tflite").predict(images).argmax(1) == labels) * 100
    assert tflm_accuracy >= keras_accuracy - 0.2, (tflm_accuracy, keras_accuracy)


# --- models that pass plainly keep plain int8, byte for byte -----------------------------------------------------

def test_a_model_that_passes_keeps_plain_ptq_byte_for_byte(trained_artifacts, tmp_path):
    auto, plain = tmp_path / "auto", tmp_path / "plain"
    model = trained_artifacts / "v1" / "model.keras"
    same = ("--formats", "int8", "--calibration-samples", "200")  # the shared fixture's calibration
    assert cli("export", model, *same, "--out", auto).exit_code == 0
    assert cli("export", model, *same, "--int8-recipe", "ptq", "--out", plain).exit_code == 0
    assert (auto / "int8.tflite").read_bytes() == (plain / "int8.tflite").read_bytes()
    assert (auto / "int8.tflite").read_bytes() == (trained_artifacts / "v1" / "int8.tflite").read_bytes()
    recipe = _manifest(auto)["artifacts"]["tflite_int8"]["recipe"]
    assert recipe["name"] == "ptq" and [row["recipe"] for row in recipe["candidates"]] == ["ptq"]
    assert _manifest(plain)["artifacts"]["tflite_int8"]["recipe"] == {"name": "ptq"}


# --- no candidate passes: exit 1, the table, a next step, the folder untouched -----------------------------------

def test_no_passing_recipe_exits_1_and_leaves_the_folder_as_it_was(outlier_export, tmp_path, monkeypatch):
    from edgedigits.artifacts import ARTIFACTS, Tolerance

    folder = tmp_path / "outlier"
    shutil.copytree(outlier_export, folder)
    before = {path.name: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    # A gate nothing can meet (agreement above 100 %): every candidate fails, as on a truly int8-hostile model.
    impossible = Tolerance(min_agreement=100.5, max_accuracy_drop=-100.0)
    monkeypatch.setitem(ARTIFACTS, "tflite_int8", dataclasses.replace(ARTIFACTS["tflite_int8"], tolerance=impossible))
    result = cli("export", folder / "model.keras", "--formats", "int8", "--qat-epochs", "1", "--out", folder)
    assert result.exit_code == 1, result.output
    assert "int8 recipes for tflite_int8" in result.output and "qat epoch 1/1" in result.output
    assert all(name in result.output for name in ("equalize", "fallback", "int16"))
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: int8.tflite: no int8 recipe reached the gate (best: ") and "next: " in last
    assert {path.name: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before


# --- refusals: one line, exit 2, nothing written ------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--formats", "onnx-int8", "--int8-recipe", "qat"], "--int8-recipe qat cannot make onnx_int8 (it makes "
                                                          "tflite_int8, tflite_int8_float_io)"),
    (["--formats", "int8,int8-aiq", "--int8-recipe", "int16"], "--int8-recipe int16 cannot make tflite_int8_aiq "
                                                                "(it makes tflite_int8, tflite_int8_float_io)"),
    (["--formats", "float32", "--int8-recipe", "equalize"], "--int8-recipe equalize: no int8 format requested (add "
                                                            "--int8 or an int8 --formats)"),
    (["--int8", "--int8-recipe", "equalize", "--train-data", "x.npz"], "--train-data is for --int8-recipe qat (or "
                                                                       "auto), not equalize"),
    (["--int8", "--qat-epochs", "0"], "--qat-epochs must be at least 1, got 0"),
])
def test_recipe_refusals(hostile, tmp_path, args, message):
    out = tmp_path / "out"
    result = cli("export", hostile / "outlier.keras", *args, "--out", out)
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == f"error: {message}", result.output
    assert not out.exists() or not any(out.iterdir())


def test_a_recipe_that_cannot_handle_the_model_is_one_line(hostile, tmp_path):
    out = tmp_path / "attn"
    result = cli("export", hostile / "attention.keras", "--formats", "int8", "--int8-recipe", "equalize", "--out", out)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == \
        "error: equalize: no Conv2D/Dense pair joined by ReLU, pooling or a linear path"
    assert "Traceback" not in result.output and not (out / "int8.tflite").exists()


# --- your own data: train, QAT and explain on it --------------------------------------------------------------------

def _quadrant_data(folder: Path, count: int, seed: int) -> Path:
    """32x32x3 images whose bright quadrant is the class (4 classes), as an .npz."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, count)
    images = rng.integers(0, 60, (count, 32, 32, 3)).astype(np.uint8)
    for index, label in enumerate(labels):
        row, col = divmod(int(label), 2)
        images[index, row * 16:(row + 1) * 16, col * 16:(col + 1) * 16] += 150
    path = folder / f"quadrants-{seed}.npz"
    np.savez(path, x=images, y=labels)
    return path


ARCHITECTURE = '''
import keras
from keras import layers

def quadrants():
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(8, 3, strides=2, activation="relu")(inputs)
    x = layers.Conv2D(8, 3, strides=2, activation="relu")(x)
    x = layers.Flatten()(x)  # where the bright quadrant is, is the class
    return keras.Model(inputs, layers.Dense(4, activation="softmax")(x))
'''


@pytest.fixture(scope="module")
def own_model(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("own")
    (folder / "arch.py").write_text(ARCHITECTURE)
    (folder / "labels.txt").write_text("top-left\ntop-right\nbottom-left\nbottom-right\n")
    files = {"train": _quadrant_data(folder, 600, 1), "test": _quadrant_data(folder, 200, 2), "folder": folder,
             "labels": folder / "labels.txt"}
    result = cli("train", "--model-file", f"{folder / 'arch.py'}:quadrants", "--train-data", files["train"],
                 "--test-data", files["test"], "--labels", files["labels"], "--epochs", "15", "--artifacts-dir",
                 folder / "artifacts")
    assert result.exit_code == 0, result.output
    files["model"] = folder / "artifacts" / "quadrants" / "model.keras"
    return files


def test_train_on_your_own_data(own_model):
    record = json.loads((own_model["model"].parent / "train.json").read_text())
    assert record["data"]["train"]["images"] == 600 and record["data"]["test"]["images"] == 200
    assert record["data"]["labels"] == ["top-left", "top-right", "bottom-left", "bottom-right"]
    assert record["test_accuracy"] > 50  # 4 classes: chance is 25 %


def test_train_data_refusals(own_model, tmp_path):
    result = cli("train", "--model-file", f"{own_model['folder'] / 'arch.py'}:quadrants", "--train-data",
                 own_model["train"], "--artifacts-dir", tmp_path)
    assert result.exit_code == 2
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: ") and last.endswith("the model has 4 classes; name them with --labels FILE")
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, x=np.zeros((20, 28, 28), np.uint8), y=np.zeros(20, np.int64))
    result = cli("train", "--model-file", f"{own_model['folder'] / 'arch.py'}:quadrants", "--train-data", wrong,
                 "--labels", own_model["labels"], "--artifacts-dir", tmp_path)
    assert result.exit_code == 2 and "Traceback" not in result.output and "wrong.npz" in result.output
    result = cli("train", "v1", "--train-data", wrong, "--artifacts-dir", tmp_path)
    assert result.output.strip().splitlines()[-1] == \
        "error: --train-data is for your own architecture (--model-file); v1 trains on MNIST"


def test_qat_on_your_own_data_and_explain_recipes(own_model, tmp_path):
    out = tmp_path / "quadrants"
    data = ["--calibration-data", own_model["train"], "--test-data", own_model["test"], "--labels", own_model["labels"]]
    result = cli("export", own_model["model"], "--formats", "int8", "--int8-recipe", "qat", "--train-data",
                 own_model["train"], "--qat-epochs", "5", *data, "--out", out)
    assert result.exit_code == 0, result.output
    recipe = _manifest(out)["artifacts"]["tflite_int8"]["recipe"]
    assert recipe["name"] == "qat" and recipe["train_data"]["images"] == 600
    assert recipe["train_data"]["source"].endswith("quadrants-1.npz")
    # explain re-quantizes model.keras, so a QAT file (fine-tuned weights) is pointed to --recipes instead.
    refused = cli("explain", out / "int8.tflite")
    assert refused.exit_code == 2 and "explain --recipes" in refused.output
    # Without --train-data a 32x32x3 model has nothing to fine-tune on: one line, exit 2.
    refused = cli("export", own_model["model"], "--formats", "int8", "--int8-recipe", "qat", *data,
                  "--out", tmp_path / "none")
    assert refused.exit_code == 2 and "--int8-recipe qat needs --train-data" in refused.output
    # explain works on the model's own recorded data: per-layer error, and every recipe's trade table.
    plain = tmp_path / "plain"
    assert cli("export", own_model["model"], "--formats", "int8", *data, "--out", plain).exit_code == 0
    out = plain
    layers = cli("explain", out / "int8.tflite", "--json")
    assert layers.exit_code == 0, layers.output
    assert "quadrants-1.npz" in " ".join(json.loads(layers.output)["notes"])
    table = cli("explain", out / "int8.tflite", "--recipes", "--json")
    assert table.exit_code == 0, table.output
    rows = {row["recipe"]: row for row in json.loads(table.output)["rows"]}
    assert set(rows) == {"ptq", "equalize", "fallback", "int16", "qat"}
    assert rows["qat"]["error"].startswith("no training data") and rows["ptq"]["agreement"] is not None
    assert not any(row["chosen"] for row in rows.values())
    assert sorted(path.name for path in out.iterdir() if path.suffix == ".tflite") == ["int8.tflite"]


def test_bench_shows_the_recipe(outlier_export, tmp_path):
    result = cli("bench", outlier_export, "--report-dir", tmp_path, "--runs", "20")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    rows = {row["name"]: row for row in report["models"][0]["artifacts"]}
    assert rows["tflite_int8"]["recipe"] == "equalize" and rows["tflite_float32"]["recipe"] is None
    assert "tflite_int8 [equalize]" in result.output


def test_qat_of_a_digit_shaped_model_with_its_own_data_needs_train_data(hostile, tmp_path, mnist):
    """A 28x28x1 10-class model exported with its own test data (Fashion-MNIST, say) is not fine-tuned on digits."""
    own = tmp_path / "own.npz"
    np.savez(own, x=mnist.x_test[:300], y=mnist.y_test[:300])
    out = tmp_path / "own"
    result = cli("export", hostile / "outlier.keras", "--formats", "int8", "--int8-recipe", "qat", "--test-data", own,
                 "--calibration-data", own, "--out", out)
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1].endswith(
        "--int8-recipe qat needs --train-data (the model was exported with its own test data, so MNIST is not its "
        "training data)"), result.output
    assert not (out / "int8.tflite").exists()


def test_equalize_folds_batchnorm_and_crosses_pooling_exactly(mnist):
    """BatchNorm as a pair's first half (gamma/beta scaled), a ReLU layer, max pooling and global average pooling
    between the pairs: the equalized function is the original one."""
    from edgedigits.data import scale
    from edgedigits.quantize.equalize import check_unchanged, equalize_model, find_pairs

    model = hostile_models.bn_gap(mnist, samples=2_000, epochs=1)
    assert [(a.name, b.name) for a, b, _ in find_pairs(model)] == [("bn1", "conv2"), ("bn2", "output")]
    twin, summary = equalize_model(model)
    assert check_unchanged(model, twin, scale(mnist.x_test[:256])) < 1e-5
    assert summary["scale_min"] != 1.0 or summary["scale_max"] != 1.0  # something was rescaled
    assert not np.allclose(twin.get_layer("bn1").gamma.numpy(), model.get_layer("bn1").gamma.numpy())


def test_onnx_fallback_excludes_the_worst_layers_nodes(hostile, tmp_path):
    import onnx

    plain, out = tmp_path / "plain", tmp_path / "fb"
    assert cli("export", hostile / "outlier.keras", "--formats", "onnx-int8", "--int8-recipe", "ptq",
               "--out", plain).exit_code == 1  # plain ONNX int8 misses even the export check on this model
    result = cli("export", hostile / "outlier.keras", "--formats", "onnx-int8", "--int8-recipe", "fallback",
                 "--out", out)
    assert result.exit_code == 0, result.output
    entry = _manifest(out)["artifacts"]["onnx_int8"]
    recipe = entry["recipe"]
    assert recipe["name"] == "fallback" and recipe["float_layers"] and recipe["tries"][-1]["passed"]
    assert entry["verification"]["agreement"] >= 98.0
    graph = onnx.load(str(out / "int8.onnx")).graph
    quantized_inputs = {tensor for node in graph.node if node.op_type == "DequantizeLinear" for tensor in node.output}
    for node in graph.node:
        if node.name in recipe["float_nodes"] and node.op_type == "Conv":
            assert not set(node.input) & quantized_inputs, node.name  # a float Conv reads float tensors
