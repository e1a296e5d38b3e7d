"""`edgedigits export`: convert trained models to TFLite/ONNX, verify each file, write the manifest."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from edgedigits.cli.app import ArtifactsDir, DataDir, app, console, guarded
from edgedigits.cli.train_cmd import run_training
from edgedigits.config import DEFAULT_ARTIFACTS_DIR, DEFAULT_EPOCHS, ExportConfig, TrainConfig


class ChannelOrder(str, Enum):
    rgb = "rgb"
    bgr = "bgr"


# The names of edgedigits.quantize.RECIPE_CHOICES (kept literal so --help needs no import of the library).
Int8Recipe = Enum("Int8Recipe", {name: name for name in ("auto", "ptq", "equalize", "fallback", "int16", "qat")},
                  type=str)


@app.command("export")
@guarded
def export_command(
    model: Annotated[str, typer.Argument(
        help="Model name (v1, v2, v3), 'all', or a path to your own .keras image classifier.")],
    int8: Annotated[bool, typer.Option("--int8", help="Also export full-integer int8 TFLite.")] = False,
    formats: Annotated[Optional[str], typer.Option(
        help="Comma-separated formats, or 'all': float32, fp16, dynamic, int8, int8-float-io, int8-aiq, onnx, "
             "onnx-int8 (or full names); overrides the defaults.")] = None,
    calibration_samples: Annotated[int, typer.Option(help="Images used to calibrate the int8 formats.")] = ExportConfig.calibration_samples,
    calibration_seed: Annotated[int, typer.Option(help="Seed of the calibration sample.")] = ExportConfig.calibration_seed,
    out: Annotated[Optional[Path], typer.Option(
        help="Your own .keras: the model folder to write (default ARTIFACTS_DIR/<file or folder name>).")] = None,
    calibration_data: Annotated[Optional[str], typer.Option(
        help="Calibration images for int8: a folder of per-class sub-folders, an .npz (x, y) or IDX files. "
             "Default for 28x28x1 digit models: MNIST training images.")] = None,
    test_data: Annotated[Optional[str], typer.Option(
        help="Labelled test images (same kinds) for the export check, golden vectors and later `bench`. "
             "Default for 28x28x1 digit models: the MNIST test set.")] = None,
    labels: Annotated[Optional[Path], typer.Option(
        help="Labels file, one per line in output order (default 0-9 for 10-class models).")] = None,
    pixel_scale: Annotated[float, typer.Option(help="Model input = pixel * scale + offset (default 1/255).")] = 1 / 255,
    pixel_offset: Annotated[float, typer.Option(help="See --pixel-scale; e.g. scale 2/255, offset -1 for [-1, 1].")] = 0.0,
    channel_order: Annotated[ChannelOrder, typer.Option(help="Channel order of 3-channel inputs.")] = ChannelOrder.rgb,
    int8_recipe: Annotated[Int8Recipe, typer.Option(
        help="How the int8 formats are made. auto: plain int8, and when it misses the gate (99.5% agreement, "
             "0.2 pp accuracy drop on the verification images) the remedies equalize, fallback, int16, then qat; "
             "the smallest passing file is written and a trade table shown.")] = Int8Recipe.auto,
    train_data: Annotated[Optional[str], typer.Option(
        help="Labelled training images for --int8-recipe qat (same kinds as --test-data). Default for 28x28x1 "
             "10-class models: the MNIST training set.")] = None,
    qat_epochs: Annotated[int, typer.Option(help="Epochs of quantization-aware fine-tuning.")] = 2,
    artifacts_dir: ArtifactsDir = DEFAULT_ARTIFACTS_DIR,
    data_dir: DataDir = None,
) -> None:
    """Export to TFLite float32 and ONNX (plus int8 with --int8), each verified against Keras; trains a built-in
    model first if it has no trained model yet. Works the same for your own .keras image classifier. When
    int8 misses the gate, --int8-recipe auto finds a remedy and shows the trade."""
    from edgedigits.data import load_mnist
    from edgedigits.export import export_model
    from edgedigits.export_request import plan_export
    from edgedigits.manifest import manifest_path
    from edgedigits.train import MODEL_FILE

    request = plan_export(
        model, formats=[part for part in formats.split(",") if part.strip()] if formats is not None else None,
        int8=int8, calibration_samples=calibration_samples, calibration_seed=calibration_seed, out=out,
        calibration_data=calibration_data, test_data=test_data,
        labels=labels, pixel_scale=pixel_scale,
        pixel_offset=pixel_offset, channel_order=channel_order.value, artifacts_dir=artifacts_dir)
    sources, chosen, config, options = request.sources, request.formats, request.config, request.options

    def show_search(fmt: str, search) -> None:
        from edgedigits.report.recipes import recipe_table

        if len(search.candidates) > 1 or search.candidates[0].recipe != "ptq" or search.chosen is None:
            console.print(recipe_table(search.rows(), title=f"  int8 recipes for {fmt} (gate: {search.gate_text()})"))
    mnist = load_mnist(data_dir) if request.needs_mnist else None
    for source in sources:
        if source.registry and not (source.model_dir / MODEL_FILE).is_file():
            console.print(f"[yellow]no trained {source.name} in {escape(str(source.model_dir))}: training it first "
                          "with the defaults[/]")
            run_training(source.name, artifacts_dir=artifacts_dir, config=TrainConfig(epochs=DEFAULT_EPOCHS[source.name]),
                         data_dir=data_dir)
        console.print(f"[bold]export {escape(source.name)}[/]: {', '.join(chosen)}")

        def report(fmt: str, entry: dict) -> None:
            check = entry["verification"]
            console.print(f"  [green]✓[/] {entry['file']:<21} {entry['bytes']:>9,} B  verified on {check['images']} "
                          f"test images: agreement {check['agreement']:.2f}%, max |Δp| {check['max_abs_diff']:.1e}")

        result = export_model(model_dir=source.model_dir, formats=chosen, config=config, mnist=mnist, options=options,
                              keras_file=source.keras_file, on_artifact=report, int8_recipe=int8_recipe.value,
                              train_data=train_data, qat_epochs=qat_epochs, on_search=show_search,
                              on_step=lambda line: console.print(f"  [dim]{escape(line)}[/]", highlight=False))
        console.print(f"  manifest → {escape(str(manifest_path(result.model_dir)))}")
