"""`edgedigits inspect`: what is inside one artifact file (I/O, quantization, operators, size, cost)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from edgedigits.cli.app import app, console, guarded


def _io_line(spec: dict) -> str:
    quant = spec.get("quantization")
    text = f"{spec['name']}  {spec['dtype']}{spec['shape']}"
    if quant:
        text += f"  scale={quant['scale']:.9g} zero_point={quant['zero_point']}"
    return text


@app.command("inspect")
@guarded
def inspect_command(
    path: Annotated[Path, typer.Argument(help="An artifact: .tflite, .onnx or .keras.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Show an artifact's inputs/outputs, quantization, operators, int8 coverage, parameters, MACs and size."""
    from rich.table import Table

    from edgedigits.inspection import inspect_artifact

    report = inspect_artifact(path=path)
    if as_json:
        console.print_json(json.dumps(report))
        return
    table = Table(title=f"{report['file']} ({report['format']})", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for spec in report["inputs"]:
        table.add_row("input", _io_line(spec))
    for spec in report["outputs"]:
        table.add_row("output", _io_line(spec))
    table.add_row("operators", ", ".join(f"{name}×{count}" for name, count in report["operators"].items()))
    if report["all_int8"]:
        table.add_row("int8", "[green]yes: int8 input/output and no float op[/]")
    else:
        fallbacks = ", ".join(report["float_ops"]) or "none"
        table.add_row("int8", f"[yellow]no[/]: float ops {fallbacks}")
    table.add_row("parameters", f"{report['parameters']:,}")
    table.add_row("MACs/image", f"{report['macs']:,}" if report["macs"] is not None else "unknown (model not in registry)")
    if "arena_estimate_bytes" in report:
        table.add_row("arena (est.)", f"{report['arena_estimate_bytes']:,} B for TFLite Micro "
                                      f"(peak live activations {report['peak_activation_bytes']:,} B)")
    table.add_row("size", f"{report['bytes']:,} B")
    table.add_row("sha256", report["sha256"])
    manifest = report["manifest"]
    if manifest is None:
        table.add_row("manifest", "none beside the file")
    else:
        match = "[green]matches[/]" if manifest["sha256_matches"] else "[red]DIFFERS (file changed since export)[/]"
        table.add_row("manifest", f"{manifest['path']}: sha256 {match}")
        for key, value in (manifest["preprocessing"] or {}).items():
            table.add_row(f"  {key}", str(value))
    console.print(table)
