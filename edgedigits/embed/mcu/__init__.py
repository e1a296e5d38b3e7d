"""Microcontroller bundle for TensorFlow Lite Micro: a classifier API that owns the one op resolver, interpreter
and tensor arena (`edgedigits_model.h/.cc`), the model as an aligned C array, its numbers and arena size, and a
golden-vector test that is a client of that API. Every source is a template under `templates/mcu/`.

The golden vectors are the "tflm" set, computed at export by TensorFlow Lite Micro's own interpreter (PyPI
`tflite-micro`); the arena is the figure TFLM measured plus a margin for optimized kernels (`arena.py`).
This folder is the microcontroller target's room: C arrays (`c_arrays.py`), the golden header's arrays
(`golden_c.py`) and the arena estimate live here, not at the package's top level.
"""

from __future__ import annotations

import json
import re

from edgedigits.embed.context import EmbedContext, TensorNumbers, f32
from edgedigits.errors import UsageError

KERNELS = "tflm"  # the golden set the bundle ships: computed by TFLite Micro itself
MODEL_SYMBOL = "g_model_data"
TEMPLATE_TARGET = "mcu"
# LiteRT builtin op name -> MicroMutableOpResolver method (TFLM's micro_mutable_op_resolver.h).
TFLM_RESOLVER = {
    "CONV_2D": "AddConv2D", "DEPTHWISE_CONV_2D": "AddDepthwiseConv2D", "FULLY_CONNECTED": "AddFullyConnected",
    "MAX_POOL_2D": "AddMaxPool2D", "AVERAGE_POOL_2D": "AddAveragePool2D", "SOFTMAX": "AddSoftmax",
    "RESHAPE": "AddReshape", "SHAPE": "AddShape", "STRIDED_SLICE": "AddStridedSlice", "PACK": "AddPack",
    "QUANTIZE": "AddQuantize", "DEQUANTIZE": "AddDequantize", "ADD": "AddAdd", "MUL": "AddMul", "RELU": "AddRelu",
    "RELU6": "AddRelu6", "LOGISTIC": "AddLogistic", "MEAN": "AddMean", "CONCATENATION": "AddConcatenation",
    "PAD": "AddPad", "TRANSPOSE": "AddTranspose",
}
# dtype -> (C type, TfLitePtrUnion member, TfLiteType)
_C_IO = {"int8": ("int8_t", "int8", "kTfLiteInt8"), "float32": ("float", "f", "kTfLiteFloat32")}
# Generated file -> its template (templates/mcu/<template>.j2).
SOURCES = {
    "edgedigits_model.h": "edgedigits_model.h", "edgedigits_model.cc": "edgedigits_model.cc",
    "model_settings.h": "model_settings.h", "model_data.h": "model_data.h", "model_data.cc": "model_data.cc",
    "golden_vectors.h": "golden_vectors.h", "golden_vectors.cc": "golden_vectors.cc", "golden_test.h": "golden_test.h",
    "golden_test.cc": "golden_test.cc", "edgedigits.mk": "edgedigits.mk",
}


def resolver_ops(graph, *, path) -> list[dict]:
    """The model's ops in order of first use, each with its count and resolver method; UsageError for an op
    this bundle knows no MicroMutableOpResolver method for."""
    counts = graph.op_counts()
    ops = []
    for name in dict.fromkeys(op.name for op in graph.operators):
        if name not in TFLM_RESOLVER:
            raise UsageError(f"{path}: op {name} has no MicroMutableOpResolver method known to the mcu bundle")
        ops.append({"name": name, "count": counts[name], "method": TFLM_RESOLVER[name]})
    return ops


def _tensor(numbers: TensorNumbers) -> dict:
    ctype, field, tflite_type = _C_IO[numbers.dtype]
    return {"name": numbers.name, "shape": list(numbers.shape), "dtype": numbers.dtype, "elements": numbers.elements,
            "ctype": ctype, "field": field, "tflite_type": tflite_type, "quantized": numbers.quantized,
            "scale": f32(numbers.scale) if numbers.quantized else None, "zero_point": numbers.zero_point}


def _tflm_commit(package: str | None) -> str | None:
    """The TFLM git commit the measuring package was built from, when known ("…-g8f6596d" in its version)."""
    found = re.search(r"-g([0-9a-f]{6,40})\b", package or "")
    if found:
        return found.group(1)
    try:
        from tflite_micro.python.tflite_micro._version import __version__  # a plain string module
    except Exception:  # noqa: BLE001 - no package, no commit to name
        return None
    installed = re.match(r"(\S+?)-g([0-9a-f]+)$", __version__)
    if installed and package and package.split()[-1] == installed.group(1):
        return installed.group(2)
    return None


