"""Bench one runtime target (Keras or an artifact) and score it against the Keras reference.

A target is a file plus how to open it; `measure_target` loads, predicts every evaluation image once (and every
shifted copy), times it, and never raises for a bad artifact: it returns a status instead, so one broken file
never stops the bench. `score` turns predictions into the report row's numbers with the pure metrics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgedigits.artifacts import ARTIFACTS, Tolerance
from edgedigits.bench import latency, metrics, tflm_check
from edgedigits.config import BenchConfig
from edgedigits.errors import ArtifactError, EdgeDigitsError
from edgedigits.manifest import verify_artifact_file
from edgedigits.parity import compare, structure_problems, violations
from edgedigits.quiet import native_output_silenced
from edgedigits.runtimes import check_declared_inputs, open_runtime
from edgedigits.runtimes.tflm_rt import TFLMUnsupported

# Statuses, in the order a target can fail. "unsupported": TFLite Micro cannot run the file (an op it lacks); a
# check failure of that target (FAIL, exit 1), not a broken file.
OK, TAMPERED, LOAD_FAILED, UNSUPPORTED, PARITY_FAILED = "ok", "tampered", "load failed", "unsupported", "parity failed"
REFERENCE = "REF"  # verdict of the Keras row

# Used for a manifest format the registry does not know (e.g. written by a newer edgedigits).
FLOAT_DEFAULT = Tolerance(max_abs_prob_diff=1e-4)
QUANTIZED_DEFAULT = Tolerance(min_agreement=99.5, max_accuracy_drop=0.2)


@dataclass
class Target:
    name: str  # row label: the format name, "keras", or "<format>@tflm"
    format: str
    runtime: str
    precision: str
    file: str
    sha256: str
    options: dict = field(default_factory=dict)  # runtime options, e.g. {"kernels": "builtin"}
    inputs: list = field(default_factory=list)  # the manifest's input TensorSpecs (JSON), checked against the file


@dataclass
class Measured:
    status: str
    error: str | None = None
    probabilities: np.ndarray | None = None  # float32 [N,10] on the evaluation images
    shifted: dict[str, np.ndarray] = field(default_factory=dict)  # kind -> float32 [N,10]
    latency: dict | None = None
    load_ms: float | None = None
    predict_s: float | None = None
    tflm: dict | None = None  # TFLite Micro rows: bit-exactness against LiteRT's reference kernels, arena


def precision_of(entry: dict) -> str:
    """The manifest's precision, else the `<runtime>_<precision>` suffix of the format name."""
    return str(entry.get("precision") or entry.get("format", "").rsplit("_", 1)[-1])


def tolerance_for(entry: dict, config: BenchConfig) -> Tolerance:
    """The registry tolerance of the entry's format (precision-based default for unknown formats), with the
    user's overrides: agreement and accuracy drop apply to every artifact, max |Δp| only to formats judged
    on probabilities (it would fail any quantized model by design). A QAT-made int8 file is held to the accuracy
    drop only, as export held it."""
    artifact = ARTIFACTS.get(entry.get("format", ""))
    base = artifact.tolerance if artifact is not None else None
    if base is None or base == Tolerance():
        base = FLOAT_DEFAULT if precision_of(entry) == "float32" else QUANTIZED_DEFAULT
    prob = base.max_abs_prob_diff
    if config.max_prob_diff is not None and prob is not None:
        prob = config.max_prob_diff
    if (entry.get("recipe") or {}).get("name") == "qat":
        # A QAT file carries fine-tuned weights: a new model, judged by accuracy (edgedigits.quantize.search).
        from edgedigits.quantize.search import gate_for

        base = gate_for("qat", base, base)
    return Tolerance(
        max_abs_prob_diff=prob,
        min_agreement=config.min_agreement if config.min_agreement is not None else base.min_agreement,
        max_accuracy_drop=config.max_accuracy_drop if config.max_accuracy_drop is not None else base.max_accuracy_drop,
    )


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:300]


