"""`edgedigits embed`: a self-contained bundle that drops one `.tflite` artifact into an app.

Targets are one module (or package) each exposing `KERNELS` (which golden vectors it ships) and
`build(context) -> {relative path: bytes}`; optionally `DEFAULT_FORMAT` (the format embedded when none is named)
and `check_format(fmt, entry, path)`, which raises UsageError for a format the target's runtime cannot feed. A target
with a choice of runtime (web: LiteRT.js or ONNX Runtime Web) is a package whose `for_runtime(name)` returns such a
module; that module may name `ARTIFACT_RUNTIME` (the manifest runtime it embeds, default "tflite") and may define
`prepare(model_dir=, fmt=, named=)`, which exports the default format first when the folder lacks one that fits.
Every number in the generated code comes from the manifest via
`EmbedContext`. The bundle is written into a temporary folder beside the destination and renamed into place
only when complete, so an interrupted embed never leaves a half bundle. The destination is replaced only when
it is empty or holds an earlier bundle (`bundle.json`): `--out` pointed at a model folder deletes nothing.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from edgedigits.errors import ArtifactError, UsageError
from edgedigits.fileio import TEMP_PREFIX

TARGETS = ("android", "ios", "mcu", "web")
DEFAULT_FORMAT = "tflite_int8"
BUNDLE_RECORD = "bundle.json"


def _record(context, target: str, files: dict[str, bytes]) -> dict:
    import hashlib

    return {
        "target": target, "model": context.model_name, "format": context.format,
        "source": {"manifest": str(context.model_dir / "manifest.json"), "file": context.entry["file"],
                   "sha256": context.entry["sha256"]},
        "input": context.entry["inputs"][0], "output": context.entry["outputs"][0], "labels": context.labels,
        "golden": {"kernels": context.golden_set["kernels"], "computed_by": context.golden_set["computed_by"],
                   "tolerance": context.golden_set["tolerance"], "count": len(context.golden_labels)},
        "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in sorted(files.items())},
        **context.extra.get("record", {}),  # target-specific facts a build() chose to record (mcu: the arena)
    }


def _check_replaceable(destination: Path) -> None:
    """Refuse to replace anything but an empty folder or an earlier bundle: `--out` may point anywhere."""
    if not destination.exists() and not destination.is_symlink():
        return
    if destination.is_symlink() or not destination.is_dir():
        raise UsageError(f"--out {destination}: exists and is not a folder; choose another --out")
    if any(destination.iterdir()) and not (destination / BUNDLE_RECORD).is_file():
        raise UsageError(f"--out {destination}: folder is not empty and holds no earlier bundle ({BUNDLE_RECORD}); "
                         "refusing to replace it, choose another --out")


def _replace_folder(staging: Path, destination: Path) -> None:
    """Move a complete `staging` folder to `destination`, replacing an empty folder or an older bundle there."""
    _check_replaceable(destination)  # again: the folder may have changed while the bundle was built
    old = None
    if destination.exists():
        old = destination.with_name(f"{TEMP_PREFIX}old-{destination.name}-{os.getpid()}")
        os.rename(destination, old)
    try:
        os.rename(staging, destination)
    except BaseException:
        if old is not None:  # put the previous bundle back
            os.rename(old, destination)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _registry_name(fmt: str) -> str:
    """`fmt` read as `export --formats` reads it (aliases included). An unknown name is left as given:
    `load_context` refuses it with the list of .tflite formats the model folder holds."""
    from edgedigits.artifacts import resolve_formats

    if fmt.strip() == "all":
        raise UsageError("--format all: embed bundles one format; name it")
    try:
        return resolve_formats([fmt])[0]
    except UsageError:
        return fmt


def embed_bundle(*, model_dir: Path, target: str, fmt: str | None = None, out: Path | None = None,
                 runtime: str | None = None) -> Path:
    """Write the `target` bundle for artifact `fmt` (None: the target's default) of `model_dir`; returns the
    bundle folder. `runtime` picks the runtime of a target that has a choice (web: "litert" or "onnx")."""
    from edgedigits.embed.context import load_context

    if target not in TARGETS:
        raise UsageError(f"--target {target}: unknown target (choose from {', '.join(TARGETS)})")
    destination = Path(out) if out is not None else Path(model_dir) / "embed" / target
    _check_replaceable(destination)
    module = importlib.import_module(f"edgedigits.embed.{target}")
    if hasattr(module, "for_runtime"):
        module = module.for_runtime(runtime)
    elif runtime is not None:
        raise UsageError(f"--runtime {runtime}: only the web target has a choice of runtime")
    named = fmt is not None
    fmt = _registry_name(fmt if fmt is not None else getattr(module, "DEFAULT_FORMAT", DEFAULT_FORMAT))
    if hasattr(module, "prepare"):
        module.prepare(model_dir=Path(model_dir), fmt=fmt, named=named)
    context = load_context(model_dir=Path(model_dir), fmt=fmt, kernels=module.KERNELS,
                           runtime=getattr(module, "ARTIFACT_RUNTIME", "tflite"))
    if hasattr(module, "check_format"):
        module.check_format(fmt, context.entry, Path(model_dir) / context.entry["file"])
    files = module.build(context)
    files[BUNDLE_RECORD] = (json.dumps(_record(context, target, files), indent=2) + "\n").encode()

    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}embed-", dir=destination.parent))
    except OSError as err:
        raise ArtifactError(f"{destination.parent}: cannot write the bundle there ({err.strerror or err})") from None
    try:
        for relative, data in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700; a bundle folder is an ordinary folder
        _replace_folder(staging, destination)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
    return destination


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