def _cost(context: EmbedContext, graph, arena) -> str:
    from edgedigits.models import MODELS, count_macs

    parts = []
    if context.model_name in MODELS:
        parts.append(f"{count_macs(MODELS[context.model_name]):,} MACs per image")
    parts.append(f"{graph.parameter_count():,} parameters")
    parts.append(f"flash {len(context.model_bytes):,} B (the model)")
    ram = f"RAM {arena.constant:,} B (the tensor arena"
    parts.append(ram + (f"; {arena.measured:,} B measured)" if arena.measured is not None else ", estimated)"))
    return ", ".join(parts)


def template_values(context: EmbedContext) -> dict:
    """Everything the mcu templates print, from the manifest, the golden .npy files and the model itself."""
    from edgedigits.embed.mcu.arena import plan_arena
    from edgedigits.embed.mcu.c_arrays import c_bytes
    from edgedigits.embed.mcu.golden_c import golden_arrays
    from edgedigits.embed.readme import golden_paragraph, io_table, preprocessing_section
    from edgedigits.tflite_graph import read_tflite_graph

    path = context.model_dir / context.entry["file"]
    graph = read_tflite_graph(path)
    arena = plan_arena(graph, context.entry.get("tflm"))
    tolerance = context.golden_set["tolerance"]
    golden = {
        "count": len(context.golden_labels), "computed_by": context.golden_set["computed_by"],
        "kernels": context.golden_set["kernels"], "source": context.manifest["golden"]["source"],
        "tolerance": tolerance["max_abs_steps"] if "max_abs_steps" in tolerance else repr(float(tolerance["max_abs"])),
    }
    arrays = golden_arrays(fed=context.golden_input, raw=context.golden_output, labels=context.golden_labels)
    golden["declarations"] = arrays.pop("declarations")
    golden["arrays"] = arrays
    return {
        "model_name": context.model_name, "format": context.format, "model_file_name": context.model_file_name,
        "model_bytes": len(context.model_bytes), "model_sha256": context.model_sha256, "model_symbol": MODEL_SYMBOL,
        "model_array": c_bytes(MODEL_SYMBOL, context.model_bytes, alignment=16),
        "manifest_path": str(context.model_dir / "manifest.json"),
        "input": _tensor(context.input), "output": _tensor(context.output), "ops": resolver_ops(graph, path=path),
        "label_literals": [json.dumps(label) for label in context.labels], "arena": arena, "golden": golden,
        "tflm_commit": _tflm_commit(arena.package), "cost": _cost(context, graph, arena),
        "io_table": io_table(context), "golden_paragraph": golden_paragraph(context),
        "preprocessing": preprocessing_section(context), **_recipe_words(context),
    }


def _recipe_words(context: EmbedContext) -> dict:
    """How the templates name the input, the class and the output, from the manifest's recipe and output kind."""
    preprocessing = context.preprocessing
    height, width, channels = preprocessing.shape
    low, high = preprocessing.input_range
    if context.digit_recipe:
        words = "pixels in [0,1], white digit on black"
    else:
        words = (f"model-input values in [{low:g}, {high:g}] ({preprocessing.to_manifest()['formula']}, "
                 f"{height}x{width}x{channels} row-major)")
    return {"digit_recipe": context.digit_recipe, "logits": context.logits, "pixel_words": words,
            "input_range": f"in [{low:g}, {high:g}]", "frame_function": f"read_frame_{height}x{width}",
            "class_word": "digit" if context.digit_recipe else "label"}


def build(context: EmbedContext) -> dict[str, bytes]:
    """{relative path: content} of the MCU bundle."""
    from edgedigits.embed.templates import render

    values = template_values(context)
    files = {name: render(TEMPLATE_TARGET, template, **values) for name, template in SOURCES.items()}
    values["caller_example"] = render(TEMPLATE_TARGET, "caller_example.cc", **values).strip()
    files["README.md"] = render(TEMPLATE_TARGET, "README.md", **values)
    context.extra["record"] = {"tflm": values["arena"].to_json() | {"ops": [op["name"] for op in values["ops"]]}}
    return {name: text.encode() for name, text in files.items()}
