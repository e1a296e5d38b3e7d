"""What every bundle target needs, read once from the manifest: the model bytes, its I/O numbers, labels and
the golden vectors for the kernels that target runs. Every number a snippet prints comes from here; the README
sections every target shares are in `edgedigits.embed.readme`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgedigits.errors import UsageError

SUPPORTED_IO = ("int8", "float32")  # the I/O dtypes the generated snippets handle


@dataclass(frozen=True)
class TensorNumbers:
    name: str
    shape: tuple[int, ...]  # batch 1
    dtype: str  # "int8" or "float32"
    scale: float | None
    zero_point: int | None

    @property
    def quantized(self) -> bool:
        return self.scale is not None

    @property
    def elements(self) -> int:
        return int(np.prod(self.shape))

    @property
    def element_bytes(self) -> int:
        return np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class EmbedContext:
    model_dir: Path
    manifest: dict
    format: str  # registry name, e.g. "tflite_int8"
    entry: dict  # the manifest's artifact entry
    model_bytes: bytes
    input: TensorNumbers
    output: TensorNumbers
    labels: list[str]
    golden_set: dict  # the manifest's golden record for (format, kernels)
    golden_input: np.ndarray  # [N, ...] exactly what is fed (int8 or float32)
    golden_output: np.ndarray  # [N, K] raw outputs (int8 or float32; logits for a logits model)
    golden_labels: np.ndarray  # uint8 [N]
    extra: dict = field(default_factory=dict)
    golden_pixels: np.ndarray | None = None  # float32 [N, H*W*C]: the model inputs before quantization

    @property
    def model_name(self) -> str:
        return str(self.manifest["model"])

    @property
    def preprocessing(self):
        """The manifest's pixel recipe (`edgedigits.pixels.Preprocessing`); older manifests: the digit model's."""
        from edgedigits.pixels import Preprocessing

        return Preprocessing.from_manifest(self.manifest.get("preprocessing"))

    @property
    def digit_recipe(self) -> bool:
        """True when the bundle ships the MNIST digit recipe (framing, golden digit photos); else pixel mapping."""
        preprocessing = self.preprocessing
        return preprocessing.mnist_recipe and preprocessing.shape == (28, 28, 1)

    @property
    def logits(self) -> bool:
        """The model outputs logits (manifest classifier.output): classify() applies softmax; goldens stay raw."""
        return (self.manifest.get("classifier") or {}).get("output", "probabilities") == "logits"

    @property
    def model_file_name(self) -> str:
        return f"{self.model_name}_{self.format}.tflite"

    @property
    def model_sha256(self) -> str:
        return hashlib.sha256(self.model_bytes).hexdigest()

    @property
    def tolerance(self) -> float:
        """Per-element tolerance for an on-device golden test: int8 steps, or absolute probability."""
        tolerance = self.golden_set["tolerance"]
        return float(tolerance.get("max_abs_steps", tolerance.get("max_abs", 0.0)))


def _numbers(spec: dict, *, path: Path, role: str) -> TensorNumbers:
    if spec["dtype"] not in SUPPORTED_IO:
        raise UsageError(f"{path}: {role} dtype {spec['dtype']} is not supported by the bundles "
                         f"(supported: {', '.join(SUPPORTED_IO)})")
    quant = spec.get("quantization")
    shape = tuple(1 if d == -1 else int(d) for d in spec["shape"])
    return TensorNumbers(spec["name"], shape, spec["dtype"], quant["scale"] if quant else None,
                         quant["zero_point"] if quant else None)


def load_context(*, model_dir: Path, fmt: str, kernels: str, runtime: str = "tflite") -> EmbedContext:
    """Read and check everything a bundle needs; UsageError/ArtifactError naming the file or option.
    `runtime`: the manifest runtime of the formats the target embeds ("tflite"; the web target also "onnxruntime")."""
    from edgedigits.golden import find_golden_set, load_golden_array
    from edgedigits.manifest import read_manifest, verify_artifact_file

    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    kind = {"tflite": ".tflite", "onnxruntime": ".onnx"}.get(runtime, runtime)
    formats = [name for name, entry in manifest["artifacts"].items() if entry["runtime"] == runtime]
    if fmt not in manifest["artifacts"] or fmt not in formats:
        raise UsageError(f"--format {fmt}: not a {kind} artifact in {model_dir / 'manifest.json'} "
                         f"(available: {', '.join(formats) or f'none; export a {kind} format first'})")
    entry = manifest["artifacts"][fmt]
    path = verify_artifact_file(model_dir, entry)
    tflm = entry.get("tflm") or {}
    if kernels == "tflm" and tflm.get("runs") is False:  # no TFLM goldens exist for it: say why, not "re-export"
        raise UsageError(f"--format {fmt}: TensorFlow Lite Micro cannot run {entry['file']} "
                         f"({tflm.get('error') or 'unsupported'}); embed a format it runs, e.g. tflite_int8")
    golden_set = find_golden_set(manifest, artifact=fmt, kernels=kernels, manifest_dir=model_dir)
    golden_input = load_golden_array(model_dir, golden_set["input"])
    golden_labels = load_golden_array(model_dir, manifest["golden"]["labels_file"])
    return EmbedContext(
        model_dir=model_dir, manifest=manifest, format=fmt, entry=entry, model_bytes=path.read_bytes(),
        input=_numbers(entry["inputs"][0], path=path, role="input"),
        output=_numbers(entry["outputs"][0], path=path, role="output"),
        labels=[str(label) for label in manifest["labels"]], golden_set=golden_set,
        golden_input=golden_input.reshape(len(golden_input), -1),
        golden_output=load_golden_array(model_dir, golden_set["output"]).reshape(len(golden_input), -1),
        golden_labels=golden_labels.astype(np.uint8),
        golden_pixels=load_golden_array(model_dir, manifest["golden"]["inputs"]).reshape(len(golden_input), -1),
    )


def little_endian_bytes(array: np.ndarray) -> bytes:
    """Raw bytes for the `.bin` golden files: int8 as is, float32 little-endian, row-major."""
    array = np.ascontiguousarray(array)
    return array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()


def app_resources(context: EmbedContext, folder: str, test_folder: str | None = None) -> dict[str, bytes]:
    """The files a mobile app bundles: the model and labels as resources under `folder` (Android assets/, iOS
    Resources/), and the golden vectors as raw binary under `test_folder` (test-only assets; `folder` when
    None). Raw binary because a Kotlin/Swift array literal of thousands of values would exceed compiler limits.
    golden_pixels.bin holds the float32 model inputs the golden inputs were made from (for a classify() test)."""
    tests = test_folder or folder
    files = {
        f"{folder}/{context.model_file_name}": context.model_bytes,
        f"{folder}/labels.txt": ("\n".join(context.labels) + "\n").encode(),
        f"{tests}/golden_inputs.bin": little_endian_bytes(context.golden_input),
        f"{tests}/golden_outputs.bin": little_endian_bytes(context.golden_output),
        f"{tests}/golden_expected_class.bin": context.golden_output.argmax(axis=1).astype("uint8").tobytes(),
    }
    if context.golden_pixels is not None:
        files[f"{tests}/golden_pixels.bin"] = little_endian_bytes(context.golden_pixels.astype(np.float32))
    return files


def f32(value: float) -> str:
    """A float literal that round-trips the manifest's float32 value (9 significant digits)."""
    return f"{value:.9g}"


def string_literal(text: str, language: str) -> str:
    """A double-quoted Kotlin or Swift string literal of `text` (labels are the user's text): backslash and
    quote escaped, Kotlin's `$` templates escaped, control characters as unicode escapes; other text as is."""
    out = []
    for char in text:
        if char in '\\"' or (char == "$" and language == "kotlin"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}" if language == "kotlin" else f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
