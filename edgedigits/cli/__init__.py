"""The `edgedigits` command line: a thin Typer layer over keyword-only library functions.

Each command lives in its own module under `edgedigits.cli` and registers itself on `app`; COMMAND_MODULES
lists them. Domain errors become a one-line message and an exit code in `guarded`, never a traceback.
"""

from __future__ import annotations

import importlib

from edgedigits import interrupts
from edgedigits.cli.app import app

COMMAND_MODULES = ("models_cmd", "train_cmd", "export_cmd", "bench_cmd", "inspect_cmd", "predict_cmd", "embed_cmd", "serve_cmd", "explain_cmd")

for _module in COMMAND_MODULES:
    importlib.import_module(f"edgedigits.cli.{_module}")


def main() -> None:
    # SIGTERM (e.g. a CI timeout) unwinds like Ctrl-C, so every temp file is cleaned up and nothing half-written
    # is left; an interrupt swallowed inside TensorFlow is still honoured before anything is committed.
    interrupts.install()
    app()
