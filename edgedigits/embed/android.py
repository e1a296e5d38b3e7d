"""Android bundle: an `app/` tree laid out as Gradle's source sets, so each file lands where Gradle reads it.

  app/src/main/assets/          the model and labels (shipped in the app)
  app/src/main/java/<package>/  DigitClassifier.kt (LiteRT Interpreter) and MnistPreprocess.kt (the MNIST recipe;
                                whole-image-resize models: ModelInput.kt, the pixel mapping of an image already resized)
  app/src/androidTest/...       GoldenVectorTest.kt and the golden vectors as test-only assets (on a device)
  app/src/test/...              MnistPreprocessTest.kt (or ModelInputTest.kt) and the golden preprocessing vectors

The sources are the template files in `templates/android/`; every number comes from the manifest. Golden
vectors come from LiteRT's default path (XNNPACK), what the LiteRT Android runtime computes, and the generated
classifier enables XNNPACK explicitly. They ship as raw `.bin` assets: thousands of int8 literals in one
initializer would exceed the JVM's 64 KB method-size limit.
"""

from __future__ import annotations

from edgedigits.embed.context import EmbedContext, f32, string_literal
from edgedigits.embed.readme import golden_paragraph, io_table, preprocessing_section
from edgedigits.embed.templates import render

KERNELS = "default"
PACKAGE = "com.example.edgedigits"
SOURCE_DIR = "app/src/main/java/" + PACKAGE.replace(".", "/")
ASSETS_DIR = "app/src/main/assets"
DEVICE_TEST_DIR = "app/src/androidTest/java/" + PACKAGE.replace(".", "/")
DEVICE_TEST_ASSETS_DIR = "app/src/androidTest/assets"
LOCAL_TEST_DIR = "app/src/test/java/" + PACKAGE.replace(".", "/")
LOCAL_TEST_RESOURCES_DIR = "app/src/test/resources"
DATA_TYPES = {"int8": "INT8", "float32": "FLOAT32"}  # manifest dtype -> org.tensorflow.lite.DataType
GRADLE_FRAGMENT = "app/edgedigits.gradle.kts"  # merged by hand into app/build.gradle.kts
# Pinned: LiteRT 1.4.1 has org.tensorflow.lite.Interpreter with the GPU delegate from API 21 and 16 KB-aligned
# native libraries (first in 1.4.0); 2.0.x has no Interpreter, 2.1+ has it CPU-only from API 23.
VERSIONS = {"litert_version": "1.4.1", "min_sdk": 21, "junit_version": "4.13.2",
            "androidx_ext_junit_version": "1.3.0", "androidx_runner_version": "1.7.0"}


def _values(context: EmbedContext) -> dict:
    return {
        "package": PACKAGE, "model_name": context.model_name, "format": context.format,
        "model_sha256": context.model_sha256, "model_asset": context.model_file_name,
        "input": context.input, "output": context.output, "labels": context.labels, "f32": f32,
        "input_data_type": DATA_TYPES[context.input.dtype], "output_data_type": DATA_TYPES[context.output.dtype],
        "count": len(context.golden_labels), "tolerance": repr(context.tolerance),
        "tolerance_unit": "int8 steps" if context.output.quantized else "absolute probability",
        "computed_by": context.golden_set["computed_by"],
        "label_literals": [string_literal(label, "kotlin") for label in context.labels],
        **VERSIONS, **recipe_values(context),
    }


def recipe_values(context: EmbedContext) -> dict:
    """What the templates say about the model's preprocessing (shared with the iOS templates): the MNIST recipe
    (`MnistPreprocess`) for digit models, the pixel mapping (`ModelInput`) for whole-image-resize models."""
    preprocessing = context.preprocessing
    height, width, channels = preprocessing.shape
    return {
        "digit_recipe": context.digit_recipe, "logits": context.logits,
        "preprocessor": "MnistPreprocess" if context.digit_recipe else "ModelInput",
        "width": width, "height": height, "channels": channels, "channel_order": preprocessing.channel_order,
        **mapping_values(context),
        "input_range": "in [{:g}, {:g}]".format(*preprocessing.input_range),
        "preprocess_shape": f"{height}x{width}x{channels}",
    }


