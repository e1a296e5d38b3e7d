"""Per-layer int8 error of a converter-made TFLite model, via `tf.lite.experimental.QuantizationDebugger`.

The debugger re-quantizes the model from the source `model.keras` with the manifest's calibration sample and
inserts a NumericVerify op after every quantized layer: each compares the layer's dequantized int8 output
with the float output computed from the *same* (dequantized) input, so a layer's error is its own, not
accumulated from earlier layers. RMSE/scale near 0.289 is pure rounding; well above it means clipping or
a range stretched by outliers.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np

from edgedigits.artifacts import ExportContext
from edgedigits.artifacts.tflite_int8 import int8_converter, representative_dataset
from edgedigits.errors import UsageError
from edgedigits.explain import ROUNDING_FLOOR, Explanation, calibration_settings, evaluate, keras_layer
from edgedigits.fileio import atomic_write_bytes
from edgedigits.quiet import native_output_silenced

# Formats the TFLite converter makes (and so its debugger can reproduce); the value: int8 input/output.
CONVERTER_FORMATS = {"tflite_int8": True, "tflite_int8_float_io": False}


def make_debugger(model, images: np.ndarray, *, int8_io: bool):
    """The debugger over the very converter the tflite_int8 / tflite_int8_float_io exporters use."""
    import tensorflow as tf

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


def _tensor_dtypes(model_content: bytes) -> dict[str, str]:
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
    real_names = set(_tensor_dtypes(debugger.calibrated_model))
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
    return sorted(rows, key=lambda row: -row["rmse_over_scale"])


def _denylist(keep_float: tuple[str, ...], rows: list[dict]) -> list[str]:
    """Tensor names to keep in float: each LAYER is a Keras layer name (all its tensors) or a tensor name."""
    chosen = []
    for wanted in keep_float:
        matches = [row["tensor"] for row in rows if wanted in (row["layer"], row["tensor"])]
        if not matches:
            choices = sorted({row["layer"] for row in rows})
            raise UsageError(f"--keep-float {wanted}: no quantized layer of that name (choose from {', '.join(choices)})")
        chosen += [name for name in matches if name not in chosen]
    return chosen


def keep_float_file(source: Path, keep_float: tuple[str, ...]) -> str:
    """A new file name per source and layer set, never the source's: `int8_keep_float-conv1+output.tflite`."""
    return f"{Path(source).stem}_keep_float-" + "+".join(re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40] for name in keep_float) + ".tflite"


def debug_tflite(*, model_dir: Path, entry: dict, data, keep_float: tuple[str, ...] = (),
                 output_dir: Path | None = None, test_samples: int | None = None) -> Explanation:
    """`data`: the model's RecordedData (edgedigits.explain.recorded)."""
    from edgedigits.runtimes.keras_rt import load_keras_model, run_keras_model
    from edgedigits.classifier import LOGITS, describe_classifier, softmax
    from edgedigits.train import MODEL_FILE

    path = Path(model_dir) / entry["file"]
    if entry["format"] not in CONVERTER_FORMATS:
        raise UsageError(f"{path}: {entry['format']} was not made by the TFLite converter; the quantization "
                         "debugger explains int8.tflite and int8_float_io.tflite")
    samples, seed = calibration_settings(entry, path)
    model = load_keras_model(Path(model_dir) / MODEL_FILE)
    images = data.sample(samples, seed)
    int8_io = CONVERTER_FORMATS[entry["format"]]
    layer_names = [layer.name for layer in model.layers]
    debugger = make_debugger(model, images, int8_io=int8_io)
    rows = layer_rows(debugger, layer_names)
    notes = [f"debugged on the manifest's calibration sample ({samples} images, seed {seed}: "
             f"{data.calibration.get('source', 'MNIST training set')})",
             f"rmse_over_scale ≈ {ROUNDING_FLOOR:.3f} is the floor of uniform rounding; higher means range "
             "or clipping loss in that layer"]
    recipe = (entry.get("recipe") or {}).get("name", "ptq")
    if recipe != "ptq":
        notes.append(f"{entry['file']} was made by the {recipe} recipe; these rows are plain int8 of model.keras, "
                     "the loss that recipe remedies (explain --recipes compares them all)")
    explanation = Explanation("tflite-debugger", str(path), "rmse_over_scale", rows, notes=notes)
    if keep_float:
        denylisted = _denylist(keep_float, rows)
        content = quantize_calibrated(debugger, int8_io=int8_io, denylisted_nodes=denylisted)
        floats = {name for name, dtype in _tensor_dtypes(content).items() if dtype == "float32"}
        ignored = [node for node in denylisted if not any(name.startswith(node) for name in floats)]
        if ignored:  # the MLIR quantizer skips names it does not match without a word
            raise UsageError(f"--keep-float: the quantizer did not keep {', '.join(ignored)} in float")
        destination = Path(output_dir or model_dir) / keep_float_file(path, keep_float)
        atomic_write_bytes(destination, content)
        test = data.test()
        count = test_samples or len(test.labels)
        test_images, labels = test.images[:count], test.labels[:count]
        reference = run_keras_model(model, test_images, Path(model_dir) / MODEL_FILE)
        if describe_classifier(model, source=str(model_dir)).output == LOGITS:
            reference = softmax(reference)
        explanation.trade = [
            {"model": "all int8", **evaluate(path, "tflite", test_images, labels, reference)},
            {"model": f"float: {', '.join(keep_float)}", **evaluate(destination, "tflite", test_images, labels, reference)},
        ]
        explanation.notes.append(f"kept in float: {', '.join(denylisted)} → {destination}")
    return explanation
