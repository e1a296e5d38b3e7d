"""Calibration study: export one calibrated format once per calibration size and measure each on test images.

Each size draws its own seeded sample from the training set (same seed, so a larger sample is a different
draw, not a superset). The exporter is called directly, not through `export_model`, because the point is to
*see* a badly calibrated model: export_model would refuse to keep it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from edgedigits.errors import ArtifactError, UsageError
from edgedigits.explain import Explanation, evaluate
from edgedigits.quiet import native_output_silenced


def parse_sizes(text: str, *, limit: int) -> tuple[int, ...]:
    """'10,100,1000' -> (10, 100, 1000); UsageError naming the option on anything else."""
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise UsageError(f"--calibration-sweep must be comma-separated integers, got '{text}'") from None
    if not sizes or any(not 1 <= size <= limit for size in sizes):
        raise UsageError(f"--calibration-sweep sizes must be between 1 and {limit}, got '{text}'")
    return tuple(dict.fromkeys(sizes))  # keep order, drop repeats


def calibration_sweep(*, model_dir: Path, sizes: tuple[int, ...], mnist, format_name: str = "tflite_int8",
                      seed: int = 0, test_samples: int | None = None) -> Explanation:
    """Agreement with Keras and accuracy of `format_name` calibrated on each of `sizes` training images."""
    from edgedigits.artifacts import ARTIFACTS, ExportContext
    from edgedigits.data import calibration_sample, scale
    from edgedigits.runtimes.keras_rt import load_keras_model, run_keras_model
    from edgedigits.explain import require_mnist_model
    from edgedigits.manifest import manifest_path, read_manifest
    from edgedigits.train import MODEL_FILE

    artifact = ARTIFACTS[format_name]
    if not artifact.calibrated:
        calibrated = ", ".join(name for name, item in ARTIFACTS.items() if item.calibrated)
        raise UsageError(f"--format {format_name} uses no calibration data (choose from {calibrated})")
    source = Path(model_dir) / MODEL_FILE
    if not source.is_file():
        raise ArtifactError(f"{source}: no trained model (run `edgedigits train` first)")
    if manifest_path(model_dir).is_file():
        require_mnist_model(read_manifest(model_dir), Path(model_dir))
    model = load_keras_model(source)
    count = test_samples or len(mnist.x_test)
    images, labels = scale(mnist.x_test[:count]), mnist.y_test[:count]
    reference = run_keras_model(model, images, source)

    rows = []
    with tempfile.TemporaryDirectory(prefix="edgedigits-sweep-") as scratch:
        for size in sizes:
            sample = calibration_sample(mnist, samples=size, seed=seed)
            context = ExportContext(model=model, calibration_images=lambda sample=sample: sample,
                                    calibration={"samples": size, "seed": seed}, work_dir=Path(scratch))
            destination = Path(scratch) / f"{size}-{artifact.file}"
            with native_output_silenced():
                artifact.export(context, destination)
            measured = evaluate(destination, artifact.runtime, images, labels, reference)
            rows.append({"samples": size, "bytes": measured["bytes"], "agreement": measured["agreement"],
                         "accuracy": measured["accuracy"],
                         "accuracy_drop": round(measured["keras_accuracy"] - measured["accuracy"], 2)})
    notes = [f"{artifact.name} calibrated on seeded training samples (seed {seed}); measured on {count} test "
             f"images; Keras accuracy {round(float(np.mean(reference.argmax(1) == labels) * 100), 2)}%"]
    return Explanation("calibration-sweep", str(model_dir), "agreement", rows, label="samples", notes=notes)
