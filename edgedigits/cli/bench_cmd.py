"""`edgedigits bench`: accuracy, parity, statistics and speed of every artifact against Keras; a CI gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from edgedigits.cli.app import DataDir, app, console, err_console, guarded
from edgedigits.config import BenchConfig


def _shifts(value: Optional[str]) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip()) if value else ()


@app.command("bench")
@guarded
def bench_command(
    path: Annotated[Path, typer.Argument(help="A model folder with manifest.json, or a folder of them.")],
    threads: Annotated[int, typer.Option(help="Inference threads per runtime (1 = like a phone).")] = 1,
    runs: Annotated[int, typer.Option(help="Minimum timed batch-1 calls per runtime.")] = BenchConfig.runs,
    max_accuracy_drop: Annotated[Optional[float], typer.Option(
        help="Max accuracy drop vs Keras, pp (default per format: 0.2 for quantized).")] = None,
    min_agreement: Annotated[Optional[float], typer.Option(
        help="Min top-1 agreement with Keras, % (default per format: 99.5 for quantized).")] = None,
    max_prob_diff: Annotated[Optional[float], typer.Option(
        help="Max |Δp| vs Keras for float formats (default per format: 1e-4).")] = None,
    report_dir: Annotated[Optional[Path], typer.Option(
        help="Write report.json, report.md and PNG figures here.")] = None,
    shift: Annotated[Optional[str], typer.Option(
        help="Also measure parity on seeded perturbed copies: comma-separated noise,rotate,translate.")] = None,
    data: Annotated[Optional[str], typer.Option(
        help="Your own labelled data: folder of per-label sub-folders (0/…9/) of images, an .npz with x and y, "
             "or an IDX pair (folder, or 'images,labels'). Default: the test data each model's export recorded "
             "(MNIST's test set for digit models).")] = None,
    tflm: Annotated[str, typer.Option(
        help="TensorFlow Lite Micro rows: int8 (every full-integer .tflite), all (every .tflite), none.")
    ] = BenchConfig.tflm,
    tflm_images: Annotated[int, typer.Option(
        help="Images for the TFLite Micro rows (the first N; 0 = all). TFLM runs ~1-3 ms per image here.")
    ] = BenchConfig.tflm_images,
    data_dir: DataDir = None,
) -> None:
    """Bench every artifact against its Keras original; exit 1 if any FAILs, 2 if any file is bad."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from edgedigits.bench.run import bench_artifacts
    from edgedigits.bench.validate import validate_config
    from edgedigits.report import write_report
    from edgedigits.report.cells import tflm_line
    from edgedigits.report.terminal import bench_table

    config = BenchConfig(threads=threads, runs=runs, max_accuracy_drop=max_accuracy_drop,
                         min_agreement=min_agreement, max_prob_diff=max_prob_diff, shifts=_shifts(shift),
                         tflm=tflm, tflm_images=tflm_images)
    validate_config(config)  # before loading data: a typo in an option answers at once
    with Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("bench", total=None)

        def on_progress(label: str, done: int, total: int) -> None:
            progress.update(task, description=f"bench {label}", completed=done, total=total)

        result = bench_artifacts(path=path, config=config, data_source=data, data_dir=data_dir, on_progress=on_progress)
    # Messages, folder and file names are the user's: escaped, so "v1[test]" prints as is and cannot break markup.
    for message in result.report["errors"]:
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    console.print(bench_table(result.report, width=console.width))
    for model in result.report["models"]:
        line = tflm_line(model)
        if line:
            console.print(f"  [dim]{escape(line)}[/]", highlight=False, soft_wrap=True)
    for model in result.report["models"]:
        for row in model["artifacts"]:
            if row["status"] in ("parity failed", "unsupported"):
                console.print(f"[red]FAIL[/] {escape(model['name'])}/{escape(row['name'])}: "
                              f"{escape('; '.join(row['problems']))}", highlight=False, soft_wrap=True)
    if report_dir is not None:
        paths = write_report(result, report_dir)
        console.print(f"report → {escape(str(paths['markdown']))} and {escape(str(paths['json']))}")
    summary = result.report["summary"]
    colour = {"PASS": "green", "FAIL": "red"}.get(summary["verdict"], "red")
    console.print(f"[bold {colour}]{summary['verdict']}[/]: {summary['passed']}/{summary['artifacts']} artifacts pass "
                  f"({result.report['seconds']:.1f} s)")
    if result.exit_code:
        raise typer.Exit(result.exit_code)
