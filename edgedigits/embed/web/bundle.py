"""The files of a web bundle: page (templates/web/), model.json, model, labels, golden vectors, runtime files.

Layout (every path relative to the bundle, so it can be served from any folder):
  index.html app.js mnist.js runtime.js style.css   the page; runtime.js is the chosen runtime's adapter; mnist.js
                                                    (digit models) or pixels.js (the pixel mapping of an image
                                                    already at the model's size, for whole-image-resize models)
  model.json                                        everything the page knows: numbers from the manifest
  model/<model>_<format>.tflite|.onnx               the artifact, byte for byte
  labels.txt                                        one label per line
  golden/golden_inputs.bin, golden_outputs.bin      float32 little-endian [N, H*W*C] and [N, K]
  golden/preprocess_golden.*                        the recipe's golden cases (edgedigits.embed.preprocess_golden)
  vendor/...                                        the runtime's files, copied from node_modules
  README.md
"""

from __future__ import annotations

import json
from pathlib import Path

from edgedigits.embed.context import EmbedContext, little_endian_bytes
from edgedigits.embed.templates import TEMPLATES_DIR, render_bytes
from edgedigits.embed.web.vendor import WebRuntime, installed_version, runtime_files

GOLDEN = "golden"
# The page's latency measurement: warm-up runs, then rounds of back-to-back runs; median of per-run times.
LATENCY = {"warmup": 50, "rounds": 50, "runs_per_round": 20}


def _static(name: str) -> bytes:
    """A template file with nothing to fill in, copied as is."""
    return (TEMPLATES_DIR / "web" / name).read_bytes()


def _tensor(numbers) -> dict:
    return {"name": numbers.name, "shape": list(numbers.shape), "dtype": numbers.dtype}


def _preprocess_values() -> dict:
    import edgedigits.preprocess as preprocess

    return {"max_pixels": preprocess.MAX_PIXELS, "work_side": preprocess.WORK_SIDE,
            "ink_threshold": repr(preprocess.INK_THRESHOLD), "min_contrast": repr(preprocess.MIN_CONTRAST),
            "frame": preprocess.FRAME, "box": preprocess.BOX}


def _recipe(context: EmbedContext) -> dict:
    """The page's preprocessing, from the manifest: which module, and the mapping that showSeen inverts."""
    preprocessing = context.preprocessing
    return {"module": "mnist.js" if context.digit_recipe else "pixels.js", "digit_recipe": context.digit_recipe,
            "shape": list(preprocessing.shape), "scale": preprocessing.scale, "offset": preprocessing.offset,
            "channel_order": preprocessing.channel_order if preprocessing.shape[2] == 3 else "gray"}


def model_config(context: EmbedContext, runtime: WebRuntime, *, version: str, model_file: str) -> dict:
    """model.json: what the page reads. Every number comes from the manifest or edgedigits.preprocess."""
    from edgedigits.embed import preprocess_golden

    golden = context.golden_set
    return {
        "model": context.model_name, "format": context.format, "precision": context.entry["precision"],
        "file": model_file, "bytes": len(context.model_bytes), "sha256": context.model_sha256,
        "runtime": {"name": runtime.name, "title": runtime.title, "package": runtime.package, "version": version},
        "input": _tensor(context.input), "output": _tensor(context.output), "labels": context.labels,
        "output_kind": "logits" if context.logits else "probabilities", "preprocess": _recipe(context),
        "golden": {
            "count": len(context.golden_labels), "source": context.manifest["golden"]["source"],
            "kernels": golden["kernels"], "computed_by": golden["computed_by"], "tolerance": golden["tolerance"],
            "inputs": f"{GOLDEN}/golden_inputs.bin", "outputs": f"{GOLDEN}/golden_outputs.bin",
            "expected_class": [int(k) for k in context.golden_output.argmax(axis=1)],
            "labels": [int(k) for k in context.golden_labels],
        },
        "preprocess_golden": {
            "index": f"{GOLDEN}/{preprocess_golden.INDEX_FILE}", "rgba": f"{GOLDEN}/{preprocess_golden.RGBA_FILE}",
            "expected": f"{GOLDEN}/{preprocess_golden.EXPECTED_FILE}", "tolerance": preprocess_golden.TOLERANCE,
        },
        "latency": LATENCY,
    }


def build(context: EmbedContext, runtime: WebRuntime) -> dict[str, bytes]:
    from edgedigits.embed.android import mapping_values, recipe_values
    from edgedigits.embed.preprocess_golden import bundle_cases, golden_files
    from edgedigits.embed.readme import golden_paragraph, io_table, preprocessing_section

    version = installed_version(runtime)  # first: a missing `make node` is the one error the user sees
    vendor = runtime_files(runtime)
    model_file = f"model/{context.model_name}_{context.format}{Path(context.entry['file']).suffix}"
    config = model_config(context, runtime, version=version, model_file=model_file)
    import_map = json.dumps({"imports": runtime.import_map}) if runtime.import_map else ""
    recipe = recipe_values(context)
    page = {"model": context.model_name, "format": context.format, "runtime_title": f"{runtime.title} {version}",
            "width": recipe["width"], "height": recipe["height"]}
    if context.digit_recipe:
        pad = {"heading": "Draw a digit", "pad_width": 280, "pad_height": 280, "pad_label": "draw one digit"}
        recipe_module = {"mnist.js": render_bytes("web", "mnist.js", **_preprocess_values(),
                                                  **mapping_values(context))}
    else:  # the pad is the model's size: a drawing needs no resize, which the page does not do
        pad = {"heading": f"Draw or upload a {recipe['width']}x{recipe['height']} image", "pad_width": recipe["width"],
               "pad_height": recipe["height"], "pad_label": f"draw at {recipe['width']}x{recipe['height']}"}
        recipe_module = {"pixels.js": render_bytes("web", "pixels.js", **recipe, model=context.model_name,
                                                   max_pixels=_preprocess_values()["max_pixels"])}
    vendor_bytes = sum(len(data) for data in vendor.values())
    files = {
        "index.html": render_bytes("web", "index.html", import_map=import_map, **page, **pad),
        "app.js": _static("app.js"),
        **recipe_module,
        "runtime.js": _static(runtime.adapter),
        "style.css": _static("style.css"),
        "model.json": (json.dumps(config, indent=2) + "\n").encode(),
        model_file: context.model_bytes,
        "labels.txt": ("\n".join(context.labels) + "\n").encode(),
        f"{GOLDEN}/golden_inputs.bin": little_endian_bytes(context.golden_input.astype("float32")),
        f"{GOLDEN}/golden_outputs.bin": little_endian_bytes(context.golden_output.astype("float32")),
        **golden_files(bundle_cases(context), GOLDEN),
        **vendor,
    }
    files["README.md"] = render_bytes(
        "web", "README.md", runtime=runtime, version=version, config=config, model_file=model_file,
        io_table=io_table(context), golden_paragraph=golden_paragraph(context),
        preprocessing=preprocessing_section(context, generated="`pixels.js`"), digit_recipe=context.digit_recipe,
        logits=context.logits, vendor_files=sorted(vendor), vendor_bytes=vendor_bytes,
        latency=LATENCY, **page)
    context.extra["record"] = {"runtime": {"name": runtime.name, "package": runtime.package, "version": version}}
    return files
