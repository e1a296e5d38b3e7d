"""Pure metric functions of label / prediction arrays: no I/O, no runtimes, no state.

Accuracy-type numbers are in percent. Predictions are top-1 class indices (int arrays of shape [N]).
"""

from __future__ import annotations

import math

import numpy as np

from edgedigits.data import N_CLASSES

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """% of `predicted` equal to `labels`."""
    return float(np.mean(predicted == labels) * 100) if len(labels) else float("nan")


def agreement(first: np.ndarray, second: np.ndarray) -> float:
    """% of images on which two runtimes pick the same top-1 class."""
    return accuracy(first, second)


def wilson_interval(successes: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion, in % (well-behaved at 0 % and 100 %, unlike Wald)."""
    if total <= 0:
        return (float("nan"), float("nan"))
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half) * 100, min(1.0, centre + half) * 100)


def flips(reference: np.ndarray, candidate: np.ndarray, labels: np.ndarray) -> tuple[int, int]:
    """(right→wrong, wrong→right): images the reference got right and the candidate wrong, and vice versa.
    These are McNemar's discordant pairs."""
    ref_right, cand_right = reference == labels, candidate == labels
    return int(np.sum(ref_right & ~cand_right)), int(np.sum(~ref_right & cand_right))


def mcnemar_exact(right_to_wrong: int, wrong_to_right: int) -> float:
    """Exact two-sided McNemar p-value: a binomial test of the discordant pairs against p = 0.5.
    1.0 when there are no discordant pairs (nothing to tell apart from noise)."""
    from scipy.stats import binomtest

    discordant = right_to_wrong + wrong_to_right
    if discordant == 0:
        return 1.0
    return float(binomtest(right_to_wrong, discordant, 0.5, alternative="two-sided").pvalue)


def confusion(labels: np.ndarray, predicted: np.ndarray, n_classes: int = N_CLASSES) -> np.ndarray:
    """Confusion matrix, rows = true label, columns = predicted class (int64 [C,C])."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predicted, labels=list(range(n_classes)))


def per_class_accuracy(matrix: np.ndarray) -> list[float | None]:
    """% correct per true class from a confusion matrix; None for a class with no images."""
    totals = matrix.sum(axis=1)
    return [float(matrix[i, i] / totals[i] * 100) if totals[i] else None for i in range(len(matrix))]


def per_class_delta(candidate: list[float | None], reference: list[float | None]) -> list[float | None]:
    """Candidate minus reference per-class accuracy, in percentage points."""
    return [None if c is None or r is None else c - r for c, r in zip(candidate, reference)]


def agreement_matrix(predictions: dict[str, np.ndarray]) -> tuple[list[str], list[list[float]]]:
    """N×N top-1 agreement (%) between every pair of runtimes; the diagonal is 100."""
    names = list(predictions)
    return names, [[agreement(predictions[a], predictions[b]) for b in names] for a in names]


def disagreements(reference: np.ndarray, candidate: np.ndarray, limit: int) -> np.ndarray:
    """Indices (ascending, at most `limit`) of images where the two predictions differ."""
    return np.flatnonzero(reference != candidate)[:limit]
