"""The performance suite: one command, one machine, one Markdown table per part (issue 5).

    .venv/bin/python benchmarks/run.py [--artifacts artifacts] [--epochs-v1 N] [--epochs-v3 N] [--skip-training]

1. Training speed: the blog's plain Keras recipe vs `edgedigits train` defaults, same model and epochs, v1 and v3.
2. Inference latency of every exported artifact: single-image p50/p99, batch-256 throughput, and p50 over the
   compute limit (see benchmarks/compute_limit.py for the formula).
3. Static batch-1 against dynamic-batch `.tflite` at batch 1 (benchmarks/static_vs_dynamic.py).
4. Tool speed: `edgedigits bench` wall time over all artifacts, `edgedigits --help` start-up, peak RSS of
   train/export/bench.

Needs the artifacts of `make demo` (v1-v3 exported). Results are printed and saved to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import compute_limit  # noqa: E402
import static_vs_dynamic  # noqa: E402

BIN = Path(sys.executable).parent
PEAK_RSS = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def training_speed(epochs: dict[str, int]) -> str:
    rows = []
    for model, count in epochs.items():
        results = {}
        for recipe in ("plain", "edgedigits"):
            output = subprocess.run([sys.executable, str(HERE / "train_speed.py"), "--recipe", recipe, "--model", model,
                                     "--epochs", str(count)], capture_output=True, text=True, check=True).stdout
            results[recipe] = json.loads(output.split("RESULT ", 1)[1])
            print(f"  trained {model} with {recipe}: {results[recipe]['mean_seconds_per_epoch']:.2f} s/epoch", flush=True)
        plain, ours = results["plain"], results["edgedigits"]
        rows.append([model, count, f"{plain['mean_seconds_per_epoch']:.2f}", f"{plain['test_accuracy']:.2f}",
                     f"{ours['mean_seconds_per_epoch']:.2f} ({ours['precision']})", f"{ours['test_accuracy']:.2f}",
                     f"**{plain['mean_seconds_per_epoch'] / ours['mean_seconds_per_epoch']:.2f}×**",
                     f"{ours['test_accuracy'] - plain['test_accuracy']:+.2f}"])
    return _table(["model", "epochs", "plain Keras s/epoch", "plain acc %", "edgedigits s/epoch", "edgedigits acc %",
                   "speed-up", "Δ acc pp"], rows)


def inference_latency(artifacts: Path) -> str:
    from edgedigits.bench.latency import measure
    from edgedigits.config import BenchConfig
    from edgedigits.data import load_mnist, scale
    from edgedigits.manifest import read_manifest
    from edgedigits.models import count_macs, get_spec
    from edgedigits.runtimes import open_runtime

    images = scale(load_mnist().x_test[:256])
    config = BenchConfig(runs=1000, min_time_s=1.0, max_time_s=5.0)
    rows = []
    for model_dir in sorted(p for p in artifacts.iterdir() if (p / "manifest.json").is_file()):
        manifest = read_manifest(model_dir)
        macs = count_macs(get_spec(manifest["model"]))
        # Static batch-1 .tflite files run a batch as batch-1 calls in a row: their "throughput" says so.
        for name, entry in manifest["artifacts"].items():
            runtime = open_runtime(entry["runtime"], model_dir / entry["file"], threads=1)
            numbers = measure(runtime, images, config=config)
            # Dynamic-range kernels quantize activations on the fly and multiply in int8; fp16 weights are
            # dequantized to float32 at load time on a CPU.
            compute_precision = "int8" if entry["precision"].startswith("int8") else "float32"
            limit = compute_limit.compute_limit_us(macs, compute_precision)
            throughput = f"{numbers['throughput_ips']:,.0f}" + (
                " (batch-1 calls)" if numbers["throughput_mode"] == "batch-1 calls" else "")
            rows.append([manifest["model"], name, f"{numbers['p50_us']:.1f}", f"{numbers['p99_us']:.1f}",
                         throughput, f"{limit:.1f} ({compute_precision})",
                         f"{numbers['p50_us'] / limit:.1f}×"])
            print(f"  timed {manifest['model']}/{name}: p50 {numbers['p50_us']:.1f} µs", flush=True)
    return _table(["model", "artifact", "p50 µs", "p99 µs", "batch-256 img/s", "compute limit µs", "p50 / limit"], rows)


def _peak_rss(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of a command run in a fresh process."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], capture_output=True, text=True)
    wall = time.perf_counter() - start
    kilobytes = int(result.stdout.rsplit("PEAK_RSS_KB", 1)[1].split()[0])
    return wall, kilobytes / 1024, result.returncode


def tool_speed(artifacts: Path, scratch: Path) -> str:
    cli = str(BIN / "edgedigits")
    helps = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([cli, "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - start)
    rows = [["edgedigits --help", f"{statistics.median(helps):.3f}", "–", "median of 5"]]
    commands = {
        "edgedigits bench (all models, all formats, 10k images)": [cli, "bench", str(artifacts)],
        "edgedigits train v1 --epochs 1": [cli, "train", "v1", "--epochs", "1", "--artifacts-dir", str(scratch)],
        "edgedigits export v1 --formats all": [cli, "export", "v1", "--formats", "all", "--artifacts-dir", str(scratch)],
    }
    for label, command in commands.items():
        wall, rss, code = _peak_rss(command)
        rows.append([label, f"{wall:.1f}", f"{rss:,.0f}", f"exit {code}"])
        print(f"  {label}: {wall:.1f} s, {rss:.0f} MiB", flush=True)
    return _table(["command", "wall s", "peak RSS MiB", "note"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"))
    from edgedigits.config import DEFAULT_EPOCHS

    parser.add_argument("--epochs-v1", type=int, default=DEFAULT_EPOCHS["v1"])
    parser.add_argument("--epochs-v3", type=int, default=DEFAULT_EPOCHS["v3"])
    parser.add_argument("--skip-training", action="store_true", help="Skip part 1 (the slowest, ~8 min).")
    args = parser.parse_args()

    from edgedigits.environment import library_versions, machine_info

    machine, versions = machine_info(), library_versions()
    sections = [f"Machine: {machine['cpu']}, {machine['usable_cores']} cores usable, native bf16: "
                f"{machine['native_bf16']}; compute limit inputs: {json.dumps(compute_limit.describe())}",
                "Libraries: " + ", ".join(f"{k} {v}" for k, v in versions.items())]
    if not args.skip_training:
        print("1. training speed", flush=True)
        sections += ["### Training speed", training_speed({"v1": args.epochs_v1, "v3": args.epochs_v3})]
    print("2. inference latency", flush=True)
    sections += ["### Inference latency (1 thread)", inference_latency(args.artifacts)]
    print("3. static vs dynamic batch", flush=True)
    sections += ["### Static batch-1 vs dynamic-batch .tflite (batch 1, 1 thread, XNNPACK)",
                 _table(static_vs_dynamic.HEADER, static_vs_dynamic.static_vs_dynamic(args.artifacts))]
    print("4. tool speed", flush=True)
    scratch = HERE / "results" / "scratch"
    sections += ["### Tool speed", tool_speed(args.artifacts, scratch)]

    report = "\n\n".join(sections) + "\n"
    print("\n" + report)
    out = HERE / "results" / time.strftime("%Y%m%d-%H%M%S.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(f"saved to {out}")


if __name__ == "__main__":
    main()
