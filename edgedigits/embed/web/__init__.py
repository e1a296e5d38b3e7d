"""Web bundle: a static page that runs the model in the browser, with no build step and no CDN.

`edgedigits embed MODEL_DIR --target web [--runtime litert|onnx]` writes index.html, the page's JS modules
(templates/web/), the model, its labels and golden vectors, and the runtime's WebAssembly files copied from
the pinned npm install (`vendor.py`). On load the page runs every golden input and compares it with the
recorded output under the manifest's tolerance; see templates/web/app.js for the contract tests rely on.

Two runtimes, one module each (`litert.py`, `onnx.py`) exposing what `embed_bundle` reads from a target:
  litert  LiteRT.js with a static batch-1 .tflite with float32 I/O (default: tflite_int8_float_io)
  onnx    ONNX Runtime Web with an .onnx (default: onnx_int8)
"""

from __future__ import annotations

import importlib
from types import ModuleType

from edgedigits.errors import UsageError

RUNTIMES = ("litert", "onnx")
DEFAULT_RUNTIME = "litert"


def for_runtime(runtime: str | None) -> ModuleType:
    """The target module of one browser runtime (None: the default, LiteRT.js)."""
    runtime = DEFAULT_RUNTIME if runtime is None else runtime
    if runtime not in RUNTIMES:
        raise UsageError(f"--runtime {runtime}: unknown web runtime (choose from {', '.join(RUNTIMES)})")
    return importlib.import_module(f"edgedigits.embed.web.{runtime}")
