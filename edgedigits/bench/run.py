"""`bench_artifacts`: find model folders, bench Keras then every manifest artifact, decide one exit code.

Per model folder: read the manifest, verify and run the Keras source (the reference row), then every artifact
the manifest lists, each through its own runtime with its registry tolerance. Full-integer TFLite artifacts are
run a second time in TensorFlow Lite Micro's own interpreter (what a microcontroller computes), on the first
`config.tflm_images` images and scored against Keras on those same images. A bad artifact gets a status and
the loop goes on; the exit code is decided once, at the end:
2 if anything was corrupt, unloadable or tampered with; else 1 if any artifact FAILs (a TFLM row of a file
TFLite Micro cannot run included); else 0.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from edgedigits import __version__
from edgedigits.bench import metrics
from edgedigits.data import LABELS
from edgedigits.datasets import DataSpec, EvalData, load_eval_data, load_labelled
from edgedigits.pixels import Preprocessing
from edgedigits.bench.evaluate import (LOAD_FAILED, OK, PARITY_FAILED, TAMPERED, UNSUPPORTED, Measured, Target,
                                       measure_target)
from edgedigits.bench.rows import build_row, targets
from edgedigits.bench.shift import shifted
from edgedigits.bench.validate import validate_config
from edgedigits.config import BenchConfig
from edgedigits.environment import library_versions, machine_info
from edgedigits.errors import (EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, ArtifactError, DataError, EdgeDigitsError,
                               UsageError)
from edgedigits.manifest import MANIFEST_NAME, read_manifest
from edgedigits.quiet import native_output_silenced

SCHEMA_VERSION = 2
ProgressCallback = Callable[[str, int, int], None]  # (what is being benched, done, total)
# Imported before any load is timed, so "load time" is file → first answer, not a library import.
_RUNTIME_LIBRARIES = {"keras": "keras", "tflite": "ai_edge_litert.interpreter", "onnxruntime": "onnxruntime"}


@dataclass
class BenchResult:
    report: dict  # the report.json payload (schema in edgedigits.report)
    exit_code: int
    images: dict[str, np.ndarray]  # model name -> float32 [N,H,W,C] evaluation images, for the digit grids


def discover(path: Path) -> list[Path]:
    """The folder itself if it holds a manifest, else each sub-folder that does (sorted)."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such folder")
    if not path.is_dir():
        raise UsageError(f"{path}: not a folder (give a model folder or a folder of model folders)")
    if (path / MANIFEST_NAME).is_file():
        return [path]
    found = sorted(child for child in path.iterdir() if child.is_dir() and (child / MANIFEST_NAME).is_file())
    if not found:
        raise ArtifactError(f"{path}: no {MANIFEST_NAME} in it or its sub-folders (run `edgedigits export` first)")
    return found


class DataChooser:
    """Each model's evaluation data: the user's `--data` (read through that model's preprocessing and labels),
    else the test data its manifest recorded at export (checked against its sha256), else MNIST's test set.
    Loaded once per distinct (source, preprocessing, labels)."""

    def __init__(self, *, fixed: EvalData | None, data: str | None, data_dir: Path | None, config: BenchConfig):
        self.fixed, self.data, self.data_dir, self.config = fixed, data, data_dir, config
        self._cache: dict = {}

    def for_manifest(self, manifest: dict) -> tuple[EvalData, dict]:
        """(data, {kind: shifted images})."""
        if self.fixed is not None:
            return self._shifted(("fixed",), lambda: self.fixed)
        spec = DataSpec(preprocessing=Preprocessing.from_manifest(manifest.get("preprocessing")),
                        labels=tuple(str(label) for label in manifest.get("labels", LABELS)))
        recorded = (manifest.get("data") or {}).get("test") or {"kind": "mnist test"}
        if self.data is not None:
            return self._shifted((self.data, spec), lambda: load_labelled(self.data, spec))
        if recorded.get("kind") == "mnist test":  # through the model's own pixel mapping (--pixel-scale …)
            return self._shifted(("mnist", spec), lambda: load_eval_data(data_dir=self.data_dir, spec=spec))
        return self._shifted((recorded.get("source"), spec), lambda: _recorded_test_data(recorded, spec))

    def _shifted(self, key, load):
        if key not in self._cache:
            data = load()
            self._cache[key] = (data, {kind: shifted(data.images, kind, config=self.config)
                                       for kind in self.config.shifts})
        return self._cache[key]


