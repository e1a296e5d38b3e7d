"""PNG figures of a bench report, drawn with matplotlib's Agg backend (no display needed).

Per benched runtime: its confusion matrix, its difference from the Keras confusion matrix (artifacts only), and
a grid of the evaluation digits on which it and Keras disagree, each captioned with the label and both answers.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

GRID_COLUMNS = 8


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # headless: CI machines and SSH sessions have no display
    import matplotlib.pyplot as plt

    return plt


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _annotate(ax, matrix: np.ndarray, *, skip_zero: bool) -> None:
    for (i, j), value in np.ndenumerate(matrix):
        if skip_zero and value == 0:
            continue
        ax.text(j, i, str(int(value)), ha="center", va="center", fontsize=6)


def confusion_figure(matrix: np.ndarray, title: str, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4))
    image = ax.imshow(np.log1p(matrix), cmap="Blues")  # log: the diagonal is ~100× the off-diagonal cells
    _annotate(ax, matrix, skip_zero=True)
    ax.set(title=title, xlabel="predicted", ylabel="true label", xticks=range(10), yticks=range(10))
    fig.colorbar(image, ax=ax, label="log(1 + count)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def delta_figure(delta: np.ndarray, title: str, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4))
    limit = max(1, int(np.abs(delta).max()))
    image = ax.imshow(delta, cmap="RdBu_r", vmin=-limit, vmax=limit)  # white = same count as Keras
    _annotate(ax, delta, skip_zero=True)
    ax.set(title=title, xlabel="predicted", ylabel="true label", xticks=range(10), yticks=range(10))
    fig.colorbar(image, ax=ax, label="count − Keras count")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def disagreement_grid(images: np.ndarray, examples: list[dict], title: str, path: Path) -> None:
    """`images` float32 [N,28,28,1]; `examples` [{index, label, reference, candidate}] (non-empty)."""
    plt = _pyplot()
    rows = (len(examples) + GRID_COLUMNS - 1) // GRID_COLUMNS
    fig, axes = plt.subplots(rows, GRID_COLUMNS, figsize=(GRID_COLUMNS * 1.2, rows * 1.45 + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, example in zip(axes.flat, examples):
        ax.imshow(images[example["index"], :, :, 0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"#{example['index']} true {example['label']}\nKeras {example['reference']} · "
                     f"this {example['candidate']}", fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_figures(report: dict, images: np.ndarray, out_dir: Path) -> None:
    """Draw every figure into `out_dir/<model>/` and record their relative paths in each row's `images`."""
    for model in report["models"]:
        rows = ([model["reference"]] if model["reference"] else []) + model["artifacts"]
        folder = Path(out_dir) / _slug(model["name"])
        for row in rows:
            if row["confusion"] is None:
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
                    disagreement_grid(images, row["disagreements"], f"{label}: disagrees with Keras",
                                      out_dir / relative["disagreements"])
            row["images"] = relative
