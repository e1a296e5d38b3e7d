"""ONNX Runtime (CPU execution provider) for every `.onnx` format."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgedigits.runtimes import TensorSpec, check_input, predict_in_chunks

_ORT_TYPES = {"tensor(float)": "float32", "tensor(int8)": "int8", "tensor(uint8)": "uint8", "tensor(float16)": "float16"}


def _spec(node) -> TensorSpec:
    shape = tuple(d if isinstance(d, int) else -1 for d in node.shape)
    return TensorSpec(node.name, shape, _ORT_TYPES.get(node.type, node.type))


class OnnxRuntime:
    name = "onnxruntime"

    def __init__(self, path: Path, *, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: ORT warns about unused initializers on every load
        self.path = Path(path)
        self._session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self.inputs = [_spec(node) for node in self._session.get_inputs()]
        self.outputs = [_spec(node) for node in self._session.get_outputs()]
        self._input_name = self.inputs[0].name

    def predict(self, images: np.ndarray) -> np.ndarray:
        check_input(self, images, self.path)
        return predict_in_chunks(
            lambda chunk: self._session.run(None, {self._input_name: chunk})[0].astype(np.float32, copy=False),
            images.astype(np.float32, copy=False))

    def prepare(self, images: np.ndarray):
        check_input(self, images, self.path)
        session, feed = self._session, {self._input_name: np.ascontiguousarray(images, dtype=np.float32)}
        output_names = [self.outputs[0].name]
        return lambda: session.run(output_names, feed)[0]


def open(path: Path, *, threads: int) -> OnnxRuntime:  # noqa: A001 - registry hook
    return OnnxRuntime(path, threads=threads)
