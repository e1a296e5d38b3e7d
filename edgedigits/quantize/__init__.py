"""int8 recipes: the ways an int8 file can be made, and the search that picks one that answers like Keras.

A recipe is one small module ending with `REMEDY = Remedy(...)`, like a format module: its name, the int8
formats it can make, whether it needs labelled training data, and `make(job, destination)`, which writes the
candidate file and returns the facts the manifest records about it (kept-float layers, scales, epochs, ...);
under the key "entry" it returns fields for the artifact's manifest entry itself (its calibration record).

    ptq       plain post-training int8, exactly what the format's exporter writes (the baseline)
    equalize  cross-layer equalization of the Keras weights (float function unchanged), then plain int8
    fallback  the fewest layers kept in float, worst per-layer error first, until the gate passes
    int16     16-bit activations with int8 weights (the converter's 16x8 mode)
    qat       quantization-aware fine-tuning with Keras 3 fake-quant ops, converted in QAT mode

Recipes are listed in order of cost; `search.search_recipes` runs them in that order and keeps a trade table.
The rest of the room: `debugger` (TFLite QuantizationDebugger: per-layer error, float denylist; explain shows
it, fallback acts on it), `graph` (reading a Keras functional graph), `training` (QAT's labelled data) and
`spec` (LiteRT's int8 quantization spec, checked by inspect).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgedigits.errors import EdgeDigitsError, UsageError

AUTO = "auto"
RECIPE_MODULES = ("ptq", "equalize", "fallback", "int16", "qat")  # order of cost: auto tries them in this order
# The converter-made int8 formats recipes apply to; tflite_int8_aiq is its own quantizer (ptq only).
TFLITE_INT8_FORMATS = ("tflite_int8", "tflite_int8_float_io")


class RecipeNotApplicable(EdgeDigitsError):
    """This recipe cannot handle this model (e.g. no conv/dense pair to equalize): a trade-table row, not a crash."""


@dataclass
class TrainingData:
    """Labelled images for QAT, already through the model's preprocessing: float32 [N,H,W,C], int labels [N]."""

    images: np.ndarray
    labels: np.ndarray
    record: dict  # the manifest's record: source, images, sha256


@dataclass
class RecipeJob:
    """What a recipe may use to make one candidate file of one format."""

    format: str  # registry name of the int8 format being made
    context: Any  # edgedigits.artifacts.ExportContext (float32 Keras model, calibration sample, scratch folder)
    # Verifies a candidate file on the export's verification images: returns {"passed": bool, "agreement", ...}.
    # fallback calls it while it grows its float set; the search measures every finished candidate the same way.
    check: Callable[[Path], dict]
    training: Callable[[], TrainingData | None] = lambda: None  # lazily loaded; None when there is none
    qat_epochs: int = 2
    seed: int = 0
    on_progress: Callable[[str], None] | None = None  # one line per step (QAT epochs), for the CLI

    @property
    def float_io(self) -> bool:
        return self.format == "tflite_int8_float_io"


@dataclass(frozen=True)
class Remedy:
    name: str
    summary: str  # one line for tables and --help
    formats: tuple[str, ...]  # int8 formats it can make
    make: Callable[[RecipeJob, Path], dict]  # writes the candidate to the path; returns manifest details
    needs_training_data: bool = False


def write_converted(converter, destination: Path, *, io_type: str | None, recipe: str) -> None:
    """Set integer I/O (`io_type` "int8"/"int16"; None keeps float I/O), convert quietly, write `destination`.
    A converter refusal is this recipe's row, named by the converter's most telling line."""
    import tensorflow as tf

    from edgedigits.quiet import native_output_silenced

    if io_type is not None:
        converter.inference_input_type = converter.inference_output_type = getattr(tf, io_type)
    try:
        with native_output_silenced():
            destination.write_bytes(converter.convert())
    except Exception as err:  # e.g. "Quantization to 16x8-bit not yet supported for op: 'NEG'"
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        telling = [line for line in lines if "not yet supported" in line or "error" in line] or lines or [repr(err)]
        raise RecipeNotApplicable(f"{recipe}: the converter refused it ({telling[0][:200]})") from None


def _load() -> dict[str, Remedy]:
    return {module: importlib.import_module(f"edgedigits.quantize.{module}").REMEDY for module in RECIPE_MODULES}


REMEDIES: dict[str, Remedy] = _load()
RECIPE_CHOICES = (AUTO, *REMEDIES)


def check_recipe(recipe: str, formats: tuple[str, ...]) -> None:
    """UsageError unless `recipe` is known and every int8 format among `formats` can take it."""
    if recipe not in RECIPE_CHOICES:
        raise UsageError(f"--int8-recipe {recipe}: choose from {', '.join(RECIPE_CHOICES)}")
    if recipe == AUTO:
        return
    from edgedigits.artifacts import ARTIFACTS

    remedy = REMEDIES[recipe]
    refused = [name for name in formats if ARTIFACTS[name].calibrated and name not in remedy.formats]
    if refused:
        raise UsageError(f"--int8-recipe {recipe} cannot make {', '.join(refused)} (it makes "
                         f"{', '.join(remedy.formats)})")
    if not any(ARTIFACTS[name].calibrated for name in formats):
        raise UsageError(f"--int8-recipe {recipe}: no int8 format requested (add --int8 or an int8 --formats)")


def recipes_for(format_name: str) -> tuple[str, ...]:
    """Recipe names that can make `format_name`, in order of cost."""
    return tuple(name for name, remedy in REMEDIES.items() if format_name in remedy.formats)
