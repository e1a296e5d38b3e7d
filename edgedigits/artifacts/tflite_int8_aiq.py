"""TFLite int8 through the LiteRT Quantizer (`ai-edge-quantizer`), the tool Google now points
converter-time quantization users to: the float32 `.tflite` is calibrated and quantized with the
`static_wi8_ai8` recipe (int8 per-channel weights, int8 activations, min/max uniform quantization).
Benched beside `tflite_int8` so users see which quantizer suits this model better.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from edgedigits.artifacts import Artifact, ExportContext, Tolerance
from edgedigits.artifacts import tflite_float32

METHOD = ("ai-edge-quantizer static_wi8_ai8 recipe: MIN_MAX_UNIFORM_QUANT over the sample, int8 per-channel "
          "weights, int8 per-tensor activations")


def export(context: ExportContext, destination: Path) -> dict:
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_quantizer import quantizer, recipe

    # Start from the same conversion as float32.tflite, as a user of the quantizer would.
    with tempfile.TemporaryDirectory(prefix="edgedigits-aiq-", dir=context.work_dir) as scratch:
        float_path = Path(scratch) / "float32.tflite"
        tflite_float32.export(context, float_path)
        float_model = float_path.read_bytes()

    signatures = Interpreter(model_content=float_model).get_signature_list()
    signature = next(iter(signatures))  # Keras models convert with one signature, "serving_default"
    input_name = signatures[signature]["inputs"][0]
    images = context.calibration_images()
    # The quantizer calibrates one sample per step: float32 [1,28,28,1] keyed by the signature's input name.
    feed = {signature: [{input_name: images[index:index + 1]} for index in range(len(images))]}

    engine = quantizer.Quantizer(bytearray(float_model), recipe.static_wi8_ai8())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # calibration keeps every tensor on purpose; LiteRT warns about it
        ranges = engine.calibrate(feed, num_threads=1)
    result = engine.quantize(ranges, enable_progress_report=False)
    destination.write_bytes(bytes(result.quantized_model))
    return {"calibration": context.calibration | {"method": METHOD}}


# Same decision-level thresholds as tflite_int8, so the two quantizers are judged alike.
ARTIFACT = Artifact(
    name="tflite_int8_aiq", file="int8_aiq.tflite", runtime="tflite", precision="int8",
    description="TFLite int8 via ai-edge-quantizer (static_wi8_ai8)",
    export=export,
    tolerance=Tolerance(min_agreement=99.5, max_accuracy_drop=0.2),
    export_tolerance=Tolerance(min_agreement=98.0),
    calibrated=True,
)
