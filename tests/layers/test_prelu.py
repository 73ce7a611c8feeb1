import numpy as np
import pytest
import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.activations import PReLU


def test_contract():
    run_layer_contract(
        PReLU,
        {"alpha_initializer": "ones", "shared_axes": [1]},
        (2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=0,
        supports_masking=True,
    )


@pytest.mark.parametrize(
    "kwargs,shape",
    [
        ({}, (3, 5)),
        ({"shared_axes": [1, 2]}, (2, 4, 4, 3)),
        ({"shared_axes": 1}, (2, 6, 3)),
        ({"shared_axes": [3]}, (2, 4, 4, 3)),
    ],
)
def test_parity_and_weight_shape(kwargs, shape, rng):
    ours = PReLU(**kwargs)
    ours.build(shape)
    ours.set_weights([rng.uniform(0, 0.5, w.shape).astype("float32") for w in ours.get_weights()])
    x = rng.standard_normal(shape).astype("float32")
    compare_layer(ours, keras.layers.PReLU(**kwargs), x)


def test_default_alpha_is_zeros_and_named_alpha():
    layer = PReLU()
    layer(torch.randn(2, 3))
    (alpha,) = layer.get_weights()
    assert alpha.shape == (3,) and not alpha.any()
    assert layer.weights[0]._keras_name == "alpha"


def test_config_matches_keras():
    ours = PReLU(shared_axes=2).get_config()
    theirs = keras.layers.PReLU(shared_axes=2).get_config()
    assert set(theirs) <= set(ours)
    assert ours["shared_axes"] == theirs["shared_axes"] == [2]
    assert ours["alpha_initializer"]["class_name"] == "Zeros"


def test_symbolic_and_wrong_shape():
    layer = PReLU(shared_axes=[1], name="pr")
    assert layer(ketorch.Input(shape=(None, 4))).shape == (None, None, 4)
    with pytest.raises(ValueError, match="pr"):
        layer(torch.ones(2, 3, 5))


def test_regularizer_adds_loss():
    layer = PReLU(alpha_initializer="ones", alpha_regularizer="l2")
    layer(torch.ones(1, 3))
    np.testing.assert_allclose(float(layer.losses[0].detach()), 0.03, rtol=1e-6)


@pytest.mark.parametrize("bad", [0, [0, 1], "1"])
def test_bad_shared_axes(bad):
    with pytest.raises(ValueError, match="Received: shared_axes="):
        PReLU(shared_axes=bad)
