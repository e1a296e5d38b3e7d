"""The web bundle in headless Chromium: self-test, in-browser latency, bundle size and the README screenshot.

    .venv/bin/python benchmarks/web.py [--model-dir artifacts/v3] [--rounds 100] [--passes 3]
                                       [--screenshot docs/images/web-bundle.png]

Four bundles of one model folder, written to a temporary folder (the model folder is only read): LiteRT.js with
tflite_int8_float_io (the default) and tflite_float32, ONNX Runtime Web with onnx_int8 and onnx_float32. Each
page is opened `--passes` times, alternating between bundles so machine noise hits all alike; a page measures
its own latency (the page's procedure: 50 warm-up runs, then `--rounds` rounds of 20 back-to-back runs, median
of the per-run times) and the table gives the median over passes. The same files are then timed in Python with
edgedigits' one latency procedure (LiteRT with XNNPACK, ONNX Runtime CPU; 1 thread, batch 1, p50).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
BUNDLES = (("litert", "tflite_int8_float_io"), ("litert", "tflite_float32"), ("onnx", "onnx_int8"),
           ("onnx", "onnx_float32"))


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _draw_seven(page) -> None:
    box = page.locator("#pad").bounding_box()
    points = [(70, 70), (120, 68), (170, 66), (210, 66), (190, 110), (170, 150), (150, 190), (135, 230)]
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for step in range(1, 6):
            page.mouse.move(box["x"] + x0 + (x1 - x0) * step / 5, box["y"] + y0 + (y1 - y0) * step / 5)
    page.mouse.up()


def browser_runs(root: Path, names: list[str], *, rounds: int, passes: int, screenshot: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    from edgedigits.embed.web.headless import launch
    from edgedigits.embed.web.serve import make_server, url_of

    (root / "index.html").write_text("".join(f'<a href="{name}/">{name}</a>\n' for name in names))
    server = make_server(folder=root, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results = {name: {"latency": [], "load": []} for name in names}
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for _ in range(passes):
                for name in names:
                    page = browser.new_page()
                    page.goto(f"{url_of(server)}{name}/index.html?rounds={rounds}")
                    page.wait_for_function("() => document.body.dataset.latencyMs !== undefined "
                                           "|| document.body.dataset.selftest === 'fail'", timeout=600_000)
                    data = page.evaluate("() => ({...document.body.dataset})")
                    results[name]["selftest"] = data["selftest"] + (f" ({data['selftestReason']})"
                                                                    if data["selftest"] == "fail" else "")
                    results[name]["max_abs"] = data.get("selftestMaxAbs")
                    results[name]["status"] = page.inner_text("#selftest")
                    if "latencyMs" in data:
                        results[name]["latency"].append(float(data["latencyMs"]))
                        results[name]["load"].append(float(data["loadMs"]))
                    page.close()
            if screenshot is not None:
                page = browser.new_page(viewport={"width": 820, "height": 620})
                page.goto(f"{url_of(server)}{names[0]}/index.html")
                page.wait_for_function("() => document.body.dataset.latencyMs !== undefined", timeout=600_000)
                _draw_seven(page)
                page.wait_for_function("() => document.body.dataset.prediction !== undefined", timeout=60_000)
                results["screenshot_prediction"] = page.evaluate("() => document.body.dataset.prediction")
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return results


def python_latency(model_dir: Path, manifest: dict, fmt: str, passes: int) -> list[float]:
    """p50 µs of LiteRT (XNNPACK) / ONNX Runtime in Python, one per pass: edgedigits' latency procedure."""
    from edgedigits.bench.latency import measure
    from edgedigits.config import BenchConfig
    from edgedigits.data import load_mnist, scale
    from edgedigits.quiet import native_output_silenced
    from edgedigits.runtimes import open_runtime

    entry = manifest["artifacts"][fmt]
    with native_output_silenced():
        runtime = open_runtime(entry["runtime"], model_dir / entry["file"], threads=1)
    image = scale(load_mnist().x_test[:1])
    config = BenchConfig(runs=2000, min_time_s=0.5, max_time_s=3.0)
    return [measure(runtime, image, config=config)["p50_us"] for _ in range(passes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Path("artifacts/v3"))
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()

    from edgedigits.embed import embed_bundle
    from edgedigits.embed.web.headless import missing_browser
    from edgedigits.environment import cpu_model
    from edgedigits.manifest import read_manifest

    problem = missing_browser()
    if problem:
        sys.exit(f"error: {problem}")
    manifest = read_manifest(args.model_dir)
    with tempfile.TemporaryDirectory(prefix="edgedigits-web-") as scratch:
        root = Path(scratch)
        names, sizes = [], {}
        for runtime, fmt in BUNDLES:
            name = f"{runtime}-{fmt}"
            folder = embed_bundle(model_dir=args.model_dir, target="web", runtime=runtime, fmt=fmt, out=root / name)
            names.append(name)
            sizes[name] = (_folder_bytes(folder), _folder_bytes(folder / "vendor"), manifest["artifacts"][fmt]["bytes"])
        results = browser_runs(root, names, rounds=args.rounds, passes=args.passes, screenshot=args.screenshot)

    print(f"\n{manifest['model']} on {cpu_model()}, headless Chromium, {os.cpu_count()} CPUs visible, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| runtime | artifact | self-test (max |Δ| vs golden) | browser ms, median (best) of passes "
          "| Python ms, median (best) | page load (runtime + model) ms | bundle MB (runtime files) |")
    print("|---|---|---|---|---|---|---|")
    for (runtime, fmt), name in zip(BUNDLES, names):
        result = results[name]
        browser = result["latency"] or [float("nan")]
        load = statistics.median(result["load"]) if result["load"] else float("nan")
        python = [us / 1000 for us in python_latency(args.model_dir, manifest, fmt, args.passes)]
        total, vendor_bytes, _ = sizes[name]
        title = "LiteRT.js" if runtime == "litert" else "ORT-web"
        print(f"| {title} | {fmt} | {result['selftest']} ({float(result['max_abs'] or 'nan'):.1e}) "
              f"| {statistics.median(browser):.3f} ({min(browser):.3f}) | {statistics.median(python):.3f} "
              f"({min(python):.3f}) | {load:.0f} | {total / 1e6:.1f} ({vendor_bytes / 1e6:.1f}) |")
    if args.screenshot is not None:
        print(f"\nscreenshot: {args.screenshot} (drawn digit classified as {results['screenshot_prediction']})")
    for name in names:
        print(f"{name}: {results[name]['status']}")


if __name__ == "__main__":
    main()
