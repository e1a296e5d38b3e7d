"""The machine and library versions a result was produced with, recorded in every manifest and report."""

from __future__ import annotations

import os
import platform
from functools import lru_cache
from importlib import metadata

_LIBRARIES = ("edgedigits", "tensorflow", "keras", "ai-edge-litert", "onnx", "onnxruntime", "tf2onnx", "numpy",
              "scikit-learn")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


@lru_cache(maxsize=1)
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def has_native_bf16() -> bool:
    """True when the CPU computes bfloat16 dot products natively (AVX512-BF16 or AMX), so bf16 training pays off."""
    return bool({"avx512_bf16", "amx_bf16"} & cpu_flags())


def machine_info() -> dict[str, object]:
    return {
        "cpu": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "platform": platform.platform(),
        "native_bf16": has_native_bf16(),
    }
