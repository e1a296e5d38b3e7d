"""The generated Swift, compiled with a real Swift 6 compiler and its XCTests RUN (off Apple platforms):

- every .swift file of an iOS bundle in ONE swiftc call, in Swift 6 language mode with -warnings-as-errors and
  -warn-long-expression-type-checking (so an expression slower to type-check than TYPECHECK_LIMIT_MS fails, as
  MnistPreprocess.swift line 112 once did in Xcode), against a stand-in TensorFlowLite module with
  TensorFlowLiteSwift's public signatures (tests/swift/TensorFlowLite);
- the generated XCTests run from that build: MnistPreprocessTests against Python's golden preprocessing vectors,
  GoldenVectorTests through DigitClassifier with an Interpreter that REPLAYS what LiteRT recorded in Python
  (looked up by the exact input bytes the Swift code feeds), so everything around the model is checked;
- broken copies (the old slow expression, a syntax error, a changed golden value) fail.

The toolchain: swiftc 6 on PATH, or the Debian 13 root with `swiftlang` that tests/swift/setup-swift.sh builds
(.ci/run calls it before `make test`), entered with chroot. Missing: a failure in CI (CI=true), a skip locally.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from edgedigits.embed import embed_bundle, ios

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "tests" / "swift" / "TensorFlowLite" / "TensorFlowLite.swift"
SWIFT_ROOT = Path(os.environ.get("EDGEDIGITS_SWIFT_ROOT", "/var/cache/edgedigits/swift-trixie"))
TYPECHECK_LIMIT_MS = 200  # the generated preprocessing type-checks each expression in < 50 ms here
# The solver threshold (seconds) makes a hopeless expression fail in 2 s instead of the default ~40 s here.
FLAGS = (f"-swift-version 6 -warnings-as-errors -Xfrontend -warn-long-expression-type-checking={TYPECHECK_LIMIT_MS} "
         "-Xfrontend -solver-expression-time-threshold=2")
SWIFT_SECONDS: dict[str, float] = {}  # measured, printed by test_report_swift_step_time
OLD_CROP = ("        let crop = (0..<(cropHeight * cropWidth)).map { normalised[(top + $0 / cropWidth) * gray.width + "
            "left + $0 % cropWidth] }\n")


class Toolchain:
    """Runs a bash script in a work folder with swiftc on PATH: natively, or inside the chroot."""

    def __init__(self, chroot: Path | None):
        self.chroot = chroot

    def run(self, script: str, work: Path, timeout: int = 300) -> subprocess.CompletedProcess:
        (work / "run.sh").write_text("set -e\n" + script)
        if self.chroot is None:
            return subprocess.run(["bash", "run.sh"], cwd=work, capture_output=True, text=True, timeout=timeout)
        inside = f"/mnt/edgedigits-{uuid.uuid4().hex[:12]}"
        (self.chroot / inside[1:]).mkdir(parents=True)
        try:
            # A private mount namespace: /proc (swiftc needs it) and the work folder are mounted for this
            # process only and vanish with it; the host's mount table is never touched.
            command = ('mount -t proc proc "$1/proc" && mount --bind "$2" "$1$3" && '
                       'exec chroot "$1" /bin/bash -c "cd $3 && bash run.sh"')
            return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command, "sh",
                                   str(self.chroot), str(work), inside], capture_output=True, text=True,
                                  timeout=timeout)
        finally:
            (self.chroot / inside[1:]).rmdir()


def _find_toolchain() -> Toolchain | None:
    native = shutil.which("swiftc")
    if native is not None:
        version = subprocess.run([native, "--version"], capture_output=True, text=True).stdout
        if re.search(r"Swift version ([6-9]|\d\d)\.", version):
            return Toolchain(None)
    ready = SWIFT_ROOT / ".edgedigits-swift-ready"
    if ready.is_file() and os.geteuid() == 0 and shutil.which("unshare") is not None:
        return Toolchain(SWIFT_ROOT)
    return None


def _require_toolchain() -> Toolchain:
    toolchain = _find_toolchain()
    if toolchain is None:
        message = (f"no Swift 6 compiler: put swiftc 6 on PATH, or run tests/swift/setup-swift.sh as root (a "
                   f"Debian 13 root with swiftlang in {SWIFT_ROOT}, entered with chroot)")
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return toolchain


def _harness(tests: list[Path]) -> str:
    """XCTMain over every `func test...()` of the generated test files (Linux XCTest has no discovery)."""
    cases = []
    for path in tests:
        text = path.read_text()
        name = re.search(r"final class (\w+): XCTestCase", text).group(1)
        methods = re.findall(r"func (test\w+)\(\) throws", text)
        entries = ",\n".join(f'        ("{m}", {{ (test: {name}) in {{ try test.{m}() }} }})' for m in methods)
        cases.append(f"    testCase([\n{entries},\n    ]),")
    return "import XCTest\n\nXCTMain([\n" + "\n".join(cases) + "\n])\n"


def _replay(folder: Path, model_dir: Path) -> None:
    """What the stand-in Interpreter replays: the tensor numbers from the manifest and LiteRT's recorded pairs."""
    from edgedigits.embed.context import load_context

    context = load_context(model_dir=model_dir, fmt=ios.DEFAULT_FORMAT, kernels=ios.KERNELS)
    folder.mkdir()
    lines = [f"model_bytes={(model_dir / context.entry['file']).stat().st_size}"]
    for role, numbers in (("input", context.input), ("output", context.output)):
        lines += [f"{role}_name={numbers.name}", f"{role}_dtype={numbers.dtype}",
                  f"{role}_shape={','.join(map(str, numbers.shape))}",
                  f"{role}_bytes={numbers.elements * numbers.element_bytes}"]
    (folder / "replay.txt").write_text("\n".join(lines) + "\n")
    for name, array in (("replay_inputs.bin", context.golden_input), ("replay_outputs.bin", context.golden_output)):
        (folder / name).write_bytes(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes())


