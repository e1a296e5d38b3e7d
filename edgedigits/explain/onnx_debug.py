"""Per-tensor SQNR of an ONNX QDQ int8 model, via `onnxruntime.quantization.qdq_loss_debug`.

The float graph is re-created from `model.keras` exactly as the onnx_int8 exporter made it (same conversion,
same pre-processing), so tensor names match the quantized graph. For each activation, two SQNRs (dB, higher
is better; 8 bits give a well-ranged tensor roughly 40 dB):
  qdq_sqnr:   the tensor before vs after its own QuantizeLinear/DequantizeLinear (local rounding/clipping)
  float_sqnr: the quantized model's tensor vs the float model's (error accumulated up to this point)
Weights get one SQNR each (float vs dequantized int8 weights).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from edgedigits.artifacts import ONNX_OPSET, ExportContext
from edgedigits.explain import Explanation, calibration_settings
from edgedigits.quantize.debugger import keras_layer
from edgedigits.quiet import native_output_silenced

DEBUG_SAMPLES = 200  # activations of every tensor are kept in memory per sample; 200 is plenty for SQNR


def debug_onnx(*, model_dir: Path, entry: dict, data) -> Explanation:
    from onnxruntime.quantization import qdq_loss_debug as qdq

    from edgedigits.artifacts import onnx_float32
    from edgedigits.artifacts.onnx_int8 import calibration_reader, prepare_for_quantization
    from edgedigits.runtimes.keras_rt import load_keras_model
    from edgedigits.train import MODEL_FILE

    path = Path(model_dir) / entry["file"]
    samples, seed = calibration_settings(entry, path)
    images = data.sample(samples, seed)[:DEBUG_SAMPLES]
    model = load_keras_model(Path(model_dir) / MODEL_FILE)
    layer_names = [layer.name for layer in model.layers]
    with tempfile.TemporaryDirectory(prefix="edgedigits-explain-") as scratch, native_output_silenced():
        scratch = Path(scratch)
        context = ExportContext(model=model, calibration_images=lambda: images, calibration={},
                                opset=int(entry.get("opset", ONNX_OPSET)), work_dir=scratch)
        onnx_float32.export(context, scratch / "float.onnx")
        input_name = prepare_for_quantization(scratch / "float.onnx", scratch / "prepared.onnx")
        # Both graphs re-written so every intermediate tensor is also a graph output.
        qdq.modify_model_output_intermediate_tensors(str(path), str(scratch / "qdq_aug.onnx"))
        qdq.modify_model_output_intermediate_tensors(str(scratch / "prepared.onnx"), str(scratch / "float_aug.onnx"))
        quantized = qdq.collect_activations(str(scratch / "qdq_aug.onnx"), calibration_reader(images, input_name))
        floating = qdq.collect_activations(str(scratch / "float_aug.onnx"), calibration_reader(images, input_name))
        matching = qdq.create_activation_matching(quantized, floating)
        weight_error = qdq.compute_weight_error(qdq.create_weight_matching(str(scratch / "prepared.onnx"), str(path)))

    # qdq.compute_activation_error indexes match["float"] unconditionally and crashes on a tensor the float
    # graph lacks (ORT 1.32); the same SQNR, computed here with a guard. A tensor reproduced exactly scores
    # ~361 dB (the SQNR function floors the noise at float epsilon), so values stay finite.
    sqnr = qdq.compute_signal_to_quantization_noice_ratio
    rows = [{"layer": keras_layer(name, layer_names) or "-", "kind": "activation", "tensor": name,
             "qdq_sqnr": sqnr(match["pre_qdq"], match["post_qdq"]),
             "float_sqnr": sqnr(match["float"], match["post_qdq"]) if match.get("float") else float("nan")}
            for name, match in matching.items()]
    rows += [{"layer": keras_layer(name, layer_names) or "-", "kind": "weight", "tensor": name,
              "qdq_sqnr": error, "float_sqnr": error} for name, error in weight_error.items()]
    # Ranked by float_sqnr, the error that reaches the answer; tensors with no float counterpart (converter
    # helpers like Transpose__63) go last. qdq_sqnr alone misleads after a fused Relu: the quantizer gives
    # Conv's output Relu's [0, max] range, so clipping the negatives (Relu's job) counts as "noise".
    rows.sort(key=lambda row: (math.isnan(row["float_sqnr"]), row["float_sqnr"]))
    notes = [f"SQNR in dB on {len(images)} of the manifest's calibration images (seed {seed}: "
             f"{data.calibration.get('source', 'MNIST training set')}); higher is better",
             "float_sqnr: quantized vs float model at this tensor (accumulated); qdq_sqnr: before vs after the "
             "tensor's own QuantizeLinear/DequantizeLinear (low after a fused Relu by design)"]
    return Explanation("onnx-qdq", str(path), "float_sqnr", rows, label="tensor", notes=notes)
