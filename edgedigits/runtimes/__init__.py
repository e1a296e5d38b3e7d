"""One interface over every inference runtime: `predict(float32[N,28,28,1]) -> float32[N,10]`.

Formats and runtimes are separate: `tflite_float32` and `tflite_int8` both run on the `tflite` runtime.
Quantization lives inside the runtime (quantize inputs with round+clip, dequantize outputs), so callers always
see probabilities. Runtimes are imported lazily: `open_runtime("onnxruntime", …)` is the only place that pulls
in ONNX Runtime.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from edgedigits.errors import ArtifactError, UsageError


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]  # -1 marks a dynamic (batch) axis
    dtype: str  # numpy dtype name: "float32", "int8", …
    scale: float | None = None  # quantization: real = scale * (q - zero_point)
    zero_point: int | None = None

    def to_json(self) -> dict:
        payload = asdict(self) | {"shape": list(self.shape)}
        quant = {"scale": payload.pop("scale"), "zero_point": payload.pop("zero_point")}
        if quant["scale"] is not None:
            payload["quantization"] = quant
        return payload


class Runtime(Protocol):
    name: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]

    def predict(self, images: np.ndarray) -> np.ndarray:
        """float32 [N,28,28,1] in [0,1] -> float32 [N,10] class probabilities (dequantized)."""

    def prepare(self, images: np.ndarray) -> Callable[[], np.ndarray]:
        """A zero-argument call that runs one inference on `images` through the runtime's fastest honest path
        (input buffers set up once, as an app would); used for latency measurements."""


# runtime name -> module under edgedigits.runtimes exposing `open(path, *, threads, **options)`.
RUNTIMES = {"keras": "keras_rt", "tflite": "tflite_rt", "onnxruntime": "onnx_rt", "tflm": "tflm_rt"}


def open_runtime(runtime: str, path: Path, *, threads: int = 1, **options) -> Runtime:
    """Load `path` in `runtime`; ArtifactError naming the file if it is missing or cannot be loaded."""
    if runtime not in RUNTIMES:
        raise UsageError(f"unknown runtime '{runtime}' (choose from {', '.join(RUNTIMES)})")
    if threads < 1:
        raise UsageError(f"--threads must be at least 1, got {threads}")
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise ArtifactError(f"{path}: file is empty")
    module = importlib.import_module(f"edgedigits.runtimes.{RUNTIMES[runtime]}")
    try:
        return module.open(path, threads=threads, **options)
    except (ArtifactError, UsageError):
        raise
    except Exception as err:  # each runtime raises its own zoo of types for a corrupt file
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ArtifactError(f"{path}: cannot be loaded by {runtime} ({detail[:200]})") from None


def check_declared_inputs(runtime: Runtime, declared: list[dict], path: Path) -> None:
    """The file's input must be what its manifest says (shape, dtype, quantization): an app is built from the
    manifest, so a mismatch means the app would feed the model wrongly."""
    if not declared:
        return
    actual, expected = runtime.inputs[0].to_json(), declared[0]
    for key in ("shape", "dtype", "quantization"):
        if actual.get(key) != expected.get(key):
            raise ArtifactError(f"{path}: input {key} in the file is {actual.get(key)} but the manifest says "
                                f"{expected.get(key)}")


def predict_in_chunks(run: Callable[[np.ndarray], np.ndarray], images: np.ndarray, chunk: int = 1000) -> np.ndarray:
    return np.concatenate([run(images[start:start + chunk]) for start in range(0, len(images), chunk)], axis=0)


def check_input(runtime: Runtime, images: np.ndarray, path: Path) -> None:
    """Reject inputs the model cannot take, naming the file, rather than letting the runtime crash."""
    expected = runtime.inputs[0].shape[1:]
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(expected):
        raise ArtifactError(f"{path}: model input shape {list(runtime.inputs[0].shape)} does not fit images of shape {list(images.shape)}")