def measure_target(target: Target, *, model_dir: Path, images: np.ndarray, shifted: dict[str, np.ndarray],
                   config: BenchConfig, timed: bool = True, output: str = "probabilities", classes: int = 10) -> Measured:
    """Verify, load, predict and (if `timed`) time one target; a bad file becomes a status, not an exception."""
    path = Path(model_dir) / target.file
    if not path.is_file():
        return Measured(LOAD_FAILED, f"{path}: listed in the manifest but missing")
    try:
        verify_artifact_file(model_dir, {"file": target.file, "sha256": target.sha256})
    except ArtifactError as err:
        return Measured(TAMPERED, _one_line(err))
    try:
        # LiteRT announces its XNNPACK delegate on fd 2 at load; a CLI user has no use for it.
        with native_output_silenced():
            runtime, load_ms = latency.timed_load(
                lambda: open_runtime(target.runtime, path, threads=config.threads, output=output, **target.options),
                images[:1])
        check_declared_inputs(runtime, target.inputs, path)
        start = time.perf_counter()
        probabilities = runtime.predict(images)
        predict_s = time.perf_counter() - start
        predicted_shifts = {kind: runtime.predict(batch) for kind, batch in shifted.items()}
        timing = latency.measure(runtime, images, config=config) if timed else None
        tflm = tflm_check.against_reference_kernels(runtime, path, images, probabilities, output) \
            if target.runtime == "tflm" else None
    except TFLMUnsupported as err:
        return Measured(UNSUPPORTED, _one_line(err))
    except EdgeDigitsError as err:
        return Measured(LOAD_FAILED, _one_line(err))
    except Exception as err:  # a runtime crashing on a file it accepted: still this artifact's problem only
        return Measured(LOAD_FAILED, f"{path}: cannot run in {target.runtime} ({_one_line(err)})")
    problems = structure_problems(np.zeros((len(images), classes), np.float32), probabilities)
    if problems:
        return Measured(PARITY_FAILED, f"{path}: {'; '.join(problems)}")
    return Measured(OK, None, probabilities, predicted_shifts, timing, load_ms, predict_s, tflm)


def _parity_block(reference: np.ndarray, candidate: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy and parity numbers of `candidate` probabilities against `reference` ones."""
    ref_top, cand_top = reference.argmax(axis=1), candidate.argmax(axis=1)
    parity = compare(reference, candidate, labels)
    n = len(labels)
    right_to_wrong, wrong_to_right = metrics.flips(ref_top, cand_top, labels)
    correct, same = int(np.sum(cand_top == labels)), int(np.sum(cand_top == ref_top))
    return {
        "accuracy": {"value": parity.candidate_accuracy, "ci95": list(metrics.wilson_interval(correct, n)),
                     "delta_pp": parity.candidate_accuracy - parity.reference_accuracy},
        "parity": {"agreement": parity.agreement, "agreement_ci95": list(metrics.wilson_interval(same, n)),
                   "max_abs_diff": parity.max_abs_diff, "mean_abs_diff": parity.mean_abs_diff,
                   "flips": {"right_to_wrong": right_to_wrong, "wrong_to_right": wrong_to_right},
                   "mcnemar_p": metrics.mcnemar_exact(right_to_wrong, wrong_to_right)},
        "_parity": parity,
    }


def score(measured: Measured, *, reference: Measured, labels: np.ndarray, tolerance: Tolerance | None,
          config: BenchConfig) -> dict:
    """The numbers of a row; `tolerance=None` for the reference row itself. Needs measured.status == OK."""
    block = _parity_block(reference.probabilities, measured.probabilities, labels)
    parity = block.pop("_parity")
    ref_top, cand_top = reference.probabilities.argmax(axis=1), measured.probabilities.argmax(axis=1)
    classes = reference.probabilities.shape[1]
    matrix, ref_matrix = metrics.confusion(labels, cand_top, classes), metrics.confusion(labels, ref_top, classes)
    per_class = metrics.per_class_accuracy(matrix)
    examples = metrics.disagreements(ref_top, cand_top, config.max_examples)
    shift = {}
    for kind, probabilities in measured.shifted.items():
        shifted_block = _parity_block(reference.shifted[kind], probabilities, labels)
        shifted_parity = shifted_block.pop("_parity")
        # Informational: shift problems are reported, but the verdict is judged on the evaluation set itself.
        shift[kind] = shifted_block | {"problems": violations(shifted_parity, tolerance) if tolerance else []}
    return block | {
        "problems": violations(parity, tolerance) if tolerance is not None else [],
        "confusion": matrix.tolist(),
        "confusion_delta": (matrix - ref_matrix).tolist(),
        "per_class": {"accuracy": per_class,
                      "delta_pp": metrics.per_class_delta(per_class, metrics.per_class_accuracy(ref_matrix))},
        "disagreements": [{"index": int(i), "label": int(labels[i]), "reference": int(ref_top[i]),
                           "candidate": int(cand_top[i])} for i in examples],
        "shift": shift,
    }
