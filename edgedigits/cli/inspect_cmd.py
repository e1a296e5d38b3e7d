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
@guarded(needs_tensorflow=False)  # a .keras file imports TensorFlow itself, when loaded
def inspect_command(
    path: Annotated[Path, typer.Argument(help="An artifact: .tflite, .onnx or .keras.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Show an artifact's inputs/outputs, quantization, operators, int8 coverage, parameters, MACs and size."""
    from rich.markup import escape
    from rich.table import Table

    from edgedigits.inspection import inspect_artifact

    report = inspect_artifact(path=path)
    if as_json:
        console.print_json(json.dumps(report))
        return
    # Paths, tensor and op names come from the user's files: escaped so "[…]" in them prints as is.
    table = Table(title=escape(f"{report['file']} ({report['format']})"), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for spec in report["inputs"]:
        table.add_row("input", escape(_io_line(spec)))
    for spec in report["outputs"]:
        table.add_row("output", escape(_io_line(spec)))
    table.add_row("operators", escape(", ".join(f"{name}×{count}" for name, count in report["operators"].items())))
    if report["all_int8"]:
        table.add_row("int8", "[green]yes: int8 input/output and no float op[/]")
    else:
        fallbacks = escape(", ".join(report["float_ops"]) or "none")
        table.add_row("int8", f"[yellow]no[/]: float ops {fallbacks}")
    violations = report["quantization_violations"]
    if violations:
        for line in violations:
            table.add_row("[red]int8 spec[/]", escape(line))
    elif violations is not None and any(spec.get("quantization") for spec in report["inputs"] + report["outputs"]):
        table.add_row("int8 spec", "[green]quantization parameters follow LiteRT's int8 spec[/]")
    table.add_row("parameters", f"{report['parameters']:,}")
    table.add_row("MACs/image", f"{report['macs']:,}" if report["macs"] is not None else "unknown (model not in registry)")
    if "tflm" in report:
        tflm = report["tflm"]
        if tflm["runs"]:
            table.add_row("arena (TFLM)", f"{tflm['arena_bytes']:,} B measured by TensorFlow Lite Micro "
                                          f"({escape(tflm['package'])})")
        else:
            table.add_row("arena (TFLM)", f"[yellow]{escape(tflm['error'])}[/]")
    if "arena_estimate_bytes" in report:
        error = report.get("arena_estimate_error")
        versus = f"; {error:+.1%} vs measured" if error is not None else ""
        table.add_row("arena (est.)", f"{report['arena_estimate_bytes']:,} B for TFLite Micro "
                                      f"(peak live activations {report['peak_activation_bytes']:,} B{versus})")
    for warning in report["device_warnings"]:
        table.add_row("[yellow]device[/]", escape(warning))
    table.add_row("size", f"{report['bytes']:,} B")
    table.add_row("sha256", report["sha256"])
    manifest = report["manifest"]
    if manifest is None:
        table.add_row("manifest", "none beside the file")
    else:
        if manifest["sha256_matches"] is None:
            match = "[yellow]not listed in manifest[/] (no sha256 to compare with)"
        elif manifest["sha256_matches"]:
            match = "sha256 [green]matches[/]"
        else:
            match = "sha256 [red]DIFFERS (file changed since export)[/]"
        table.add_row("manifest", f"{escape(manifest['path'])}: {match}")
        for key, value in (manifest["preprocessing"] or {}).items():
            table.add_row(escape(f"  {key}"), escape(str(value)))
    console.print(table)
