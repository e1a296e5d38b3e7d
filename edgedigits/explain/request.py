"""One `explain` request, as `edgedigits explain` and `edgedigits.explain()` both take it: an int8 artifact to
debug layer by layer, or (with sweep sizes) an artifact or model folder to re-export at each calibration size.
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.config import ExportConfig
from edgedigits.errors import ArtifactError, UsageError


def explain_target(*, target: Path, keep_float: tuple[str, ...] = (), calibration_sweep: str | None = None,
                   format_name: str = "int8", calibration_seed: int = ExportConfig.calibration_seed,
                   test_samples: int | None = None, data_dir: Path | None = None):
    """The Explanation of `target`; `calibration_sweep` is the comma-separated sizes ("10,100,1000")."""
    from edgedigits.data import load_mnist

    target = Path(target)
    if test_samples is not None and not 1 <= test_samples <= 10_000:
        raise UsageError(f"--test-samples must be between 1 and 10000, got {test_samples}")
    if calibration_sweep is not None:
        return _sweep(target, calibration_sweep, format_name, calibration_seed, test_samples, keep_float, data_dir)
    if target.is_dir():
        raise UsageError(f"{target}: a folder needs --calibration-sweep; to explain an artifact give its file")
    from edgedigits.explain import explain_artifact

    return explain_artifact(path=target, mnist=load_mnist(data_dir), keep_float=tuple(keep_float),
                            test_samples=test_samples)


def _sweep(target: Path, sizes_text: str, format_name: str, seed: int, test_samples: int | None,
           keep_float: tuple[str, ...], data_dir: Path | None):
    from edgedigits.artifacts import resolve_formats
    from edgedigits.data import load_mnist
    from edgedigits.explain.sweep import calibration_sweep, parse_sizes

    if keep_float:
        raise UsageError("--keep-float and --calibration-sweep cannot be combined")
    mnist = load_mnist(data_dir)
    sizes = parse_sizes(sizes_text, limit=len(mnist.x_train))
    if target.is_file():
        # An artifact file: sweep its own format, in its folder.
        from edgedigits.explain import locate

        model_dir, _, entry = locate(target)
        chosen = entry["format"]
    elif target.is_dir():
        # The names `export --formats` takes, one of them: "all" or a list would sweep one format silently.
        resolved = resolve_formats([format_name]) if "," not in format_name else ()
        if len(resolved) != 1:
            raise UsageError(f"--format takes one format, got '{format_name}'")
        model_dir, chosen = target, resolved[0]
    else:
        raise ArtifactError(f"{target}: no such file or folder")
    return calibration_sweep(model_dir=model_dir, sizes=sizes, mnist=mnist, format_name=chosen, seed=seed,
                             test_samples=test_samples)
