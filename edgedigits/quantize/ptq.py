"""Plain post-training int8: the format's own exporter, unchanged. The baseline every remedy is measured
against, and what a model that passes the gate keeps, byte for byte."""

from __future__ import annotations

from pathlib import Path

from edgedigits.quantize import TFLITE_INT8_FORMATS, RecipeJob, Remedy


def make(job: RecipeJob, destination: Path) -> dict:
    from edgedigits.artifacts import ARTIFACTS
    from edgedigits.quiet import native_output_silenced

    with native_output_silenced():
        return {"entry": ARTIFACTS[job.format].export(job.context, destination)}


REMEDY = Remedy(name="ptq", summary="plain post-training int8 (calibrated min/max)",
                formats=(*TFLITE_INT8_FORMATS, "tflite_int8_aiq", "onnx_int8"), make=make)
