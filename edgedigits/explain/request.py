"""One `explain` request, as `edgedigits explain` and `edgedigits.explain()` both take it: an int8 artifact to
debug layer by layer, or (with sweep sizes) an artifact or model folder to re-export at each calibration size.
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.config import ExportConfig
from edgedigits.errors import ArtifactError, UsageError


def explain_target(*, target: Path, keep_float: tuple[str, ...] = (), calibration_sweep: str | None = None,
                   format_name: str = "int8", calibration_seed: int = ExportConfig.calibration_seed,
                   test_samples: int | None = None, data_dir: Path | None = None, recipes: bool = False,
                   train_data: str | None = None, qat_epochs: int = 2, on_step=None):
    """The Explanation of `target`; `calibration_sweep` is the comma-separated sizes ("10,100,1000"); `recipes`
    makes and measures every int8 recipe for the target's format (trade table, nothing written)."""
    target = Path(target)
    if test_samples is not None and not 1 <= test_samples <= 10_000:
        raise UsageError(f"--test-samples must be between 1 and 10000, got {test_samples}")
    if recipes:
        if calibration_sweep is not None or keep_float:
            raise UsageError("--recipes cannot be combined with --calibration-sweep or --keep-float")
        return _recipes(target, format_name, test_samples, data_dir, train_data, qat_epochs, on_step)
    if train_data is not None:
        raise UsageError("--train-data is for --recipes (qat fine-tunes on it)")
    if calibration_sweep is not None:
        return _sweep(target, calibration_sweep, format_name, calibration_seed, test_samples, keep_float, data_dir)
    if target.is_dir():
        raise UsageError(f"{target}: a folder needs --calibration-sweep; to explain an artifact give its file")
    from edgedigits.explain import explain_artifact

    return explain_artifact(path=target, keep_float=tuple(keep_float), test_samples=test_samples,
                            data_dir=data_dir)


def _sweep(target: Path, sizes_text: str, format_name: str, seed: int, test_samples: int | None,
           keep_float: tuple[str, ...], data_dir: Path | None):
    from edgedigits.explain import mnist_loader
    from edgedigits.explain.recorded import model_recorded_data
    from edgedigits.explain.sweep import calibration_sweep, parse_sizes

    if keep_float:
        raise UsageError("--keep-float and --calibration-sweep cannot be combined")
    model_dir, chosen = _model_and_format(target, format_name)
    data = model_recorded_data(model_dir, mnist_loader=mnist_loader(None, data_dir))
    sizes = parse_sizes(sizes_text, limit=data.pool_size())
    return calibration_sweep(model_dir=model_dir, sizes=sizes, data=data, format_name=chosen, seed=seed,
                             test_samples=test_samples)


def _recipes(target: Path, format_name: str, test_samples: int | None, data_dir: Path | None,
             train_data: str | None, qat_epochs: int, on_step):
    from edgedigits.explain import mnist_loader
    from edgedigits.explain.recipes import explain_recipes
    from edgedigits.explain.recorded import recorded_data
    from edgedigits.manifest import manifest_path, read_manifest

    model_dir, chosen = _model_and_format(target, format_name)
    manifest = read_manifest(model_dir) if manifest_path(model_dir).is_file() else None
    loader = mnist_loader(None, data_dir)
    return explain_recipes(model_dir=model_dir, format_name=chosen, data=recorded_data(manifest, mnist_loader=loader),
                           manifest=manifest, test_samples=test_samples, train_data=train_data,
                           qat_epochs=qat_epochs, mnist_loader=loader, on_step=on_step)


def _model_and_format(target: Path, format_name: str) -> tuple[Path, str]:
    """An artifact file: its folder and own format; a model folder: the one format `--format` names."""
    from edgedigits.artifacts import resolve_formats

    if target.is_file():
        from edgedigits.explain import locate

        model_dir, _, entry = locate(target)
        return model_dir, entry["format"]
    if target.is_dir():
        # The names `export --formats` takes, one of them: "all" or a list would sweep one format silently.
        resolved = resolve_formats([format_name]) if "," not in format_name else ()
        if len(resolved) != 1:
            raise UsageError(f"--format takes one format, got '{format_name}'")
        return target, resolved[0]
    raise ArtifactError(f"{target}: no such file or folder")