def _recorded_test_data(recorded: dict, spec: DataSpec) -> EvalData:
    """The test data export recorded, unchanged since (sha256), through the manifest's preprocessing."""
    source = recorded.get("source")
    if not source:
        raise ArtifactError("manifest records no test data source; give --data")
    try:
        data = load_labelled(source, spec, option="recorded test data")
    except DataError as err:  # this model's recorded data is gone or broken: its folder fails, the rest go on
        raise ArtifactError(f"{err} (the test data this model's export recorded; give --data)") from None
    if recorded.get("sha256") and data.description.get("sha256") != recorded["sha256"]:
        raise ArtifactError(f"{source}: test data changed since export (sha256 differs); give --data")
    return data


def bench_model(model_dir: Path, *, chooser: DataChooser, config: BenchConfig,
                progress: Callable[[str], None]) -> tuple[dict, EvalData | None]:
    """One model folder -> ({name, dir, status, error, data, reference, artifacts, agreement_matrix}, its data)."""
    model = {"name": model_dir.name, "dir": str(model_dir), "status": "ok", "error": None, "data": None,
             "reference": None, "artifacts": [], "agreement_matrix": None}
    try:
        manifest = read_manifest(model_dir)
        source = manifest["source"]
        keras_target = Target("keras", "keras", "keras", "float32", source["file"], source["sha256"])
    except (EdgeDigitsError, KeyError, TypeError) as err:
        model |= {"status": "error", "error": str(err) if isinstance(err, EdgeDigitsError)
                  else f"{model_dir / MANIFEST_NAME}: manifest 'source' lacks file/sha256"}
        return model, None
    try:
        # A bad --data is the user's input for every model: DataError/UsageError end the run in one line.
        data, shifted_images = chooser.for_manifest(manifest)
    except ArtifactError as err:
        model |= {"status": "error", "error": str(err)}
        return model, None
    model["data"] = data.description
    output = (manifest.get("classifier") or {}).get("output", "probabilities")
    classes = len(manifest.get("labels", LABELS))
    measure = dict(model_dir=model_dir, images=data.images, shifted=shifted_images, config=config, output=output,
                   classes=classes)
    progress(f"{model_dir.name} keras")
    reference = measure_target(keras_target, **measure)
    scoring = dict(reference=reference, labels=data.labels, config=config, artifacts=manifest["artifacts"])
    model["reference"] = build_row(keras_target, None, reference, **scoring)
    if reference.status != OK:
        model |= {"status": "error", "error": reference.error}
        return model, data
    predictions = {"keras": reference.probabilities.argmax(axis=1)}
    tflm_count = len(data.images) if config.tflm_images == 0 else min(config.tflm_images, len(data.images))
    for target, entry in targets(manifest, config):
        progress(f"{model_dir.name} {target.name}")
        if target.runtime == "tflm":
            # TFLM is a parity check on a prefix of the images: its speed on this CPU says nothing about an MCU.
            subset = dict(model_dir=model_dir, images=data.images[:tflm_count], config=config, output=output,
                          classes=classes,
                          shifted={kind: batch[:tflm_count] for kind, batch in shifted_images.items()})
            measured = measure_target(target, **subset, timed=False)
            model["artifacts"].append(build_row(target, entry, measured, **scoring | dict(
                reference=_prefix(reference, tflm_count), labels=data.labels[:tflm_count])))
            continue  # not in the agreement matrix, whose columns cover every image
        measured = measure_target(target, **measure)
        model["artifacts"].append(build_row(target, entry, measured, **scoring))
        if measured.probabilities is not None:
            predictions[target.name] = measured.probabilities.argmax(axis=1)
    names, values = metrics.agreement_matrix(predictions)
    model["agreement_matrix"] = {"runtimes": names, "values": values}
    return model, data


