"""`edgedigits export`: convert trained models to TFLite/ONNX, verify each file, write the manifest."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from edgedigits.cli.app import ArtifactsDir, DataDir, app, console, guarded, model_names
from edgedigits.cli.train_cmd import run_training
from edgedigits.config import DEFAULT_ARTIFACTS_DIR, DEFAULT_EPOCHS, DEFAULT_EXPORT_FORMATS, ExportConfig, TrainConfig


@app.command("export")
@guarded
def export_command(
    model: Annotated[str, typer.Argument(help="Model name (v1, v2, v3) or 'all'.")],
    int8: Annotated[bool, typer.Option("--int8", help="Also export full-integer int8 TFLite.")] = False,
    formats: Annotated[Optional[str], typer.Option(
        help="Comma-separated formats, or 'all': float32, fp16, dynamic, int8, int8-float-io, int8-aiq, onnx, "
             "onnx-int8 (or full names); overrides the defaults.")] = None,
    calibration_samples: Annotated[int, typer.Option(help="Training images used to calibrate the int8 formats.")] = ExportConfig.calibration_samples,
    calibration_seed: Annotated[int, typer.Option(help="Seed of the calibration sample.")] = ExportConfig.calibration_seed,
    artifacts_dir: ArtifactsDir = DEFAULT_ARTIFACTS_DIR,
    data_dir: DataDir = None,
) -> None:
    """Export to TFLite float32 and ONNX (plus int8 with --int8); trains first if no trained model exists."""
    from edgedigits.artifacts import resolve_formats
    from edgedigits.data import load_mnist
    from edgedigits.errors import UsageError
    from edgedigits.export import export_model
    from edgedigits.manifest import manifest_path
    from edgedigits.train import MODEL_FILE

    names = model_names(model)
    requested = [part for part in formats.split(",") if part.strip()] if formats is not None else list(DEFAULT_EXPORT_FORMATS)
    if formats is not None and not requested:
        raise UsageError("--formats is empty")
    chosen = resolve_formats(requested + (["int8"] if int8 else []))
    if calibration_samples < 1:
        raise UsageError(f"--calibration-samples must be at least 1, got {calibration_samples}")
    config = ExportConfig(calibration_samples=calibration_samples, calibration_seed=calibration_seed)
    mnist = load_mnist(data_dir)
    for name in names:
        model_dir = artifacts_dir / name
        if not (model_dir / MODEL_FILE).is_file():
            console.print(f"[yellow]no trained {name} in {escape(str(model_dir))}: training it first with the defaults[/]")
            run_training(name, artifacts_dir=artifacts_dir, config=TrainConfig(epochs=DEFAULT_EPOCHS[name]),
                         data_dir=data_dir)
        console.print(f"[bold]export {name}[/]: {', '.join(chosen)}")

        def report(fmt: str, entry: dict) -> None:
            check = entry["verification"]
            console.print(f"  [green]✓[/] {entry['file']:<21} {entry['bytes']:>9,} B  verified on {check['images']} "
                          f"test images: agreement {check['agreement']:.2f}%, max |Δp| {check['max_abs_diff']:.1e}")

        result = export_model(model_dir=model_dir, formats=chosen, config=config, mnist=mnist, on_artifact=report)
        console.print(f"  manifest → {manifest_path(result.model_dir)}")
