"""Per-layer int8 error of a converter-made TFLite model (the debugger lives in edgedigits.quantize.debugger),
and `--keep-float`: the same model re-quantized with named layers in float, compared on the test images.
The debugger re-quantizes the source `model.keras` over the manifest's calibration sample.
"""

from __future__ import annotations

import re
from pathlib import Path

from edgedigits.errors import UsageError
from edgedigits.explain import ROUNDING_FLOOR, Explanation, calibration_settings, evaluate
from edgedigits.fileio import atomic_write_bytes
from edgedigits.quantize.debugger import (denylist_for, tensor_dtypes, layer_rows, make_debugger,
                                          quantize_calibrated)

# Formats the TFLite converter makes (and so its debugger can reproduce); the value: int8 input/output.
CONVERTER_FORMATS = {"tflite_int8": True, "tflite_int8_float_io": False}


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
        denylisted = denylist_for(keep_float, rows)
        content = quantize_calibrated(debugger, int8_io=int8_io, denylisted_nodes=denylisted)
        floats = {name for name, dtype in tensor_dtypes(content).items() if dtype == "float32"}
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
