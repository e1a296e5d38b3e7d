"""LiteRT (`ai_edge_litert`) runtime for every `.tflite` format, float or quantized."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgedigits.errors import UsageError
from edgedigits.runtimes import TensorSpec, check_input, predict_in_chunks

# LiteRT kernel sets, named for what they are:
# "default": builtin kernels with the XNNPACK delegate, what a phone app gets.
# "builtin": LiteRT's optimized builtin kernels, no delegate (BUILTIN_WITHOUT_DEFAULT_DELEGATES).
# "reference": LiteRT's reference kernels (BUILTIN_REF), the same arithmetic TFLite Micro's reference kernels
#              implement; bench counts how many TFLM outputs are bit-exact with these.
KERNELS = ("default", "builtin", "reference")


def tensor_spec(detail: dict) -> TensorSpec:
    """A LiteRT tensor-details dict as a TensorSpec (quantized when its scale is non-zero)."""
    scale, zero_point = detail["quantization"]
    quantized = scale != 0.0
    shape = tuple(int(d) for d in detail.get("shape_signature", detail["shape"]))
    return TensorSpec(detail["name"], shape, np.dtype(detail["dtype"]).name,
                      float(scale) if quantized else None, int(zero_point) if quantized else None)


def round_half_away_from_zero(values: np.ndarray) -> np.ndarray:
    """The one rounding rule of every generated app and of this runtime: LiteRT's own QUANTIZE kernel rounds
    `value / scale` with std::round (ties away from zero), not numpy's ties-to-even. Kotlin and Swift mirror it."""
    # trunc, then step away from zero when the fraction is at least one half: exact for every float32, where
    # floor(|x| + 0.5) would round 0.49999997 up (the + 0.5 itself rounds).
    values = np.asarray(values)
    whole = np.trunc(values)
    return np.where(np.abs(values - whole) >= 0.5, whole + np.sign(values), whole)


def quantize(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    """float -> integer tensor as LiteRT's QUANTIZE kernel does it: q = clip(round(x / scale) + zero_point),
    round ties away from zero (the TF tutorial's astype truncates; we round)."""
    if spec.scale is None:
        return values.astype(spec.dtype, copy=False)
    info = np.iinfo(spec.dtype)
    scaled = np.asarray(values, dtype=np.float32) / np.float32(spec.scale)
    return np.clip(round_half_away_from_zero(scaled) + spec.zero_point, info.min, info.max).astype(spec.dtype)


def dequantize(values: np.ndarray, spec: TensorSpec) -> np.ndarray:
    if spec.scale is None:
        return values.astype(np.float32, copy=False)
    return (spec.scale * (values.astype(np.float32) - spec.zero_point)).astype(np.float32)


class TFLiteRuntime:
    name = "tflite"

    def __init__(self, path: Path, *, threads: int, kernels: str = "default"):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        if kernels not in KERNELS:
            raise UsageError(f"kernels must be one of {', '.join(KERNELS)}, got '{kernels}'")
        resolver = {"default": OpResolverType.AUTO, "builtin": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                    "reference": OpResolverType.BUILTIN_REF}[kernels]
        self.path = Path(path)
        self.kernels = kernels
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads,
                                        experimental_op_resolver_type=resolver)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.inputs = [tensor_spec(d) for d in self._interpreter.get_input_details()]
        self.outputs = [tensor_spec(d) for d in self._interpreter.get_output_details()]
        self._batch = int(self._input["shape"][0])
        # A static-batch model (every device export: input [1,H,W,C]) cannot be resized, since its RESHAPE has
        # the batch baked in: it is run one image per invoke, as a device runs it.
        self.static_batch = self._batch if -1 not in self.inputs[0].shape else None

    def _resize(self, batch: int) -> None:
        if batch != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], [batch, *self._input["shape"][1:]])
            self._interpreter.allocate_tensors()
            self._batch = batch

    def _invoke(self, quantized: np.ndarray) -> np.ndarray:
        self._resize(len(quantized))
        self._interpreter.set_tensor(self._input["index"], quantized)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"])

    def predict_raw(self, quantized: np.ndarray) -> np.ndarray:
        """Run on an already-quantized input; returns the raw output tensor (int8 for int8 models)."""
        if self.static_batch is None or len(quantized) == self.static_batch:
            return self._invoke(quantized)
        step = self.static_batch
        return np.concatenate([self._invoke(quantized[start:start + step]) for start in range(0, len(quantized), step)])

    def predict(self, images: np.ndarray) -> np.ndarray:
        check_input(self, images, self.path)
        return predict_in_chunks(
            lambda chunk: dequantize(self.predict_raw(quantize(chunk, self.inputs[0])), self.outputs[0]), images)

    def prepare(self, images: np.ndarray):
        """See Runtime.prepare. A static-batch model runs `images` as consecutive batch-1 invokes (what a
        device does; bench reports its throughput as such)."""
        check_input(self, images, self.path)
        if self.static_batch is not None and len(images) != self.static_batch:
            singles = [self.prepare(images[index:index + 1]) for index in range(len(images))]
            return lambda: np.concatenate([infer() for infer in singles])
        self._resize(len(images))
        interpreter, input_index, output_index = self._interpreter, self._input["index"], self._output["index"]
        in_spec, out_spec = self.inputs[0], self.outputs[0]
        write_input = _input_writer(interpreter, input_index, images, in_spec)

        def infer() -> np.ndarray:
            write_input()
            interpreter.invoke()
            return dequantize(interpreter.get_tensor(output_index), out_spec)

        return infer


def _input_writer(interpreter, input_index: int, images: np.ndarray, spec: TensorSpec):
    """A call that fills the model's input buffer in place, the way an app does per frame.

    When the images are 8-bit pixels scaled by /255 (MNIST, camera bitmaps), timing starts from the pixels as an
    app receives them: float models divide by 255, quantized models map each pixel through a 256-entry table
    built with `quantize` (the usual app idiom, one lookup per pixel). Both produce exactly the values `predict`
    feeds. Other inputs are quantized arithmetically, in preallocated buffers.
    """
    pixels = np.rint(images * 255).astype(np.uint8)
    from_pixels = np.array_equal(pixels.astype(np.float32) / 255, images)
    target_dtype = np.dtype(spec.dtype)
    if from_pixels and spec.scale is None:
        scratch = np.empty(images.shape, np.float32)

        def write() -> None:
            np.divide(pixels, np.float32(255), out=scratch)
            interpreter.tensor(input_index)()[...] = scratch
    elif from_pixels:
        table = quantize(np.arange(256, dtype=np.float32) / 255, spec)
        quantized = np.empty(images.shape, target_dtype)

        def write() -> None:
            np.take(table, pixels, out=quantized)
            interpreter.tensor(input_index)()[...] = quantized
    else:
        converted = np.empty(images.shape, target_dtype)

        def write() -> None:
            converted[...] = quantize(images, spec)
            interpreter.tensor(input_index)()[...] = converted

    return write


def open(path: Path, *, threads: int, kernels: str = "default") -> TFLiteRuntime:  # noqa: A001 - registry hook
    return TFLiteRuntime(path, threads=threads, kernels=kernels)
