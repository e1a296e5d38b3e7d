"""The artifact formats: one small module each, listed explicitly in FORMAT_MODULES.

A format module ends with `ARTIFACT = Artifact(...)`: its file name, the runtime that loads it, the tolerance
its export check and bench verdict use by default, and an `export(context, destination)` function that
writes the file and returns extra facts for the manifest (e.g. calibration settings).
A new format is one new module plus one line here; the tests parametrise over ARTIFACTS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgedigits.config import ExportConfig
from edgedigits.errors import UsageError

# The ONNX opset every ONNX format is written with unless ExportConfig says otherwise.
ONNX_OPSET = ExportConfig.onnx_opset


@dataclass(frozen=True)
class Tolerance:
    """Parity thresholds. Float formats are held to probabilities; quantized ones to decisions."""

    max_abs_prob_diff: float | None = None  # max |Δp| over all images and classes
    min_agreement: float | None = None  # % of images with the same top-1 class as Keras
    max_accuracy_drop: float | None = None  # percentage points below Keras' accuracy


@dataclass
class ExportContext:
    """What a format's exporter may use: the float32 Keras model and a seeded calibration sample."""

    model: Any  # keras.Model, float32
    calibration_images: Callable[[], np.ndarray]  # float32 [N,28,28,1] from the *training* set, lazily drawn
    calibration: dict  # {"samples": N, "seed": S, "source": "..."} recorded in the manifest
    opset: int = ONNX_OPSET
    work_dir: Path | None = None  # a scratch folder for exporters that need intermediate files


@dataclass(frozen=True)
class Artifact:
    name: str  # "<runtime family>_<precision>", e.g. "tflite_int8"
    file: str  # file name inside the model folder
    runtime: str  # key of edgedigits.runtimes.RUNTIMES
    precision: str  # "float32", "int8", …
    description: str
    export: Callable[[ExportContext, Path], dict]
    tolerance: Tolerance = field(default_factory=Tolerance)  # the bench verdict's defaults
    export_tolerance: Tolerance = field(default_factory=Tolerance)  # the check right after export (few images)
    calibrated: bool = False  # uses the calibration sample


# Registry order is table order (manifest, bench): TFLite from largest to smallest, then ONNX.
FORMAT_MODULES = ("tflite_float32", "tflite_fp16", "tflite_dynamic", "tflite_int8", "tflite_int8_float_io",
                  "tflite_int8_aiq", "onnx_float32", "onnx_int8")
# Short names accepted on the command line. Every spelling of a name works: `-` or `_`, any case, and a TFLite
# format with or without its `tflite_` prefix (int8_float_io, int8-float-io, tflite-int8-float-io, ...).
ALIASES = {"float32": "tflite_float32", "int8": "tflite_int8", "onnx": "onnx_float32",
           "fp16": "tflite_fp16", "dynamic": "tflite_dynamic", "int8-float-io": "tflite_int8_float_io",
           "int8-aiq": "tflite_int8_aiq", "onnx-int8": "onnx_int8"}


def _spelling(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _load_registry() -> dict[str, Artifact]:
    registry = {}
    for module_name in FORMAT_MODULES:
        artifact = importlib.import_module(f"edgedigits.artifacts.{module_name}").ARTIFACT
        registry[artifact.name] = artifact
    return registry


ARTIFACTS: dict[str, Artifact] = _load_registry()


def _lookup() -> dict[str, str]:
    """{normalised spelling: registry name}: aliases, full names, and TFLite names without `tflite_`."""
    table = {_spelling(alias): name for alias, name in ALIASES.items()}
    for name in ARTIFACTS:
        table[_spelling(name)] = name
        if name.startswith("tflite_"):
            table.setdefault(name.removeprefix("tflite_"), name)
    return table


def format_name(raw: str) -> str | None:
    """The registry name `raw` spells (any spelling, see ALIASES), or None."""
    return _lookup().get(_spelling(raw))


def resolve_formats(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Map CLI names (any spelling of an alias or full name, or "all") to registry names, in registry order,
    without duplicates."""
    wanted = set()
    for raw in names:
        if _spelling(raw) == "all":
            wanted.update(ARTIFACTS)
            continue
        name = format_name(raw)
        if name is None:
            choices = ["all", *sorted(set(ALIASES) | set(ARTIFACTS))]
            raise UsageError(f"unknown format '{raw.strip()}' (choose from {', '.join(choices)}; '-' and '_' "
                             f"are the same, 'tflite_' may be left out)")
        wanted.add(name)
    return tuple(name for name in ARTIFACTS if name in wanted)
