"""Parity between a candidate's probabilities and the Keras reference: pure functions of arrays.

Shape, dtype and values are checked separately (as tf2onnx's tests do) so a failure says which went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgedigits.artifacts import Tolerance


@dataclass(frozen=True)
class Parity:
    images: int
    agreement: float  # % same top-1 class
    max_abs_diff: float  # max |Δp| over images and classes
    mean_abs_diff: float
    reference_accuracy: float | None = None  # % (when labels are given)
    candidate_accuracy: float | None = None

    @property
    def accuracy_drop(self) -> float | None:
        if self.reference_accuracy is None or self.candidate_accuracy is None:
            return None
        return self.reference_accuracy - self.candidate_accuracy


def compare(reference: np.ndarray, candidate: np.ndarray, labels: np.ndarray | None = None) -> Parity:
    diff = np.abs(reference.astype(np.float64) - candidate.astype(np.float64))
    ref_top, cand_top = reference.argmax(axis=1), candidate.argmax(axis=1)
    accuracies = (None, None)
    if labels is not None:
        accuracies = (float(np.mean(ref_top == labels) * 100), float(np.mean(cand_top == labels) * 100))
    return Parity(len(reference), float(np.mean(ref_top == cand_top) * 100), float(diff.max()), float(diff.mean()),
                  *accuracies)


# Percentages are differences of float means: on 500 images one image is 0.2 pp, computed as 0.20000000000000284.
# A threshold met exactly must pass, so comparisons allow this much rounding.
ROUNDING_SLACK = 1e-9


def violations(parity: Parity, tolerance: Tolerance) -> list[str]:
    """Human-readable reasons `parity` misses `tolerance`; empty when it passes."""
    problems = []
    if tolerance.max_abs_prob_diff is not None and not parity.max_abs_diff <= tolerance.max_abs_prob_diff:
        problems.append(f"max |Δp| {parity.max_abs_diff:.2e} > {tolerance.max_abs_prob_diff:.0e}")
    if tolerance.min_agreement is not None and not parity.agreement >= tolerance.min_agreement - ROUNDING_SLACK:
        problems.append(f"top-1 agreement {parity.agreement:.2f}% < {tolerance.min_agreement}%")
    drop = parity.accuracy_drop
    if tolerance.max_accuracy_drop is not None and drop is not None and not drop <= tolerance.max_accuracy_drop + ROUNDING_SLACK:
        problems.append(f"accuracy drop {drop:.2f} pp > {tolerance.max_accuracy_drop} pp")
    return problems


def structure_problems(reference: np.ndarray, candidate: np.ndarray) -> list[str]:
    """Shape and dtype mismatches (checked before values, so the message says what is wrong)."""
    problems = []
    if candidate.shape != reference.shape:
        problems.append(f"output shape {list(candidate.shape)} != Keras {list(reference.shape)}")
    if candidate.dtype != np.float32:
        problems.append(f"output dtype {candidate.dtype} != float32")
    if not problems and not np.all(np.isfinite(candidate)):
        problems.append("output has NaN or infinite values")
    return problems
