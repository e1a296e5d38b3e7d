"""The microcontroller bundle, proved as far as this machine can:

- RUN on TensorFlow Lite Micro's own interpreter (PyPI tflite-micro): the model and golden vectors parsed back out
  of the generated C reproduce the recorded outputs bit for bit with exactly the bundle's arena constant;
- COMPILE CHECK AGAINST STUB HEADERS (tests/tflm_stubs/, not TFLM's headers, not a TFLM build): the generated C++
  compiles warning-free under -Werror with TFLM's Makefile warnings plus -Wmissing-declarations;
- RUN AGAINST A FAKE TFLM (tests/tflm_stubs/fake_tflm.cc): the API's control flow (init once, one interpreter,
  the golden test as a client) and the generated quantize/dequantize helpers execute natively.
Every check is shown to fail on a deliberately broken copy.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgedigits.embed import embed_bundle
from edgedigits.golden import find_golden_set, load_golden_array
from edgedigits.manifest import read_manifest

CXX = shutil.which("g++") or shutil.which("c++")
CC = shutil.which("gcc") or shutil.which("cc")
STUBS = Path(__file__).parent / "tflm_stubs"
# TFLM's Makefile warnings (CC_WARNINGS) and flags, plus -Wmissing-declarations; TF_LITE_STATIC_MEMORY as TFLM builds.
WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wmissing-declarations", "-Wdouble-promotion", "-Wshadow",
            "-Wsign-compare", "-Wunused-variable", "-Wmissing-field-initializers", "-Wunused-function", "-Wswitch",
            "-Wvla", "-Wstrict-aliasing", "-Wno-unused-parameter", "-DTF_LITE_STATIC_MEMORY"]
CXXFLAGS = ["-std=c++17", "-fno-rtti", "-fno-exceptions", "-fno-threadsafe-statics", *WARNINGS]
GENERATED_CC = ("edgedigits_model.cc", "golden_test.cc", "golden_vectors.cc", "model_data.cc")
needs_compiler = pytest.mark.skipif(CXX is None or CC is None, reason="no C/C++ compiler")
FORMATS = ("tflite_int8", "tflite_int8_float_io")  # int8 I/O and float I/O: the two shapes the templates take


@pytest.fixture(scope="module")
def bundles(trained_artifacts, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("mcu")
    return {fmt: embed_bundle(model_dir=trained_artifacts / "v1", target="mcu", fmt=fmt, out=out / fmt)
            for fmt in FORMATS}


# --- reading the generated C back -------------------------------------------------------------------------------

def defines(text: str) -> dict[str, str]:
    return dict(re.findall(r"^#define (\w+) (.+?)(?:\s*//.*)?$", text, re.M))


def model_from_c(source: str) -> bytes:
    body = re.search(r"g_model_data\[\] = \{(.*?)\};", source, re.S).group(1)
    return bytes(int(byte, 16) for byte in re.findall(r"0x([0-9a-f]{2})", body))


def c_array(header: str, name: str, dtype) -> np.ndarray:
    found = re.search(rf"^const \w+ {name}((?:\[\d+\])+) = \{{(.*?)\}};", header, re.S | re.M)
    dims = [int(d) for d in re.findall(r"\d+", found.group(1))]
    values = re.findall(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?", found.group(2))
    return np.array([float(v) if np.dtype(dtype).kind == "f" else int(v) for v in values], dtype=dtype).reshape(dims)


def arena_constant(folder: Path) -> int:
    return int(defines((folder / "model_settings.h").read_text())["EDGEDIGITS_TENSOR_ARENA_SIZE"])


def tflm_mismatches(header: str, model: bytes, arena: int, dtype) -> list[str]:
    """Run the header's golden inputs through TFLite Micro's interpreter with `arena` bytes; what differs from the
    header's outputs and expected classes (empty: bit-exact)."""
    from tflite_micro.python.tflite_micro import runtime

    from edgedigits.quiet import native_output_silenced

    inputs, expected = c_array(header, "golden_inputs", dtype), c_array(header, "golden_outputs", dtype)
    classes = c_array(header, "golden_expected_class", np.uint8)
    with native_output_silenced():
        interpreter = runtime.Interpreter.from_bytes(model, arena_size=arena)
    problems = []
    for i, row in enumerate(inputs):
        interpreter.set_input(row.reshape(1, 28, 28, 1), 0)
        interpreter.invoke()
        got = np.array(interpreter.get_output(0)).reshape(-1)
        if got.dtype != expected.dtype or not np.array_equal(got, expected[i]):
            problems.append(f"input {i}: outputs differ")
        if int(got.argmax()) != int(classes[i]):
            problems.append(f"input {i}: class {int(got.argmax())}, header expects {int(classes[i])}")
    return problems


