"""The web bundle on LiteRT.js: a .tflite in the browser, WebAssembly with XNNPACK kernels.

LiteRT.js 2.5 refuses int8 input/output tensors and dynamic-batch models (it has no resize), so the default
is int8 kernels with float32 I/O at a static batch of 1: tflite_int8_float_io. When the model folder lacks
one that fits, `prepare` exports it through the normal export path (verified against Keras, recorded in the
manifest with its golden vectors), from the data, labels and pixel mapping the manifest recorded, before the
bundle is built. Golden vectors: LiteRT's default path (XNNPACK).
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.embed.web import bundle
from edgedigits.embed.web.vendor import LITERT
from edgedigits.errors import ArtifactError, UsageError

KERNELS = "default"
DEFAULT_FORMAT = "tflite_int8_float_io"
ARTIFACT_RUNTIME = "tflite"  # the manifest's runtime of the formats this bundle can embed


def _dynamic(spec: dict) -> bool:
    return any(int(d) < 0 for d in spec["shape"])


def check_format(fmt: str, entry: dict, path: Path) -> None:
    for role in ("inputs", "outputs"):
        spec = entry[role][0]
        if spec["dtype"] != "float32":
            raise UsageError(f"--format {fmt}: LiteRT.js refuses {spec['dtype']} {role[:-1]} tensors; embed "
                             "int8-float-io (the default: int8 kernels, float32 I/O) or a float format")
    if _dynamic(entry["inputs"][0]):
        raise UsageError(f"{path}: dynamic input shape {entry['inputs'][0]['shape']}, but LiteRT.js needs a static "
                         f"one; re-export it with `edgedigits export` (which writes static batch-1 .tflite files)")


def _fits(entry: dict | None) -> bool:
    return (entry is not None and not _dynamic(entry["inputs"][0])
            and all(entry[role][0]["dtype"] == "float32" for role in ("inputs", "outputs")))


def _missing(*, model_dir: Path, fmt: str, named: bool) -> bool:
    """True when the default format is to be embedded and the folder has none that fits."""
    from edgedigits.manifest import read_manifest

    if named or fmt != DEFAULT_FORMAT:
        return False  # a format the user named is embedded as it is, or refused with the reason
    try:
        manifest = read_manifest(Path(model_dir))
    except ArtifactError:
        return False  # load_context reports the missing or broken manifest
    return not _fits(manifest["artifacts"].get(fmt))


def pending_export(*, model_dir: Path, fmt: str, named: bool) -> str | None:
    """The format `prepare` will export first, or None (the CLI says so before the export starts)."""
    from edgedigits.train import MODEL_FILE

    exportable = (Path(model_dir) / MODEL_FILE).is_file()
    return fmt if exportable and _missing(model_dir=model_dir, fmt=fmt, named=named) else None


def prepare(*, model_dir: Path, fmt: str, named: bool) -> None:
    """Export the default format into `model_dir` when no exported one fits (see the module docstring)."""
    if not _missing(model_dir=model_dir, fmt=fmt, named=named):
        return
    from edgedigits.embed.web.vendor import LITERT, installed_version

    installed_version(LITERT)  # a missing `make node` is said before the model folder gains an export
    from edgedigits.config import ExportConfig
    from edgedigits.export import export_model
    from edgedigits.manifest import read_manifest
    from edgedigits.quiet import import_tensorflow_quietly
    from edgedigits.train import MODEL_FILE

    model_dir = Path(model_dir)
    if not (model_dir / MODEL_FILE).is_file():
        raise ArtifactError(f"{model_dir}: no static batch-1 {fmt} to embed and no {MODEL_FILE} to export one "
                            f"from; run `edgedigits export` on the trained model")
    # Calibrated like the folder's other int8 files, so the bundle matches what bench measured for them.
    calibration = next((entry["calibration"] for entry in read_manifest(model_dir)["artifacts"].values()
                        if "calibration" in entry), {})
    config = ExportConfig(**{key: calibration[name] for key, name in
                             (("calibration_samples", "samples"), ("calibration_seed", "seed")) if name in calibration})
    import_tensorflow_quietly()
    export_model(model_dir=model_dir, formats=(fmt,), config=config, options=recorded_options(read_manifest(model_dir)))


def recorded_options(manifest: dict):
    """The data, labels and pixel mapping the folder's export recorded, as `export_model` takes them, so the
    extra format is calibrated, checked and given golden vectors exactly like the others (a user model's own
    .npz/folder/IDX data; MNIST where the manifest says MNIST)."""
    from edgedigits.export_data import MNIST_CALIBRATION, DataOptions
    from edgedigits.pixels import Preprocessing

    data = manifest.get("data") or {}
    test = data.get("test") or {"kind": "mnist test"}
    calibration = data.get("calibration") or next(
        (entry["calibration"] for entry in manifest["artifacts"].values() if entry.get("calibration")), {})
    source = calibration.get("source", MNIST_CALIBRATION)
    preprocessing = Preprocessing.from_manifest(manifest.get("preprocessing"))
    return DataOptions(
        test_data=None if test.get("kind") == "mnist test" else test["source"],
        calibration_data=None if source == MNIST_CALIBRATION else source.rsplit(": seeded random sample", 1)[0],
        labels=tuple(manifest["labels"]) if "labels" in manifest else None,
        pixel_scale=preprocessing.scale, pixel_offset=preprocessing.offset,
        channel_order=preprocessing.channel_order)


def build(context) -> dict[str, bytes]:
    return bundle.build(context, LITERT)
