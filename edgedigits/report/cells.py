"""Formatting of report numbers into table cells, shared by the Markdown report and the terminal table.

`row_cells` gives every cell either table shows, keyed by column name: report.md shows COLUMNS, the terminal a
narrower selection (edgedigits.report.terminal). Cells are plain text; each table escapes them its own way.
"""

from __future__ import annotations

COLUMNS = ("runtime", "status", "verdict", "accuracy % (95% CI)", "Δ pp", "agreement %", "max |Δp|",
           "flips →✗/→✓", "McNemar p", "p50 µs", "p99 µs", "img/s", "load ms", "size")


def _num(value, spec: str, missing: str = "–") -> str:
    return missing if value is None else format(value, spec)


def _micros(value) -> str:
    # Sub-ms calls need the decimal; slow ones (Keras) do not, and stay narrow.
    return "–" if value is None else (f"{value:.1f}" if value < 1000 else f"{value:,.0f}")


def _kib(row: dict) -> str:
    return "–" if row["bytes"] is None else f"{row['bytes'] / 1024:,.1f}"


def _size(row: dict) -> str:
    if row["bytes"] is None:
        return "–"
    kib = f"{_kib(row)} KiB"
    return kib if row["size_ratio"] is None else f"{kib} ({row['size_ratio']:.2f}×)"


def row_cells(row: dict) -> dict[str, str]:
    """Every cell of one row: COLUMNS plus the terminal's narrow "accuracy %" (no CI) and "KiB" (no ratio).
    A TFLite Micro row is labelled as such and has no speed columns."""
    accuracy, parity, latency = row["accuracy"] or {}, row["parity"] or {}, row["latency"] or {}
    ci = accuracy.get("ci95")
    flips = parity.get("flips")
    name = row["name"]
    if row.get("recipe") not in (None, "ptq"):
        name = f"{name} [{row['recipe']}]"  # an int8 remedy made it (export --int8-recipe)
    if row.get("runtime") == "tflm":
        name = "  ↳ TFLite Micro"  # always listed right under its artifact
    return {
        "runtime": name,
        "status": row["status"],
        "verdict": row["verdict"] or "–",
        "accuracy % (95% CI)": "–" if not accuracy else f"{accuracy['value']:.2f} ({ci[0]:.2f}–{ci[1]:.2f})",
        "accuracy %": "–" if not accuracy else f"{accuracy['value']:.2f}",
        "Δ pp": _num(accuracy.get("delta_pp"), "+.2f"),
        "agreement %": _num(parity.get("agreement"), ".2f"),
        "max |Δp|": _num(parity.get("max_abs_diff"), ".1e"),
        "flips →✗/→✓": "–" if not flips else f"{flips['right_to_wrong']}/{flips['wrong_to_right']}",
        "McNemar p": _num(parity.get("mcnemar_p"), ".3g"),
        "p50 µs": _micros(latency.get("p50_us")),
        "p99 µs": _micros(latency.get("p99_us")),
        "img/s": _num(latency.get("throughput_ips"), ",.0f"),
        "load ms": _num(row["load_ms"], ",.1f"),
        "size": _size(row),
        "KiB": _kib(row),
    }


def model_rows(model: dict) -> list[dict]:
    """The reference (Keras) row, when it was benched, then the artifact rows: the order of every table.
    Tolerates a model missing either key (validate_report reads unchecked input)."""
    return ([model["reference"]] if model.get("reference") else []) + list(model.get("artifacts") or [])


def data_line(report: dict) -> str:
    data = report["data"]
    return f"{data['images']:,} images ({data['kind']}: {data['source']})"


def tflm_line(model: dict) -> str | None:
    """Under the table: the images a model's TFLite Micro rows were scored on (a prefix of the bench images,
    `--tflm-images`) and how many outputs were bit-exact with LiteRT's reference kernels, per artifact."""
    rows = [row for row in model_rows(model) if row.get("tflm")]
    if not rows:
        return None
    counts = ", ".join(f"{row['name'].removesuffix('@tflm')} {row['tflm']['bit_exact_images']:,}/"
                       f"{row['tflm']['images']:,}" for row in rows)
    return f"{model['name']}: TFLite Micro rows on the first {rows[0]['tflm']['images']:,} images; outputs " \
           f"bit-exact with LiteRT's reference kernels: {counts}"


def machine_line(report: dict) -> str:
    machine, libraries = report["machine"], report["libraries"]
    versions = ", ".join(f"{name} {libraries[name]}" for name in ("tensorflow", "ai-edge-litert", "onnxruntime")
                         if name in libraries)
    return f"{machine['cpu']}, {machine['threads']} thread(s) of {machine['usable_cores']} usable cores; {versions}"
