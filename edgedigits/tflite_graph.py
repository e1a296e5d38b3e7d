"""Read a `.tflite` file's graph (tensors, operators in execution order). (The TFLite Micro arena estimate built
on it lives with the microcontroller target: `edgedigits.embed.mcu.arena`.)

Uses the LiteRT interpreter with the builtin kernels and *no* default delegate, so the operator list is the
model's own (XNNPACK would replace ops by opaque DELEGATE nodes). `_get_ops_details()` is LiteRT's only way
to list operators from Python; it is private, so failures are turned into an ArtifactError.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgedigits.errors import ArtifactError
from edgedigits.runtimes import TensorSpec
from edgedigits.runtimes.tflite_rt import tensor_spec  # the runtime's own reading of scale/zero point

# Ops whose constant inputs are trainable parameters (weights at position 1, bias at position 2).
PARAMETERISED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"}


@dataclass(frozen=True)
class Quantization:
    """A tensor's full quantization record: one scale/zero point per tensor, or one per channel along `axis`."""

    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    axis: int  # the quantized dimension (meaningful when there is more than one scale)


@dataclass(frozen=True)
class Tensor:
    index: int
    spec: TensorSpec  # name, shape signature (-1: dynamic), dtype, scale/zero point, read as the runtime does
    shape: tuple[int, ...]  # as allocated for batch 1
    constant: bool  # stored in the file (weights, biases, shape constants), not in the arena
    quantization: Quantization | None = None  # None: not quantized (no scales in the file)

    @property
    def dtype(self) -> str:
        return self.spec.dtype

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class Operator:
    index: int
    name: str  # builtin op name, e.g. "CONV_2D"
    inputs: tuple[int, ...]  # tensor indices; -1 marks an omitted optional input
    outputs: tuple[int, ...]


@dataclass(frozen=True)
class TfliteGraph:
    tensors: dict[int, Tensor]
    operators: list[Operator]
    inputs: list[Tensor]
    outputs: list[Tensor]

    def op_counts(self) -> dict[str, int]:
        return dict(Counter(op.name for op in self.operators))

    def float_ops(self) -> list[str]:
        """Ops that compute on float tensors: in an int8 model each one is a float fallback."""
        flagged = []
        for op in self.operators:
            dtypes = {self.tensors[i].dtype for i in (*op.inputs, *op.outputs) if i >= 0}
            if dtypes & {"float32", "float16", "float64"}:
                flagged.append(f"{op.name}#{op.index}")
        return flagged

    def shape_computing_ops(self) -> list[str]:
        """SHAPE ops and every op fed only by their results and constants: the run-time shape arithmetic a
        dynamic axis adds (SHAPE → STRIDED_SLICE → PACK before a RESHAPE). An op that also takes activations
        (the RESHAPE itself, a CONCATENATION of feature maps) does real work and is not counted."""
        from_shape: set[int] = set()
        flagged = []
        for op in self.operators:  # LiteRT lists operators in execution order
            fed = [i for i in op.inputs if i >= 0]
            if op.name == "SHAPE" or (fed and any(i in from_shape for i in fed) and
                                      all(i in from_shape or self.tensors[i].constant for i in fed)):
                from_shape.update(op.outputs)
                flagged.append(op.name)
        return sorted(set(flagged))

    def parameter_count(self) -> int:
        counted: set[int] = set()
        for op in self.operators:
            if op.name in PARAMETERISED_OPS:
                counted.update(i for i in op.inputs[1:3] if i >= 0 and self.tensors[i].constant)
        return int(sum(np.prod(self.tensors[i].shape, dtype=np.int64) for i in counted))


def _quantization(detail: dict) -> Quantization | None:
    params = detail.get("quantization_parameters") or {}
    scales = [float(s) for s in np.asarray(params.get("scales", []), dtype=np.float64).ravel()]
    if not scales:
        return None
    zero_points = [int(z) for z in np.asarray(params.get("zero_points", []), dtype=np.int64).ravel()]
    return Quantization(tuple(scales), tuple(zero_points), int(params.get("quantized_dimension", 0)))


def read_tflite_graph(path: Path) -> TfliteGraph:
    """Tensors and operators of a `.tflite` file (batch 1); ArtifactError naming the file if unreadable."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from edgedigits.quiet import native_output_silenced

    path = Path(path)
    try:
        with native_output_silenced():
            interpreter = Interpreter(model_path=str(path), num_threads=1,
                                      experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            interpreter.allocate_tensors()
            details = interpreter.get_tensor_details()
            ops = interpreter._get_ops_details()  # noqa: SLF001 - LiteRT's only operator listing
            input_ids = [int(d["index"]) for d in interpreter.get_input_details()]
            output_ids = [int(d["index"]) for d in interpreter.get_output_details()]
    except Exception as err:  # LiteRT raises ValueError/RuntimeError with multi-line native messages
        detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        raise ArtifactError(f"{path}: cannot be read as a TFLite model ({detail})") from None
    operators = [Operator(int(op["index"]), str(op["op_name"]), tuple(int(i) for i in op["inputs"]),
                          tuple(int(i) for i in op["outputs"])) for op in ops]
    produced = {i for op in operators for i in op.outputs}
    # A tensor no op produces and that is not a graph input lives in the file: a constant.
    tensors = {int(d["index"]): Tensor(int(d["index"]), tensor_spec(d), tuple(int(n) for n in d["shape"]),
                                       constant=int(d["index"]) not in produced and int(d["index"]) not in input_ids,
                                       quantization=_quantization(d))
               for d in details}
    return TfliteGraph(tensors, operators, [tensors[i] for i in input_ids], [tensors[i] for i in output_ids])
