"""`manifest.json`: what each artifact folder holds and how it was made. Later commands read only this.

Schema (version 1), as written by `edgedigits.export.export_model`:
  schema_version  1
  model           registry name ("v3")
  created         UTC time of the export
  source          {file: "model.keras", sha256}: the Keras model every artifact was converted from
  preprocessing   {formula: "pixel / 255", input_range, shape, layout, polarity, framing}
  labels          ["0", …, "9"]: output index -> label
  libraries       {python, tensorflow, keras, ai-edge-litert, onnx, onnxruntime, tf2onnx, numpy, …: version}
  artifacts       {<format name>: {format, runtime, precision, description, file, bytes, sha256,
                    inputs: [TensorSpec], outputs: [TensorSpec],
                    calibration?: {samples, seed, source, method},  (calibrated formats only)
                    opset?, weights?, activations?,                  (format-specific facts)
                    verification: {images, agreement, max_abs_diff, mean_abs_diff},  (vs Keras, at export)
                    tflm?: {package, runs: true, arena_bytes, head_bytes, tail_bytes}    (.tflite only: TFLite
                           | {package, runs: false, op, error}     Micro's own interpreter on the file; the
                                                                   arena it allocated, or the op it lacks)
                    created}}
  golden          golden vectors (see `edgedigits.golden`): {folder, source, indices, labels, inputs, labels_file,
                  sets: [{artifact, runtime, kernels ("tflm"|"default"|"cpu"), target, batch, input, output,
                          tolerance, …}]}
A TensorSpec is {name, shape, dtype, quantization?: {scale, zero_point}}; shape uses -1 for a dynamic axis.
Every file is named relative to the manifest's folder and carries its sha256.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgedigits.errors import ArtifactError
from edgedigits.fileio import sha256_file

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = 1
REQUIRED_TOP = ("schema_version", "model", "source", "preprocessing", "labels", "artifacts")
REQUIRED_ARTIFACT = ("format", "runtime", "precision", "file", "bytes", "sha256", "inputs", "outputs")


def manifest_path(model_dir: Path) -> Path:
    return Path(model_dir) / MANIFEST_NAME


def read_manifest(model_dir: Path) -> dict[str, Any]:
    """Load and validate a manifest; ArtifactError naming the file on any problem."""
    path = manifest_path(model_dir)
    if not path.is_file():
        raise ArtifactError(f"{path}: no manifest (run `edgedigits export` first)")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ArtifactError(f"{path}: manifest is not valid JSON ({err})") from None
    if not isinstance(payload, dict):
        raise ArtifactError(f"{path}: manifest must be a JSON object")
    missing = [key for key in REQUIRED_TOP if key not in payload]
    if missing:
        raise ArtifactError(f"{path}: manifest misses field(s) {', '.join(missing)}")
    if payload["schema_version"] != SCHEMA_VERSION:
        raise ArtifactError(f"{path}: manifest schema_version {payload['schema_version']!r} is not supported "
                            f"(this edgedigits reads version {SCHEMA_VERSION})")
    if not isinstance(payload["source"], dict) or not {"file", "sha256"} <= set(payload["source"]):
        raise ArtifactError(f"{path}: manifest field 'source' must be an object with file and sha256")
    if not isinstance(payload["artifacts"], dict):
        raise ArtifactError(f"{path}: manifest field 'artifacts' must be an object")
    for name, entry in payload["artifacts"].items():
        lacking = [key for key in REQUIRED_ARTIFACT if not isinstance(entry, dict) or key not in entry]
        if lacking:
            raise ArtifactError(f"{path}: artifact '{name}' misses field(s) {', '.join(lacking)}")
    return payload


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


def verify_artifact_file(model_dir: Path, entry: dict[str, Any]) -> Path:
    """The artifact's path, after checking it exists and its sha256 matches the manifest (tamper check)."""
    path = Path(model_dir) / entry["file"]
    if Path(entry["file"]).name != entry["file"]:
        # A manifest must not point outside its folder.
        raise ArtifactError(f"{manifest_path(model_dir)}: artifact file '{entry['file']}' is not a plain file name")
    if not path.is_file():
        raise ArtifactError(f"{path}: listed in the manifest but missing")
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise ArtifactError(f"{path}: sha256 does not match the manifest (file tampered with or corrupt)")
    return path
