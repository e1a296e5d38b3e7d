"""The int8 trade table: one row per recipe candidate, as the terminal, Markdown and notebooks show it.

Rows are the dicts `edgedigits.quantize.search.Candidate.row` makes (and the manifest's recipe record keeps).
"""

from __future__ import annotations

COLUMNS = ("recipe", "verdict", "bytes", "agreement %", "Δ acc pp", "TFLM", "arena B", "p50 µs", "made in s",
           "note")


def _num(value, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def recipe_cells(row: dict) -> dict[str, str]:
    verdict = "chosen" if row["chosen"] else ("pass" if row["passed"] else ("–" if row["bytes"] is None else "fail"))
    tflm = "–" if row["tflm_runs"] is None else ("runs" if row["tflm_runs"] else "no")
    return {"recipe": row["recipe"], "verdict": verdict, "bytes": _num(row["bytes"], ","),
            "agreement %": _num(row["agreement"], ".2f"), "Δ acc pp": _num(row["accuracy_drop"], "+.2f"),
            "TFLM": tflm, "arena B": _num(row["tflm_arena_bytes"], ","), "p50 µs": _num(row["latency_us"], ".1f"),
            "made in s": _num(row["seconds"] if row["bytes"] is not None else None, ".1f"),
            "note": row["error"] or row.get("detail") or ""}


def recipe_table(rows: list[dict], *, title: str):
    """A rich Table of the candidates."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("recipe", "verdict", "note", "TFLM") else "right",
                         overflow="fold", max_width=60 if column == "note" else None)
    for row in rows:
        cells = recipe_cells(row)
        style = "bold green" if row["chosen"] else ("red" if row["bytes"] is not None and not row["passed"] else None)
        table.add_row(*(cells[column] for column in COLUMNS), style=style)
    return table


def recipe_markdown(rows: list[dict]) -> str:
    """The same table in Markdown (README, notebooks)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = recipe_cells(row)
        lines.append("| " + " | ".join(cells[column].replace("|", "\\|") for column in COLUMNS) + " |")
    return "\n".join(lines)
