"""Android and iOS bundles: where each file lands, what the generated code must say (XNNPACK, one rounding rule,
no hand edits), iOS refusing int8 I/O, and the golden preprocessing vectors. Swift has no toolchain here, so
its checks read the generated text; each check is shown to fail on a deliberately broken copy."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

import edgedigits.cli  # noqa: F401 - registers the commands
from edgedigits.cli.app import app
from edgedigits.embed import embed_bundle, preprocess_golden

runner = CliRunner()
IOS_REFUSAL = ("error: --format tflite_int8: int8 input/output cannot be fed from Swift (TensorFlowLiteSwift's "
               "Tensor.DataType has no int8 case); use --format tflite_int8_float_io")


@pytest.fixture(scope="module")
def phone(trained_artifacts, tmp_path_factory):
    out = tmp_path_factory.mktemp("phone")
    return {target: embed_bundle(model_dir=trained_artifacts / "v1", target=target, out=out / target)
            for target in ("android", "ios")}


@pytest.mark.parametrize("name", ["int8", "tflite_int8", "int8-aiq"])
def test_ios_refuses_int8_io_in_one_line(trained_artifacts, tmp_path, name):
    result = runner.invoke(app, ["embed", str(trained_artifacts / "v1"), "--target", "ios", "--format", name,
                                 "--out", str(tmp_path / "b")])
    assert result.exit_code == 2, result.output
    expected = IOS_REFUSAL if name != "int8-aiq" else IOS_REFUSAL.replace("tflite_int8:", "tflite_int8_aiq:")
    assert result.output.strip() == expected
    assert not (tmp_path / "b").exists()


def test_ios_default_is_float_io_that_swift_can_feed(phone):
    record = json.loads((phone["ios"] / "bundle.json").read_text())
    assert record["format"] == "tflite_int8_float_io"
    assert record["input"]["dtype"] == record["output"]["dtype"] == "float32"
    swift = (phone["ios"] / "Sources" / "DigitClassifier.swift").read_text()
    assert "input.dataType == .float32" in swift and "output.dataType == .float32" in swift


def _swift_problems(classifier: str, tests: str) -> list[str]:
    """What the generated Swift must say: XNNPACK on (the goldens are XNNPACK's), tests that read their own
    bundle with no app module to edit."""
    problems = []
    if not re.search(r"^\s*options\.isXNNPackEnabled = true\b", classifier, re.M):
        problems.append("XNNPACK not enabled")
    code = "\n".join(line for line in tests.splitlines() if not line.lstrip().startswith("//"))
    if re.search(r"^\s*(@testable )?import (?!XCTest\b)", code, re.M) or "Bundle.main" in code:
        problems.append("tests depend on the app module or Bundle.main")
    if "Bundle(for: GoldenVectorTests.self)" not in tests:
        problems.append("tests do not read their own bundle")
    return problems


def test_swift_enables_xnnpack_and_tests_need_no_edit(phone):
    classifier = (phone["ios"] / "Sources" / "DigitClassifier.swift").read_text()
    tests = (phone["ios"] / "Tests" / "GoldenVectorTests.swift").read_text()
    assert _swift_problems(classifier, tests) == []
    # broken copies fail the check
    assert _swift_problems(classifier.replace("isXNNPackEnabled = true", "isXNNPackEnabled = false"), tests)
    assert _swift_problems(classifier, "@testable import YourApp\n" + tests)
    readme = (phone["ios"] / "README.md").read_text()
    assert "use_frameworks!" in readme and "pod 'TensorFlowLiteSwift'" in readme and "Host Application" in readme


def swift_rounding(source: str) -> str:
    """The rounding rule the generated Swift applies in quantize(), read from its text."""
    body = re.search(r"static func roundHalfAwayFromZero\(_ x: Float\) -> Float \{\s*return x\.rounded\((.*?)\)\s*\}",
                     source, re.S)
    if body is None or not re.search(r"Int\(roundHalfAwayFromZero\(x / scale\)\) \+ zeroPoint", source):
        return "none"
    # Swift's rounded() with no argument is .toNearestOrAwayFromZero (schoolbook rounding).
    rule = body.group(1)
    return "ties away from zero" if rule in ("", ".toNearestOrAwayFromZero") else rule


def test_rounding_rule_is_ties_away_from_zero_in_python_and_in_the_swift_text(phone):
    from edgedigits.runtimes.tflite_rt import round_half_away_from_zero

    ties = np.array([0.5, -0.5, 1.5, -1.5, 2.5, -2.5], np.float32)
    assert round_half_away_from_zero(ties).tolist() == [1, -1, 2, -2, 3, -3]  # not numpy's [0, -0, 2, -2, 2, -2]
    source = (phone["ios"] / "Sources" / "DigitClassifier.swift").read_text()
    assert swift_rounding(source) == "ties away from zero"
    assert swift_rounding(source.replace(".toNearestOrAwayFromZero", ".toNearestOrEven")) == ".toNearestOrEven"
    assert swift_rounding(source.replace("Int(roundHalfAwayFromZero(x / scale))", "Int(x / scale)")) == "none"
    kotlin = next(phone["android"].rglob("DigitClassifier.kt")).read_text()
    assert "Math.round" not in kotlin and "roundHalfAwayFromZero(x / scale).toInt() + zeroPoint" in kotlin


def _outline(source: str) -> list[str]:
    """The skeleton both preprocessing files share: step comments and function names, in order."""
    items = []
    for line in source.splitlines():
        if step := re.search(r"^\s*// (Step \d)", line):
            items.append(step.group(1))
        elif function := re.search(r"\bfunc? (\w+)\(", line):
            items.append(function.group(1))
    return items


def test_swift_preprocessing_mirrors_the_kotlin_one(phone):
    import edgedigits.preprocess as recipe

    kotlin = next(phone["android"].rglob("MnistPreprocess.kt")).read_text()
    swift = (phone["ios"] / "Sources" / "MnistPreprocess.swift").read_text()
    kotlin_outline = [name for name in _outline(kotlin) if name != "toModelInput"]
    swift_outline = [name for name in _outline(swift) if name != "toModelInput"]
    assert kotlin_outline == swift_outline and len(kotlin_outline) >= 10, (kotlin_outline, swift_outline)
    assert _outline(kotlin).count("toModelInput") == 2 and _outline(swift).count("toModelInput") >= 2  # + adapters
    assert "fun toModelInput(argb: IntArray, width: Int, height: Int): FloatArray" in kotlin
    assert "static func toModelInput(rgba: [UInt8], width: Int, height: Int) -> [Float]" in swift
    for kotlin_name, swift_name, value in [("FRAME", "frame", recipe.FRAME), ("BOX", "box", recipe.BOX),
                                           ("WORK_SIDE", "workSide", recipe.WORK_SIDE)]:
        assert f"const val {kotlin_name} = {value}" in kotlin and f"static let {swift_name} = {value}" in swift
    assert f"INK_THRESHOLD = {recipe.INK_THRESHOLD}f" in kotlin
    assert f"inkThreshold: Float = {recipe.INK_THRESHOLD}" in swift
    broken = swift.replace("// Step 5", "// Step five")
    assert [n for n in _outline(broken) if n != "toModelInput"] != kotlin_outline


def test_android_files_land_in_gradle_source_sets(phone):
    folder = phone["android"]
    files = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    package = "com/example/edgedigits"
    assert {f"app/src/main/java/{package}/DigitClassifier.kt", f"app/src/main/java/{package}/MnistPreprocess.kt",
            f"app/src/androidTest/java/{package}/GoldenVectorTest.kt",
            f"app/src/test/java/{package}/MnistPreprocessTest.kt"} <= files
    assert not [name for name in files if name.startswith("app/src/main/assets/golden")]
    golden = ("inputs", "outputs", "expected_class", "pixels")
    assert {f"app/src/androidTest/assets/golden_{name}.bin" for name in golden} <= files
    readme = (folder / "README.md").read_text()
    assert 'testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"' in readme
    kotlin = (folder / f"app/src/main/java/{package}/DigitClassifier.kt").read_text()
    assert "Not thread-safe" in kotlin and ".setUseXNNPACK(true)" in kotlin
    assert re.search(r"catch \(e: Throwable\) \{\s*interpreter\.close\(\)", kotlin)
    test = (folder / f"app/src/androidTest/java/{package}/GoldenVectorTest.kt").read_text()
    assert "instrumentation.context.assets" in test and "DigitClassifier(instrumentation.targetContext)" in test


def test_golden_preprocessing_cases_are_deterministic_and_varied(mnist):
    from edgedigits.preprocess import preprocess_rgba

    cases = preprocess_golden.preprocess_golden_cases(mnist)
    again = preprocess_golden.preprocess_golden_cases(mnist)
    assert [c.name for c in cases] == [c.name for c in again] and len(cases) >= 6
    for case, twin in zip(cases, again):
        assert case.rgba.dtype == np.uint8 and case.rgba.shape[2] == 4
        np.testing.assert_array_equal(case.rgba, twin.rgba)
        np.testing.assert_array_equal(case.expected, preprocess_rgba(case.rgba)[:, :, 0])
        assert case.expected.dtype == np.float32 and case.expected.shape == (28, 28)
    light_paper = [c for c in cases if np.median(c.rgba[0, :, :3]) > 128 and (c.rgba[..., 3] == 255).all()]
    dark_paper = [c for c in cases if np.median(c.rgba[0, :, :3]) < 128 and (c.rgba[..., 3] == 255).all()]
    transparent = [c for c in cases if (c.rgba[..., 3] == 0).any()]
    assert light_paper and dark_paper and len(transparent) >= 2
    assert len({c.rgba.shape[:2] for c in cases}) == len(cases)  # every size and aspect ratio differs
    files = preprocess_golden.golden_files(cases, "x")
    assert [name for name, *_ in preprocess_golden.read_golden_files(files, "x")] == [c.name for c in cases]


def test_both_bundles_ship_the_same_golden_preprocessing_files(phone):
    for name in preprocess_golden.FILES:
        android = (phone["android"] / "app" / "src" / "test" / "resources" / name).read_bytes()
        assert android == (phone["ios"] / "Tests" / "Resources" / name).read_bytes(), name


def test_android_bundle_pins_litert_and_ships_a_gradle_fragment(phone):
    from edgedigits.embed import android

    fragment = (phone["android"] / android.GRADLE_FRAGMENT).read_text()
    for line in ['implementation("com.google.ai.edge.litert:litert:1.4.1")', "minSdk = 21",
                 'androidTestImplementation("androidx.test.ext:junit:1.3.0")',
                 'androidTestImplementation("androidx.test:runner:1.7.0")', 'noCompress += "tflite"']:
        assert line in fragment, line
    readme = (phone["android"] / "README.md").read_text()
    assert fragment.strip() in readme and "<current version>" not in readme and "minSdk 21" in readme
    kotlin = next(phone["android"].rglob("DigitClassifier.kt")).read_text()
    assert 'const val LABELS_ASSET = "labels.txt"' in kotlin and "context.assets.open(LABELS_ASSET)" in kotlin


def test_float_golden_tolerance_comes_from_the_measured_kernel_spread(phone, trained_artifacts):
    """iOS embeds int8 with float I/O: its tolerance is FLOAT_SAFETY x the spread between LiteRT's kernel sets
    measured at export (one output step, 1/256, on 1,000 images here), not a fixed 1e-5."""
    from edgedigits.golden import FLOAT_SAFETY, SPREAD_KERNELS

    manifest = json.loads((trained_artifacts / "v1" / "manifest.json").read_text())
    spreads = {s["artifact"]: s["kernel_spread"] for s in manifest["golden"]["sets"] if "kernel_spread" in s}
    assert {"tflite_float32", "tflite_fp16", "tflite_dynamic", "tflite_int8_float_io"} <= set(spreads)
    assert all(s["kernels"] == list(SPREAD_KERNELS) and s["images"] == 1000 for s in spreads.values())
    spread = spreads["tflite_int8_float_io"]["max_abs_diff"]
    golden = next(s for s in manifest["golden"]["sets"]
                  if s["artifact"] == "tflite_int8_float_io" and s["kernels"] == "default")
    assert spread > 0  # measured here: 1/256, one output step
    assert FLOAT_SAFETY * spread <= golden["tolerance"]["max_abs"] <= FLOAT_SAFETY * spread * 1.1
    swift = (phone["ios"] / "Tests" / "GoldenVectorTests.swift").read_text()
    assert f"static let tolerance: Float = {golden['tolerance']['max_abs']!r}" in swift
    readme = (phone["ios"] / "README.md").read_text()
    assert "largest difference measured at export between LiteRT's kernel sets" in readme


def test_ios_bundle_ships_a_pinned_podfile_and_states_its_minimums(phone):
    podfile = (phone["ios"] / "Podfile").read_text()
    assert "pod 'TensorFlowLiteSwift', '2.17.0'" in podfile and "platform :ios, '13.0'" in podfile
    readme = (phone["ios"] / "README.md").read_text()
    assert podfile.strip() in readme and "iOS 13.0" in readme and "Exact" in readme
    assert "framework the app embeds" not in readme and "static framework" in readme
    swift = (phone["ios"] / "Sources" / "MnistPreprocess.swift").read_text()
    assert "#if canImport(CoreGraphics)\nimport CoreGraphics\n#endif" in swift
    assert "static func hasDigit(_ input: [Float]) -> Bool" in swift
