"""`edgedigits train`: fit a registry model on MNIST, with a progress bar and a line per epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from edgedigits.cli.app import ArtifactsDir, DataDir, app, console, guarded, model_names
from edgedigits.config import DEFAULT_ARTIFACTS_DIR, TrainConfig
from edgedigits.train_request import USER_EPOCHS


def run_training(name: str, *, artifacts_dir: Path, config: TrainConfig, data_dir: Path | None,
                 builder=None, own_data=None, describe: str = ""):
    """Train one model with a rich progress display; shared by `train` and `export` (train-if-missing).
    `builder` (edgedigits.train.ModelBuilder) trains the user's own architecture as `name` instead of a
    registry model."""
    from edgedigits.data import load_mnist
    from edgedigits.models import get_spec
    from edgedigits.train import registry_builder, resolve_precision, train_model, validate

    spec = get_spec(name) if builder is None else None
    builder = builder or registry_builder(spec)
    validate(config)
    if own_data is not None:  # the user's images, through the model's input shape and pixel mapping
        mnist, sets = None, own_data.sets(builder(None), describe=describe or name, seed=config.seed)
        source = f"{own_data.train_data} ({len(sets.y_train):,} train / {len(sets.y_test):,} test images)"
    else:
        mnist, sets = load_mnist(data_dir), None
        source = mnist.source
    console.print(f"[bold]train {name}[/]: {config.epochs} epochs, batch {config.batch_size}, seed {config.seed}, "
                  f"precision {resolve_precision(config.precision)}, data {escape(source)}")
    with Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(f"{name} epochs", total=config.epochs)

        def on_epoch(epoch: int, epochs: int, logs: dict, seconds: float) -> None:
            progress.console.print(
                f"  epoch {epoch:>2}/{epochs}  loss {logs.get('loss', float('nan')):.4f}  "
                f"acc {logs.get('accuracy', float('nan')) * 100:6.2f}%  "
                f"test acc {logs.get('val_accuracy', float('nan')) * 100:6.2f}%  {seconds:5.1f} s")
            progress.advance(task)

        result = train_model(builder=builder, name=name, mnist=mnist, out_dir=artifacts_dir / name, config=config,
                             on_epoch=on_epoch, sets=sets)
    blog = f" (blog {spec.blog_accuracy:.2f}%)" if spec is not None else ""
    console.print(f"  [green]✓[/] {escape(name)}: test accuracy [bold]{result.test_accuracy:.2f}%[/]{blog}, "
                  f"{result.seconds_per_epoch:.1f} s/epoch → {escape(str(result.model_path))}")
    return result


@app.command("train")
@guarded
def train_command(
    model: Annotated[Optional[str], typer.Argument(
        help="Model name (v1, v2, v3) or 'all'; or leave out and give --model-file.")] = None,
    model_file: Annotated[Optional[str], typer.Option(
        help="Your own architecture: FILE.py:FUNCTION returning a keras.Model (28x28x1 -> 10 classes), trained "
             "with the blog's recipe and saved as ARTIFACTS_DIR/FUNCTION/. Runs FILE.py's code.")] = None,
    epochs: Annotated[Optional[int], typer.Option(
        help=f"Epochs (default per model: v1 14, v2 13, v3 16; {USER_EPOCHS} for --model-file).")] = None,
    batch_size: Annotated[int, typer.Option(help="Batch size (the blog's 128).")] = TrainConfig.batch_size,
    seed: Annotated[int, typer.Option(help="Seed for weights init and shuffling; same seed → same weights.")] = 0,
    precision: Annotated[str, typer.Option(
        help="auto: bfloat16 compute where the CPU has native bf16, else float32. Weights stay float32.")] = "auto",
    steps_per_execution: Annotated[int, typer.Option(help="Batches per graph call (speed only).")] = TrainConfig.steps_per_execution,
    train_samples: Annotated[Optional[int], typer.Option(help="Train on the first N images only.")] = None,
    train_data: Annotated[Optional[str], typer.Option(
        help="With --model-file: your labelled training images (a folder of per-class sub-folders, an .npz (x, y) "
             "or IDX files) instead of MNIST; any input size and class count.")] = None,
    test_data: Annotated[Optional[str], typer.Option(
        help="With --train-data: labelled test images (default: a seeded 10% of the training images).")] = None,
    labels: Annotated[Optional[Path], typer.Option(
        help="With --train-data: labels file, one per line in output order (default 0-9 for 10 classes).")] = None,
    pixel_scale: Annotated[float, typer.Option(help="With --train-data: input = pixel * scale + offset.")] = 1 / 255,
    pixel_offset: Annotated[float, typer.Option(help="With --train-data: see --pixel-scale.")] = 0.0,
    channel_order: Annotated[str, typer.Option(help="With --train-data: rgb or bgr for 3-channel inputs.")] = "rgb",
    artifacts_dir: ArtifactsDir = DEFAULT_ARTIFACTS_DIR,
    data_dir: DataDir = None,
) -> None:
    """Train a model on MNIST (or your own --model-file on your --train-data) and save
    artifacts/<model>/model.keras and train.json."""
    from edgedigits.errors import UsageError

    settings = dict(batch_size=batch_size, seed=seed, precision=precision, steps_per_execution=steps_per_execution,
                    train_samples=train_samples)
    if (model is None) == (model_file is None):
        raise UsageError("give a model name (v1, v2, v3, all) or --model-file FILE.py:FUNCTION, not both")
    from edgedigits.train_request import own_data_option, plan_training

    own_data = own_data_option(train_data=train_data, test_data=test_data, labels=labels, pixel_scale=pixel_scale,
                               pixel_offset=pixel_offset, channel_order=channel_order)
    if model_file is not None:
        plans = [plan_training(model_file, epochs=epochs, settings=settings, model_file=True, own_data=own_data)]
    else:
        plans = [plan_training(name, epochs=epochs, settings=settings, model_file=False, own_data=own_data)
                 for name in model_names(model)]
    for plan in plans:
        run_training(plan.name, artifacts_dir=artifacts_dir, config=plan.config, data_dir=data_dir,
                     builder=None if plan.registry else plan.builder, own_data=plan.own_data, describe=plan.describe)
