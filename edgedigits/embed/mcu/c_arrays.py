"""Emit numpy arrays and raw bytes as C source, the way `xxd -i` does, for the MCU bundle's model_data.cc and
golden_vectors.h.

Floats are written with 9 significant digits, enough for every float32 to round-trip exactly, so a C test
compares against the very numbers Python computed.
"""

from __future__ import annotations

import numpy as np

_C_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float"}


def _literal(value, dtype: str) -> str:
    if dtype == "float32":
        text = f"{float(value):.9g}"
        # A float literal needs a '.' or an exponent before the 'f' suffix; also spell out inf/nan safely.
        if not np.isfinite(value):
            raise ValueError("golden values must be finite")
        return (text if any(c in text for c in ".e") else text + ".0") + "f"
    return str(int(value))


def _rows(values: np.ndarray, dtype: str, per_line: int, indent: str) -> str:
    """Nested braces for every dimension (a flat initializer of a 2-D array draws -Wmissing-braces)."""
    if values.ndim == 1:
        flat = [_literal(v, dtype) for v in values]
        lines = [", ".join(flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
        return indent + f",\n{indent}".join(lines)
    inner = indent + "  "
    return ",\n".join(f"{indent}{{\n{_rows(row, dtype, per_line, inner)}\n{indent}}}" for row in values)


def c_array(name: str, values: np.ndarray, *, per_line: int = 16, storage: str = "static const") -> str:
    """`storage ctype name[d0][d1]… = {…};` for an int8/uint8/int16/int32/float32 array."""
    values = np.asarray(values)
    dtype = np.dtype(values.dtype).name
    if dtype not in _C_TYPES:
        raise ValueError(f"no C type for {dtype}")
    if values.ndim == 0:
        values = values.reshape(1)
    dims = "".join(f"[{int(d)}]" for d in values.shape)
    return f"{storage} {_C_TYPES[dtype]} {name}{dims} = {{\n{_rows(values, dtype, per_line, '  ')}\n}};\n"


def c_declaration(name: str, values: np.ndarray) -> str:
    """`extern const ctype name[d0][d1]…;`, the header's side of a c_array(..., storage="const") definition."""
    values = np.asarray(values)
    dims = "".join(f"[{int(d)}]" for d in (values.shape or (1,)))
    return f"extern const {_C_TYPES[np.dtype(values.dtype).name]} {name}{dims};\n"


def c_bytes(name: str, data: bytes, *, alignment: int = 16) -> str:
    """The definition of an aligned `const unsigned char name[]` and `const unsigned int name_len` (xxd -i)."""
    lines = [", ".join(f"0x{byte:02x}" for byte in data[i:i + 12]) for i in range(0, len(data), 12)]
    body = ",\n  ".join(lines)
    return (f"alignas({alignment}) const unsigned char {name}[] = {{\n  {body}\n}};\n"
            f"const unsigned int {name}_len = {len(data)};\n")

