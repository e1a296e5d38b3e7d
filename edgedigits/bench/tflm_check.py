"""What a TFLite Micro row adds to parity: how many of TFLM's outputs are bit-exact with LiteRT's reference
kernels (BUILTIN_REF) on the same images, and the arena TFLM allocated.

TFLM and LiteRT's reference kernels implement the same integer arithmetic, so on int8 models they should
agree bit for bit (bar rare rounding ties in requantization); a drop in this count is the first sign that a
model relies on an op whose TFLM kernel differs. Outputs are compared raw: dequantized values are equal exactly
when the integer outputs are, and `max_steps` is the largest difference in quantization steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

REFERENCE_KERNELS = "LiteRT reference kernels (BUILTIN_REF)"


def against_reference_kernels(runtime, path: Path, images: np.ndarray, probabilities: np.ndarray,
                              output: str = "probabilities") -> dict:
    """`runtime` is the opened TFLM runtime that produced `probabilities` (float32 [N,K]) for `images`, both
    seen through the model's `output` kind (a logits model's are softmaxed alike, so equal outputs stay equal;
    its step count is not given, since steps of softmaxed logits mean nothing)."""
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes import open_runtime

    with native_output_silenced():
        reference = open_runtime("tflite", path, kernels="reference", output=output).predict(images)
    equal_images = int(np.all(reference == probabilities, axis=1).sum())
    scale = runtime.outputs[0].scale if output != "logits" else None
    difference = float(np.abs(reference.astype(np.float64) - probabilities.astype(np.float64)).max(initial=0.0))
    return {
        "compared_with": REFERENCE_KERNELS, "images": int(len(images)), "bit_exact_images": equal_images,
        "max_abs_diff": difference, "max_steps": int(round(difference / scale)) if scale else None,
        "argmax_equal": int((reference.argmax(axis=1) == probabilities.argmax(axis=1)).sum()),
        **runtime.arena,
    }