def tflm_allocates(model: bytes, arena: int) -> bool:
    from tflite_micro.python.tflite_micro import runtime

    from edgedigits.quiet import native_output_silenced

    try:
        with native_output_silenced():
            runtime.Interpreter.from_bytes(model, arena_size=arena)
    except RuntimeError:  # "TFLM failed to allocate tensors"
        return False
    return True


# --- RUN: TensorFlow Lite Micro's interpreter -------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_model_array_is_the_tflite_byte_for_byte(trained_artifacts, bundles, fmt):
    entry = read_manifest(trained_artifacts / "v1")["artifacts"][fmt]
    model = (trained_artifacts / "v1" / entry["file"]).read_bytes()
    parsed = model_from_c((bundles[fmt] / "model_data.cc").read_text())
    assert parsed == model and f"g_model_data_len = {len(model)};" in (bundles[fmt] / "model_data.cc").read_text()


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_header_run_through_tflm_with_the_bundle_arena_is_bit_exact(trained_artifacts, bundles, fmt):
    model_dir = trained_artifacts / "v1"
    manifest = read_manifest(model_dir)
    folder = bundles[fmt]
    header = (folder / "golden_vectors.cc").read_text()
    dtype = np.int8 if manifest["artifacts"][fmt]["outputs"][0]["dtype"] == "int8" else np.float32
    model = model_from_c((folder / "model_data.cc").read_text())
    assert tflm_mismatches(header, model, arena_constant(folder), dtype) == []
    # ... and the header holds the manifest's "tflm" golden set, named truthfully everywhere.
    golden = find_golden_set(manifest, artifact=fmt, kernels="tflm", manifest_dir=model_dir)
    np.testing.assert_array_equal(c_array(header, "golden_outputs", dtype),
                                  load_golden_array(model_dir, golden["output"]).reshape(20, -1))
    assert "TensorFlow Lite Micro" in golden["computed_by"]
    assert golden["computed_by"] in (folder / "golden_vectors.h").read_text()
    record = json.loads((folder / "bundle.json").read_text())
    assert record["golden"]["kernels"] == "tflm" and record["golden"]["computed_by"] == golden["computed_by"]
    for text in (header, (folder / "golden_vectors.h").read_text(), (folder / "README.md").read_text(),
                 (folder / "golden_test.cc").read_text()):
        assert "LiteRT builtin" not in text and "BUILTIN" not in text


