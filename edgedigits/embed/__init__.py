"""`edgedigits embed`: a self-contained bundle that drops one `.tflite` artifact into an app.

Targets are one module each (android, ios, mcu) exposing `KERNELS` (which golden vectors it ships) and
`build(context) -> {relative path: bytes}`. Every number in the generated code comes from the manifest via
`EmbedContext`. The bundle is written into a temporary folder beside the destination and renamed into place
only when complete, so an interrupted embed never leaves a half bundle.
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

TARGETS = ("android", "ios", "mcu")
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
    }


def _replace_folder(staging: Path, destination: Path) -> None:
    """Move a complete `staging` folder to `destination`, replacing an older bundle there."""
    old = None
    if destination.exists():
        if not destination.is_dir():
            raise ArtifactError(f"{destination}: exists and is not a folder")
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


def embed_bundle(*, model_dir: Path, target: str, fmt: str = DEFAULT_FORMAT, out: Path | None = None) -> Path:
    """Write the `target` bundle for artifact `fmt` of `model_dir`; returns the bundle folder."""
    from edgedigits.artifacts import ALIASES
    from edgedigits.embed.context import load_context

    if target not in TARGETS:
        raise UsageError(f"--target {target}: unknown target (choose from {', '.join(TARGETS)})")
    fmt = ALIASES.get(fmt, fmt)
    module = importlib.import_module(f"edgedigits.embed.{target}")
    context = load_context(model_dir=Path(model_dir), fmt=fmt, kernels=module.KERNELS)
    files = module.build(context)
    files[BUNDLE_RECORD] = (json.dumps(_record(context, target, files), indent=2) + "\n").encode()

    destination = Path(out) if out is not None else Path(model_dir) / "embed" / target
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
