"""`edgedigits embed` for the user's own models: every number from the manifest, the right recipe, proofs run.

Two small user models are trained and exported once for the module:
- `digits`: 28x28x1, 10 classes, with BatchNormalization and GlobalAveragePooling (MNIST data by default);
- `digits_pm1`: the same digit model behind a Rescaling layer, exported with pixel * 2/255 - 1 (MNIST recipe, then
  that mapping);
- `quadrants`: 32x32x3, 4 classes named "top-left".., LOGITS output, BGR channels mapped to [-1, 1], exported
  from synthetic .npz calibration and test data (a bright square in one quadrant).
Proofs: the MCU bundles' golden headers run through TensorFlow Lite Micro's interpreter bit for bit; three
Android bundles' Kotlin compiled in ONE kotlinc call (two moved to their own packages) and their generated unit
tests run on the JVM; the web pages' self-tests in headless Chromium; sizes, labels, golden counts and the
recipe checked per target, and broken copies fail.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from edgedigits.embed import embed_bundle, preprocess_golden
from edgedigits.embed.web import litert

QUADRANTS = ("top-left", "top-right", "bottom-left", "bottom-right")
SIDE = 32
RGB_PACKAGE = "com.example.edgedigits.quadrants"  # the quadrants bundle's classes, compiled beside the digit ones
PM1_PACKAGE = "com.example.edgedigits.pm1"  # the [-1, 1] digit bundle's
SECONDS: dict[str, float] = {}


def _quadrant_data(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 [count,32,32,3] dim noise with a bright 10x10 square in quadrant y (0 TL, 1 TR, 2 BL, 3 BR)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 90, (count, SIDE, SIDE, 3)).astype(np.uint8)
    y = rng.integers(0, 4, count)
    for image, label, colour in zip(x, y, rng.integers(150, 256, (count, 3))):
        top = 3 + rng.integers(0, 4) + (16 if label >= 2 else 0)
        left = 3 + rng.integers(0, 4) + (16 if label % 2 else 0)
        image[top:top + 10, left:left + 10] = colour
    return x, y.astype(np.int64)


def _train(model, x, y, *, loss, steps: int, batch: int = 64):
    import keras

    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=loss)
    model.fit(x, y, batch_size=batch, epochs=max(1, steps * batch // len(x)), verbose=0, shuffle=True)


@pytest.fixture(scope="module")
def user_models(tmp_path_factory) -> dict[str, Path]:
    import keras

    from edgedigits.config import ExportConfig
    from edgedigits.data import load_mnist
    from edgedigits.export import export_model
    from edgedigits.export_data import DataOptions
    from edgedigits.pixels import Preprocessing

    started = time.perf_counter()
    keras.utils.set_random_seed(0)
    root = tmp_path_factory.mktemp("user_models")
    formats = ("tflite_int8", "tflite_int8_float_io")

    mnist = load_mnist()
    layers = keras.layers
    inputs = keras.Input((28, 28, 1))  # BatchNormalization + GlobalAveragePooling, as in test_user_models
    hidden = layers.MaxPooling2D()(layers.ReLU()(layers.BatchNormalization(momentum=0.9)(
        layers.Conv2D(16, 3, padding="same")(inputs))))
    hidden = layers.MaxPooling2D()(layers.ReLU()(layers.BatchNormalization(momentum=0.9)(
        layers.Conv2D(32, 3, padding="same")(hidden))))
    hidden = layers.GlobalAveragePooling2D()(layers.Conv2D(48, 3, padding="same", activation="relu")(hidden))
    digits = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden), name="bn_gap")
    _train(digits, mnist.x_train[:12_800, ..., None] / np.float32(255), mnist.y_train[:12_800],
           loss="sparse_categorical_crossentropy", steps=300, batch=128)
    digits.save(root / "bn_gap.keras")
    # Plain int8 (ptq) throughout: these bundles are about embedding int8 files; a briefly trained model's auto
    # search may pick int16 (int16 I/O), which the bundles refuse (tests/test_recipes.py covers the search).
    export_model(model_dir=root / "digits", formats=formats, config=ExportConfig(calibration_samples=200),
                 keras_file=root / "bn_gap.keras", mnist=mnist, int8_recipe="ptq")
    # The same digit model fed pixel * 2/255 - 1 (--pixel-scale/--pixel-offset): a Rescaling layer maps [-1, 1]
    # back to what it was trained on, so it stays the same function and its int8 export passes.
    rescaled = keras.Input((28, 28, 1))
    pm1 = keras.Model(rescaled, digits(layers.Rescaling(0.5, offset=0.5)(rescaled)), name="bn_gap_pm1")
    pm1.save(root / "bn_gap_pm1.keras")
    # Calibration from an .npz: export's default MNIST calibration sample is pixel / 255 whatever the mapping
    # (edgedigits.data.calibration_sample), which clips this model's negative inputs (top-1 agreement 9 %).
    np.savez(root / "mnist_calibration.npz", x=mnist.x_train[:500], y=mnist.y_train[:500])
    export_model(model_dir=root / "digits_pm1", formats=formats, config=ExportConfig(calibration_samples=200),
                 keras_file=root / "bn_gap_pm1.keras", mnist=mnist, int8_recipe="ptq",
                 options=DataOptions(calibration_data=str(root / "mnist_calibration.npz"), pixel_scale=1 / 127.5,
                                     pixel_offset=-1.0))

    x, y = _quadrant_data(1200, seed=1)
    np.savez(root / "calibration.npz", x=x[:1000], y=y[:1000])
    np.savez(root / "test.npz", x=x[1000:], y=y[1000:])
    mapping = Preprocessing(shape=(SIDE, SIDE, 3), scale=1 / 127.5, offset=-1.0, channel_order="bgr",
                            mnist_recipe=False)
    quadrants = keras.Sequential([
        keras.Input((SIDE, SIDE, 3)), keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
        keras.layers.Conv2D(16, 3, strides=2, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(4)], name="quadrants")  # logits: no softmax
    _train(quadrants, mapping.apply(x[:1000]), y[:1000],
           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), steps=200)
    quadrants.save(root / "quadrants.keras")
    export_model(model_dir=root / "quadrants", formats=formats[:1], config=ExportConfig(calibration_samples=200),
                 keras_file=root / "quadrants.keras", int8_recipe="ptq",
                 options=DataOptions(calibration_data=str(root / "calibration.npz"), test_data=str(root / "test.npz"),
                                     labels=QUADRANTS, pixel_scale=1 / 127.5, pixel_offset=-1.0, channel_order="bgr"))
    SECONDS["train + export three user models"] = time.perf_counter() - started
    return {"digits": root / "digits", "digits_pm1": root / "digits_pm1", "quadrants": root / "quadrants"}


@pytest.fixture(scope="module")
def bundles(user_models, tmp_path_factory) -> dict[tuple[str, str], Path]:
    started = time.perf_counter()
    out = tmp_path_factory.mktemp("bundles")
    # quadrants was exported as int8 only: the web target's prepare step exports its default (int8 kernels,
    # float I/O; iOS uses it too) from the data, labels and pixel mapping the manifest recorded.
    litert.prepare(model_dir=user_models["quadrants"], fmt=litert.DEFAULT_FORMAT, named=False)
    made = {(model, target): embed_bundle(model_dir=folder, target=target, out=out / model / target)
            for model, folder in user_models.items() for target in ("mcu", "android", "ios")
            if model != "digits_pm1" or target == "android"}
    SECONDS["embed mcu/android/ios for both"] = time.perf_counter() - started
    return made


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


# --- the numbers and the recipe, per target --------------------------------------------------------------------

def test_manifests_describe_the_two_models(user_models):
    digits, quadrants = _manifest(user_models["digits"]), _manifest(user_models["quadrants"])
    assert digits["classifier"]["input_shape"] == [28, 28, 1] and digits["classifier"]["classes"] == 10
    assert digits["preprocessing"]["framing"].endswith("(MNIST recipe)")
    assert quadrants["classifier"] == {**quadrants["classifier"], "input_shape": [32, 32, 3], "classes": 4,
                                       "output": "logits"}
    assert quadrants["labels"] == list(QUADRANTS)
    preprocessing = quadrants["preprocessing"]
    assert preprocessing["channel_order"] == "bgr" and "Pillow bilinear" in preprocessing["framing"]


def test_web_prepare_exported_the_extra_format_from_the_recorded_user_data(user_models, bundles):
    manifest = _manifest(user_models["quadrants"])
    assert set(manifest["artifacts"]) == {"tflite_int8", "tflite_int8_float_io"}
    assert manifest["labels"] == list(QUADRANTS) and manifest["preprocessing"]["channel_order"] == "bgr"
    assert manifest["data"]["test"]["source"].endswith("test.npz")
    assert manifest["data"]["calibration"]["source"].split(":")[0].endswith("calibration.npz")
    assert manifest["golden"]["source"].split(":")[0].endswith("test.npz")


def test_non_digit_bundles_carry_the_manifests_numbers(bundles):
    from test_embed_mcu import c_array, defines

    mcu = bundles[("quadrants", "mcu")]
    settings = defines((mcu / "model_settings.h").read_text())
    assert settings["EDGEDIGITS_INPUT_SIZE"] == "3072" and settings["EDGEDIGITS_OUTPUT_SIZE"] == "4"
    header = (mcu / "golden_vectors.cc").read_text()  # the arrays are defined there, declared in the .h
    assert c_array(header, "golden_inputs", np.int8).shape == (8, 3072)
    assert c_array(header, "golden_outputs", np.int8).shape == (8, 4)
    assert '{"top-left", "top-right", "bottom-left", "bottom-right"}' in (mcu / "edgedigits_model.cc").read_text()
    caller = (mcu / "README.md").read_text()
    assert "read_frame_32x32" in caller and "white digit" not in caller
    assert "does not use the MNIST digit recipe" in caller

    android = bundles[("quadrants", "android")]
    kotlin = next(android.rglob("DigitClassifier.kt")).read_text()
    assert "const val INPUT_SIZE = 3072" in kotlin and "const val OUTPUT_SIZE = 4" in kotlin
    assert 'listOf("top-left", "top-right", "bottom-left", "bottom-right")' in kotlin
    assert "fun softmax(" in kotlin and "= softmax(logits(output))" in kotlin  # logits model: classify() is softmax
    ios = bundles[("quadrants", "ios")]
    swift = (ios / "Sources" / "DigitClassifier.swift").read_text()
    assert "static let inputSize = 3072" in swift and "static let outputSize = 4" in swift
    assert '["top-left", "top-right", "bottom-left", "bottom-right"]' in swift
    assert "Self.softmax(logits(output))" in swift
    for folder, assets in ((android, "app/src/androidTest/assets"), (ios, "Tests/Resources")):
        assert (folder / assets / "golden_inputs.bin").stat().st_size == 8 * 3072 * (1 if folder == android else 4)
        assert (folder / assets / "golden_outputs.bin").stat().st_size == 8 * 4 * (1 if folder == android else 4)
        assert (folder / assets / "golden_pixels.bin").stat().st_size == 8 * 3072 * 4
        record = json.loads((folder / "bundle.json").read_text())
        assert record["labels"] == list(QUADRANTS) and record["golden"]["count"] == 8


def test_non_digit_bundles_ship_the_pixel_mapping_never_the_mnist_recipe(bundles):
    for target in ("mcu", "android", "ios"):
        files = {p.name for p in bundles[("quadrants", target)].rglob("*")}
        readme = (bundles[("quadrants", target)] / "README.md").read_text()
        assert not {name for name in files if "Mnist" in name}, target
        assert "Resizing is the app's job" in readme and "Image.Resampling.BILINEAR" in readme, target
        assert "centre of mass" not in readme and "white digit on black" not in readme, target
    assert {"ModelInput.kt", "ModelInputTest.kt"} <= {p.name for p in bundles[("quadrants", "android")].rglob("*")}
    assert {"ModelInput.swift", "ModelInputTests.swift"} <= {p.name for p in bundles[("quadrants", "ios")].rglob("*")}
    swift_test = (bundles[("quadrants", "ios")] / "Tests" / "ModelInputTests.swift").read_text()
    for name in preprocess_golden.FILES:  # every file a generated test reads is shipped beside it
        assert name in swift_test and (bundles[("quadrants", "ios")] / "Tests" / "Resources" / name).is_file()
    assert "MnistPreprocess.kt" in {p.name for p in bundles[("digits", "android")].rglob("*")}


def test_pixel_mapping_cases_follow_pillow_and_the_manifest(user_models, bundles):
    from PIL import Image

    from edgedigits.pixels import Preprocessing

    folder = bundles[("quadrants", "android")] / "app" / "src" / "test" / "resources"
    files = {name: (folder / name).read_bytes() for name in preprocess_golden.FILES}
    cases = preprocess_golden.read_golden_files(files, shape=(SIDE, SIDE, 3))
    mapping = Preprocessing.from_manifest(_manifest(user_models["quadrants"])["preprocessing"])
    golden = np.load(user_models["quadrants"] / "golden" / "inputs.npy")
    assert [name for name, *_ in cases] == ["golden_input_0", "golden_input_1", "colour_noise_random_alpha"]
    for i in range(2):  # the golden inputs, turned into pixels and mapped again: the same model inputs
        np.testing.assert_array_equal(cases[i][2], golden[i])
    _, rgba, expected = cases[2]
    assert len(np.unique(rgba[..., 3])) > 100  # random alpha: dropped, not composited
    bgr = np.asarray(Image.fromarray(rgba, "RGBA").convert("RGB"), np.float32)[..., ::-1]
    np.testing.assert_array_equal(expected, bgr * np.float32(1 / 127.5) + np.float32(-1))


# --- RUN: TensorFlow Lite Micro ---------------------------------------------------------------------------------

def _tflm_mismatches(folder: Path) -> list[str]:
    """The MCU bundle's model and golden header, parsed out of the C, run on TFLM with the bundle's arena."""
    from tflite_micro.python.tflite_micro import runtime

    from edgedigits.quiet import native_output_silenced
    from test_embed_mcu import arena_constant, c_array, defines, model_from_c

    header = (folder / "golden_vectors.cc").read_text()
    inputs, expected = c_array(header, "golden_inputs", np.int8), c_array(header, "golden_outputs", np.int8)
    classes = c_array(header, "golden_expected_class", np.uint8)
    shape = json.loads((folder / "bundle.json").read_text())["input"]["shape"]
    assert int(defines((folder / "model_settings.h").read_text())["EDGEDIGITS_INPUT_SIZE"]) == inputs.shape[1]
    with native_output_silenced():
        interpreter = runtime.Interpreter.from_bytes(model_from_c((folder / "model_data.cc").read_text()),
                                                     arena_size=arena_constant(folder))
    problems = []
    for i, row in enumerate(inputs):
        interpreter.set_input(row.reshape([1, *shape[1:]]), 0)
        interpreter.invoke()
        got = np.array(interpreter.get_output(0)).reshape(-1)
        if got.dtype != expected.dtype or not np.array_equal(got, expected[i]):
            problems.append(f"input {i}: outputs differ")
        if int(got.argmax()) != int(classes[i]):
            problems.append(f"input {i}: class {int(got.argmax())}, header expects {int(classes[i])}")
    return problems


@pytest.mark.parametrize("model", ["digits", "quadrants"])
def test_mcu_golden_header_runs_bit_exact_on_tflm(bundles, model):
    assert _tflm_mismatches(bundles[(model, "mcu")]) == []


def test_a_golden_output_one_step_off_fails_the_tflm_check(bundles, tmp_path):
    broken = shutil.copytree(bundles[("quadrants", "mcu")], tmp_path / "broken")
    header = (broken / "golden_vectors.cc").read_text()
    found = re.search(r"golden_outputs(?:\[\d+\])+ = \{\s*\{\s*(-?\d+)", header)
    value = int(found.group(1))
    header = header[:found.start(1)] + str(value + (1 if value < 127 else -1)) + header[found.end(1):]
    (broken / "golden_vectors.cc").write_text(header)
    assert _tflm_mismatches(broken)[:1] == ["input 0: outputs differ"]


# --- RUN: the Android Kotlin of both models on the JVM (one kotlinc call) -------------------------------------

@pytest.fixture(scope="module")
def jvm(user_models, bundles, tmp_path_factory) -> dict:
    import subprocess

    from test_kotlin_jvm import HARNESS, STDLIB, STUBS, _kotlinc, _replay_folder, _require_toolchain

    from edgedigits.embed import android
    from edgedigits.embed.context import load_context

    _require_toolchain()
    tmp = tmp_path_factory.mktemp("jvm_user")
    # Two bundles moved to their own packages (what their README says to do), so one kotlinc call builds all three.
    folders = {"digits": bundles[("digits", "android")]}
    for model, package in (("quadrants", RGB_PACKAGE), ("digits_pm1", PM1_PACKAGE)):
        folders[model] = shutil.copytree(bundles[(model, "android")], tmp / model)
        for source in folders[model].rglob("*.kt"):
            source.write_text(source.read_text().replace(f"package {android.PACKAGE}\n", f"package {package}\n", 1))
    started = time.perf_counter()
    javac = subprocess.run(["javac", "-d", str(tmp / "stubs"), *map(str, sorted(STUBS.rglob("*.java")))],
                           capture_output=True, text=True)
    assert javac.returncode == 0, javac.stderr
    sources = sorted(source for folder in folders.values() for source in folder.rglob("*.kt")) + [HARNESS]
    compiled = _kotlinc(sources, tmp / "stubs", tmp / "classes")
    SECONDS["javac + kotlinc (three user bundles + harness)"] = time.perf_counter() - started
    assert compiled.returncode == 0, compiled.stderr[-5000:]
    # What the stub Interpreter replays: LiteRT's recorded golden outputs, looked up by the exact input bytes.
    replays = {model: _replay_folder(tmp / f"replay-{model}", load_context(
        model_dir=user_models[model], fmt="tflite_int8", kernels=android.KERNELS)) for model in user_models}
    return {"classes": tmp / "classes", "stubs": tmp / "stubs", "stdlib": STDLIB, "replays": replays,
            "bundles": folders}


def _run_jvm(jvm, model: str, *args: str, resources: Path | None = None) -> dict[str, str]:
    import subprocess

    src = jvm["bundles"][model] / "app" / "src"
    classpath = [jvm["classes"], jvm["stubs"], jvm["stdlib"], resources or src / "test" / "resources"]
    command = ["java", f"-Dedgedigits.stub.replay={jvm['replays'][model]}",
               f"-Dedgedigits.assets.target={src / 'main' / 'assets'}",
               f"-Dedgedigits.assets.test={src / 'androidTest' / 'assets'}",
               "-cp", ":".join(map(str, classpath)), "edgedigits.jvm.JvmHarnessKt", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    return {line.split()[1]: line.split(maxsplit=2)[2] for line in lines if line.startswith("TEST ")}


def test_generated_android_unit_tests_pass_on_the_jvm_for_both_user_models(jvm):
    digits = "com.example.edgedigits"
    assert _run_jvm(jvm, "digits", "test", f"{digits}.MnistPreprocessTest", "test", f"{digits}.GoldenVectorTest") == {
        f"{digits}.MnistPreprocessTest.matchesPythonGoldenVectors": "PASS",
        f"{digits}.MnistPreprocessTest.blankImageHasNoDigit": "PASS",
        f"{digits}.GoldenVectorTest.classifyMatchesGoldenVectors": "PASS",
        f"{digits}.GoldenVectorTest.rawOutputsMatchGoldenVectors": "PASS"}
    assert _run_jvm(jvm, "quadrants", "test", f"{RGB_PACKAGE}.ModelInputTest", "test",
                    f"{RGB_PACKAGE}.GoldenVectorTest") == {
        f"{RGB_PACKAGE}.ModelInputTest.matchesPythonGoldenVectors": "PASS",
        f"{RGB_PACKAGE}.GoldenVectorTest.classifyMatchesGoldenVectors": "PASS",
        f"{RGB_PACKAGE}.GoldenVectorTest.rawOutputsMatchGoldenVectors": "PASS"}


def test_a_digit_model_fed_minus_one_to_one_gets_the_mapping_in_its_recipe(jvm, bundles):
    kotlin = next(bundles[("digits_pm1", "android")].rglob("MnistPreprocess.kt")).read_text()
    assert "const val SCALE = 0.00784313725f" in kotlin and "(unit[it] * 255f) * SCALE + OFFSET" in kotlin
    resources = bundles[("digits_pm1", "android")] / "app" / "src" / "test" / "resources"
    expected = np.frombuffer((resources / preprocess_golden.EXPECTED_FILE).read_bytes(), "<f4")
    assert expected.min() == -1 and expected.max() > 0.5  # mapped: the recipe gives [0, 1], background 0
    assert _run_jvm(jvm, "digits_pm1", "test", f"{PM1_PACKAGE}.MnistPreprocessTest", "test",
                    f"{PM1_PACKAGE}.GoldenVectorTest") == {
        f"{PM1_PACKAGE}.MnistPreprocessTest.matchesPythonGoldenVectors": "PASS",
        f"{PM1_PACKAGE}.MnistPreprocessTest.blankImageHasNoDigit": "PASS",
        f"{PM1_PACKAGE}.GoldenVectorTest.classifyMatchesGoldenVectors": "PASS",
        f"{PM1_PACKAGE}.GoldenVectorTest.rawOutputsMatchGoldenVectors": "PASS"}


def test_one_changed_pixel_mapping_value_fails_the_jvm_test(jvm, tmp_path):
    resources = shutil.copytree(jvm["bundles"]["quadrants"] / "app" / "src" / "test" / "resources", tmp_path / "r")
    path = resources / preprocess_golden.EXPECTED_FILE
    values = np.frombuffer(path.read_bytes(), "<f4").copy()
    values[2 * 3072 + 100] += 1e-3  # one value of the colour-noise case, 100x the allowed tolerance
    path.write_bytes(values.tobytes())
    result = _run_jvm(jvm, "quadrants", "test", f"{RGB_PACKAGE}.ModelInputTest", resources=resources)
    assert result[f"{RGB_PACKAGE}.ModelInputTest.matchesPythonGoldenVectors"].startswith(
        "FAIL AssertionError: colour_noise_random_alpha value 100: got"), result


# --- RUN: the web page's self-test in headless Chromium ------------------------------------------------------

@pytest.fixture(scope="module")
def site(user_models, bundles, tmp_path_factory):
    """Both models' LiteRT.js pages, a broken pixels.js, and 32x32 / 40x40 images, on one 127.0.0.1 server."""
    import threading

    from PIL import Image

    from edgedigits.embed.web import vendor
    from edgedigits.embed.web.headless import missing_browser
    from edgedigits.embed.web.serve import make_server, url_of

    problem = missing_browser() or (None if (vendor.node_modules() / "@litertjs").is_dir() else "no `make node`")
    if problem:
        (pytest.fail if __import__("os").environ.get("CI") == "true" else pytest.skip)(f"browser: {problem}")
    root = tmp_path_factory.mktemp("user_site")
    for model, folder in user_models.items():
        embed_bundle(model_dir=folder, target="web", out=root / model)
    broken = shutil.copytree(root / "quadrants", root / "broken-mapping", ignore=shutil.ignore_patterns("vendor"))
    (broken / "vendor").symlink_to(root / "quadrants" / "vendor")
    text = (broken / "pixels.js").read_text()
    (broken / "pixels.js").write_text(text.replace("input[3 * i] = map(b);", "input[3 * i] = map(r);"))
    x, _ = _quadrant_data(3, seed=7)
    for i, image in enumerate(x):
        Image.fromarray(image).save(root / f"image{i}.png")
    Image.fromarray(x[0]).resize((40, 40)).save(root / "wrong_size.png")
    (root / "index.html").write_text("".join(f'<a href="{p.name}/">{p.name}</a>\n' for p in sorted(root.iterdir())))
    server = make_server(folder=root, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": url_of(server), "root": root}
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(site):
    from playwright.sync_api import sync_playwright

    from edgedigits.embed.web.headless import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser.new_page()
        browser.close()


def _dataset(page, key: str) -> str:
    page.wait_for_function(f"() => document.body.dataset.{key} !== undefined", timeout=60_000)
    return page.evaluate(f"() => document.body.dataset.{key}")


@pytest.mark.parametrize(("model", "golden", "cases"),
                         [("digits", 20, 8), ("digits_pm1", 20, 8), ("quadrants", 8, 3)])
def test_web_page_self_test_passes_in_chromium(site, page, model, golden, cases):
    page.goto(f"{site['url']}{model}/index.html?rounds=1")
    assert _dataset(page, "selftest") == "pass", page.evaluate("() => document.body.dataset.selftestReason")
    text = page.inner_text("#selftest")
    assert f"{golden}/{golden} golden inputs match" in text and f"{cases}/{cases} preprocessing cases match" in text


def test_web_page_classifies_like_predict_and_refuses_other_sizes(site, page, user_models):
    from edgedigits.prediction import predict_images

    artifact = user_models["quadrants"] / "int8_float_io.tflite"
    for i in range(3):
        expected = predict_images(artifact=artifact, images=[site["root"] / f"image{i}.png"], top=4)[0]
        page.goto(f"{site['url']}quadrants/index.html?image=/image{i}.png&rounds=1")
        assert _dataset(page, "prediction") == expected.top[0][0]
        probabilities = json.loads(page.evaluate("() => document.body.dataset.probabilities"))
        # The page shows the softmax of the logits, as predict does. LiteRT.js's WebAssembly kernels may differ from
        # native LiteRT by an int8 output step on inputs outside the golden set (image1 here: the probabilities put
        # two logits 0.148, one step, higher; 1.2e-5 in probability), so this compares with a margin.
        np.testing.assert_allclose(probabilities, expected.probabilities, atol=1e-3)
    page.goto(f"{site['url']}quadrants/index.html?image=/wrong_size.png&rounds=1")
    assert "is 40x40; resize it to 32x32 first" in _dataset(page, "error")


def test_a_broken_pixel_mapping_fails_the_web_self_test(site, page):
    page.goto(f"{site['url']}broken-mapping/index.html?rounds=1")
    assert _dataset(page, "selftest") == "fail"
    assert "preprocessing case golden_input_0" in page.evaluate("() => document.body.dataset.selftestReason")


def test_report_user_model_step_times():
    print("\n" + "\n".join(f"{name}: {seconds:.1f} s" for name, seconds in SECONDS.items()))
