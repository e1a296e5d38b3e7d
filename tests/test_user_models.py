"""Bring your own model: export, bench and predict any Keras image classifier, not only v1/v2/v3.

The models here are the user's: built in the test, trained for a few hundred steps, saved as `.keras` files
outside any artifacts folder, and handed to the CLI exactly as a user would.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app

runner = CliRunner()
QUADRANTS = ("top-left", "top-right", "bottom-left", "bottom-right")
# Briefly trained models are less confident than v1-v3, so their int8 twins flip more answers: the bench of these
# user models runs with thresholds stated here, not the release defaults (99.5 % agreement, 0.2 pp drop).
SHORT_TRAINING = ["--min-agreement", "97", "--max-accuracy-drop", "2", "--runs", "5", "--tflm-images", "300"]


def cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _quadrant_images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic 32x32 RGB photos: dark noise with one bright square in the quadrant named by the label."""
    labels = rng.integers(0, 4, count)
    images = rng.integers(0, 60, (count, 32, 32, 3)).astype(np.uint8)
    for index, label in enumerate(labels):
        top, left = (label // 2) * 16, (label % 2) * 16
        images[index, top:top + 16, left:left + 16, label % 3] = 200 + rng.integers(0, 55)
    return images, labels


@pytest.fixture(scope="module")
def user_files(tmp_path_factory, mnist):
    """The user's own files: a digit model with BatchNormalization + GlobalAveragePooling, a softmax/logits pair
    with identical weights, a 32x32x3 4-class model with .npz calibration/test data and a labels file."""
    import keras

    folder = tmp_path_factory.mktemp("mine")
    keras.utils.set_random_seed(0)
    layers = keras.layers
    x = mnist.x_train[:12_800, ..., None].astype("float32") / 255
    y = keras.utils.to_categorical(mnist.y_train[:12_800], 10)

    inputs = keras.Input((28, 28, 1))
    hidden = layers.MaxPooling2D()(layers.ReLU()(layers.BatchNormalization(momentum=0.9)(
        layers.Conv2D(16, 3, padding="same")(inputs))))
    hidden = layers.MaxPooling2D()(layers.ReLU()(layers.BatchNormalization(momentum=0.9)(
        layers.Conv2D(32, 3, padding="same")(hidden))))
    hidden = layers.GlobalAveragePooling2D()(layers.Conv2D(48, 3, padding="same", activation="relu")(hidden))
    bn_gap = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden), name="bn_gap")
    bn_gap.compile(keras.optimizers.Adam(3e-3), "categorical_crossentropy")
    bn_gap.fit(x, y, epochs=3, batch_size=128, verbose=0)  # 300 steps
    bn_gap.save(folder / "bn_gap.keras")

    small = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
                              layers.Flatten(), layers.Dense(10, activation="softmax")], name="soft")
    small.compile("adam", "categorical_crossentropy")
    small.fit(x, y, epochs=2, batch_size=128, verbose=0)
    small.save(folder / "soft.keras")
    logits = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
                               layers.Flatten(), layers.Dense(10)], name="logits")
    logits.set_weights(small.get_weights())
    logits.save(folder / "logits.keras")

    rng = np.random.default_rng(0)
    train_x, train_y = _quadrant_images(rng, 2000)
    test_x, test_y = _quadrant_images(rng, 400)
    np.savez(folder / "calibration.npz", x=train_x[:300], y=train_y[:300])
    np.savez(folder / "test.npz", x=test_x, y=test_y)
    (folder / "labels.txt").write_text("\n".join(QUADRANTS) + "\n")
    rgb = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
                            layers.Flatten(), layers.Dense(4, activation="softmax")], name="quadrants")
    rgb.compile("adam", "sparse_categorical_crossentropy")
    rgb.fit(train_x.astype("float32") / 255, train_y, epochs=3, verbose=0)
    rgb.save(folder / "quadrants.keras")
    return folder


@pytest.fixture(scope="module")
def exported(user_files, tmp_path_factory):
    """artifacts/ with bn_gap (float32 + int8 + int8-float-io + ONNX), soft/logits twins and quadrants (int8)."""
    root = tmp_path_factory.mktemp("artifacts")
    for name in ("bn_gap", "soft", "logits"):
        result = cli("export", str(user_files / f"{name}.keras"), "--formats", "float32,int8,int8-float-io,onnx",
                     "--artifacts-dir", str(root), "--calibration-samples", "200")
        assert result.exit_code == 0, result.output
    result = cli("export", str(user_files / "quadrants.keras"), "--int8", "--calibration-data",
                 str(user_files / "calibration.npz"), "--test-data", str(user_files / "test.npz"),
                 "--labels", str(user_files / "labels.txt"), "--out", str(root / "quadrants"))
    assert result.exit_code == 0, result.output
    return root


