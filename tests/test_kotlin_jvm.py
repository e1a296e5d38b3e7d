"""The generated Kotlin, compiled with kotlinc (npm kotlin-compiler, `make node`) against project-written stubs
of the Android/LiteRT/JUnit API it uses (tests/jvm/stubs), then RUN on the JVM (tests/jvm/harness):

- MnistPreprocess against the golden preprocessing vectors Python computed (max |delta| per image);
- the generated unit tests themselves (MnistPreprocessTest; GoldenVectorTest's runRaw and classify tests);
- rounding at .5 ties, quantize and dequantize, against Python's rule;
- classify(MnistPreprocess.toModelInput(rgba)) end to end.

No inference runs on the JVM: the stub Interpreter REPLAYS outputs LiteRT recorded in Python, looked up by the
exact input bytes the Kotlin code feeds (an unknown input fails). So everything around the model is checked
bit for bit; the model itself is checked by the golden tests on a device. kotlinc is slow to start, so one
module fixture compiles everything in one call (plus one call for the deliberately broken copy).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from edgedigits.embed import android, embed_bundle, preprocess_golden
from edgedigits.embed.templates import render

ROOT = Path(__file__).resolve().parent.parent
KOTLIN_HOME = ROOT / "node_modules" / "kotlin-compiler"
KOTLINC = KOTLIN_HOME / "bin" / "kotlinc"
STDLIB = KOTLIN_HOME / "lib" / "kotlin-stdlib.jar"
STUBS = ROOT / "tests" / "jvm" / "stubs"
HARNESS = ROOT / "tests" / "jvm" / "harness" / "JvmHarness.kt"
FLOAT_PACKAGE = "com.example.edgedigits.f32"  # the float32 bundle's classes, compiled beside the int8 ones
KOTLIN_SECONDS: dict[str, float] = {}  # measured, printed by test_report_kotlin_step_time


def _require_toolchain() -> None:
    if not KOTLINC.is_file() or not STDLIB.is_file():
        pytest.fail(f"Kotlin compiler not found at {KOTLINC}: run `make node` (npm ci installs kotlin-compiler "
                    "from package.json)", pytrace=False)
    if shutil.which("java") is None or shutil.which("javac") is None:
        pytest.fail("java/javac not found: install a JDK 17 (Debian: openjdk-17-jdk-headless)", pytrace=False)


def _kotlinc(sources: list[Path], classpath: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(KOTLINC), "-nowarn", "-jvm-target", "17", "-cp", str(classpath), "-d", str(out),
                           *map(str, sources)], capture_output=True, text=True, timeout=600)


def _replay_folder(folder: Path, context, extra_inputs=None, extra_outputs=None) -> Path:
    """What the stub Interpreter replays: the model's sha256 and tensor numbers (from the manifest entry, not
    from the generated code) and recorded (input, output) pairs."""
    folder.mkdir(parents=True)
    lines = [f"model_sha256={context.model_sha256}"]
    for role, numbers in (("input", context.input), ("output", context.output)):
        lines += [f"{role}_name={numbers.name}", f"{role}_dtype={android.DATA_TYPES[numbers.dtype]}",
                  f"{role}_shape={','.join(map(str, numbers.shape))}",
                  f"{role}_bytes={numbers.elements * numbers.element_bytes}"]
        if numbers.quantized:
            lines += [f"{role}_scale={float(np.float32(numbers.scale))!r}", f"{role}_zero_point={numbers.zero_point}"]
    (folder / "stub.properties").write_text("\n".join(lines) + "\n")
    inputs, outputs = [context.golden_input], [context.golden_output]
    if extra_inputs is not None:
        inputs.append(extra_inputs.reshape(len(extra_inputs), -1))
        outputs.append(extra_outputs.reshape(len(extra_outputs), -1))
    for name, arrays in (("replay_inputs.bin", inputs), ("replay_outputs.bin", outputs)):
        (folder / name).write_bytes(np.concatenate(arrays).astype(arrays[0].dtype.newbyteorder("<")).tobytes())
    return folder


@dataclass
class Jvm:
    bundle: Path  # the int8 Android bundle (default format)
    float_assets: Path  # the float32 bundle's app/src
    classes: Path
    stubs: Path
    replay: Path
    float_replay: Path
    chain: dict  # case name -> expected probabilities (float32 [10]) through LiteRT in Python

    def run(self, *args: str, replay: Path | None = None, main_assets: Path | None = None,
            test_assets: Path | None = None, resources: Path | None = None) -> list[str]:
        src = self.bundle / "app" / "src"
        classpath = [self.classes, self.stubs, STDLIB, resources or src / "test" / "resources"]
        command = ["java", f"-Dedgedigits.stub.replay={replay or self.replay}",
                   f"-Dedgedigits.assets.target={main_assets or src / 'main' / 'assets'}",
                   f"-Dedgedigits.assets.test={test_assets or src / 'androidTest' / 'assets'}",
                   "-cp", ":".join(map(str, classpath)), "edgedigits.jvm.JvmHarnessKt", *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.splitlines()


@pytest.fixture(scope="module")
def jvm(trained_artifacts, tmp_path_factory) -> Jvm:
    from edgedigits.embed.context import app_resources, load_context
    from edgedigits.golden import compute_golden_outputs
    from edgedigits.runtimes import TensorSpec
    from edgedigits.runtimes.tflite_rt import dequantize

    _require_toolchain()
    tmp = tmp_path_factory.mktemp("jvm")
    model_dir = trained_artifacts / "v1"
    bundle = embed_bundle(model_dir=model_dir, target="android", out=tmp / "android")
    # The float32 bundle's classifier and device test, in their own package so one kotlinc call builds both.
    float_context = load_context(model_dir=model_dir, fmt="tflite_float32", kernels=android.KERNELS)
    float_values = {**android._values(float_context), "package": FLOAT_PACKAGE}
    float_src = tmp / "float32"
    for name in ("DigitClassifier.kt", "GoldenVectorTest.kt"):
        (float_src / "kotlin").mkdir(parents=True, exist_ok=True)
        (float_src / "kotlin" / name).write_text(render("android", name, **float_values))
    for relative, data in app_resources(float_context, "main/assets", "androidTest/assets").items():
        (float_src / relative).parent.mkdir(parents=True, exist_ok=True)
        (float_src / relative).write_bytes(data)

    started = time.perf_counter()
    stubs = tmp / "stubs"
    javac = subprocess.run(["javac", "-d", str(stubs), *map(str, sorted(STUBS.rglob("*.java")))],
                           capture_output=True, text=True)
    assert javac.returncode == 0, javac.stderr
    sources = sorted((bundle / "app").rglob("*.kt")) + sorted((float_src / "kotlin").glob("*.kt")) + [HARNESS]
    compiled = _kotlinc(sources, stubs, tmp / "classes")
    KOTLIN_SECONDS["javac + kotlinc (generated Kotlin of two bundles + harness)"] = time.perf_counter() - started
    assert compiled.returncode == 0, compiled.stderr[-5000:]

    # classify(toModelInput(rgba)) on the JVM feeds what Python's quantize makes of Python's preprocessing;
    # record LiteRT's output for those inputs so the stub can replay them.
    context = load_context(model_dir=model_dir, fmt="tflite_int8", kernels=android.KERNELS)
    cases = preprocess_golden.preprocess_golden_cases()
    frames = np.stack([case.expected for case in cases])[..., np.newaxis]
    recorded = compute_golden_outputs(model_dir / context.entry["file"], "tflite", android.KERNELS, frames)
    spec = TensorSpec("output", context.output.shape, "int8", context.output.scale, context.output.zero_point)
    chain = {case.name: dequantize(recorded["output"][i], spec) for i, case in enumerate(cases)}
    return Jvm(bundle=bundle, float_assets=float_src, classes=tmp / "classes", stubs=stubs,
               replay=_replay_folder(tmp / "replay", context, recorded["input"], recorded["output"]),
               float_replay=_replay_folder(tmp / "replay-float32", float_context), chain=chain)


def _results(lines: list[str], tag: str) -> dict[str, str]:
    return {line.split()[1]: line.split(maxsplit=2)[2] for line in lines if line.startswith(tag + " ")}


def test_generated_unit_tests_pass_on_the_jvm(jvm):
    lines = jvm.run("test", "com.example.edgedigits.MnistPreprocessTest",
                    "test", "com.example.edgedigits.GoldenVectorTest")
    lines += jvm.run("test", f"{FLOAT_PACKAGE}.GoldenVectorTest", replay=jvm.float_replay,
                     main_assets=jvm.float_assets / "main" / "assets",
                     test_assets=jvm.float_assets / "androidTest" / "assets")
    tests = _results(lines, "TEST")
    assert tests == {
        "com.example.edgedigits.MnistPreprocessTest.matchesPythonGoldenVectors": "PASS",
        "com.example.edgedigits.MnistPreprocessTest.blankImageHasNoDigit": "PASS",
        "com.example.edgedigits.GoldenVectorTest.classifyMatchesGoldenVectors": "PASS",
        "com.example.edgedigits.GoldenVectorTest.rawOutputsMatchGoldenVectors": "PASS",
        f"{FLOAT_PACKAGE}.GoldenVectorTest.classifyMatchesGoldenVectors": "PASS",
        f"{FLOAT_PACKAGE}.GoldenVectorTest.rawOutputsMatchGoldenVectors": "PASS",
    }, lines
    assert _results(lines, "RUNWITH")["com.example.edgedigits.GoldenVectorTest"] == "AndroidJUnit4"


def test_preprocessing_agrees_with_python(jvm):
    lines = jvm.run("preprocess", str(jvm.bundle / "app" / "src" / "test" / "resources"))
    results = {name: value.split() for name, value in _results(lines, "PREPROCESS").items()}
    assert sorted(results) == sorted(case.name for case in preprocess_golden.preprocess_golden_cases())
    worst = max(float(delta) for delta, _ in results.values())
    print(f"\nJVM MnistPreprocess vs Python preprocess_rgba: max |delta| = {worst:.3g} over {len(results)} images")
    assert worst <= 1e-6, results  # the bundle's test allows preprocess_golden.TOLERANCE; measured far below
    assert {via for _, via in results.values()} == {"bitmap-same"}


def test_changing_one_golden_preprocessing_value_fails_the_jvm_test(jvm, tmp_path):
    resources = tmp_path / "resources"
    shutil.copytree(jvm.bundle / "app" / "src" / "test" / "resources", resources)
    path = resources / preprocess_golden.EXPECTED_FILE
    values = np.frombuffer(path.read_bytes(), "<f4").copy()
    values[3 * 784 + 14 * 28 + 14] += 1e-3  # one pixel of one image, 100x the allowed tolerance
    path.write_bytes(values.tobytes())
    lines = jvm.run("test", "com.example.edgedigits.MnistPreprocessTest", resources=resources)
    result = _results(lines, "TEST")["com.example.edgedigits.MnistPreprocessTest.matchesPythonGoldenVectors"]
    name = preprocess_golden.preprocess_golden_cases()[3].name
    assert result.startswith(f"FAIL AssertionError: {name} pixel {14 * 28 + 14}: got"), result


def _floats(hex_bits: list[str]) -> np.ndarray:
    return np.array([int(b, 16) for b in hex_bits], np.uint32).view(np.float32)


def test_rounding_ties_quantize_and_dequantize_match_python(jvm, tmp_path):
    from edgedigits.runtimes import TensorSpec
    from edgedigits.runtimes.tflite_rt import dequantize, quantize, round_half_away_from_zero

    ties = np.array([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -127.5, -128.5, 127.5], np.float32)
    others = np.array([0.0, -0.0, 0.49, -0.49, 0.51, 1.4999999, 3.75, -3.75, 200.0, -300.0], np.float32)
    values = np.concatenate([ties, others])
    scale = np.float32(1 / 255)
    spec = TensorSpec("x", (1,), "int8", float(scale), -128)
    scaled = (values * scale).astype(np.float32)  # quantize(scaled) divides by scale again: near-ties, as in an app
    (tmp_path / "values.bin").write_bytes(values.astype("<f4").tobytes())
    (tmp_path / "scaled.bin").write_bytes(scaled.astype("<f4").tobytes())
    quantization = f"{int(scale.view(np.uint32)):x}:-128"
    lines = jvm.run("round", str(tmp_path / "values.bin"), quantization, "round", str(tmp_path / "scaled.bin"),
                    quantization, "dequantize", f"{int(scale.view(np.uint32)):x}", "-128")
    rounded = [line.split() for line in lines if line.startswith("ROUND ")]
    assert len(rounded) == 2 * len(values)
    # The rule, exactly (C++ std::round, LiteRT's QUANTIZE kernel): float64 holds |x| + 0.5 exactly.
    exact = (np.sign(values.astype(np.float64)) * np.floor(np.abs(values.astype(np.float64)) + 0.5)).astype(np.float32)
    assert exact[:len(ties)].tolist() == [1, -1, 2, -2, 3, -3, 127, -128, -129, 128]
    np.testing.assert_array_equal(_floats([r[2] for r in rounded[:len(values)]]), exact)  # Kotlin on the JVM
    np.testing.assert_array_equal(round_half_away_from_zero(values), exact)  # Python: the same rule
    # quantize(x, scale, zp): JVM == Python, ties and clipping included.
    np.testing.assert_array_equal([int(r[3]) for r in rounded[len(values):]], quantize(scaled, spec).astype(int))
    np.testing.assert_array_equal([int(r[3]) for r in rounded[:len(values)]],
                                  quantize(values, spec).astype(int))
    dequantized = {int(q): bits for q, bits in (line.split()[1:] for line in lines if line.startswith("DEQUANTIZE "))}
    np.testing.assert_array_equal(_floats([dequantized[q] for q in range(-128, 128)]),
                                  dequantize(np.arange(-128, 128).astype(np.int8), spec))


def test_classify_of_preprocessed_images_replays_python_bit_for_bit(jvm):
    """preprocess -> quantize -> run (replayed) -> dequantize: the stub only answers inputs Python recorded, so
    every image's bytes equal Python's, and the probabilities equal Python's dequantized LiteRT outputs."""
    chain = _results(jvm.run("chain", str(jvm.bundle / "app" / "src" / "test" / "resources")), "CHAIN")
    assert sorted(chain) == sorted(jvm.chain)
    for name, bits in chain.items():
        assert not bits.startswith("FAIL"), (name, bits)
        got = _floats(bits.split())
        np.testing.assert_array_equal(got, jvm.chain[name], err_msg=name)


