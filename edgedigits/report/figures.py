"""The one way edgedigits draws a figure: matplotlib's Agg backend, rendered to PNG bytes in memory, then
written atomically, so an interrupted report never leaves a half-written PNG. Used by the bench report's
plots and by `explain`'s charts."""

from __future__ import annotations

import io
from pathlib import Path

from edgedigits.fileio import atomic_write_bytes


def pyplot():
    """`matplotlib.pyplot` on the Agg backend (imported lazily: matplotlib costs ~0.3 s)."""
    import matplotlib

    matplotlib.use("Agg")  # headless: CI machines and SSH sessions have no display; must precede pyplot
    import matplotlib.pyplot as plt

    return plt


def png_bytes(figure, *, dpi: int) -> bytes:
    """Render `figure` to PNG bytes and close it (pyplot keeps every open figure alive otherwise)."""
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=dpi)
    finally:
        pyplot().close(figure)
    return buffer.getvalue()


def save_png(figure, path: Path, *, dpi: int) -> None:
    """Render `figure` and write it to `path` atomically; the figure is closed either way."""
    atomic_write_bytes(Path(path), png_bytes(figure, dpi=dpi))
