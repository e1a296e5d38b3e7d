"""README sections every bundle shares: the model's numbers, the golden-vector contract, the preprocessing."""

from __future__ import annotations

from edgedigits.embed.context import EmbedContext, f32


def io_table(context: EmbedContext) -> str:
    """The model's numbers as a Markdown table (shared by every README)."""
    rows = ["| tensor | name | shape | dtype | scale | zero point |", "|---|---|---|---|---|---|"]
    for role, numbers in (("input", context.input), ("output", context.output)):
        scale = f32(numbers.scale) if numbers.quantized else "-"
        zero_point = str(numbers.zero_point) if numbers.quantized else "-"
        rows.append(f"| {role} | `{numbers.name}` | {list(numbers.shape)} | {numbers.dtype} | {scale} | {zero_point} |")
    return "\n".join(rows)


def golden_paragraph(context: EmbedContext) -> str:
    golden = context.golden_set
    unit = "int8 steps" if context.output.quantized else "in probability"
    return (f"Golden vectors: {len(context.golden_labels)} inputs ({context.manifest['golden']['source']}) and the "
            f"exact outputs computed by {golden['computed_by']}. An on-device test passes when the argmax equals the "
            f"expected class for every input and every output is within {context.tolerance:g} {unit} "
            "(bit-exact on the same kernels; other kernels differ at the last bits)." + _tolerance_origin(golden))


def _tolerance_origin(golden: dict) -> str:
    """Where a float tolerance comes from: the spread between LiteRT's kernel sets, measured at export."""
    spread = golden.get("kernel_spread")
    if spread is None or "max_abs_diff" not in spread:  # not measured (int8 output, or a kernel set failed)
        return ""
    return (f" The tolerance is {spread['safety']}x the largest difference measured at export between LiteRT's "
            f"kernel sets ({', '.join(spread['kernels'])}: XNNPACK, optimized builtins, BUILTIN_REF) on "
            f"{spread['images']:,} test images, {spread['max_abs_diff']:.2g}, rounded up (at least 1e-05): "
            "a phone's ARM kernels are one more kernel set.")


def preprocessing_section(context: EmbedContext, generated: str | None = None) -> str:
    """How an image becomes this model's input, from the manifest's "preprocessing" record: the MNIST recipe
    step by step (straight from edgedigits.preprocess's docstring) for digit models, else the whole-image
    resize and pixel mapping. `generated`: the file that implements the mapping in this bundle (None: none)."""
    if context.digit_recipe:
        return _mnist_section(context, generated)
    preprocessing = context.preprocessing
    height, width, channels = preprocessing.shape
    record = context.manifest.get("preprocessing") or preprocessing.to_manifest()
    default = (preprocessing.scale, preprocessing.offset) == (1 / 255, 0.0)
    mapping = "pixel / 255 (float32)" if default else \
        f"pixel * {f32(preprocessing.scale)} + {f32(preprocessing.offset)} (float32 multiply, then add)"
    if channels == 3:
        convert = ('to RGB, dropping alpha (Pillow `convert("RGB")`; composite a transparent image over a '
                   "background first if that is what your training images were)")
        order = f"channels in {preprocessing.channel_order.upper()} order"
    else:
        convert = ('to gray with Pillow\'s `convert("L")`: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16 '
                   "(ITU-R 601-2 luma in 16-bit fixed point; alpha ignored)")
        order = "one gray channel"
    made = (f"This step is generated ({generated}) and tested against Python on the golden pixel-mapping cases "
            "(images already at the model's size, among them colour noise with random alpha)."
            if generated else "This bundle generates no preprocessing code: the caller feeds the mapped values.")
    return ("This model does not use the MNIST digit recipe. Its manifest records: framing "
            f"\"{record.get('framing')}\", input = {record.get('formula')}, input range {record.get('input_range')}, "
            f"channel order {record.get('channel_order')}, layout NHWC {list(preprocessing.shape)}. "
            "`edgedigits predict` does, in order:\n\n"
            "1. Decode the image and apply its EXIF orientation (platform code).\n"
            f"2. Convert it {convert}.\n"
            f"3. Resize the whole image (no crop; the aspect ratio is not kept) to {width}x{height} with Pillow's "
            f"bilinear filter: `image.resize(({width}, {height}), Image.Resampling.BILINEAR)`. Pillow's bilinear is a "
            "separable triangle filter whose support widens with the reduction factor (it antialiases when "
            "shrinking), run horizontally then vertically with fixed-point coefficients and an 8-bit image "
            "between the passes. Android's `Bitmap.createScaledBitmap(..., true)`, Core Graphics and a canvas "
            "`drawImage` compute different pixels. **Resizing is the app's job: the generated code does not "
            f"resize** and refuses an image of any other size than {width}x{height}; port Pillow's "
            "`ImagingResample` (libImaging/Resample.c) or resize where Pillow runs to feed exactly what "
            "`edgedigits bench` and `predict` fed.\n"
            f"4. Map each 8-bit value: input = {mapping}, {order}, row-major [{height}][{width}][{channels}] "
            f"({height * width * channels} floats). {made}\n")


def _mnist_section(context: EmbedContext, generated: str | None) -> str:
    """The MNIST recipe, step by step, straight from edgedigits.preprocess's docstring."""
    import edgedigits.preprocess as preprocess

    doc = preprocess.__doc__ or ""
    steps = doc[doc.index("1. "):] if "1. " in doc else doc
    constants = (f"Constants: MAX_PIXELS = {preprocess.MAX_PIXELS:,}, WORK_SIDE = {preprocess.WORK_SIDE}, "
                 f"INK_THRESHOLD = {preprocess.INK_THRESHOLD}, MIN_CONTRAST = {preprocess.MIN_CONTRAST}.")
    preprocessing = context.preprocessing
    mapping = ""
    if (preprocessing.scale, preprocessing.offset) != (1 / 255, 0.0):
        done = ("The generated recipe ends with this step (its golden preprocessing vectors hold mapped values)."
                if generated else "Apply it before `edgedigits_quantize_pixel`.")
        mapping = (f"\nThis model's input is pixel * {f32(preprocessing.scale)} + {f32(preprocessing.offset)} "
                   "(manifest \"preprocessing\"), not the recipe's pixel / 255: each recipe value x becomes "
                   f"(x * 255) * {f32(preprocessing.scale)} + {f32(preprocessing.offset)} in float32, as Python's "
                   f"`Preprocessing.apply_unit` computes it. {done}\n")
    return ("Before quantizing, turn the camera/drawing image into 28x28 floats in [0,1], white digit on black, "
            "row-major, exactly as `edgedigits.preprocess` does:\n\n" + steps.strip() + "\n\n" + constants + "\n"
            + mapping)
