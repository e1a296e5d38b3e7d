"""`edgedigits embed`: write a ready-to-embed bundle (Android, iOS or microcontroller) for one artifact."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from edgedigits.cli.app import app, console, guarded


class Target(str, Enum):
    android = "android"
    ios = "ios"
    mcu = "mcu"


@app.command("embed")
@guarded(needs_tensorflow=False)  # a .keras file imports TensorFlow itself, when loaded
def embed_command(
    model_dir: Annotated[Path, typer.Argument(help="A model folder with manifest.json, e.g. artifacts/v3.")],
    target: Annotated[Target, typer.Option("--target", help="Where the model goes.")],
    fmt: Annotated[Optional[str], typer.Option(
        "--format", help="Which artifact to embed, named as in `export --formats` (default: the target's own, "
                         "e.g. int8 for android/mcu, int8-float-io for ios).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Bundle folder (default MODEL_DIR/embed/TARGET).")] = None,
) -> None:
    """Bundle a .tflite with labels, generated app code, golden vectors and a README for Android, iOS or TFLite Micro."""
    import json

    from rich.markup import escape

    from edgedigits.embed import BUNDLE_RECORD, embed_bundle

    folder = embed_bundle(model_dir=model_dir, target=target.value, fmt=fmt, out=out)
    record = json.loads((folder / BUNDLE_RECORD).read_text(encoding="utf-8"))
    # The folder and the manifest's names are user text: escaped so "[…]" in them prints as is.
    done = f"{target.value} bundle for {record['model']} {record['format']} → {folder}"
    console.print("[green]✓[/] " + escape(done))
    for name, info in record["files"].items():
        console.print(escape(f"  {name:<40} {info['bytes']:>9,} B"))
    golden = record["golden"]
    console.print(escape(f"  golden vectors: {golden['count']} inputs, {golden['kernels']} kernels "
                         f"({golden['computed_by']}); see README.md"))
