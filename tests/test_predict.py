"""predict on synthetic photos of real MNIST digits: every format gives the same class, int8 probabilities
are dequantized, --show writes what the model saw, and bad images are one-line errors with exit code 2."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.manifest import read_manifest
from edgedigits.prediction import predict_images
from test_preprocess import png_header_only  # tests/ is on sys.path (rootdir conftest)

runner = CliRunner()


def render_variants(digit: np.ndarray, folder) -> list:
    """One MNIST digit as a user would photograph it: upscaled dark-on-light, off-centre, RGBA, large, JPEG."""
    big = np.array(Image.fromarray(255 - digit).resize((280, 280), Image.Resampling.BICUBIC))
    paths = []
    page = np.full((600, 500), 255, np.uint8)
    page[40:320, 200:480] = big  # off-centre, dark on light
    Image.fromarray(page).save(folder / "paper.png")
    rgba = np.zeros((600, 500, 4), np.uint8)
    rgba[..., 3] = 255 - page  # black strokes on a transparent canvas
    Image.fromarray(rgba).save(folder / "canvas.png")
    large = np.array(Image.fromarray(page).resize((3000, 3600), Image.Resampling.BILINEAR))
    Image.fromarray(large).convert("RGB").save(folder / "photo.jpg", quality=90)
    Image.fromarray(255 - page).save(folder / "light_on_dark.png")
    paths += [folder / name for name in ("paper.png", "canvas.png", "photo.jpg", "light_on_dark.png")]
    return paths


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, mnist):
    folder = tmp_path_factory.mktemp("photos")
    chosen = [int(np.flatnonzero(mnist.y_test == digit)[0]) for digit in (7, 2, 3)]
    images, labels = [], []
    for index in chosen:
        sub = folder / str(index)
        sub.mkdir()
        paths = render_variants(mnist.x_test[index], sub)
        images += paths
        labels += [int(mnist.y_test[index])] * len(paths)
    return images, labels


def test_every_format_gives_the_same_class(trained_artifacts, rendered):
    images, labels = rendered
    manifest = read_manifest(trained_artifacts / "v1")
    files = [entry["file"] for entry in manifest["artifacts"].values()] + ["model.keras"]
    predictions = {file: predict_images(artifact=trained_artifacts / "v1" / file, images=images) for file in files}
    answers = {file: [p.top[0][0] for p in found] for file, found in predictions.items()}
    reference = answers["model.keras"]
    assert np.mean([int(label) == truth for label, truth in zip(reference, labels)]) >= 0.9
    # Float formats must agree on every image; quantized ones on every image the (tiny) Keras model is sure of:
    # int8 rounding may legitimately flip a near-tie.
    confident = [p.top[0][1] >= 0.8 for p in predictions["model.keras"]]
    assert sum(confident) >= len(images) // 2
    for file, got in answers.items():
        precision = next((e["precision"] for e in manifest["artifacts"].values() if e["file"] == file), "float32")
        keep = [True] * len(images) if precision in ("float32", "float16") else confident
        assert [g for g, k in zip(got, keep) if k] == [r for r, k in zip(reference, keep) if k], file


def test_int8_probabilities_are_dequantized(trained_artifacts, rendered):
    manifest = read_manifest(trained_artifacts / "v1")
    quant = manifest["artifacts"]["tflite_int8"]["outputs"][0]["quantization"]
    predictions = predict_images(artifact=trained_artifacts / "v1" / "int8.tflite", images=rendered[0][:4], top=10)
    for prediction in predictions:
        steps = prediction.probabilities / quant["scale"] + quant["zero_point"]
        np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)  # on the int8 grid, not raw int8 values
        assert 0.9 < prediction.probabilities.sum() < 1.1 and prediction.probabilities.max() <= 1.0
        assert [p for _, p in prediction.top] == sorted((p for _, p in prediction.top), reverse=True)


def test_cli_prints_top_k_and_show_writes_the_frame(trained_artifacts, rendered, tmp_path):
    image = rendered[0][0]
    result = runner.invoke(app, ["predict", str(trained_artifacts / "v1" / "int8.tflite"), str(image),
                                 "--top", "2", "--show", str(tmp_path / "seen")])
    assert result.exit_code == 0, result.output
    expected = predict_images(artifact=trained_artifacts / "v1" / "int8.tflite", images=[image], top=2)[0]
    for label, probability in expected.top:
        assert f"{label}  {probability * 100:5.1f}%" in result.output
    saved = np.asarray(Image.open(tmp_path / "seen" / "paper.28x28.png"))
    assert saved.shape == (28, 28) and saved.dtype == np.uint8
    np.testing.assert_array_equal(saved, np.round(expected.frame[:, :, 0] * 255).astype(np.uint8))


def _bad(tmp_path, kind):
    if kind == "text":
        path = tmp_path / "notes.png"
        path.write_text("not an image")
    elif kind == "animated":
        path = tmp_path / "anim.gif"
        frames = [Image.fromarray(np.full((16, 16), value, np.uint8)) for value in (0, 255)]
        frames[0].save(path, save_all=True, append_images=frames[1:])
    else:
        path = tmp_path / "huge.png"
        png_header_only(path, 30_000, 30_000)
    return path


@pytest.mark.parametrize("kind,message", [("text", "not an image"), ("animated", "animated image"),
                                          ("huge", "too large")])
def test_bad_images_exit_2_with_one_line(trained_artifacts, tmp_path, kind, message):
    path = _bad(tmp_path, kind)
    result = runner.invoke(app, ["predict", str(trained_artifacts / "v1" / "int8.tflite"), str(path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}") and message in lines[0]


def test_bad_options_exit_2(trained_artifacts, rendered):
    result = runner.invoke(app, ["predict", str(trained_artifacts / "v1" / "int8.tflite"), str(rendered[0][0]),
                                 "--top", "11"])
    assert result.exit_code == 2 and "--top must be between 1 and 10" in result.output


@pytest.mark.parametrize("content,problem", [("{ not json", "manifest is not valid JSON"),
                                             ('{"model": "v1"}', "manifest misses field(s)")])
def test_corrupt_manifest_is_refused_not_skipped(artifacts_copy, rendered, content, problem):
    """A corrupt manifest beside the artifact must not silently turn off the sha256 check."""
    model_dir = artifacts_copy / "v1"
    (model_dir / "manifest.json").write_text(content)
    result = runner.invoke(app, ["predict", str(model_dir / "int8.tflite"), str(rendered[0][0])])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {model_dir / 'manifest.json'}: {problem}")


def test_tampered_artifact_is_refused(artifacts_copy, rendered):
    model_dir = artifacts_copy / "v1"
    (model_dir / "int8.tflite").write_bytes((model_dir / "float32.tflite").read_bytes())
    result = runner.invoke(app, ["predict", str(model_dir / "int8.tflite"), str(rendered[0][0])])
    assert result.exit_code == 2 and "sha256 does not match the manifest" in result.output


def test_paths_with_brackets_print_literally(trained_artifacts, rendered, tmp_path):
    (tmp_path / "[red]").mkdir()
    images = [tmp_path / "photo[1].png", tmp_path / "[red]" / "x[bold]y.png"]  # unescaped, rich eats "[red]"
    for image in images:
        image.write_bytes(rendered[0][0].read_bytes())
    result = runner.invoke(app, ["predict", str(trained_artifacts / "v1" / "int8.tflite"), *map(str, images)])
    assert result.exit_code == 0, result.output
    for image in images:
        assert str(image) in result.output


def test_tflite_predict_starts_without_tensorflow(trained_artifacts, rendered):
    """TensorFlow costs seconds to import and a .tflite does not need it; nor should LiteRT's INFO line show."""
    import subprocess
    import sys

    script = ("import sys; from edgedigits.cli import app\n"
              "try:\n    app(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              "print('tensorflow loaded:', 'tensorflow' in sys.modules)")
    env = {key: value for key, value in os.environ.items() if not key.startswith("EDGEDIGITS_")}
    done = subprocess.run([sys.executable, "-c", script, "predict", str(trained_artifacts / "v1" / "int8.tflite"),
                           str(rendered[0][0])], capture_output=True, text=True, env=env, timeout=120)
    assert "tensorflow loaded: False" in done.stdout, done.stdout + done.stderr
    assert "%" in done.stdout and "XNNPACK" not in done.stdout + done.stderr
