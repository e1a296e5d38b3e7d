"""Show an Explanation: a rich table for the terminal, JSON, and a bar chart PNG (matplotlib, Agg)."""

from __future__ import annotations

import math
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from edgedigits.explain import ROUNDING_FLOOR, Explanation
from edgedigits.fileio import atomic_write_bytes, atomic_write_json
from edgedigits.report.figures import png_bytes, pyplot

TITLES = {"tflite-debugger": "per-layer int8 error (TFLite quantization debugger), worst first",
          "onnx-qdq": "per-tensor SQNR in dB (ONNX QDQ), worst first",
          "calibration-sweep": "calibration size vs agreement and accuracy",
          "recipes": "int8 recipes: agreement, accuracy drop, size, TFLite Micro, latency"}
DPI = 120
MAX_CELL = 60  # fused TFLite tensor names run to 100+ characters
# What the terminal shows per kind (row key, header); --json and the report keep every field, full tensor names
# included. TFLite's fused tensor names would crowd out the numbers, so the layer and op name the row instead.
COLUMNS = {
    "tflite-debugger": [("layer", "layer"), ("op", "op"), ("rmse_over_scale", "RMSE/scale"),
                        ("mean_error", "mean error"), ("max_abs_error", "max |error|"), ("scale", "scale"),
                        ("elements", "elements")],
    "onnx-qdq": [("tensor", "tensor"), ("layer", "layer"), ("kind", "kind"), ("float_sqnr", "SQNR vs float"),
                 ("qdq_sqnr", "SQNR own QDQ")],
    "calibration-sweep": [("samples", "samples"), ("bytes", "bytes"), ("agreement", "agreement %"),
                          ("accuracy", "accuracy %"), ("accuracy_drop", "drop pp")],
    "trade": [("model", "model"), ("file", "file"), ("bytes", "bytes"), ("agreement", "agreement %"),
              ("accuracy", "accuracy %"), ("keras_accuracy", "Keras %")],
}


def _cell(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        # Percentages and dB keep two decimals (99.55 vs 99.5 matters); small errors keep 3 significant digits.
        return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3g}"
    text = str(value)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def rows_table(rows: list[dict], columns: list[tuple[str, str]], title: str) -> Table:
    """`title` and cells are plain text, escaped here: tensor names and paths may hold "[…]"."""
    table = Table(title=escape(title), title_justify="left")
    for key, header in columns:
        numeric = bool(rows) and not isinstance(rows[0][key], str)
        table.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(escape(_cell(row[key])) for key, _ in columns))
    return table


def tables(explanation: Explanation) -> list[Table]:
    if explanation.kind == "recipes":
        from edgedigits.report.recipes import recipe_table

        return [recipe_table(explanation.rows, title=escape(f"{TITLES['recipes']}: {explanation.subject}"))]
    shown = [rows_table(explanation.rows, COLUMNS[explanation.kind],
                        f"{TITLES[explanation.kind]}: {explanation.subject}")]
    if explanation.trade:
        shown.append(rows_table(explanation.trade, COLUMNS["trade"], "keep-float trade on test images (vs Keras)"))
    return shown


def report_stem(explanation: Explanation) -> str:
    return f"{explanation.kind}-{Path(explanation.subject).name}"


def chart_png(explanation: Explanation) -> bytes:
    """Horizontal bars of the ranking metric, one per row; the rounding floor marked for the TFLite debugger."""
    plt = pyplot()
    if explanation.kind == "calibration-sweep":
        return _sweep_png(explanation, plt)
    rows = [row for row in explanation.rows
            if row[explanation.metric] is not None and math.isfinite(row[explanation.metric])]
    labels = [_cell(f"{row[explanation.label]}") for row in rows]
    if explanation.kind == "tflite-debugger":
        labels = [f"{row['layer']} ({row['op'].lower()})" for row in rows]
    values = [row[explanation.metric] for row in rows]
    figure, axes = plt.subplots(figsize=(8, 1.2 + 0.35 * max(len(rows), 1)))
    axes.barh(range(len(rows)), values, color="#4c72b0")
    axes.set_yticks(range(len(rows)), labels, fontsize=8)
    axes.invert_yaxis()  # worst (first row) on top
    axes.set_xlabel(explanation.metric)
    if explanation.kind == "tflite-debugger":
        axes.axvline(ROUNDING_FLOOR, color="#c44e52", linestyle="--", label=f"rounding floor {ROUNDING_FLOOR:.3f}")
        axes.legend(loc="lower right", fontsize=8)
    axes.set_title(f"{TITLES[explanation.kind]}\n{explanation.subject}", fontsize=9)
    figure.tight_layout()
    return png_bytes(figure, dpi=DPI)


def _sweep_png(explanation: Explanation, plt) -> bytes:
    """Agreement and accuracy against calibration size (log axis): bars from 0 would hide 0.1-point moves."""
    sizes = [row["samples"] for row in explanation.rows]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(sizes, [row["agreement"] for row in explanation.rows], "o-", label="agreement with Keras %")
    axes.plot(sizes, [row["accuracy"] for row in explanation.rows], "s-", label="accuracy %")
    axes.set_xscale("log")
    axes.set_xlabel("calibration images")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title(f"{TITLES[explanation.kind]}\n{explanation.subject}", fontsize=9)
    figure.tight_layout()
    return png_bytes(figure, dpi=DPI)


def write_report(explanation: Explanation, report_dir: Path) -> list[Path]:
    """`<kind>-<subject>.json` and `.png` in `report_dir`, each written atomically."""
    stem = Path(report_dir) / report_stem(explanation)
    json_path, png_path = stem.with_name(stem.name + ".json"), stem.with_name(stem.name + ".png")
    atomic_write_json(json_path, explanation.to_json())
    atomic_write_bytes(png_path, chart_png(explanation))
    return [json_path, png_path]
