"""PNG figures of a bench report, drawn and written atomically through `edgedigits.report.figures`.

Per benched runtime: its confusion matrix, its difference from the Keras confusion matrix (artifacts only), and
a grid of the evaluation digits on which it and Keras disagree, each captioned with the label and both answers.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from edgedigits.report.cells import model_rows
from edgedigits.report.figures import pyplot, save_png

GRID_COLUMNS = 8
DPI = 100


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _annotate(ax, matrix: np.ndarray, shade: np.ndarray) -> None:
    """Write each non-zero count in its cell; white on dark cells (`shade` in [0, 1] is the cell's darkness)."""
    for (i, j), value in np.ndenumerate(matrix):
        if value != 0:
            ax.text(j, i, str(int(value)), ha="center", va="center", fontsize=6,
                    color="white" if shade[i, j] > 0.6 else "black")


def confusion_figure(matrix: np.ndarray, title: str, path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4))
    logged = np.log1p(matrix)  # log: the diagonal is ~100× the off-diagonal cells
    image = ax.imshow(logged, cmap="Blues")
    _annotate(ax, matrix, logged / max(logged.max(), 1e-9))
    ax.set(title=title, xlabel="predicted", ylabel="true label", xticks=range(len(matrix)), yticks=range(len(matrix)))
    fig.colorbar(image, ax=ax, label="log(1 + count)")
    fig.tight_layout()
    save_png(fig, path, dpi=DPI)


def delta_figure(delta: np.ndarray, title: str, path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4))
    limit = max(1, int(np.abs(delta).max()))
    image = ax.imshow(delta, cmap="RdBu_r", vmin=-limit, vmax=limit)  # white = same count as Keras
    _annotate(ax, delta, np.abs(delta) / limit)
    ax.set(title=title, xlabel="predicted", ylabel="true label", xticks=range(len(delta)), yticks=range(len(delta)))
    fig.colorbar(image, ax=ax, label="count − Keras count")
    fig.tight_layout()
    save_png(fig, path, dpi=DPI)


def disagreement_grid(images: np.ndarray, examples: list[dict], title: str, path: Path) -> None:
    """`images` float32 [N,H,W,C] model inputs; `examples` [{index, label, reference, candidate}] (non-empty).
    One mosaic image with one caption per digit: 30× faster than a subplot per digit. Shown in gray (channel
    mean), each image stretched to its own range, so any input scaling displays alike."""
    plt = pyplot()
    rows = (len(examples) + GRID_COLUMNS - 1) // GRID_COLUMNS
    height, width = images.shape[1:3]
    cell_h, cell_w = height + 12, width + 12  # pixels per image, with room for its caption below
    mosaic = np.full((rows * cell_h, GRID_COLUMNS * cell_w), 0.35, dtype=np.float32)
    fig, ax = plt.subplots(figsize=(GRID_COLUMNS * 1.2, rows * 1.2 + 0.35))  # the mosaic's aspect, plus the title
    for k, example in enumerate(examples):
        top, left = (k // GRID_COLUMNS) * cell_h, (k % GRID_COLUMNS) * cell_w + 6
        gray = images[example["index"]].mean(axis=2)
        span = float(gray.max() - gray.min())
        mosaic[top:top + height, left:left + width] = (gray - gray.min()) / span if span > 0 else 0.0
        ax.text(left + width // 2, top + height + 1, f"#{example['index']} true {example['label']}\n"
                f"Keras {example['reference']} · this {example['candidate']}",
                ha="center", va="top", fontsize=6, color="white")
    ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.3 / (rows * 1.2 + 0.35))
    save_png(fig, path, dpi=DPI)


def write_figures(report: dict, images: dict[str, np.ndarray], out_dir: Path) -> None:
    """Draw every figure into `out_dir/<model>/` and record their relative paths in each row's `images`."""
    for model in report["models"]:
        folder = Path(out_dir) / _slug(model["name"])
        for row in model_rows(model):
            # TFLite Micro rows are a parity check of the same file: their numbers are in the tables.
            if row["confusion"] is None or row["runtime"] == "tflm":
                continue
            folder.mkdir(parents=True, exist_ok=True)
            stem, label = _slug(row["name"]), f"{model['name']} {row['name']}"
            relative = {"confusion": f"{folder.name}/{stem}_confusion.png"}
            confusion_figure(np.asarray(row["confusion"]), f"{label}: confusion", out_dir / relative["confusion"])
            if row["verdict"] != "REF":
                relative["confusion_delta"] = f"{folder.name}/{stem}_confusion_delta.png"
                delta_figure(np.asarray(row["confusion_delta"]), f"{label} − Keras",
                             out_dir / relative["confusion_delta"])
                if row["disagreements"]:
                    relative["disagreements"] = f"{folder.name}/{stem}_disagreements.png"
                    disagreement_grid(images[model["name"]], row["disagreements"], f"{label}: disagrees with Keras",
                                      out_dir / relative["disagreements"])
            row["images"] = relative
