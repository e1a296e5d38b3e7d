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
            "(bit-exact on the same kernels; other kernels differ at the last bits).")


def preprocessing_section() -> str:
    """The MNIST recipe, step by step, straight from edgedigits.preprocess's docstring."""
    import edgedigits.preprocess as preprocess

    doc = preprocess.__doc__ or ""
    steps = doc[doc.index("1. "):] if "1. " in doc else doc
    constants = (f"Constants: MAX_PIXELS = {preprocess.MAX_PIXELS:,}, WORK_SIDE = {preprocess.WORK_SIDE}, "
                 f"INK_THRESHOLD = {preprocess.INK_THRESHOLD}, MIN_CONTRAST = {preprocess.MIN_CONTRAST}.")
    return ("Before quantizing, turn the camera/drawing image into 28x28 floats in [0,1], white digit on black, "
            "row-major, exactly as `edgedigits.preprocess` does:\n\n" + steps.strip() + "\n\n" + constants + "\n")