def _rows(report: dict, model: str) -> dict[str, dict]:
    entry = next(m for m in report["models"] if m["name"] == model)
    return {row["name"]: row for row in [entry["reference"], *entry["artifacts"]]}


def test_bn_gap_digit_model_exports_benches_and_embeds(exported, tmp_path):
    folder = exported / "bn_gap"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == "bn_gap" and manifest["classifier"] == {
        "input_shape": [28, 28, 1], "classes": 10, "output": "probabilities"}
    assert manifest["data"]["test"]["kind"] == "mnist test"  # digit-shaped: MNIST by default
    assert manifest["data"]["calibration"]["source"].startswith("MNIST training set")
    assert manifest["artifacts"]["tflite_int8"]["inputs"][0]["shape"] == [1, 28, 28, 1]
    result = cli("bench", str(folder), "--report-dir", str(tmp_path / "report"), *SHORT_TRAINING)
    assert result.exit_code == 0, result.output
    rows = _rows(json.loads((tmp_path / "report" / "report.json").read_text()), "bn_gap")
    assert 80 < rows["keras"]["accuracy"]["value"] < 99.5
    assert rows["tflite_float32"]["verdict"] == "PASS" and rows["tflite_float32"]["parity"]["max_abs_diff"] < 1e-4
    assert rows["tflite_int8"]["verdict"] == "PASS" and rows["tflite_int8"]["parity"]["agreement"] > 97
    assert rows["tflite_int8@tflm"]["tflm"]["bit_exact_images"] >= 298  # TFLM runs the user's BN/GAP graph too
    for target in ("mcu", "android"):
        embedded = cli("embed", str(folder), "--target", target, "--out", str(tmp_path / target))
        assert embedded.exit_code == 0, embedded.output
        record = json.loads((tmp_path / target / "bundle.json").read_text())
        assert record["model"] == "bn_gap" and record["golden"]["count"] == 20


def test_rgb_four_class_model_with_own_data(exported, user_files, tmp_path):
    folder = exported / "quadrants"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["classifier"] == {"input_shape": [32, 32, 3], "classes": 4, "output": "probabilities"}
    assert manifest["labels"] == list(QUADRANTS)
    preprocessing = manifest["preprocessing"]
    assert preprocessing["shape"] == [32, 32, 3] and preprocessing["formula"] == "pixel / 255"
    assert preprocessing["channel_order"] == "rgb" and "resized to 32x32" in preprocessing["framing"]
    assert "polarity" not in preprocessing  # the MNIST recipe is for digit models only
    assert manifest["data"]["test"]["source"] == str(user_files / "test.npz")
    assert manifest["data"]["calibration"]["source"].startswith(str(user_files / "calibration.npz"))
    entry = manifest["artifacts"]["tflite_int8"]
    assert entry["inputs"][0]["shape"] == [1, 32, 32, 3] and entry["outputs"][0]["shape"] == [1, 4]
    assert manifest["golden"]["labels"] == [0, 0, 1, 1, 2, 2, 3, 3]
    # bench with no --data: the test data recorded at export, through the manifest's preprocessing.
    result = cli("bench", str(folder), "--report-dir", str(tmp_path / "report"), "--runs", "5")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["models"][0]["data"]["kind"] == "npz" and report["models"][0]["data"]["images"] == 400
    rows = _rows(report, "quadrants")
    assert rows["keras"]["accuracy"]["value"] > 95 and np.array(rows["keras"]["confusion"]).shape == (4, 4)
    assert rows["tflite_int8"]["verdict"] == "PASS" and rows["tflite_int8@tflm"]["verdict"] == "PASS"


def test_recorded_test_data_changed_since_export_is_named(exported, user_files, tmp_path):
    import shutil

    folder = tmp_path / "quadrants"
    shutil.copytree(exported / "quadrants", folder)
    data = tmp_path / "test.npz"
    shutil.copy(user_files / "test.npz", data)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["data"]["test"]["source"] = str(data)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with np.load(data) as archive:
        np.savez(data, x=archive["x"][:100], y=archive["y"][:100])
    result = cli("bench", str(folder), "--runs", "5")
    assert result.exit_code == 2 and "test data changed since export (sha256 differs)" in result.output


