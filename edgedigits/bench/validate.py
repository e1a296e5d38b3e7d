"""Bench options checked before any work starts: a typo answers at once, as a one-line UsageError."""

from __future__ import annotations

from edgedigits.bench.shift import validate_shifts
from edgedigits.config import BenchConfig
from edgedigits.errors import UsageError

TFLM_CHOICES = ("int8", "all", "none")


def validate_config(config: BenchConfig) -> None:
    """One-line UsageError naming the offending option."""
    checks = [
        (config.threads >= 1, f"--threads must be at least 1, got {config.threads}"),
        (config.runs >= 1, f"--runs must be at least 1, got {config.runs}"),
        (config.min_time_s >= 0 and config.max_time_s >= config.min_time_s,
         "latency min/max time must satisfy 0 <= min <= max"),
        (config.throughput_batch >= 1, f"throughput batch must be at least 1, got {config.throughput_batch}"),
        (config.max_accuracy_drop is None or 0 <= config.max_accuracy_drop <= 100,
         f"--max-accuracy-drop must be between 0 and 100 pp, got {config.max_accuracy_drop}"),
        (config.min_agreement is None or 0 <= config.min_agreement <= 100,
         f"--min-agreement must be between 0 and 100 %, got {config.min_agreement}"),
        (config.max_prob_diff is None or 0 <= config.max_prob_diff <= 1,
         f"--max-prob-diff must be between 0 and 1, got {config.max_prob_diff}"),
        (config.tflm in TFLM_CHOICES, f"--tflm must be one of {', '.join(TFLM_CHOICES)}, got '{config.tflm}'"),
        (config.tflm_images >= 0, f"--tflm-images must be 0 (all) or more, got {config.tflm_images}"),
    ]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)
    validate_shifts(config.shifts)