def _timed(output: str) -> dict[str, float]:
    """Seconds per step from the `STAMP step time` lines the build script prints."""
    stamps = [(step, float(at)) for step, at in re.findall(r"^STAMP (\S+) ([\d.]+)$", output, re.M)]
    return {f"swiftc {step}": at - before for (_, before), (step, at) in zip(stamps, stamps[1:])}


BUILD = f"""
echo "STAMP start $EPOCHREALTIME"
swiftc {FLAGS} -emit-library -static -emit-module -module-name TensorFlowLite \\
    -emit-module-path build/TensorFlowLite.swiftmodule -o build/libTensorFlowLite.a TensorFlowLite.swift
echo "STAMP stand-in-module $EPOCHREALTIME"
swiftc {FLAGS} -I build -L build -lTensorFlowLite Sources/*.swift Tests/*.swift harness/main.swift -o build/bundle-tests
echo "STAMP bundle+tests $EPOCHREALTIME"
"""
RUN = "cd build && EDGEDIGITS_TFLITE_REPLAY=../replay ./bundle-tests\n"


@pytest.fixture(scope="module")
def swift(trained_artifacts, tmp_path_factory):
    toolchain = _require_toolchain()
    tmp = tmp_path_factory.mktemp("swift")
    bundle = embed_bundle(model_dir=trained_artifacts / "v1", target="ios", out=tmp / "ios")
    work = tmp / "work"
    for folder in ("Sources", "Tests", "harness", "build"):
        (work / folder).mkdir(parents=True)
    for path in (*bundle.glob("Sources/*.swift"), *bundle.glob("Tests/*.swift")):
        shutil.copy(path, work / path.parent.name / path.name)
    for path in (*bundle.glob("Resources/*"), *bundle.glob("Tests/Resources/*")):  # Bundle.main = the build folder
        shutil.copy(path, work / "build" / path.name)
    shutil.copy(STUB, work / "TensorFlowLite.swift")
    (work / "harness" / "main.swift").write_text(_harness(sorted((work / "Tests").glob("*.swift"))))
    _replay(work / "replay", trained_artifacts / "v1")
    started = time.perf_counter()
    built = toolchain.run(BUILD, work)
    SWIFT_SECONDS["setup + build (wall)"] = time.perf_counter() - started
    assert built.returncode == 0, (built.stdout + built.stderr)[-6000:]
    SWIFT_SECONDS.update(_timed(built.stdout))
    started = time.perf_counter()
    ran = toolchain.run(RUN, work)
    SWIFT_SECONDS["XCTests (wall)"] = time.perf_counter() - started
    return {"toolchain": toolchain, "bundle": bundle, "work": work, "run": ran}


def test_every_generated_swift_file_is_compiled(swift):
    generated = {p.name for p in swift["bundle"].rglob("*.swift")}
    compiled = {p.name for folder in ("Sources", "Tests") for p in (swift["work"] / folder).glob("*.swift")}
    assert generated == compiled == {"DigitClassifier.swift", "MnistPreprocess.swift", "GoldenVectorTests.swift",
                                     "MnistPreprocessTests.swift"}
    assert (swift["work"] / "build" / "bundle-tests").is_file()


def test_generated_xctests_pass(swift):
    ran = swift["run"]
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, output[-4000:]
    passed = set(re.findall(r"Test Case '(\S+)' passed", output))
    wanted = {f"{cls}.{method}" for path in (swift["work"] / "Tests").glob("*.swift")
              for cls in re.findall(r"final class (\w+): XCTestCase", path.read_text())
              for method in re.findall(r"func (test\w+)\(\) throws", path.read_text())}
    assert passed == wanted and len(wanted) == 4, (passed, wanted)
    assert "Executed 4 tests, with 0 failures" in output
    # DigitClassifier asked the (stand-in) Interpreter for one thread and XNNPACK, as the golden vectors need.
    assert set(re.findall(r"STUB Interpreter (.*)", output)) == {"threads=1 xnnpack=true"}


