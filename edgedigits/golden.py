"""Golden vectors: fixed test inputs and each artifact's exact outputs, so an app's unit test can prove on the
device that it feeds and reads the model correctly.

Kernels differ at the last bit, and for int8 that shows: LiteRT's default XNNPACK path differs from TFLite
Micro's kernels by a few steps after softmax. So each `.tflite` gets two sets: `tflm` (computed by TFLite
Micro's own interpreter, what a microcontroller computes; only for models TFLM can run) and `default` (LiteRT
with XNNPACK, what a phone computes); `.onnx` gets one from ONNX Runtime's CPU provider. Outputs are computed one
image at a time (batch 1), as a device runs them.

Layout of `golden/` (all recorded with sha256 in the manifest's "golden" key):
  inputs.npy                         float32 [20,28,28,1] in [0,1], labels.npy uint8 [20]
  <format>.input.npy                 the quantized input (int8 models only), exactly what goes into the model
  <format>.<kernels>.output.npy      the raw output tensor (int8 for int8 models)
  <format>.<kernels>.probabilities.npy   dequantized float32 probabilities (int8 models only)
Only .npy: export writes no C. The microcontroller bundle renders its golden header from these files
(`edgedigits.embed.mcu`), as the app bundles render theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgedigits.errors import ArtifactError
from edgedigits.fileio import sha256_file

GOLDEN_DIR = "golden"
PER_CLASS = 2  # the first PER_CLASS test images of each class, in class order: 20 inputs
INT8_TOLERANCE_STEPS = 3  # an on-device int8 test: exact argmax, each output within this many steps
FLOAT_TOLERANCE = 1e-5  # an on-device float test: exact argmax, each probability within at least this
FLOAT_SAFETY = 4  # float outputs: tolerance = this x the largest difference between LiteRT's kernel sets
SPREAD_IMAGES = 1000  # test images the kernel-set spread is measured on (the 20 golden ones understate it)
SPREAD_KERNELS = ("default", "builtin", "reference")  # XNNPACK, optimized builtins, BUILTIN_REF
KERNELS = {  # kernels name -> (target, what computed it)
    "tflm": ("mcu", "TensorFlow Lite Micro's own interpreter and reference kernels (PyPI tflite-micro)"),
    "default": ("phone", "LiteRT default path with the XNNPACK delegate (what a phone app computes)"),
    "cpu": ("desktop", "ONNX Runtime CPU execution provider"),
}
Stage = Callable[[Path], Path]  # final destination -> temp path to write now (renamed into place on commit)
SOURCE = f"MNIST test set: the first {PER_CLASS} images of each class, in class order"


def golden_indices(labels: np.ndarray, classes: int = 10) -> np.ndarray:
    return np.concatenate([np.flatnonzero(labels == label)[:PER_CLASS] for label in range(classes)])


def _kernels_for(entry: dict) -> tuple[str, ...]:
    if entry["runtime"] != "tflite":
        return ("cpu",)
    return ("tflm", "default") if entry.get("tflm", {}).get("runs") else ("default",)


def compute_golden_outputs(path: Path, runtime: str, kernels: str, images: np.ndarray) -> dict[str, np.ndarray]:
    """{"input": what the model is fed, "output": raw output, "probabilities": float32} for `images`, batch 1."""
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes import open_runtime

    with native_output_silenced():
        if runtime not in ("tflite", "tflm"):
            model = open_runtime(runtime, path)
            outputs = np.concatenate([model.predict(image[np.newaxis]) for image in images])
            return {"input": images, "output": outputs, "probabilities": outputs}
        from edgedigits.runtimes.tflite_rt import dequantize, quantize

        model = open_runtime("tflm", path) if kernels == "tflm" else open_runtime("tflite", path, kernels=kernels)
        fed = quantize(images, model.inputs[0])
        raw = np.concatenate([np.array(model.predict_raw(image[np.newaxis])) for image in fed])
    return {"input": fed, "output": raw, "probabilities": dequantize(raw, model.outputs[0])}


def kernel_spread(path: Path, images: np.ndarray) -> float:
    """Largest |Δ| of a float-output .tflite between LiteRT's kernel sets (SPREAD_KERNELS) on `images`: how much
    the arithmetic alone moves an output. Measured here, tiny v1 on 1,000 MNIST test images (x86 AVX2):
    float32 3.2e-6, fp16 2.8e-6, dynamic 5.4e-5, int8 with float I/O 3.9e-3 (one output step)."""
    outputs = [compute_golden_outputs(path, "tflite", kernels, images)["probabilities"].astype(np.float64)
               for kernels in SPREAD_KERNELS]
    return float(max(np.abs(other - outputs[0]).max() for other in outputs[1:]))


def _tolerance(dtype: str, observed: float) -> dict:
    """What an on-device test should allow: never less than the difference already seen between LiteRT's own
    kernel sets (v2 int8 via ai-edge-quantizer: 10 steps between XNNPACK and reference); float outputs get
    FLOAT_SAFETY times it, rounded up, because a phone's ARM kernels are one more kernel set."""
    if dtype == "float32":
        scaled = float(f"{FLOAT_SAFETY * observed:.1e}")
        if scaled < FLOAT_SAFETY * observed:  # two significant digits, rounded up, never down
            scaled = float(f"{scaled + 10 ** (np.floor(np.log10(scaled)) - 1):.1e}")
        return {"argmax": "exact", "max_abs": max(FLOAT_TOLERANCE, scaled)}
    return {"argmax": "exact", "max_abs_steps": max(INT8_TOLERANCE_STEPS, int(np.ceil(observed))),
            "note": "bit-exact when the device runs the kernels named here; other kernels differ by a few steps"}


