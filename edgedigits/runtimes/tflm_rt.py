"""TensorFlow Lite Micro runtime: TFLM's own interpreter and kernels (PyPI `tflite-micro`), on this CPU.

This is the microcontroller runtime itself, not a stand-in: the same C++ interpreter, memory planner and
reference kernels a board links, compiled for x86. What it cannot show is speed on a Cortex-M, so nothing here
is timed as "MCU latency"; what it does measure for the MCU developer is the tensor arena TFLM really
allocates for the model (`arena_bytes`, from TFLM's RecordingMicroAllocator report).

A model TFLM cannot prepare (an op or type it lacks) raises TFLMUnsupported naming the op, so bench can give
that artifact a row saying so and go on.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from edgedigits.errors import ArtifactError
from edgedigits.quiet import native_output_captured
from edgedigits.runtimes import TensorSpec, check_input, predict_in_chunks
from edgedigits.runtimes.tflite_rt import dequantize, quantize

# Arena handed to the interpreter when measuring: generous, so the measurement is what the model needs, not
# what was offered. TFLM's own default is 10x the model size; small models get at least 256 KiB.
MIN_MEASURING_ARENA = 256 * 1024
_ARENA_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")
_ARENA_PART = re.compile(r"Arena allocation (head|tail) (\d+) bytes")
# What TFLM prints when it cannot run a model, most specific first.
_UNSUPPORTED = (re.compile(r"Didn't find op for builtin opcode '([A-Z0-9_]+)'"),
                re.compile(r"Node ([A-Z0-9_]+) \(number \d+\) failed to prepare"),
                re.compile(r"Failed to get registration from op code ([A-Z0-9_]+)"))


class TFLMUnsupported(ArtifactError):
    """TFLite Micro cannot run this model; `op` names the operator it lacks or cannot prepare."""

    def __init__(self, message: str, op: str | None):
        super().__init__(message)
        self.op = op


def package_version() -> str:
    """The installed tflite-micro build, with the TFLM commit it was built from (e.g. 0.dev…-g8f6596d)."""
    try:
        import tflite_micro

        return str(tflite_micro.__version__)
    except (ImportError, AttributeError):
        return "unknown"


def _spec(detail: dict, name: str) -> TensorSpec:
    quant = detail.get("quantization_parameters") or {}
    scales, zero_points = list(quant.get("scales", [])), list(quant.get("zero_points", []))
    quantized = len(scales) == 1 and float(scales[0]) != 0.0
    return TensorSpec(name, tuple(int(d) for d in detail["shape"]), np.dtype(detail["dtype"]).name,
                      float(scales[0]) if quantized else None, int(zero_points[0]) if quantized else None)


def _unsupported_op(log: str) -> tuple[str, str] | None:
    """(message, op) when TFLM's log says it lacks or cannot prepare an op; None for any other failure."""
    for pattern in _UNSUPPORTED:
        found = pattern.search(log)
        if found:
            op = found.group(1)
            detail = next((line.strip() for line in log.splitlines() if line.strip() and "failed to prepare" not in line
                           and "Didn't find op" not in line), "")
            return f"TFLite Micro cannot run op {op}" + (f" ({detail[:160]})" if detail else ""), op
    return None


def _verified_flatbuffer(path: Path, data: bytes) -> None:
    """TFLM reads a flatbuffer in place without verifying it (a board trusts its own flash), so a damaged file
    could crash the process: let LiteRT's flatbuffer verifier see it first."""
    from ai_edge_litert.interpreter import Interpreter

    try:
        Interpreter(model_content=data)
    except Exception as err:  # LiteRT raises ValueError/RuntimeError for a file it refuses
        detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        # Word for word what the LiteRT row says of the same file, so bench reports the broken file once.
        raise ArtifactError(f"{path}: cannot be loaded by tflite ({detail})") from None


# sha256 of files whose probe came back clean in this process: each distinct file pays for one child process.
_PROBED: set[str] = set()
PROBE_TIMEOUT_S = 120


def _probe(data: bytes, arena_size: int) -> None:
    """Prepare and invoke the model once, zeros in: the child process's whole job (see _probed_in_child).
    Python-level failures are the parent's to report, in its own words; only a native abort matters here."""
    from tflite_micro.python.tflite_micro import runtime as tflm

    try:
        interpreter = tflm.Interpreter.from_bytes(data, arena_size=arena_size)
        detail = interpreter.get_input_details(0)
        interpreter.set_input(np.zeros(detail["shape"], detail["dtype"]), 0)
        interpreter.invoke()
    except Exception:  # noqa: BLE001 - reported by the parent, which repeats the same steps in process
        pass


def _probed_in_child(path: Path, data: bytes, arena_size: int) -> None:
    """TFLM's kernels stop the process on a failed TFLITE_CHECK instead of returning an error: a tiny int8
    scale in front of SOFTMAX makes QuantizeMultiplierGreaterThanOne abort (SIGABRT) while the interpreter
    prepares, in a file LiteRT's verifier and kernels accept (found by tests/test_fuzz_loaders.py). Which
    parameters trip which check is TFLM's business, so rather than mirror its checks, the file is prepared and
    run once in a child process first; a child killed by a signal means the file is refused in one line.
    Costs one Python start (~0.3 s) per distinct file and process."""
    import hashlib
    import os
    import signal
    import subprocess
    import sys

    digest = hashlib.sha256(data).hexdigest()
    if digest in _PROBED:
        return
    command = [sys.executable, "-c", "import sys; from edgedigits.runtimes.tflm_rt import _probe; "
               "_probe(sys.stdin.buffer.read(), int(sys.argv[1]))", str(arena_size)]
    # The child imports this very package, wherever it was imported from here (installed or a source tree).
    package_root = str(Path(__file__).resolve().parents[2])
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=PROBE_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        raise TFLMUnsupported(f"{path}: TensorFlow Lite Micro did not finish preparing and running it once in "
                              f"{PROBE_TIMEOUT_S} s", None) from None
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name if -done.returncode in signal.valid_signals() else "a signal"
        # TFLMUnsupported: inspect and bench report it as what TFLM cannot run, predict --kernels tflm exits 2.
        raise TFLMUnsupported(f"{path}: TensorFlow Lite Micro crashes on this file ({name} while preparing or "
                              "running it; TFLM trusts its input, so the file was tried in a separate process "
                              "first)", None)
    _PROBED.add(digest)


