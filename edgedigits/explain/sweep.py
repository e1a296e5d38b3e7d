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


def calibration_sweep(*, model_dir: Path, sizes: tuple[int, ...], data, format_name: str = "tflite_int8",
                      seed: int = 0, test_samples: int | None = None) -> Explanation:
    """Agreement with Keras and accuracy of `format_name` calibrated on each of `sizes` images of the model's
    recorded calibration source (`data`: edgedigits.explain.recorded.RecordedData)."""
    from edgedigits.artifacts import ARTIFACTS, ExportContext
    from edgedigits.classifier import LOGITS, describe_classifier, softmax
    from edgedigits.runtimes.keras_rt import load_keras_model, run_keras_model
    from edgedigits.train import MODEL_FILE

    artifact = ARTIFACTS[format_name]
    if not artifact.calibrated:
        calibrated = ", ".join(name for name, item in ARTIFACTS.items() if item.calibrated)
        raise UsageError(f"--format {format_name} uses no calibration data (choose from {calibrated})")
    source = Path(model_dir) / MODEL_FILE
    if not source.is_file():
        raise ArtifactError(f"{source}: no trained model (run `edgedigits train` first)")
    model = load_keras_model(source)
    test = data.test()
    count = test_samples or len(test.labels)
    images, labels = test.images[:count], test.labels[:count]
    reference = run_keras_model(model, images, source)
    if describe_classifier(model, source=str(source)).output == LOGITS:
        reference = softmax(reference)

    rows = []
    with tempfile.TemporaryDirectory(prefix="edgedigits-sweep-") as scratch:
        for size in sizes:
            sample = data.sample(size, seed)
            context = ExportContext(model=model, calibration_images=lambda sample=sample: sample,
                                    calibration={"samples": size, "seed": seed}, work_dir=Path(scratch))
            destination = Path(scratch) / f"{size}-{artifact.file}"
            with native_output_silenced():
                artifact.export(context, destination)
            measured = evaluate(destination, artifact.runtime, images, labels, reference)
            rows.append({"samples": size, "bytes": measured["bytes"], "agreement": measured["agreement"],
                         "accuracy": measured["accuracy"],
                         "accuracy_drop": round(measured["keras_accuracy"] - measured["accuracy"], 2)})
    notes = [f"{artifact.name} calibrated on seeded samples (seed {seed}) of "
             f"{data.calibration.get('source', 'the MNIST training set')}; measured on {count} test images; "
             f"Keras accuracy {round(float(np.mean(reference.argmax(1) == labels) * 100), 2)}%"]
    return Explanation("calibration-sweep", str(model_dir), "agreement", rows, label="samples", notes=notes)
