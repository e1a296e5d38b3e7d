"""The web bundle without a browser: its files and numbers come from the manifest and the npm install, bad
requests are one-line errors, the default artifact is exported when missing, and `serve` answers on 127.0.0.1
with the right MIME types and stops on Ctrl-C. The page itself runs in tests/test_web_browser.py."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.embed import embed_bundle
from edgedigits.embed.web import vendor
from edgedigits.errors import UsageError
from edgedigits.golden import find_golden_set, load_golden_array
from edgedigits.manifest import read_manifest

runner = CliRunner()
FORMATS = {"litert": ("tflite_int8_float_io", "default"), "onnx": ("onnx_int8", "cpu")}

if not (vendor.node_modules() / "onnxruntime-web").is_dir():
    if os.environ.get("CI") != "true":
        pytest.skip(f"web bundle tests skipped: no npm packages in {vendor.node_modules()} (run `make node`)",
                    allow_module_level=True)


@pytest.fixture(scope="module")
def web_bundles(trained_artifacts, tmp_path_factory):
    out = tmp_path_factory.mktemp("web")
    return {runtime: embed_bundle(model_dir=trained_artifacts / "v1", target="web", runtime=runtime, out=out / runtime)
            for runtime in ("litert", "onnx")}


@pytest.mark.parametrize("runtime", ["litert", "onnx"])
def test_bundle_holds_the_artifact_its_goldens_and_only_the_runtime_files_the_page_loads(
        trained_artifacts, web_bundles, runtime):
    model_dir = trained_artifacts / "v1"
    manifest = read_manifest(model_dir)
    fmt, kernels = FORMATS[runtime]
    entry = manifest["artifacts"][fmt]
    folder = web_bundles[runtime]
    record = json.loads((folder / "bundle.json").read_text())
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert on_disk == sorted([*record["files"], "bundle.json"])
    for name, info in record["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == info["sha256"], name
    assert record["format"] == fmt and record["golden"]["kernels"] == kernels

    config = json.loads((folder / "model.json").read_text())
    assert (folder / config["file"]).read_bytes() == (model_dir / entry["file"]).read_bytes()
    assert config["format"] == fmt and config["labels"] == manifest["labels"] and config["runtime"]["name"] == runtime
    assert config["input"]["shape"] == [1, 28, 28, 1] and config["input"]["dtype"] == "float32"
    golden = find_golden_set(manifest, artifact=fmt, kernels=kernels, manifest_dir=model_dir)
    assert config["golden"]["tolerance"] == golden["tolerance"]
    recorded = load_golden_array(model_dir, golden["output"]).reshape(20, -1)
    assert np.array_equal(np.frombuffer((folder / config["golden"]["outputs"]).read_bytes(), "<f4").reshape(20, -1), recorded)
    fed = load_golden_array(model_dir, golden["input"]).reshape(20, -1)
    assert np.array_equal(np.frombuffer((folder / config["golden"]["inputs"]).read_bytes(), "<f4").reshape(20, -1), fed)
    assert config["golden"]["expected_class"] == recorded.argmax(axis=1).tolist()

    # The runtime's files, byte for byte from node_modules; nothing else from npm, no CDN.
    web_runtime = vendor.WEB_RUNTIMES[runtime]
    vendored = sorted(name for name in record["files"] if name.startswith("vendor/"))
    assert vendored == sorted(destination for _, destination in web_runtime.files)
    for source, destination in web_runtime.files:
        assert (folder / destination).read_bytes() == (vendor.node_modules() / source).read_bytes()
    page = "\n".join((folder / name).read_text() for name in ("index.html", "app.js", "mnist.js", "runtime.js"))
    assert not re.search(r"https?://", page), "the page must load nothing from another origin"


def test_recipe_constants_come_from_edgedigits_preprocess(web_bundles):
    import edgedigits.preprocess as preprocess

    source = (web_bundles["litert"] / "mnist.js").read_text()
    for name in ("MAX_PIXELS", "WORK_SIDE", "MIN_CONTRAST", "FRAME", "BOX"):
        assert f"export const {name} = {getattr(preprocess, name)!r};" in source, name
    assert f"export const INK_THRESHOLD = Math.fround({preprocess.INK_THRESHOLD!r});" in source


def test_missing_npm_install_is_one_line_error_saying_how_to_fix_it(trained_artifacts, tmp_path, monkeypatch):
    monkeypatch.setenv(vendor.NODE_MODULES_ENV, str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["embed", str(trained_artifacts / "v1"), "--target", "web", "--out", str(tmp_path / "b")])
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and "make node" in result.output
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("args,message", [
    (["--target", "web", "--format", "int8"], "LiteRT.js refuses int8 input tensors"),
    (["--target", "web", "--runtime", "onnx", "--format", "int8"], "not a .onnx artifact"),
    (["--target", "android", "--runtime", "onnx"], "only the web target has a choice of runtime"),
    (["--target", "web", "--runtime", "tfjs"], "--runtime"),
])
def test_bad_web_requests_exit_2(trained_artifacts, tmp_path, args, message):
    result = runner.invoke(app, ["embed", str(trained_artifacts / "v1"), *args, "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_litert_refuses_a_dynamic_batch_tflite(tmp_path):
    from edgedigits.embed.web import litert

    spec = {"name": "x", "shape": [-1, 28, 28, 1], "dtype": "float32"}
    with pytest.raises(UsageError, match="LiteRT.js needs a static one"):
        litert.check_format("tflite_float32", {"inputs": [spec], "outputs": [{**spec, "shape": [-1, 10]}]},
                            tmp_path / "float32.tflite")


def _drop_format(model_dir, fmt):
    """Remove `fmt` from the manifest and its file, as in a folder exported before the format existed."""
    path = model_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    (model_dir / manifest["artifacts"].pop(fmt)["file"]).unlink()
    manifest["golden"]["sets"] = [s for s in manifest["golden"]["sets"] if s["artifact"] != fmt]
    path.write_text(json.dumps(manifest))


def test_default_artifact_is_exported_when_the_folder_lacks_it(artifacts_copy, tmp_path):
    model_dir = artifacts_copy / "v1"
    _drop_format(model_dir, "tflite_int8_float_io")
    result = runner.invoke(app, ["embed", str(model_dir), "--target", "web", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "exporting it first" in result.output
    entry = read_manifest(model_dir)["artifacts"]["tflite_int8_float_io"]
    assert entry["inputs"][0]["shape"] == [1, 28, 28, 1] and entry["verification"]["agreement"] >= 98
    find_golden_set(read_manifest(model_dir), artifact="tflite_int8_float_io", kernels="default", manifest_dir=model_dir)
    assert json.loads((tmp_path / "b" / "bundle.json").read_text())["source"]["sha256"] == entry["sha256"]


def test_without_the_artifact_or_a_model_to_export_it_is_one_line_error(artifacts_copy, tmp_path):
    model_dir = artifacts_copy / "v1"
    _drop_format(model_dir, "tflite_int8_float_io")
    (model_dir / "model.keras").unlink()
    result = runner.invoke(app, ["embed", str(model_dir), "--target", "web", "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and "no model.keras to export one from" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def _content_type(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return response.headers["Content-Type"]


def test_serve_answers_on_loopback_with_wasm_and_module_mime_types_and_stops_on_ctrl_c(web_bundles):
    process = subprocess.Popen([sys.executable, "-m", "edgedigits", "serve", str(web_bundles["onnx"]), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        url = match.group(0)
        assert _content_type(url + "vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm") == "application/wasm"
        assert _content_type(url + "vendor/onnxruntime-web/ort.wasm.min.mjs") == "text/javascript"
        assert _content_type(url + "app.js") == "text/javascript"
        assert _content_type(url).startswith("text/html")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_serve_binds_127_0_0_1_unless_told_otherwise(web_bundles):
    from edgedigits.cli import serve_cmd
    from edgedigits.embed.web.serve import DEFAULT_PORT, LOOPBACK, make_server

    assert (serve_cmd.LOOPBACK, serve_cmd.DEFAULT_PORT) == (LOOPBACK, DEFAULT_PORT) == ("127.0.0.1", 8000)
    server = make_server(folder=web_bundles["litert"], port=0)
    try:
        assert server.server_address[0] == "127.0.0.1"
        with pytest.raises(UsageError, match="already in use"):
            make_server(folder=web_bundles["litert"], port=server.server_address[1])
    finally:
        server.server_close()


@pytest.mark.parametrize("make_folder,message", [
    (lambda root: root / "missing", "not a folder"),
    (lambda root: root, "no index.html, not a web bundle"),
])
def test_serve_refuses_what_is_not_a_bundle(tmp_path, make_folder, message):
    result = runner.invoke(app, ["serve", str(make_folder(tmp_path)), "--port", "0"])
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("ci", [False, True])
def test_without_a_browser_the_browser_tests_skip_in_one_line_or_fail_in_ci(tmp_path, ci):
    env = {**os.environ, "EDGEDIGITS_CHROMIUM": str(tmp_path / "no-chromium"), "COLUMNS": "200"}
    env.pop("CI", None)
    if ci:
        env["CI"] = "true"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider",
                             "tests/test_web_browser.py"], capture_output=True, text=True, env=env, timeout=300,
                            cwd=Path(__file__).resolve().parents[1])
    if ci:
        assert result.returncode == 1 and "browser tests cannot run in CI: no Chromium found" in result.stdout
    else:
        assert result.returncode == 5, result.stdout  # "no tests collected": the module skipped itself
        lines = [line for line in result.stdout.splitlines() if "SKIPPED" in line]
        assert len(lines) == 1 and "browser tests skipped: no Chromium found" in lines[0], result.stdout
