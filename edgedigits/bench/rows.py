"""Report rows: which runtime targets a manifest yields, and one row of numbers per measured target.

A row (schema in edgedigits.report) always carries every key: metric keys stay null when the target could not
be scored. Its status comes from the measurement, turned into "parity failed" when a tolerance is violated;
its verdict is REF for Keras, else PASS or FAIL.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from edgedigits.bench.evaluate import (OK, PARITY_FAILED, REFERENCE, UNSUPPORTED, Measured, Target, precision_of,
                                       score, tolerance_for)
from edgedigits.config import BenchConfig

METRIC_KEYS = ("accuracy", "parity", "problems", "confusion", "confusion_delta", "per_class", "disagreements",
               "shift")


def wants_tflm(entry: dict, config: BenchConfig) -> bool:
    """A TFLite Micro twin for full-integer `.tflite` files (precision "int8": int8 kernels, whatever the I/O),
    or for every `.tflite` with `tflm="all"`."""
    if entry["runtime"] != "tflite" or config.tflm == "none":
        return False
    return config.tflm == "all" or precision_of(entry) == "int8"


def targets(manifest: dict, config: BenchConfig) -> list[tuple[Target, dict]]:
    """(target, manifest entry) for every artifact, plus a TFLite Micro twin (`<format>@tflm`) where wanted."""
    found = []
    for name, entry in manifest["artifacts"].items():
        precision = precision_of(entry)
        found.append((Target(name, entry.get("format", name), entry["runtime"], precision, entry["file"],
                               entry["sha256"], inputs=entry.get("inputs", [])), entry))
        if wants_tflm(entry, config):
            found.append((Target(f"{name}@tflm", entry.get("format", name), "tflm", precision, entry["file"],
                                   entry["sha256"], inputs=entry.get("inputs", [])), entry))
    return found


def size_ratio(entry: dict, artifacts: dict) -> float | None:
    """Bytes relative to the float32 artifact of the same runtime (else any float32 artifact)."""
    floats = [e for e in artifacts.values() if precision_of(e) == "float32"]
    same = [e for e in floats if e["runtime"] == entry["runtime"]] or floats
    return entry["bytes"] / same[0]["bytes"] if same and same[0]["bytes"] else None


def build_row(target: Target, entry: dict | None, measured: Measured, *, reference: Measured | None,
              labels: np.ndarray, config: BenchConfig, artifacts: dict) -> dict:
    """The report row of `target` (`entry` None: the Keras reference row); `artifacts` is the manifest's."""
    tolerance = tolerance_for(entry, config) if entry is not None else None
    row = {"name": target.name, "format": target.format, "runtime": target.runtime, "precision": target.precision,
           "kernels": target.options.get("kernels", "default") if target.runtime == "tflite" else (
               "tflm" if target.runtime == "tflm" else None),
           "file": target.file, "bytes": entry["bytes"] if entry else None,
           "size_ratio": size_ratio(entry, artifacts) if entry else None, "sha256": target.sha256,
           "status": measured.status, "verdict": None, "error": measured.error,
           "tolerance": asdict(tolerance) if tolerance else None, "latency": measured.latency,
           "load_ms": measured.load_ms, "predict_s": measured.predict_s, "tflm": measured.tflm,
           "recipe": ((entry or {}).get("recipe") or {}).get("name"),  # how an int8 file was made (quantize/)
           "images": {}}  # filled by edgedigits.report when PNGs are written
    row |= dict.fromkeys(METRIC_KEYS)
    if measured.status == OK and reference is not None and reference.status == OK:
        row |= score(measured, reference=reference, labels=labels, tolerance=tolerance, config=config)
        if row["problems"]:
            row["status"] = PARITY_FAILED
    elif measured.status == PARITY_FAILED:
        row["problems"] = [measured.error]
    if measured.status == UNSUPPORTED:
        row["problems"] = [measured.error]
    row["verdict"] = REFERENCE if entry is None and row["status"] == OK else ("PASS" if row["status"] == OK else "FAIL")
    return row
