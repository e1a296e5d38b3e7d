"""`report.md`: the bench tables as GitHub-flavoured Markdown, linking the PNG figures beside it."""

from __future__ import annotations

from edgedigits.report.cells import COLUMNS, data_line, machine_line, model_rows, row_cells


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    escape = lambda cell: str(cell).replace("|", "\\|")  # noqa: E731 - a pipe would split the cell
    lines = ["| " + " | ".join(escape(h) for h in header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]


def _model_section(model: dict, report: dict) -> list[str]:
    lines = [f"## {model['name']}", ""]
    if model["status"] == "error":
        lines += [f"**Not benched:** `{model['error']}`", ""]
        if not model["reference"]:
            return lines
    rows = model_rows(model)
    lines += _table(list(COLUMNS), [[row_cells(row)[column] for column in COLUMNS] for row in rows]) + [""]
    for row in rows:
        timed = row["latency"]
        if timed and timed["runs"] < report["config"]["runs"]:
            lines.append(f"- {row['name']}: latency from {timed['runs']} calls, stopped by the "
                         f"{report['config']['max_time_s']} s time cap")
        if row["error"] or row["problems"]:
            reasons = "; ".join(row["problems"] or [row["error"]])
            lines.append(f"- **{row['name']}** {row['status']}: {reasons}")
    lines.append("")
    if model["agreement_matrix"]:
        names = model["agreement_matrix"]["runtimes"]
        lines += ["Top-1 agreement between runtimes (%):", ""]
        lines += _table(["", *names], [[name, *(f"{v:.2f}" for v in values)]
                                       for name, values in zip(names, model["agreement_matrix"]["values"])]) + [""]
    tflm_rows = [row for row in rows if row["tflm"]]
    if tflm_rows:
        lines += ["TensorFlow Lite Micro: outputs bit-exact with LiteRT's reference kernels (BUILTIN_REF) on the same "
                  "images, and the tensor arena TFLM allocated (the RAM an MCU must reserve):", ""]
        lines += _table(["artifact", "images", "bit-exact", "max steps", "same top-1", "arena bytes"], [
            [row["name"], f"{row['tflm']['images']:,}", f"{row['tflm']['bit_exact_images']:,}",
             "–" if row["tflm"]["max_steps"] is None else str(row["tflm"]["max_steps"]),
             f"{row['tflm']['argmax_equal']:,}", f"{row['tflm']['arena_bytes']:,}"] for row in tflm_rows]) + [""]
    shifts = report["config"]["shifts"]
    if shifts:
        lines += ["Under shift (accuracy % / agreement with Keras %, same shift):", ""]
        lines += _table(["runtime", *shifts], [
            [row["name"], *(f"{row['shift'][k]['accuracy']['value']:.2f} / {row['shift'][k]['parity']['agreement']:.2f}"
                            for k in shifts)] for row in rows if row["shift"]]) + [""]
    ok_rows = [row for row in rows if row["per_class"]]
    if ok_rows:
        lines += ["Per-class accuracy (%), and for artifacts the difference from Keras (pp):", ""]
        lines += _table(["runtime", *map(str, range(len(ok_rows[0]["per_class"]["accuracy"])))], [
            [row["name"], *(("–" if a is None else f"{a:.2f}") if row["verdict"] == "REF"
                            else ("–" if d is None else f"{d:+.2f}")
                            for a, d in zip(row["per_class"]["accuracy"], row["per_class"]["delta_pp"]))]
            for row in ok_rows]) + [""]
    for row in rows:
        images = row["images"] or {}
        if images:
            links = " · ".join(f"[{kind.replace('_', ' ')}]({path})" for kind, path in images.items())
            lines.append(f"- {row['name']}: {links}")
    reference = model["reference"]
    if reference and reference["images"].get("confusion"):
        lines += ["", f"![{model['name']} Keras confusion matrix]({reference['images']['confusion']})"]
    return lines + [""]


def render_markdown(report: dict) -> str:
    summary = report["summary"]
    config = report["config"]
    lines = [
        "# edgedigits bench report", "",
        f"**Verdict: {summary['verdict']}** — {summary['passed']} of {summary['artifacts']} artifacts pass, "
        f"{summary['failed']} fail their thresholds, {summary['errors']} could not be benched "
        f"(exit code {summary['exit_code']}).", "",
        f"- Data: {data_line(report)}",
        f"- Machine: {machine_line(report)}",
        f"- Created {report['created']} by edgedigits {report['tool']['version']} in {report['seconds']:.1f} s",
        f"- Latency: batch 1, {config['warmup']} warm-up calls, then at least {config['runs']} calls and "
        f"{config['min_time_s']} s; a runtime still below that after {config['max_time_s']} s stops there "
        f"(at least {config['min_runs_floor']} calls; Keras' direct calls cost milliseconds each). Throughput at "
        f"batch {config['throughput_batch']}. Load = file → first answer.",
        "- Flips: right→wrong / wrong→right against Keras; McNemar p: exact test on those flips "
        "(p ≥ 0.05: the accuracy difference is indistinguishable from noise).",
        f"- TFLite Micro rows: the same .tflite in TensorFlow Lite Micro's own interpreter (PyPI tflite-micro), "
        f"what a microcontroller computes, on the first {config['tflm_images'] or 'all'} images and scored against "
        "Keras on those. Not timed: TFLM's speed on this CPU says nothing about a Cortex-M. Throughput of a "
        "static batch-1 .tflite is batch-1 calls in a row.", "",
    ]
    if report["errors"]:
        lines += ["## Errors", ""] + [f"- `{message}`" for message in report["errors"]] + [""]
    for model in report["models"]:
        lines += _model_section(model, report)
    return "\n".join(lines)
