"""Which manifest describes an artifact file: one lookup for every command that takes a file path.

`inspect` and `predict` use it; any command handed a `.tflite`/`.onnx`/`.keras` path can. A manifest beside
the file is always read through `read_manifest`, so a corrupt one is an ArtifactError naming it, never a
silent "no manifest" that would skip the tamper check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edgedigits.errors import UsageError

# File suffix -> the runtime that loads a file not listed in any manifest.
SUFFIX_RUNTIMES = {".tflite": "tflite", ".onnx": "onnxruntime", ".keras": "keras"}


@dataclass(frozen=True)
class Location:
    path: Path
    model_dir: Path  # the folder holding the file (and its manifest.json, if any)
    manifest: dict | None  # None: no manifest.json beside the file
    entry: dict | None  # the manifest's record of this very file; None when the manifest does not list it
    source: bool = False  # `entry` is manifest["source"] (the trained model.keras): {file, sha256} only

    def verify(self) -> Path:
        """The file, after its sha256 check against `entry` (ArtifactError naming it if it differs)."""
        from edgedigits.manifest import verify_artifact_file

        return verify_artifact_file(self.model_dir, self.entry)


def check_suffix(path: Path) -> None:
    if Path(path).suffix not in SUFFIX_RUNTIMES:
        raise UsageError(f"{path}: unknown artifact type '{Path(path).suffix}' "
                         f"(expected {', '.join(SUFFIX_RUNTIMES)})")


def locate_artifact(path: Path) -> Location:
    """The folder, manifest and manifest entry of an artifact file; ArtifactError naming a corrupt manifest."""
    from edgedigits.manifest import manifest_path, read_manifest

    path = Path(path)
    model_dir = path.parent
    if not manifest_path(model_dir).exists():
        return Location(path, model_dir, None, None)
    manifest = read_manifest(model_dir)
    for entry in manifest["artifacts"].values():
        if entry["file"] == path.name:
            return Location(path, model_dir, manifest, entry)
    source = manifest["source"]
    if isinstance(source, dict) and source.get("file") == path.name and "sha256" in source:
        return Location(path, model_dir, manifest, source, source=True)
    return Location(path, model_dir, manifest, None)
