"""The recipe search: make int8 candidates in order of cost, measure each the same way, keep a trade table.

`auto` makes plain int8 first and stops there when it passes the gate (so a model that passes keeps plain PTQ,
byte for byte). Otherwise it makes every cheap remedy (equalize, fallback, int16), then qat only when none of them
passed and training data exists, and chooses among the candidates that pass: one TensorFlow Lite Micro can run
first, then int8 over int16 activations (int16 changes the I/O type and doubles the arena), then the smallest
file, then the fastest. Every candidate gets the same measurement: the export's
verification against Keras, TFLM's interpreter (runs? arena?), a batch-1 latency on LiteRT, its size and how
long it took to make. A named recipe makes just that candidate, held to the format's export check as plain
int8 always was; `all` (explain --recipes) makes every candidate and chooses nothing.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from edgedigits.artifacts import ARTIFACTS, Tolerance
from edgedigits.errors import CheckFailed, EdgeDigitsError
from edgedigits.quantize import AUTO, REMEDIES, RecipeJob, RecipeNotApplicable, recipes_for

ALL = "all"  # explain --recipes: every candidate, nothing chosen
LATENCY_RUNS = 100  # batch-1 calls per candidate: enough for a stable median on models this small


@dataclass
class Candidate:
    recipe: str
    path: Path | None = None
    details: dict = field(default_factory=dict)  # what the recipe reports (kept layers, scales, epochs)
    entry: dict = field(default_factory=dict)  # fields for the manifest entry (calibration record)
    check: dict | None = None  # {"parity": Parity, "io": ..., "problems": [...]} from the export's verification
    problems: list[str] = field(default_factory=list)  # why it misses the gate; empty when it passes
    tflm: dict | None = None
    latency_us: float | None = None
    seconds: float = 0.0
    error: str | None = None  # the recipe could not make a file

    @property
    def passed(self) -> bool:
        return self.error is None and self.check is not None and not self.problems

    def row(self, chosen: bool = False) -> dict:
        parity = self.check["parity"] if self.check else None
        return {
            "recipe": self.recipe, "passed": self.passed, "chosen": chosen,
            "bytes": self.path.stat().st_size if self.error is None and self.path else None,
            "agreement": round(parity.agreement, 2) if parity else None,
            "accuracy_drop": round(parity.accuracy_drop, 2) if parity and parity.accuracy_drop is not None else None,
            "max_abs_diff": parity.max_abs_diff if parity else None,
            "tflm_runs": self.tflm.get("runs") if self.tflm else None,
            "tflm_arena_bytes": self.tflm.get("arena_bytes") if self.tflm else None,
            "latency_us": round(self.latency_us, 1) if self.latency_us is not None else None,
            "seconds": round(self.seconds, 1),
            "error": self.error or ("; ".join(self.problems) if self.problems else None),
            "detail": self.detail(),
        }

    def detail(self) -> str:
        """What this candidate changed, in a few words (the table's note when it passed)."""
        facts = self.details
        if "float_layers" in facts:
            return "float: " + ", ".join(facts["float_layers"])
        if "equalization" in facts:
            return f"{len(facts['equalization']['pairs'])} pairs, scales {facts['equalization']['scale_min']:.2g}-" \
                   f"{facts['equalization']['scale_max']:.3g}"
        if "epochs" in facts:
            return f"{facts['epochs']} epochs on {facts['train_data']['images']:,} images"
        if facts.get("activations") == "int16" and self.check:
            return f"I/O {self.check['io']['inputs'][0]['dtype']}"
        return ""


@dataclass
class SearchResult:
    format: str
    gate: Tolerance
    candidates: list[Candidate]
    chosen: Candidate | None

    def rows(self) -> list[dict]:
        return [candidate.row(candidate is self.chosen) for candidate in self.candidates]

    def gate_text(self) -> str:
        """The gate in words, e.g. "agreement >= 99.5 %, accuracy drop <= 0.2 pp (qat: drop only)"."""
        parts = []
        if self.gate.min_agreement is not None:
            parts.append(f"agreement >= {self.gate.min_agreement} %")
        if self.gate.max_accuracy_drop is not None:
            parts.append(f"accuracy drop <= {self.gate.max_accuracy_drop} pp")
        qat = gate_for("qat", self.gate, ARTIFACTS[self.format].tolerance)
        if any(candidate.recipe == "qat" for candidate in self.candidates) and qat.max_accuracy_drop is not None:
            parts.append(f"qat: accuracy drop <= {qat.max_accuracy_drop} pp only")
        return ", ".join(parts)


class NoRecipePassed(CheckFailed):
    """No int8 candidate reached the gate: exit 1, after the trade table was shown."""

    def __init__(self, message: str, result: SearchResult):
        super().__init__(message)
        self.result = result


def gate_for(recipe: str, tolerance: Tolerance, int8_gate: Tolerance) -> Tolerance:
    """QAT changes the weights, so its file is a new model: it is held to the accuracy drop only (agreement with
    the old weights is reported, not gated). Every other recipe keeps the Keras weights and the full gate."""
    if recipe == "qat":
        return Tolerance(max_accuracy_drop=int8_gate.max_accuracy_drop)
    return tolerance


def _latency_us(runtime_name: str, path: Path, image) -> float:
    from edgedigits.bench.latency import summarize, time_calls
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes import open_runtime

    with native_output_silenced():
        call = open_runtime(runtime_name, path).prepare(image)
    return summarize(time_calls(call, runs=LATENCY_RUNS, min_time_s=0.05, max_time_s=1.0, min_runs_floor=20,
                                warmup=5))["p50_us"]


def search_recipes(*, format_name: str, mode: str, job: RecipeJob, check: Callable[[Path], dict],
                   images, work_dir: Path, on_step: Callable[[str], None] | None = None) -> SearchResult:
    """Make and measure the candidates `mode` asks for (auto, all, or one recipe name) for `format_name`.
    `check(path)` is the export's verification: {"parity": Parity, "io": {...}, "problems": [structure]}."""
    from edgedigits.parity import violations
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes import tflm_rt

    artifact = ARTIFACTS[format_name]
    # auto and all are judged by the bench gate; one named recipe by the export check, as plain int8 always was.
    tolerance = artifact.tolerance if mode in (AUTO, ALL) else artifact.export_tolerance
    available = recipes_for(format_name)

    def judged(recipe: str) -> Callable[[Path], dict]:
        gate = gate_for(recipe, tolerance, artifact.tolerance)

        def verdict(path: Path) -> dict:
            with native_output_silenced():  # LiteRT announces its XNNPACK delegate on every load
                checked = check(path)
            problems = checked["problems"] or violations(checked["parity"], gate)
            return checked | {"passed": not problems, "problems": problems,
                              "agreement": checked["parity"].agreement if checked["parity"] else 0.0}
        return verdict

    def make(recipe: str) -> Candidate:
        if on_step is not None:
            on_step(f"{artifact.file}: trying {recipe} ({REMEDIES[recipe].summary})")
        candidate = Candidate(recipe, path=work_dir / f"{recipe}-{artifact.file}")
        verdict = judged(recipe)
        started = time.perf_counter()
        try:  # each recipe silences its own converter calls: QAT's epoch lines must still reach the user
            made = REMEDIES[recipe].make(dataclasses.replace(job, check=verdict), candidate.path)
        except RecipeNotApplicable as err:  # this model, this recipe: a row; bad input still ends the export
            candidate.error = str(err)
            return candidate
        except EdgeDigitsError:
            raise
        except Exception as err:  # noqa: BLE001 - one recipe tripping on an unusual layer: its row, when searching
            if mode not in (AUTO, ALL):
                raise
            candidate.error = f"{recipe} failed: {type(err).__name__}: {str(err).strip().splitlines()[0][:160] if str(err).strip() else ''}"
            return candidate
        candidate.seconds = time.perf_counter() - started
        candidate.entry = made.pop("entry", {})
        candidate.details = made
        checked = verdict(candidate.path)
        candidate.check, candidate.problems = checked, checked["problems"]
        if artifact.runtime == "tflite":
            candidate.tflm = tflm_rt.measure(candidate.path)
        candidate.latency_us = _latency_us(artifact.runtime, candidate.path, images[:1])
        return candidate

    if mode not in (AUTO, ALL):
        candidates = [make(mode)]
    else:
        candidates = [make("ptq")]
        if mode == ALL or not candidates[0].passed:
            # The registry's order of cost: remedies that keep the data they have first, all of them; those that
            # train only when none of those passed.
            cheap = [name for name in available if name != "ptq" and not REMEDIES[name].needs_training_data]
            trained = [name for name in available if REMEDIES[name].needs_training_data]
            candidates += [make(recipe) for recipe in cheap]
            if mode == ALL or not any(candidate.passed for candidate in candidates):
                candidates += [make(recipe) if job.training() is not None else
                               Candidate(recipe, error="no training data (pass --train-data; MNIST is used for "
                                                       "28x28x1 10-class models)") for recipe in trained]
    passing = [candidate for candidate in candidates if candidate.passed]
    chosen = None
    if mode != ALL and passing:
        # An MCU must be able to run it; int16 changes the file's I/O type and doubles the arena, so an int8
        # candidate wins a tie on those; then the smallest file, then the fastest.
        chosen = min(passing, key=lambda c: (c.tflm is not None and not c.tflm.get("runs"), c.recipe == "int16",
                                             c.path.stat().st_size, c.latency_us or 0.0))
    return SearchResult(format_name, tolerance, candidates, chosen)


def next_step(result: SearchResult) -> str:
    """One line saying what to try when no candidate passed."""
    measured = [c for c in result.candidates if c.check is not None and c.check["parity"] is not None]
    best = max(measured, key=lambda c: c.check["parity"].agreement, default=None)
    best_text = (f"best: {best.recipe} at {best.check['parity'].agreement:.2f}% agreement"
                 if best is not None else "no candidate could be made")
    qat = next((c for c in result.candidates if c.recipe == "qat"), None)
    if qat is not None and qat.error and qat.error.startswith("no training data"):
        hint = "give --train-data so qat can fine-tune"
    else:
        hint = "ship a float format (fp16, float32), or accept the loss with --int8-recipe ptq"
    return f"{ARTIFACTS[result.format].file}: no int8 recipe reached the gate ({best_text}); next: {hint}"
