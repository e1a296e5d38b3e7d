"""`edgedigits explain`: where an int8 artifact loses accuracy, and how much calibration data it needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from edgedigits.cli.app import DataDir, app, console, guarded
from edgedigits.config import ExportConfig


@app.command("explain")
@guarded
def explain_command(
    target: Annotated[Path, typer.Argument(
        help="An exported int8 artifact (artifacts/v3/int8.tflite, …/int8.onnx), or a model folder with "
             "--calibration-sweep.")],
    keep_float: Annotated[Optional[list[str]], typer.Option(
        "--keep-float", help="Re-export the TFLite int8 model with this Keras layer (or tensor) in float and "
                             "compare accuracy and size; repeatable. Written to a new int8_keep_float-*.tflite.")] = None,
    calibration_sweep: Annotated[Optional[str], typer.Option(
        help="Comma-separated calibration sizes, e.g. 10,100,1000: export int8 with each and compare.")] = None,
    format_name: Annotated[str, typer.Option(
        "--format", help="Calibrated format the sweep exports, named as in `export --formats` (int8, "
                         "int8-float-io, int8-aiq, onnx-int8 or a full name), when TARGET is a folder.")] = "int8",
    calibration_seed: Annotated[int, typer.Option(
        help="Seed of the sweep's calibration samples.")] = ExportConfig.calibration_seed,
    test_samples: Annotated[Optional[int], typer.Option(
        help="Test images for accuracy and agreement (default: all 10,000).")] = None,
    recipes: Annotated[bool, typer.Option(
        "--recipes", help="Make every int8 recipe (ptq, equalize, fallback, int16, qat) for TARGET's format and "
                          "print the trade table; writes no file.")] = False,
    train_data: Annotated[Optional[str], typer.Option(
        help="With --recipes: labelled training images for qat (default for 28x28x1 10-class models: MNIST).")] = None,
    qat_epochs: Annotated[int, typer.Option(help="With --recipes: epochs of quantization-aware fine-tuning.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")] = False,
    report_dir: Annotated[Optional[Path], typer.Option(
        help="Also write <kind>-<name>.json and a bar chart .png here.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Explain int8 loss: per-layer error (TFLite debugger), per-tensor SQNR (ONNX), a calibration sweep, or the
    trade table of every int8 recipe (--recipes). Works on any exported model, on the data it was exported with."""
    from edgedigits.explain.request import explain_target

    explanation = explain_target(target=target, keep_float=tuple(keep_float or ()),
                                 calibration_sweep=calibration_sweep, format_name=format_name,
                                 calibration_seed=calibration_seed, test_samples=test_samples, data_dir=data_dir,
                                 recipes=recipes, train_data=train_data, qat_epochs=qat_epochs,
                                 on_step=None if as_json else
                                 lambda line: console.print(f"  [dim]{escape(line)}[/]", highlight=False))
    written = []
    if report_dir is not None:
        from edgedigits.explain.render import write_report

        written = write_report(explanation, report_dir)
    if as_json:
        typer.echo(json.dumps(explanation.to_json(), indent=2))
        return
    from edgedigits.explain.render import tables

    for table in tables(explanation):
        console.print(table)
    # Notes and paths carry user-chosen names: escaped, so "v1[test]" prints as is and cannot break markup.
    for note in explanation.notes:
        console.print(f"  [dim]{escape(note)}[/]", highlight=False)
    for path in written:
        console.print(f"  report → {escape(str(path))}")

