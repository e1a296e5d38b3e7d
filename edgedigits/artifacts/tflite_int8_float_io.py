"""TFLite int8 inside with float32 input and output: the converter adds Quantize/Dequantize at the edges,
for apps that want int8 kernels without quantizing images themselves."""

from __future__ import annotations

from pathlib import Path

from edgedigits.artifacts import Artifact, ExportContext, Tolerance
from edgedigits.artifacts.tflite_int8 import CALIBRATION_METHOD, int8_converter


def export(context: ExportContext, destination: Path) -> dict:
    destination.write_bytes(int8_converter(context, float_io=True).convert())
    return {"calibration": context.calibration | {"method": CALIBRATION_METHOD}}


# Same graph and calibration as tflite_int8; only the edges differ, so the same decision-level thresholds.
ARTIFACT = Artifact(
    name="tflite_int8_float_io", file="int8_float_io.tflite", runtime="tflite", precision="int8",
    description="TFLite int8 kernels with float32 input and output",
    export=export,
    tolerance=Tolerance(min_agreement=99.5, max_accuracy_drop=0.2),
    export_tolerance=Tolerance(min_agreement=98.0),
    calibrated=True,
)
