"""The one latency procedure every runtime goes through.

Warm-up calls first (untimed), then calls timed one by one with `time.perf_counter_ns` until *both* a minimum
count and a minimum total time are reached. A runtime so slow that `max_time_s` passes first stops there,
provided it made at least `min_runs_floor` calls; the count actually made is always reported.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from edgedigits.config import BenchConfig


def time_calls(call: Callable[[], object], *, runs: int, min_time_s: float, max_time_s: float,
               min_runs_floor: int, warmup: int) -> np.ndarray:
    """Durations in nanoseconds (int64 [K]) of K timed calls of `call`."""
    for _ in range(warmup):
        call()
    durations: list[int] = []
    min_ns, max_ns = int(min_time_s * 1e9), int(max_time_s * 1e9)
    floor = min(runs, min_runs_floor)
    total = 0
    while True:
        start = time.perf_counter_ns()
        call()
        elapsed = time.perf_counter_ns() - start
        durations.append(elapsed)
        total += elapsed
        count = len(durations)
        if count >= runs and total >= min_ns:
            break
        if total >= max_ns and count >= floor:
            break
    return np.asarray(durations, dtype=np.int64)


def summarize(durations_ns: np.ndarray) -> dict:
    """p50/p90/p99/mean in microseconds, and the number of timed calls."""
    micros = durations_ns.astype(np.float64) / 1e3
    p50, p90, p99 = np.percentile(micros, [50, 90, 99])
    return {"runs": int(len(micros)), "p50_us": float(p50), "p90_us": float(p90), "p99_us": float(p99),
            "mean_us": float(micros.mean())}


def measure(runtime, images: np.ndarray, *, config: BenchConfig) -> dict:
    """Batch-1 latency percentiles and batch-`throughput_batch` throughput for an opened runtime."""
    single = runtime.prepare(images[:1])
    latency = summarize(time_calls(single, runs=config.runs, min_time_s=config.min_time_s,
                                   max_time_s=config.max_time_s, min_runs_floor=config.min_runs_floor,
                                   warmup=config.warmup))
    batch = min(config.throughput_batch, len(images))
    batched = runtime.prepare(images[:batch])
    # Same procedure, far fewer calls: each one is already `batch` images.
    timed = time_calls(batched, runs=3, min_time_s=config.min_time_s, max_time_s=config.max_time_s,
                       min_runs_floor=3, warmup=1)
    throughput = batch * len(timed) / (timed.sum() / 1e9)
    # A static batch-1 model (every device .tflite) cannot take a batch: its throughput is batch-1 calls in a row.
    mode = "batch-1 calls" if getattr(runtime, "static_batch", None) == 1 else "batched"
    return latency | {"warmup": config.warmup, "threads": config.threads, "throughput_batch": batch,
                      "throughput_mode": mode, "throughput_ips": float(throughput)}


def timed_load(open_fn: Callable[[], object], first_image: np.ndarray) -> tuple[object, float]:
    """Open a runtime and run its first inference; returns (runtime, milliseconds from file to first answer)."""
    start = time.perf_counter_ns()
    runtime = open_fn()
    runtime.predict(first_image)
    return runtime, (time.perf_counter_ns() - start) / 1e6
