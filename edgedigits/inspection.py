"""What is inside one artifact (`.tflite`, `.onnx`, `.keras`): I/O, quantization, operators, size, cost.

(Named `inspection`, not `inspect`, so it never shadows the standard library module.)
`inspect_artifact` returns a plain JSON-able dict; the CLI renders it as a table or prints it as JSON.
When a `manifest.json` sits beside the file (found by `edgedigits.locate`), it adds the preprocessing, the model
name (hence MACs from the registry) and, for a file it lists, a sha256 check against what export recorded.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from edgedigits.errors import ArtifactError
from edgedigits.fileio import sha256_file
from edgedigits.manifest import manifest_path

_FLOAT_DTYPES = {"float32", "float16", "float64", "bfloat16"}
# ONNX quantize/dequantize boundaries: float on one side by definition, not a fallback.
_ONNX_QDQ = {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"}
_ONNX_PARAMETERISED = {"Conv", "Gemm", "MatMul", "ConvInteger", "MatMulInteger", "QLinearConv", "QLinearMatMul"}


def _spec_json(name: str, shape, dtype: str) -> dict:
    from edgedigits.runtimes import TensorSpec

    return TensorSpec(name, tuple(int(d) for d in shape), dtype).to_json()


def _inspect_tflite(path: Path) -> dict:
    from edgedigits.embed.mcu.arena import estimate_arena  # the microcontroller target owns the estimate
    from edgedigits.quantize.spec import int8_spec_violations
    from edgedigits.tflite_graph import read_tflite_graph
    from edgedigits.runtimes import tflm_rt

    graph = read_tflite_graph(path)
    # Before any runtime prepares the graph: a broken rule is named here even when TFLM runs the file anyway.
    violations = int8_spec_violations(graph)
    arena = estimate_arena(graph)
    measured = tflm_rt.measure(path)
    return {
        "inputs": [t.spec.to_json() for t in graph.inputs],
        "outputs": [t.spec.to_json() for t in graph.outputs],
        "operators": graph.op_counts(),
        "float_ops": graph.float_ops(),
        "parameters": graph.parameter_count(),
        "dynamic_tensors": sorted(t.spec.name for t in graph.tensors.values() if -1 in t.spec.shape),
        "shape_ops": graph.shape_computing_ops(),
        # LiteRT's int8 quantization spec, one line per offending tensor (XNNPACK refuses such a file).
        "quantization_violations": violations,
        "arena_estimate_bytes": arena.suggested_arena_bytes,
        "peak_activation_bytes": arena.peak_activation_bytes,
        # TensorFlow Lite Micro's own interpreter on the file: the arena it really allocates, or the op it lacks.
        "tflm": measured,
        "arena_estimate_error": (arena.suggested_arena_bytes - measured["arena_bytes"]) / measured["arena_bytes"]
        if measured["runs"] else None,
    }


def _onnx_dtype(elem_type: int) -> str:
    import onnx

    return onnx.helper.tensor_dtype_to_np_dtype(elem_type).name if elem_type else "unknown"


def _inspect_onnx(path: Path) -> dict:
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception as err:  # onnx raises DecodeError, ValueError, … for a corrupt file
        raise ArtifactError(f"{path}: cannot be read as an ONNX model ({str(err).strip()[:200] or type(err).__name__})") from None
    graph = inferred.graph
    initializers = {init.name: init for init in graph.initializer}
    types = {info.name: _onnx_dtype(info.type.tensor_type.elem_type)
             for info in (*graph.input, *graph.output, *graph.value_info)}
    types.update({name: _onnx_dtype(init.data_type) for name, init in initializers.items()})
    producer = {out: node.op_type for node in graph.node for out in node.output}
    consumers: dict[str, list[str]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node.op_type)

    def io(values) -> list[dict]:
        specs = []
        for value in values:
            if value.name in initializers:
                continue
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in value.type.tensor_type.shape.dim]
            specs.append(_spec_json(value.name, dims, _onnx_dtype(value.type.tensor_type.elem_type)))
        return specs

    float_ops = []
    for index, node in enumerate(graph.node):
        if node.op_type in _ONNX_QDQ:
            continue
        # In a QDQ graph a float op fed only by DequantizeLinear and feeding only QuantizeLinear runs in int8.
        float_in = [n for n in node.input if n and types.get(n) in _FLOAT_DTYPES and n not in initializers]
        float_out = [n for n in node.output if types.get(n) in _FLOAT_DTYPES]
        fused = (all(producer.get(n) == "DequantizeLinear" for n in float_in)
                 and all(set(consumers.get(n, [])) <= {"QuantizeLinear"} and consumers.get(n) for n in float_out))
        if (float_in or float_out) and not fused:
            float_ops.append(f"{node.op_type}#{index}")

    counted = set()
    for node in graph.node:
        if node.op_type in _ONNX_PARAMETERISED:
            counted.update(n for n in node.input[1:3] if n in initializers)
        if node.op_type == "Add" and producer.get(node.input[0]) in _ONNX_PARAMETERISED:
            counted.update(n for n in node.input[1:] if n in initializers)  # a bias added after MatMul
    parameters = 0
    for name in counted:
        size = 1
        for dim in initializers[name].dims:
            size *= int(dim)
        parameters += size
    return {"inputs": io(graph.input), "outputs": io(graph.output),
            "operators": dict(Counter(node.op_type for node in graph.node)), "float_ops": float_ops,
            "parameters": parameters,
            "quantization_violations": None,  # null: LiteRT's int8 spec is checked on .tflite files only
            "opset": max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                                                   default=None)}


def _inspect_keras(path: Path) -> dict:
    from edgedigits.runtimes.keras_rt import load_keras_model

    model = load_keras_model(path)  # ArtifactError naming the file if Keras cannot load it
    layers = list(model.layers)
    return {
        "inputs": [_spec_json("input", [-1 if d is None else d for d in model.input_shape], "float32")],
        "outputs": [_spec_json("output", [-1 if d is None else d for d in model.output_shape], "float32")],
        "operators": dict(Counter(type(layer).__name__ for layer in layers)),
        "float_ops": [f"{type(layer).__name__}:{layer.name}" for layer in layers],  # Keras models run in float
        "quantization_violations": None,  # nothing quantized in a Keras file
        "parameters": int(model.count_params()),
        "keras_model_name": model.name,
    }


def inspect_artifact(*, path: Path) -> dict[str, Any]:
    """Describe one artifact file; ArtifactError/UsageError naming the file (or a corrupt manifest beside it)."""
    from edgedigits.locate import check_suffix, locate_artifact

    path = Path(path)
    check_suffix(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise ArtifactError(f"{path}: file is empty")
    location = locate_artifact(path)
    reader = {".tflite": _inspect_tflite, ".onnx": _inspect_onnx, ".keras": _inspect_keras}[path.suffix]
    details = reader(path)
    manifest, entry = location.manifest, location.entry
    model_name = (manifest or {}).get("model") or details.get("keras_model_name")
    io_dtypes = {spec["dtype"] for spec in details["inputs"] + details["outputs"]}
    integer_io = bool(io_dtypes) and io_dtypes <= {"int8", "uint8", "int16"}
    dynamic_io = [spec["name"] for spec in details["inputs"] + details["outputs"] if -1 in spec["shape"]]
    report: dict[str, Any] = {
        "file": str(path),
        "format": entry["format"] if entry and not location.source else path.suffix.lstrip("."),
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        **{key: value for key, value in details.items() if key != "keras_model_name"},
        # "int8 everywhere": integer I/O and no op computing on floats (shape-only int32 ops are fine).
        "all_int8": integer_io and not details["float_ops"],
        "model": model_name,
        "macs": _registry_macs(model_name),
        # What stops a static-shape runtime (LiteRT.js, WebGPU, GPU/NPU delegates, TFLite Micro) or costs it work.
        "device_warnings": _device_warnings(path, dynamic_io, details.get("shape_ops", [])),
        "manifest": None,
    }
    if manifest is not None:
        report["manifest"] = {"path": str(manifest_path(location.model_dir)), "listed": entry is not None,
                              # None: the manifest does not list this file, so there is nothing to compare with
                              "sha256_matches": None if entry is None else _matches(location),
                              "preprocessing": manifest.get("preprocessing"), "labels": manifest.get("labels")}
    return report


def _device_warnings(path: Path, dynamic_io: list[str], shape_ops: list[str]) -> list[str]:
    warnings = []
    if dynamic_io:
        where = "ONNX Runtime handles it (servers batch)" if path.suffix == ".onnx" else \
            "LiteRT.js, WebGPU and GPU/NPU delegates refuse it; re-export for a static batch-1 file"
        warnings.append(f"dynamic dimension (-1) in {', '.join(dynamic_io)}: {where}")
    if shape_ops:
        warnings.append(f"shape-computing ops {', '.join(shape_ops)}: work at run time a static model does not do "
                        "(a microcontroller registers and runs them for nothing)")
    return warnings


def _matches(location) -> bool:
    try:
        location.verify()
    except ArtifactError:
        return False
    return True


def _registry_macs(model_name: str | None) -> int | None:
    from edgedigits.models import MODELS, count_macs

    return count_macs(MODELS[model_name]) if model_name in MODELS else None
