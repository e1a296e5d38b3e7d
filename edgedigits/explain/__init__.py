"""`edgedigits explain`: where does an int8 model lose accuracy, and how much calibration data does it need?

- `.tflite` int8 made by the TFLite converter: `tf.lite.experimental.QuantizationDebugger` per-layer error
  (tflite_debug); `keep_float` re-exports with named layers left in float and shows the accuracy/size trade.
- `.onnx` int8 (static QDQ): `onnxruntime.quantization.qdq_loss_debug` per-tensor SQNR (onnx_debug).
- a model folder: a calibration-size sweep (sweep).
Every function takes keyword arguments and returns an `Explanation`; rendering lives in `render`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgedigits.errors import ArtifactError, UsageError
from edgedigits.quiet import native_output_silenced

# RMSE of uniform rounding, in units of the quantization step: sqrt(1/12). A layer near it loses only what
# 8 bits must lose; one well above it is clipped or badly calibrated.
ROUNDING_FLOOR = 12 ** -0.5


@dataclass
class Explanation:
    kind: str  # "tflite-debugger" | "onnx-qdq" | "calibration-sweep"
    subject: str  # the artifact file or model folder explained
    metric: str  # the row key rows are ranked by (and the chart plots)
    rows: list[dict]  # worst first for debugger kinds; in sweep order for the sweep
    label: str = "layer"  # the row key naming each bar in the chart
    notes: list[str] = field(default_factory=list)
    trade: list[dict] = field(default_factory=list)  # keep-float: accuracy/size of each model compared

    def to_json(self) -> dict:
        """A JSON-safe dict: non-finite metrics (SQNR of an exact tensor, a missing match) become null."""
        def clean(value):
            if isinstance(value, float) and not math.isfinite(value):
                return None
            if isinstance(value, dict):
                return {key: clean(item) for key, item in value.items()}
            if isinstance(value, list):
                return [clean(item) for item in value]
            return value

        return clean(asdict(self))


def locate(path: Path) -> tuple[Path, dict, dict]:
    """(model folder, manifest, manifest entry) of an exported artifact file, after its sha256 check.
    The lookup is edgedigits.locate's, shared with inspect and predict; explain also needs the entry."""
    from edgedigits.locate import locate_artifact
    from edgedigits.manifest import manifest_path

    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"{path}: file not found")
    location = locate_artifact(path)
    if location.manifest is None:
        raise ArtifactError(f"{path}: no {manifest_path(path.parent).name} beside it (export it first)")
    if location.source:
        raise UsageError(f"{path}: the trained Keras source; explain needs an int8 artifact "
                         "(int8.tflite, int8_float_io.tflite or int8.onnx)")
    if location.entry is None:
        raise ArtifactError(f"{path}: not listed in {manifest_path(path.parent)} (export it first)")
    location.verify()
    return location.model_dir, location.manifest, location.entry


def calibration_settings(entry: dict, path: Path) -> tuple[int, int]:
    """(samples, seed) the artifact was calibrated with, as recorded in the manifest."""
    if (entry.get("recipe") or {}).get("name") == "qat":
        raise UsageError(f"{path}: made by quantization-aware fine-tuning (its weights differ from model.keras); "
                         "explain re-quantizes model.keras, so compare recipes with explain --recipes instead")
    calibration = entry.get("calibration")
    if not isinstance(calibration, dict) or "samples" not in calibration or "seed" not in calibration:
        raise UsageError(f"{path}: {entry['format']} is not a calibrated int8 format; explain needs int8 "
                         "(int8.tflite, int8_float_io.tflite or int8.onnx)")
    return int(calibration["samples"]), int(calibration["seed"])


def evaluate(path: Path, runtime: str, images: np.ndarray, labels: np.ndarray, reference: np.ndarray) -> dict:
    """Size, top-1 agreement with Keras and accuracy of one model file on the test images."""
    from edgedigits.parity import compare
    from edgedigits.runtimes import open_runtime

    with native_output_silenced():  # LiteRT announces its XNNPACK delegate on every load
        candidate = open_runtime(runtime, path).predict(images)
    parity = compare(reference, candidate, labels)
    return {"file": Path(path).name, "bytes": Path(path).stat().st_size, "agreement": round(parity.agreement, 2),
            "accuracy": round(parity.candidate_accuracy, 2), "keras_accuracy": round(parity.reference_accuracy, 2)}


def explain_artifact(*, path: Path, mnist=None, keep_float: tuple[str, ...] = (), output_dir: Path | None = None,
                     test_samples: int | None = None, data_dir: Path | None = None) -> Explanation:
    """Per-layer (TFLite) or per-tensor (ONNX) quantization error of an exported int8 artifact, on the data its
    manifest recorded (MNIST, loaded when needed, for digit models; the user's own data otherwise)."""
    from edgedigits.explain.recorded import recorded_data

    path = Path(path)
    model_dir, manifest, entry = locate(path)
    calibration_settings(entry, path)  # fp16/float/dynamic have nothing to explain: say so before any work
    data = recorded_data(manifest, mnist_loader=mnist_loader(mnist, data_dir))
    if entry["runtime"] == "tflite":
        from edgedigits.explain.tflite_debug import debug_tflite

        return debug_tflite(model_dir=model_dir, entry=entry, data=data, keep_float=keep_float,
                            output_dir=output_dir, test_samples=test_samples)
    if keep_float:
        raise UsageError(f"{path}: --keep-float is for TFLite int8 models")
    from edgedigits.explain.onnx_debug import debug_onnx

    return debug_onnx(model_dir=model_dir, entry=entry, data=data)


def mnist_loader(mnist, data_dir: Path | None):
    """MNIST as given, else loaded (once) only if the model's recorded data turns out to be MNIST."""
    cache = [mnist] if mnist is not None else []

    def load():
        if not cache:
            from edgedigits.data import load_mnist

            cache.append(load_mnist(data_dir))
        return cache[0]

    return load