def test_changing_one_golden_preprocessing_value_fails_the_xctest(swift, tmp_path):
    from edgedigits.embed import preprocess_golden

    work = tmp_path / "work"
    shutil.copytree(swift["work"], work, symlinks=True)
    path = work / "build" / preprocess_golden.EXPECTED_FILE
    values = np.frombuffer(path.read_bytes(), "<f4").copy()
    values[3 * 784 + 14 * 28 + 14] += 1e-3  # one pixel of one image, 100x the allowed tolerance
    path.write_bytes(values.tobytes())
    ran = swift["toolchain"].run(RUN, work)
    output = ran.stdout + ran.stderr
    assert ran.returncode != 0
    name = preprocess_golden.preprocess_golden_cases()[3].name
    assert f"{name} pixel {14 * 28 + 14}: got" in output, output[-3000:]
    assert "Test Case 'MnistPreprocessTests.testMatchesPythonGoldenVectors' failed" in output


@pytest.mark.parametrize("damage", ["old slow expression", "syntax error"])
def test_a_broken_copy_fails_to_compile(swift, tmp_path, damage):
    source = (swift["work"] / "Sources" / "MnistPreprocess.swift").read_text()
    start = source.index("        // A loop, not one map closure")
    end = source.index("        // Step 7")
    broken = (source[:start] + OLD_CROP + source[end:] if damage == "old slow expression"
              else source.replace("for k in 0..<count {", "for k in 0..<count", 1))
    assert broken != source
    (tmp_path / "MnistPreprocess.swift").write_text(broken)
    started = time.perf_counter()
    result = swift["toolchain"].run(f"swiftc {FLAGS} -typecheck MnistPreprocess.swift\n", tmp_path)
    SWIFT_SECONDS[f"swiftc -typecheck ({damage}, must fail)"] = time.perf_counter() - started
    assert result.returncode != 0
    if damage == "old slow expression":
        # Swift 6.0.3 here: "expression took N ms to type-check (limit: 200ms)" at the crop line, or it gives up.
        assert re.search(r"to type-check|unable to type-check this expression in reasonable time", result.stderr), \
            result.stderr[-2000:]
        assert "MnistPreprocess.swift:" in result.stderr
    else:
        assert "error:" in result.stderr and "MnistPreprocess.swift:" in result.stderr, result.stderr[-2000:]


def test_report_swift_step_time(swift):
    print("\n" + "; ".join(f"{step}: {seconds:.1f} s" for step, seconds in SWIFT_SECONDS.items()))
    assert SWIFT_SECONDS


def test_a_missing_toolchain_fails_in_ci_and_skips_locally(monkeypatch, tmp_path):
    import sys

    module = sys.modules[__name__]
    monkeypatch.setattr(module, "SWIFT_ROOT", tmp_path / "none")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failure:
        _require_toolchain()
    assert str(failure.value).startswith("no Swift 6 compiler: put swiftc 6 on PATH")
    assert "\n" not in str(failure.value)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        _require_toolchain()


def test_the_other_template_variants_typecheck(swift, tmp_path):
    """What the v1 bundle does not contain: ModelInput.swift (+ its XCTest) for whole-image-resize models, gray and
    BGR, and MnistPreprocess.swift with a model's own pixel mapping: one swiftc -typecheck call, same flags; then
    the v1 bundle in Swift 5 language mode."""
    from edgedigits.embed.android import preprocess_values
    from edgedigits.embed.templates import render

    recipe = preprocess_values()
    mapped = {"scale": "0.00784313772", "offset": "-1.0", "default_mapping": False}
    (tmp_path / "MnistPreprocess.swift").write_text(render("ios", "MnistPreprocess.swift", **recipe, **mapped))
    common = {"model_name": "quadrants", "width": 32, "height": 32, "cases": [1, 2, 3], "files": recipe["files"],
              "tolerance": recipe["tolerance"], **mapped}
    (tmp_path / "ModelInput.swift").write_text(render("ios", "ModelInput.swift", channels=3, channel_order="bgr",
                                                      **common))
    (tmp_path / "ModelInputTests.swift").write_text(render("ios", "ModelInputTests.swift", channels=3,
                                                           channel_order="bgr", **common))
    gray = render("ios", "ModelInput.swift", channels=1, channel_order="rgb", **{**common, "default_mapping": True})
    (tmp_path / "GrayInput.swift").write_text(gray.replace("enum ModelInput", "enum GrayInput"))
    # ... and the bundle itself in Swift 5 language mode (a new Xcode project's default), same warnings as errors.
    for folder in ("Sources", "Tests"):
        shutil.copytree(swift["work"] / folder, tmp_path / "bundle" / folder)
    shutil.copytree(swift["work"] / "build", tmp_path / "bundle" / "build",
                    ignore=shutil.ignore_patterns("bundle-tests", "*.bin", "*.tflite", "*.txt"))
    flags5 = FLAGS.replace("-swift-version 6", "-swift-version 5")
    result = swift["toolchain"].run(f"swiftc {FLAGS} -typecheck *.swift\n"
                                    f"cd bundle && swiftc {flags5} -I build -typecheck Sources/*.swift Tests/*.swift\n",
                                    tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "(x * 255) * scale + offset" in (tmp_path / "MnistPreprocess.swift").read_text()
