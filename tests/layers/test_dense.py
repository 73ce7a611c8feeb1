import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers import Dense


def test_contract():
    run_layer_contract(
        Dense,
        {"units": 3, "activation": "relu"},
        (4, 5),
        expected_output_shape=(4, 3),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize(
    "kwargs,shape",
    [
        ({"units": 4}, (3, 5)),
        ({"units": 4, "activation": "softmax"}, (3, 5)),
        ({"units": 2, "use_bias": False, "activation": "tanh"}, (3, 6)),
        ({"units": 4, "activation": "sigmoid"}, (2, 3, 5)),
    ],
)
def test_parity(kwargs, shape, rng):
    x = rng.standard_normal(shape).astype("float32")
    compare_layer(Dense(**kwargs), keras.layers.Dense(**kwargs), x)


def test_weight_layout_and_initializer_stats():
    layer = Dense(64)
    layer.build((None, 784))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (784, 64) and bias.shape == (64,)
    limit = np.sqrt(6 / (784 + 64))
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit
    assert not bias.any()


def test_config_matches_keras_keys():
    ours = Dense(3, activation="relu").get_config()
    theirs = keras.layers.Dense(3, activation="relu").get_config()
    missing = set(theirs) - set(ours) - {"quantization_config", "lora_rank", "lora_alpha"}
    assert not missing
    assert ours["activation"] == "relu"
    assert ours["kernel_initializer"]["class_name"] == "GlorotUniform"


def test_input_dim_builds_sequential():
    model = ketorch.Sequential([Dense(8, input_dim=4), Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.layers[0].get_weights()[0].shape == (4, 8)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "8"])
def test_bad_units(bad):
    with pytest.raises(ValueError, match=f"Received: units={bad!r}"):
        Dense(bad)


def test_wrong_feature_size_names_layer():
    layer = Dense(2, name="head")
    layer(torch.ones(1, 4))
    with pytest.raises(ValueError, match="layer 'head'.*expected axis -1.*value 4"):
        layer(torch.ones(1, 5))


def test_unknown_kwarg():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        Dense(3, init="uniform")


def test_regularizer_adds_loss():
    layer = Dense(2, kernel_regularizer="l2")
    layer(torch.ones(1, 3))
    (penalty,) = layer.losses
    expected = 0.01 * (layer.kernel.detach() ** 2).sum()
    assert torch.allclose(penalty, expected)
