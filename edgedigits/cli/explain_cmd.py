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
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")] = False,
    report_dir: Annotated[Optional[Path], typer.Option(
        help="Also write <kind>-<name>.json and a bar chart .png here.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Explain int8 loss: per-layer error (TFLite debugger), per-tensor SQNR (ONNX), or a calibration sweep."""
    from edgedigits.data import load_mnist
    from edgedigits.errors import UsageError

    if test_samples is not None and not 1 <= test_samples <= 10_000:
        raise UsageError(f"--test-samples must be between 1 and 10000, got {test_samples}")
    if calibration_sweep is not None:
        explanation = _sweep(target, calibration_sweep, format_name, calibration_seed, test_samples, keep_float,
                             data_dir)
    else:
        if target.is_dir():
            raise UsageError(f"{target}: a folder needs --calibration-sweep; to explain an artifact give its file")
        from edgedigits.explain import explain_artifact

        explanation = explain_artifact(path=target, mnist=load_mnist(data_dir), keep_float=tuple(keep_float or ()),
                                       test_samples=test_samples)
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


def _sweep(target: Path, sizes_text: str, format_name: str, seed: int, test_samples: Optional[int],
           keep_float: Optional[list[str]], data_dir: Optional[Path]):
    from edgedigits.artifacts import resolve_formats
    from edgedigits.data import load_mnist
    from edgedigits.errors import ArtifactError, UsageError
    from edgedigits.explain.sweep import calibration_sweep, parse_sizes

    if keep_float:
        raise UsageError("--keep-float and --calibration-sweep cannot be combined")
    mnist = load_mnist(data_dir)
    sizes = parse_sizes(sizes_text, limit=len(mnist.x_train))
    if target.is_file():
        # An artifact file: sweep its own format, in its folder.
        from edgedigits.explain import locate

        model_dir, _, entry = locate(target)
        chosen = entry["format"]
    elif target.is_dir():
        # The names `export --formats` takes, one of them: "all" or a list would sweep one format silently.
        resolved = resolve_formats([format_name]) if "," not in format_name else ()
        if len(resolved) != 1:
            raise UsageError(f"--format takes one format, got '{format_name}'")
        model_dir, chosen = target, resolved[0]
    else:
        raise ArtifactError(f"{target}: no such file or folder")
    return calibration_sweep(model_dir=model_dir, sizes=sizes, mnist=mnist, format_name=chosen, seed=seed,
                             test_samples=test_samples)
