"""Edit a `.tflite` file's quantization parameters in place, for tests: find a tensor's scale or zero-point
vector in the flatbuffer (LiteRT's generated schema reader) and overwrite one element, every other byte kept.
This is how a damaged file reaches a user: it still loads, and only a runtime that checks the spec notices."""

from __future__ import annotations

import struct
from dataclasses import dataclass

# Tensor types of the TFLite schema (tensorflow/lite/schema/schema.fbs).
TENSOR_TYPES = {0: "float32", 2: "int32", 9: "int8", 7: "int16", 3: "uint8"}
# QuantizationParameters vtable slots and element formats: scale is [float32], zero_point is [int64].
_FIELDS = {"scale": (8, "<f", 4), "zero_point": (10, "<q", 8)}


@dataclass(frozen=True)
class QuantizedTensor:
    index: int
    name: str
    dtype: str
    channels: int  # how many scales / zero points it has
    vectors: dict[str, int]  # field -> file offset of element 0


def quantized_tensors(data: bytes) -> list[QuantizedTensor]:
    """Every tensor of subgraph 0 that carries quantization vectors, with where they lie in the file."""
    from ai_edge_litert import schema_py_generated as schema

    subgraph = schema.Model.GetRootAs(bytearray(data), 0).Subgraphs(0)
    found = []
    for index in range(subgraph.TensorsLength()):
        tensor = subgraph.Tensors(index)
        quant = tensor.Quantization()
        if quant is None or quant.ScaleLength() == 0:
            continue
        vectors = {field: quant._tab.Vector(quant._tab.Offset(slot))  # noqa: SLF001 - generated reader internals
                   for field, (slot, _, _) in _FIELDS.items() if quant._tab.Offset(slot)}  # noqa: SLF001
        found.append(QuantizedTensor(index, tensor.Name().decode(), TENSOR_TYPES.get(tensor.Type(), "other"),
                                     quant.ScaleLength(), vectors))
    return found


def first_tensor(data: bytes, dtype: str, *, min_channels: int = 1) -> QuantizedTensor:
    """The first quantized tensor of `dtype` with at least `min_channels` channels (int32 + several: a bias)."""
    return next(t for t in quantized_tensors(data) if t.dtype == dtype and t.channels >= min_channels)


def overwrite(data: bytes, tensor: QuantizedTensor, field: str, channel: int, value) -> bytes:
    """`data` with `field` ("scale" or "zero_point") of `tensor` set to `value` in `channel`."""
    _, fmt, size = _FIELDS[field]
    edited = bytearray(data)
    struct.pack_into(fmt, edited, tensor.vectors[field] + size * channel, value)
    return bytes(edited)
