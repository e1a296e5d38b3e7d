"""What a dynamic batch axis costs at batch 1: the exported static `.tflite` against its dynamic-batch twin.

The twin is converted on the spot from the same `model.keras` (for int8, with the same seeded calibration
sample export used), so the only difference is the three shape-computing ops (SHAPE, STRIDED_SLICE, PACK)
before the RESHAPE. The two are timed alternately, round after round, with the one latency procedure, so
machine noise hits both alike; the table gives the median of each and the range of the per-round ratios.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

ROUNDS = 5


def _dynamic_twin(model_dir: Path, manifest: dict, name: str, destination: Path) -> None:
    from edgedigits.artifacts import ExportContext
    from edgedigits.artifacts.tflite_converter import keras_converter
    from edgedigits.artifacts.tflite_int8 import int8_converter
    from edgedigits.data import calibration_sample, load_mnist
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes.keras_rt import load_keras_model

    model = load_keras_model(model_dir / manifest["source"]["file"])
    with native_output_silenced():
        if name == "tflite_float32":
            destination.write_bytes(keras_converter(model, static_batch=False).convert())
            return
        calibration = manifest["artifacts"][name]["calibration"]
        sample = calibration_sample(load_mnist(), samples=calibration["samples"], seed=calibration["seed"])
        context = ExportContext(model=model, calibration_images=lambda: sample, calibration=calibration)
        destination.write_bytes(int8_converter(context, float_io=False, static_batch=False).convert())


def static_vs_dynamic(artifacts: Path) -> list[list[object]]:
    from edgedigits.bench.latency import measure
    from edgedigits.config import BenchConfig
    from edgedigits.data import load_mnist, scale
    from edgedigits.manifest import read_manifest
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes import open_runtime

    image = scale(load_mnist().x_test[:1])
    config = BenchConfig(runs=2000, min_time_s=0.5, max_time_s=3.0)
    rows = []
    for model_dir in sorted(p for p in artifacts.iterdir() if (p / "manifest.json").is_file()):
        manifest = read_manifest(model_dir)
        for name in ("tflite_float32", "tflite_int8"):
            if name not in manifest["artifacts"]:
                continue
            with tempfile.TemporaryDirectory() as scratch:
                twin = Path(scratch) / "dynamic.tflite"
                _dynamic_twin(model_dir, manifest, name, twin)
                with native_output_silenced():
                    static = open_runtime("tflite", model_dir / manifest["artifacts"][name]["file"])
                    dynamic = open_runtime("tflite", twin)
                p50 = {"static": [], "dynamic": []}
                for _ in range(ROUNDS):
                    for label, runtime in (("static", static), ("dynamic", dynamic)):
                        p50[label].append(measure(runtime, image, config=config)["p50_us"])
            ratios = [d / s for s, d in zip(p50["static"], p50["dynamic"])]
            rows.append([manifest["model"], name, f"{statistics.median(p50['static']):.1f}",
                         f"{statistics.median(p50['dynamic']):.1f}",
                         f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"])
            print(f"  {manifest['model']}/{name}: static {statistics.median(p50['static']):.1f} µs, "
                  f"dynamic {statistics.median(p50['dynamic']):.1f} µs", flush=True)
    return rows


HEADER = ["model", "artifact", "static [1,28,28,1] p50 µs", "dynamic [-1,28,28,1] p50 µs",
          "dynamic / static (range over rounds)"]
