"""The compute limit: the fastest one core could possibly run a model, from its MACs and the CPU's peak rate.

    peak MAC/s (one core) = clock × FMA units × MACs per instruction
    MACs per instruction  = SIMD bits / 32          for float32 (one fused multiply-add per 32-bit lane)
                          = SIMD bits / 8           for int8 with VNNI (vpdpbusd: 4 int8 MACs per 32-bit lane)
                          = SIMD bits / 16          for int8 without VNNI (pmaddubsw + pmaddwd pairs)
    compute limit (µs)    = MACs per image / peak MAC/s × 1e6

SIMD bits come from the CPU flags (avx512f → 512, avx2 → 256, else 128), the clock from cpufreq's maximum
(else /proc/cpuinfo's MHz). FMA units per core is assumed to be 2, true of recent Intel server cores; AMD Zen 4
executes 512-bit ops as two 256-bit halves, so there the real peak is half and our ratios are pessimistic by
up to 2×. It is a lower bound on time: it ignores memory traffic, pooling, softmax and call overhead.
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.environment import cpu_flags

FMA_UNITS = 2


def clock_hz() -> float:
    cpufreq = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    if cpufreq.is_file():
        return int(cpufreq.read_text().strip()) * 1e3
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) * 1e6
    return 2.0e9


def simd_bits() -> int:
    flags = cpu_flags()
    return 512 if "avx512f" in flags else 256 if "avx2" in flags else 128


def has_vnni() -> bool:
    return bool({"avx512_vnni", "avx_vnni", "amx_int8"} & cpu_flags())


def peak_macs_per_second(precision: str) -> float:
    bits = simd_bits()
    if precision == "int8":
        per_instruction = bits // 8 if has_vnni() else bits // 16
    elif precision == "float16":  # fp16 weights are dequantized to float32 before compute on x86
        per_instruction = bits // 32
    else:
        per_instruction = bits // 32
    return clock_hz() * FMA_UNITS * per_instruction


def compute_limit_us(macs: int, precision: str) -> float:
    return macs / peak_macs_per_second(precision) * 1e6


def describe() -> dict:
    return {"clock_ghz": round(clock_hz() / 1e9, 3), "simd_bits": simd_bits(), "fma_units_assumed": FMA_UNITS,
            "vnni": has_vnni(), "peak_gmacs_float32": round(peak_macs_per_second("float32") / 1e9, 1),
            "peak_gmacs_int8": round(peak_macs_per_second("int8") / 1e9, 1)}
