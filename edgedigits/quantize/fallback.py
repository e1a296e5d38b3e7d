"""Keep the fewest layers in float: worst per-layer int8 error first, one more at a time, until the gate passes.

The per-layer error is `explain`'s: TensorFlow's QuantizationDebugger re-quantizes the model over the calibration
sample and measures each layer's RMSE in units of its own quantization step (a layer near 0.29 loses only what
rounding must; one far above it is clipped or stretched by outliers). The calibrated model is then quantized
again with the worst layers on the converter's denylist, so they run in float between Dequantize/Quantize ops,
and each try is verified on the export's verification images. The first set that passes is kept; when none
does within MAX_FLOAT_LAYERS, the last (largest) set is returned and the search records it as failing.

A float layer needs float kernels: TensorFlow Lite Micro has them for the common ops (conv, fully-connected,
pooling, softmax), so such files often still run on an MCU, with a bigger arena. The search checks in TFLM.
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.quantize import TFLITE_INT8_FORMATS, RecipeJob, RecipeNotApplicable, Remedy

MAX_FLOAT_LAYERS = 8  # beyond this, the model is mostly float: int16 or qat are the better remedies


def ranked_layers(rows: list[dict]) -> list[str]:
    """Distinct layer names, worst error first (rows come worst first)."""
    return list(dict.fromkeys(row["layer"] for row in rows))


def make(job: RecipeJob, destination: Path) -> dict:
    from edgedigits.quantize.debugger import (denylist_for, tensor_dtypes, layer_rows, make_debugger,
                                              quantize_calibrated)

    model = job.context.model
    int8_io = not job.float_io
    debugger = make_debugger(model, job.context.calibration_images(), int8_io=int8_io)
    rows = layer_rows(debugger, [layer.name for layer in model.layers])
    layers = ranked_layers(rows)
    if not layers:
        raise RecipeNotApplicable("fallback: the debugger found no quantized layer")
    tries = []
    for count in range(1, min(MAX_FLOAT_LAYERS, len(layers)) + 1):
        kept = tuple(layers[:count])
        denylisted = denylist_for(kept, rows)
        content = quantize_calibrated(debugger, int8_io=int8_io, denylisted_nodes=denylisted)
        floats = {name for name, dtype in tensor_dtypes(content).items() if dtype == "float32"}
        destination.write_bytes(content)
        verdict = job.check(destination)
        tries.append({"float_layers": list(kept), "agreement": verdict["agreement"], "passed": verdict["passed"]})
        if verdict["passed"]:
            break
    worst = {row["layer"]: round(row["rmse_over_scale"], 3) for row in rows if row["layer"] in kept}
    return {"entry": {"calibration": job.context.calibration | {
                "method": "TFLite converter min/max over the sample; QuantizationDebugger denylist"}},
            "float_layers": list(kept), "float_tensors": sorted(name for name in floats
                                                                 if any(name.startswith(n) for n in denylisted)),
            "layer_error": worst, "tries": tries}


REMEDY = Remedy(name="fallback", summary="fewest layers kept in float, worst per-layer error first",
                formats=TFLITE_INT8_FORMATS, make=make)
