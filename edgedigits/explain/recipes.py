"""`explain --recipes`: the trade table of every int8 recipe for one model and format, nothing written.

The same search `export --int8-recipe auto` runs (edgedigits.quantize.search), in `all` mode: every recipe the
format can take is made in a scratch folder and measured the same way (verification against Keras on the
recorded test images, TFLite Micro, latency), on the data the model was exported with.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from edgedigits.config import ExportConfig
from edgedigits.errors import ArtifactError
from edgedigits.explain import Explanation


def explain_recipes(*, model_dir: Path, format_name: str, data, manifest: dict | None, test_samples: int | None = None,
                    train_data: str | None = None, qat_epochs: int = 2, mnist_loader=None,
                    on_step=None) -> Explanation:
    from edgedigits.artifacts import ARTIFACTS, ExportContext
    from edgedigits.classifier import LOGITS, describe_classifier, softmax
    from edgedigits.export import _measure
    from edgedigits.quantize import RecipeJob, recipes_for
    from edgedigits.quantize.search import ALL, search_recipes
    from edgedigits.quantize.training import training_loader
    from edgedigits.runtimes.keras_rt import load_keras_model, run_keras_model
    from edgedigits.train import MODEL_FILE

    source = Path(model_dir) / MODEL_FILE
    if not source.is_file():
        raise ArtifactError(f"{source}: no trained model (run `edgedigits train` first)")
    artifact = ARTIFACTS[format_name]
    if len(recipes_for(format_name)) < 2:
        from edgedigits.errors import UsageError

        with_recipes = ", ".join(name for name in ARTIFACTS if len(recipes_for(name)) > 1)
        raise UsageError(f"--recipes: {format_name} has no int8 recipes (choose from {with_recipes})")
    model = load_keras_model(source)
    classifier = describe_classifier(model, source=str(source))
    test = data.test()
    count = test_samples or min(len(test.labels), ExportConfig.verify_samples)
    images, labels = test.images[:count], test.labels[:count]
    reference = run_keras_model(model, images, source)
    if classifier.output == LOGITS:
        reference = softmax(reference)
    entry = ((manifest or {}).get("artifacts") or {}).get(format_name) or {}
    recorded = {**(data.calibration or {}), **(entry.get("calibration") or {})}
    samples = int(recorded.get("samples", ExportConfig.calibration_samples))
    seed = int(recorded.get("seed", ExportConfig.calibration_seed))
    training = training_loader(classifier=classifier, spec=data.spec, train_data=train_data,
                               mnist_loader=mnist_loader,
                               mnist_fits=((manifest or {}).get("data") or {}).get("test", {}).get(
                                   "kind", "mnist test") == "mnist test")
    with tempfile.TemporaryDirectory(prefix="edgedigits-recipes-") as scratch:
        sample = data.sample(min(samples, data.pool_size()), seed)
        context = ExportContext(model=model, calibration_images=lambda: sample,
                                calibration={"samples": len(sample), "seed": seed}, work_dir=Path(scratch))
        job = RecipeJob(format=format_name, context=context, check=None, training=training, qat_epochs=qat_epochs,
                        seed=seed, on_progress=on_step)
        result = search_recipes(format_name=format_name, mode=ALL, job=job, images=images, work_dir=Path(scratch),
                                check=lambda path: _measure(artifact, path, reference, images, labels,
                                                            classifier.output), on_step=on_step)
        rows = result.rows()
    notes = [f"every recipe for {artifact.file}, measured on {count} recorded test images against Keras; "
             f"gate: {result.gate_text()} (QAT fine-tunes the weights); nothing was written",
             "export --int8-recipe auto writes the smallest passing file that TFLite Micro runs, preferring int8 "
             "I/O over int16"]
    return Explanation("recipes", str(Path(model_dir) / artifact.file), "agreement", rows, label="recipe",
                       notes=notes)
