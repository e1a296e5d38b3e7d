"""The web bundle on ONNX Runtime Web: an .onnx in the browser on the WebAssembly execution provider.

It runs `int8.onnx` (default) and `model.onnx` unchanged, dynamic batch axis included (the page feeds batch 1).
Golden vectors: ONNX Runtime's CPU execution provider.
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.embed.web import bundle
from edgedigits.embed.web.vendor import ONNX
from edgedigits.errors import UsageError

KERNELS = "cpu"
DEFAULT_FORMAT = "onnx_int8"
ARTIFACT_RUNTIME = "onnxruntime"


def check_format(fmt: str, entry: dict, path: Path) -> None:
    for role in ("inputs", "outputs"):
        spec = entry[role][0]
        if spec["dtype"] != "float32":
            raise UsageError(f"{path}: {spec['dtype']} {role[:-1]} tensor; the page feeds float32 pixels and reads "
                             "float32 probabilities")


def build(context) -> dict[str, bytes]:
    return bundle.build(context, ONNX)
