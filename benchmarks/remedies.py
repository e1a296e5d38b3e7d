"""The int8 remedies benchmark (issue 18): every recipe on v1-v3 and on int8-hostile models, side by side.

    .venv/bin/python benchmarks/remedies.py [--artifacts artifacts] [--models v1,v2,v3,outlier,attention,heavy_tail,bn_gap]
                                            [--qat-epochs 2] [--test-samples 500]

For each model, `explain --recipes` (edgedigits.explain.recipes, the search `export --int8-recipe auto` runs, in
"all" mode) makes every recipe for int8.tflite in one process, one after another, and measures each the same way:
agreement with Keras and accuracy drop on the export's verification images, bytes, TFLite Micro (runs? arena),
batch-1 latency on LiteRT (one thread) and how long the recipe took. The hostile models come from
tests/hostile_models.py (trained here, seeded; each is exported with float32 only to get its folder and
manifest); v1-v3 are read from ARTIFACTS (`make demo`). Prints one Markdown table per model and saves
benchmarks/results/remedies.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BUILT_IN = ("v1", "v2", "v3")


def hostile_folder(name: str, root: Path, mnist) -> Path:
    """Train the hostile model `name` and export it (float32 only) to root/name: model.keras + manifest."""
    import hostile_models
    from edgedigits.config import ExportConfig
    from edgedigits.export import export_model

    folder = root / name
    if not (folder / "manifest.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        hostile_models.HOSTILE[name](mnist).save(folder / "source.keras")
        export_model(model_dir=folder, formats=("tflite_float32",), config=ExportConfig(), mnist=mnist,
                     keras_file=folder / "source.keras")
    return folder


def auto_export(folder: Path, mnist) -> dict:
    """`export --int8` with the default recipe (auto), into a copy of the folder: what a user gets."""
    import shutil
    import tempfile

    from edgedigits.config import ExportConfig
    from edgedigits.errors import CheckFailed
    from edgedigits.export import export_model

    with tempfile.TemporaryDirectory(prefix="remedies-auto-") as scratch:
        copy = Path(scratch) / folder.name
        shutil.copytree(folder, copy)
        started = time.perf_counter()
        try:
            result = export_model(model_dir=copy, formats=("tflite_int8",), config=ExportConfig(), mnist=mnist)
        except CheckFailed as err:
            return {"recipe": f"none passed ({err})", "agreement": 0.0, "images": 0, "bytes": 0,
                    "seconds": time.perf_counter() - started}
        entry = result.manifest["artifacts"]["tflite_int8"]
        return {"recipe": entry["recipe"]["name"], "agreement": entry["verification"]["agreement"],
                "images": entry["verification"]["images"], "bytes": entry["bytes"],
                "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"))
    parser.add_argument("--models", default="v1,v2,v3,outlier,attention,heavy_tail,bn_gap")
    parser.add_argument("--qat-epochs", type=int, default=2)
    parser.add_argument("--test-samples", type=int, default=500)
    parser.add_argument("--work", type=Path, default=HERE / "results" / "remedies-models")
    args = parser.parse_args()

    from edgedigits.data import load_mnist
    from edgedigits.environment import machine_info
    from edgedigits.explain import mnist_loader
    from edgedigits.explain.recipes import explain_recipes
    from edgedigits.explain.recorded import recorded_data
    from edgedigits.manifest import read_manifest
    from edgedigits.report.recipes import recipe_markdown

    mnist = load_mnist()
    results = {"machine": machine_info(), "qat_epochs": args.qat_epochs, "test_samples": args.test_samples,
               "models": {}}
    for name in args.models.split(","):
        folder = args.artifacts / name if name in BUILT_IN else hostile_folder(name, args.work, mnist)
        if not (folder / "manifest.json").is_file():
            print(f"skipping {name}: no {folder / 'manifest.json'} (run `make demo` first)")
            continue
        manifest = read_manifest(folder)
        started = time.perf_counter()
        explanation = explain_recipes(model_dir=folder, format_name="tflite_int8", manifest=manifest,
                                      data=recorded_data(manifest, mnist_loader=mnist_loader(mnist, None)),
                                      test_samples=args.test_samples, qat_epochs=args.qat_epochs,
                                      mnist_loader=mnist_loader(mnist, None))
        seconds = time.perf_counter() - started
        auto = auto_export(folder, mnist)
        results["models"][name] = {"rows": explanation.rows, "seconds": round(seconds, 1), "auto": auto}
        print(f"\n### {name} ({seconds:.0f} s for all recipes)\n")
        print(recipe_markdown(explanation.rows))
        print(f"\n`export --int8` (auto) wrote: **{auto['recipe']}** ({auto['agreement']:.2f} % agreement on "
              f"{auto['images']} images, {auto['bytes']:,} B) in {auto['seconds']:.0f} s")
        sys.stdout.flush()
    out = HERE / "results" / "remedies.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nsaved {out}")


if __name__ == "__main__":
    main()
