"""What the Python API returns: small dataclasses over the same dicts the CLI prints and writes as JSON.

`BenchReport.to_dict()` is report.json (schema in edgedigits.report); its rows are flat views of the report's
rows, so `report.rows[i].agreement` is the number `bench --report-dir` writes for that artifact. In a notebook a
BenchReport shows the terminal's table (`_repr_html_`, `_repr_markdown_`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgedigits.errors import UsageError


@dataclass(frozen=True)
class BenchRow:
    """One row of the bench table: Keras (verdict "REF"), an artifact, or an artifact on TFLite Micro
    ("<format>@tflm"). Percentages are in %, accuracy_drop in percentage points below Keras (negative: better);
    a metric is None where it does not apply (a file that failed to load, latency of a TFLM row)."""

    model: str  # the model folder's name
    name: str  # "keras", a format name, or "<format>@tflm"
    format: str
    runtime: str  # keras | tflite | onnxruntime | tflm
    file: str | None
    bytes: int | None
    status: str  # ok | tampered | load failed | unsupported | parity failed
    verdict: str  # REF | PASS | FAIL
    accuracy: float | None
    accuracy_drop: float | None
    agreement: float | None  # % same top-1 class as Keras
    max_abs_diff: float | None  # max |Δp| against Keras' probabilities
    p50_us: float | None  # batch-1 latency percentiles on this machine
    p90_us: float | None
    p99_us: float | None
    throughput_ips: float | None
    tflm: dict | None  # TFLM rows: bit-exact images against LiteRT's reference kernels, arena bytes, …
    recipe: str | None  # how an int8 file was made (ptq, equalize, fallback, int16, qat); None for other formats
    problems: tuple[str, ...]  # the tolerances it missed
    error: str | None

    @property
    def passed(self) -> bool:
        return self.verdict in ("PASS", "REF")

    @classmethod
    def from_report_row(cls, model: str, row: dict) -> "BenchRow":
        accuracy, parity, latency = row["accuracy"] or {}, row["parity"] or {}, row["latency"] or {}
        delta = accuracy.get("delta_pp")
        return cls(model=model, name=row["name"], format=row["format"], runtime=row["runtime"], file=row["file"],
                   bytes=row["bytes"], status=row["status"], verdict=row["verdict"], accuracy=accuracy.get("value"),
                   accuracy_drop=None if delta is None else -delta, agreement=parity.get("agreement"),
                   max_abs_diff=parity.get("max_abs_diff"), p50_us=latency.get("p50_us"),
                   p90_us=latency.get("p90_us"), p99_us=latency.get("p99_us"),
                   throughput_ips=latency.get("throughput_ips"), tflm=row["tflm"], recipe=row.get("recipe"),
                   problems=tuple(row["problems"] or ()), error=row["error"])


@dataclass
class BenchReport:
    """The result of `edgedigits.bench`: `passed` is the CLI's exit code 0 (every artifact PASS, no bad file)."""

    rows: list[BenchRow]
    verdict: str  # PASS | FAIL | ERROR
    exit_code: int  # what `edgedigits bench` exits with: 0 pass, 1 a FAIL, 2 a bad file or folder
    errors: list[str]  # one line per file or folder that could not be benched
    report_paths: dict[str, Path] = field(default_factory=dict)  # {"json", "markdown"} when written
    _result: Any = field(default=None, repr=False)  # edgedigits.bench.run.BenchResult

    @classmethod
    def from_result(cls, result, report_paths: dict[str, Path] | None = None) -> "BenchReport":
        from edgedigits.report.cells import model_rows

        report = result.report
        rows = [BenchRow.from_report_row(model["name"], row) for model in report["models"] for row in model_rows(model)]
        return cls(rows=rows, verdict=report["summary"]["verdict"], exit_code=result.exit_code,
                   errors=list(report["errors"]), report_paths=dict(report_paths or {}), _result=result)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    def row(self, name: str) -> BenchRow:
        """The row `name` ("tflite_int8", "keras", "tflite_int8@tflm"), or "MODEL/NAME" when several models were
        benched; UsageError if it names no row or more than one."""
        model, _, short = name.rpartition("/")
        found = [row for row in self.rows if row.name == short and (not model or row.model == model)]
        if len(found) != 1:
            names = sorted({f"{row.model}/{row.name}" for row in self.rows})
            what = "no row" if not found else "several rows (give MODEL/NAME)"
            raise UsageError(f"'{name}' names {what}; the rows are {', '.join(names)}")
        return found[0]

    def confusion(self, name: str) -> np.ndarray:
        """int64 [K,K] confusion matrix of row `name` (rows = true label, columns = predicted)."""
        wanted = self.row(name)
        for model in self._result.report["models"]:
            for row in [model["reference"], *model["artifacts"]]:
                if row and model["name"] == wanted.model and row["name"] == wanted.name:
                    if row["confusion"] is None:
                        raise UsageError(f"{name}: no confusion matrix ({row['status']})")
                    return np.asarray(row["confusion"], dtype=np.int64)
        raise UsageError(f"{name}: no such row")  # unreachable: row() found it

    def to_dict(self) -> dict:
        """report.json's content (a copy): the schema documented in edgedigits.report."""
        return copy.deepcopy(self._result.report)

    def write(self, report_dir: str | Path) -> dict[str, Path]:
        """Write report.json, report.md and the PNG figures, as `bench --report-dir`."""
        from edgedigits.report import write_report

        self.report_paths = write_report(self._result, Path(report_dir))
        return self.report_paths

    def __str__(self) -> str:
        from edgedigits.report.terminal import bench_text

        return bench_text(self._result.report)

    def _repr_markdown_(self) -> str:
        from edgedigits.report.terminal import bench_markdown

        return bench_markdown(self._result.report)

    def _repr_html_(self) -> str:
        from edgedigits.report.terminal import bench_html

        return bench_html(self._result.report)


@dataclass(frozen=True)
class ExportResult:
    """The result of `edgedigits.export`: the model folder, its manifest, and one verified file per format."""

    model_dir: Path
    artifacts: dict[str, Path]  # format name -> file, for the formats this call exported
    manifest: dict  # manifest.json as written (every artifact of the folder, with its verification)
    recipes: dict[str, list[dict]] = field(default_factory=dict)  # int8 format -> recipe trade table rows

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.model_dir}**", "", "| format | file | bytes | agreement % | max abs diff |",
                 "|---|---|---|---|---|"]
        for name in self.artifacts:
            entry = self.manifest["artifacts"][name]
            check = entry["verification"]
            lines.append(f"| {name} | {entry['file']} | {entry['bytes']:,} | {check['agreement']:.2f} | "
                         f"{check['max_abs_diff']:.1e} |")
        columns = ("recipe", "passed", "chosen", "bytes", "agreement", "accuracy_drop", "tflm_runs",
                   "tflm_arena_bytes", "latency_us", "error")
        for fmt, rows in self.recipes.items():
            lines += ["", f"int8 recipes tried for {fmt}:", "", "| " + " | ".join(columns) + " |",
                      "|---" * len(columns) + "|"]
            lines += ["| " + " | ".join("" if row.get(key) is None else str(row.get(key)).replace("|", "\\|")
                                        for key in columns) + " |" for row in rows]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Bundle:
    """The result of `edgedigits.embed`: the bundle folder and its record (bundle.json)."""

    folder: Path
    record: dict

    @property
    def files(self) -> dict[str, int]:
        """Relative path -> bytes, every file the bundle holds."""
        return {name: info["bytes"] for name, info in self.record["files"].items()}
