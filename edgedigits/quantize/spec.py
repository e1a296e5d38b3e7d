"""LiteRT's int8 quantization spec, checked on a parsed `.tflite` graph (https://ai.google.dev/edge/litert/models/quantization_spec).

A file can break the spec and still load: LiteRT's builtin kernels and TFLite Micro ignore a bias zero point,
while XNNPACK refuses the graph when it prepares it. `inspect` lists every broken rule, one line per tensor, so
a damaged or hand-edited model is named before an app finds out on a phone.

Rules checked:
- every quantized tensor: as many zero points as scales, scales finite and > 0, one scale per channel of the
  quantized dimension when there are several;
- int8 tensors: zero point in [-128, 127]; int16 activations and int32 biases: zero point 0;
- weights of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED / TRANSPOSE_CONV: int8, symmetric (zero point 0),
  per-channel only along the output-channel axis (3 for depthwise, 0 otherwise);
- their int32 bias: scale[c] = input_scale * weight_scale[c] (LiteRT's own kernels allow 1e-6 relative).
"""

from __future__ import annotations

import math

from edgedigits.tflite_graph import Tensor, TfliteGraph

# op -> (activation input, weights, bias, per-channel axis of the weights): positions in the op's inputs.
WEIGHTED_OPS = {"CONV_2D": (0, 1, 2, 0), "DEPTHWISE_CONV_2D": (0, 1, 2, 3), "FULLY_CONNECTED": (0, 1, 2, 0),
                "TRANSPOSE_CONV": (2, 1, 3, 0)}
ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (0, 0), "int32": (0, 0)}
BIAS_SCALE_TOLERANCE = 1e-6  # relative; LiteRT's GetQuantizedConvolutionMultipler uses the same bound


def _valid(scale: float) -> bool:
    return math.isfinite(scale) and scale > 0


def _where(values: list[int], total: int) -> str:
    first = values[0]
    return f"channel {first}" + (f" and {len(values) - 1} more of {total}" if len(values) > 1 else "") \
        if total > 1 else "the tensor"


def _tensor_problems(tensor: Tensor) -> list[str]:
    quant = tensor.quantization
    if quant is None:
        return []
    problems, count = [], len(quant.scales)
    if len(quant.zero_points) != count:
        return [f"{count} scales but {len(quant.zero_points)} zero points"]
    bad = [c for c, scale in enumerate(quant.scales) if not _valid(scale)]
    if bad:
        problems.append(f"scale {quant.scales[bad[0]]:g} in {_where(bad, count)} (must be finite and > 0)")
    low, high = ZERO_POINT_RANGE.get(tensor.dtype, (-math.inf, math.inf))
    bad = [c for c, zero in enumerate(quant.zero_points) if not low <= zero <= high]
    if bad:
        rule = "0" if low == high == 0 else f"in [{low}, {high}]"
        problems.append(f"{tensor.dtype} zero point {quant.zero_points[bad[0]]} in {_where(bad, count)} "
                        f"(must be {rule})")
    if count > 1:
        rank = len(tensor.shape)
        if not 0 <= quant.axis < rank:
            problems.append(f"{count} per-channel scales on axis {quant.axis} of a rank-{rank} tensor")
        elif tensor.shape[quant.axis] != count:
            problems.append(f"{count} per-channel scales for axis {quant.axis} of size {tensor.shape[quant.axis]}")
    return problems


def _weighted_op_problems(graph: TfliteGraph, op) -> dict[int, list[str]]:
    """Problems of one weighted op's weights and bias, by tensor index."""
    act_at, weight_at, bias_at, axis = WEIGHTED_OPS[op.name]

    def tensor_at(position: int) -> Tensor | None:
        index = op.inputs[position] if position < len(op.inputs) else -1
        return graph.tensors.get(index) if index >= 0 else None

    activation, weights, bias = tensor_at(act_at), tensor_at(weight_at), tensor_at(bias_at)
    found: dict[int, list[str]] = {}
    if weights is None or weights.dtype != "int8" or weights.quantization is None:
        return found  # a float op: nothing of the int8 spec applies
    w_quant = weights.quantization
    if any(zero != 0 for zero in w_quant.zero_points):
        bad = [c for c, zero in enumerate(w_quant.zero_points) if zero != 0]
        found.setdefault(weights.index, []).append(
            f"weights of {op.name}#{op.index} not symmetric: zero point {w_quant.zero_points[bad[0]]} in "
            f"{_where(bad, len(w_quant.zero_points))} (must be 0)")
    if len(w_quant.scales) > 1 and w_quant.axis != axis:
        found.setdefault(weights.index, []).append(
            f"weights of {op.name}#{op.index} quantized per channel on axis {w_quant.axis} (must be {axis})")
    if (bias is None or bias.dtype != "int32" or bias.quantization is None or activation is None
            or activation.quantization is None or len(activation.quantization.scales) != 1):
        return found
    b_scales, w_scales = bias.quantization.scales, w_quant.scales
    if len(b_scales) != len(w_scales):
        found.setdefault(bias.index, []).append(
            f"bias of {op.name}#{op.index} has {len(b_scales)} scales for {len(w_scales)} weight scales")
        return found
    input_scale = activation.quantization.scales[0]
    # Only where both factors are valid scales: a broken weight or input scale is reported on its own tensor.
    bad = [c for c, (b, w) in enumerate(zip(b_scales, w_scales)) if _valid(input_scale) and _valid(w)
           and not abs(b - input_scale * w) <= BIAS_SCALE_TOLERANCE * min(abs(b), abs(input_scale * w))]
    if bad:
        c = bad[0]
        found.setdefault(bias.index, []).append(
            f"bias scale {b_scales[c]:.9g} in {_where(bad, len(b_scales))} of {op.name}#{op.index} is not "
            f"input scale x weight scale ({input_scale * w_scales[c]:.9g})")
    return found


def int8_spec_violations(graph: TfliteGraph) -> list[str]:
    """One line per tensor that breaks LiteRT's int8 quantization spec, naming it; [] for a clean file (and
    for a float file, which has nothing quantized)."""
    found: dict[int, list[str]] = {}
    for tensor in graph.tensors.values():
        problems = _tensor_problems(tensor)
        if problems:
            found.setdefault(tensor.index, []).extend(problems)
    for op in graph.operators:
        if op.name in WEIGHTED_OPS:
            for index, problems in _weighted_op_problems(graph, op).items():
                found.setdefault(index, []).extend(problems)
    return [f"tensor {index} '{graph.tensors[index].spec.name}': {'; '.join(problems)}"
            for index, problems in sorted(found.items())]
