"""`edgedigits models`: the model registry with layers, parameters and MACs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from edgedigits.cli.app import app, console, guarded


@app.command("models")
@guarded(needs_tensorflow=False)
def models_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """List the registry: v1, v2, v3 with their layers, parameter counts and MACs per image."""
    from edgedigits.models import MODELS, count_macs, count_params, layer_costs

    rows = [{
        "name": spec.name, "description": spec.description, "params": count_params(spec), "macs": count_macs(spec),
        "blog_accuracy": spec.blog_accuracy, "target_accuracy": spec.target_accuracy,
        "layers": [{"name": c.name, "kind": c.kind, "output_shape": list(c.output_shape), "params": c.params,
                    "macs": c.macs} for c in layer_costs(spec)],
    } for spec in MODELS.values()]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title="edgedigits model registry (layers exactly as the seed blog)",
                  caption="conv = 3x3 Conv2D+ReLU, pool = 2x2 max pooling, drop = Dropout, dense = Dense+ReLU")
    for column, justify in (("model", "left"), ("layers", "left"), ("params", "right"), ("MACs/image", "right"),
                            ("blog acc.", "right")):
        table.add_column(column, justify=justify)
    for row in rows:
        layers = " ".join(_short(spec_layer) for spec_layer in MODELS[row["name"]].layers)
        table.add_row(row["name"], layers, f"{row['params']:,}", f"{row['macs']:,}", f"{row['blog_accuracy']:.2f}%")
    console.print(table)


def _short(layer) -> str:
    """Compact layer notation: conv16 (3x3 filters), pool (2x2), drop.25, dense128, softmax10."""
    if layer.kind == "conv":
        return f"conv{layer.units}"
    if layer.kind == "dense":
        return f"{'softmax' if layer.activation == 'softmax' else 'dense'}{layer.units}"
    if layer.kind == "dropout":
        return f"drop{str(layer.rate).lstrip('0')}"
    return layer.kind
