"""Reading a Keras functional graph: who feeds a layer and who reads it (the remedies' only graph surgery aid)."""

from __future__ import annotations


def consumers_of(model) -> dict[str, list]:
    """Layer name -> the layers that read its output, over every call of every layer in `model`'s graph."""
    consumers: dict[str, list] = {layer.name: [] for layer in model.layers}
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for parent in node.parent_nodes:
                consumers.setdefault(parent.operation.name, []).append(layer)
    return consumers


def single_producer(layer):
    """The one layer feeding `layer`, or None when it is called more than once or has several inputs."""
    nodes = layer._inbound_nodes
    parents = nodes[0].parent_nodes if len(nodes) == 1 else []
    return parents[0].operation if len(parents) == 1 else None


def input_layer_names(model) -> set[str]:
    return {tensor._keras_history.operation.name for tensor in model.inputs}


def output_layer_names(model) -> set[str]:
    return {tensor._keras_history.operation.name for tensor in model.outputs}
