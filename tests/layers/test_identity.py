import torch
from layer_contract import run_layer_contract
from parity import compare_layer, keras

import ketorch
from ketorch.layers.core import Identity


def test_contract():
    run_layer_contract(Identity, {}, (2, 3), expected_output_shape=(2, 3), supports_masking=True)


def test_parity(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    compare_layer(Identity(), keras.layers.Identity(), x)


def test_passes_mask_and_dtype_through():
    x = torch.ones(2, 3, 4)
    x._keras_mask = torch.tensor([[True, False, True]] * 2)
    y = Identity()(x)
    assert y is x and torch.equal(y._keras_mask, x._keras_mask)
    assert Identity()(ketorch.Input((3,), dtype="int32")).dtype == "int32"


def test_config_matches_keras():
    assert set(Identity().get_config()) == set(keras.layers.Identity().get_config())
