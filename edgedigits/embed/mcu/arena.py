"""The MCU bundle's tensor arena: what TensorFlow Lite Micro measured, the margin on top, and the estimate.

`EDGEDIGITS_TENSOR_ARENA_SIZE` = the arena TFLM's own interpreter allocated for the model at export (the manifest
entry's `"tflm": {"arena_bytes": N}`, from TFLM's RecordingMicroAllocator) + a margin, rounded up to 16 bytes.

Why a margin: the measurement ran TFLM's reference kernels. Optimized target kernels ask the arena for more:
CMSIS-NN's CONV_2D requests an im2col scratch buffer (2 columns of align4(kh*kw*c_in) int16 values on the
portable C and DSP paths; 4 * ceil(kh*kw*c_in / 8) * 8 bytes on Helium/MVE) for the duration of the op, and on
MVE CONV_2D and FULLY_CONNECTED keep one int32 kernel sum per output channel. `cmsis_nn_scratch` adds the
largest such scratch buffer to all kernel sums, an upper bound for these kernels (computed for float models too,
where CMSIS-NN falls back to reference kernels: an overestimate there). The margin is the largest of
that bound, 10 % of the measured figure (TFLM revisions and allocators differ by a few hundred bytes: the
recording allocator's report is ~1 % above `arena_used_bytes()` in a C++ build) and 1 KiB.

The estimate (greedy liveness of the model's activations plus an allowance for TFLM's structures) needs no TFLM
at all; it stays beside the measurement with its measured error, and is the fallback for a manifest from an
export that did not run TFLM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ARENA_ALIGNMENT = 16  # TFLite Micro aligns every arena allocation to 16 bytes
MARGIN_FRACTION = 0.10  # of the measured arena, for TFLM revisions and allocators
MIN_MARGIN_BYTES = 1024


def _aligned(nbytes: int, alignment: int = ARENA_ALIGNMENT) -> int:
    return -(-nbytes // alignment) * alignment


@dataclass(frozen=True)
class ArenaEstimate:
    peak_activation_bytes: int  # largest sum of simultaneously live non-constant tensors (16-byte aligned)
    peak_at_op: str  # the operator during which that peak occurs
    suggested_arena_bytes: int  # peak plus an allowance for TFLite Micro's own bookkeeping, rounded up to 1 KiB
    bookkeeping_allowance_bytes: int


def estimate_arena(graph) -> ArenaEstimate:
    """Greedy liveness estimate of the TFLite Micro tensor arena for batch 1 (`graph`: a TfliteGraph).

    A non-constant tensor is live from the op that produces it (graph inputs: from the start) to the last op
    that reads it (graph outputs: to the end). The peak over ops of the live bytes is a lower bound on what
    TFLM's planner needs; fragmentation, scratch buffers (e.g. CMSIS-NN convolutions) and per-tensor
    structures come on top, hence the allowance. The measured figure (`plan_arena`) replaces it when known.
    """
    steps = len(graph.operators)
    first: dict[int, int] = {t.index: 0 for t in graph.inputs}
    last: dict[int, int] = {t.index: steps - 1 for t in graph.outputs}
    for position, op in enumerate(graph.operators):
        for i in op.outputs:
            first.setdefault(i, position)
        for i in op.inputs:
            if i >= 0 and not graph.tensors[i].constant:
                last[i] = max(last.get(i, position), position)
    peak, peak_op = 0, graph.operators[0].name if graph.operators else "-"
    for position, op in enumerate(graph.operators):
        live = sum(_aligned(graph.tensors[i].nbytes) for i, start in first.items()
                   if start <= position <= last.get(i, start))
        if live > peak:
            peak, peak_op = live, f"{op.name}#{op.index}"
    # ~100 B of TfLiteTensor/TfLiteEvalTensor and node data per tensor and op, plus 1 KiB of fixed structures.
    allowance = 1024 + 100 * (len(graph.tensors) + steps)
    suggested = -(-(peak + allowance) // 1024) * 1024
    return ArenaEstimate(peak, peak_op, suggested, allowance)


@dataclass(frozen=True)
class KernelScratch:
    conv_scratch_bytes: int  # largest CMSIS-NN im2col buffer of one CONV_2D (lives only while that op runs)
    conv_scratch_op: str  # which op needs it
    kernel_sum_bytes: int  # int32 per output channel of every CONV_2D / FULLY_CONNECTED (CMSIS-NN on MVE)

    @property
    def total_bytes(self) -> int:
        return self.conv_scratch_bytes + self.kernel_sum_bytes


def cmsis_nn_scratch(graph) -> KernelScratch:
    """Upper bound of the arena CMSIS-NN's int8 CONV_2D and FULLY_CONNECTED kernels request beyond TFLM's
    reference kernels, from the weight shapes ([c_out, kh, kw, c_in] and [c_out, c_in])."""
    conv, conv_op, sums = 0, "-", 0
    for op in graph.operators:
        if op.name not in ("CONV_2D", "FULLY_CONNECTED") or len(op.inputs) < 2:
            continue
        weights = graph.tensors[op.inputs[1]].shape
        sums += 4 * int(weights[0])
        if op.name == "CONV_2D" and len(weights) == 4:
            column = int(weights[1]) * int(weights[2]) * int(weights[3])  # kh * kw * c_in
            portable = 2 * _aligned(column, 4) * 2  # two im2col columns of int16
            helium = 4 * math.ceil(column / 8) * 8  # four int8 columns in 8-lane blocks
            if max(portable, helium) > conv:
                conv, conv_op = max(portable, helium), f"{op.name}#{op.index}"
    return KernelScratch(conv, conv_op, sums)


@dataclass(frozen=True)
class ArenaPlan:
    constant: int  # EDGEDIGITS_TENSOR_ARENA_SIZE
    measured: int | None  # TFLM's allocation total from the manifest; None: an export that did not run TFLM
    margin: int  # constant - measured (0 when the constant is the estimate)
    estimate: ArenaEstimate
    scratch: KernelScratch
    package: str | None  # the tflite-micro package that measured it

    @property
    def source(self) -> str:
        return "measured" if self.measured is not None else "estimate"

    @property
    def estimate_error(self) -> float | None:
        """(estimate - measured) / measured: how far the model-only estimate is from TFLM's figure."""
        if self.measured is None:
            return None
        return (self.estimate.suggested_arena_bytes - self.measured) / self.measured

    def margin_terms(self) -> dict[str, int]:
        """The three candidates for the margin, in bytes, before rounding (empty for an estimate)."""
        if self.measured is None:
            return {}
        return {"10 % of the measured arena": math.ceil(MARGIN_FRACTION * self.measured),
                "the CMSIS-NN scratch bound": self.scratch.total_bytes, "the 1 KiB floor": MIN_MARGIN_BYTES}

    def margin_reason(self) -> str:
        terms = self.margin_terms()
        return max(terms, key=terms.get) if terms else "none: the estimate carries its own allowance"

    def to_json(self) -> dict:
        return {"arena_constant_bytes": self.constant, "source": self.source, "measured_bytes": self.measured,
                "margin_bytes": self.margin, "margin_set_by": self.margin_reason(),
                "cmsis_nn_scratch_bound_bytes": self.scratch.total_bytes,
                "estimate_bytes": self.estimate.suggested_arena_bytes,
                "estimate_error": None if self.estimate_error is None else round(self.estimate_error, 4),
                "measured_by": self.package}


def plan_arena(graph, tflm: dict | None) -> ArenaPlan:
    """The arena constant for `graph` from the manifest entry's "tflm" record (None or without arena_bytes:
    an older export, so the estimate is used)."""
    estimate, scratch = estimate_arena(graph), cmsis_nn_scratch(graph)
    measured = (tflm or {}).get("arena_bytes") if (tflm or {}).get("runs", True) else None
    if not measured:
        return ArenaPlan(estimate.suggested_arena_bytes, None, 0, estimate, scratch, None)
    measured = int(measured)
    wanted = max(math.ceil(MARGIN_FRACTION * measured), scratch.total_bytes, MIN_MARGIN_BYTES)
    constant = _aligned(measured + wanted)
    return ArenaPlan(constant, measured, constant - measured, estimate, scratch, (tflm or {}).get("package"))
