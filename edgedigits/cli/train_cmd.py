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
                 builder=None):
    """Train one model with a rich progress display; shared by `train` and `export` (train-if-missing).
    `builder` (edgedigits.train.ModelBuilder) trains the user's own architecture as `name` instead of a
    registry model."""
    from edgedigits.data import load_mnist
    from edgedigits.models import get_spec
    from edgedigits.train import registry_builder, resolve_precision, train_model, validate

    spec = get_spec(name) if builder is None else None
    builder = builder or registry_builder(spec)
    validate(config)
    mnist = load_mnist(data_dir)
    console.print(f"[bold]train {name}[/]: {config.epochs} epochs, batch {config.batch_size}, seed {config.seed}, "
                  f"precision {resolve_precision(config.precision)}, data {escape(mnist.source)}")
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
                             on_epoch=on_epoch)
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
    artifacts_dir: ArtifactsDir = DEFAULT_ARTIFACTS_DIR,
    data_dir: DataDir = None,
) -> None:
    """Train a model on MNIST and save artifacts/<model>/model.keras and train.json."""
    from edgedigits.errors import UsageError

    settings = dict(batch_size=batch_size, seed=seed, precision=precision, steps_per_execution=steps_per_execution,
                    train_samples=train_samples)
    if (model is None) == (model_file is None):
        raise UsageError("give a model name (v1, v2, v3, all) or --model-file FILE.py:FUNCTION, not both")
    from edgedigits.train_request import plan_training

    if model_file is not None:
        plans = [plan_training(model_file, epochs=epochs, settings=settings, model_file=True)]
    else:
        plans = [plan_training(name, epochs=epochs, settings=settings, model_file=False) for name in model_names(model)]
    for plan in plans:
        run_training(plan.name, artifacts_dir=artifacts_dir, config=plan.config, data_dir=data_dir,
                     builder=None if plan.registry else plan.builder)
