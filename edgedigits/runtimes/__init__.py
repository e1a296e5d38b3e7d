"""One interface over every inference runtime: `predict(float32[N,H,W,C]) -> float32[N,K]` probabilities
(28x28x1 and 10 for the blog's models; the manifest's "classifier" record for any other).

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
        """float32 [N,H,W,C] model input -> float32 [N,K] model output (dequantized)."""

    def prepare(self, images: np.ndarray) -> Callable[[], np.ndarray]:
        """A zero-argument call that runs one inference on `images` through the runtime's fastest honest path
        (input buffers set up once, as an app would); used for latency measurements."""


# runtime name -> module under edgedigits.runtimes exposing `open(path, *, threads, **options)`.
RUNTIMES = {"keras": "keras_rt", "tflite": "tflite_rt", "onnxruntime": "onnx_rt", "tflm": "tflm_rt"}


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


class _Guarded:
    """A runtime whose failures while running are the file's fault, not edgedigits': a model that loads but
    cannot be prepared or run (a damaged quantization parameter XNNPACK refuses, say) is bad input, reported in
    one line naming the file (exit 2), never an internal error."""

    def __init__(self, runtime, path: Path, name: str):
        self._runtime, self._path, self._name = runtime, path, name

    def __getattr__(self, name: str):
        return getattr(self._runtime, name)

    def _guard(self, call: Callable, *args):
        try:
            return call(*args)
        except (ArtifactError, UsageError):
            raise
        except Exception as err:  # each runtime's own zoo of types (RuntimeError, ValueError, Fail, …)
            raise ArtifactError(f"{self._path}: cannot be run by {self._name} ({_first_line(err)})") from None

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self._guard(self._runtime.predict, images)

    def predict_raw(self, fed: np.ndarray) -> np.ndarray:
        return self._guard(self._runtime.predict_raw, fed)

    def prepare(self, images: np.ndarray) -> Callable[[], np.ndarray]:
        # The timed call itself stays bare (latency is measured on it); `predict` has run the model first.
        return self._guard(self._runtime.prepare, images)


class _SoftmaxOutputs:
    """A runtime of a logits model seen through softmax: the one place logits become probabilities, so every
    comparison (export check, bench, predict) compares probabilities the same way. Raw outputs stay raw."""

    def __init__(self, runtime: Runtime):
        self._runtime = runtime

    def __getattr__(self, name: str):
        return getattr(self._runtime, name)

    def predict(self, images: np.ndarray) -> np.ndarray:
        from edgedigits.classifier import softmax

        return softmax(self._runtime.predict(images))

    def prepare(self, images: np.ndarray) -> Callable[[], np.ndarray]:
        from edgedigits.classifier import softmax

        infer = self._runtime.prepare(images)
        return lambda: softmax(np.asarray(infer()))


def open_runtime(runtime: str, path: Path, *, threads: int = 1, output: str = "probabilities", **options) -> Runtime:
    """Load `path` in `runtime`; ArtifactError naming the file if it is missing or cannot be loaded. `output`
    "logits" (the manifest's classifier record) makes `predict` return softmax probabilities."""
    if output not in ("probabilities", "logits"):
        raise UsageError(f"unknown model output kind '{output}' (probabilities or logits)")
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
        opened = _Guarded(module.open(path, threads=threads, **options), path, runtime)
    except (ArtifactError, UsageError):
        raise
    except Exception as err:  # each runtime raises its own zoo of types for a corrupt file
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ArtifactError(f"{path}: cannot be loaded by {runtime} ({detail[:200]})") from None
    return _SoftmaxOutputs(opened) if output == "logits" else opened


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
