"""`edgedigits predict`: classify image files (PNG/JPEG, any size) with one artifact."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from edgedigits.cli.app import app, console, guarded


class Kernels(str, Enum):
    default = "default"
    builtin = "builtin"
    reference = "reference"
    tflm = "tflm"


@app.command("predict")
@guarded(needs_tensorflow=False)  # a .keras file imports TensorFlow itself, when loaded
def predict_command(
    artifact: Annotated[Path, typer.Argument(help="An artifact: .tflite, .onnx or .keras.")],
    images: Annotated[list[Path], typer.Argument(help="Image files of one digit each (PNG, JPEG, …).")],
    top: Annotated[int, typer.Option("--top", help="How many classes to show per image.")] = 3,
    show: Annotated[Optional[Path], typer.Option(
        "--show", help="Folder to write the image the model saw (e.g. 28x28), one PNG per input.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON (schema in "
                                                         "edgedigits.prediction.predictions_json).")] = False,
    kernels: Annotated[Kernels, typer.Option(
        "--kernels", help="TFLite only: default (XNNPACK, a phone), builtin (LiteRT's, no delegate), reference "
                          "(LiteRT's BUILTIN_REF) or tflm (TensorFlow Lite Micro's interpreter, a microcontroller).")
    ] = Kernels.default,
) -> None:
    """Preprocess each image with the model's recipe (MNIST framing for digit models) and print the top classes."""
    import json

    from rich.markup import escape
    from rich.table import Table

    from edgedigits.prediction import predict_with_facts, predictions_json, save_seen_frames

    facts, predictions = predict_with_facts(artifact=artifact, images=images, top=top, kernels=kernels.value)
    seen = save_seen_frames(predictions, show, facts.preprocessing) if show is not None else [None] * len(predictions)
    if as_json:
        console.print_json(json.dumps(predictions_json(artifact=artifact, predictions=predictions,
                                                       kernels=kernels.value, facts=facts)))
        return
    # Paths and labels are user text: escaped, so "photo[1].png" prints as is instead of being read as markup.
    table = Table(title=escape(str(artifact)))
    table.add_column("image", overflow="fold")
    for rank in range(1, top + 1):
        table.add_column(f"#{rank}", justify="right")
    if show is not None:
        table.add_column("model saw", overflow="fold")
    for prediction, frame_path in zip(predictions, seen):
        cells = [escape(str(prediction.image))]
        cells += [escape(f"{label}  {probability * 100:5.1f}%") for label, probability in prediction.top]
        if show is not None:
            cells.append(escape(str(frame_path)))
        table.add_row(*cells)
    console.print(table)
