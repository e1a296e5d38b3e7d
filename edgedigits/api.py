"""The Python API: `edgedigits.train/export/bench/predict/embed/inspect/explain`, for notebooks and scripts.

Each function is a thin layer over the keyword-only library functions the CLI commands call, so the same inputs
give the same files and numbers as `edgedigits <command>` (tests/test_api.py holds them to that). Errors are
edgedigits.errors' classes, never SystemExit: InputError (UsageError, DataError, ArtifactError) for input that
cannot be used, CheckFailed for numbers out of tolerance, InternalError for a bug. docs/api.md walks through it.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, Union

from edgedigits.config import DEFAULT_ARTIFACTS_DIR, BenchConfig, ExportConfig, TrainConfig
from edgedigits.errors import ArtifactError, CheckFailed, EdgeDigitsError, InternalError, UsageError
from edgedigits.results import BenchReport, Bundle, ExportResult

if TYPE_CHECKING:
    from edgedigits.explain import Explanation
    from edgedigits.prediction import Prediction
    from edgedigits.train import TrainResult

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["train", "export", "bench", "predict", "embed", "inspect", "explain"]


def _public(function: Callable) -> Callable:
    """Domain errors, OSError and interrupts pass through as they are; anything else is a bug: InternalError,
    with the original as its __cause__ (the CLI's "internal error" line, as an exception)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (EdgeDigitsError, OSError, MemoryError):
            raise
        except Exception as err:
            detail = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
            raise InternalError(f"internal error {type(err).__name__}: {detail}") from err

    return wrapper


def _quiet_tensorflow() -> None:
    from edgedigits.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()


def _keras_source(model: Any, work_dir: Path) -> str:
    """A registry name or .keras path as is; an in-memory keras.Model saved to `work_dir/<its name>.keras`,
    so it takes the path the CLI takes for a user's .keras file."""
    if isinstance(model, (str, os.PathLike)):
        return os.fspath(model)
    import keras

    if not isinstance(model, keras.Model):
        raise UsageError(f"model: give a registry name (v1, v2, v3), a .keras path or a keras.Model, "
                         f"not {type(model).__name__}")
    path = work_dir / f"{model.name or 'model'}.keras"
    try:
        model.save(path)
    except Exception as err:  # e.g. a subclassed model without get_config: the user's model, not a bug here
        detail = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
        raise ArtifactError(f"keras.Model '{model.name}': cannot be saved as a .keras file ({detail})") from err
    return str(path)


@_public
def train(model: str | Callable[[], Any] = "v1", *, epochs: int | None = None,
          batch_size: int = TrainConfig.batch_size, seed: int = 0, precision: str = "auto",
          train_samples: int | None = None, train_data: str | None = None, test_data: str | None = None,
          labels: PathLike | Sequence[str] | None = None, pixel_scale: float = 1 / 255, pixel_offset: float = 0.0,
          channel_order: str = "rgb", artifacts_dir: PathLike = DEFAULT_ARTIFACTS_DIR,
          data_dir: PathLike | None = None,
          on_epoch: Callable[[int, int, dict, float], None] | None = None) -> "TrainResult":
    """Train with the blog's recipe; saves ARTIFACTS_DIR/NAME/model.keras and train.json; as `edgedigits train`.

    `model`: a registry name (v1, v2, v3), "FILE.py:FUNCTION", or a function returning an uncompiled
    keras.Model (saved under the function's name). It trains on MNIST (28x28x1 -> 10), or, for your own
    architecture, on `train_data` (a folder of per-class sub-folders, an .npz with x and y, or IDX files; any
    input size and class count) with `test_data` (default: a seeded 10 % hold-out), `labels` and the pixel
    mapping. `epochs` defaults as the command's: v1 14, v2 13, v3 16, 10 for your own architecture.
    `on_epoch(epoch, epochs, logs, seconds)` is called after each epoch. Returns edgedigits.train.TrainResult
    (model_path, test_accuracy %, seconds_per_epoch, …)."""
    from edgedigits.data import load_mnist
    from edgedigits.train import train_model
    from edgedigits.train_request import own_data_option, plan_training

    _quiet_tensorflow()
    own_data = own_data_option(train_data=train_data, test_data=test_data, labels=labels, pixel_scale=pixel_scale,
                               pixel_offset=pixel_offset, channel_order=channel_order)
    plan = plan_training(model, epochs=epochs, own_data=own_data, settings=dict(
        batch_size=batch_size, seed=seed, precision=precision, train_samples=train_samples))
    if plan.own_data is not None:  # the user's images, through the model's input shape and pixel mapping
        mnist = None
        sets = plan.own_data.sets(plan.builder(None), describe=plan.describe or plan.name, seed=plan.config.seed)
    else:
        mnist, sets = load_mnist(Path(data_dir) if data_dir is not None else None), None
    return train_model(builder=plan.builder, name=plan.name, mnist=mnist, out_dir=Path(artifacts_dir) / plan.name,
                       config=plan.config, on_epoch=on_epoch, sets=sets)


@_public
def export(model: Any, out: PathLike | None = None, *, formats: str | Sequence[str] | None = None,
           int8: bool = False, int8_recipe: str = "auto", calibration_data: str | None = None,
           test_data: str | None = None, labels: PathLike | Sequence[str] | None = None,
           train_data: str | None = None, qat_epochs: int = 2,
           calibration_samples: int = ExportConfig.calibration_samples,
           calibration_seed: int = ExportConfig.calibration_seed, pixel_scale: float = 1 / 255,
           pixel_offset: float = 0.0, channel_order: str = "rgb",
           artifacts_dir: PathLike = DEFAULT_ARTIFACTS_DIR, data_dir: PathLike | None = None) -> ExportResult:
    """Export `model` to each format, verify every file against Keras and write manifest.json; as
    `edgedigits export`.

    `model`: a registry name (v1, v2, v3; trained first with the defaults if it has no model.keras yet), a
    path to your own .keras, or a keras.Model in memory (saved as ARTIFACTS_DIR/<model.name>, or `out`).
    `formats`: names as `--formats` takes them ("float32,onnx", ["int8", "onnx-int8"], "all"); default float32
    and ONNX. `int8_recipe` (auto|ptq|equalize|fallback|int16|qat), `train_data` and `qat_epochs` choose how
    int8 formats are made (docs/int8.md); auto tries the remedies when plain int8 misses the gate, and
    `.recipes` holds the trade table of what was tried. `calibration_data`, `test_data`, `labels` and the pixel
    mapping are for your own model (docs/own-model.md). Raises CheckFailed if an artifact disagrees with Keras;
    nothing is replaced then."""
    from edgedigits.config import DEFAULT_EPOCHS
    from edgedigits.data import load_mnist
    from edgedigits.export import export_model
    from edgedigits.export_request import plan_export
    from edgedigits.train import MODEL_FILE

    _quiet_tensorflow()
    if isinstance(formats, str):
        formats = [part for part in formats.split(",") if part.strip()]
    with tempfile.TemporaryDirectory(prefix="edgedigits-api-") as work_dir:
        request = plan_export(
            _keras_source(model, Path(work_dir)), formats=formats, int8=int8,
            calibration_samples=calibration_samples, calibration_seed=calibration_seed,
            out=Path(out) if out is not None else None, calibration_data=calibration_data, test_data=test_data,
            labels=labels, pixel_scale=pixel_scale, pixel_offset=pixel_offset, channel_order=channel_order,
            artifacts_dir=Path(artifacts_dir))
        if len(request.sources) != 1:
            raise UsageError("export one model per call (a name, a .keras path or a keras.Model), not 'all'")
        source = request.sources[0]
        mnist = load_mnist(Path(data_dir) if data_dir is not None else None) if request.needs_mnist else None
        if source.registry and not (source.model_dir / MODEL_FILE).is_file():
            train(source.name, epochs=DEFAULT_EPOCHS[source.name], artifacts_dir=artifacts_dir, data_dir=data_dir)
        result = export_model(model_dir=source.model_dir, formats=request.formats, config=request.config,
                              mnist=mnist, options=request.options, keras_file=source.keras_file,
                              int8_recipe=int8_recipe, train_data=train_data, qat_epochs=qat_epochs)
    artifacts = {name: result.model_dir / result.manifest["artifacts"][name]["file"] for name in result.exported}
    return ExportResult(model_dir=result.model_dir, artifacts=artifacts, manifest=result.manifest,
                        recipes=dict(result.recipes))


@_public
def bench(path: PathLike, *, threads: int = BenchConfig.threads, runs: int = BenchConfig.runs,
          max_accuracy_drop: float | None = None, min_agreement: float | None = None,
          max_prob_diff: float | None = None, shift: Sequence[str] = (), data: str | None = None,
          tflm: str = BenchConfig.tflm, tflm_images: int = BenchConfig.tflm_images,
          report_dir: PathLike | None = None, data_dir: PathLike | None = None, check: bool = False) -> BenchReport:
    """Bench every artifact under `path` (a model folder, or a folder of them) against its Keras original; as
    `edgedigits bench`, whose table the result shows in a notebook.

    Thresholds default per format (float: max |Δp| 1e-4; quantized: agreement 99.5 %, drop 0.2 pp). `shift`:
    any of "noise", "rotate", "translate" (a list, or "noise,rotate"). `data`: your own labelled images
    (default: each model's recorded test data). `report_dir` also writes report.json, report.md and figures.
    A FAIL is a result, not an error: read `.passed`; `check=True` raises CheckFailed (a FAIL) or ArtifactError
    (a bad file) instead."""
    from edgedigits.bench.run import bench_artifacts

    _quiet_tensorflow()
    kinds = shift.split(",") if isinstance(shift, str) else shift  # "noise,rotate" as --shift takes it, or a list
    shifts = tuple(kind.strip() for kind in kinds if kind.strip())
    config = BenchConfig(threads=threads, runs=runs, max_accuracy_drop=max_accuracy_drop,
                         min_agreement=min_agreement, max_prob_diff=max_prob_diff, shifts=shifts, tflm=tflm,
                         tflm_images=tflm_images)
    result = bench_artifacts(path=Path(path), config=config, data_source=data,
                             data_dir=Path(data_dir) if data_dir is not None else None)
    report = BenchReport.from_result(result)
    if report_dir is not None:
        report.write(report_dir)
    if check and not report.passed:
        summary = result.report["summary"]
        message = f"bench {report.verdict}: {summary['passed']}/{summary['artifacts']} artifacts pass"
        if report.errors:
            raise ArtifactError(f"{message}; {report.errors[0]}")
        raise CheckFailed(message)
    return report


@_public
def predict(artifact: PathLike, images: PathLike | Sequence[PathLike], *, top: int = 3,
            kernels: str = "default") -> "list[Prediction]":
    """Classify image files (PNG, JPEG, any size) with one artifact (.tflite, .onnx or .keras), preprocessed with
    the model's recorded recipe; as `edgedigits predict`. One Prediction per image: `.label`, `.probability`,
    `.top` [(label, p)], `.probabilities` float32 [K], `.frame` (what the model saw). `kernels` (.tflite):
    default, builtin, reference or tflm."""
    from edgedigits.prediction import predict_images

    paths = [images] if isinstance(images, (str, os.PathLike)) else list(images)
    return predict_images(artifact=Path(artifact), images=[Path(p) for p in paths], top=top, kernels=kernels)


@_public
def embed(model_dir: PathLike, *, target: str, format: str | None = None, out: PathLike | None = None,
          runtime: str | None = None) -> Bundle:
    """Write a ready-to-embed bundle for `target` (android, ios, mcu or web) from an exported model folder; as
    `edgedigits embed` (docs/embedding.md, docs/bundles.md). `format` defaults to the target's own, `out` to
    MODEL_DIR/embed/TARGET, `runtime` (web) to litert."""
    import json

    from edgedigits.embed import BUNDLE_RECORD, embed_bundle

    folder = embed_bundle(model_dir=Path(model_dir), target=target, fmt=format,
                          out=Path(out) if out is not None else None, runtime=runtime)
    return Bundle(folder=folder, record=json.loads((folder / BUNDLE_RECORD).read_text(encoding="utf-8")))


@_public
def inspect(file: PathLike) -> dict:
    """What is inside one artifact (.tflite, .onnx, .keras): I/O and quantization, operators, int8 coverage,
    parameters, MACs, TFLite Micro arena, size, sha256 and its manifest entry; the dict `inspect --json` prints."""
    from edgedigits.inspection import inspect_artifact

    return inspect_artifact(path=Path(file))


@_public
def explain(target: PathLike, *, keep_float: Sequence[str] = (), calibration_sweep: str | Sequence[int] | None = None,
            recipes: bool = False, format: str = "int8", calibration_seed: int = ExportConfig.calibration_seed,
            test_samples: int | None = None, train_data: str | None = None, qat_epochs: int = 2,
            report_dir: PathLike | None = None, data_dir: PathLike | None = None) -> "Explanation":
    """Where an int8 artifact loses accuracy, on the data it was exported with; as `edgedigits explain`.
    Per-layer error (TFLite) or per-tensor SQNR (ONNX) of `target`; `keep_float` layers re-exported in float;
    a `calibration_sweep` over sizes (e.g. [10, 100, 1000]) of an artifact or model folder; or `recipes=True`:
    every int8 recipe made and measured for `format` (qat fine-tunes on `train_data`), nothing written.
    `.rows`, `.notes`, `.to_json()` (= `explain --json`)."""
    from edgedigits.explain.request import explain_target

    _quiet_tensorflow()
    if calibration_sweep is not None and not isinstance(calibration_sweep, str):
        calibration_sweep = ",".join(str(size) for size in calibration_sweep)
    explanation = explain_target(target=Path(target), keep_float=tuple(keep_float),
                                 calibration_sweep=calibration_sweep, format_name=format,
                                 calibration_seed=calibration_seed, test_samples=test_samples,
                                 data_dir=Path(data_dir) if data_dir is not None else None, recipes=recipes,
                                 train_data=train_data, qat_epochs=qat_epochs)
    if report_dir is not None:
        from edgedigits.explain.render import write_report

        write_report(explanation, Path(report_dir))
    return explanation
