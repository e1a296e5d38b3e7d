"""TensorFlow's QuantizationDebugger over the very converter the int8 formats use: per-layer int8 error, and
re-quantizing the calibrated model with named layers left in float. `explain` shows these numbers; the
`fallback` recipe acts on them.

The debugger re-quantizes the model from the Keras source with a calibration sample and inserts a NumericVerify
op after every quantized layer: each compares the layer's dequantized int8 output with the float output computed
from the *same* (dequantized) input, so a layer's error is its own, not accumulated from earlier layers.
RMSE/scale near 0.289 is pure rounding; well above it means clipping or a range stretched by outliers.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings

import numpy as np

from edgedigits.errors import UsageError
from edgedigits.quiet import native_output_silenced


def keras_layer(tensor_name: str, layer_names: list[str]) -> str | None:
    """The Keras layer a converted tensor belongs to: converters name tensors `<model>_1/<layer>_1/<op>`."""
    for name in layer_names:
        if re.search(rf"(^|/){re.escape(name)}(_\d+)?/", tensor_name):
            return name
    return None


def make_debugger(model, images: np.ndarray, *, int8_io: bool):
    """The debugger over the very converter the tflite_int8 / tflite_int8_float_io exporters use."""
    import tensorflow as tf

    from edgedigits.artifacts import ExportContext
    from edgedigits.artifacts.tflite_int8 import int8_converter, representative_dataset

    context = ExportContext(model=model, calibration_images=lambda: images, calibration={})
    converter = int8_converter(context, float_io=not int8_io)
    options = tf.lite.experimental.QuantizationDebugOptions(fully_quantize=True)
    with native_output_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter deprecation, "statistics … not specified"
        return tf.lite.experimental.QuantizationDebugger(converter=converter,
                                                         debug_dataset=representative_dataset(context),
                                                         debug_options=options)


def quantize_calibrated(debugger, *, int8_io: bool, denylisted_nodes: list[str] | None = None) -> bytes:
    """The debugger's calibrated model quantized the way the converter quantizes it (same MLIR quantizer call
    and I/O types as TFLiteConverter.convert), with `denylisted_nodes` left in float. The debugger's own
    get_nondebug_quantized_model() forces int8 I/O, which would change int8_float_io's interface."""
    import tensorflow as tf
    from tensorflow.lite.python import convert

    io_type = tf.int8 if int8_io else tf.float32
    with native_output_silenced():
        return convert.mlir_quantize(debugger.calibrated_model, input_data_type=io_type, output_data_type=io_type,
                                     denylisted_nodes=denylisted_nodes)


def tensor_dtypes(model_content: bytes) -> dict[str, str]:
    from ai_edge_litert.interpreter import Interpreter

    with native_output_silenced():
        details = Interpreter(model_content=model_content).get_tensor_details()
    return {detail["name"]: np.dtype(detail["dtype"]).name for detail in details}


def _real_name(dumped: str, real_names: set[str]) -> str:
    """The model's own tensor name for a debugger dump name. The debugger strips one trailing digit it
    assumes it appended, which also eats the real "0" of "StatefulPartitionedCall_1:0"; a name that does not
    exist would make --keep-float a silent no-op."""
    if dumped in real_names:
        return dumped
    restored = [name for name in real_names if name[:-1] == dumped and name[-1].isdigit()]
    return restored[0] if len(restored) == 1 else dumped


def layer_rows(debugger, layer_names: list[str]) -> list[dict]:
    """One row per quantized layer output, worst RMSE/scale first."""
    with native_output_silenced():
        debugger.run()
    dump = io.StringIO()
    debugger.layer_statistics_dump(dump)
    real_names = set(tensor_dtypes(debugger.calibrated_model))
    rows = []
    for record in csv.DictReader(io.StringIO(dump.getvalue())):
        scale = float(record["scale"])
        rmse = float(np.sqrt(float(record["mean_squared_error"])))
        tensor = _real_name(record["tensor_name"], real_names)
        rows.append({
            "layer": keras_layer(tensor, layer_names) or record["op_name"].lower(),
            "op": record["op_name"], "tensor": tensor,
            "rmse_over_scale": rmse / scale if scale > 0 else float("nan"),
            "mean_error": float(record["mean_error"]), "max_abs_error": float(record["max_abs_error"]),
            "scale": scale, "elements": int(float(record["num_elements"])),
        })
    # A zero-scale tensor has no ratio (NaN): it goes last rather than anywhere NaN comparisons put it.
    return sorted(rows, key=lambda row: (math.isnan(row["rmse_over_scale"]), -row["rmse_over_scale"]))


def denylist_for(keep_float: tuple[str, ...], rows: list[dict]) -> list[str]:
    """Tensor names to keep in float: each LAYER is a Keras layer name (all its tensors) or a tensor name."""
    chosen = []
    for wanted in keep_float:
        matches = [row["tensor"] for row in rows if wanted in (row["layer"], row["tensor"])]
        if not matches:
            choices = sorted({row["layer"] for row in rows})
            raise UsageError(f"--keep-float {wanted}: no quantized layer of that name (choose from {', '.join(choices)})")
        chosen += [name for name in matches if name not in chosen]
    return chosen




def onnx_tensor_rows(float_path, qdq_path, images: np.ndarray, layer_names: list[str], scratch) -> list[dict]:
    """Per-tensor SQNR (dB) of a QDQ int8 ONNX file against its float graph, worst first
    (`onnxruntime.quantization.qdq_loss_debug`). The float graph is pre-processed exactly as the onnx_int8
    exporter does before quantizing, so tensor names match the quantized graph. Two SQNRs per activation:
    float_sqnr, the quantized model's tensor vs the float model's (error accumulated up to there), and
    qdq_sqnr, the tensor before vs after its own QuantizeLinear/DequantizeLinear; weights get one each."""
    from pathlib import Path

    from onnxruntime.quantization import qdq_loss_debug as qdq

    from edgedigits.artifacts.onnx_int8 import calibration_reader, prepare_for_quantization

    scratch = Path(scratch)
    prepared = scratch / "prepared.onnx"
    input_name = prepare_for_quantization(Path(float_path), prepared)
    # Both graphs re-written so every intermediate tensor is also a graph output.
    qdq.modify_model_output_intermediate_tensors(str(qdq_path), str(scratch / "qdq_aug.onnx"))
    qdq.modify_model_output_intermediate_tensors(str(prepared), str(scratch / "float_aug.onnx"))
    quantized = qdq.collect_activations(str(scratch / "qdq_aug.onnx"), calibration_reader(images, input_name))
    floating = qdq.collect_activations(str(scratch / "float_aug.onnx"), calibration_reader(images, input_name))
    matching = qdq.create_activation_matching(quantized, floating)
    weight_error = qdq.compute_weight_error(qdq.create_weight_matching(str(prepared), str(qdq_path)))
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
    return rows
