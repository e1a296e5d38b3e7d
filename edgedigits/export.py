"""Export a trained model to every requested format, verify each, and record it in the manifest.

For each format: write to a temp file, load it in its runtime and compare with Keras on test images. Only when
every requested artifact passed are they renamed into place together, and the manifest is written last,
atomically, under an exclusive lock: an interrupted, failed or concurrent export never leaves a manifest naming
files from two different runs, and never touches the previous artifacts before the new ones are all good.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from edgedigits import interrupts
from edgedigits.artifacts import ARTIFACTS, Artifact, ExportContext
from edgedigits.config import ExportConfig
from edgedigits.classifier import LOGITS, describe_classifier, softmax
from edgedigits.data import Mnist, load_mnist
from edgedigits.export_data import DataOptions, export_data
from edgedigits.environment import library_versions
from edgedigits.errors import ArtifactError, CheckFailed, UsageError
from edgedigits.fileio import StagedFiles, ensure_writable_dir, folder_lock, remove_stale_temp_files, sha256_file
from edgedigits.golden import prune_golden, write_golden
from edgedigits.models import MODELS
from edgedigits.manifest import SCHEMA_VERSION, manifest_bytes, manifest_path, read_manifest, verify_artifact_file
from edgedigits.quiet import native_output_silenced
from edgedigits.parity import compare, structure_problems, violations
from edgedigits.quantize import AUTO, RecipeJob, check_recipe, recipes_for
from edgedigits.quantize.search import NoRecipePassed, SearchResult, next_step, search_recipes
from edgedigits.quantize.training import training_loader
from edgedigits.runtimes import open_runtime, tflm_rt
from edgedigits.train import MODEL_FILE

ArtifactCallback = Callable[[str, dict], None]  # (format name, manifest entry)
SearchCallback = Callable[[str, "SearchResult"], None]  # (format name, its int8 recipe search)


@dataclass(frozen=True)
class ExportResult:
    model_dir: Path
    manifest: dict
    exported: tuple[str, ...]
    recipes: dict[str, list[dict]] = dataclasses.field(default_factory=dict)  # int8 format -> trade-table rows


def _measure(artifact: Artifact, path: Path, reference: np.ndarray, images: np.ndarray, labels: np.ndarray,
             output: str) -> dict:
    """Load a freshly written file in its runtime and compare it with Keras: {"parity", "io", "problems"} (the
    problems are shape/dtype/NaN ones; tolerances are the caller's)."""
    runtime = open_runtime(artifact.runtime, path, output=output)
    candidate = runtime.predict(images)
    problems = structure_problems(reference, candidate)
    return {"parity": compare(reference, candidate, labels) if not problems else None, "problems": problems,
            "io": {"inputs": [spec.to_json() for spec in runtime.inputs],
                   "outputs": [spec.to_json() for spec in runtime.outputs]}}


def _verification(parity) -> dict:
    return {"images": parity.images, "agreement": round(parity.agreement, 4), "max_abs_diff": parity.max_abs_diff,
            "mean_abs_diff": parity.mean_abs_diff}


def _verify(artifact: Artifact, path: Path, reference: np.ndarray, images: np.ndarray, labels: np.ndarray,
            output: str) -> dict:
    """Hold the freshly written file to the format's export tolerance."""
    measured = _measure(artifact, path, reference, images, labels, output)
    problems = measured["problems"] or violations(measured["parity"], artifact.export_tolerance)
    if problems:
        raise CheckFailed(f"{artifact.file}: export verification against Keras failed: {'; '.join(problems)}")
    return {"io": measured["io"], "verification": _verification(measured["parity"])}


def _chosen_or_raise(result, mode: str):
    """(the manifest's recipe record, the chosen candidate), or the error that ends the export: exit 2 when a
    named recipe cannot handle the model, exit 1 (after the table) when no candidate reached the gate."""
    if result.chosen is None:
        only = result.candidates[0] if mode != AUTO else None
        if only is not None and only.error is not None and only.check is None:
            raise UsageError(only.error)
        if only is not None:
            raise CheckFailed(f"{ARTIFACTS[result.format].file}: export verification against Keras failed "
                              f"({only.recipe}): {'; '.join(only.problems)}")
        raise NoRecipePassed(next_step(result), result)
    chosen = result.chosen
    gate = {key: value for key, value in dataclasses.asdict(result.gate).items() if value is not None}
    record = {"name": chosen.recipe, **chosen.details,
              "gate": gate | {"images": chosen.check["parity"].images}, "candidates": result.rows()}
    return record, chosen


def _surviving_entries(model_dir: Path, previous: dict, source_sha256: str) -> dict:
    """Entries of the previous manifest still valid: same source model, file present with the same sha256."""
    if not previous or previous["source"]["sha256"] != source_sha256:
        return {}
    kept = {}
    for name, entry in previous["artifacts"].items():
        try:
            verify_artifact_file(model_dir, entry)
        except ArtifactError:
            continue  # missing or changed since: not carried over
        if name in ARTIFACTS:
            kept[name] = entry
    return kept


def _in_registry_order(entries: dict) -> dict:
    return {name: entries[name] for name in ARTIFACTS if name in entries}


def export_model(*, model_dir: Path, formats: tuple[str, ...], config: ExportConfig, mnist: Mnist | None = None,
                 options: DataOptions = DataOptions(), keras_file: Path | None = None,
                 on_artifact: ArtifactCallback | None = None, int8_recipe: str = AUTO, train_data: str | None = None,
                 qat_epochs: int = 2, on_search: SearchCallback | None = None,
                 on_step: Callable[[str], None] | None = None) -> ExportResult:
    """Export `model_dir/model.keras` (a built-in model or the user's own image classifier) to `formats`; raises
    CheckFailed if an artifact disagrees with Keras. `keras_file` exports the user's own `.keras` instead: it is
    copied to `model_dir/model.keras` together with the artifacts, only when all of them passed. MNIST (`mnist`,
    loaded when needed) is the default data of digit-shaped models; `options` names the user's data and
    preprocessing (edgedigits.export_data). `int8_recipe` says how the int8 formats are made (edgedigits.quantize):
    auto tries plain int8 and, when it misses the gate, the remedies; `on_search` sees each format's trade table
    and `on_step` one line per candidate or QAT epoch."""
    from edgedigits.runtimes.keras_rt import load_keras_model, run_keras_model

    model_dir = ensure_writable_dir(model_dir)
    source = Path(keras_file) if keras_file is not None else model_dir / MODEL_FILE
    if not source.is_file():
        raise ArtifactError(f"{source}: no trained model (run `edgedigits train` first)" if keras_file is None
                            else f"{source}: file not found")
    model = load_keras_model(source)
    source_sha256 = sha256_file(source)
    adopting = keras_file is not None and not (
        (model_dir / MODEL_FILE).is_file() and sha256_file(model_dir / MODEL_FILE) == source_sha256)
    classifier = describe_classifier(model, source=str(source))
    check_recipe(int8_recipe, formats)
    if qat_epochs < 1:
        raise UsageError(f"--qat-epochs must be at least 1, got {qat_epochs}")
    if train_data is not None and int8_recipe not in (AUTO, "qat"):
        raise UsageError(f"--train-data is for --int8-recipe qat (or auto), not {int8_recipe}")
    if int8_recipe == "qat" and train_data is None and not classifier.digit_shaped:
        raise UsageError(f"{source}: --int8-recipe qat needs --train-data (MNIST fits only 28x28x1 10-class models)")
    data = export_data(classifier=classifier, options=options, config=config, mnist=mnist, source=str(source),
                       needs_calibration=any(ARTIFACTS[name].calibrated for name in formats))
    mnist_data = data.record["test"].get("kind") == "mnist test"  # MNIST fits QAT only where it is the data
    if int8_recipe == "qat" and train_data is None and not mnist_data:
        raise UsageError(f"{source}: --int8-recipe qat needs --train-data (the model was exported with its own "
                         "test data, so MNIST is not its training data)")
    training = training_loader(classifier=classifier, spec=data.spec, train_data=train_data,
                               mnist_loader=lambda: mnist if mnist is not None else load_mnist(),
                               mnist_fits=mnist_data)

    images, labels = data.test.images[:config.verify_samples], data.test.labels[:config.verify_samples]
    reference = run_keras_model(model, images, source)
    if classifier.output == LOGITS:
        reference = softmax(reference)
    calibration, calibration_images = data.calibration, data.calibration_images

    entries: dict[str, dict] = {}
    staged_paths: dict[str, Path] = {}  # format -> its temp file until commit (golden vectors read it)
    with folder_lock(model_dir), StagedFiles(model_dir) as staged, \
            tempfile.TemporaryDirectory(prefix="edgedigits-export-") as work_dir:
        remove_stale_temp_files(model_dir)
        # Phase 1: write and verify every artifact under a temp name; nothing visible changes yet.
        for name in formats:
            artifact = ARTIFACTS[name]
            context = ExportContext(model=model, calibration_images=calibration_images, calibration=calibration,
                                    opset=config.onnx_opset, work_dir=Path(work_dir))
            tmp = staged.path_for(model_dir / artifact.file)
            staged_paths[name] = tmp
            recipe, tflm = None, None
            if artifact.calibrated and len(recipes_for(name)) > 1 and int8_recipe != "ptq":
                # int8 by recipe: candidates made and measured in the scratch folder, the chosen one copied in.
                job = RecipeJob(format=name, context=context, check=None, training=training, qat_epochs=qat_epochs,
                                seed=config.calibration_seed, on_progress=on_step)
                result = search_recipes(format_name=name, mode=int8_recipe, job=job, images=images,
                                        check=lambda path: _measure(artifact, path, reference, images, labels,
                                                                    classifier.output),
                                        work_dir=Path(work_dir), on_step=on_step)
                if on_search is not None:
                    on_search(name, result)
                recipe, chosen = _chosen_or_raise(result, int8_recipe)
                shutil.copyfile(chosen.path, tmp)
                extra, tflm = chosen.entry, chosen.tflm
                checked = {"io": chosen.check["io"], "verification": _verification(chosen.check["parity"])}
            else:
                with native_output_silenced():
                    extra = artifact.export(context, tmp)
                    checked = _verify(artifact, tmp, reference, images, labels, classifier.output)
                if artifact.calibrated:
                    recipe = {"name": "ptq"}
            entry = {"format": name, "runtime": artifact.runtime, "precision": artifact.precision,
                     "description": artifact.description, "file": artifact.file, "bytes": tmp.stat().st_size,
                     "sha256": sha256_file(tmp), **checked["io"], **extra, "verification": checked["verification"],
                     "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            if recipe is not None:
                entry["recipe"] = recipe
            if artifact.runtime == "tflite":
                # Whether TensorFlow Lite Micro runs it, and the arena it really allocates (an MCU's RAM budget).
                entry["tflm"] = tflm or tflm_rt.measure(tmp)
            entries[name] = entry
            interrupts.check()  # stop at once if Ctrl-C arrived while a converter had control
            if on_artifact is not None:
                on_artifact(name, entry)

        # tf2onnx's lesson: re-run the source model to make sure conversion did not trash it.
        again = run_keras_model(model, images, source)
        if not np.array_equal(softmax(again) if classifier.output == LOGITS else again, reference):
            raise CheckFailed(f"{source}: Keras model changed during export")

        if adopting:  # the user's model joins the folder in the same commit as its artifacts
            shutil.copyfile(source, staged.path_for(model_dir / MODEL_FILE))
        try:
            previous = read_manifest(model_dir)
        except ArtifactError:
            previous = {}
        manifest = {
            "schema_version": SCHEMA_VERSION,
            # The registry name for the built-ins; the folder's name for the user's own models.
            "model": model.name if keras_file is None and model.name in MODELS and model_dir.name == model.name
            else model_dir.name,
            "source": {"file": MODEL_FILE, "sha256": source_sha256},
            "classifier": classifier.to_json(),
            "preprocessing": data.spec.preprocessing.to_manifest(),
            "labels": list(data.spec.labels),
            "data": data.record | {"calibration": calibration if any(
                ARTIFACTS[name].calibrated for name in formats) else None},
            "libraries": library_versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "artifacts": _in_registry_order(_surviving_entries(model_dir, previous, source_sha256) | entries),
        }
        # Golden vectors for every listed artifact (edgedigits.golden), staged to be committed with them.
        manifest["golden"] = write_golden(model_dir=model_dir, manifest=manifest, test=data.test, staged=staged,
                                          artifact_paths=staged_paths)
        # Phase 2: all verified; rename them into place together, manifest last.
        staged.commit(last=(manifest_path(model_dir), manifest_bytes(manifest)))
        prune_golden(model_dir, manifest["golden"])
    recipes = {name: entry["recipe"].get("candidates", []) for name, entry in entries.items() if "recipe" in entry}
    return ExportResult(model_dir, manifest, tuple(entries), recipes)