def test_logits_model_gets_the_same_verdicts_as_its_softmax_twin(exported, tmp_path):
    logits_manifest = json.loads((exported / "logits" / "manifest.json").read_text())
    assert logits_manifest["classifier"]["output"] == "logits"
    assert json.loads((exported / "soft" / "manifest.json").read_text())["classifier"]["output"] == "probabilities"
    reports = {}
    for name in ("soft", "logits"):
        result = cli("bench", str(exported / name), "--report-dir", str(tmp_path / name), *SHORT_TRAINING)
        assert result.exit_code in (0, 1), result.output
        reports[name] = _rows(json.loads((tmp_path / name / "report.json").read_text()), name)
    for row in ("keras", "tflite_float32", "onnx_float32", "tflite_int8", "tflite_int8_float_io", "tflite_int8@tflm"):
        soft, logits = reports["soft"][row], reports["logits"][row]
        assert soft["verdict"] == logits["verdict"], row
    for row in ("keras", "tflite_float32", "onnx_float32"):  # float: the same probabilities, compared one way
        assert reports["soft"][row]["accuracy"] == reports["logits"][row]["accuracy"], row
        assert abs(reports["soft"][row]["parity"]["max_abs_diff"] - reports["logits"][row]["parity"]["max_abs_diff"]) < 1e-5


def _save(model, path):
    model.save(path)
    return path


@pytest.fixture(scope="module")
def unsupported(tmp_path_factory):
    import keras

    folder = tmp_path_factory.mktemp("unsupported")
    layers = keras.layers
    a, b = keras.Input((28, 28, 1)), keras.Input((4,))
    two = keras.Model([a, b], layers.Dense(10)(layers.Concatenate()([layers.Flatten()(a), b])))
    seq_in = keras.Input((28, 28, 1))
    sequence = keras.Model(seq_in, layers.Dense(10)(layers.Reshape((28, 28))(seq_in)))
    dyn_in = keras.Input((None, None, 1))
    dynamic = keras.Model(dyn_in, layers.Dense(10)(layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3)(dyn_in))))
    return {name: _save(model, folder / f"{name}.keras") for name, model in
            (("two_inputs", two), ("sequence", sequence), ("dynamic", dynamic))}


@pytest.mark.parametrize("name, message", [
    ("two_inputs", "the model has 2 inputs; edgedigits supports image classifiers with exactly one image input"),
    ("sequence", "output shape [None, 28, 10] is not [N, K] class scores"),
    ("dynamic", "has a dynamic spatial size"),
])
def test_unsupported_models_give_one_clear_error(unsupported, tmp_path, name, message):
    result = cli("export", str(unsupported[name]), "--out", str(tmp_path / "out"))
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and message in lines[-1] and lines[-1].startswith("error: "), result.output
    assert "Traceback" not in result.output and not list((tmp_path / "out").glob("*.tflite"))


def test_non_digit_model_needs_its_own_data(user_files, tmp_path):
    model = str(user_files / "quadrants.keras")
    labels = ["--labels", str(user_files / "labels.txt")]
    result = cli("export", model, "--int8", "--test-data", str(user_files / "test.npz"), *labels,
                 "--out", str(tmp_path / "q"))
    assert result.exit_code == 2
    assert "int8 export of a 32x32x3 model needs --calibration-data (MNIST fits only 28x28x1 digit models)" in result.output
    result = cli("export", model, *labels, "--out", str(tmp_path / "q"))
    assert result.exit_code == 2 and "needs --test-data" in result.output
    result = cli("export", model, "--test-data", str(user_files / "test.npz"), "--out", str(tmp_path / "q"))
    assert result.exit_code == 2 and "the model has 4 classes; name them with --labels FILE" in result.output
    assert not (tmp_path / "q" / "manifest.json").exists()


def test_pixel_mapping_options_are_recorded(user_files, tmp_path):
    result = cli("export", str(user_files / "quadrants.keras"), "--test-data", str(user_files / "test.npz"),
                 "--labels", str(user_files / "labels.txt"), "--pixel-scale", str(2 / 255), "--pixel-offset", "-1",
                 "--channel-order", "bgr", "--out", str(tmp_path / "q"))
    assert result.exit_code == 0, result.output
    preprocessing = json.loads((tmp_path / "q" / "manifest.json").read_text())["preprocessing"]
    assert preprocessing["input_range"] == [-1.0, 1.0] and preprocessing["channel_order"] == "bgr"
    assert preprocessing["formula"] == "pixel * 0.00784313725 + -1"


def test_failed_export_of_a_user_model_leaves_the_folder_as_it_was(exported, user_files, tmp_path):
    import shutil

    folder = tmp_path / "bn_gap"
    shutil.copytree(exported / "bn_gap", folder)
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    # Another user model into the same folder, with labels that do not fit it: refused before anything changes.
    result = cli("export", str(user_files / "quadrants.keras"), "--out", str(folder), "--test-data",
                 str(user_files / "test.npz"), "--labels", str(user_files / "labels.txt"), "--formats", "int8")
    assert result.exit_code == 2
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


MODEL_FILE = '''
import keras

def build_v4():
    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                             keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(10)])

def not_a_model():
    return 42
'''