def preprocess_values() -> dict:
    """The recipe's constants, from edgedigits.preprocess (shared with the iOS templates)."""
    import edgedigits.preprocess as recipe
    from edgedigits.embed import preprocess_golden

    return {"frame": recipe.FRAME, "box": recipe.BOX, "work_side": recipe.WORK_SIDE,
            "ink_threshold": recipe.INK_THRESHOLD, "min_contrast": recipe.MIN_CONTRAST,
            "tolerance": repr(preprocess_golden.TOLERANCE), "files": list(preprocess_golden.FILES)}


def classifier_kotlin(context: EmbedContext) -> str:
    return render("android", "DigitClassifier.kt", **_values(context))


def mapping_values(context: EmbedContext) -> dict:
    """The manifest's pixel mapping as the recipe templates print it (a digit model may map to e.g. [-1, 1])."""
    preprocessing = context.preprocessing
    return {"scale": f32(preprocessing.scale), "offset": f32(preprocessing.offset),
            "default_mapping": (preprocessing.scale, preprocessing.offset) == (1 / 255, 0.0)}


def preprocess_kotlin(context: EmbedContext) -> str:
    return render("android", "MnistPreprocess.kt", package=PACKAGE, **preprocess_values(), **mapping_values(context))


def model_input_kotlin(context: EmbedContext) -> str:
    return render("android", "ModelInput.kt", **_values(context))


def build(context: EmbedContext) -> dict[str, bytes]:
    """{relative path: content} of the Android bundle."""
    from edgedigits.embed.context import app_resources
    from edgedigits.embed.preprocess_golden import bundle_cases, golden_files

    values = _values(context)
    cases = bundle_cases(context)
    recipe = preprocess_values()
    files = app_resources(context, ASSETS_DIR, DEVICE_TEST_ASSETS_DIR) | golden_files(cases, LOCAL_TEST_RESOURCES_DIR)
    files |= {
        f"{SOURCE_DIR}/DigitClassifier.kt": classifier_kotlin(context).encode(),
        f"{DEVICE_TEST_DIR}/GoldenVectorTest.kt": render("android", "GoldenVectorTest.kt", **values).encode(),
        GRADLE_FRAGMENT: render("android", "build.gradle.kts", **values).encode(),
    }
    if context.digit_recipe:
        files |= {
            f"{SOURCE_DIR}/MnistPreprocess.kt": preprocess_kotlin(context).encode(),
            f"{LOCAL_TEST_DIR}/MnistPreprocessTest.kt": render("android", "MnistPreprocessTest.kt", package=PACKAGE,
                                                                cases=cases, **recipe).encode(),
        }
    else:  # whole-image resize: the pixel mapping only (resizing is the app's, see the README)
        files |= {
            f"{SOURCE_DIR}/ModelInput.kt": model_input_kotlin(context).encode(),
            f"{LOCAL_TEST_DIR}/ModelInputTest.kt": render("android", "ModelInputTest.kt", cases=cases,
                                                           files=recipe["files"],
                                                           **{**values, "tolerance": recipe["tolerance"]}).encode(),
        }
    files["README.md"] = render("android", "README.md", **values, files=sorted([*files, "bundle.json"]),
                                io_table=io_table(context), golden_paragraph=golden_paragraph(context),
                                preprocessing=preprocessing_section(context, generated="`ModelInput.kt`"), cases=cases,
                                preprocess_tolerance=recipe["tolerance"],
                                classifier=classifier_kotlin(context).strip(), gradle_fragment=GRADLE_FRAGMENT,
                                gradle=render("android", "build.gradle.kts", **values).strip()).encode()
    return files
