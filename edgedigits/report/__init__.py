"""Bench reports: `report.json` (stable schema below), `report.md`, PNG figures, and the terminal table.

report.json, schema_version 2 (2: TFLite Micro rows "<format>@tflm" replace the LiteRT reference-kernel rows;
rows gain "tflm", latency gains "throughput_mode"). Every key listed in REPORT_KEYS is always present (null when it does not apply,
e.g. the metrics of an artifact that failed to load); keys are never renamed within a schema version.
  schema_version, tool {name, version}, created (UTC ISO 8601), path (what was benched), seconds (wall time),
  machine {cpu, logical_cores, usable_cores, platform, native_bf16, threads}, libraries {name: version},
  config (the BenchConfig used), data {kind, source, images, …}: which images the numbers are about (the first
  model's; each model's own is in models[].data: `--data`, else the test data its export recorded, else MNIST),
  summary {models, artifacts (rows judged against Keras, TFLite Micro rows included), passed, failed,
           errors, exit_code (0 all pass, 1 a FAIL, 2 a bad file or folder), verdict ("PASS"|"FAIL"|"ERROR")},
  errors [one-line messages: corrupt, missing, tampered or unloadable files],
  models [ {name, dir, status ("ok"|"error"), error, data (this model's evaluation data, as `data`; null when
            the folder could not be benched), reference: ROW (Keras), artifacts: [ROW …],
            agreement_matrix {runtimes: [names], values: [[% top-1 agreement]]}} ]
A ROW:
  name ("keras", a format name, or "<format>@tflm" for TensorFlow Lite Micro's interpreter), format, runtime
  ("keras"|"tflite"|"onnxruntime"|"tflm"), precision, kernels ("default" for tflite, "tflm" for TFLM rows, else
  null), file, bytes, size_ratio (to the float32 artifact of the same runtime), sha256,
  status ("ok"|"tampered"|"load failed"|"unsupported" (TFLM cannot run it: FAIL)|"parity failed"),
  verdict ("REF" for Keras, "PASS", "FAIL"), error (one line), problems [threshold violations],
  tolerance {max_abs_prob_diff, min_agreement, max_accuracy_drop},
  accuracy {value %, ci95 [lo, hi] Wilson, delta_pp vs Keras},
  parity {agreement %, agreement_ci95, max_abs_diff, mean_abs_diff, flips {right_to_wrong, wrong_to_right},
          mcnemar_p (exact, on the flips)},
  confusion [[10×10], rows = true label], confusion_delta (minus Keras'), per_class {accuracy [10], delta_pp [10]},
  disagreements [{index, label, reference, candidate}] (first few images where it and Keras differ),
  latency {runs, p50_us, p90_us, p99_us, mean_us, warmup, threads, throughput_batch, throughput_mode
          ("batched": one call of throughput_batch images; "batch-1 calls": a static batch-1 model, called once per
          image), throughput_ips} (p50… are batch-1 calls; null for TFLM rows: x86 speed says nothing of an MCU),
  load_ms (file → first answer), predict_s (all evaluation images), shift {kind: {accuracy, parity, problems}},
  tflm (TFLM rows only, else null) {compared_with, images, bit_exact_images, max_abs_diff, max_steps,
        argmax_equal, arena_bytes, head_bytes, tail_bytes}: TFLM's outputs against LiteRT's reference kernels on
        the same images, and the arena TFLM allocated. A TFLM row covers the first config.tflm_images images.
  images {confusion, confusion_delta, disagreements: PNG paths relative to report.md}
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.report.cells import model_rows

REPORT_KEYS: dict[str, tuple[str, ...]] = {
    "report": ("schema_version", "tool", "created", "path", "seconds", "machine", "libraries", "config", "data",
               "models", "summary", "errors"),
    "model": ("name", "dir", "status", "error", "data", "reference", "artifacts", "agreement_matrix"),
    "row": ("name", "format", "runtime", "precision", "kernels", "file", "bytes", "size_ratio", "sha256", "status",
            "verdict", "error", "tolerance", "latency", "load_ms", "predict_s", "tflm", "recipe", "accuracy", "parity", "problems",
            "confusion", "confusion_delta", "per_class", "disagreements", "shift", "images"),
    "accuracy": ("value", "ci95", "delta_pp"),
    "parity": ("agreement", "agreement_ci95", "max_abs_diff", "mean_abs_diff", "flips", "mcnemar_p"),
    "latency": ("runs", "p50_us", "p90_us", "p99_us", "mean_us", "warmup", "threads", "throughput_batch",
                "throughput_mode", "throughput_ips"),
    "summary": ("models", "artifacts", "passed", "failed", "errors", "exit_code", "verdict"),
    "agreement_matrix": ("runtimes", "values"),
}
REQUIRED_DATA_KEYS = ("kind", "source", "images")  # `data` may add more (sha256, per_label)


def _exact(obj: object, level: str, where: str) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: expected an object"]
    expected = set(REPORT_KEYS[level])
    problems = [f"{where}: missing key '{key}'" for key in REPORT_KEYS[level] if key not in obj]
    problems += [f"{where}: undocumented key '{key}'" for key in obj if key not in expected]
    return problems


def validate_report(report: dict) -> list[str]:
    """Problems with `report` against REPORT_KEYS (missing or undocumented keys); empty when it conforms."""
    problems = _exact(report, "report", "report")
    if problems:
        return problems
    problems += _exact(report["summary"], "summary", "summary")
    problems += [f"data: missing key '{key}'" for key in REQUIRED_DATA_KEYS if key not in report["data"]]
    for m, model in enumerate(report["models"]):
        problems += _exact(model, "model", f"models[{m}]")
        if model.get("agreement_matrix") is not None:
            problems += _exact(model["agreement_matrix"], "agreement_matrix", f"models[{m}].agreement_matrix")
        for row in model_rows(model):
            where = f"models[{m}].{row.get('name', '?')}"
            problems += _exact(row, "row", where)
            for level in ("accuracy", "parity", "latency"):
                if row.get(level) is not None:
                    problems += _exact(row[level], level, f"{where}.{level}")
            for kind, block in (row.get("shift") or {}).items():
                for level in ("accuracy", "parity"):
                    problems += _exact(block.get(level), level, f"{where}.shift.{kind}.{level}")
    return problems


def write_report(result, out_dir: Path) -> dict[str, Path]:
    """Write report.json, report.md and the PNG figures for a BenchResult; returns {"json", "markdown"} paths."""
    from edgedigits.fileio import atomic_write_json, atomic_write_text
    from edgedigits.report.markdown import render_markdown
    from edgedigits.report.plots import write_figures

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_figures(result.report, result.images, out_dir)  # fills row["images"] before the JSON is written
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md"}
    atomic_write_json(paths["json"], result.report)
    atomic_write_text(paths["markdown"], render_markdown(result.report))
    return paths