def _measuring_arena(path: Path, data: bytes) -> int:
    """An arena surely big enough to measure what the model needs: every non-constant tensor side by side,
    twice over, plus room for TFLM's per-op bookkeeping (TFLM's own default, 10x the file, fails on a small
    model with a large input)."""
    from edgedigits.tflite_graph import read_tflite_graph

    graph = read_tflite_graph(path)
    activations = sum(tensor.nbytes for tensor in graph.tensors.values() if not tensor.constant)
    return max(MIN_MEASURING_ARENA, 10 * len(data), 2 * activations + 1024 * len(graph.operators) + 64 * 1024)


class TFLMRuntime:
    name = "tflm"

    def __init__(self, path: Path, *, arena_size: int | None = None):
        from tflite_micro.python.tflite_micro import runtime as tflm

        self.path = Path(path)
        data = self.path.read_bytes()
        _verified_flatbuffer(self.path, data)
        self.arena_size = arena_size or _measuring_arena(self.path, data)
        _probed_in_child(self.path, data, self.arena_size)
        with native_output_captured(replay_on_failure=False) as log:
            try:
                self._interpreter = tflm.Interpreter.from_bytes(data, arena_size=self.arena_size)
                input_detail, output_detail = self._interpreter.get_input_details(0), \
                    self._interpreter.get_output_details(0)
            except Exception as err:  # TFLM reports why on native stderr and raises a bare RuntimeError
                failure = err
            else:
                failure = None
        if failure is not None:
            unsupported = _unsupported_op(log.text)
            if unsupported is None:
                raise ArtifactError(f"{self.path}: cannot be loaded by tflm ({str(failure).strip()[:160]})") from None
            raise TFLMUnsupported(f"{self.path}: {unsupported[0]}", unsupported[1]) from None
        self.inputs = [_spec(input_detail, "input")]
        self.outputs = [_spec(output_detail, "output")]
        self._arena: dict | None = None

    def _invoke(self, fed: np.ndarray) -> np.ndarray:
        self._interpreter.set_input(fed, 0)
        self._interpreter.invoke()
        return np.array(self._interpreter.get_output(0))

    def predict_raw(self, fed: np.ndarray) -> np.ndarray:
        """Already-quantized (or float) inputs [N,...] -> raw outputs [N,K], one invoke per image."""
        return np.concatenate([self._invoke(fed[index:index + 1]) for index in range(len(fed))])

    def predict(self, images: np.ndarray) -> np.ndarray:
        check_input(self, images, self.path)
        return predict_in_chunks(
            lambda chunk: dequantize(self.predict_raw(quantize(chunk, self.inputs[0])), self.outputs[0]), images)

    def prepare(self, images: np.ndarray):
        """For the Runtime protocol only: TFLM on this CPU says nothing about a Cortex-M, and bench does not
        time it."""
        check_input(self, images, self.path)
        fed = quantize(images, self.inputs[0])
        return lambda: dequantize(self.predict_raw(fed), self.outputs[0])

    @property
    def arena(self) -> dict:
        """The arena TFLM allocated for this model, from its RecordingMicroAllocator report (printed by
        `print_allocations()` on native stderr, captured here so it never reaches the terminal):
        {"arena_bytes": total, "head_bytes", "tail_bytes"}. Includes the recording allocator's own small
        overhead, so it is a slight over-estimate of `arena_used_bytes()` on a board."""
        if self._arena is None:
            self._invoke(np.zeros(self.inputs[0].shape, self.inputs[0].dtype))  # allocation completes on invoke
            with native_output_captured(replay_on_failure=False) as log:
                self._interpreter.print_allocations()
            total = _ARENA_TOTAL.search(log.text)
            if total is None:
                raise ArtifactError(f"{self.path}: TFLite Micro printed no arena report")
            parts = {kind: int(size) for kind, size in _ARENA_PART.findall(log.text)}
            self._arena = {"arena_bytes": int(total.group(1)), "head_bytes": parts.get("head"),
                           "tail_bytes": parts.get("tail")}
        return self._arena


def measure(path: Path) -> dict:
    """The manifest's "tflm" record of a `.tflite`: whether TFLite Micro runs it and the arena it allocates,
    or which op stops it."""
    record = {"package": f"tflite-micro {package_version()}"}
    try:
        return record | {"runs": True, **TFLMRuntime(path).arena}
    except TFLMUnsupported as err:
        return record | {"runs": False, "op": err.op, "error": str(err).split(": ", 1)[-1]}
    except ArtifactError as err:  # never fails an export: the record says TFLM could not run it, and why
        return record | {"runs": False, "op": None, "error": str(err).split(": ", 1)[-1]}


def open(path: Path, *, threads: int = 1, arena_size: int | None = None) -> TFLMRuntime:  # noqa: A001
    del threads  # TFLM is single-threaded, like the microcontroller it stands for
    return TFLMRuntime(path, arena_size=arena_size)
