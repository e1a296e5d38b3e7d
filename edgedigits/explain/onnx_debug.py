"""Per-tensor SQNR of an ONNX QDQ int8 model, via `onnxruntime.quantization.qdq_loss_debug`.

The float graph is re-created from `model.keras` exactly as the onnx_int8 exporter made it (same conversion,
same pre-processing), so tensor names match the quantized graph. For each activation, two SQNRs (dB, higher
is better; 8 bits give a well-ranged tensor roughly 40 dB):
  qdq_sqnr:   the tensor before vs after its own QuantizeLinear/DequantizeLinear (local rounding/clipping)
  float_sqnr: the quantized model's tensor vs the float model's (error accumulated up to this point)
Weights get one SQNR each (float vs dequantized int8 weights).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from edgedigits.artifacts import ONNX_OPSET, ExportContext
from edgedigits.explain import Explanation, calibration_settings
from edgedigits.quantize.debugger import onnx_tensor_rows
from edgedigits.quiet import native_output_silenced

DEBUG_SAMPLES = 200  # activations of every tensor are kept in memory per sample; 200 is plenty for SQNR


def debug_onnx(*, model_dir: Path, entry: dict, data) -> Explanation:
    from edgedigits.artifacts import onnx_float32
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
        rows = onnx_tensor_rows(scratch / "float.onnx", path, images, layer_names, scratch)
    notes = [f"SQNR in dB on {len(images)} of the manifest's calibration images (seed {seed}: "
             f"{data.calibration.get('source', 'MNIST training set')}); higher is better",
             "float_sqnr: quantized vs float model at this tensor (accumulated); qdq_sqnr: before vs after the "
             "tensor's own QuantizeLinear/DequantizeLinear (low after a fused Relu by design)"]
    return Explanation("onnx-qdq", str(path), "float_sqnr", rows, label="tensor", notes=notes)
