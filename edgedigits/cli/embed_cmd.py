"""`edgedigits embed`: write a ready-to-embed bundle (Android, iOS, microcontroller or web page) for one artifact."""

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
    web = "web"


class WebRuntime(str, Enum):
    litert = "litert"
    onnx = "onnx"


@app.command("embed")
@guarded(needs_tensorflow=False)  # a .keras file imports TensorFlow itself, when loaded
def embed_command(
    model_dir: Annotated[Path, typer.Argument(help="A model folder with manifest.json, e.g. artifacts/v3.")],
    target: Annotated[Target, typer.Option("--target", help="Where the model goes.")],
    fmt: Annotated[Optional[str], typer.Option(
        "--format", help="Which artifact to embed, named as in `export --formats` (default: the target's own, "
                         "e.g. int8 for android/mcu, int8-float-io for ios).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Bundle folder (default MODEL_DIR/embed/TARGET).")] = None,
    runtime: Annotated[Optional[WebRuntime], typer.Option(
        "--runtime", help="web only: the browser runtime, LiteRT.js (litert, default: int8-float-io) or ONNX Runtime "
                          "Web (onnx, default: onnx-int8).")] = None,
) -> None:
    """Bundle a .tflite with labels, generated app code, golden vectors and a README for Android, iOS or TFLite Micro,
    or a self-testing web page (LiteRT.js or ONNX Runtime Web)."""
    import json

    from rich.markup import escape

    from edgedigits.embed import BUNDLE_RECORD, embed_bundle

    runtime_name = runtime.value if runtime is not None else None
    if target is Target.web:
        from edgedigits.embed.web import for_runtime

        module = for_runtime(runtime_name)
        pending = getattr(module, "pending_export", lambda **_: None)(
            model_dir=model_dir, fmt=fmt or module.DEFAULT_FORMAT, named=fmt is not None)
        if pending:
            console.print(escape(f"{model_dir} has no static batch-1 {pending}: exporting it first "
                                 "(verified against Keras, recorded in manifest.json) …"))
    folder = embed_bundle(model_dir=model_dir, target=target.value, fmt=fmt, out=out, runtime=runtime_name)
    record = json.loads((folder / BUNDLE_RECORD).read_text(encoding="utf-8"))
    # The folder and the manifest's names are user text: escaped so "[…]" in them prints as is.
    done = f"{target.value} bundle for {record['model']} {record['format']} → {folder}"
    console.print("[green]✓[/] " + escape(done))
    width = max([40, *map(len, record["files"])])
    for name, info in record["files"].items():
        console.print(escape(f"  {name:<{width}} {info['bytes']:>9,} B"))
    golden = record["golden"]
    console.print(escape(f"  golden vectors: {golden['count']} inputs, {golden['kernels']} kernels "
                         f"({golden['computed_by']}); see README.md"))
    if target is Target.web:
        console.print(escape(f"  open it: edgedigits serve {folder}"))