@pytest.mark.parametrize("target, message", [
    ("models.py:missing", "models.py has no function 'missing'"),
    ("broken.py:build", "syntax error in"),
    ("models.py:not_a_model", "the function returned int, not a keras.Model"),
    ("nothere.py:build", "is not a Python file"),
    ("models.py", "expected FILE.py:FUNCTION"),
])
def test_model_file_errors_are_one_line(tmp_path, target, message):
    (tmp_path / "models.py").write_text(MODEL_FILE)
    (tmp_path / "broken.py").write_text("def build(:\n    pass\n")
    result = cli("train", "--model-file", str(tmp_path / target), "--artifacts-dir", str(tmp_path / "a"),
                 "--epochs", "1", "--train-samples", "1000")
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(error_lines) == 1 and message in error_lines[0], result.output
    assert "Traceback" not in result.output


def test_model_file_trains_with_the_blog_recipe_and_exports(tmp_path):
    (tmp_path / "models.py").write_text(MODEL_FILE)
    result = cli("train", "--model-file", f"{tmp_path / 'models.py'}:build_v4", "--artifacts-dir", str(tmp_path / "a"),
                 "--epochs", "1", "--train-samples", "6000")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "a" / "build_v4" / "train.json").read_text())
    assert record["model"] == "build_v4" and record["settings"]["loss"] == "categorical_crossentropy"
    assert record["test_accuracy"] > 60  # logits output: trained from_logits, evaluated through softmax
    result = cli("export", str(tmp_path / "a" / "build_v4" / "model.keras"), "--artifacts-dir", str(tmp_path / "a"))
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "a" / "build_v4" / "manifest.json").read_text())
    assert manifest["model"] == "build_v4" and manifest["classifier"]["output"] == "logits"


def test_predict_json_schema(exported, user_files, tmp_path):
    from PIL import Image

    from edgedigits.prediction import JSON_KEYS

    with np.load(user_files / "test.npz") as archive:
        Image.fromarray(archive["x"][0]).save(tmp_path / "photo.png")
        expected = QUADRANTS[int(archive["y"][0])]
    result = cli("predict", str(exported / "quadrants" / "int8.tflite"), str(tmp_path / "photo.png"), "--json",
                 "--top", "2", "--show", str(tmp_path / "seen"))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert tuple(payload) == JSON_KEYS["report"] and payload["schema_version"] == 1
    assert payload["labels"] == list(QUADRANTS) and payload["runtime"] == "tflite" and payload["kernels"] == "default"
    (prediction,) = payload["predictions"]
    assert tuple(prediction) == JSON_KEYS["prediction"] and tuple(prediction["input"]) == JSON_KEYS["input"]
    assert [tuple(top) for top in prediction["top"]] == [JSON_KEYS["top"]] * 2
    assert prediction["top"][0]["label"] == expected and 0.5 < prediction["top"][0]["probability"] <= 1
    assert prediction["top"][0]["probability"] >= prediction["top"][1]["probability"]
    assert prediction["input"]["shape"] == [32, 32, 3] and prediction["input"]["dtype"] == "float32"
    assert np.array(prediction["input"]["values"]).shape == (32, 32, 3)
    seen = Image.open(tmp_path / "seen" / "photo.32x32.png")
    assert seen.size == (32, 32) and seen.mode == "RGB"
    # The digit models answer in the same schema, their input 28x28x1.
    digit = json.loads(cli("predict", str(exported / "bn_gap" / "int8.tflite"), str(tmp_path / "photo.png"),
                           "--json").output)
    assert tuple(digit) == JSON_KEYS["report"] and digit["predictions"][0]["input"]["shape"] == [28, 28, 1]


def test_mnist_calibration_follows_the_pixel_mapping(mnist):
    """A digit model fed [-1, 1] is calibrated on [-1, 1] MNIST images, not on pixel / 255."""
    from edgedigits.classifier import ClassifierShape
    from edgedigits.config import ExportConfig
    from edgedigits.export_data import DataOptions, export_data

    shape = ClassifierShape((28, 28, 1), 10, "probabilities")
    options = DataOptions(pixel_scale=2 / 255, pixel_offset=-1.0)
    data = export_data(classifier=shape, options=options, config=ExportConfig(calibration_samples=50),
                       needs_calibration=True, mnist=mnist, source="test")
    calibration = data.calibration_images()
    assert calibration.shape == (50, 28, 28, 1) and calibration.min() == -1.0 and calibration.max() == 1.0
    assert data.test.images.min() == -1.0 and data.test.images.max() == 1.0
    default = export_data(classifier=shape, options=DataOptions(), config=ExportConfig(calibration_samples=50),
                          needs_calibration=True, mnist=mnist, source="test").calibration_images()
    np.testing.assert_allclose(default * 2 - 1, calibration, atol=2e-7)  # same images, mapped in float32
