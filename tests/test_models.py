"""The registry: the blog's layers, parameter counts and MACs."""

from __future__ import annotations

import pytest

from edgedigits.errors import UsageError
from edgedigits.models import MODELS, build_model, count_macs, count_params, get_spec, layer_costs

EXPECTED_PARAMS = {"v1": 27_210, "v2": 83_322, "v3": 83_322}


@pytest.mark.parametrize("name", list(MODELS))
def test_parameter_counts_match_the_blog_and_keras(name):
    spec = MODELS[name]
    assert count_params(spec) == EXPECTED_PARAMS[name]
    assert build_model(spec).count_params() == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("name", list(MODELS))
def test_layer_shapes_match_keras(name):
    model = build_model(MODELS[name])
    keras_shapes = [tuple(layer.output.shape[1:]) for layer in model.layers]
    assert keras_shapes == [cost.output_shape for cost in layer_costs(MODELS[name])]


def test_macs_are_derived_from_layers():
    # v1: conv 26*26*16*3*3*1 = 97,344 + dense 2704*10 = 27,040
    assert count_macs(MODELS["v1"]) == 97_344 + 27_040
    # v2/v3 share their arithmetic; dropout adds none.
    assert count_macs(MODELS["v2"]) == count_macs(MODELS["v3"]) == 2_541_888


def test_v3_has_the_blogs_dropout_and_head():
    model = build_model(MODELS["v3"])
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Conv2D", "Conv2D", "MaxPooling2D", "Dropout",
                     "Flatten", "Dense", "Dropout", "Dense"]
    assert model.layers[-1].activation.__name__ == "softmax"
    assert all(layer.rate == 0.25 for layer in model.layers if type(layer).__name__ == "Dropout")


def test_bfloat16_policy_keeps_float32_head():
    model = build_model(MODELS["v1"], dtype_policy="mixed_bfloat16")
    assert model.layers[0].dtype_policy.name == "mixed_bfloat16"
    assert model.layers[-1].dtype_policy.name == "float32"


def test_unknown_model_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown model 'v9'"):
        get_spec("v9")