def _save_npy(stage: Stage, model_dir: Path, name: str, array: np.ndarray) -> dict:
    relative = f"{GOLDEN_DIR}/{name}"
    tmp = stage(model_dir / relative)
    with open(tmp, "wb") as handle:
        np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
    return {"file": relative, "sha256": sha256_file(tmp), "dtype": array.dtype.name, "shape": list(array.shape)}


def write_golden(*, model_dir: Path, manifest: dict, test, staged, artifact_paths: dict[str, Path]) -> dict[str, Any]:
    """Stage `golden/` files for every artifact in `manifest` (committed with the artifacts by export's
    StagedFiles `staged`), drawn from `test` (EvalData: model inputs and labels); `artifact_paths` maps the
    formats not yet renamed into place to their temp files. Returns the manifest's "golden" record."""
    from edgedigits.manifest import verify_artifact_file

    model_dir = Path(model_dir)
    (model_dir / GOLDEN_DIR).mkdir(exist_ok=True)
    stage: Stage = staged.path_for
    indices = golden_indices(test.labels, len(manifest["labels"]))
    images, labels = test.images[indices], test.labels[indices].astype(np.uint8)
    source = SOURCE if test.description.get("kind") == "mnist test" else \
        f"{test.description.get('source')}: the first {PER_CLASS} images of each class, in class order"
    record: dict[str, Any] = {
        "folder": GOLDEN_DIR, "source": source, "indices": [int(i) for i in indices], "labels": [int(v) for v in labels],
        "inputs": _save_npy(stage, model_dir, "inputs.npy", images),
        "labels_file": _save_npy(stage, model_dir, "labels.npy", labels), "sets": []}
    for name, entry in manifest["artifacts"].items():
        path = artifact_paths.get(name) or verify_artifact_file(model_dir, entry)
        results = {kernels: compute_golden_outputs(path, entry["runtime"], kernels, images)
                   for kernels in _kernels_for(entry)}
        quantization = entry["outputs"][0].get("quantization")
        fed_record = None
        for kernels, result in results.items():
            if result["input"].dtype != np.float32 and fed_record is None:
                fed_record = _save_npy(stage, model_dir, f"{name}.input.npy", result["input"])
            stem = f"{name}.{kernels}"
            others = [r["output"] for k, r in results.items() if k != kernels]
            # How far the other kernels are on these very inputs: recorded, and the tolerance covers it.
            observed = float(np.abs(result["output"].astype(np.float64) - others[0].astype(np.float64)).max()) \
                if others else 0.0
            spread, spread_error = None, None
            if kernels == "default" and result["output"].dtype == np.float32:
                try:
                    spread = kernel_spread(path, test.images[:SPREAD_IMAGES])
                except Exception as error:  # noqa: BLE001 - a kernel set that cannot run it: keep the plain rule
                    spread_error = str(error).splitlines()[0] if str(error) else type(error).__name__
            golden_set = {
                "artifact": name, "runtime": entry["runtime"], "kernels": kernels, "target": KERNELS[kernels][0],
                "computed_by": KERNELS[kernels][1], "batch": 1, "input": fed_record or record["inputs"],
                "output": _save_npy(stage, model_dir, f"{stem}.output.npy", result["output"]),
                "tolerance": _tolerance(result["output"].dtype.name, max(observed, spread or 0.0)),
            }
            if spread_error is not None:
                golden_set["kernel_spread"] = {"kernels": list(SPREAD_KERNELS), "error": spread_error}
            if spread is not None:
                golden_set["kernel_spread"] = {"kernels": list(SPREAD_KERNELS), "images": min(SPREAD_IMAGES,
                                               len(test.images)), "max_abs_diff": spread, "safety": FLOAT_SAFETY}
            if quantization:
                golden_set["probabilities"] = _save_npy(stage, model_dir, f"{stem}.probabilities.npy",
                                                        result["probabilities"])
            if others:
                golden_set["max_abs_diff_vs_other_kernels"] = observed
            record["sets"].append(golden_set)
    return record


