"""Keep the fewest layers in float: worst per-layer int8 error first, one more at a time, until the gate passes.

The per-layer error is `explain`'s: TensorFlow's QuantizationDebugger re-quantizes the model over the calibration
sample and measures each layer's RMSE in units of its own quantization step (a layer near 0.29 loses only what
rounding must; one far above it is clipped or stretched by outliers). The calibrated model is then quantized
again with the worst layers on the converter's denylist, so they run in float between Dequantize/Quantize ops,
and each try is verified on the export's verification images. The first set that passes is kept; when none
does within MAX_FLOAT_LAYERS, the last (largest) set is returned and the search records it as failing.

ONNX int8 runs the same loop over onnxruntime's `nodes_to_exclude` (every node of a Keras layer), layers ranked by
the worst SQNR of a tensor against its own QuantizeLinear/DequantizeLinear (qdq_loss_debug, explain's ONNX numbers).

A float layer needs float kernels: TensorFlow Lite Micro has them for the common ops (conv, fully-connected,
pooling, softmax), so such files often still run on an MCU, with a bigger arena. The search checks in TFLM.
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.quantize import TFLITE_INT8_FORMATS, RecipeJob, RecipeNotApplicable, Remedy

MAX_FLOAT_LAYERS = 8  # beyond this, the model is mostly float: int16 or qat are the better remedies
SQNR_SAMPLES = 200  # ONNX: every tensor's activations are held per sample; 200 rank the nodes well enough


def ranked_layers(rows: list[dict]) -> list[str]:
    """Distinct layer names, worst error first (rows come worst first)."""
    return list(dict.fromkeys(row["layer"] for row in rows))


def make(job: RecipeJob, destination: Path) -> dict:
    if job.format == "onnx_int8":
        return _make_onnx(job, destination)
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


def _make_onnx(job: RecipeJob, destination: Path) -> dict:
    """ONNX int8: the same greedy loop over onnxruntime's `nodes_to_exclude`, a Keras layer's nodes at a time."""
    import tempfile

    import onnx

    from edgedigits.artifacts import onnx_float32
    from edgedigits.artifacts.onnx_int8 import METHOD, quantize_onnx
    from edgedigits.quantize.debugger import keras_layer, onnx_tensor_rows
    from edgedigits.quiet import native_output_silenced

    images = job.context.calibration_images()
    layer_names = [layer.name for layer in job.context.model.layers]
    with tempfile.TemporaryDirectory(prefix="edgedigits-fallback-", dir=job.context.work_dir) as scratch, \
            native_output_silenced():
        scratch = Path(scratch)
        onnx_float32.export(job.context, scratch / "float.onnx")
        quantize_onnx(scratch / "float.onnx", scratch / "plain.onnx", images)
        rows = onnx_tensor_rows(scratch / "float.onnx", scratch / "plain.onnx", images[:SQNR_SAMPLES], layer_names,
                                scratch)
        # Layers ranked by their worst *own* error (qdq_sqnr: a tensor before vs after its QuantizeLinear/
        # DequantizeLinear): the accumulated float_sqnr blames every layer after the culprit. The nodes of a
        # layer in the pre-processed graph quantize_static sees are what nodes_to_exclude names.
        worst: dict[str, float] = {}
        for row in rows:
            if row["kind"] == "activation" and row["layer"] != "-":
                worst[row["layer"]] = min(worst.get(row["layer"], float("inf")), row["qdq_sqnr"])
        layers = sorted(worst, key=worst.get)
        graph_nodes = [node.name for node in onnx.load(str(scratch / "prepared.onnx")).graph.node]
        nodes_of = {layer: [name for name in graph_nodes if keras_layer(name + "/", [layer])] for layer in layers}
        if not any(nodes_of.values()):
            raise RecipeNotApplicable("fallback: no quantized ONNX node to keep in float")
        tries = []
        for count in range(1, min(MAX_FLOAT_LAYERS, len(layers)) + 1):
            kept = layers[:count]
            excluded = [name for layer in kept for name in nodes_of[layer]]
            quantize_onnx(scratch / "float.onnx", destination, images, nodes_to_exclude=excluded)
            verdict = job.check(destination)
            tries.append({"float_layers": kept, "agreement": verdict["agreement"], "passed": verdict["passed"]})
            if verdict["passed"]:
                break
    return {"entry": {"calibration": job.context.calibration | {"method": METHOD + "; nodes_to_exclude"}},
            "float_layers": kept, "float_nodes": excluded,
            "layer_error": {layer: round(worst[layer], 1) for layer in kept}, "tries": tries}


REMEDY = Remedy(name="fallback", summary="fewest layers kept in float, worst per-layer error first",
                formats=(*TFLITE_INT8_FORMATS, "onnx_int8"), make=make)