def test_interpreter_options_and_close_on_failed_start_up_check(jvm):
    lines = jvm.run("options", "close-on-failure")
    assert "OPTIONS threads=1 xnnpack=true" in lines
    failure = next(line for line in lines if line.startswith("CLOSE_ON_FAILURE "))
    assert failure == "CLOSE_ON_FAILURE created=1 closed=1 threw:model and constants disagree", failure


def test_a_type_error_in_a_generated_file_fails_compilation(jvm, tmp_path):
    source = next((jvm.bundle / "app").rglob("DigitClassifier.kt")).read_text()
    correct = "fun classify(pixels: FloatArray): FloatArray = probabilities(runRaw(prepareInput(pixels)))"
    broken = source.replace(correct, "fun classify(pixels: FloatArray): FloatArray = runRaw(prepareInput(pixels))")
    assert broken != source
    (tmp_path / "DigitClassifier.kt").write_text(broken)
    started = time.perf_counter()
    result = _kotlinc([tmp_path / "DigitClassifier.kt"], jvm.stubs, tmp_path / "classes")
    KOTLIN_SECONDS["kotlinc (broken copy, must fail)"] = time.perf_counter() - started
    assert result.returncode != 0
    assert "DigitClassifier.kt" in result.stderr and "type mismatch" in result.stderr.lower(), result.stderr[-2000:]


def test_report_kotlin_step_time(jvm):
    print("\n" + "; ".join(f"{step}: {seconds:.1f} s" for step, seconds in KOTLIN_SECONDS.items()))
    assert KOTLIN_SECONDS


def test_a_missing_compiler_fails_in_one_line_never_skips(monkeypatch, tmp_path):
    import sys

    monkeypatch.setattr(sys.modules[__name__], "KOTLINC", tmp_path / "kotlinc")
    with pytest.raises(pytest.fail.Exception) as failure:
        _require_toolchain()
    message = str(failure.value)
    assert message.startswith(f"Kotlin compiler not found at {tmp_path / 'kotlinc'}: run `make node`")
    assert "\n" not in message