def _prefix(measured: Measured, count: int) -> Measured:
    """The Keras reference restricted to the first `count` images (what a TFLM row is scored against)."""
    return replace(measured, probabilities=measured.probabilities[:count],
                   shifted={kind: values[:count] for kind, values in measured.shifted.items()})


def _warm_imports(runtimes: set[str]) -> None:
    for runtime in sorted(runtimes):
        if runtime in _RUNTIME_LIBRARIES:
            try:
                with native_output_silenced():
                    importlib.import_module(_RUNTIME_LIBRARIES[runtime])
            except ImportError:
                pass  # the load itself will report it, for this artifact only


def _exit_code(models: list[dict]) -> int:
    rows = [row for model in models for row in [model["reference"], *model["artifacts"]] if row]
    if any(model["status"] == "error" for model in models) or any(
            row["status"] in (TAMPERED, LOAD_FAILED) for row in rows):
        return EXIT_BAD_INPUT
    return EXIT_CHECK_FAILED if any(row["verdict"] == "FAIL" for row in rows) else EXIT_OK


def _summary(models: list[dict], exit_code: int) -> dict:
    rows = [row for model in models for row in model["artifacts"]]
    return {"models": len(models), "artifacts": len(rows),
            "passed": sum(row["verdict"] == "PASS" for row in rows),
            "failed": sum(row["status"] in (PARITY_FAILED, UNSUPPORTED) for row in rows),
            "errors": sum(row["status"] in (TAMPERED, LOAD_FAILED) for row in rows)
            + sum(model["status"] == "error" for model in models),
            "exit_code": exit_code, "verdict": {EXIT_OK: "PASS", EXIT_CHECK_FAILED: "FAIL"}.get(exit_code, "ERROR")}


def bench_artifacts(*, path: Path, config: BenchConfig, data: EvalData | None = None, data_source: str | None = None,
                    data_dir: Path | None = None, on_progress: ProgressCallback | None = None) -> BenchResult:
    """Bench every model folder under `path` (see module docstring); raises only for bad usage. `data` fixes the
    evaluation set for every model; `data_source` (`--data`) is read through each model's own preprocessing."""
    validate_config(config)
    if data_source is not None and data_dir is not None:
        raise UsageError("--data and --data-dir are alternatives: give one")
    model_dirs = discover(Path(path))
    chooser = DataChooser(fixed=data, data=data_source, data_dir=data_dir, config=config)
    runtimes = {"keras"}
    total = 0
    for model_dir in model_dirs:
        try:
            manifest = read_manifest(model_dir)
            runtimes |= {entry["runtime"] for entry in manifest["artifacts"].values()}
            total += 1 + len(targets(manifest, config))
        except ArtifactError:
            total += 1
    _warm_imports(runtimes)
    done = 0

    def progress(label: str) -> None:
        nonlocal done
        if on_progress is not None:
            on_progress(label, done, total)
        done += 1

    started = time.perf_counter()
    benched = [bench_model(model_dir, chooser=chooser, config=config, progress=progress) for model_dir in model_dirs]
    models = [model for model, _ in benched]
    images = {model["name"]: used.images for model, used in benched if used is not None}
    if on_progress is not None:
        on_progress("done", total, total)
    exit_code = _exit_code(models)
    # One message per problem: a broken file also fails its reference-kernel row with the same message.
    errors = list(dict.fromkeys(
        message for model in models for message in
        ([model["error"]] if model["status"] == "error" and model["error"] else [])
        + [row["error"] for row in model["artifacts"] if row["status"] in (TAMPERED, LOAD_FAILED)]))
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "edgedigits", "version": __version__},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "path": str(path),
        "seconds": time.perf_counter() - started,
        "machine": machine_info() | {"threads": config.threads},
        "libraries": library_versions(),
        "config": asdict(config) | {"shifts": list(config.shifts)},
        # The data of the first model benched (each model's own is in models[].data).
        "data": next((model["data"] for model in models if model["data"]), {"kind": "none", "source": "", "images": 0}),
        "models": models,
        "summary": _summary(models, exit_code),
        "errors": errors,
    }
    return BenchResult(report, exit_code, images)
