"""What one `export` asks for, checked before any work: the model folders, the formats, the settings and the
user's data options. Shared by `edgedigits export` and `edgedigits.export()` so both refuse the same input
with the same one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from edgedigits.config import DEFAULT_EXPORT_FORMATS, ExportConfig
from edgedigits.errors import UsageError
from edgedigits.export_data import DataOptions, read_labels
from edgedigits.sources import ModelSource, resolve_sources


@dataclass(frozen=True)
class ExportRequest:
    sources: list[ModelSource]
    formats: tuple[str, ...]  # registry names, in registry order
    config: ExportConfig
    options: DataOptions
    needs_mnist: bool  # built-ins always do; a user's model without its own calibration and test data might


def plan_export(model: str, *, formats: list[str] | None = None, int8: bool = False,
                calibration_samples: int = ExportConfig.calibration_samples,
                calibration_seed: int = ExportConfig.calibration_seed, out: Path | None = None,
                calibration_data: str | None = None, test_data: str | None = None,
                labels: Path | str | Sequence[str] | None = None, pixel_scale: float = 1 / 255,
                pixel_offset: float = 0.0, channel_order: str = "rgb", artifacts_dir: Path) -> ExportRequest:
    """`model` is a registry name, 'all' or a `.keras` path; `formats` names as `--formats` takes them (None:
    the defaults); `labels` a labels file or the labels themselves, in output order. UsageError for anything
    that cannot be exported as asked."""
    from edgedigits.artifacts import resolve_formats

    sources = resolve_sources(model, artifacts_dir=artifacts_dir, out=out)
    requested = list(formats) if formats is not None else list(DEFAULT_EXPORT_FORMATS)
    if formats is not None and not requested:
        raise UsageError("--formats is empty")
    chosen = resolve_formats(requested + (["int8"] if int8 else []))
    if calibration_samples < 1:
        raise UsageError(f"--calibration-samples must be at least 1, got {calibration_samples}")
    if channel_order not in ("rgb", "bgr"):
        raise UsageError(f"--channel-order {channel_order}: choose rgb or bgr")
    if any(source.registry for source in sources) and (
            calibration_data or test_data or labels or (pixel_scale, pixel_offset) != (1 / 255, 0.0)
            or channel_order != "rgb"):
        raise UsageError("--calibration-data, --test-data, --labels, --pixel-scale, --pixel-offset and "
                         "--channel-order are for your own .keras; v1-v3 keep the MNIST data they were trained on")
    if isinstance(labels, (str, Path)):
        labels = read_labels(Path(labels))
    options = DataOptions(calibration_data=calibration_data, test_data=test_data,
                          labels=tuple(labels) if labels is not None else None, pixel_scale=pixel_scale,
                          pixel_offset=pixel_offset, channel_order=channel_order)
    return ExportRequest(
        sources=sources, formats=tuple(chosen),
        config=ExportConfig(calibration_samples=calibration_samples, calibration_seed=calibration_seed),
        options=options,
        needs_mnist=any(s.registry for s in sources) or not (calibration_data and test_data))