def test_a_golden_value_one_step_off_fails_the_tflm_check(bundles):
    folder = bundles["tflite_int8"]
    header = (folder / "golden_vectors.cc").read_text()
    model = model_from_c((folder / "model_data.cc").read_text())
    start = header.index("golden_outputs[20][10] = {")
    first = re.compile(r"-?\d+").search(header, header.index("{\n", start) + 2)
    broken = header[:first.start()] + str(int(first.group()) + (1 if int(first.group()) < 127 else -1)) + \
        header[first.end():]
    assert tflm_mismatches(broken, model, arena_constant(folder), np.int8) == ["input 0: outputs differ"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_arena_constant_is_the_measured_figure_plus_the_stated_margin(trained_artifacts, bundles, fmt):
    from edgedigits.embed.mcu.arena import MARGIN_FRACTION, MIN_MARGIN_BYTES

    entry = read_manifest(trained_artifacts / "v1")["artifacts"][fmt]
    folder = bundles[fmt]
    settings = (folder / "model_settings.h").read_text()
    numbers = defines(settings)
    constant, measured = int(numbers["EDGEDIGITS_TENSOR_ARENA_SIZE"]), int(numbers["EDGEDIGITS_TENSOR_ARENA_MEASURED"])
    assert measured == entry["tflm"]["arena_bytes"] > 0
    margin = constant - measured
    assert f"measured {measured} B + margin {margin} B" in settings and constant % 16 == 0
    scratch = json.loads((folder / "bundle.json").read_text())["tflm"]["cmsis_nn_scratch_bound_bytes"]
    wanted = max(np.ceil(MARGIN_FRACTION * measured), scratch, MIN_MARGIN_BYTES)
    assert wanted <= margin < wanted + 16  # the stated margin, rounded up to TFLM's 16-byte alignment
    model = (trained_artifacts / "v1" / entry["file"]).read_bytes()
    # TFLM allocates with exactly the constant; the measured figure is its true minimum on this build.
    assert tflm_allocates(model, constant) and tflm_allocates(model, measured)
    assert not tflm_allocates(model, measured - 16)
    estimate = int(numbers["EDGEDIGITS_TENSOR_ARENA_ESTIMATE"])
    error = f"{100 * (estimate - measured) / measured:+.1f} % against the measurement"
    assert error in settings and error in (folder / "README.md").read_text()


def test_without_a_tflm_record_the_arena_falls_back_to_the_estimate(trained_artifacts, tmp_path):
    from edgedigits.embed.mcu.arena import estimate_arena, plan_arena
    from edgedigits.embed.templates import render
    from edgedigits.tflite_graph import read_tflite_graph

    graph = read_tflite_graph(trained_artifacts / "v1" / "int8.tflite")
    for record in (None, {"package": "tflite-micro x", "runs": True}):
        plan = plan_arena(graph, record)
        assert plan.constant == estimate_arena(graph).suggested_arena_bytes and plan.measured is None
    measured = plan_arena(graph, {"runs": True, "arena_bytes": 15_000})
    assert measured.constant == 16_512 and measured.margin_reason() == "10 % of the measured arena"
    small = plan_arena(graph, {"runs": True, "arena_bytes": 2_000})
    assert small.margin == 1024 and small.margin_reason() == "the 1 KiB floor"
    text = render("mcu", "model_settings.h", arena=plan, input={"elements": 784, "shape": [1, 28, 28, 1],
                  "dtype": "int8", "quantized": False}, output={"elements": 10, "shape": [1, 10], "dtype": "int8",
                  "quantized": False}, ops=[], model_name="v1", format="tflite_int8", tflm_commit=None)
    assert "an ESTIMATE" in text and "EDGEDIGITS_TENSOR_ARENA_MEASURED" not in text


def test_resolver_registers_exactly_the_ops_in_the_flatbuffer(trained_artifacts, bundles):
    """Ops read independently with TFLM's own flatbuffer schema module, not with the code that generated them."""
    from tflite_micro.python.tflite_micro import runtime

    from edgedigits.embed.mcu import TFLM_RESOLVER

    names = {value: name for name, value in vars(runtime.schema_fb.BuiltinOperator).items() if not name.startswith("_")}
    expected_sets = {"tflite_int8": {"CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}}
    expected_sets["tflite_int8_float_io"] = expected_sets["tflite_int8"] | {"QUANTIZE", "DEQUANTIZE"}
    for fmt, folder in bundles.items():
        model = runtime.convert_bytearray_to_object(bytearray(model_from_c((folder / "model_data.cc").read_text())))
        used = {names[runtime.get_builtin_code_from_operator_code(model.operatorCodes[op.opcodeIndex])]
                for op in model.subgraphs[0].operators}
        assert used == expected_sets[fmt]
        code = (folder / "edgedigits_model.cc").read_text()
        adds = re.findall(r"resolver\.(Add\w+)\(\)", code)
        assert sorted(adds) == sorted(TFLM_RESOLVER[op] for op in used)
        assert int(defines((folder / "model_settings.h").read_text())["EDGEDIGITS_OP_COUNT"].split()[0]) == len(used)
        assert "printf(" not in code.replace("MicroPrintf(", "") and "double" not in code


# --- COMPILE CHECK AGAINST STUB HEADERS (not TFLM's headers, not a TFLM build) --------------------------------------

def compile_check(folder: Path, source: Path, *extra: str, language: str = "c++") -> subprocess.CompletedProcess:
    flags = CXXFLAGS if language == "c++" else ["-std=c11", "-Wimplicit-function-declaration", *WARNINGS]
    compiler = CXX if language == "c++" else CC
    return subprocess.run([compiler, *flags, *extra, "-I", str(folder), "-I", str(STUBS), "-x", language,
                           "-fsyntax-only", str(source)], capture_output=True, text=True)


def readme_caller(folder: Path, tmp_path: Path) -> Path:
    code = re.search(r"## Calling it.*?```cpp\n(.*?)```", (folder / "README.md").read_text(), re.S).group(1)
    path = tmp_path / f"caller_{folder.name}.cc"
    path.write_text(code)
    return path


@needs_compiler
@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_sources_pass_the_compile_check_against_stub_headers(bundles, fmt, tmp_path):
    folder = bundles[fmt]
    sources = [folder / name for name in GENERATED_CC] + [readme_caller(folder, tmp_path)]
    for source in sources:
        for extra in ([], ["-std=c++20"], ["-DNDEBUG", "-DTF_LITE_STRIP_ERROR_STRINGS"]):  # + BUILD_TYPE=release
            result = compile_check(folder, source, *extra)
            assert result.returncode == 0, (source.name, extra, result.stderr)
    c_caller = tmp_path / "caller.c"  # the API header is C as well as C++
    c_caller.write_text('#include "edgedigits_model.h"\n#include "golden_test.h"\n'
                        "int main(void) { return edgedigits_model_init() == kTfLiteOk ? edgedigits_golden_test() : 1; }\n")
    result = compile_check(folder, c_caller, language="c")
    assert result.returncode == 0, result.stderr


@needs_compiler
@pytest.mark.parametrize("file,old,new,warning", [
    ("edgedigits_model.cc", "resolver.AddMaxPool2D()", "resolver.AddMaxPool2d()", "AddMaxPool2d"),
    ("golden_test.h", "int edgedigits_golden_test(void);", "", "missing-declarations"),
    ("edgedigits_model.h", "if (q > 127.0f)", "if (q > 127.0)", "double-promotion"),
    ("golden_test.cc", "MicroPrintf(\"golden: input %d", "printf(\"golden: input %d", "printf"),
])
def test_a_broken_copy_fails_the_compile_check(bundles, tmp_path, file, old, new, warning):
    broken = tmp_path / "broken"
    shutil.copytree(bundles["tflite_int8"], broken)
    text = (broken / file).read_text()
    assert old in text
    (broken / file).write_text(text.replace(old, new))
    source = broken / (file.replace(".h", ".cc") if file != "edgedigits_model.h" else "golden_test.cc")
    result = compile_check(broken, source)
    assert result.returncode != 0 and warning in result.stderr, result.stderr


# --- RUN AGAINST A FAKE TFLM: the API's control flow and the quantize helpers ------------------------------------

def run_with_fake_tflm(folder: Path, tmp_path: Path, *, int8_io: bool, arena_needed: int = 0) -> dict[str, int]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    objects = []
    for name in GENERATED_CC:  # the generated code under the strict flags, the fake and driver under plain ones
        objects.append(tmp_path / f"{name}.o")
        subprocess.run([CXX, *CXXFLAGS, "-I", str(folder), "-I", str(STUBS), "-c", str(folder / name), "-o",
                        str(objects[-1])], check=True, capture_output=True)
    for name, defines_ in (("fake_tflm.cc", [f"-DFAKE_IO_INT8={int(int8_io)}", f"-DFAKE_ARENA_NEEDED={arena_needed}"]),
                           ("api_check.cc", [])):
        objects.append(tmp_path / f"{name}.o")
        subprocess.run([CXX, "-std=c++17", "-DTF_LITE_STATIC_MEMORY", *defines_, "-I", str(folder), "-I", str(STUBS),
                        "-c", str(STUBS / name), "-o", str(objects[-1])], check=True, capture_output=True)
    subprocess.run([CXX, *map(str, objects), "-o", str(tmp_path / "check")], check=True, capture_output=True)
    output = subprocess.run([str(tmp_path / "check")], check=True, capture_output=True, text=True).stdout
    return {key: int(value) for key, value in re.findall(r"(\w+)=(-?\d+)", output)}


@needs_compiler
@pytest.mark.parametrize("fmt", FORMATS)
def test_api_initialises_once_and_the_golden_test_is_its_client(bundles, fmt, tmp_path):
    run = run_with_fake_tflm(bundles[fmt], tmp_path, int8_io=fmt == "tflite_int8")
    ops = int(defines((bundles[fmt] / "model_settings.h").read_text())["EDGEDIGITS_OP_COUNT"].split()[0])
    assert run["first"] == run["second"] == run["classify"] == 0  # kTfLiteOk
    assert run["adds"] == ops and run["duplicates"] == 0 and run["interpreters"] == 1 and run["allocations"] == 1
    assert run["copied"] == 1 and run["argmax"] == 6  # input i % 7 - 3: the largest of the first ten is at 6
    assert run["golden_invokes"] == 20 and run["interpreters"] == 1  # the golden test shares the one interpreter
    assert run["used"] == 4242  # arena_used_bytes() is passed through
    assert run["in_place"] == 1  # edgedigits_input_buffer() is the tensor: filled and classified without a copy


@needs_compiler
def test_a_failed_init_is_final_and_never_registers_twice(bundles, tmp_path):
    folder = bundles["tflite_int8"]
    run = run_with_fake_tflm(folder, tmp_path / "small", int8_io=True, arena_needed=10 ** 7)
    assert run["first"] == run["second"] == run["classify"] == 1 and run["golden"] == -1  # kTfLiteError
    assert run["duplicates"] == 0 and run["allocations"] == 1 and run["interpreters"] == 1
    # The check has teeth: without the once-only guard, the second init re-registers every op, as issue 11 saw.
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    code = (broken / "edgedigits_model.cc").read_text()
    (broken / "edgedigits_model.cc").write_text(code.replace("init_state = InitState::kFailed;\n", "", 1)
                                                .replace("if (init_state == InitState::kNotStarted) {", "if (true) {"))
    run = run_with_fake_tflm(broken, tmp_path / "again", int8_io=True)
    assert run["duplicates"] > 0


@needs_compiler
def test_quantize_helpers_run_and_equal_the_python_reference(trained_artifacts, bundles, tmp_path):
    from edgedigits.runtimes import TensorSpec
    from edgedigits.runtimes.tflite_rt import dequantize, quantize

    folder = bundles["tflite_int8"]
    program = tmp_path / "quantize.c"
    program.write_text('#include <stdio.h>\n#include "edgedigits_model.h"\n'
                       "int main(void) {\n"
                       "  for (int k = -300; k <= 600; ++k) printf(\"%d \", edgedigits_quantize_pixel((float)k / 255.0f));\n"
                       "  for (int q = -128; q <= 127; ++q) printf(\"%.9g \", (double)edgedigits_dequantize_output((int8_t)q));\n"
                       "  printf(\"%d\", edgedigits_quantize_pixel(NAN));\n"
                       "  return 0;\n}\n")
    subprocess.run([CC, "-std=c11", "-Wall", "-Wextra", "-Werror", "-DTF_LITE_STATIC_MEMORY", "-I", str(folder),
                    "-I", str(STUBS), str(program), "-lm", "-o", str(tmp_path / "quantize")], check=True,
                   capture_output=True)
    values = subprocess.run([str(tmp_path / "quantize")], check=True, capture_output=True, text=True).stdout.split()
    entry = read_manifest(trained_artifacts / "v1")["artifacts"]["tflite_int8"]
    spec_in = TensorSpec("input", (1, 784), "int8", entry["inputs"][0]["quantization"]["scale"],
                         entry["inputs"][0]["quantization"]["zero_point"])
    spec_out = TensorSpec("output", (1, 10), "int8", entry["outputs"][0]["quantization"]["scale"],
                          entry["outputs"][0]["quantization"]["zero_point"])
    pixels = np.arange(-300, 601, dtype=np.float32) / np.float32(255)
    assert [int(v) for v in values[:901]] == quantize(pixels, spec_in).tolist()
    levels = np.arange(-128, 128).astype(np.int8)
    assert np.array_equal(np.array(values[901:1157], dtype=np.float32), dequantize(levels, spec_out))
    assert values[1157:] == ["-128"]  # a NaN pixel is clamped, never an undefined float-to-int cast


@needs_compiler
def test_c_arrays_compile_and_hold_the_recorded_numbers(trained_artifacts, bundles, tmp_path):
    """model_data.cc and golden_vectors.h compiled and run natively: the bytes are the .tflite and the .npy files."""
    model_dir = trained_artifacts / "v1"
    folder = bundles["tflite_int8"]
    dump = tmp_path / "dump.cc"
    dump.write_text('#include <cstdint>\n#include <cstdio>\n#include "golden_vectors.h"\n#include "model_data.h"\n'
                    "int main() {\n"
                    "  if (reinterpret_cast<std::uintptr_t>(g_model_data) % 16 != 0) return 2;\n"
                    "  std::fwrite(g_model_data, 1, g_model_data_len, stdout);\n"
                    "  std::fwrite(golden_inputs, 1, sizeof golden_inputs, stdout);\n"
                    "  std::fwrite(golden_outputs, 1, sizeof golden_outputs, stdout);\n"
                    "  std::fwrite(golden_expected_class, 1, sizeof golden_expected_class, stdout);\n"
                    "  return 0;\n}\n")
    subprocess.run([CXX, *CXXFLAGS, "-Wno-missing-declarations", "-I", str(folder), str(dump),
                    str(folder / "model_data.cc"), str(folder / "golden_vectors.cc"), "-o", str(tmp_path / "dump")],
                   check=True, capture_output=True)
    dumped = subprocess.run([str(tmp_path / "dump")], check=True, capture_output=True).stdout
    golden = find_golden_set(read_manifest(model_dir), artifact="tflite_int8", kernels="tflm", manifest_dir=model_dir)
    fed, raw = load_golden_array(model_dir, golden["input"]), load_golden_array(model_dir, golden["output"])
    model = (model_dir / "int8.tflite").read_bytes()
    assert dumped == model + fed.tobytes() + raw.tobytes() + raw.argmax(axis=1).astype(np.uint8).tobytes()
    result = subprocess.run([CC, "-std=c99", "-Wall", "-Wextra", "-Werror", "-x", "c", "-fsyntax-only",
                             str(folder / "golden_vectors.h")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr  # the header is C99 too


# --- formats TFLite Micro cannot run ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,op", [("fp16", "DEQUANTIZE"), ("dynamic", None)])
def test_a_format_tflm_cannot_run_is_refused_in_one_line(trained_artifacts, tmp_path, fmt, op):
    from typer.testing import CliRunner

    import edgedigits.cli  # noqa: F401 - registers the commands
    from edgedigits.cli.app import app

    result = CliRunner().invoke(app, ["embed", str(trained_artifacts / "v1"), "--target", "mcu", "--format", fmt,
                                      "--out", str(tmp_path / "b")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith(f"error: --format tflite_{fmt}: TensorFlow Lite Micro cannot run")
    assert op is None or f"op {op}" in result.output
    assert not (tmp_path / "b").exists()


def test_an_op_without_a_known_resolver_method_is_a_usage_error():
    from types import SimpleNamespace

    from edgedigits.embed.mcu import resolver_ops
    from edgedigits.errors import UsageError

    graph = SimpleNamespace(operators=[SimpleNamespace(name="CONV_2D"), SimpleNamespace(name="GELU")],
                            op_counts=lambda: {"CONV_2D": 1, "GELU": 1})
    with pytest.raises(UsageError, match="op GELU has no MicroMutableOpResolver method"):
        resolver_ops(graph, path="m.tflite")


# --- linking in a real project: one definition of the data, no exit-time destructors, the Makefile fragment -----

def undefined_symbols(obj: Path) -> set[str]:
    return set(subprocess.run(["nm", "-u", str(obj)], check=True, capture_output=True, text=True).stdout.split())


@needs_compiler
def test_no_exit_time_destructors_so_no_dso_handle_is_needed(bundles, tmp_path):
    """A static object with a destructor makes g++ call __cxa_atexit with __dso_handle, which firmware linked with
    -nostartfiles lacks; the generated code builds its resolver and interpreter with placement new instead."""
    def objects(folder: Path, out: Path) -> set[str]:
        out.mkdir()
        symbols = set()
        for name in GENERATED_CC:
            lenient = [flag for flag in CXXFLAGS if flag != "-Werror"]  # the broken copy leaves storage unused
            subprocess.run([CXX, *lenient, "-I", str(folder), "-I", str(STUBS), "-c", str(folder / name), "-o",
                            str(out / f"{name}.o")], check=True, capture_output=True)
            symbols |= undefined_symbols(out / f"{name}.o")
        return symbols

    folder = bundles["tflite_int8"]
    assert not {"__cxa_atexit", "__dso_handle", "atexit"} & objects(folder, tmp_path / "ok")
    broken = tmp_path / "broken"  # the old function-local statics
    shutil.copytree(folder, broken)
    code = (broken / "edgedigits_model.cc").read_text()
    old = "  OpResolver* resolver = new (resolver_storage) OpResolver();\n"
    assert old in code
    (broken / "edgedigits_model.cc").write_text(code.replace(old, "  static OpResolver resolver_object;\n"
                                                             "  OpResolver* resolver = &resolver_object;\n"))
    assert {"__cxa_atexit", "__dso_handle"} <= objects(broken, tmp_path / "broken-objects")


def test_golden_arrays_are_defined_once_in_a_cc_not_in_the_header(bundles):
    folder = bundles["tflite_int8"]
    header, source = (folder / "golden_vectors.h").read_text(), (folder / "golden_vectors.cc").read_text()
    for name in ("golden_inputs", "golden_outputs", "golden_labels", "golden_expected_class"):
        assert re.search(rf"^extern const \w+ {name}(\[\d+\])+;$", header, re.M), name
        assert re.search(rf"^const \w+ {name}(\[\d+\])+ = \{{", source, re.M), name
    assert "static" not in header and "= {" not in header
    assert '#include "golden_vectors.h"' in source  # the extern declarations give the definitions linkage


@needs_compiler
def test_the_makefile_fragment_builds_the_bundle_against_a_tflm_root_given_by_path(bundles, tmp_path):
    """edgedigits.mk with TFLM_ROOT pointing at the stub headers (standing in for a tflite-micro checkout):
    every source compiles to an object, in C++17, with TF_LITE_STATIC_MEMORY; no TFLM library is linked here."""
    folder = tmp_path / "bundle"
    shutil.copytree(bundles["tflite_int8"], folder)
    result = subprocess.run(["make", "-f", str(folder / "edgedigits.mk"), f"TFLM_ROOT={STUBS}", f"CXX={CXX}",
                             "CXXFLAGS=-Werror", "edgedigits-objs"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    built = sorted(p.name for p in (folder / "build").glob("*.o"))
    assert built == sorted(f"{name.removesuffix('.cc')}.o" for name in GENERATED_CC)
    assert result.stdout.count("-std=c++17") == 4 and "-DTF_LITE_STATIC_MEMORY" in result.stdout
    missing = subprocess.run(["make", "-f", str(folder / "edgedigits.mk"), "edgedigits-objs"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "set TFLM_ROOT to your tflite-micro checkout" in missing.stderr


def test_readme_says_how_to_log_link_and_which_cxx(bundles):
    readme = (bundles["tflite_int8"] / "README.md").read_text()
    assert "RegisterDebugLogCallback" in readme and "DebugLogVsnprintf" in readme
    assert "provide one for your board" not in readme and "ruy" not in readme
    assert "C++17" in readme and "__dso_handle" in readme and "edgedigits.mk" in readme
