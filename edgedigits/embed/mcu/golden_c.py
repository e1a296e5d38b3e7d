"""The MCU bundle's golden vectors as C arrays for `golden_vectors.h`, rendered from the `.npy` files export
recorded in golden/ (export writes no C: the microcontroller target owns its C)."""

from __future__ import annotations

import numpy as np

from edgedigits.embed.mcu.c_arrays import c_array, c_declaration


def golden_arrays(*, fed: np.ndarray, raw: np.ndarray, labels: np.ndarray) -> dict[str, str]:
    """C definitions of golden_inputs [N][in], golden_outputs [N][out], golden_labels and golden_expected_class
    (the argmax of the recorded outputs, first maximum on ties, as numpy and the generated argmax take it), for
    golden_vectors.cc; "declarations" holds their `extern` lines for golden_vectors.h."""
    count = len(fed)
    outputs = raw.reshape(count, -1)
    arrays = {
        "inputs": ("golden_inputs", fed.reshape(count, -1), 16),
        "outputs": ("golden_outputs", outputs, 10),
        "labels": ("golden_labels", np.asarray(labels).astype(np.uint8), 20),
        "expected_class": ("golden_expected_class", outputs.argmax(axis=1).astype(np.uint8), 20),
    }
    result = {key: c_array(name, values, per_line=per_line, storage="const")
              for key, (name, values, per_line) in arrays.items()}
    result["declarations"] = "".join(c_declaration(name, values) for name, values, _ in arrays.values())
    return result
