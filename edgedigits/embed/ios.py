"""iOS bundle: the model with float input/output, a Swift classifier on TensorFlowLiteSwift's (LiteRT's)
`Interpreter`, the MNIST recipe in Swift (whole-image-resize models: the pixel mapping, `ModelInput.swift`), and
XCTest golden tests.

  Sources/         DigitClassifier.swift, MnistPreprocess.swift   (app target AND unit-test target)
  Resources/       the model and labels                           (app target AND unit-test target)
  Tests/           GoldenVectorTests.swift, MnistPreprocessTests.swift and Tests/Resources/ (unit-test target)

TensorFlowLiteSwift's `Tensor.DataType` has no int8 case (bool, uInt8, int16, int32, int64, float16, float32,
float64), so `input(at:)`/`copy(_:toInputAt:)` throw on an int8 tensor: iOS embeds `tflite_int8_float_io` by
default (int8 weights and activations, float I/O) and refuses formats with int8 I/O. Golden vectors come from
LiteRT's default path (XNNPACK); the generated Swift enables XNNPACK, which TensorFlowLiteSwift leaves off.
"""

from __future__ import annotations

from pathlib import Path

from edgedigits.embed.context import EmbedContext, string_literal
from edgedigits.embed.readme import golden_paragraph, io_table, preprocessing_section
from edgedigits.embed.templates import render
from edgedigits.errors import UsageError

KERNELS = "default"
DEFAULT_FORMAT = "tflite_int8_float_io"
# Pinned: TensorFlowLiteSwift 2.17.0 is the last pod LiteRT published (a static framework, module TensorFlowLite).
VERSIONS = {"pod_version": "2.17.0", "ios_minimum": "13.0"}
SWIFT_DTYPES = ("float32",)  # the I/O dtypes the generated Swift feeds (uint8 would work too; none is exported)


def check_format(fmt: str, entry: dict, path: Path) -> None:
    """Refuse a model whose input or output TensorFlowLiteSwift cannot read (int8 I/O)."""
    dtypes = {spec["dtype"] for spec in (*entry["inputs"], *entry["outputs"])}
    if not dtypes <= set(SWIFT_DTYPES):
        raise UsageError(f"--format {fmt}: {'/'.join(sorted(dtypes - set(SWIFT_DTYPES)))} input/output cannot be fed "
                         f"from Swift (TensorFlowLiteSwift's Tensor.DataType has no int8 case); "
                         f"use --format {DEFAULT_FORMAT}")


def _values(context: EmbedContext) -> dict:
    return {
        "model_name": context.model_name, "format": context.format, "model_sha256": context.model_sha256,
        "model_resource": context.model_file_name.removesuffix(".tflite"), "input": context.input,
        "output": context.output, "labels": context.labels, "count": len(context.golden_labels),
        "tolerance": repr(context.tolerance), "tolerance_unit": "absolute probability",
        "computed_by": context.golden_set["computed_by"],
        "label_literals": [string_literal(label, "swift") for label in context.labels],
        **VERSIONS, **recipe_values(context),
    }


def recipe_values(context: EmbedContext) -> dict:
    from edgedigits.embed.android import recipe_values as shared

    return shared(context)


def classifier_swift(context: EmbedContext) -> str:
    return render("ios", "DigitClassifier.swift", **_values(context))


def preprocess_swift(context: EmbedContext) -> str:
    from edgedigits.embed.android import mapping_values, preprocess_values

    return render("ios", "MnistPreprocess.swift", **preprocess_values(), **mapping_values(context))


def build(context: EmbedContext) -> dict[str, bytes]:
    """{relative path: content} of the iOS bundle."""
    from edgedigits.embed.android import preprocess_values
    from edgedigits.embed.context import app_resources
    from edgedigits.embed.preprocess_golden import bundle_cases, golden_files

    assert context.input.dtype in SWIFT_DTYPES and context.output.dtype in SWIFT_DTYPES  # check_format ran
    values = _values(context)
    cases = bundle_cases(context)
    recipe = preprocess_values()
    files = app_resources(context, "Resources", "Tests/Resources") | golden_files(cases, "Tests/Resources")
    files |= {
        "Sources/DigitClassifier.swift": classifier_swift(context).encode(),
        "Tests/GoldenVectorTests.swift": render("ios", "GoldenVectorTests.swift", **values).encode(),
        "Podfile": render("ios", "Podfile", **values).encode(),
    }
    if context.digit_recipe:
        files |= {
            "Sources/MnistPreprocess.swift": preprocess_swift(context).encode(),
            "Tests/MnistPreprocessTests.swift": render("ios", "MnistPreprocessTests.swift", cases=cases,
                                                       **recipe).encode(),
        }
    else:  # whole-image resize: the pixel mapping only (resizing is the app's, see the README)
        files |= {
            "Sources/ModelInput.swift": render("ios", "ModelInput.swift", **values).encode(),
            "Tests/ModelInputTests.swift": render("ios", "ModelInputTests.swift", cases=cases, files=recipe["files"],
                                                  **{**values, "tolerance": recipe["tolerance"]}).encode(),
        }
    files["README.md"] = render("ios", "README.md", **values, files=sorted([*files, "bundle.json"]),
                                io_table=io_table(context), golden_paragraph=golden_paragraph(context),
                                preprocessing=preprocessing_section(context, generated="`ModelInput.swift`"),
                                cases=cases, preprocess_tolerance=recipe["tolerance"],
                                classifier=classifier_swift(context).strip(),
                                podfile=render("ios", "Podfile", **values).strip()).encode()
    return files
