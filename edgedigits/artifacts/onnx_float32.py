"""ONNX float32 through tf2onnx, with a dynamic batch axis, checked by `onnx.checker`."""

from __future__ import annotations

from pathlib import Path

from edgedigits.artifacts import ONNX_OPSET, Artifact, ExportContext, Tolerance

OUTPUT_NAME = "probabilities"


def export(context: ExportContext, destination: Path) -> dict:
    import onnx
    import tensorflow as tf
    import tf2onnx

    model = context.model
    # tf2onnx's from_keras fails on Keras 3 models; a tf.function with an explicit signature converts cleanly.
    signature = [tf.TensorSpec([None, *(int(d) for d in model.inputs[0].shape[1:])], tf.float32, name="input")]
    function = tf.function(lambda x: {OUTPUT_NAME: model(x, training=False)}, input_signature=signature)
    proto, _ = tf2onnx.convert.from_function(function, input_signature=signature, opset=context.opset)
    # Name the dynamic axis like a user would read it ("batch"), not tf2onnx's "unk__36".
    for value in [*proto.graph.input, *proto.graph.output]:
        value.type.tensor_type.shape.dim[0].dim_param = "batch"
    onnx.checker.check_model(proto, full_check=True)
    destination.write_bytes(proto.SerializeToString())
    return {"opset": context.opset}


ARTIFACT = Artifact(
    name="onnx_float32", file="model.onnx", runtime="onnxruntime", precision="float32",
    description=f"ONNX float32 (opset {ONNX_OPSET}, dynamic batch)",
    export=export,
    tolerance=Tolerance(max_abs_prob_diff=1e-4),
    export_tolerance=Tolerance(max_abs_prob_diff=1e-4),
)
