"""The rich terminal table of a bench report: one row per runtime, verdicts coloured.

Wide terminals get the full set of columns; narrow ones (< 130 columns) a compact set that still fits 80
columns. Every number is also in report.md / report.json (`--report-dir`).
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from edgedigits.report.cells import data_line, machine_line, model_rows, row_cells, tflm_line

VERDICT_STYLE = {"PASS": "bold green", "FAIL": "bold red", "REF": "dim"}
WIDE = 130
# key in edgedigits.report.cells.row_cells -> header
FULL_COLUMNS = {"runtime": "runtime", "verdict": "verdict", "accuracy %": "acc %", "Δ pp": "Δ pp",
                "agreement %": "agree %", "max |Δp|": "max|Δp|", "flips →✗/→✓": "flips →✗/→✓",
                "McNemar p": "McNemar p", "p50 µs": "p50 µs", "img/s": "img/s", "load ms": "load ms", "KiB": "KiB"}
COMPACT_COLUMNS = {"runtime": "runtime", "verdict": "verdict", "accuracy %": "acc %", "Δ pp": "Δ pp",
                   "agreement %": "agree %", "max |Δp|": "max|Δp|", "p50 µs": "p50 µs"}


def _cells(row: dict) -> dict[str, str]:
    """row_cells as rich markup: text escaped (a runtime or file named "x[y]" prints as is), verdict coloured."""
    cells = {key: escape(text) for key, text in row_cells(row).items()}
    verdict = cells["verdict"] if row["status"] in ("ok", "parity failed") else f"{cells['verdict']} ({row['status']})"
    cells["verdict"] = f"[{VERDICT_STYLE.get(row['verdict'], '')}]{verdict}[/]"
    return cells


def bench_table(report: dict, *, width: int = 200) -> Table:
    """The bench table for a console `width` columns wide."""
    wide = width >= WIDE
    columns = FULL_COLUMNS if wide else COMPACT_COLUMNS
    table = Table(title=f"edgedigits bench · {escape(data_line(report))}", caption=escape(machine_line(report)),
                  header_style="bold", box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD, pad_edge=wide)
    if wide:
        table.add_column("model")
    for key, header in columns.items():
        table.add_column(header, justify="left" if key == "runtime" else "right", no_wrap=True,
                         min_width=None if key == "runtime" else len(header))
    for model in report["models"]:
        rows, name = model_rows(model), escape(model["name"])
        if not rows:
            label = "[red]not benched[/]"
            table.add_row(*([name, label] if wide else [f"{name} {label}"]),
                          *[""] * (len(columns) - 1), end_section=True)
        for index, row in enumerate(rows):
            cells = _cells(row)
            if not wide and not cells["runtime"].startswith(" "):
                cells["runtime"] = f"{name} {cells['runtime']}"
            lead = [name if index == 0 else ""] if wide else []
            table.add_row(*lead, *(cells[key] for key in columns), end_section=index == len(rows) - 1)
    return table


def _lines_under(report: dict) -> list[str]:
    """What the terminal prints under the table: each model's TFLite Micro line, then each FAIL and why."""
    return [line for line in map(tflm_line, report["models"]) if line] + [
        f"FAIL {model['name']}/{row['name']}: {'; '.join(row['problems'])}" for model in report["models"]
        for row in model["artifacts"] if row["status"] in ("parity failed", "unsupported")]


def _recorded(report: dict) -> Console:
    console = Console(record=True, width=WIDE + 70, file=io.StringIO(), emoji=False, color_system="truecolor")
    console.print(bench_table(report, width=console.width))
    for line in _lines_under(report):
        console.print(f"  [dim]{escape(line)}[/]", highlight=False, soft_wrap=True)
    return console


def bench_text(report: dict) -> str:
    """The terminal table as plain text (print() of a BenchReport)."""
    return _recorded(report).export_text()


def bench_html(report: dict) -> str:
    """The terminal table as an HTML fragment with inline colours (a notebook's display)."""
    return _recorded(report).export_html(
        inline_styles=True, code_format='<pre style="font-family: monospace; line-height: 1.25">{code}</pre>')


def bench_markdown(report: dict) -> str:
    """The terminal table's columns as GitHub-flavoured Markdown (a notebook's Markdown display)."""
    cell = lambda text: str(text).replace("|", "\\|")  # noqa: E731 - a pipe would split the cell
    lines = [f"**edgedigits bench** · {cell(data_line(report))}", "",
             "| model | " + " | ".join(map(cell, FULL_COLUMNS.values())) + " |", "|---" * (len(FULL_COLUMNS) + 1) + "|"]
    for model in report["models"]:
        for row in model_rows(model):
            cells = row_cells(row)
            lines.append(f"| {cell(model['name'])} | " + " | ".join(cell(cells[key]) for key in FULL_COLUMNS) + " |")
    summary = report["summary"]
    lines += ["", f"{cell(machine_line(report))}", *(f"- {cell(line)}" for line in _lines_under(report)),
              f"**{summary['verdict']}**: {summary['passed']}/{summary['artifacts']} artifacts pass"]
    return "\n".join(lines) + "\n"