def recorded_files(record: dict) -> set[str]:
    """Every `golden/` file a manifest's golden record names (relative paths)."""
    named = {record["inputs"]["file"], record["labels_file"]["file"]}
    for golden_set in record["sets"]:
        named |= {golden_set[key]["file"] for key in ("input", "output", "probabilities") if key in golden_set}
    return named


def prune_golden(model_dir: Path, record: dict) -> None:
    """After a committed export: delete `golden/` files the new manifest no longer names (older exports'
    vectors, or headers an earlier version wrote), so the folder holds exactly what the manifest vouches for."""
    folder = Path(model_dir) / GOLDEN_DIR
    keep = recorded_files(record)
    for path in folder.iterdir():
        if path.is_file() and f"{GOLDEN_DIR}/{path.name}" not in keep:
            path.unlink(missing_ok=True)


def find_golden_set(manifest: dict, *, artifact: str, kernels: str, manifest_dir: Path) -> dict:
    for golden_set in manifest.get("golden", {}).get("sets", []):
        if golden_set["artifact"] == artifact and golden_set["kernels"] == kernels:
            return golden_set
    raise ArtifactError(f"{Path(manifest_dir) / 'manifest.json'}: no golden vectors for {artifact} with {kernels} "
                        "kernels (re-run `edgedigits export`)")


def load_golden_array(model_dir: Path, record: dict) -> np.ndarray:
    """Load one recorded `.npy` from `golden/`, after checking its sha256 against the manifest."""
    from edgedigits.manifest import verify_artifact_file

    relative = Path(record["file"])
    if len(relative.parts) != 2 or relative.parts[0] != GOLDEN_DIR or relative.name in ("", ".", ".."):
        raise ArtifactError(f"{Path(model_dir) / relative}: golden file outside {GOLDEN_DIR}/")
    path = verify_artifact_file(Path(model_dir) / GOLDEN_DIR, {**record, "file": relative.name})
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ArtifactError(f"{path}: not a readable .npy file ({err})") from None
