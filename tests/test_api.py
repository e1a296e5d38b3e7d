"""The public Python API: end to end on a model trained in memory, numbers equal to the CLI's JSON on the same
files, errors as exception classes (never SystemExit), a light `import edgedigits`, and docs/api.md's
walkthrough run as written."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits
import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "examples" / "seven_on_paper.jpg", ROOT / "examples" / "two_light_on_dark.png"]
QUICK_BENCH = dict(runs=5, tflm_images=200)  # latency is not compared; few timed calls keep it cheap
runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.fixture(scope="module")
def in_memory(mnist):
    """A small keras.Model fitted in memory on 4,000 images (one epoch, ~2 s): never saved by the test."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")], name="tiny")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(mnist.x_train[:4000, ..., None] / 255.0, mnist.y_train[:4000], epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def exported(in_memory, tmp_path_factory):
    # Plain int8 (ptq): this briefly trained model misses the int8 gate, and the MCU bundle needs an int8 file.
    return edgedigits.export(in_memory, tmp_path_factory.mktemp("api") / "tiny", formats=["float32", "int8", "onnx"],
                             int8_recipe="ptq")


def test_import_loads_no_tensorflow_and_is_quick():
    code = ("import sys, time; t = time.perf_counter(); import edgedigits; t = time.perf_counter() - t; "
            "edgedigits.BenchReport; edgedigits.export; "  # the lazy names resolve without TensorFlow too
            "print(t, sorted(m for m in ('tensorflow', 'keras', 'onnxruntime', 'ai_edge_litert') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    seconds, loaded = out.stdout.split(" ", 1)
    assert loaded.strip() == "[]", f"import edgedigits loaded {loaded}"
    assert float(seconds) < 1.0
    # -X importtime: the cumulative microseconds of the package itself, the figure docs/api.md quotes.
    cumulative = [int(line.split("|")[1]) for line in out.stderr.splitlines() if line.rstrip().endswith("| edgedigits")]
    assert cumulative and cumulative[0] < 1_000_000


def test_export_of_an_in_memory_model(exported, in_memory, mnist):
    assert exported.model_dir.name == "tiny"
    assert set(exported.artifacts) == {"tflite_float32", "tflite_int8", "onnx_float32"}
    for fmt, path in exported.artifacts.items():
        assert path.is_file() and path.parent == exported.model_dir
        assert exported.manifest["artifacts"][fmt]["bytes"] == path.stat().st_size
    assert (exported.model_dir / "model.keras").is_file()  # adopted from the temp file the model was saved to
    on_disk = json.loads((exported.model_dir / "manifest.json").read_text())
    assert on_disk["artifacts"] == exported.manifest["artifacts"]
    # The adopted model.keras answers like the model in memory (the API saved it, did not retrain or alter it).
    import keras

    images = mnist.x_test[:64, ..., None].astype(np.float32) / 255.0
    saved = keras.saving.load_model(exported.model_dir / "model.keras")
    np.testing.assert_allclose(saved(images).numpy(), in_memory(images).numpy(), atol=1e-6)
    assert "| tflite_int8 | int8.tflite |" in exported._repr_markdown_()


def test_export_verification_equals_the_cli_on_the_same_keras_file(exported, tmp_path):
    cli("export", exported.model_dir / "model.keras", "--formats", "float32,int8,onnx", "--int8-recipe", "ptq",
        "--out", tmp_path / "tiny")
    by_cli = json.loads((tmp_path / "tiny" / "manifest.json").read_text())["artifacts"]
    for fmt in exported.artifacts:
        api_check = exported.manifest["artifacts"][fmt]["verification"]
        assert by_cli[fmt]["verification"] == api_check, fmt
        # Sizes of the .tflite files too (an ONNX graph also carries names that differ by a few bytes per run).
        for key in ("inputs", "outputs", "calibration", *(("bytes",) if fmt.startswith("tflite") else ())):
            assert by_cli[fmt].get(key) == exported.manifest["artifacts"][fmt].get(key), (fmt, key)


@pytest.fixture(scope="module")
def auto_exported(in_memory, tmp_path_factory):
    """int8 with int8_recipe="auto" (the default): plain int8 of this model misses the gate, a remedy is chosen."""
    return edgedigits.export(in_memory, tmp_path_factory.mktemp("auto") / "tiny", formats="int8")


def untimed(rows: list[dict]) -> list[dict]:
    return [{key: value for key, value in row.items() if key not in ("seconds", "latency_us")} for row in rows]


def test_int8_recipe_auto_trade_table_equals_the_cli(auto_exported, tmp_path):
    """The API's trade table is the one the CLI records in manifest.json for the same file (timings aside), and
    the chosen recipe is the file written."""
    result = auto_exported
    cli("export", result.model_dir / "model.keras", "--formats", "int8", "--out", tmp_path / "cli")
    recorded = json.loads((tmp_path / "cli" / "manifest.json").read_text())["artifacts"]["tflite_int8"]["recipe"]
    rows = result.recipes["tflite_int8"]
    assert untimed(rows) == untimed(recorded["candidates"])
    assert rows[0]["recipe"] == "ptq" and not rows[0]["passed"]  # why the remedies ran
    chosen = [row for row in rows if row["chosen"]]
    assert len(chosen) == 1 and chosen[0]["passed"] and chosen[0]["recipe"] == recorded["name"]
    assert chosen[0]["bytes"] == result.artifacts["tflite_int8"].stat().st_size
    assert f"| {chosen[0]['recipe']} | True | True |" in result._repr_markdown_()


def test_bench_rows_equal_the_cli_report_json(exported, tmp_path):
    report = edgedigits.bench(exported.model_dir, **QUICK_BENCH, report_dir=tmp_path / "api")
    cli("bench", exported.model_dir, "--runs", "5", "--tflm-images", "200", "--report-dir", tmp_path / "cli")
    by_cli = json.loads((tmp_path / "cli" / "report.json").read_text())
    rows = {(model["name"], row["name"]): row for model in by_cli["models"]
            for row in [model["reference"], *model["artifacts"]]}
    assert [(row.model, row.name) for row in report.rows] == list(rows)
    assert [row.name for row in report.rows] == ["keras", "tflite_float32", "tflite_int8", "tflite_int8@tflm",
                                                 "onnx_float32"]
    for row in report.rows:
        theirs = rows[(row.model, row.name)]
        assert row.accuracy == theirs["accuracy"]["value"], row.name
        assert row.accuracy_drop == pytest.approx(-theirs["accuracy"]["delta_pp"], abs=1e-12), row.name
        assert row.agreement == theirs["parity"]["agreement"], row.name
        assert row.max_abs_diff == theirs["parity"]["max_abs_diff"], row.name
        assert (row.bytes, row.verdict, row.status) == (theirs["bytes"], theirs["verdict"], theirs["status"])
        np.testing.assert_array_equal(report.confusion(f"tiny/{row.name}"), np.asarray(theirs["confusion"]))
    assert report.row("tflite_int8@tflm").tflm == rows[("tiny", "tflite_int8@tflm")]["tflm"]  # bit-exact count, arena
    assert report.verdict == by_cli["summary"]["verdict"] and report.passed == (by_cli["summary"]["exit_code"] == 0)
    # to_dict() is report.json: the same schema, and what the API wrote to its own --report-dir.
    from edgedigits.report import validate_report

    assert validate_report(report.to_dict()) == []
    assert json.loads((tmp_path / "api" / "report.json").read_text()) == json.loads(json.dumps(report.to_dict()))
    confusion = report.confusion("tflite_int8")
    assert confusion.dtype == np.int64 and confusion.shape == (10, 10) and confusion.sum() == 10_000
    # The notebook views show the terminal's table: every row, with its verdict.
    for view in (report._repr_html_(), report._repr_markdown_(), str(report)):
        for name in ("tflite_float32", "tflite_int8", "onnx_float32", "TFLite Micro"):
            assert name in view
    assert report._repr_markdown_().count("\n| tiny |") == 5
    assert "max\\|Δp\\|" in report._repr_markdown_()  # the pipe in a header is escaped, or it splits the table


def test_predict_equals_cli_json(exported):
    artifact = exported.artifacts["tflite_int8"]
    predictions = edgedigits.predict(artifact, EXAMPLES, top=3)
    by_cli = json.loads(cli("predict", artifact, *EXAMPLES, "--top", "3", "--json"))["predictions"]
    assert len(predictions) == len(by_cli) == 2
    for prediction, theirs in zip(predictions, by_cli):
        assert [(t["label"], t["probability"]) for t in theirs["top"]] == prediction.top
        best = theirs["top"][0]
        assert (prediction.label, prediction.probability) == (best["label"], best["probability"])
        assert prediction.frame.shape == (28, 28, 1) and prediction.frame.dtype == np.float32
        assert prediction.probabilities.shape == (10,) and prediction.probabilities.dtype == np.float32
    assert [p.label for p in edgedigits.predict(exported.artifacts["tflite_float32"], EXAMPLES[0])] == ["7"]
    assert "top=[(" in repr(predictions[0]) and "frame" not in repr(predictions[0])  # a short notebook repr


def test_embed_and_inspect_equal_the_cli(exported, tmp_path):
    bundle = edgedigits.embed(exported.model_dir, target="mcu", out=tmp_path / "api-mcu")
    cli("embed", exported.model_dir, "--target", "mcu", "--out", tmp_path / "cli-mcu")
    by_cli = json.loads((tmp_path / "cli-mcu" / "bundle.json").read_text())
    assert bundle.folder == tmp_path / "api-mcu"
    assert bundle.record["files"] == by_cli["files"]  # same files, same bytes and sha256
    assert all((bundle.folder / name).stat().st_size == size for name, size in bundle.files.items())
    facts = edgedigits.inspect(exported.artifacts["tflite_int8"])
    assert facts == json.loads(cli("inspect", exported.artifacts["tflite_int8"], "--json"))
    assert facts["all_int8"] is True and facts["inputs"][0]["dtype"] == "int8"


def test_train_then_export_a_registry_model(tmp_path, monkeypatch):
    """train -> export by name through the API; the trained model is the one the CLI would have written."""
    trained = edgedigits.train("v1", epochs=1, train_samples=1_000, artifacts_dir=tmp_path)
    assert trained.model_path == tmp_path / "v1" / "model.keras" and 0 < trained.test_accuracy <= 100
    record = json.loads(trained.record_path.read_text())
    assert record["settings"]["epochs"] == 1 and record["train_images"] == 1_000
    result = edgedigits.export("v1", formats="float32", artifacts_dir=tmp_path)
    assert list(result.artifacts) == ["tflite_float32"]
    assert result.manifest["source"]["sha256"] == json.loads(
        (tmp_path / "v1" / "manifest.json").read_text())["source"]["sha256"]


def test_errors_are_exception_classes_never_system_exit(exported, tmp_path):
    with pytest.raises(edgedigits.UsageError, match="unknown format 'int3'"):
        edgedigits.export("v1", formats="int3", artifacts_dir=tmp_path)
    with pytest.raises(edgedigits.UsageError, match="unknown model 'v0'"):
        edgedigits.train("v0", artifacts_dir=tmp_path)
    with pytest.raises(edgedigits.UsageError, match="give a registry name"):
        edgedigits.export(42, artifacts_dir=tmp_path)
    with pytest.raises(edgedigits.UsageError, match="unknown target"):
        edgedigits.embed(exported.model_dir, target="watch")
    with pytest.raises(edgedigits.ArtifactError, match="file not found"):
        edgedigits.inspect(tmp_path / "missing.tflite")
    with pytest.raises(edgedigits.InputError):  # the common base of bad input
        edgedigits.predict(exported.artifacts["tflite_int8"], [tmp_path / "missing.png"])
    # A bench that FAILs is a result; check=True makes it an exception (no artifact agrees 100.0 % here).
    failing = edgedigits.bench(exported.model_dir, **QUICK_BENCH, tflm="none", min_agreement=100.0,
                               max_prob_diff=0.0)
    assert not failing.passed and failing.verdict == "FAIL" and failing.exit_code == 1
    with pytest.raises(edgedigits.CheckFailed, match="bench FAIL"):
        edgedigits.bench(exported.model_dir, **QUICK_BENCH, tflm="none", min_agreement=100.0, max_prob_diff=0.0,
                         check=True)
    assert issubclass(edgedigits.CheckFailed, edgedigits.EdgeDigitsError)
    assert not issubclass(edgedigits.EdgeDigitsError, SystemExit)


def test_a_bug_is_an_internal_error(monkeypatch, exported):
    import edgedigits.inspection

    def broken(*, path):
        raise KeyError("boom")

    monkeypatch.setattr(edgedigits.inspection, "inspect_artifact", broken)
    with pytest.raises(edgedigits.InternalError, match="internal error KeyError") as caught:
        edgedigits.inspect(exported.artifacts["tflite_int8"])
    assert isinstance(caught.value.__cause__, KeyError) and caught.value.exit_code == 3


def test_names_shared_with_modules_stay_callable():
    import edgedigits.bench.run  # noqa: F401 - binds edgedigits.bench (the package) on edgedigits
    import edgedigits.export as export_module

    assert export_module.export_model  # the module is still the module
    for name in ("train", "export", "bench", "embed", "explain", "predict", "inspect"):
        function = getattr(edgedigits, name)
        assert callable(function)
        assert inspect.signature(function) == inspect.signature(getattr(edgedigits.api, name)), name
    assert (ROOT / "edgedigits" / "py.typed").is_file()  # PEP 561 marker, shipped as package data


def test_shared_names_resolve_as_modules_in_a_fresh_interpreter():
    """Before anything imported the library modules: dotted paths through edgedigits.export/explain/bench (as
    monkeypatch, mock.patch and `import a.b as c` resolve them) reach the modules, and the names still call."""
    code = ("import edgedigits, inspect; from _pytest.monkeypatch import resolve; "
            "assert callable(edgedigits.explain) and edgedigits.export.export_model; "
            "resolve('edgedigits.explain.sweep.calibration_sweep'); resolve('edgedigits.bench.run.bench_artifacts'); "
            "import edgedigits.train as t; assert t.train_model and callable(t); "
            "assert 'target' in inspect.signature(edgedigits.embed).parameters; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]


def walkthrough_blocks() -> list[str]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_docs_api_walkthrough_runs_as_written(tmp_path, monkeypatch, capsys):
    """docs/api.md's python blocks, in order, in an empty folder (plus the examples): each must run, and the
    numbers they leave behind equal the CLI's JSON on the same files."""
    blocks = walkthrough_blocks()
    assert len(blocks) >= 8
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for index, block in enumerate(blocks):
        exec(compile(block, f"docs/api.md python block {index + 1}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "on the 10,000 test images" in printed and "UsageError: unknown format 'int3'" in printed

    report = namespace["report"]
    by_cli = json.loads((tmp_path / "artifacts" / "report" / "report.json").read_text())  # report.write(...)
    cli("bench", "artifacts/v1", "--runs", "5", "--tflm-images", "200", "--report-dir", "cli-report")
    again = json.loads((tmp_path / "cli-report" / "report.json").read_text())
    for model_written, model_cli in zip(by_cli["models"], again["models"]):
        for ours, theirs in zip([model_written["reference"], *model_written["artifacts"]],
                                [model_cli["reference"], *model_cli["artifacts"]]):
            assert (ours["name"], ours["accuracy"]["value"], ours["parity"]["agreement"]) == \
                   (theirs["name"], theirs["accuracy"]["value"], theirs["parity"]["agreement"])
    assert [row.accuracy for row in report.rows] == [
        row["accuracy"]["value"] for model in again["models"] for row in [model["reference"], *model["artifacts"]]]
    predictions = json.loads(cli("predict", "artifacts/v1/int8.tflite", *EXAMPLES, "--json"))["predictions"]
    assert [p["top"][0]["label"] for p in predictions] == \
           [line.split()[1] for line in printed.splitlines() if line.startswith("examples/")]
    assert namespace["facts"] == json.loads(cli("inspect", "artifacts/v1/int8.tflite", "--json"))
    assert namespace["bundle"].folder == Path("artifacts/v1/embed/mcu")
    assert namespace["explanation"].kind == "tflite-debugger" and namespace["explanation"].rows


PAGES_OF_OTHER_ISSUES = {"docs/bundles.md", "docs/int8.md"}  # linked from the README, written under issues 19 and 18


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_readme_is_a_front_page_and_every_docs_link_resolves():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 400
    first_screen = "\n".join(readme.splitlines()[:20])
    assert "make demo" in first_screen and "make test" in first_screen
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)  # links in code are not links
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+://", target):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            where = f"{page.relative_to(ROOT)} -> {target}"
            if str(linked.relative_to(ROOT)) in PAGES_OF_OTHER_ISSUES and not linked.exists():
                continue
            assert linked.exists(), where
            if anchor:
                headings = re.findall(r"(?m)^#{1,6} (.+)$", re.sub(r"```.*?```", "", linked.read_text(encoding="utf-8"),
                                                                    flags=re.S))
                assert anchor in {_slug(h) for h in headings}, where


def test_export_result_shows_the_int8_recipe_trade_table(tmp_path):
    manifest = {"artifacts": {"tflite_int8": {"file": "int8.tflite", "bytes": 30_440,
                                              "verification": {"agreement": 99.2, "max_abs_diff": 0.04}}}}
    recipes = {"tflite_int8": [
        {"recipe": "ptq", "passed": False, "chosen": False, "bytes": 30_440, "agreement": 99.2, "accuracy_drop": 0.3,
         "tflm_runs": True, "tflm_arena_bytes": 15_456, "latency_us": 13.1, "error": None},
        {"recipe": "fallback", "passed": True, "chosen": True, "bytes": 31_002, "agreement": 99.7,
         "accuracy_drop": 0.05, "tflm_runs": False, "tflm_arena_bytes": None, "latency_us": 15.0, "error": "a|b"}]}
    shown = edgedigits.ExportResult(model_dir=tmp_path, artifacts={"tflite_int8": tmp_path / "int8.tflite"},
                                    manifest=manifest, recipes=recipes)._repr_markdown_()
    assert "| tflite_int8 | int8.tflite | 30,440 | 99.20 | 4.0e-02 |" in shown
    assert "| ptq | False | False | 30440 | 99.2 | 0.3 | True | 15456 | 13.1 |  |" in shown
    assert "| fallback | True | True | 31002 | 99.7 | 0.05 | False |  | 15.0 | a\\|b |" in shown


def test_explain_equals_the_cli_json(exported):
    artifact = exported.artifacts["tflite_int8"]
    explanation = edgedigits.explain(artifact, test_samples=300)
    assert explanation.to_json() == json.loads(cli("explain", artifact, "--test-samples", "300", "--json"))
    assert explanation.kind == "tflite-debugger" and {row["layer"] for row in explanation.rows} >= {"conv2d", "dense"}
    sweep = edgedigits.explain(exported.model_dir, calibration_sweep=[10, 100], test_samples=300)
    by_cli = json.loads(cli("explain", exported.model_dir, "--calibration-sweep", "10,100", "--test-samples", "300",
                            "--json"))
    assert [row["samples"] for row in sweep.rows] == [10, 100]
    assert sweep.to_json()["rows"] == by_cli["rows"]


def test_explain_recipes_and_bench_rows_name_the_recipe(auto_exported):
    """explain(recipes=True) is `explain --recipes --json`; a bench row of a remedied int8 file names its recipe."""
    result = auto_exported
    chosen = next(row["recipe"] for row in result.recipes["tflite_int8"] if row["chosen"])
    report = edgedigits.bench(result.model_dir, **QUICK_BENCH, tflm="none")
    assert report.row("tflite_int8").recipe == chosen != "ptq"
    assert f"tflite_int8 [{chosen}]" in report._repr_markdown_()  # the terminal table's label
    # One epoch of quantization-aware training keeps the two qat rows cheap.
    table = edgedigits.explain(result.artifacts["tflite_int8"], recipes=True, test_samples=300, qat_epochs=1)
    by_cli = json.loads(cli("explain", result.artifacts["tflite_int8"], "--recipes", "--test-samples", "300",
                            "--qat-epochs", "1", "--json"))
    assert untimed(table.to_json()["rows"]) == untimed(by_cli["rows"])
    assert [row["recipe"] for row in table.rows][:2] == ["ptq", "equalize"]


def test_an_unsaveable_in_memory_model_is_an_artifact_error(tmp_path):
    import keras

    class Unsaveable(keras.Model):  # subclassed, no get_config: Keras cannot write it as .keras
        def __init__(self):
            super().__init__(name="unsaveable")
            self.dense = keras.layers.Dense(10)

        def call(self, x):
            return self.dense(keras.ops.reshape(x, (-1, 784)))

        def get_config(self):
            raise NotImplementedError("no config")

    model = Unsaveable()
    model(np.zeros((1, 28, 28, 1), np.float32))
    with pytest.raises(edgedigits.ArtifactError, match="keras.Model 'unsaveable': cannot be saved"):
        edgedigits.export(model, tmp_path / "out", formats="float32")


def test_result_objects_table_names_real_fields():
    """docs/api.md's "Result objects" table: every field or method it names exists on the class it names."""
    from edgedigits.explain import Explanation
    from edgedigits.train import TrainResult

    classes = {"TrainResult": TrainResult, "ExportResult": edgedigits.ExportResult,
               "BenchReport": edgedigits.BenchReport, "BenchRow": edgedigits.BenchRow,
               "Prediction": edgedigits.Prediction, "Bundle": edgedigits.Bundle, "Explanation": Explanation}
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("## Result objects", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"(?m)^\| `(\w+)` \| (.+) \|$", section)
    assert {name for name, _ in rows} == set(classes)
    for name, cell in rows:
        fields = {f.name for f in dataclasses.fields(classes[name])}
        for member in re.findall(r"`(\w+)(?:\(|`)", cell):
            assert member in fields or hasattr(classes[name], member), f"{name}.{member}"


QUADRANTS_ARCHITECTURE = '''
import keras
from keras import layers

def quadrants():
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(4, 3, strides=2, activation="relu")(inputs)
    return keras.Model(inputs, layers.Dense(4, activation="softmax")(layers.Flatten()(x)))
'''


def test_train_on_own_data_equals_the_cli(tmp_path):
    """train(FILE.py:FUNCTION, train_data=...) with labels as a list, and `train --model-file --train-data
    --labels FILE` on the same files: the same seeded run, the same test accuracy and data record."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 400)
    images = rng.integers(0, 60, (400, 16, 16, 3)).astype(np.uint8)
    for index, label in enumerate(labels):  # the bright quadrant is the class
        row, col = divmod(int(label), 2)
        images[index, row * 8:(row + 1) * 8, col * 8:(col + 1) * 8] += 150
    np.savez(tmp_path / "quadrants.npz", x=images, y=labels)
    (tmp_path / "arch.py").write_text(QUADRANTS_ARCHITECTURE)
    names = ["top-left", "top-right", "bottom-left", "bottom-right"]
    (tmp_path / "labels.txt").write_text("\n".join(names) + "\n")
    builder = f"{tmp_path / 'arch.py'}:quadrants"
    trained = edgedigits.train(builder, train_data=str(tmp_path / "quadrants.npz"), labels=names, epochs=3,
                               artifacts_dir=tmp_path / "api")
    cli("train", "--model-file", builder, "--train-data", tmp_path / "quadrants.npz", "--labels",
        tmp_path / "labels.txt", "--epochs", "3", "--artifacts-dir", tmp_path / "cli")
    ours = json.loads(trained.record_path.read_text())
    theirs = json.loads((tmp_path / "cli" / "quadrants" / "train.json").read_text())
    assert trained.model_path == tmp_path / "api" / "quadrants" / "model.keras"
    assert ours["data"] == theirs["data"] and ours["data"]["labels"] == names
    assert trained.test_accuracy == theirs["test_accuracy"] and ours["data"]["test"]["images"] == 40  # 10 % hold-out
    with pytest.raises(edgedigits.UsageError, match="v1 trains on MNIST"):
        edgedigits.train("v1", train_data=str(tmp_path / "quadrants.npz"), artifacts_dir=tmp_path / "x")
    with pytest.raises(edgedigits.UsageError, match="go with --train-data"):
        edgedigits.train(builder, labels=names, artifacts_dir=tmp_path / "x")
