"""The MCU bundle's golden vectors as C arrays for `golden_vectors.h`, rendered from the `.npy` files export
recorded in golden/ (export writes no C: the microcontroller target owns its C)."""

from __future__ import annotations

import numpy as np

from edgedigits.embed.mcu.c_arrays import c_array


def golden_arrays(*, fed: np.ndarray, raw: np.ndarray, labels: np.ndarray) -> dict[str, str]:
    """C definitions of golden_inputs [N][in], golden_outputs [N][out], golden_labels and golden_expected_class
    (the argmax of the recorded outputs, first maximum on ties, as numpy and the generated argmax take it)."""
    count = len(fed)
    outputs = raw.reshape(count, -1)
    return {
        "inputs": c_array("golden_inputs", fed.reshape(count, -1)),
        "outputs": c_array("golden_outputs", outputs, per_line=10),
        "labels": c_array("golden_labels", np.asarray(labels).astype(np.uint8), per_line=20),
        "expected_class": c_array("golden_expected_class", outputs.argmax(axis=1).astype(np.uint8), per_line=20),
    }
